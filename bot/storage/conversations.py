"""The open conversation of each user, saved on every answered step."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.storage.database import Database, timestamp


@dataclass
class ConversationState:
    flow: str
    step: str
    draft: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)


class ConversationStore:
    def __init__(self, db: Database):
        self._db = db

    async def load(self, user_id: int) -> ConversationState | None:
        row = await self._db.fetch_one(
            "SELECT flow, step, draft, history FROM conversations WHERE user_id = ?", (user_id,)
        )
        if row is None:
            return None
        return ConversationState(
            row["flow"], row["step"], json.loads(row["draft"]), json.loads(row["history"])
        )

    async def save(self, user_id: int, state: ConversationState, now: datetime) -> None:
        await self._db.write(
            "INSERT INTO conversations (user_id, flow, step, draft, history, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET flow = excluded.flow,"
            " step = excluded.step, draft = excluded.draft, history = excluded.history,"
            " updated_at = excluded.updated_at",
            (
                user_id,
                state.flow,
                state.step,
                json.dumps(state.draft, ensure_ascii=False),
                json.dumps(state.history),
                timestamp(now),
            ),
        )

    async def clear(self, user_id: int) -> None:
        await self._db.write("DELETE FROM conversations WHERE user_id = ?", (user_id,))
