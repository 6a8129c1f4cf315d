"""The database itself: readers apart from the writer, the storage's own errors, portable SQL."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest

from bot.domain.org import Role
from bot.storage.database import Database
from bot.storage.errors import Conflict, NotFound, StorageError
from bot.storage.users import UserRepository
from tests.support import Clock, World

STORAGE = Path(__file__).resolve().parents[2] / "bot" / "storage"


async def test_an_uncommitted_write_is_invisible_to_a_concurrent_reader(db: Database) -> None:
    inserted = asyncio.Event()
    finish = asyncio.Event()

    async def write_then_fail() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO org_units (kind, name) VALUES ('unit', 'Nháp')")
            inserted.set()
            await finish.wait()
            raise RuntimeError("the other user's save fails after all")

    writer = asyncio.create_task(write_then_fail())
    await inserted.wait()
    # Another user's coroutine reads while the transaction is open: it sees nothing of it.
    assert await db.scalar("SELECT COUNT(*) FROM org_units WHERE name = 'Nháp'") == 0
    assert await db.fetch_all("SELECT name FROM org_units") == []
    finish.set()
    with pytest.raises(RuntimeError):
        await writer
    assert await db.scalar("SELECT COUNT(*) FROM org_units WHERE name = 'Nháp'") == 0


async def test_a_committed_write_is_seen_by_the_next_read(db: Database) -> None:
    await db.write("INSERT INTO org_units (kind, name) VALUES ('unit', 'A')")
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO org_units (kind, name) VALUES ('unit', 'B')")
    assert await db.scalar("SELECT group_concat(name) FROM org_units ORDER BY id") == "A,B"


async def test_readers_cannot_write(db: Database) -> None:
    with pytest.raises(StorageError):
        await db.fetch_all("INSERT INTO org_units (kind, name) VALUES ('unit', 'X') RETURNING id")
    assert await db.scalar("SELECT COUNT(*) FROM org_units") == 0


async def test_a_write_returns_the_rows_it_returns(db: Database) -> None:
    [row] = await db.write("INSERT INTO org_units (kind, name) VALUES ('unit', 'A') RETURNING id")
    assert await db.scalar("SELECT name FROM org_units WHERE id = ?", (row["id"],)) == "A"
    assert await db.write("UPDATE org_units SET name = 'B'") == []


async def test_a_broken_uniqueness_rule_is_a_conflict_not_a_driver_error(db: Database) -> None:
    await db.write("INSERT INTO org_units (kind, name, code) VALUES ('cell', 'A', 'X-01')")
    with pytest.raises(Conflict) as alone:
        await db.write("INSERT INTO org_units (kind, name, code) VALUES ('cell', 'B', 'X-01')")
    with pytest.raises(Conflict) as within:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO org_units (kind, name) VALUES ('unit', 'C')")
            await conn.execute(
                "INSERT INTO org_units (kind, name, code) VALUES ('cell', 'D', 'X-01')")
    for error in (alone.value, within.value):
        assert not isinstance(error, sqlite3.Error)
    assert await db.scalar("SELECT group_concat(name) FROM org_units") == "A"


async def test_a_missing_row_referred_to_is_not_found(
    db: Database, world: World, clock: Clock
) -> None:
    users = UserRepository(db)
    user_id = await users.ensure("test", "new", clock())
    with pytest.raises(NotFound):
        await users.grant(user_id, Role.STAFF, 987654, clock())  # no such unit
    user = await users.find("test", "new")
    assert user is not None and user.grants == ()


async def test_a_broken_statement_is_a_storage_error(db: Database) -> None:
    with pytest.raises(StorageError) as error:
        await db.fetch_all("SELECT nothing FROM nowhere")
    assert not isinstance(error.value, sqlite3.Error)
    await db.write("INSERT INTO org_units (kind, name) VALUES ('unit', 'A')")  # still usable


async def test_an_in_memory_database_reads_through_its_only_connection() -> None:
    db = await Database.open(":memory:")
    await db.write("INSERT INTO org_units (kind, name) VALUES ('unit', 'A')")
    assert await db.scalar("SELECT name FROM org_units") == "A"
    await db.close()


async def test_the_secretaries_of_a_cell_are_found_by_index(db: Database, world: World) -> None:
    plan = await db.fetch_all(
        "EXPLAIN QUERY PLAN SELECT u.channel, u.user_key FROM users u"
        " JOIN user_roles r ON r.user_id = u.id WHERE r.role = 'secretary' AND r.unit_id = ?",
        (world.cell_ids["TL-01"],),
    )
    steps = " / ".join(row["detail"] for row in plan)
    assert "user_roles_unit" in steps and "SCAN r" not in steps, steps


def test_repositories_keep_to_sql_another_engine_can_run() -> None:
    # SQLite-only spellings a PostgreSQL backend would refuse, and their portable forms.
    forbidden = {
        r"lastrowid": "RETURNING id",
        r"INSERT\s+OR\s+(IGNORE|REPLACE)": "ON CONFLICT … DO NOTHING / DO UPDATE",
        r"REPLACE\s+INTO": "ON CONFLICT … DO UPDATE",
        r"\bIS\s+(NOT\s+)?\?": "= ? (or IS NULL written out)",
    }
    found = []
    for path in sorted(STORAGE.rglob("*.py")) + sorted(STORAGE.rglob("*.sql")):
        text = path.read_text(encoding="utf-8")
        for pattern, instead in forbidden.items():
            for match in re.finditer(pattern, text, flags=re.IGNORECASE):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.name}:{line}: {match.group(0)!r}, use {instead}")
    assert found == []


async def test_a_write_waits_for_another_process_without_holding_up_the_bot(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "chibo.sqlite3")
    other = sqlite3.connect(tmp_path / "chibo.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # e.g. `org import` running in another process
        other.execute("INSERT INTO org_units (kind, name) VALUES ('unit', 'Khác')")
        writing = asyncio.create_task(
            db.write("INSERT INTO org_units (kind, name) VALUES ('unit', 'Bot')"))
        await asyncio.sleep(0.05)
        assert not writing.done()  # it waits, on the writer's thread…
        assert await db.lookup("SELECT COUNT(*) AS n FROM org_units") is not None  # …not ours
        other.execute("COMMIT")
        await asyncio.wait_for(writing, 5)
        rows = await db.lookup_all("SELECT name FROM org_units ORDER BY id")
        assert [r["name"] for r in rows] == ["Khác", "Bot"]
    finally:
        other.close()
        await db.close()


async def test_writes_and_lookups_see_each_other_and_the_writers_commits(db: Database) -> None:
    await db.write("INSERT INTO org_units (kind, name) VALUES ('unit', 'A')")
    row = await db.lookup("SELECT name FROM org_units")
    assert row is not None and row["name"] == "A"
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO org_units (kind, name) VALUES ('unit', 'B')")
        assert [r["name"] for r in await db.lookup_all("SELECT name FROM org_units")] == ["A"]
    assert len(await db.lookup_all("SELECT name FROM org_units")) == 2


async def test_the_loop_connection_keeps_foreign_keys(db: Database) -> None:
    with pytest.raises(NotFound):
        await db.write("INSERT INTO user_roles (user_id, role, unit_id, granted_at)"
                       " VALUES (424242, 'staff', 424242, 'now')")

