"""SQLite storage: the only place SQL lives. One repository per aggregate."""
