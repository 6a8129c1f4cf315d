"""Linking a person's chats on two channels into one account, with a one-time code."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import aiosqlite

from bot.storage.database import Database, timestamp
from bot.storage.users import CODE_ALPHABET, account_of

LINK_CODE_LENGTH = 8  # typed by hand on a phone; it lives minutes and failures are counted
LINK_CODE_LIFETIME = timedelta(minutes=30)


def normalise_link_code(code: str) -> str:
    """Return the code as stored: capitals, without the spaces or dashes people type."""
    return "".join(c for c in code.upper() if c not in " -")


def looks_like_link_code(code: str) -> bool:
    folded = normalise_link_code(code)
    return len(folded) == LINK_CODE_LENGTH and all(c in CODE_ALPHABET for c in folded)


def format_link_code(code: str) -> str:
    """Show a code in two halves, "ABCD-EFGH", easier to copy by eye."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def _hash(code: str) -> str:
    return hashlib.sha256(normalise_link_code(code).encode()).hexdigest()


class LinkStatus(StrEnum):
    LINKED = "linked"
    UNKNOWN = "unknown"  # no such code (or a typo)
    EXPIRED = "expired"
    USED = "used"
    SAME_ACCOUNT = "same_account"  # this chat is already part of the account
    CHANNEL_TAKEN = "channel_taken"  # the account already has a chat on this channel
    LINKED_ELSEWHERE = "linked_elsewhere"  # this chat is linked to another account


@dataclass(frozen=True)
class LinkResult:
    status: LinkStatus
    dropped_conversation: bool = False  # this chat's own unfinished conversation was closed


class LinkRepository:
    def __init__(self, db: Database):
        self._db = db

    async def create_code(self, user_id: int, now: datetime) -> str:
        """Store a new one-time code for `user_id`'s account; return it (only a hash is kept)."""
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(LINK_CODE_LENGTH))
        await self._db.write(
            "INSERT INTO link_codes (code_hash, user_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (_hash(code), user_id, timestamp(now), timestamp(now + LINK_CODE_LIFETIME)),
        )
        return code

    async def redeem(self, code: str, channel: str, user_key: str, now: datetime) -> LinkResult:
        """Join this chat identity to the account that made `code`, in one transaction.

        The chat's own account, if it had one, hands over its roles (one set of roles) and
        loses its unfinished conversation (one open conversation: the linked account's).
        """
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT user_id, expires_at, used_at FROM link_codes WHERE code_hash = ?",
                (_hash(code),),
            )
            row = await cursor.fetchone()
            if row is None:
                return LinkResult(LinkStatus.UNKNOWN)
            target = int(row["user_id"])
            current = await account_of(conn, channel, user_key)
            if current == target:
                return LinkResult(LinkStatus.SAME_ACCOUNT)
            if row["used_at"] is not None:
                return LinkResult(LinkStatus.USED)
            if datetime.fromisoformat(row["expires_at"]) <= now:
                return LinkResult(LinkStatus.EXPIRED)
            if await _has_channel(conn, target, channel):
                return LinkResult(LinkStatus.CHANNEL_TAKEN)
            dropped = False
            if current is not None:
                if await _is_linked(conn, channel, user_key) or await _has_links(conn, current):
                    return LinkResult(LinkStatus.LINKED_ELSEWHERE)
                dropped = await _hand_over(conn, current, target)
            await conn.execute(
                "INSERT INTO user_links (channel, user_key, user_id, linked_at)"
                " VALUES (?, ?, ?, ?)",
                (channel, user_key, target, timestamp(now)),
            )
            await conn.execute(
                "UPDATE users SET last_channel = ?, last_user_key = ? WHERE id = ?",
                (channel, user_key, target),
            )
            await conn.execute("UPDATE link_codes SET used_at = ? WHERE code_hash = ?",
                               (timestamp(now), _hash(code)))
        return LinkResult(LinkStatus.LINKED, dropped)


async def _has_channel(conn: aiosqlite.Connection, user_id: int, channel: str) -> bool:
    cursor = await conn.execute(
        "SELECT 1 FROM users WHERE id = ? AND channel = ?"
        " UNION ALL SELECT 1 FROM user_links WHERE user_id = ? AND channel = ?",
        (user_id, channel, user_id, channel),
    )
    return await cursor.fetchone() is not None


async def _is_linked(conn: aiosqlite.Connection, channel: str, user_key: str) -> bool:
    cursor = await conn.execute(
        "SELECT 1 FROM user_links WHERE channel = ? AND user_key = ?", (channel, user_key))
    return await cursor.fetchone() is not None


async def _has_links(conn: aiosqlite.Connection, user_id: int) -> bool:
    cursor = await conn.execute("SELECT 1 FROM user_links WHERE user_id = ?", (user_id,))
    return await cursor.fetchone() is not None


async def _hand_over(conn: aiosqlite.Connection, source: int, target: int) -> bool:
    """Give `source`'s roles to `target` and close its conversation; True if one was open."""
    await conn.execute(
        "INSERT INTO user_roles (user_id, role, unit_id, granted_at)"
        " SELECT ?, role, unit_id, granted_at FROM user_roles WHERE user_id = ?"
        " ON CONFLICT DO NOTHING",
        (target, source),
    )
    await conn.execute("DELETE FROM user_roles WHERE user_id = ?", (source,))
    cursor = await conn.execute(
        "DELETE FROM conversations WHERE user_id = ? RETURNING ended", (source,))
    return any(row["ended"] is None for row in await cursor.fetchall())  # one under way
