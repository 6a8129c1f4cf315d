"""The roll follows the pipeline (issue 8, defect 8): changes, their undo, the import's reset."""

from datetime import UTC, date, datetime, timedelta

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

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
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
    await repo.record(person, moves_for(target, date(2026, 11, 19)), author, NOW, 1)
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
        RollEntry("CEREMONY", date(2026, 11, 19), 0, 1, 0, "NVA")
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
        RollEntry(IMPORT, date(2026, 11, 20), 2, -1, 0, None)
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
    await repo.record(other, [Move(Stage.REMOVED_PROBATIONER, date(2026, 11, 25))], author,
                      NOW + 2 * DAY, 1)
    assert await RollChanges(db).since_last_report(cell) == [
        RollEntry("REMOVED_PROBATIONER", date(2026, 11, 25), 0, -1, 0, "TTB")
    ]
