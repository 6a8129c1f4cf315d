-- What the bot knows a database to be: 'demo' is written when the demo district is seeded
-- (`python -m bot demo`, or the shell on an empty database). Only a marked database is the
-- demo: a real one is never seeded over, and its terminal users are never taken for people.
CREATE TABLE database_marks (
    name TEXT PRIMARY KEY,
    set_at TEXT NOT NULL
)
