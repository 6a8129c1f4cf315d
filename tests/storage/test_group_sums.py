"""/tonghop's figures, added up per commune by SQL, equal those of every cell's line, on a
tree through time: cells merged into a new xã on 1 July 2025, one moved to another xã on
1 August 2025 and back on 1 February 2026, one opened in March 2026, cells tracked from
any day, random meetings of every kind on time or late; every month, quarter and year,
in the tree of the period and in today's."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from bot.domain.meetings import MeetingKind
from bot.domain.org import CellRow
from bot.domain.periods import Period, PeriodKind
from bot.domain.rulebook import Rulebook
from bot.domain.tree import MergeRow, Tree
from bot.storage import sums
from bot.storage.database import Database
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository
from handlers.summary import load_summary
from tests.storage.test_month_sums import random_report
from tests.storage.test_org_tree import DISTRICT, MERGED, PHUOC_DONG, PROVINCE, TAN_LAN, unit_id
from tests.support import VN, vn_time

RULES = Rulebook.default()
MY_LE = "Xã Mỹ Lệ"
NOW = vn_time(2026, 11, 27, 9)  # November's reports are not due yet
OLD = [CellRow(n, (DISTRICT, TAN_LAN if n % 2 else PHUOC_DONG, f"Chi bộ ấp {n}"), f"C-{n:02d}",
               12, 0, 0, date(2016, 1, 1)) for n in range(2, 12)]
NEW = [replace(c, path=(PROVINCE, TAN_LAN, c.path[2]), valid_from=MERGED) for c in OLD]
MOVES = [
    replace(NEW[0], path=(PROVINCE, MY_LE, NEW[0].path[2]), valid_from=date(2025, 8, 1)),
    replace(NEW[0], valid_from=date(2026, 2, 1)),
    CellRow(20, (PROVINCE, MY_LE, "Chi bộ ấp Mới"), "C-20", 9, 0, 0, date(2026, 3, 1)),
]
MERGES = [
    MergeRow(2, (DISTRICT, TAN_LAN), (PROVINCE, TAN_LAN), MERGED),
    MergeRow(3, (DISTRICT, PHUOC_DONG), (PROVINCE, TAN_LAN), MERGED),
    MergeRow(4, (DISTRICT,), (PROVINCE,), MERGED),
]
PERIODS = [
    *(Period(PeriodKind.MONTH, year, month) for year in (2025, 2026) for month in range(1, 13)
      if (year, month) <= (2026, 11)),
    *(Period(PeriodKind.QUARTER, year, q) for year in (2025, 2026) for q in range(1, 5)),
    Period(PeriodKind.YEAR, 2025), Period(PeriodKind.YEAR, 2026),
]


async def moving_world(db: Database) -> OrgRepository:
    org = OrgRepository(db)
    for rows in (OLD, NEW, MOVES[:1], MOVES[1:2], MOVES[2:]):
        await org.import_cells(rows, at=NOW)
    await org.merge(MERGES)
    sums.judge_with(db, RULES, VN)
    rng = random.Random(140)
    meetings = MeetingRepository(db)
    for row in [*OLD, MOVES[2]]:
        cell = await org.by_code(row.code)
        assert cell is not None
        # Some from long ago, some from a day of 2025 or 2026 (a month's first or not).
        tracked = rng.choice([date(2016, 1, 1), date(2025, 3, 14), date(2025, 8, 1),
                              date(2026, 2, 27), date(2026, 6, 1)])
        await org.set_tracked_from(cell.id, tracked)
        for year, month in ((y, m) for y in (2025, 2026) for m in range(1, 13)):
            for kind in MeetingKind:
                held = date(year, month, rng.randint(1, 28))
                if held > NOW.date() or rng.random() < 0.3:
                    continue
                received = datetime.combine(held, datetime.min.time(), VN) + timedelta(
                    days=rng.choice([0, 20, 40]))
                await meetings.save(random_report(rng, cell.id, held, kind),
                                    regular=kind is MeetingKind.REGULAR, by_user=None,
                                    at=min(received, NOW))
    return org


@pytest.mark.parametrize("tree", [Tree.THEN, Tree.TODAY])
async def test_the_communes_sums_give_the_figures_of_every_cells_line(
    db: Database, tree: Tree
) -> None:
    org = await moving_world(db)
    units = [await unit_id(org, PROVINCE), await unit_id(org, PROVINCE, TAN_LAN),
             await unit_id(org, PROVINCE, MY_LE), await unit_id(org, DISTRICT)]
    compared = 0
    for unit in units:
        for period in PERIODS:
            full = await load_summary(db, RULES, unit, period, NOW, frozenset(), tree)
            grouped = await load_summary(db, RULES, unit, period, NOW, frozenset(), tree,
                                         per_cell=False)
            assert grouped == replace(full, cells=()), (unit, period)
            compared += bool(full.totals.cells)
    assert compared > 80  # most areas and periods had cells to count


async def test_a_moved_cell_counts_once_in_the_year_it_moved(db: Database) -> None:
    """In 2025 the ten cells were in the two old communes, then in the new Tân Lân; C-02
    moved on to Mỹ Lệ in August: three stretches, one cell."""
    org = await moving_world(db)
    province = await unit_id(org, PROVINCE)
    grouped = await load_summary(db, RULES, province, Period(PeriodKind.YEAR, 2025), NOW,
                                 frozenset(), per_cell=False)
    assert grouped.totals.cells == 10
    assert sorted((g.name, g.figures.cells) for g in grouped.groups) == [
        (MY_LE, 1), (PHUOC_DONG, 5), (TAN_LAN, 5), (TAN_LAN, 10)]  # the old, the new
