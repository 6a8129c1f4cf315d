"""Reminders' storage: the ledger that sends each reminder once, who gets them, the rounds.

    claim(dues) ──► INSERT … ON CONFLICT DO UPDATE WHERE failed (or left by a dead process)
        │            RETURNING: only the dues this round may send (two processes: one wins)
        ├─ sent ──► mark_sent          (never claimed again)
        └─ failed ► release            (the next round claims it again)

Everyone's choices (/nhacnho) and reach (the chat used last, `bot.storage.users`) come with
the recipients in one query; a chat that refused a message marks its user unreachable until
they write again (`UserRepository.note_use` clears it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.org import Grant, Role, User
from bot.domain.pipeline import is_open
from bot.domain.reminders import CellRef, Due, Person, Recipient
from bot.storage.database import Database, Rider, Row, timestamp
from bot.storage.marks import REGISTERED
from bot.storage.recruitment import RecruitmentRepository
from bot.storage.users import REACH_COLUMNS, REACH_OF_USER

ORGANISER_ROLES = (Role.STAFF, Role.ADMIN)


@dataclass(frozen=True)
class Contact:
    """A registered user as a round needs them: where to reach them and what they take."""

    user_id: int
    channel: str  # the chat they wrote from last (a linked person: possibly another channel)
    user_key: str
    locale: str | None  # their /ngonngu choice
    app_locale: str | None  # their app's language when they last wrote
    display_name: str | None  # shown to the administrator by `remind --dry-run` only
    grants: tuple[Grant, ...]
    reminders: bool
    digest: bool
    reachable: bool

    @property
    def user(self) -> User:
        return User(self.user_id, self.channel, self.user_key, self.locale, self.grants)

    @property
    def recipient(self) -> Recipient:
        cells = frozenset(g.unit_id for g in self.grants if g.role is Role.SECRETARY)
        units: list[int] = []
        for grant in self.grants:
            if grant.role in ORGANISER_ROLES and grant.unit_id not in units:
                units.append(grant.unit_id)
        return Recipient(self.user_id, cells, tuple(units), self.reminders, self.digest,
                         self.reachable)


@dataclass(frozen=True)
class ReminderSettings:
    reminders: bool = True
    digest: bool = True


@dataclass(frozen=True)
class RoundRecord:
    """What one round did, in counts only."""

    day: date
    by_hand: bool
    started_at: datetime
    finished_at: datetime
    people: int  # people with something due
    sent: int  # messages sent
    failed: int  # messages that failed (claimed again next round)
    unreachable: int  # people whose chat refused the message (marked, skipped next time)
    deferred: int  # people left for later (the quiet hours began, or the bot stopped)


class ReminderStore:
    def __init__(self, db: Database):
        self._db = db

    # Who ---------------------------------------------------------------------------------

    async def contacts(self) -> list[Contact]:
        """Return every registered user with a role, with their reach, language and choices."""
        rows = await self._db.fetch_all(
            f"SELECT u.id, {REACH_COLUMNS}, u.locale, u.app_locale, u.display_name,"
            " u.unreachable_since, COALESCE(s.reminders, 1) AS reminders,"
            " COALESCE(s.digest, 1) AS digest, r.role, r.unit_id"
            f" FROM users u JOIN user_roles r ON r.user_id = u.id{REACH_OF_USER}"
            f" LEFT JOIN reminder_settings s ON s.user_id = u.id WHERE {REGISTERED}"
            " ORDER BY u.id, r.granted_at, r.unit_id"
        )
        by_user: dict[int, list[Row]] = {}
        for row in rows:
            by_user.setdefault(row["id"], []).append(row)
        return [_contact(grants) for grants in by_user.values()]

    async def roots(self) -> list[int]:
        """Return the units at the top of the tree (every cell lies under one of them)."""
        rows = await self._db.fetch_all(
            "SELECT id FROM org_units WHERE parent_id IS NULL ORDER BY id")
        return [int(row["id"]) for row in rows]

    async def open_people(self, cell_ids: Sequence[int]) -> list[Person]:
        """Return the open records of the pipeline in these cells, with their cell."""
        if not cell_ids:
            return []
        marks = ", ".join("?" for _ in cell_ids)
        cells = {
            row["id"]: CellRef(row["id"], row["code"] or "", row["name"])
            for row in await self._db.fetch_all(
                f"SELECT id, code, name FROM org_units WHERE id IN ({marks})", tuple(cell_ids))
        }
        recruits = await RecruitmentRepository(self._db).of_cells(list(cell_ids))
        return [Person(r.id, cells[r.cell_id], r.alias, r.history)
                for r in recruits if r.history and is_open(r.history)]

    # Choices -----------------------------------------------------------------------------

    async def settings(self, user_id: int) -> ReminderSettings:
        row = await self._db.fetch_one(
            "SELECT reminders, digest FROM reminder_settings WHERE user_id = ?", (user_id,))
        if row is None:
            return ReminderSettings()
        return ReminderSettings(bool(row["reminders"]), bool(row["digest"]))

    async def choose(self, user_id: int, settings: ReminderSettings, now: datetime,
                     also: Sequence[Rider] = ()) -> None:
        await self._db.write(
            "INSERT INTO reminder_settings (user_id, reminders, digest, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
            " reminders = excluded.reminders, digest = excluded.digest,"
            " updated_at = excluded.updated_at",
            (user_id, int(settings.reminders), int(settings.digest), timestamp(now)),
            also=also,
        )

    # The ledger --------------------------------------------------------------------------

    async def claim(
        self, dues: Sequence[Due], holder: str, now: datetime, abandoned_before: datetime
    ) -> list[Due]:
        """Claim the dues nobody has sent or holds; return those this round may send.

        A claim left by a round that failed to send, or one older than `abandoned_before`
        (its process died meanwhile), is taken over.
        """
        claimed = []
        async with self._db.transaction() as conn:
            for due in dues:
                cursor = await conn.execute(
                    "INSERT INTO reminder_ledger"
                    " (kind, user_id, subject, period, state, claimed_by, claimed_at)"
                    " VALUES (?, ?, ?, ?, 'claimed', ?, ?)"
                    " ON CONFLICT (kind, user_id, subject, period) DO UPDATE SET"
                    " state = 'claimed', claimed_by = excluded.claimed_by,"
                    " claimed_at = excluded.claimed_at,"
                    " attempts = reminder_ledger.attempts + 1"
                    " WHERE reminder_ledger.state = 'failed'"
                    " OR (reminder_ledger.state = 'claimed' AND reminder_ledger.claimed_at < ?)"
                    " RETURNING kind",
                    (*due.key, holder, timestamp(now), timestamp(abandoned_before)),
                )
                if await cursor.fetchone() is not None:
                    claimed.append(due)
        return claimed

    async def mark_sent(self, dues: Sequence[Due], holder: str, now: datetime) -> None:
        await self._db.write_many(
            "UPDATE reminder_ledger SET state = 'sent', sent_at = ?"
            " WHERE kind = ? AND user_id = ? AND subject = ? AND period = ?"
            " AND claimed_by = ? AND state = 'claimed'",
            [(timestamp(now), *due.key, holder) for due in dues],
        )

    async def release(self, dues: Sequence[Due], holder: str) -> None:
        """Give back claims whose send failed: the next round claims them again."""
        await self._db.write_many(
            "UPDATE reminder_ledger SET state = 'failed'"
            " WHERE kind = ? AND user_id = ? AND subject = ? AND period = ?"
            " AND claimed_by = ? AND state = 'claimed'",
            [(*due.key, holder) for due in dues],
        )

    async def state_of(self, due: Due) -> tuple[str, int] | None:
        """Return (state, attempts) of a reminder in the ledger, None if never claimed."""
        row = await self._db.fetch_one(
            "SELECT state, attempts FROM reminder_ledger"
            " WHERE kind = ? AND user_id = ? AND subject = ? AND period = ?", due.key)
        return None if row is None else (row["state"], int(row["attempts"]))

    async def mark_unreachable(self, user_id: int, now: datetime) -> None:
        """Remember that the user's chat refused a message: skipped until they write again."""
        await self._db.write(
            "UPDATE users SET unreachable_since = ? WHERE id = ? AND unreachable_since IS NULL",
            (timestamp(now), user_id),
        )

    # Rounds ------------------------------------------------------------------------------

    async def scheduled_round_done(self, day: date) -> bool:
        """Tell whether a scheduled round for `day` ran with no failed send (else: try again)."""
        found = await self._db.fetch_one(
            "SELECT 1 FROM reminder_rounds WHERE day = ? AND by_hand = 0 AND failed = 0",
            (day.isoformat(),))
        return found is not None

    async def record_round(self, record: RoundRecord) -> None:
        await self._db.write(
            "INSERT INTO reminder_rounds (day, by_hand, started_at, finished_at, people, sent,"
            " failed, unreachable, deferred) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (record.day.isoformat(), int(record.by_hand), timestamp(record.started_at),
             timestamp(record.finished_at), record.people, record.sent, record.failed,
             record.unreachable, record.deferred),
        )


def _contact(rows: Sequence[Row]) -> Contact:
    """Build a user's contact from their rows (one per role held)."""
    first = rows[0]
    return Contact(
        first["id"], first["channel"], first["user_key"], first["locale"],
        first["app_locale"], first["display_name"],
        tuple(Grant(Role(r["role"]), r["unit_id"]) for r in rows),
        bool(first["reminders"]), bool(first["digest"]), first["unreachable_since"] is None,
    )
