"""A demo district through the 2025 merger, with users for the terminal shell.

From 2016 to June 2025 the cells are under Huyện Cần Đước and its 17 communes; on 1 July 2025
the district is abolished and the communes become 6 xã directly under Tỉnh Tây Ninh (DOMAIN.md
§5.2). The cells keep their codes and their reports, which run from January 2016 to two months
ago, so `/tonghop 2016` shows the old tree, `/tonghop` today's, and `/tonghop 2016 nay` the
old years regrouped under today's xã. The organisers are bound to Tỉnh Tây Ninh.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo

from bot.domain.meetings import ALL_TARGETS, MeetingKind, MeetingReport
from bot.domain.org import CellRow, Role
from bot.domain.periods import month_end, month_index, month_start
from bot.domain.tree import MergeRow
from bot.storage.bulk import load_reports
from bot.storage.database import Database
from bot.storage.marks import TERMINAL, DatabaseMarks
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository
from bot.storage.users import UserRepository

DISTRICT = "Huyện Cần Đước"
PROVINCE = "Tỉnh Tây Ninh"
MERGED_ON = date(2025, 7, 1)
HISTORY_FROM = date(2016, 1, 1)
# The 16 communes and the township of Cần Đước in 2016, with a short code prefix each.
COMMUNES = [
    ("Thị trấn Cần Đước", "TT"), ("Xã Long Trạch", "LTR"), ("Xã Long Khê", "LKH"),
    ("Xã Long Hòa", "LHO"), ("Xã Long Cang", "LCA"), ("Xã Long Định", "LDI"),
    ("Xã Phước Vân", "PVA"), ("Xã Long Sơn", "LSO"), ("Xã Tân Trạch", "TTR"),
    ("Xã Mỹ Lệ", "MLE"), ("Xã Tân Lân", "TL"), ("Xã Phước Đông", "PDO"),
    ("Xã Long Hựu Đông", "LHD"), ("Xã Long Hựu Tây", "LHT"), ("Xã Tân Ân", "TAN"),
    ("Xã Tân Chánh", "TCH"), ("Xã Phước Tuy", "PTU"),
]
# The 6 xã of 1 July 2025 and the communes each was merged from (DOMAIN.md §5.2).
NEW_COMMUNES = {
    "Xã Cần Đước": ("Thị trấn Cần Đước", "Xã Phước Tuy", "Xã Tân Ân", "Xã Tân Chánh"),
    "Xã Tân Lân": ("Xã Tân Lân", "Xã Phước Đông"),
    "Xã Mỹ Lệ": ("Xã Mỹ Lệ", "Xã Tân Trạch", "Xã Long Sơn"),
    "Xã Rạch Kiến": ("Xã Long Trạch", "Xã Long Khê", "Xã Long Hòa"),
    "Xã Long Cang": ("Xã Long Cang", "Xã Long Định", "Xã Phước Vân"),
    "Xã Long Hựu": ("Xã Long Hựu Đông", "Xã Long Hựu Tây"),
}
# A few real hamlet names; the rest are numbered, with their commune's name so that names
# stay apart once communes merge.
NAMED_HAMLETS = {"TL": ["Chi bộ ấp Xóm Chùa", "Chi bộ ấp Xóm Đình", "Chi bộ ấp Chợ"]}

CONSOLE = TERMINAL
STAFF_KEY = "demo-staff"
ADMIN_KEY = "demo-admin"


def secretary_key(cell_code: str) -> str:
    return f"demo-secretary-{cell_code}"


class NotADemoDatabase(Exception):
    """The database holds data the demo did not create: it is never seeded over."""


async def is_demo_database(db: Database) -> bool:
    """Tell whether the database is empty or was seeded as the demo (and marked so)."""
    marks = DatabaseMarks(db)
    return await marks.is_demo() or await marks.is_empty()


@dataclass(frozen=True)
class DemoSummary:
    communes: int  # before the merger
    new_communes: int  # after it
    cells: int
    reports: int  # reports saved by this run (0 on a refresh)
    first_cell: str


def demo_cells(seed: int = 2016) -> list[CellRow]:
    """Return about 100 hamlet cells under the 2016 district, with plausible rolls (10–40
    members), the same every run."""
    rng = random.Random(seed)
    rows: list[CellRow] = []
    for commune, prefix in COMMUNES:
        count = 11 if prefix == "TT" else rng.randint(5, 6)
        named = NAMED_HAMLETS.get(prefix, [])
        for number in range(1, count + 1):
            if number <= len(named):
                name = named[number - 1]
            elif prefix == "TT":
                name = f"Chi bộ khu phố {number}"
            else:
                name = f"Chi bộ ấp {number} {commune.removeprefix('Xã ')}"
            full = rng.randint(9, 34)
            rows.append(CellRow(
                line=len(rows) + 2,
                path=(DISTRICT, commune, name),
                code=f"{prefix}-{number:02d}",
                full_members=full,
                probationary_members=rng.randint(0, 3),
                exempt_members=rng.randint(0, max(1, full // 8)),
                valid_from=HISTORY_FROM,
            ))
    return rows


def merged_cells(cells: list[CellRow]) -> list[CellRow]:
    """Return the same cells under Tỉnh Tây Ninh and their new xã, from the merger."""
    new_of = {old: new for new, olds in NEW_COMMUNES.items() for old in olds}
    return [replace(cell, path=(PROVINCE, new_of[cell.path[1]], cell.path[2]),
                    valid_from=MERGED_ON) for cell in cells]


def merges() -> list[MergeRow]:
    """Return the merger as a merge file says it: every old commune, and the district."""
    rows = [MergeRow(n, (DISTRICT, old), (PROVINCE, new), MERGED_ON)
            for n, (new, olds) in enumerate(NEW_COMMUNES.items()) for old in olds]
    return [*rows, MergeRow(len(rows), (DISTRICT,), (PROVINCE,), MERGED_ON)]


def history(
    cells: list[tuple[int, CellRow]], until: date, zone: tzinfo | None, seed: int = 2025
) -> Iterator[tuple[MeetingReport, bool, datetime]]:
    """Yield the cells' reports from 2016 to `until`: a regular meeting most months (received
    a few days later, now and then late), a thematic one most quarters."""
    rng = random.Random(seed)
    for cell_id, cell in cells:
        expected = cell.full_members + cell.probationary_members - cell.exempt_members
        for month in range(month_index(HISTORY_FROM), month_index(until) + 1):
            if rng.random() < 0.06:  # a month without a report
                continue
            held = month_start(month) + timedelta(days=rng.randint(3, 24))
            kinds = [MeetingKind.REGULAR]
            if month % 3 == 1 and rng.random() < 0.85:  # the quarter's thematic meeting
                kinds.append(MeetingKind.THEMATIC)
            for kind in kinds:
                day = held if kind is MeetingKind.REGULAR else min(
                    held + timedelta(days=7), month_end(month))
                absent = min(expected, rng.choice([0, 0, 1, 1, 2, 3]))
                unexcused = int(absent > 0 and rng.random() < 0.15)
                report = MeetingReport(
                    cell_id=cell_id, held_on=day, kind=kind,
                    topic="Học tập và làm theo Bác" if kind is MeetingKind.THEMATIC else None,
                    minutes=rng.choice([75, 90, 95, 100, 120]), expected=expected,
                    present=expected - absent, excused=absent - unexcused,
                    resolution_adopted=rng.random() < 0.95, tasks=rng.randint(0, 3),
                    disseminated_to=ALL_TARGETS if rng.random() < 0.8 else frozenset(),
                    note=None,
                )
                received = datetime.combine(day + timedelta(days=rng.randint(0, 14)), time(20),
                                            tzinfo=zone)
                yield report, kind is MeetingKind.REGULAR, received


async def seed_demo(db: Database, now: datetime, reports: bool = True) -> DemoSummary:
    """Create or refresh the demo district, its merger, its users and (with `reports`) its
    reports up to two months ago; safe to run again. Raise NotADemoDatabase on a database
    that is neither empty nor the demo: a real one, whatever its units are called."""
    if not await is_demo_database(db):
        raise NotADemoDatabase()
    await DatabaseMarks(db).mark_demo(now)
    cells = demo_cells()
    org = OrgRepository(db)
    await org.import_cells(cells, at=now)
    await org.import_cells(merged_cells(cells), at=now)
    await org.merge(merges())
    users = UserRepository(db)
    district = await org.by_path([DISTRICT])
    province = await org.by_path([PROVINCE])
    assert district is not None and province is not None
    ids: list[tuple[int, CellRow]] = []
    for cell in cells:
        unit = await org.by_code(cell.code)
        assert unit is not None
        ids.append((unit.id, cell))
        await org.set_tracked_from(unit.id, HISTORY_FROM)
        user_id = await users.ensure(CONSOLE, secretary_key(cell.code), now)
        await users.grant(user_id, Role.SECRETARY, unit.id, now)
    staff_id = await users.ensure(CONSOLE, STAFF_KEY, now)
    await users.grant(staff_id, Role.STAFF, province.id, now)
    admin_id = await users.ensure(CONSOLE, ADMIN_KEY, now)
    await users.grant(admin_id, Role.ADMIN, province.id, now)
    await users.move_roles(district.id, province.id, [Role.STAFF, Role.ADMIN], now)
    saved = 0
    if reports and await MeetingRepository(db).latest(ids[0][0]) is None:  # not on a refresh
        until = month_end(month_index(now.date()) - 2)
        saved = await load_reports(db, history(ids, until, now.tzinfo))
    return DemoSummary(len(COMMUNES), len(NEW_COMMUNES), len(cells), saved, cells[0].code)
