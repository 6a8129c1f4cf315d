"""What the bot knows a database to be (`database_marks`): the demo, or a real one.

Only a database marked when the demo district was seeded is the demo. On any other, the
terminal shell's users (channel "console") are whoever runs the shell at the server: they act
through the same handlers, but are never anyone's registered secretary, organiser or reminder
reader (`REGISTERED`).
"""

from __future__ import annotations

from datetime import datetime

from bot.storage.database import Database, timestamp

DEMO = "demo"
TERMINAL = "console"  # the channel of the shell's users

# SQL over `users u`: a person who registered (the shell's users count only in the demo).
REGISTERED = (f"(u.channel <> '{TERMINAL}' OR EXISTS ("
              f"SELECT 1 FROM database_marks WHERE name = '{DEMO}'))")


class DatabaseMarks:
    def __init__(self, db: Database):
        self._db = db

    async def is_demo(self) -> bool:
        """Tell whether the demo district was seeded into this database."""
        return await self._db.lookup(
            "SELECT 1 FROM database_marks WHERE name = ?", (DEMO,)) is not None

    async def is_empty(self) -> bool:
        """Tell whether the database holds no unit and no user yet."""
        units = await self._db.scalar("SELECT COUNT(*) FROM (SELECT 1 FROM org_units LIMIT 1)")
        users = await self._db.scalar("SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1)")
        return not units and not users

    async def mark_demo(self, now: datetime) -> None:
        await self._db.write(
            "INSERT INTO database_marks (name, set_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (DEMO, timestamp(now)))
