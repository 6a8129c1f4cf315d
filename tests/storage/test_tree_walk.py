"""The walk of the dated tree (bot.storage.tree.scope_sql) against the chains of parent links
it stands for, followed here in Python: for every unit (and a cell) as the scope, periods of a
day to ten years, each day's own tree and one day's tree, through moves, a closing, a
reopening and mergers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from bot.demo import seed_demo
from bot.storage.database import Database
from bot.storage.org import OrgRepository
from bot.storage.tree import scope_sql
from tests.storage.test_org_tree import (
    DISTRICT,
    MERGED,
    MERGES,
    NEW,
    NOW,
    OLD,
    PHUOC_DONG,
    TAN_LAN,
    merged_world,
)

Row = tuple[int, int | None, int | None, str, str]  # cell, parent, branch, starts, ends
FAR_PAST, FAR_FUTURE = "0000-01-01", "9999-12-31"


@dataclass(frozen=True)
class Link:
    unit_id: int
    parent_id: int | None
    starts: str
    ends: str


@dataclass(frozen=True)
class Tree:
    kinds: dict[int, str]
    links: tuple[Link, ...]
    successors: tuple[tuple[int, int], ...]  # (unit, the unit it became)

    def links_of(self, unit_id: int) -> Iterator[Link]:
        return (k for k in self.links if k.unit_id == unit_id)

    def children(self, unit_id: int) -> Iterator[Link]:
        return (k for k in self.links if k.parent_id == unit_id)

    def merged_into(self, unit_id: int) -> set[int]:
        """The unit and every unit merged into it, directly or not."""
        found, todo = {unit_id}, [unit_id]
        while todo:
            became = todo.pop()
            for old, new in self.successors:
                if new == became and old not in found:
                    found.add(old)
                    todo.append(old)
        return found

    def walk(self, scope: set[int], first: str, end: str) -> set[Row]:
        """Follow every chain of links down from the scope within [first, end): a cell's
        stretch is where all the links of its chain hold."""
        rows: set[Row] = set()

        def down(unit: int, parent: int | None, branch: int | None, s: str, e: str) -> None:
            if self.kinds[unit] == "cell":
                rows.add((unit, parent, branch, s, e))
                return
            for link in self.children(unit):
                starts, ends = max(s, link.starts), min(e, link.ends)
                if starts < ends:
                    below = link.unit_id if self.kinds[link.unit_id] == "unit" else None
                    down(link.unit_id, unit, branch or below, starts, ends)

        for unit in scope:
            for link in self.links_of(unit):
                starts, ends = max(first, link.starts), min(end, link.ends)
                if starts < ends:
                    down(unit, link.parent_id, None, starts, ends)
        return rows

    def then(self, unit_id: int, first: date, end: date) -> set[Row]:
        """Each day's own tree: the unit and the units merged into it."""
        return self.walk(self.merged_into(unit_id), first.isoformat(), end.isoformat())

    def of_day(self, unit_id: int, first: date, end: date, day: date) -> set[Row]:
        """The tree of `day` for the whole period, cells merged into its cells with them."""
        placed = {(c, p, b) for c, p, b, _, _ in self.walk(
            {unit_id}, day.isoformat(), (day + timedelta(days=1)).isoformat())}
        grown = True
        while grown:
            more = {(old, p, b) for c, p, b in placed for old, new in self.successors
                    if new == c}
            grown = not more <= placed
            placed |= more
        return {(c, p, b, first.isoformat(), end.isoformat()) for c, p, b in placed}


async def stored_tree(db: Database) -> Tree:
    kinds = {r["id"]: r["kind"] for r in await db.fetch_all("SELECT id, kind FROM org_units")}
    links = tuple(
        Link(r["unit_id"], r["parent_id"], r["valid_from"] or FAR_PAST,
             r["valid_to"] or FAR_FUTURE)
        for r in await db.fetch_all(
            "SELECT unit_id, parent_id, valid_from, valid_to FROM org_links"))
    successors = tuple((r[0], r[1]) for r in await db.fetch_all(
        "SELECT unit_id, successor_id FROM org_successors"))
    return Tree(kinds, links, successors)


async def walked(
    db: Database, unit_id: int, first: date, end: date, day: date | None = None
) -> set[Row]:
    params: dict[str, Any] = {}
    rows = await db.fetch_all(
        f"{scope_sql([unit_id], first, end, params, today=day)} SELECT * FROM tree_cells",
        params)
    found: set[Row] = {(r[0], r[1], r[2], r[3], r[4]) for r in rows}
    assert len(found) == len(rows)  # a set: no stretch twice
    return found


PERIODS = [  # (first, end): ten years, a year, the months around the changes, single days
    (date(2016, 1, 1), date(2027, 1, 1)), (date(2025, 1, 1), date(2026, 1, 1)),
    (date(2025, 3, 1), date(2025, 4, 1)), (date(2025, 6, 1), date(2025, 8, 1)),
    (date(2026, 9, 1), date(2026, 11, 1)), (MERGED - timedelta(days=1), MERGED),
    (MERGED, MERGED + timedelta(days=1)), (date(2026, 11, 27), date(2026, 11, 28)),
]
DAYS = [date(2016, 6, 1), date(2025, 3, 20), MERGED - timedelta(days=1), MERGED,
        date(2026, 9, 15), date(2026, 11, 27)]


async def assert_every_walk_follows_the_links(db: Database, scopes: list[int]) -> int:
    """Compare every scope, period and tree; return how many cell stretches were compared."""
    tree = await stored_tree(db)
    compared = 0
    for unit_id in scopes:
        for first, end in PERIODS:
            expected = tree.then(unit_id, first, end)
            assert await walked(db, unit_id, first, end) == expected, (unit_id, first, end)
            compared += len(expected)
            for day in DAYS:
                expected = tree.of_day(unit_id, first, end, day)
                assert await walked(db, unit_id, first, end, day) == expected, (
                    unit_id, first, end, day)
                compared += len(expected)
    return compared


async def test_the_walk_follows_moves_a_closing_a_reopening_and_a_merger(db: Database) -> None:
    org = OrgRepository(db)
    await org.import_cells(OLD, at=NOW)
    # PD-01 moves to Tân Lân in mid-March 2025 and PD-02 joins Phước Đông in May; from July
    # the communes and the district are the province's xã (PD-02 goes with its commune);
    # TL-01 closes in September 2026 and is back in October.
    moved = replace(OLD[1], path=(DISTRICT, TAN_LAN, OLD[1].path[2]), valid_from=date(2025, 3, 15))
    late = replace(OLD[1], code="PD-02", path=(DISTRICT, PHUOC_DONG, "Chi bộ ấp Hai"),
                   valid_from=date(2025, 5, 20))
    await org.import_cells([OLD[0], moved, late], at=NOW)
    await org.import_cells(NEW, at=NOW)
    await org.merge(MERGES)
    closing = date(2026, 9, 10)
    kept = [replace(NEW[1], valid_from=closing),
            replace(late, path=(NEW[1].path[0], NEW[1].path[1], late.path[2]),
                    valid_from=closing)]
    assert (await org.import_cells(kept, at=NOW, close_unnamed=True)).closed
    await org.import_cells([replace(NEW[0], valid_from=date(2026, 10, 5))], at=NOW)
    scopes = [r["id"] for r in await db.fetch_all("SELECT id FROM org_units ORDER BY id")]
    assert len(scopes) == 8  # the district, its 2 communes, the province, its xã, 3 cells
    assert await assert_every_walk_follows_the_links(db, scopes) > 100


async def test_the_walk_of_the_merged_world_follows_the_links(db: Database) -> None:
    await merged_world(db)
    units = await db.fetch_all("SELECT id FROM org_units ORDER BY id")
    assert await assert_every_walk_follows_the_links(db, [r["id"] for r in units]) > 0


async def test_the_walk_of_the_demo_district_follows_the_links(db: Database) -> None:
    await seed_demo(db, NOW)
    units = await db.fetch_all(
        "SELECT id FROM org_units WHERE kind = 'unit' OR id % 25 = 0 ORDER BY id")
    assert await assert_every_walk_follows_the_links(db, [r["id"] for r in units]) > 1000


def test_the_oracle_cuts_a_stretch_where_a_link_of_its_chain_ends() -> None:
    # A cell under a commune moved between districts on 1 March: two stretches for the
    # province's period, one per district (the branch), none outside the cell's own life.
    tree = Tree({1: "unit", 2: "unit", 3: "unit", 4: "unit", 5: "cell"},
                (Link(1, None, FAR_PAST, FAR_FUTURE), Link(2, 1, FAR_PAST, FAR_FUTURE),
                 Link(3, 1, FAR_PAST, FAR_FUTURE), Link(4, 2, FAR_PAST, "2025-03-01"),
                 Link(4, 3, "2025-03-01", FAR_FUTURE), Link(5, 4, "2025-02-10", FAR_FUTURE)),
                ())
    assert tree.then(1, date(2025, 1, 1), date(2026, 1, 1)) == {
        (5, 4, 2, "2025-02-10", "2025-03-01"), (5, 4, 3, "2025-03-01", "2026-01-01")}
    assert tree.of_day(1, date(2025, 1, 1), date(2026, 1, 1), date(2025, 2, 20)) == {
        (5, 4, 2, "2025-01-01", "2026-01-01")}
    assert tree.then(4, date(2025, 1, 1), date(2026, 1, 1)) == {
        (5, 4, None, "2025-02-10", "2025-03-01"), (5, 4, None, "2025-03-01", "2026-01-01")}
