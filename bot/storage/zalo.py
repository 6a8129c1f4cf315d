"""What the Zalo channel keeps: the events it handled, and how many messages it sent a month."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.storage.database import Database, timestamp

EVENTS_KEPT = timedelta(days=30)  # far beyond any redelivery of a webhook event


class ZaloLedger:
    def __init__(self, db: Database):
        self._db = db

    async def claim(self, event_name: str, message_id: str, now: datetime) -> bool:
        """Record an event as handled; False when it was handled before (a duplicate)."""
        rows = await self._db.write(
            "INSERT INTO zalo_events (event_name, message_id, received_at) VALUES (?, ?, ?)"
            " ON CONFLICT (event_name, message_id) DO NOTHING RETURNING message_id",
            (event_name, message_id, timestamp(now)),
        )
        return bool(rows)

    async def forget_old_events(self, now: datetime) -> None:
        """Drop events older than anything Zalo could deliver again."""
        await self._db.write("DELETE FROM zalo_events WHERE received_at < ?",
                             (timestamp(now - EVENTS_KEPT),))

    async def count_sent(self, month: str, messages: int = 1) -> int:
        """Add `messages` to the month's count ("2026-11"); return the month's new total."""
        rows = await self._db.write(
            "INSERT INTO zalo_sent (month, messages) VALUES (?, ?)"
            " ON CONFLICT (month) DO UPDATE SET messages = zalo_sent.messages + excluded.messages"
            " RETURNING messages",
            (month, messages),
        )
        return int(rows[0]["messages"])

    async def sent_in(self, month: str) -> int:
        """Return how many messages went out over Zalo in `month` ("2026-11")."""
        count = await self._db.scalar("SELECT messages FROM zalo_sent WHERE month = ?", (month,))
        return int(count or 0)
