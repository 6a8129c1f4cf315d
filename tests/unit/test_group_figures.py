"""A summary's figures from cells' sums added up per commune (what SQL gives /tonghop) equal
those from every cell's line: drawn areas of cells tracked on any day, moved in the period
between communes (or within one), with any activity and thematic meetings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import add_months
from bot.domain.periods import Period, PeriodKind, month_start
from bot.domain.rulebook import Rulebook
from bot.domain.summaries import (
    CellActivity,
    CellSums,
    GroupSums,
    RecruitmentFigures,
    ScopeCell,
    figures_by_group,
    owing,
    summarise,
    summarise_groups,
)

RULES = Rulebook.default()
PERIODS = [Period(PeriodKind.MONTH, 2026, 11), Period(PeriodKind.MONTH, 2026, 2),
           Period(PeriodKind.MONTH, 2025, 7), Period(PeriodKind.QUARTER, 2026, 4),
           Period(PeriodKind.QUARTER, 2025, 3), Period(PeriodKind.YEAR, 2026),
           Period(PeriodKind.YEAR, 2025)]
TODAYS = [date(2026, 11, 27), date(2026, 12, 5), date(2026, 12, 6), date(2030, 1, 1)]
# Two communes of one name (an old and a new Tân Lân): their order must not depend on the path.
NAMES = {1: "Tân Lân", 2: "Tân Lân", 3: "Phước Đông"}


@st.composite
def areas(draw: st.DrawFn) -> tuple[Period, date, list[CellSums]]:
    """A period, today, and cells: each one stretch of the period, or (not in a month) cut
    at months of it into stretches under any communes."""
    period = draw(st.sampled_from(PERIODS))
    today = draw(st.sampled_from(TODAYS))
    end = period.last + timedelta(days=1)
    month_firsts = [add_months(period.first, i) for i in range(1, len(period.months))]
    rows = []
    for n in range(draw(st.integers(0, 14))):
        tracked = period.first + timedelta(days=draw(st.integers(-400, 200)))
        cuts = sorted(draw(st.sets(st.sampled_from(month_firsts), max_size=2))
                      if month_firsts else [])
        bounds = [period.first, *cuts, end]
        for starts, ends in pairwise(bounds):
            group = draw(st.sampled_from(sorted(NAMES)))
            cell = ScopeCell(n, f"C-{n:02d}", f"Cell {n}", group, NAMES[group], tracked,
                             starts, ends)
            activity = CellActivity(*draw(st.lists(st.integers(0, 4), min_size=16,
                                                   max_size=16)))
            thematic = tuple(draw(st.lists(st.integers(0, 2), min_size=len(period.quarters),
                                           max_size=len(period.quarters))))
            rows.append(CellSums(cell, activity, thematic))
    return period, today, rows


def added_up(rows: list[CellSums]) -> list[GroupSums]:
    """Add up the rows as the summaries' SQL does: by commune, tracked day, stretch and
    thematic meetings; a cell of several stretches alone."""
    stretches: dict[int, int] = {}
    for row in rows:
        stretches[row.cell.id] = stretches.get(row.cell.id, 0) + 1
    Key = tuple[int, str, date, date, date, tuple[int, ...], int | None]
    sums: dict[Key, tuple[int, list[int]]] = {}
    for cell, activity, thematic in rows:
        moved = cell.id if stretches[cell.id] > 1 else None
        key = (cell.group_id, cell.group_name, cell.tracked_from, cell.starts, cell.ends,
               thematic, moved)
        count, total = sums.get(key, (0, [0] * len(CellActivity._fields)))
        sums[key] = (count + 1, [a + b for a, b in zip(total, activity, strict=True)])
    return [GroupSums(group, name, tracked, starts, ends, thematic, count,
                      CellActivity(*total), moved)
            for (group, name, tracked, starts, ends, thematic, moved), (count, total)
            in sums.items()]


@settings(max_examples=300, deadline=None)
@given(areas())
def test_the_figures_added_up_per_commune_equal_those_of_every_cells_line(
    area: tuple[Period, date, list[CellSums]],
) -> None:
    period, today, rows = area
    owed = owing(period, today, RULES)
    full = summarise(owed, rows, RecruitmentFigures())
    totals, groups = figures_by_group(owed, reversed(added_up(rows)))  # in any order
    assert totals == full.totals
    assert groups == list(full.groups)
    assert summarise_groups(owed, added_up(rows), RecruitmentFigures()) == replace(
        full, cells=())


def test_a_cell_moved_within_its_commune_counts_once_there() -> None:
    """Out of Tân Lân in Q2 and back in Q3: one cell of Tân Lân, covered only if both
    stretches held their quarters' thematic meetings."""
    year = Period(PeriodKind.YEAR, 2026)
    halves = [(date(2026, 1, 1), month_start(2026 * 12 + 3), 1),
              (month_start(2026 * 12 + 3), month_start(2026 * 12 + 6), 3),
              (month_start(2026 * 12 + 6), date(2027, 1, 1), 1)]
    rows = [CellSums(ScopeCell(7, "C-07", "Cell 7", group, NAMES[group], date(2020, 1, 1),
                               starts, ends), CellActivity(regular_reports=3), (1, 1, 1, 1))
            for starts, ends, group in halves]
    owed = owing(year, date(2030, 1, 1), RULES)
    totals, groups = figures_by_group(owed, added_up(rows))
    by_unit = {g.unit_id: g.figures for g in groups}
    assert (by_unit[1].cells, by_unit[1].expected_reports, by_unit[1].reports) == (1, 9, 6)
    assert (totals.cells, totals.expected_reports, totals.thematic_covered) == (1, 12, 1)
