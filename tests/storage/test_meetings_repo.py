"""Meeting reports in SQLite: save, the month's regular report, replace with audit, roll."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.meetings import (
    ALL_TARGETS,
    MASS_ORGANISATIONS,
    Dissemination,
    MeetingKind,
    MeetingReport,
    Roll,
)
from bot.storage.database import Database
from bot.storage.errors import NotFound
from bot.storage.meetings import MeetingRepository, MonthAlreadyReported
from bot.storage.org import OrgRepository
from bot.storage.users import UserRepository
from tests.storage.test_recruitment_repo import database_at_version
from tests.support import Clock, World, sample_meeting


def report(cell_id: int, held_on: date = date(2026, 11, 20), **changes: Any) -> MeetingReport:
    """Return a regular meeting of 19 expected members with a note, changed as asked."""
    defaults: dict[str, Any] = {
        "expected": 19, "present": 17, "excused": 2, "tasks": 3,
        "disseminated_to": frozenset({Dissemination.HAMLET_BOARD, Dissemination.YOUTH_UNION}),
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
    with_fields = report(cell, previous_tasks_done=2, previous_tasks_total=3, upper_guest=True)
    first = await repo.save(with_fields, regular=True, by_user=by, at=clock())
    second = await repo.save(thematic, regular=False, by_user=by, at=clock())
    stored = await repo.get(first)
    assert stored is not None
    assert stored.report == with_fields  # the district's fields are kept as given
    assert stored.regular and stored.reported_by == by and stored.reported_at == clock()
    assert (await repo.get(second)) is not None
    assert await repo.for_year(cell, 2026) == [with_fields, thematic]
    stored_thematic = await repo.get(second)
    assert stored_thematic is not None and stored_thematic.report.upper_guest is None


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
    await repo.update_roll(cell, Roll(16, 3, 2), clock().date())
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


async def test_reports_saved_before_the_four_mass_organisations_keep_their_meaning(
    tmp_path: Path,
) -> None:
    # migration 010: one "mass organisations" box meant all four of them
    old = database_at_version(tmp_path / "old.sqlite3", 6)
    old.execute("INSERT INTO org_units (id, kind, name) VALUES (1, 'cell', 'C')")
    row = {
        "cell_id": 1, "kind": "regular", "topic": None, "minutes": 95, "expected": 19,
        "present": 19, "excused": 0, "resolution_adopted": 1, "tasks": 2, "note": None,
        "to_hamlet_board": 1, "to_fatherland_front": 1, "reported_by": None,
        "reported_at": "2026-10-10T00:00:00+00:00",
    }
    rows = [
        {**row, "id": 1, "held_on": "2026-09-10", "regular_month": "2026-09", "to_mass_orgs": 1},
        {**row, "id": 2, "held_on": "2026-10-10", "regular_month": "2026-10", "to_mass_orgs": 0,
         "to_fatherland_front": 0},
    ]
    for values in rows:
        names = ", ".join(values)
        old.execute(f"INSERT INTO meeting_reports ({names}) VALUES"
                    f" ({', '.join(':' + n for n in values)})", values)
    replaced = {**rows[1], "to_hamlet_board": 0, "to_mass_orgs": 1}  # as repo.replace kept it
    old.execute(
        "INSERT INTO meeting_report_history (report_id, replaced_at, old_values)"
        " VALUES (2, '2026-10-11T00:00:00+00:00', ?)",
        (json.dumps(replaced),),
    )
    old.close()
    upgraded = await Database.open(tmp_path / "old.sqlite3")
    try:
        repo = MeetingRepository(upgraded)
        september, october = await repo.get(1), await repo.get(2)
        assert september is not None and october is not None
        assert september.report.disseminated_to == ALL_TARGETS  # the box stood for all four
        assert october.report.disseminated_to == {Dissemination.HAMLET_BOARD}
        assert september.report.upper_guest is None  # not asked then
        assert september.report.previous_tasks_total is None
        [version] = await repo.history(2)  # an old version in the history reads the same way
        assert version.old.report.disseminated_to == set(MASS_ORGANISATIONS)
    finally:
        await upgraded.close()


async def test_a_replaced_report_is_the_latest_of_its_day_once_saved_again(
    db: Database, world: World, clock: Clock
) -> None:
    # issue 7, item 3: a replaced report keeps its old id; the time it was saved decides
    repo = MeetingRepository(db)
    cell = world.cell_ids["TL-01"]
    day = date(2026, 11, 20)
    regular = await repo.save(report(cell, day), regular=True, by_user=None, at=clock())
    thematic = report(cell, day, kind=MeetingKind.THEMATIC, topic="Chủ đề")
    await repo.save(thematic, regular=False, by_user=None, at=clock() + timedelta(minutes=5))
    latest = await repo.latest(cell)
    assert latest is not None and latest.report == thematic  # saved last, for now
    better = report(cell, day, present=19, excused=0)
    await repo.replace(regular, better, regular=True, by_user=None,
                       at=clock() + timedelta(minutes=10))
    latest = await repo.latest(cell)
    assert latest is not None and latest.id == regular and latest.report == better
    assert await repo.for_year(cell, 2026) == [thematic, better]  # in the order last saved
