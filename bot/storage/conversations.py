"""The open conversation of each user, saved on every answered step."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.storage.database import Database, Rider, timestamp
from bot.storage.errors import Stale

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


OPEN, SAVED, CLOSED, EXPIRED = None, "saved", "closed", "expired"  # how it ended
REPEAT_WINDOW = timedelta(hours=24)  # Telegram keeps an update for redelivery this long


@dataclass(frozen=True)
class Ended:
    """The user's last conversation, over: enough to answer its last question again."""

    flow: str
    step: str  # the question it ended at (a Save: the review)
    question_id: str
    how: str  # SAVED, CLOSED or EXPIRED
    recap: dict[str, Any]  # the draft keys the flow keeps to say what was saved
    at: datetime  # the last answer (for EXPIRED: the one the draft waited after)


@dataclass
class Row:
    """The user's conversation row as this turn read it: the version a write must find.

    Every write is conditional on it, so a second writer (another process, the same update
    handled twice at once) is refused instead of applied; each write moves it on.
    """

    user_id: int
    version: int | None = None  # None: no row yet
    last_update: int | None = None  # the platform's id of the last update applied
    updated_at: datetime | None = None  # the last answer to the conversation
    open: bool = False  # a conversation is under way (a row may hold one that ended)
    update_at: datetime | None = None  # when `last_update` was applied

    def repeats(self, update_id: int | None, now: datetime) -> bool:
        """Tell whether an update was applied already: its id is not above the last one's.

        Telegram's ids grow by one; after a week without any update they restart anywhere,
        so only an id applied within the redelivery window is compared.
        """
        applied = self.update_at or self.updated_at
        return (update_id is not None and self.last_update is not None
                and applied is not None and update_id <= self.last_update
                and now - applied < REPEAT_WINDOW)

    def applied(self, update_id: int | None, now: datetime) -> None:
        """Note in the row that `update_id` was applied now (by a write that carried it)."""
        if update_id is not None:
            self.last_update, self.update_at = update_id, now

    def moved_on(self) -> int:
        """Return the version after this turn's next write."""
        return (self.version or 0) + 1


class ConversationStore:
    def __init__(self, db: Database):
        self._db = db

    async def load(self, user_id: int) -> ConversationState | None:
        """Return the user's open conversation, if any."""
        return (await self.read(user_id))[1]

    async def save(self, user_id: int, state: ConversationState, now: datetime) -> None:
        """Put the user in `state`, whatever they were at (for set-ups and tools)."""
        row, _, _ = await self.read(user_id)
        await self.write(row, state, now)

    async def read(self, user_id: int) -> tuple[Row, ConversationState | None, Ended | None]:
        """Return the user's row, their open conversation, or how the last one ended."""
        found = await self._db.lookup(
            "SELECT flow, step, draft, history, question_id, version, last_update, ended,"
            " updated_at, update_at FROM conversations WHERE user_id = ?",
            (user_id,),
        )
        if found is None:
            return Row(user_id), None, None
        at = datetime.fromisoformat(found["updated_at"])
        update_at = found["update_at"]
        row = Row(user_id, found["version"], found["last_update"], at, found["ended"] is OPEN,
                  datetime.fromisoformat(update_at) if update_at else None)
        if not row.open:
            ended = Ended(found["flow"], found["step"], found["question_id"], found["ended"],
                          json.loads(found["draft"]), at)
            return row, None, ended
        state = ConversationState(
            found["flow"],
            found["step"],
            json.loads(found["draft"]),
            json.loads(found["history"]),
            found["question_id"],
        )
        return row, state, None

    async def write(self, row: Row, state: ConversationState, now: datetime,
                    update_id: int | None = None) -> None:
        """Write the state, if the row is still as read; raise Stale when it is not."""
        version = row.moved_on()
        written = await self._db.write(
            "INSERT INTO conversations (user_id, flow, step, draft, history, question_id,"
            " updated_at, version, last_update, update_at, ended)"
            " VALUES (:user, :flow, :step, :draft, :history, :question, :at, :version,"
            " :update, :update_at, NULL) ON CONFLICT (user_id) DO UPDATE SET"
            " flow = excluded.flow, step = excluded.step, draft = excluded.draft,"
            " history = excluded.history, question_id = excluded.question_id,"
            " updated_at = excluded.updated_at, version = excluded.version,"
            " last_update = COALESCE(excluded.last_update, conversations.last_update),"
            " update_at = COALESCE(excluded.update_at, conversations.update_at),"
            " ended = NULL WHERE conversations.version = :expected RETURNING version",
            {
                "user": row.user_id,
                "flow": state.flow,
                "step": state.step,
                "draft": json.dumps(state.draft, ensure_ascii=False),
                "history": json.dumps(state.history, ensure_ascii=False),
                "question": state.question_id,
                "at": timestamp(now),
                "version": version,
                "update": update_id,
                "update_at": None if update_id is None else timestamp(now),
                "expected": row.version,
            },
        )
        if not written:
            raise Stale(f"the conversation of user {row.user_id} changed meanwhile")
        row.version, row.open, row.updated_at = version, True, now
        row.applied(update_id, now)

    def ending(self, row: Row, state: ConversationState, how: str, now: datetime,
               update_id: int | None = None, recap: dict[str, Any] | None = None) -> Rider:
        """Return the statement that ends the conversation, to ride along with a save."""
        return Rider(
            "UPDATE conversations SET step = :step, draft = :recap, history = '[]',"
            " question_id = :question, ended = :how, updated_at = :at, version = :version,"
            " last_update = COALESCE(:update, last_update),"
            " update_at = CASE WHEN :update IS NULL THEN update_at ELSE :at END"
            " WHERE user_id = :user AND version = :expected",
            {
                "user": row.user_id,
                "step": state.step,
                "recap": json.dumps(recap or {}, ensure_ascii=False),
                "question": state.question_id,
                "how": how,
                "at": timestamp(now),
                "version": row.moved_on(),
                "update": update_id,
                "expected": row.version,
            },
        )

    @staticmethod
    def ended(row: Row, rider: Rider, now: datetime) -> None:
        """Note in `row` that `rider` (from `ending`) was committed."""
        params = rider.params
        assert isinstance(params, dict)
        row.version, row.open, row.updated_at = params["version"], False, now
        row.applied(params["update"], now)

    async def end(self, row: Row, state: ConversationState, how: str, now: datetime,
                  update_id: int | None = None) -> None:
        """End the open conversation (its draft dropped), if the row is still as read."""
        if not row.open:
            return
        rider = self.ending(row, state, how, now, update_id)
        if not await self._db.write(f"{rider.sql} RETURNING version", rider.params):
            raise Stale(f"the conversation of user {row.user_id} changed meanwhile")
        self.ended(row, rider, now)

    async def note_update(self, row: Row, update_id: int, now: datetime) -> None:
        """Keep the id of an update that wrote no conversation (a command answered at once).

        A user without a row gets one that holds no conversation. Conditional like every
        write: another writer meanwhile has kept its own id, and this one is left.
        """
        if await self._db.write(
            "INSERT INTO conversations (user_id, flow, step, draft, history, question_id,"
            " updated_at, version, last_update, update_at, ended)"
            " VALUES (:user, '', '', '{}', '[]', '', :at, :version, :update, :at, :closed)"
            " ON CONFLICT (user_id) DO UPDATE SET version = excluded.version,"
            " last_update = excluded.last_update, update_at = excluded.update_at"
            " WHERE conversations.version = :expected RETURNING version",
            {"user": row.user_id, "at": timestamp(now), "version": row.moved_on(),
             "update": update_id, "closed": CLOSED, "expected": row.version},
        ):
            row.version = row.moved_on()
            row.applied(update_id, now)

    async def forget_expiry(self, row: Row) -> None:
        """Mark a draft dropped while its user was away as told (the notice shows once)."""
        if await self._db.write(
            "UPDATE conversations SET ended = :how, version = :version"
            " WHERE user_id = :user AND version = :expected RETURNING version",
            {"how": CLOSED, "version": row.moved_on(), "user": row.user_id,
             "expected": row.version},
        ):
            row.version = row.moved_on()

    async def expire(self, untouched_since: datetime) -> int:
        """Drop every open draft unanswered since then; return how many were dropped."""
        async with self._db.transaction() as conn:  # a scan: off the loop's thread
            cursor = await conn.execute(
                "UPDATE conversations SET draft = '{}', history = '[]', ended = ?,"
                " version = version + 1 WHERE ended IS NULL AND updated_at < ?",
                (EXPIRED, timestamp(untouched_since)),
            )
            return int(cursor.rowcount)
