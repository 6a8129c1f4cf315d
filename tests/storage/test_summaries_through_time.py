"""Summaries and ratings on the tree of their period: the same cells before and after the
merger, a year across it, and old figures regrouped under today's units."""

from __future__ import annotations

from datetime import date

from bot.domain.periods import Period, PeriodKind
from bot.domain.pipeline import Birth, Move, Stage
from bot.domain.ratings import Members, RatingRow, Scheme
from bot.domain.rulebook import Rulebook
from bot.domain.summaries import CellLine, Figures, cell_lines, owing, rule_spans
from bot.storage.database import Database
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository
from bot.storage.ratings import RatingRepository
from bot.storage.recruitment import RecruitmentRepository
from bot.storage.summaries import SummaryRepository
from bot.storage.users import UserRepository
from tests.storage.test_org_tree import (
    DISTRICT,
    PHUOC_DONG,
    PROVINCE,
    TAN_LAN,
    merged_world,
    unit_id,
)
from tests.support import VN, sample_meeting, vn_time

RULES = Rulebook.default()
TODAY = date(2026, 11, 27)
JUNE, JULY = Period(PeriodKind.MONTH, 2025, 6), Period(PeriodKind.MONTH, 2025, 7)
YEAR_2025, YEAR_2016 = Period(PeriodKind.YEAR, 2025), Period(PeriodKind.YEAR, 2016)


async def world_with_reports(db: Database) -> OrgRepository:
    """The merged world, tracked since 2016, with a regular report of each cell every month
    of 2016 and of 2025 but PD-01's of July 2025, and a note in June and July."""
    org = await merged_world(db)
    meetings = MeetingRepository(db)
    for code, present in (("TL-01", 12), ("PD-01", 8)):
        cell = await org.by_code(code)
        assert cell is not None
        await org.set_tracked_from(cell.id, date(2016, 1, 1))
        for year in (2016, 2025):
            for month in range(1, 13):
                if (code, year, month) == ("PD-01", 2025, 7):
                    continue
                note = f"{code} {month}/{year}" if year == 2025 and month in (6, 7) else None
                report = sample_meeting(cell_id=cell.id, held_on=date(year, month, 10),
                                        expected=12, present=present, excused=12 - present,
                                        note=note)
                await meetings.save(report, regular=True, by_user=None, at=vn_time(year, 12, 1))
    return org


async def lines(
    db: Database, unit: int, period: Period, tree_of: date | None = None
) -> tuple[CellLine, ...]:
    spans = rule_spans(RULES, period.thematic_from, period.last)
    owed = owing(period, TODAY, RULES)
    rows = await SummaryRepository(db).cell_sums(unit, owed, spans, VN, tree_of)
    return cell_lines(owed, rows)


def by_cell(found: tuple[CellLine, ...]) -> dict[str, tuple[str, int, int]]:
    """{code: (commune, months owed, regular reports)}."""
    return {line.cell.code: (line.cell.group_name, line.months_owed,
                             line.activity.regular_reports) for line in found}


async def test_a_month_before_and_after_the_merger_shows_the_same_cells_in_their_units(
    db: Database,
) -> None:
    org = await world_with_reports(db)
    district, province = await unit_id(org, DISTRICT), await unit_id(org, PROVINCE)
    june = await lines(db, district, JUNE)
    assert by_cell(june) == {"TL-01": (TAN_LAN, 1, 1), "PD-01": (PHUOC_DONG, 1, 1)}
    july = await lines(db, province, JULY)
    assert by_cell(july) == {"TL-01": (TAN_LAN, 1, 1), "PD-01": (TAN_LAN, 1, 0)}
    assert {line.cell.id for line in june} == {line.cell.id for line in july}  # same cells
    assert {line.cell.group_id for line in july} == {await unit_id(org, PROVINCE, TAN_LAN)}
    assert await lines(db, district, JULY) == ()  # the district is gone in July
    assert by_cell(await lines(db, province, JUNE)) == by_cell(june)  # what merged into it
    summaries = SummaryRepository(db)
    notes, total = await summaries.latest_notes(district, JULY, 5)
    assert (notes, total) == ([], 0)
    notes, total = await summaries.latest_notes(province, JULY, 5)
    assert [n.text for n in notes] == ["TL-01 7/2025"] and total == 1


async def test_a_year_across_the_merger_counts_each_month_under_the_unit_of_its_day(
    db: Database,
) -> None:
    org = await world_with_reports(db)
    found = await lines(db, await unit_id(org, PROVINCE), YEAR_2025)
    stretches = sorted((line.cell.code, line.cell.group_name, line.months_owed,
                        line.activity.regular_reports) for line in found)
    assert stretches == [
        ("PD-01", PHUOC_DONG, 6, 6), ("PD-01", TAN_LAN, 6, 5),
        ("TL-01", TAN_LAN, 6, 6), ("TL-01", TAN_LAN, 6, 6),  # the old Tân Lân, then the new
    ]
    totals = Figures.of(found)
    assert (totals.cells, totals.expected_reports, totals.reports) == (2, 24, 23)


async def test_todays_tree_regroups_old_figures_as_the_sum_of_the_old_units(
    db: Database,
) -> None:
    org = await world_with_reports(db)
    old_tan_lan = await unit_id(org, DISTRICT, TAN_LAN)
    old_phuoc_dong = await unit_id(org, DISTRICT, PHUOC_DONG)
    new_tan_lan = await unit_id(org, PROVINCE, TAN_LAN)
    regrouped = await lines(db, new_tan_lan, YEAR_2016, tree_of=TODAY)
    assert {line.cell.group_id for line in regrouped} == {new_tan_lan}
    old = (Figures.of(await lines(db, old_tan_lan, YEAR_2016))
           + Figures.of(await lines(db, old_phuoc_dong, YEAR_2016)))
    assert Figures.of(regrouped) == old
    assert old.reports == 24 and old.activity.present == 12 * 12 + 8 * 12
    # In the tree of 2016 the new xã reads as the two communes merged into it.
    then = await lines(db, new_tan_lan, YEAR_2016)
    assert {line.cell.group_id for line in then} == {old_tan_lan, old_phuoc_dong}
    assert Figures.of(then) == old


async def test_a_years_ratings_fall_under_the_tree_of_its_last_day(db: Database) -> None:
    org = await world_with_reports(db)
    repo = RatingRepository(db)
    ids = {}
    for code in ("TL-01", "PD-01"):
        cell = await org.by_code(code)
        assert cell is not None
        ids[code] = cell.id
    await repo.save_all([
        RatingRow(n, code, year, Scheme.Y2018, "htt", Members(10, 1, 8, 1, 0), None)
        for n, (code, year) in enumerate(
            [(c, y) for c in ids for y in (2024, 2025)], start=2)
    ], ids, None, vn_time(2026, 2, 1))
    province = await unit_id(org, PROVINCE)
    in_2024 = await repo.scope_groups([province], 2024)
    assert sorted((g.name, g.cells) for g in in_2024) == [(PHUOC_DONG, 1), (TAN_LAN, 1)]
    assert {g.id for g in in_2024} == {await unit_id(org, DISTRICT, TAN_LAN),
                                       await unit_id(org, DISTRICT, PHUOC_DONG)}
    in_2025 = await repo.scope_groups([province], 2025)
    assert [(g.name, g.cells) for g in in_2025] == [(TAN_LAN, 2)]
    today = await repo.level_counts([province], 2024, tree_of=TODAY)
    assert [(c.group_id, c.cells) for c in today] == [(await unit_id(org, PROVINCE, TAN_LAN),
                                                       2)]
    assert await repo.level_counts([await unit_id(org, DISTRICT)], 2025) == []  # gone by then
    assert await repo.rated_years([province]) == [2025, 2024]


async def test_todays_probationers_are_those_of_todays_tree_whatever_the_period(
    db: Database,
) -> None:
    """One walk gives the period's cells and today's: a past period, today's tree, a
    commune gone since, each gets the probationers of its unit's cells of today."""
    org = await world_with_reports(db)
    by = await UserRepository(db).ensure("test", "sec", vn_time(2026, 1, 1))
    recruits = RecruitmentRepository(db)
    for code, ceremony in (("TL-01", date(2026, 3, 2)), ("PD-01", date(2026, 5, 4))):
        cell = await org.by_code(code)
        assert cell is not None
        await recruits.add(cell.id, f"Người {code}", Birth(1995, 4),
                           [Move(Stage.CEREMONY, ceremony), Move(Stage.PROBATION, ceremony)],
                           by, vn_time(2026, 6, 1))
    summaries = SummaryRepository(db)

    async def probationers(unit: int, period: Period, tree_of: date | None = None) -> int:
        async with summaries.area(unit, period, tree_of, TODAY) as area:
            count, records = await area.open_records(admitted_by=TODAY)
        assert len(records) == count  # every probationer's deadline is looked at
        return count

    new_tan_lan = await unit_id(org, PROVINCE, TAN_LAN)
    old_phuoc_dong = await unit_id(org, DISTRICT, PHUOC_DONG)
    this_month = Period(PeriodKind.MONTH, 2026, 11)
    assert await probationers(new_tan_lan, this_month) == 2
    assert await probationers(new_tan_lan, YEAR_2016) == 2  # 2016 read as the old communes
    assert await probationers(new_tan_lan, YEAR_2016, tree_of=TODAY) == 2
    assert await probationers(old_phuoc_dong, JUNE) == 0  # PD-01 is the new xã's today
    assert await probationers(await unit_id(org, PROVINCE), JULY) == 2
    assert await summaries.open_records(new_tan_lan, TODAY, TODAY) == (
        2, (await summaries.open_records(await unit_id(org, PROVINCE), TODAY, TODAY))[1])
