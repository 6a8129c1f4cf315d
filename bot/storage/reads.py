"""The audit trail of organisers reading cells' data (secretaries reading their own is not)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Database, timestamp


@dataclass(frozen=True)
class DataRead:
    user_id: int
    unit_id: int
    what: str  # a stable code: "standing", later "summary", "export"
    at: datetime


class ReadLog:
    def __init__(self, db: Database):
        self._db = db

    async def record(self, user_id: int, unit_id: int, what: str, at: datetime) -> None:
        await self._db.write(
            "INSERT INTO data_reads (user_id, unit_id, what, at) VALUES (?, ?, ?, ?)",
            (user_id, unit_id, what, timestamp(at)),
        )

    async def of_unit(self, unit_id: int) -> list[DataRead]:
        rows = await self._db.fetch_all(
            "SELECT user_id, unit_id, what, at FROM data_reads WHERE unit_id = ? ORDER BY id",
            (unit_id,),
        )
        return [DataRead(r["user_id"], r["unit_id"], r["what"], datetime.fromisoformat(r["at"]))
                for r in rows]
