"""Users, their roles and their language; invites and failed-start counting."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import aiosqlite

from bot.domain.org import EndedGrant, Grant, Role, User
from bot.storage.database import Database, Rider, timestamp
from bot.storage.marks import REGISTERED

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# 31**14 ≈ 7.6e20 (70 bits): unguessable through /start, and a stolen copy of the database
# holds only unsalted hashes that would take a GPU centuries to reverse. Links carry the code,
# so its length costs users nothing.
CODE_LENGTH = 14
MAX_DISPLAY_NAME = 64  # Telegram allows 64 + 64 characters for first and last name


def new_invite_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


# The account a chat identity belongs to: the one it was linked to, else its own row.
ACCOUNT_OF = (
    "COALESCE((SELECT user_id FROM user_links WHERE channel = :channel AND user_key = :key),"
    " (SELECT id FROM users WHERE channel = :channel AND user_key = :key))"
)
# The chat a user wrote from last, if it is still theirs (a link), else their own chat.
REACH_OF_USER = (
    " LEFT JOIN user_links reach ON reach.user_id = u.id"
    " AND reach.channel = u.last_channel AND reach.user_key = u.last_user_key"
)
REACH_COLUMNS = (
    "COALESCE(reach.channel, u.channel) AS channel,"
    " COALESCE(reach.user_key, u.user_key) AS user_key"
)


async def account_of(conn: aiosqlite.Connection, channel: str, user_key: str) -> int | None:
    """Return the id of the account this chat identity belongs to, if any (in a transaction)."""
    cursor = await conn.execute(f"SELECT {ACCOUNT_OF} AS id",
                                {"channel": channel, "key": user_key})
    row = await cursor.fetchone()
    return None if row is None or row["id"] is None else int(row["id"])


async def _ensure_user(
    conn: aiosqlite.Connection, channel: str, user_key: str, now: datetime
) -> int:
    found = await account_of(conn, channel, user_key)
    if found is not None:
        return found
    cursor = await conn.execute(
        "INSERT INTO users (channel, user_key, created_at) VALUES (?, ?, ?) RETURNING id",
        (channel, user_key, timestamp(now)),
    )
    row = await cursor.fetchone()
    assert row is not None
    return int(row["id"])


class UserRepository:
    def __init__(self, db: Database):
        self._db = db
        # What `find` last read of each user's last use, so that `note_use` writes only when
        # it changes (most messages come from the chat used last, in the same language).
        self._used: dict[int, tuple[str | None, str | None, str | None, str | None]] = {}

    async def find(
        self, channel: str, user_key: str, today: date | None = None
    ) -> User | None:
        """Return the account of this chat identity (its own, or the one it is linked to).

        Its grants are its roles on units open on `today`; a role on a unit closed by then
        (merged away) gives no access and is listed as ended. Without a day, a unit with any
        closing day counts as closed.
        """
        by_today = "" if today is None else " AND o.valid_to <= :today"
        rows = await self._db.lookup_all(
            "SELECT u.id, u.locale, u.last_channel, u.last_user_key, u.app_locale,"
            " u.unreachable_since, r.role, r.unit_id, r.told_closed_at,"
            f" o.valid_to IS NOT NULL{by_today} AS ended FROM users u"
            " LEFT JOIN user_roles r ON r.user_id = u.id"
            " LEFT JOIN org_units o ON o.id = r.unit_id"
            f" WHERE u.id = {ACCOUNT_OF} ORDER BY r.granted_at, r.unit_id",
            {"channel": channel, "key": user_key,
             "today": None if today is None else today.isoformat()},
        )
        if not rows:
            return None
        first = rows[0]
        self._used[first["id"]] = (first["last_channel"], first["last_user_key"],
                                   first["app_locale"], first["unreachable_since"])
        roles = [r for r in rows if r["role"]]
        return User(
            id=rows[0]["id"],
            channel=channel,
            user_key=user_key,
            locale=rows[0]["locale"],
            grants=tuple(Grant(Role(r["role"]), r["unit_id"]) for r in roles if not r["ended"]),
            ended=tuple(EndedGrant(Role(r["role"]), r["unit_id"], r["told_closed_at"] is not None)
                        for r in roles if r["ended"]),
        )

    async def mark_told_closed(self, user_id: int, unit_ids: Sequence[int], now: datetime) -> None:
        """Remember that the user was told their roles on these closed units ended."""
        marks = ", ".join("?" for _ in unit_ids)
        await self._db.write(
            "UPDATE user_roles SET told_closed_at = ? WHERE user_id = ?"
            f" AND unit_id IN ({marks}) AND told_closed_at IS NULL",
            (timestamp(now), user_id, *unit_ids),
        )

    async def move_roles(
        self, from_unit: int, to_unit: int, roles: Sequence[Role], now: datetime
    ) -> int:
        """Move every role of `roles` held on `from_unit` to `to_unit`; return how many."""
        names = ", ".join("?" for _ in roles)
        values = [r.value for r in roles]
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT COUNT(*) AS n FROM user_roles"
                f" WHERE unit_id = ? AND role IN ({names})", (from_unit, *values))
            row = await cursor.fetchone()
            await conn.execute(
                "INSERT INTO user_roles (user_id, role, unit_id, granted_at)"
                " SELECT user_id, role, ?, ? FROM user_roles"
                f" WHERE unit_id = ? AND role IN ({names})"
                " ON CONFLICT DO NOTHING",
                (to_unit, timestamp(now), from_unit, *values),
            )
            await conn.execute(
                f"DELETE FROM user_roles WHERE unit_id = ? AND role IN ({names})",
                (from_unit, *values),
            )
        return 0 if row is None else int(row["n"])

    async def ensure(self, channel: str, user_key: str, now: datetime) -> int:
        """Return the id of the user with this chat identity, creating the row if needed."""
        async with self._db.transaction() as conn:
            return await _ensure_user(conn, channel, user_key, now)

    async def grant(self, user_id: int, role: Role, unit_id: int, now: datetime) -> None:
        await self._db.write(
            "INSERT INTO user_roles (user_id, role, unit_id, granted_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (user_id, role.value, unit_id, timestamp(now)),
        )

    async def set_locale(self, user_id: int, locale: str, also: Sequence[Rider] = ()) -> None:
        await self._db.write("UPDATE users SET locale = ? WHERE id = ?", (locale, user_id),
                             also=also)

    async def administrators(self) -> list[tuple[User, str | None]]:
        """Return every administrator, with their app's language (for a warning)."""
        rows = await self._db.fetch_all(
            "SELECT DISTINCT u.id, u.channel, u.user_key, u.locale, u.app_locale FROM users u"
            f" JOIN user_roles r ON r.user_id = u.id WHERE r.role = 'admin' AND {REGISTERED}"
            " ORDER BY u.id",
        )
        return [(User(r["id"], r["channel"], r["user_key"], r["locale"], ()), r["app_locale"])
                for r in rows]

    async def secretaries_of(self, cell_id: int) -> list[tuple[str, str]]:
        """Return the (channel, user_key) of every secretary of a cell, for reminders."""
        rows = await self._db.fetch_all(
            f"SELECT {REACH_COLUMNS} FROM users u JOIN user_roles r ON r.user_id = u.id"
            f"{REACH_OF_USER} WHERE r.role = 'secretary' AND r.unit_id = ? AND {REGISTERED}"
            " ORDER BY u.id",
            (cell_id,),
        )
        return [(r["channel"], r["user_key"]) for r in rows]

    async def note_use(
        self, user_id: int, channel: str, user_key: str, app_locale: str | None = None
    ) -> None:
        """Remember the chat a user wrote from last and their app's language (a write only
        when either changes); writing again also ends a mark that their chat was unreachable."""
        used = self._used.pop(user_id, None)  # as `find` read it this turn, if it did
        if used is not None and used[:2] == (channel, user_key) and used[3] is None \
                and app_locale in (None, used[2]):
            return  # nothing would change: no statement at all
        await self._db.write(
            "UPDATE users SET last_channel = :channel, last_user_key = :key,"
            " unreachable_since = NULL, app_locale = COALESCE(:locale, app_locale)"
            " WHERE id = :id AND (last_channel IS NULL OR last_user_key IS NULL"
            " OR last_channel <> :channel OR last_user_key <> :key"
            " OR unreachable_since IS NOT NULL"
            " OR (:locale IS NOT NULL AND (app_locale IS NULL OR app_locale <> :locale)))",
            {"channel": channel, "key": user_key, "id": user_id, "locale": app_locale},
        )

    async def reach(self, user_id: int) -> tuple[str, str] | None:
        """Return the (channel, user_key) to send the bot's own messages to: the last used."""
        row = await self._db.fetch_one(
            f"SELECT {REACH_COLUMNS} FROM users u{REACH_OF_USER} WHERE u.id = ?", (user_id,))
        return None if row is None else (row["channel"], row["user_key"])


class InviteRepository:
    def __init__(self, db: Database):
        self._db = db

    async def create(self, role: Role, unit_id: int, now: datetime, days: int,
                     also: Sequence[Rider] = ()) -> str:
        """Store a new single-use invite and return its code (only its hash is kept)."""
        code = new_invite_code()
        await self._db.write(
            "INSERT INTO invites (code_hash, role, unit_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (_hash(code), role.value, unit_id, timestamp(now),
             timestamp(now + timedelta(days=days))),
            also=also,
        )
        return code

    async def redeem(
        self, code: str, channel: str, user_key: str, now: datetime,
        display_name: str | None = None,
    ) -> tuple[str, Grant | None]:
        """Use a code for this chat identity. Return (status, grant).

        status is "ok", "unknown", "expired", "used", or "mine" when this very identity used
        it before (a code sent twice). Redeeming creates the user and the grant in the same
        transaction as marking the code used, so a code works exactly once. The profile's
        `display_name`, if any, is kept for the organisers' list of cells not reported.
        """
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT role, unit_id, expires_at, used_at, used_by FROM invites"
                " WHERE code_hash = ?",
                (_hash(code),),
            )
            invite = await cursor.fetchone()
            if invite is None:
                return "unknown", None
            if invite["used_at"] is not None:
                if invite["used_by"] == await account_of(conn, channel, user_key):
                    return "mine", Grant(Role(invite["role"]), invite["unit_id"])
                return "used", None
            if datetime.fromisoformat(invite["expires_at"]) <= now:
                return "expired", None
            user_id = await _ensure_user(conn, channel, user_key, now)
            await conn.execute(
                "INSERT INTO user_roles (user_id, role, unit_id, granted_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (user_id, invite["role"], invite["unit_id"], timestamp(now)),
            )
            name = " ".join((display_name or "").split())[:MAX_DISPLAY_NAME]
            if name:
                await conn.execute(
                    "UPDATE users SET display_name = ? WHERE id = ?", (name, user_id)
                )
            await conn.execute(
                "UPDATE invites SET used_by = ?, used_at = ? WHERE code_hash = ?",
                (user_id, timestamp(now), _hash(code)),
            )
        return "ok", Grant(Role(invite["role"]), invite["unit_id"])

    async def record_failure(self, channel: str, user_key: str, now: datetime) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM failed_starts WHERE at < ?", (timestamp(now - timedelta(days=1)),)
            )
            await conn.execute(
                "INSERT INTO failed_starts (channel, user_key, at) VALUES (?, ?, ?)",
                (channel, user_key, timestamp(now)),
            )

    async def recent_failures(
        self, channel: str, user_key: str, now: datetime, window: timedelta
    ) -> int:
        count = await self._db.scalar(
            "SELECT COUNT(*) FROM failed_starts WHERE channel = ? AND user_key = ? AND at >= ?",
            (channel, user_key, timestamp(now - window)),
        )
        return int(count or 0)

    async def failures_everywhere(self, now: datetime, window: timedelta) -> tuple[int, int]:
        """Count the wrong codes of every chat together within `window`, and their chats."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS failures, COUNT(DISTINCT channel || ':' || user_key) AS chats"
            " FROM failed_starts WHERE at >= ?",
            (timestamp(now - window),),
        )
        return (0, 0) if row is None else (int(row["failures"]), int(row["chats"]))

    async def claim_alarm(self, now: datetime, window: timedelta, failures: int,
                          chats: int) -> bool:
        """Claim the warning about guessing, unless one was given within `window`."""
        return bool(await self._db.write(
            "INSERT INTO guessing_alarms (at, failures, chats) SELECT ?, ?, ?"
            " WHERE NOT EXISTS (SELECT 1 FROM guessing_alarms WHERE at > ?) RETURNING id",
            (timestamp(now), failures, chats, timestamp(now - window)),
        ))
