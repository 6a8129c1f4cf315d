"""SQLite: one writer at a time, separate readers (WAL), numbered append-only migrations.

    transaction() ── BEGIN IMMEDIATE … COMMIT on the writer connection (aiosqlite, its own
                     thread), behind the process's write lock, for writes that belong together
    write()       ── one statement, atomic by itself: run at once on the event loop's thread
                     (under the same lock), or on the writer's thread when another process
                     holds the database's write lock, so the bot never waits for it; with
                     riders (`also=`), in one BEGIN IMMEDIATE … COMMIT with them, there too
    fetch_*()     ── reader connections on their own threads, for anything that scans
    snapshot()    ── one reader held for several queries: one state of the database, and
                     temporary tables of its own to share what they have in common
    lookup*()     ── a query by key (a handful of rows by an index) on the event loop's thread

WAL lets every reader see only committed data: one user's read never sees another's open
transaction (those exist only on the writer connection). A call to a connection's thread costs
a round trip of tens of µs; a lookup or a write on the loop's thread a few µs, which is why
they exist. Driver errors leave this module as the storage's own (`Conflict`, `NotFound`,
`StorageError`). An in-memory database has one connection only: there everything goes
through the writer (tests of isolation use a file).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.errors import Conflict, NotFound, Stale, StorageError

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
READERS = 2  # a long read (a province summary) then holds up no point query
# Writes on the loop's thread never checkpoint themselves (that can wait for the disk); the
# writer thread moves the WAL into the database after this many of them.
CHECKPOINT_EVERY = 500

Params = Sequence[Any] | dict[str, Any]
Row = aiosqlite.Row


@dataclass
class Rider:
    """A statement that rides along with another write, in its transaction.

    It must change exactly one row, or the whole write is refused (`Stale`): the end of a
    conversation, conditional on the version the save was computed from, rides along with
    the save, so that a report is saved and its conversation ended together or not at all.
    """

    sql: str
    params: Params
    committed: bool = False  # set once the transaction it rode in is committed


class Database:
    """The writer connection and its lock, reader connections, and one on the loop's thread."""

    def __init__(
        self,
        writer: aiosqlite.Connection,
        readers: Sequence[aiosqlite.Connection],
        here: sqlite3.Connection | None = None,
    ):
        self._conn = writer
        self._here = here  # used on the event loop's thread only: lookups and single writes
        self._writes_here = 0
        # One writer at a time: coroutines share the connection, and an open transaction
        # must not swallow another coroutine's statements.
        self._write_lock = asyncio.Lock()
        self._writer: asyncio.Task[object] | None = None
        self._readers = tuple(readers)
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for reader in self._readers:
            self._idle.put_nowait(reader)

    @classmethod
    async def open(cls, path: Path | str, readers: int = READERS) -> Database:
        """Open (creating if needed) and migrate the database at `path`."""
        in_memory = str(path) == ":memory:"
        writer = await _connect(path)
        try:
            if not in_memory:
                await _use_wal(writer)
                await writer.execute("PRAGMA synchronous = NORMAL")
            await cls(writer, ()).migrate()
            pool = [] if in_memory else [await _connect(path, read_only=True)
                                         for _ in range(readers)]
        except BaseException:
            await writer.close()
            raise
        return cls(writer, pool, None if in_memory else _connect_here(path))

    async def close(self) -> None:
        if self._here is not None:
            self._here.close()
        for reader in self._readers:
            await reader.close()
        await self._conn.close()

    async def migrate(self) -> int:
        """Apply every migration not yet recorded as applied; return the highest number.

        Applied numbers are recorded one by one, not as a high-water mark: migrations are
        numbered in ranges by feature, and one that lands after a higher number must still
        run. A database from before this record counts every number up to its user_version.
        """
        async with self.transaction() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY)")
            await conn.execute(
                "INSERT INTO schema_migrations (number) SELECT value FROM"
                " (WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n"
                "  WHERE value < (SELECT user_version FROM pragma_user_version))"
                "  SELECT value FROM n WHERE (SELECT user_version FROM pragma_user_version) > 0)"
                " WHERE NOT EXISTS (SELECT 1 FROM schema_migrations)")
        for number, sql in _migrations():
            async with self.transaction() as conn:
                # Read inside the write lock: another process (a cron backup, an `invite`)
                # may have applied this migration since we last looked.
                cursor = await conn.execute(
                    "SELECT 1 FROM schema_migrations WHERE number = ?", (number,))
                if await cursor.fetchone() is not None:
                    continue
                for statement in _split_sql(sql):
                    await conn.execute(statement)
                await conn.execute("INSERT INTO schema_migrations (number) VALUES (?)", (number,))
                cursor = await conn.execute("SELECT user_version FROM pragma_user_version")
                row = await cursor.fetchone()
                if row is None or int(row[0]) < number:
                    await conn.execute(f"PRAGMA user_version = {number}")
        return int(await self.scalar("SELECT MAX(number) FROM schema_migrations") or 0)

    # Writing -----------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(
        self, also: Sequence[Rider] = ()
    ) -> AsyncIterator[aiosqlite.Connection]:
        """Run a block in BEGIN IMMEDIATE … COMMIT, rolled back on any error.

        The riders run last, before the COMMIT; one that changes no row refuses it all.
        """
        async with self._writing(), self._on_writer() as conn:
            yield conn
            for rider in also:
                cursor = await conn.execute(rider.sql, rider.params)
                if cursor.rowcount != 1:
                    raise Stale("a statement riding along found its row changed")
        for rider in also:
            rider.committed = True

    async def write(self, sql: str, params: Params = (), also: Sequence[Rider] = ()) -> list[Row]:
        """Run one statement (and its riders) as a transaction; return the rows it RETURNs.

        It runs at once on the loop's thread, unless another process is writing: then on
        the writer's thread, which waits for it.
        """
        if self._here is not None:
            if self._write_lock.locked():  # a transaction is open: after it
                async with self._writing():
                    rows = self._write_here(sql, params, also)
            else:  # nobody writes: no await until it is done, so nobody comes in between
                rows = self._write_here(sql, params, also)
            if rows is not None:
                await self._checkpoint_now_and_then()
                return rows
        if not also:
            async with self._writing():
                with _translated():
                    return list(await self._conn.execute_fetchall(sql, params))
        async with self.transaction(also) as conn:
            with _translated():
                return list(await conn.execute_fetchall(sql, params))

    def _write_here(self, sql: str, params: Params, also: Sequence[Rider]) -> list[Row] | None:
        """Write on the loop's thread; None when another process is writing (do not wait)."""
        assert self._here is not None
        try:
            with _translated():
                rows = _write_on(self._here, sql, params, also)
        except _Busy:
            return None
        for rider in also:
            rider.committed = True
        return rows

    async def _checkpoint_now_and_then(self) -> None:
        self._writes_here += 1
        if self._writes_here % CHECKPOINT_EVERY == 0:
            async with self._writing():
                with _translated():
                    await self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    @asynccontextmanager
    async def _on_writer(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT on the writer's thread (the write lock is held)."""
        try:
            with _translated():
                await self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                await self._conn.execute("COMMIT")
        except BaseException:
            # Shielded: a cancelled task must still leave the shared connection usable.
            await asyncio.shield(self._rollback())
            raise

    async def write_many(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        """Hold the writer: the lock, on a connection with nothing left open."""
        if self._writer is not None and self._writer is asyncio.current_task():
            # Waiting for our own lock would hang forever: say where the bug is instead.
            raise RuntimeError("nested transaction: write inside transaction() with its conn")
        async with self._write_lock:
            self._writer = asyncio.current_task()
            try:
                if self._conn.in_transaction:  # left open by an earlier failure: start clean
                    await self._rollback()
                yield
            finally:
                self._writer = None

    async def _rollback(self) -> None:
        """Roll back whatever is open, even a BEGIN still queued by a cancelled task.

        aiosqlite runs statements in order on one thread, so a ROLLBACK queued now runs
        after such a BEGIN; when nothing is open, SQLite says so and that is fine.
        """
        with contextlib.suppress(aiosqlite.OperationalError):  # no transaction was active
            await self._conn.execute("ROLLBACK")

    # Reading -----------------------------------------------------------------------------

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._reading() as conn:
            with _translated():
                return list(await conn.execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def lookup_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query by key (an indexed lookup of a few rows) without leaving this thread.

        Never for a scan or a summary: the whole bot waits while it runs.
        """
        if self._here is not None:
            try:
                with _translated():
                    return self._here.execute(sql, params).fetchall()
            except _Busy:  # rare for a reader (a recovery after a crash): wait elsewhere
                pass
        return await self.fetch_all(sql, params)

    async def lookup(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.lookup_all(sql, params)
        return rows[0] if rows else None

    async def backup_to(self, target: Path) -> None:
        """Copy the committed database to `target` while the bot keeps running."""
        copy = await aiosqlite.connect(str(target))
        try:
            async with self._reading() as conn:
                await conn.backup(copy)
        finally:
            await copy.close()

    @asynccontextmanager
    async def snapshot(self, temp_tables: Sequence[str] = ()) -> AsyncIterator[Snapshot]:
        """Hold one reader for several queries that see one state of the database.

        `temp_tables` are `CREATE TEMP TABLE IF NOT EXISTS …` statements: the queries may
        fill those tables (a scope walked once, then joined by each), and whatever they put
        there is gone at the end, with the read transaction, rolled back.
        """
        async with contextlib.AsyncExitStack() as stack:
            if not self._readers:  # in memory, the writer is the only connection: hold it
                await stack.enter_async_context(self._writing())
            conn = await stack.enter_async_context(self._reading())
            with _translated():
                for statement in temp_tables:  # before BEGIN: created once per connection
                    await conn.execute(statement)
                await conn.execute("BEGIN")
            try:
                yield Snapshot(conn)
            finally:
                await asyncio.shield(self._end_snapshot(conn))

    @staticmethod
    async def _end_snapshot(conn: aiosqlite.Connection) -> None:
        with contextlib.suppress(aiosqlite.OperationalError):  # SQLite ended it already
            await conn.execute("ROLLBACK")

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[aiosqlite.Connection]:
        if not self._readers:
            yield self._conn
            return
        reader = await self._idle.get()
        try:
            yield reader
        finally:
            self._idle.put_nowait(reader)


class Snapshot:
    """Queries on one reader inside one read transaction (`Database.snapshot`)."""

    def __init__(self, conn: aiosqlite.Connection):
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> None:
        """Run a statement that fills a temporary table (the database itself is read-only)."""
        with _translated():
            await self._conn.execute(sql, params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        with _translated():
            return list(await self._conn.execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None


async def _connect(path: Path | str, read_only: bool = False) -> aiosqlite.Connection:
    """Open a connection; a reader opens the file read-only (it may still keep temporary
    tables, which live apart from the file)."""
    if read_only:
        conn = await aiosqlite.connect(_read_only_uri(path), uri=True, isolation_level=None)
    else:
        conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA busy_timeout = 5000")
    if read_only:
        await conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def _read_only_uri(path: Path | str) -> str:
    return f"{Path(path).absolute().as_uri()}?mode=ro"


WAL_TRIES = 100  # 10 s: as long as another process may take to apply a migration


async def _use_wal(conn: aiosqlite.Connection) -> None:
    """Put the database in WAL mode, waiting while another process holds it.

    Changing the journal mode takes a lock that the busy timeout does not wait for: a second
    process opening the file while the first migrates it would fail with "locked".
    """
    for attempt in range(WAL_TRIES):
        try:
            cursor = await conn.execute("PRAGMA journal_mode")
            row = await cursor.fetchone()
            if row is not None and str(row[0]).lower() == "wal":
                return  # already: nothing to change (the usual case, and lock-free)
            await conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == WAL_TRIES - 1:
                raise
            await asyncio.sleep(0.1)


def _write_on(conn: sqlite3.Connection, sql: str, params: Params,
              also: Sequence[Rider]) -> list[Any]:
    """Run a statement, and its riders with it in one transaction, on `conn` (never waits)."""
    if not also:
        return conn.execute(sql, params).fetchall()
    conn.execute("BEGIN IMMEDIATE")  # busy: raised before anything is begun
    try:
        rows = conn.execute(sql, params).fetchall()
        for rider in also:
            if conn.execute(rider.sql, rider.params).rowcount != 1:
                raise Stale("a statement riding along found its row changed")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return rows


def _connect_here(path: Path | str) -> sqlite3.Connection:
    """Open the connection of the event loop's thread: it must never wait."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 0")  # busy: the caller goes to a thread instead
    conn.execute("PRAGMA synchronous = NORMAL")  # per connection: no fsync at each commit
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # the writer thread checkpoints
    return conn


class _Busy(StorageError):
    """The database is locked by another connection (the loop's thread must not wait)."""


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    """Turn the driver's errors into the storage's own."""
    try:
        yield
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorcode", 0) & 0xFF in (sqlite3.SQLITE_BUSY,
                                                             sqlite3.SQLITE_LOCKED):
            raise _Busy() from error
        raise StorageError(f"{type(error).__name__}: {error}") from error
    except sqlite3.IntegrityError as error:
        if getattr(error, "sqlite_errorname", "") == "SQLITE_CONSTRAINT_FOREIGNKEY":
            raise NotFound(str(error)) from error
        raise Conflict(str(error)) from error
    except sqlite3.Error as error:
        raise StorageError(f"{type(error).__name__}: {error}") from error


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
    """Split a migration into statements at each `;` (migrations hold none in strings nor
    comments), a trigger's body with its trigger (it ends with END)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    statements: list[str] = []
    for piece in "\n".join(lines).split(";"):
        if statements and _open_trigger(statements[-1]):
            statements[-1] += ";" + piece
        elif piece.strip():
            statements.append(piece)
    return [s.strip() for s in statements if s.strip()]


def _open_trigger(statement: str) -> bool:
    words = statement.split()
    return words[:2] == ["CREATE", "TRIGGER"] and words[-1] != "END"
