"""Meeting reports in SQLite: save, the month's regular report, replace with audit, roll."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from bot.domain.meetings import ALL_TARGETS, Dissemination, MeetingKind, MeetingReport, Roll
from bot.storage.database import Database
from bot.storage.errors import NotFound
from bot.storage.meetings import MeetingRepository, MonthAlreadyReported
from bot.storage.org import OrgRepository
from bot.storage.users import UserRepository
from tests.support import Clock, World, sample_meeting


def report(cell_id: int, held_on: date = date(2026, 11, 20), **changes: Any) -> MeetingReport:
    """Return a regular meeting of 19 expected members with a note, changed as asked."""
    defaults: dict[str, Any] = {
        "expected": 19, "present": 17, "excused": 2, "tasks": 3,
        "disseminated_to": frozenset({Dissemination.HAMLET_BOARD, Dissemination.MASS_ORGS}),
        "note": "Họp tại nhà văn hoá ấp",
    }
    return sample_meeting(cell_id=cell_id, held_on=held_on, **{**defaults, **changes})


async def user_id(db: Database, key: str) -> int:
    user = await UserRepository(db).find("test", key)
    assert user is not None
    return user.id


async def test_a_saved_report_comes_back_unchanged(
    db: Database, world: World, clock: Clock
) -> None:
    repo = MeetingRepository(db)
    cell = world.cell_ids["TL-01"]
    by = await user_id(db, "sec-1")
    thematic = report(
        cell,
        kind=MeetingKind.THEMATIC,
        topic="Chuyển đổi số",
        note=None,
        disseminated_to=ALL_TARGETS,
        resolution_adopted=False,
        tasks=0,
    )
    first = await repo.save(report(cell), regular=True, by_user=by, at=clock())
    second = await repo.save(thematic, regular=False, by_user=by, at=clock())
    stored = await repo.get(first)
    assert stored is not None
    assert stored.report == report(cell)
    assert stored.regular and stored.reported_by == by and stored.reported_at == clock()
    assert (await repo.get(second)) is not None
    assert await repo.for_year(cell, 2026) == [report(cell), thematic]


async def test_the_regular_report_of_a_month_is_found_by_any_day_of_it(
    db: Database, world: World, clock: Clock
) -> None:
    repo = MeetingRepository(db)
    cell = world.cell_ids["TL-01"]
    await repo.save(
        report(cell, kind=MeetingKind.THEMATIC, topic="Chủ đề"),
        regular=False,
        by_user=None,
        at=clock(),
    )
    assert await repo.regular_of_month(cell, date(2026, 11, 1)) is None  # thematic only
    await repo.save(report(cell), regular=True, by_user=None, at=clock())
    found = await repo.regular_of_month(cell, date(2026, 11, 30))
    assert found is not None and found.report.held_on == date(2026, 11, 20)
    assert await repo.regular_of_month(cell, date(2026, 10, 20)) is None  # another month
    assert await repo.regular_of_month(world.cell_ids["TL-02"], date(2026, 11, 20)) is None


async def test_a_second_regular_report_of_a_month_is_refused_with_the_first(
    db: Database, world: World, clock: Clock
) -> None:
    repo = MeetingRepository(db)
    cell = world.cell_ids["TL-01"]
    first = await repo.save(report(cell), regular=True, by_user=None, at=clock())
    with pytest.raises(MonthAlreadyReported) as refused:
        await repo.save(report(cell, date(2026, 11, 25)), regular=True, by_user=None, at=clock())
    assert refused.value.existing.id == first
    # A thematic meeting in the same month is no replacement and is simply added.
    await repo.save(
        report(cell, kind=MeetingKind.THEMATIC, topic="Chủ đề"),
        regular=False,
        by_user=None,
        at=clock(),
    )
    assert len(await repo.for_year(cell, 2026)) == 2


async def test_replacing_keeps_the_old_version_with_who_and_when(
    db: Database, world: World, clock: Clock
) -> None:
    repo = MeetingRepository(db)
    cell = world.cell_ids["TL-01"]
    sec1, sec2 = await user_id(db, "sec-1"), await user_id(db, "sec-2")
    first_at = clock()
    report_id = await repo.save(report(cell), regular=True, by_user=sec1, at=first_at)
    later = first_at + timedelta(days=2)
    better = report(
        cell,
        date(2026, 11, 21),
        kind=MeetingKind.COMBINED,
        topic="Chủ đề",
        minutes=130,
        present=19,
        excused=0,
        note=None,
    )
    await repo.replace(report_id, better, regular=True, by_user=sec2, at=later)

    current = await repo.get(report_id)
    assert current is not None
    assert current.report == better and current.reported_by == sec2
    assert await repo.for_year(cell, 2026) == [better]  # the old version is history only
    [version] = await repo.history(report_id)
    assert (version.replaced_by, version.replaced_at) == (sec2, later)
    assert version.old.report == report(cell)
    assert (version.old.reported_by, version.old.reported_at) == (sec1, first_at)


async def test_replacing_a_missing_report_fails(db: Database, world: World, clock: Clock) -> None:
    with pytest.raises(NotFound):
        await MeetingRepository(db).replace(
            999, report(world.cell_ids["TL-01"]), regular=True, by_user=None, at=clock()
        )


async def test_the_roll_is_corrected_with_the_report_or_alone(
    db: Database, world: World, clock: Clock
) -> None:
    repo, org = MeetingRepository(db), OrgRepository(db)
    cell = world.cell_ids["TL-01"]
    await repo.save(report(cell), regular=True, by_user=None, at=clock(), roll=Roll(17, 3, 2))
    unit = await org.get(cell)
    assert unit is not None
    assert (unit.full_members, unit.probationary_members, unit.exempt_members) == (17, 3, 2)
    await repo.update_roll(cell, Roll(16, 3, 2))
    unit = await org.get(cell)
    assert unit is not None and unit.expected_members == 17


async def test_a_failed_save_leaves_the_roll_alone(
    db: Database, world: World, clock: Clock
) -> None:
    repo, org = MeetingRepository(db), OrgRepository(db)
    cell = world.cell_ids["TL-01"]
    await repo.save(report(cell), regular=True, by_user=None, at=clock())
    with pytest.raises(MonthAlreadyReported):
        await repo.save(report(cell), regular=True, by_user=None, at=clock(), roll=Roll(1, 1, 0))
    unit = await org.get(cell)
    assert unit is not None and unit.full_members == 18


async def test_a_year_lists_only_its_own_meetings_in_saving_order(
    db: Database, world: World, clock: Clock
) -> None:
    repo = MeetingRepository(db)
    cell, other = world.cell_ids["TL-01"], world.cell_ids["TL-02"]
    rows = [
        report(cell, date(2026, 3, 10)),
        report(cell, date(2026, 1, 10)),  # saved late: stays after March
        report(cell, date(2025, 12, 10)),  # last year
        report(other, date(2026, 2, 10)),  # another cell
        report(cell, date(2026, 12, 31)),  # last day of the year
    ]
    for row in rows:
        await repo.save(row, regular=True, by_user=None, at=clock())
    listed = await repo.for_year(cell, 2026)
    assert [r.held_on for r in listed] == [
        date(2026, 3, 10),
        date(2026, 1, 10),
        date(2026, 12, 31),
    ]
    both = await repo.between([cell, other], date(2026, 1, 1), date(2026, 2, 28))
    assert [s.report.cell_id for s in both] == [cell, other]
    assert await repo.between([], date(2026, 1, 1), date(2026, 12, 31)) == []


async def test_the_latest_meeting_is_the_most_recent_day_then_the_last_saved(
    db: Database, world: World, clock: Clock
) -> None:
    repo = MeetingRepository(db)
    cell = world.cell_ids["TL-01"]
    assert await repo.latest(cell) is None
    await repo.save(report(cell, date(2026, 11, 20)), regular=True, by_user=None, at=clock())
    await repo.save(report(cell, date(2026, 10, 20)), regular=True, by_user=None, at=clock())
    last = await repo.save(
        report(cell, date(2026, 11, 20), kind=MeetingKind.THEMATIC, topic="Chủ đề"),
        regular=False,
        by_user=None,
        at=clock(),
    )
    latest = await repo.latest(cell)
    assert latest is not None and latest.id == last
