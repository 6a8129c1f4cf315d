"""A year's sums, read off the kept year rows (cell_year_sums) where they hold the same
figures, equal its months' and its quarters' own sums: a cell tracked all year, one tracked
from mid-year, one moved mid-year, the year in progress, today's tree; and the kept year rows
equal a rebuild after a correction, deletions, a rules change and the migration."""

from __future__ import annotations

import random
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.meetings import MeetingKind
from bot.domain.periods import Period, PeriodKind
from bot.domain.rulebook import Rulebook
from bot.domain.summaries import CellActivity, owing, rule_spans
from bot.storage import sums
from bot.storage.database import Database, _migrations, _split_sql
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository
from bot.storage.summaries import SummaryRepository
from tests.storage.test_month_sums import other_rules, random_report
from tests.storage.test_org_tree import DISTRICT, PROVINCE, TAN_LAN, merged_world, unit_id
from tests.support import VN, vn_time

RULES = Rulebook.default()
TODAY = date(2026, 11, 27)  # November's reports are not due yet: a month in progress
Key = tuple[int, int]  # a stretch: its cell, the unit it was in
Sums = dict[Key, tuple[CellActivity, tuple[int, ...]]]


async def reported_world(db: Database) -> dict[str, int]:
    """The merged world (both cells moved into the new xã on 1 July 2025), TL-01 tracked since
    2016, PD-01 from 14 May 2024; random meetings of each kind from 2024 to 2026, on time or
    late; return the cells' ids by code."""
    org = await merged_world(db)
    sums.judge_with(db, RULES, VN)
    await sums.sync(db)
    rng = random.Random(130)
    meetings = MeetingRepository(db)
    ids = {}
    for code, tracked in (("TL-01", date(2016, 1, 1)), ("PD-01", date(2024, 5, 14))):
        cell = await org.by_code(code)
        assert cell is not None
        ids[code] = cell.id
        await org.set_tracked_from(cell.id, tracked)
        for year in (2024, 2025, 2026):
            for month in range(1, 13):
                for kind in MeetingKind:
                    if rng.random() < 0.25:
                        continue  # some months lack a kind, some their regular report
                    held = date(year, month, rng.randint(1, 28))
                    received = datetime.combine(held, datetime.min.time(), VN) + timedelta(
                        days=rng.choice([0, 20, 40]))
                    await meetings.save(random_report(rng, cell.id, held, kind),
                                        regular=kind is MeetingKind.REGULAR, by_user=None,
                                        at=received)
    return ids


async def year_sums(
    db: Database, unit: int, period: Period, today: date, tree_of: date | None = None,
    rules: Rulebook = RULES,
) -> Sums:
    """Return the period's sums per stretch, as the summaries read them."""
    spans = rule_spans(rules, period.thematic_from, period.last)
    rows = await SummaryRepository(db).cell_sums(
        unit, owing(period, today, rules), spans, VN, tree_of)
    found = {(r.cell.id, r.cell.group_id): (r.activity, r.thematic) for r in rows}
    assert len(found) == len(rows)  # no cell is twice in one unit here
    return found


async def month_by_month(
    db: Database, unit: int, year: int, today: date, tree_of: date | None = None,
    rules: Rulebook = RULES,
) -> Sums:
    """Return the year's sums per stretch as its twelve months and four quarters add up."""
    activity: dict[Key, list[int]] = {}
    thematic: dict[Key, list[int]] = {}
    for month in range(1, 13):
        period = Period(PeriodKind.MONTH, year, month)
        for key, (found, _) in (await year_sums(db, unit, period, today, tree_of,
                                                rules)).items():
            added = activity.setdefault(key, [0] * len(CellActivity._fields))
            added[:] = [a + b for a, b in zip(added, found, strict=True)]
    for quarter in range(1, 5):
        period = Period(PeriodKind.QUARTER, year, quarter)
        for key, (_, (count,)) in (await year_sums(db, unit, period, today, tree_of,
                                                   rules)).items():
            thematic.setdefault(key, [0] * 4)[quarter - 1] += count
    assert set(thematic) == set(activity)
    return {key: (CellActivity(*found), tuple(thematic[key])) for key, found in activity.items()}


async def kept_years(db: Database) -> list[tuple[Any, ...]]:
    rows = await db.fetch_all("SELECT * FROM cell_year_sums ORDER BY cell_id, year")
    return [tuple(r) for r in rows]


async def rebuilt_years(db: Database) -> list[tuple[Any, ...]]:
    await db.write("DELETE FROM sums_judged")
    assert await sums.sync(db)
    return await kept_years(db)


@pytest.mark.parametrize(
    "today",
    [
        TODAY,  # November 2026 in progress
        date(2026, 12, 3),  # November's reports not due yet, December begun: two open months
        date(2030, 1, 1),  # every month due
    ],
)
async def test_a_years_sums_equal_its_months_and_quarters_added_up(
    db: Database, today: date
) -> None:
    """2024: TL-01 all year in the old Tân Lân, PD-01 from May (its first months before it
    was tracked); 2025: both moved on 1 July, two stretches each; 2026: the year in
    progress."""
    await reported_world(db)
    district = await unit_id(OrgRepository(db), DISTRICT)
    province = await unit_id(OrgRepository(db), PROVINCE)
    for unit, year in ((district, 2024), (province, 2024), (province, 2025),
                       (province, 2026)):
        found = await year_sums(db, unit, Period(PeriodKind.YEAR, year), today)
        assert found == await month_by_month(db, unit, year, today), (unit, year)
        assert len(found) == (4 if year == 2025 else 2)
    # What the year counts apart and before tracking is there to compare.
    in_2024 = await year_sums(db, province, Period(PeriodKind.YEAR, 2024), today)
    assert any(a.before_tracking for a, _ in in_2024.values())
    if today < date(2030, 1, 1):
        in_2026 = await year_sums(db, province, Period(PeriodKind.YEAR, 2026), today)
        assert any(a.not_yet_due for a, _ in in_2026.values())


async def test_a_year_on_todays_tree_equals_its_months_on_todays_tree(db: Database) -> None:
    await reported_world(db)
    new_tan_lan = await unit_id(OrgRepository(db), PROVINCE, TAN_LAN)
    for year in (2024, 2025):
        found = await year_sums(db, new_tan_lan, Period(PeriodKind.YEAR, year), TODAY, TODAY)
        assert {group for _, group in found} == {new_tan_lan}
        assert found == await month_by_month(db, new_tan_lan, year, TODAY, TODAY)


async def test_the_kept_year_sums_equal_a_rebuild_after_a_correction_and_deletions(
    db: Database,
) -> None:
    ids = await reported_world(db)
    before = await kept_years(db)
    assert before == await rebuilt_years(db)
    meetings = MeetingRepository(db)
    reports = await db.fetch_all(
        "SELECT id FROM meeting_reports WHERE cell_id = ? ORDER BY held_on", (ids["TL-01"],))
    # A correction moves a March 2024 meeting to a thematic one of October 2025, late.
    moved = random_report(random.Random(1), ids["TL-01"], date(2025, 10, 3), MeetingKind.THEMATIC)
    await meetings.replace(reports[5]["id"], moved, regular=False, by_user=None,
                           at=vn_time(2025, 12, 9))
    await db.write("DELETE FROM meeting_reports WHERE id = ?", (reports[40]["id"],))
    # The only meeting of a year, then deleted: the year has no row left.
    lone = await meetings.save(random_report(random.Random(2), ids["PD-01"], date(2019, 4, 2),
                                             MeetingKind.REGULAR),
                               regular=True, by_user=None, at=vn_time(2019, 4, 2))
    assert (ids["PD-01"], "2019") in {row[:2] for row in await kept_years(db)}
    await db.write("DELETE FROM meeting_reports WHERE id = ?", (lone,))
    after = await kept_years(db)
    assert after != before
    assert (ids["PD-01"], "2019") not in {row[:2] for row in after}
    assert after == await rebuilt_years(db)
    province = await unit_id(OrgRepository(db), PROVINCE)
    for year in (2024, 2025):
        assert (await year_sums(db, province, Period(PeriodKind.YEAR, year), TODAY)
                == await month_by_month(db, province, year, TODAY))


async def test_a_rules_change_rebuilds_the_year_sums_with_the_months(
    db: Database, tmp_path: Path
) -> None:
    await reported_world(db)
    province = await unit_id(OrgRepository(db), PROVINCE)
    year = Period(PeriodKind.YEAR, 2026)
    shipped = await year_sums(db, province, year, TODAY)
    other = other_rules(tmp_path)  # from 2026: 80 % enough, on time up to the 6th
    sums.judge_with(db, other, VN)
    assert await sums.sync(db)
    edited = await year_sums(db, province, year, TODAY, rules=other)
    assert edited != shipped
    assert edited == await month_by_month(db, province, 2026, TODAY, rules=other)
    assert await kept_years(db) == await rebuilt_years(db)


async def test_the_migration_adds_up_the_years_of_the_kept_month_sums(tmp_path: Path) -> None:
    """A database with month sums from before migration 130 gets its year rows at once."""
    path = tmp_path / "before.sqlite3"
    db = await Database.open(path)
    await reported_world(db)
    expected = await kept_years(db)
    await db.close()
    conn = sqlite3.connect(path)
    old_trigger = next(s for n, sql in _migrations() if n == 110 for s in _split_sql(sql)
                       if s.startswith("CREATE TRIGGER sums_change"))
    conn.executescript(f"""DROP TABLE cell_year_sums; DROP TRIGGER sums_change;
        {old_trigger}; DELETE FROM schema_migrations WHERE number = 130;""")
    conn.commit()
    conn.close()
    db = await Database.open(path)
    try:
        assert len(expected) == 6 and await kept_years(db) == expected
    finally:
        await db.close()
