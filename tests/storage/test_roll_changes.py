"""The roll follows the pipeline (issue 8, defect 8): changes, their undo, the import's reset."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.org import CellRow
from bot.domain.pipeline import Birth, Move, Stage, moves_for
from bot.storage.database import Database
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository, RollReset
from bot.storage.recruitment import RecruitmentRepository
from bot.storage.roll import IMPORT, RollChanges, RollEntry
from bot.storage.users import UserRepository
from tests.support import COMMUNE, DISTRICT, World, sample_meeting

NOW = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)  # after the world's import (its roll)
DAY = timedelta(days=1)
BIRTH = Birth(1995, 4)


@pytest.fixture
async def author(db: Database, world: World) -> int:
    user = await UserRepository(db).find("test", "sec-1")
    assert user is not None
    return user.id


async def roll(db: Database, world: World, code: str = "TL-01") -> tuple[int, int, int]:
    cell = await OrgRepository(db).get(world.cell_ids[code])
    assert cell is not None
    return (cell.full_members, cell.probationary_members, cell.exempt_members)


async def step(
    db: Database, world: World, author: int, first: Stage, target: Stage, code: str = "TL-01"
) -> int:
    """Enter a person at `first` and record `target` for them; return the person."""
    repo = RecruitmentRepository(db)
    person = await repo.add(
        world.cell_ids[code], "NVA", BIRTH, moves_for(first, date(2025, 10, 1)), author, NOW
    )
    await repo.record(person, moves_for(target, date(2026, 11, 27)), author, NOW, 1)
    return person


@pytest.mark.parametrize(
    ("first", "target", "expected"),
    [
        # TL-01 is 18 full, 2 probationary, 1 exempt: a ceremony adds a probationary member
        (Stage.ADMISSION_DECIDED, Stage.CEREMONY, (18, 3, 1)),
        # a confirmation moves one probationary member to full
        (Stage.CELL_VOTE_CONFIRM, Stage.CONFIRMED, (19, 1, 1)),
        # a removal takes a probationary member off
        (Stage.PROBATION, Stage.REMOVED_PROBATIONER, (18, 1, 1)),
        # steps before the ceremony change nothing
        (Stage.DOSSIER, Stage.CELL_VOTE_ADMIT, (18, 2, 1)),
    ],
)
async def test_a_recorded_step_changes_the_cells_roll(
    db: Database, world: World, author: int, first: Stage, target: Stage,
    expected: tuple[int, int, int],
) -> None:
    await step(db, world, author, first, target)
    assert await roll(db, world) == expected


async def test_entering_a_person_already_on_probation_leaves_the_roll_as_it_is(
    db: Database, world: World, author: int
) -> None:
    # the administrator's counts already hold them
    await RecruitmentRepository(db).add(
        world.cell_ids["TL-01"], "NVA", BIRTH, moves_for(Stage.CEREMONY, date(2026, 1, 5)),
        author, NOW,
    )
    assert await roll(db, world) == (18, 2, 1)
    assert await RollChanges(db).since_last_report(world.cell_ids["TL-01"]) == []


async def test_each_change_is_kept_with_its_source_and_date(
    db: Database, world: World, author: int
) -> None:
    await step(db, world, author, Stage.ADMISSION_DECIDED, Stage.CEREMONY)
    assert await RollChanges(db).since_last_report(world.cell_ids["TL-01"]) == [
        RollEntry("CEREMONY", date(2026, 11, 27), 0, 1, 0, "NVA")
    ]


async def test_an_undo_takes_the_change_back(db: Database, world: World, author: int) -> None:
    person = await step(db, world, author, Stage.ADMISSION_DECIDED, Stage.CEREMONY)
    assert await RecruitmentRepository(db).undo(person, 2, author, NOW + DAY / 2, NOW - DAY)
    assert await roll(db, world) == (18, 2, 1)
    assert await RollChanges(db).since_last_report(world.cell_ids["TL-01"]) == []


async def test_a_confirmation_with_no_probationer_on_the_roll_still_adds_the_full_member(
    db: Database, world: World, author: int
) -> None:
    # TL-02 is 12 full, 0 probationary: no count goes below zero, and the undo matches
    person = await step(db, world, author, Stage.CELL_VOTE_CONFIRM, Stage.CONFIRMED, "TL-02")
    assert await roll(db, world, "TL-02") == (13, 0, 0)
    assert await RecruitmentRepository(db).undo(person, 2, author, NOW, NOW - DAY)
    assert await roll(db, world, "TL-02") == (12, 0, 0)


async def test_an_import_resets_the_counts_and_says_which_cells_it_changed(
    db: Database, world: World, author: int
) -> None:
    person = await step(db, world, author, Stage.ADMISSION_DECIDED, Stage.CEREMONY)
    rows = [
        CellRow(2, (DISTRICT, COMMUNE, "Chi bộ ấp Xóm Chùa"), "TL-01", 20, 2, 1),
        CellRow(3, (DISTRICT, COMMUNE, "Chi bộ ấp Chợ"), "TL-02", 12, 0, 0),
    ]
    result = await OrgRepository(db).import_cells(rows, NOW + DAY / 4)
    assert result.rolls_changed == (RollReset("TL-01", (18, 3, 1), (20, 2, 1)),)
    # the administrator's figures stand: undoing the ceremony afterwards leaves them alone
    assert await RecruitmentRepository(db).undo(person, 2, author, NOW + DAY / 2, NOW - DAY)
    assert await roll(db, world) == (20, 2, 1)
    assert await RollChanges(db).since_last_report(world.cell_ids["TL-01"]) == [
        RollEntry(IMPORT, date(2026, 11, 27), 2, -1, 0, None)
    ]


async def test_the_secretary_is_shown_only_the_changes_since_the_last_report(
    db: Database, world: World, author: int
) -> None:
    await step(db, world, author, Stage.ADMISSION_DECIDED, Stage.CEREMONY)
    cell = world.cell_ids["TL-01"]
    await MeetingRepository(db).save(
        sample_meeting(cell_id=cell), regular=True, by_user=author, at=NOW + DAY
    )
    assert await RollChanges(db).since_last_report(cell) == []
    repo = RecruitmentRepository(db)
    other = await repo.add(cell, "TTB", BIRTH, [Move(Stage.PROBATION, date(2025, 1, 6))], author,
                           NOW)
    await repo.record(other, [Move(Stage.REMOVED_PROBATIONER, date(2026, 11, 28))], author,
                      NOW + 2 * DAY, 1)
    assert await RollChanges(db).since_last_report(cell) == [
        RollEntry("REMOVED_PROBATIONER", date(2026, 11, 28), 0, -1, 0, "TTB")
    ]


async def test_a_step_dated_before_the_roll_was_set_is_counted_in_it_already(
    db: Database, world: World, author: int
) -> None:
    """A backdated ceremony: the world's import (27 November) counted the person already."""
    repo = RecruitmentRepository(db)
    person = await repo.add(world.cell_ids["TL-01"], "NVA", BIRTH,
                            moves_for(Stage.ADMISSION_DECIDED, date(2026, 10, 20)), author, NOW)
    await repo.record(person, moves_for(Stage.CEREMONY, date(2026, 11, 15)), author, NOW, 1)
    assert await roll(db, world) == (18, 2, 1)  # not 18, 3, 1: the person once only
    assert await RollChanges(db).since_last_report(world.cell_ids["TL-01"]) == []
    # its undo has nothing to take back; a step from the day of the import on moves the roll
    assert await repo.undo(person, 2, author, NOW + DAY / 8, NOW - DAY)
    assert await roll(db, world) == (18, 2, 1)
    await repo.record(person, moves_for(Stage.CEREMONY, date(2026, 11, 27)), author, NOW, 1)
    assert await roll(db, world) == (18, 3, 1)


async def test_the_secretarys_correction_sets_the_roll_as_an_import_does(
    db: Database, world: World, author: int
) -> None:
    from bot.domain.meetings import Roll

    cell = world.cell_ids["TL-02"]
    corrected = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 3 December in Vietnam too
    await MeetingRepository(db).save(
        sample_meeting(cell_id=cell, held_on=date(2026, 12, 2)), regular=True, by_user=author,
        at=corrected, roll=Roll(12, 1, 0))
    repo = RecruitmentRepository(db)
    person = await repo.add(cell, "NVA", BIRTH, moves_for(Stage.CEREMONY, date(2026, 11, 30)),
                            author, corrected)
    await repo.record(person, moves_for(Stage.CONFIRMED, date(2026, 12, 1)), author, corrected, 1)
    assert await roll(db, world, "TL-02") == (12, 1, 0)  # as the secretary typed it on 3/12
    other = await repo.add(cell, "TTB", BIRTH, moves_for(Stage.ADMISSION_DECIDED,
                                                         date(2026, 11, 30)), author, corrected)
    await repo.record(other, moves_for(Stage.CEREMONY, date(2026, 12, 3)), author, corrected, 1)
    assert await roll(db, world, "TL-02") == (12, 2, 0)  # on the day of the correction: moves


def test_the_migration_dates_each_roll_by_its_latest_import(tmp_path: Path) -> None:
    import asyncio
    import sqlite3

    from bot.storage.database import _migrations

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for number, sql in _migrations():
        if number < 99:
            conn.executescript(sql)
            conn.execute(f"PRAGMA user_version = {number}")
    conn.executescript("""
        INSERT INTO org_units (id, parent_id, kind, name) VALUES (1, NULL, 'unit', 'H');
        INSERT INTO org_units (id, parent_id, kind, name, code) VALUES
            (2, 1, 'cell', 'A', 'A-1'), (3, 1, 'cell', 'B', 'B-1');
        INSERT INTO roll_changes (cell_id, source, on_date, full_delta, probationary_delta,
            exempt_delta, recorded_at) VALUES
            (2, 'IMPORT', '2026-03-01', 1, 0, 0, '2026-03-01T01:00:00+00:00'),
            (2, 'IMPORT', '2026-09-14', 1, 0, 0, '2026-09-14T01:00:00+00:00');
    """)
    conn.commit()
    conn.close()

    async def migrate() -> dict[str, str | None]:
        db = await Database.open(path)
        rows = await db.fetch_all("SELECT code, roll_set_on FROM org_units WHERE kind = 'cell'")
        await db.close()
        return {r["code"]: r["roll_set_on"] for r in rows}

    assert asyncio.run(migrate()) == {"A-1": "2026-09-14", "B-1": None}  # B-1: not known
