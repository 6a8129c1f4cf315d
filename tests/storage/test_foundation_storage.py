"""Migrations, the org tree, users, invites and saved conversations against SQLite."""

from __future__ import annotations

import sqlite3
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.domain.org import CellRow, OrgCsvError, Role
from bot.storage.conversations import CLOSED, ConversationState, ConversationStore
from bot.storage.database import Database, _migrations
from bot.storage.org import OrgRepository
from bot.storage.users import InviteRepository, UserRepository
from tests.support import Clock, World


async def test_migrations_run_once_and_set_the_user_version(tmp_path: Path) -> None:
    path = tmp_path / "chibo.sqlite3"
    db = await Database.open(path)
    version = await db.scalar("PRAGMA user_version")
    assert version >= 1
    assert await db.scalar("PRAGMA journal_mode") == "wal"
    assert await db.scalar("PRAGMA foreign_keys") == 1
    await db.close()
    again = await Database.open(path)  # a restart applies nothing twice
    assert await again.scalar("PRAGMA user_version") == version
    await again.close()


async def test_a_failed_transaction_writes_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO org_units (kind, name) VALUES ('unit', 'X')")
            raise RuntimeError("boom")
    assert await db.scalar("SELECT COUNT(*) FROM org_units") == 0


async def test_reimporting_updates_counts_and_never_duplicates(db: Database) -> None:
    org = OrgRepository(db)
    rows = [CellRow(2, ("H", "X", "Ấp 1"), "X-01", 10, 1, 0),
            CellRow(3, ("H", "X", "Ấp 2"), "X-02", 12, 0, 1)]
    first = await org.import_cells(rows)
    assert (first.created, first.updated) == (2, 0)
    again = await org.import_cells([CellRow(2, ("H", "X", "Ấp 1"), "X-01", 15, 0, 2)])
    assert (again.created, again.updated) == (0, 1)
    cell = await org.by_code("x-01")
    assert cell is not None and (cell.full_members, cell.exempt_members) == (15, 2)
    assert await db.scalar("SELECT COUNT(*) FROM org_units") == 4  # H, X and two cells


async def test_a_cell_moved_by_a_merger_keeps_its_id(db: Database) -> None:
    org = OrgRepository(db)
    await org.import_cells([CellRow(2, ("Huyện Cần Đước", "Xã Phước Đông", "Ấp 1"), "PD-01",
                                    10, 0, 0)])
    before = await org.by_code("PD-01")
    await org.import_cells([CellRow(2, ("Tỉnh Tây Ninh", "Xã Tân Lân", "Ấp 1"), "PD-01",
                                    10, 0, 0)])
    after = await org.by_code("PD-01")
    assert before is not None and after is not None and before.id == after.id
    assert await org.path_names(after.id) == ["Tỉnh Tây Ninh", "Xã Tân Lân", "Ấp 1"]


async def test_an_import_that_fails_midway_writes_nothing(db: Database) -> None:
    org = OrgRepository(db)
    await org.import_cells([CellRow(2, ("H", "X", "Ấp 1"), "X-01", 10, 0, 0)])
    bad = [CellRow(2, ("H", "Y", "Ấp 1"), "Y-01", 5, 0, 0),
           CellRow(3, ("H", "X", "Ấp 1", "Tổ 1"), "X-T1", 5, 0, 0)]  # under a cell
    with pytest.raises(OrgCsvError) as error:
        await org.import_cells(bad)
    assert error.value.line == 3
    assert await org.by_code("Y-01") is None


async def test_every_bad_line_of_an_import_is_reported_and_nothing_written(
    db: Database,
) -> None:
    org = OrgRepository(db)
    await org.import_cells([CellRow(2, ("H", "X", "Ấp 1"), "X-01", 10, 0, 0)])
    bad = [CellRow(2, ("H", "Y", "Ấp 1"), "Y-01", 5, 0, 0),
           CellRow(3, ("H", "X", "Ấp 1", "Tổ 1"), "X-T1", 5, 0, 0),  # under a cell
           CellRow(4, ("H", "Z", "Ấp 2"), "Z-02", 5, 0, 0),
           CellRow(5, ("H", "X", "ấp 1"), "X-99", 5, 0, 0)]  # X-01's name in another case
    with pytest.raises(OrgCsvError) as error:
        await org.import_cells(bad)
    assert [p.line for p in error.value.problems] == [3, 5]
    assert "X-01" in error.value.problems[1].problem
    assert await org.by_code("Y-01") is None and await org.by_code("Z-02") is None


async def test_an_import_finds_units_by_name_in_any_case(db: Database, world: World) -> None:
    org = OrgRepository(db)
    result = await org.import_cells([
        CellRow(2, ("huyện cần đước", "XÃ TÂN LÂN", "Chi bộ ấp Mới"), "TL-09", 9, 0, 0),
        # the same letters decomposed (NFD), as some keyboards and files write them
        CellRow(3, (unicodedata.normalize("NFD", "Huyện Cần Đước"), "Xã  Tân Lân",
                    "Chi bộ ấp Cũ"), "TL-10", 9, 0, 0),
    ])
    assert result.created == 2
    roots = await db.fetch_all("SELECT name FROM org_units WHERE parent_id IS NULL")
    assert [r["name"] for r in roots] == ["Huyện Cần Đước"]  # no second root
    for code in ("TL-09", "TL-10"):
        cell = await org.by_code(code)
        assert cell is not None and cell.parent_id == world.commune_id
    found = await org.by_path(["HUYỆN CẦN ĐƯỚC", "xã tân lân"])
    assert found is not None and found.id == world.commune_id and found.name == "Xã Tân Lân"


async def test_scopes_are_subtrees(db: Database, world: World) -> None:
    org = OrgRepository(db)
    today = date(2026, 11, 27)
    cells = await org.cells_under(world.district_id, today)
    assert {c.code for c in cells} == {"TL-01", "TL-02"}
    assert await org.is_within(world.cell_ids["TL-01"], world.commune_id, today)
    assert not await org.is_within(world.commune_id, world.cell_ids["TL-01"], today)
    assert (await org.find("Huyện Cần Đước/Xã Tân Lân")) is not None
    assert (await org.find("Xã Tân Lân")) is not None
    assert (await org.find("tl-02")) is not None


async def test_a_user_has_roles_bound_to_units(db: Database, world: World) -> None:
    user = await UserRepository(db).find("test", "sec-2")
    assert user is not None
    assert set(user.secretary_of) == set(world.cell_ids.values())
    assert not user.is_staff
    staff = await UserRepository(db).find("test", "staff")
    assert staff is not None and staff.is_staff and not staff.is_admin


async def test_an_invite_works_once_and_only_its_hash_is_stored(
    db: Database, clock: Clock, world: World
) -> None:
    invites = InviteRepository(db)
    code = await invites.create(Role.SECRETARY, world.cell_ids["TL-01"], clock(), 7)
    assert len(code) == 14
    stored = await db.fetch_all("SELECT code_hash FROM invites")
    assert all(code not in row["code_hash"] for row in stored)
    status, grant = await invites.redeem(code, "telegram", "42", clock())
    assert status == "ok" and grant is not None and grant.role is Role.SECRETARY
    assert (await invites.redeem(code, "telegram", "43", clock()))[0] == "used"
    assert (await invites.redeem("NOPE", "telegram", "43", clock()))[0] == "unknown"
    late = await invites.create(Role.STAFF, world.commune_id, clock(), 1)
    later = clock() + timedelta(days=1, seconds=1)
    assert (await invites.redeem(late, "telegram", "44", later))[0] == "expired"


async def test_failed_starts_are_counted_in_a_window(db: Database, clock: Clock) -> None:
    invites = InviteRepository(db)
    for minutes in (0, 30, 90):
        await invites.record_failure("telegram", "9", clock() - timedelta(minutes=minutes))
    assert await invites.recent_failures("telegram", "9", clock(), timedelta(hours=1)) == 2
    assert await invites.recent_failures("telegram", "8", clock(), timedelta(hours=1)) == 0


async def test_a_conversation_round_trips_with_unicode(db: Database, clock: Clock,
                                                       world: World) -> None:
    store = ConversationStore(db)
    user_id = await UserRepository(db).ensure("test", "sec-1", clock())
    state = ConversationState("meeting", "topic", {"topic": "Học tập và làm theo Bác"},
                              [{"step": "date", "draft": {}}])
    await store.save(user_id, state, clock())
    assert await store.load(user_id) == state
    row, _, _ = await store.read(user_id)
    await store.end(row, state, CLOSED, clock())
    assert await store.load(user_id) is None


async def test_a_nested_write_fails_loudly_instead_of_hanging(db: Database) -> None:
    with pytest.raises(RuntimeError, match="nested transaction"):
        async with db.transaction():
            await db.write("INSERT INTO org_units (kind, name) VALUES ('unit', 'X')")
    assert await db.scalar("SELECT COUNT(*) FROM org_units") == 0


def test_timestamps_are_utc_text_that_sorts_in_time_order() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.storage.database import timestamp

    earlier = datetime(2026, 11, 27, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))  # 01:00 UTC
    later = datetime(2026, 11, 27, 2, 0, tzinfo=ZoneInfo("UTC"))
    assert timestamp(earlier) == "2026-11-27T01:00:00+00:00"
    assert timestamp(earlier) < timestamp(later)  # as text, though 08:00 > 02:00 locally
    with pytest.raises(ValueError, match="aware"):
        timestamp(datetime(2026, 11, 27))


async def test_a_writer_cancelled_at_begin_leaves_the_connection_usable(tmp_path: Path) -> None:
    import asyncio

    db = await Database.open(tmp_path / "chibo.sqlite3")

    async def insert_a() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO org_units (kind, name) VALUES ('unit', 'A')")

    task = asyncio.create_task(insert_a())
    await asyncio.sleep(0)  # it holds the lock and has queued BEGIN IMMEDIATE
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await db.write("INSERT INTO org_units (kind, name) VALUES ('unit', 'B')")
    other = await Database.open(tmp_path / "chibo.sqlite3")  # another process can write too
    await other.write("INSERT INTO org_units (kind, name) VALUES ('unit', 'C')")
    assert await other.scalar("SELECT group_concat(name) FROM org_units") in ("B,C", "A,B,C")
    await other.close()
    await db.close()


async def test_two_processes_opening_a_database_with_a_pending_migration_both_work(
    tmp_path: Path,
) -> None:
    import asyncio

    path = tmp_path / "chibo.sqlite3"  # new: every migration is pending for both
    first, second = await asyncio.gather(Database.open(path), Database.open(path))
    assert await first.scalar("PRAGMA user_version") == await second.scalar("PRAGMA user_version")
    assert await first.scalar("SELECT COUNT(*) FROM data_reads") == 0
    await first.close()
    await second.close()


async def test_a_cell_name_taken_under_the_same_parent_is_a_bad_row(db: Database) -> None:
    org = OrgRepository(db)
    await org.import_cells([CellRow(2, ("H", "X", "Ấp 1"), "X-01", 10, 0, 0)])
    with pytest.raises(OrgCsvError) as error:  # the same cell under a new code
        await org.import_cells([CellRow(5, ("H", "X", "Ấp 1"), "X-99", 10, 0, 0)])
    assert error.value.line == 5 and "X-01" in error.value.problem
    with pytest.raises(OrgCsvError) as error:  # a cell named like a unit
        await org.import_cells([CellRow(7, ("H", "X"), "H-X", 10, 0, 0)])
    assert error.value.line == 7 and "a unit" in error.value.problem
    assert await org.by_code("X-99") is None


async def test_a_migration_numbered_below_the_latest_still_runs(tmp_path: Path) -> None:
    # Features number their migrations in ranges: 010 may land after 050 was applied.
    path = tmp_path / "gap.sqlite3"
    numbers = [number for number, _ in _migrations()]
    skipped = 6  # an index nothing later depends on, landed after higher numbers
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY)")
    for number, sql in _migrations():
        if number != skipped:
            conn.executescript(sql)
            conn.execute("INSERT INTO schema_migrations VALUES (?)", (number,))
    conn.execute(f"PRAGMA user_version = {numbers[-1]}")
    conn.commit()
    conn.close()
    db = await Database.open(path)
    try:
        applied = [r["number"] for r in await db.fetch_all(
            "SELECT number FROM schema_migrations ORDER BY number")]
        assert applied == numbers
        indexes = await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'index'")
        assert "user_roles_unit" in {row["name"] for row in indexes}
    finally:
        await db.close()


async def test_a_database_from_before_the_record_counts_up_to_its_user_version(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for number, sql in _migrations():
        if number <= 5:
            conn.executescript(sql)
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    db = await Database.open(path)  # would fail re-running 001-005 on their own tables
    try:
        applied = [r["number"] for r in await db.fetch_all(
            "SELECT number FROM schema_migrations ORDER BY number")]
        assert applied[:5] == [1, 2, 3, 4, 5] and applied == sorted(set(applied))
        assert applied[-1] == _migrations()[-1][0]
    finally:
        await db.close()


async def test_opening_a_database_another_process_is_writing_waits_for_it(
    tmp_path: Path,
) -> None:
    import threading

    path = tmp_path / "busy.sqlite3"
    other = sqlite3.connect(path, check_same_thread=False)
    other.execute("CREATE TABLE t (x)")
    other.execute("BEGIN IMMEDIATE")  # another process is in the middle of a write
    other.execute("INSERT INTO t VALUES (1)")
    threading.Timer(0.5, other.commit).start()
    db = await Database.open(path)  # changing to WAL waits instead of failing "locked"
    assert await db.scalar("PRAGMA journal_mode") == "wal"
    await db.close()
    other.close()
