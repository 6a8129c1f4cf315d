"""Load many past meeting reports at once: an old book moved in, or the province benchmark."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.meetings import MeetingReport
from bot.storage.database import Database, timestamp
from bot.storage.meetings import _values


async def load_reports(
    db: Database, reports: Iterable[tuple[MeetingReport, bool, datetime]]
) -> int:
    """Insert (report, counts as the month's regular one, received at) rows in one
    transaction; return how many. Unlike `MeetingRepository.save`, nothing is checked."""
    rows = [
        {**_values(report, regular, None, received), "received_at": timestamp(received)}
        for report, regular, received in reports
    ]
    if not rows:
        return 0
    columns = ", ".join(rows[0])
    marks = ", ".join(f":{c}" for c in rows[0])
    async with db.transaction() as conn:
        await conn.executemany(f"INSERT INTO meeting_reports ({columns}) VALUES ({marks})", rows)
    return len(rows)
