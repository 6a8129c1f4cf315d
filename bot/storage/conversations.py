"""The open conversation of each user, saved on every answered step."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.storage.database import Database, timestamp

# Draft keys that only show a question's earlier answer again (a multi-select's ticks):
# going back keeps them, so the question comes back with that answer shown.
SHOWN_PREFIX = "_shown_"


@dataclass
class ConversationState:
    flow: str
    step: str
    draft: dict[str, Any] = field(default_factory=dict)
    # The questions answered so far, each with the draft as it was when it was asked, so
    # « Back restores the answers exactly (a later step may have removed one).
    history: list[dict[str, Any]] = field(default_factory=list)
    question_id: str = ""  # new for every question asked; part of its buttons' token

    def ask_anew(self) -> None:
        """Mark that a new question is being asked (buttons of earlier ones go stale)."""
        self.question_id = secrets.token_hex(3)

    def remember(self, draft_before: dict[str, Any]) -> None:
        """Push the current step, with the draft it was asked with."""
        self.history.append({"step": self.step, "draft": draft_before})

    def go_back(self) -> None:
        """Return to the previous question with its draft (and the answers it shows)."""
        entry = self.history.pop()
        shown = {k: v for k, v in self.draft.items() if k.startswith(SHOWN_PREFIX)}
        self.step, self.draft = entry["step"], {**entry["draft"], **shown}

    def steps_named(self) -> list[str]:
        """Return every step this state refers to (to check it against the code)."""
        named = [self.step]
        for entry in self.history:
            named.append(entry.get("step", "") if isinstance(entry, dict) else "")
        return named


class ConversationStore:
    def __init__(self, db: Database):
        self._db = db

    async def load(self, user_id: int) -> ConversationState | None:
        row = await self._db.lookup(
            "SELECT flow, step, draft, history, question_id FROM conversations WHERE user_id = ?",
            (user_id,),
        )
        if row is None:
            return None
        return ConversationState(
            row["flow"],
            row["step"],
            json.loads(row["draft"]),
            json.loads(row["history"]),
            row["question_id"],
        )

    async def save(self, user_id: int, state: ConversationState, now: datetime) -> None:
        await self._db.write(
            "INSERT INTO conversations"
            " (user_id, flow, step, draft, history, question_id, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
            " flow = excluded.flow, step = excluded.step, draft = excluded.draft,"
            " history = excluded.history, question_id = excluded.question_id,"
            " updated_at = excluded.updated_at",
            (
                user_id,
                state.flow,
                state.step,
                json.dumps(state.draft, ensure_ascii=False),
                json.dumps(state.history),
                state.question_id,
                timestamp(now),
            ),
        )

    async def clear(self, user_id: int) -> None:
        await self._db.write("DELETE FROM conversations WHERE user_id = ?", (user_id,))
