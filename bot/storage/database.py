"""One aiosqlite connection per process: WAL, foreign keys, numbered append-only migrations."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

Params = Sequence[Any] | dict[str, Any]


class Database:
    """Wrap the connection; every multi-row write goes through `transaction()`."""

    def __init__(self, connection: aiosqlite.Connection):
        self._conn = connection
        # One writer at a time: coroutines share the connection, and an open transaction
        # must not swallow another coroutine's statements.
        self._write_lock = asyncio.Lock()
        self._writer: asyncio.Task[object] | None = None

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating if needed) and migrate the database at `path`."""
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA busy_timeout = 5000")
        if str(path) != ":memory:":
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
        db = cls(conn)
        await db.migrate()
        return db

    async def close(self) -> None:
        await self._conn.close()

    async def migrate(self) -> int:
        """Apply every migration above PRAGMA user_version; return the new version."""
        version = 0
        for number, sql in _migrations():
            async with self.transaction() as conn:
                # Read inside the write lock: another process (a cron backup, an `invite`)
                # may have applied this migration since we last looked.
                cursor = await conn.execute("PRAGMA user_version")
                row = await cursor.fetchone()
                version = int(row[0]) if row else 0
                if number <= version:
                    continue
                for statement in _split_sql(sql):
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {number}")
                version = number
        return version

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run a block in BEGIN IMMEDIATE … COMMIT, rolled back on any error."""
        if self._writer is not None and self._writer is asyncio.current_task():
            # Waiting for our own lock would hang forever: say where the bug is instead.
            raise RuntimeError("nested transaction: write inside transaction() with its conn")
        async with self._write_lock:
            self._writer = asyncio.current_task()
            try:
                if self._conn.in_transaction:  # left open by an earlier failure: start clean
                    await self._rollback()
                await self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                await self._conn.execute("COMMIT")
            except BaseException:
                # Shielded: a cancelled task must still leave the shared connection usable.
                await asyncio.shield(self._rollback())
                raise
            finally:
                self._writer = None

    async def _rollback(self) -> None:
        """Roll back whatever is open, even a BEGIN still queued by a cancelled task.

        aiosqlite runs statements in order on one thread, so a ROLLBACK queued now runs
        after such a BEGIN; when nothing is open, SQLite says so and that is fine.
        """
        with contextlib.suppress(aiosqlite.OperationalError):  # no transaction was active
            await self._conn.execute("ROLLBACK")

    async def backup_to(self, target: Path) -> None:
        """Copy the whole database to `target` while the bot keeps running (SQLite backup API)."""
        copy = await aiosqlite.connect(str(target))
        try:
            await self._conn.backup(copy)
        finally:
            await copy.close()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        async with self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def write(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction; return lastrowid."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.lastrowid or 0

    async def write_many(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)


def timestamp(moment: datetime) -> str:
    """Store a moment as UTC ISO text, so text comparisons in SQL follow time order."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be aware datetimes")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _migrations() -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for entry in resources.files("bot.storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _ in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError("two migrations share a number")
    return found


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements: migrations hold no triggers and no `;` in strings."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
