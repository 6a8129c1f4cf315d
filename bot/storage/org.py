"""Org tree repository: units, cells and their rolls, the tree through time, merges.

A unit lives from valid_from to valid_to, and its parent is kept per period in org_links
(bot.storage.tree reads them); org_units.parent_id is the parent of its latest link, under
which names are unique and by which paths are found. Nothing here deletes a unit: an import
or a merge closes it on a day, and its reports stay where they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiosqlite

from bot.domain.org import N_, CellRow, OrgCsvError, OrgUnit, name_key, raise_all
from bot.domain.tree import MergeRow
from bot.storage.database import Database
from bot.storage.roll import record_import
from bot.storage.tree import ancestors_sql, covers, lineage_sql, overlaps, scope_sql

_FIELDS = ("id", "parent_id", "kind", "name", "code", "full_members", "probationary_members",
           "exempt_members", "valid_from", "valid_to")
_COLUMNS = ", ".join(_FIELDS)


def _columns(alias: str, parent: str | None = None) -> str:
    """Return the unit's columns of table `alias`; `parent` replaces its parent_id."""
    return ", ".join(f"{parent} AS parent_id" if parent and f == "parent_id" else f"{alias}.{f}"
                     for f in _FIELDS)


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _unit(row: aiosqlite.Row) -> OrgUnit:
    return OrgUnit(
        id=row["id"],
        parent_id=row["parent_id"],
        kind=row["kind"],
        name=row["name"],
        code=row["code"],
        full_members=row["full_members"],
        probationary_members=row["probationary_members"],
        exempt_members=row["exempt_members"],
        valid_from=_day(row["valid_from"]),
        valid_to=_day(row["valid_to"]),
    )


@dataclass(frozen=True)
class RollReset:
    """A cell whose counts an import changed: (full, probationary, exempt) before and after."""

    code: str
    before: tuple[int, int, int]
    after: tuple[int, int, int]


@dataclass(frozen=True)
class Closed:
    """A unit or cell an import closed (it was no longer in the file)."""

    kind: str
    name: str
    code: str | None


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    rolls_changed: tuple[RollReset, ...]  # existing cells whose counts the file changed
    moved: tuple[str, ...] = ()  # codes of the cells moved under another parent
    closed: tuple[Closed, ...] = ()  # units and cells no longer named, closed on `on`
    on: date | None = None  # the file's day (its latest valid_from, else the import day)


@dataclass(frozen=True)
class MergeResult:
    closed: int  # units closed by the file (already closed on that day: counted too)
    created: tuple[str, ...]  # names of successor units the file created
    moved: int  # cells and units moved under the successor of their merged parent
    unplaced: tuple[str, ...]  # cells left under a unit merged into several: import them


class OrgRepository:
    def __init__(self, db: Database):
        self._db = db

    async def get(self, unit_id: int) -> OrgUnit | None:
        row = await self._db.lookup(f"SELECT {_COLUMNS} FROM org_units WHERE id = ?", (unit_id,))
        return None if row is None else _unit(row)

    async def by_code(self, code: str) -> OrgUnit | None:
        row = await self._db.lookup(
            f"SELECT {_COLUMNS} FROM org_units WHERE code = ?", (code.strip().upper(),)
        )
        return None if row is None else _unit(row)

    async def by_path(self, path: Sequence[str]) -> OrgUnit | None:
        """Find a unit by its names from the root, e.g. ("Huyện Cần Đước", "Xã Tân Lân"), in
        any case ("huyện cần đước").

        The path runs along each unit's latest parent: a unit closed since is found by its
        last place.
        """
        unit: OrgUnit | None = None
        for name in path:
            parent, params = _parent_is(None if unit is None else unit.id)
            row = _same_name(await self._db.fetch_all(
                f"SELECT {_COLUMNS} FROM org_units WHERE {parent}", params), name)
            if row is None:
                return None
            unit = _unit(row)
        return unit

    async def find(self, target: str) -> OrgUnit | None:
        """Find a unit by code, by its path of names separated by "/", or by a unique name."""
        by_code = await self.by_code(target) if "/" not in target else None
        found = by_code or await self.by_path([p for p in target.split("/") if p.strip()])
        if found is None and "/" not in target:
            rows = await self._db.fetch_all(
                f"SELECT {_COLUMNS} FROM org_units WHERE name = ? LIMIT 2", (target.strip(),)
            )
            found = _unit(rows[0]) if len(rows) == 1 else None
        return found

    async def path_names(self, unit_id: int) -> list[str]:
        """Return the names from the root down to `unit_id`."""
        rows = await self._db.fetch_all(
            """
            WITH RECURSIVE up(id, parent_id, name, depth) AS (
                SELECT id, parent_id, name, 0 FROM org_units WHERE id = ?
                UNION ALL
                SELECT o.id, o.parent_id, o.name, up.depth + 1
                FROM org_units o JOIN up ON o.id = up.parent_id
            )
            SELECT name FROM up ORDER BY depth DESC
            """,
            (unit_id,),
        )
        return [r["name"] for r in rows]

    async def roots_on(self, day: date) -> list[tuple[int, str]]:
        """Return the (id, name) of the top units of the tree on `day` (a province, a district)."""
        rows = await self._db.fetch_all(
            "SELECT id, name FROM org_units WHERE parent_id IS NULL"
            " AND (valid_to IS NULL OR valid_to > ?) ORDER BY name",
            (day.isoformat(),),
        )
        return [(int(r["id"]), r["name"]) for r in rows]

    async def cells_under(self, unit_id: int, on: date) -> list[OrgUnit]:
        """Return the cells in the subtree of `unit_id` on the day `on`, by name.

        Each cell's parent_id is its parent on that day; the units merged into `unit_id`
        count as part of it in their own days.
        """
        params: dict[str, Any] = {}
        rows = await self._db.fetch_all(
            f"""{scope_sql([unit_id], on, on + timedelta(days=1), params)}
            SELECT DISTINCT {_columns('o', parent='s.parent_id')}
            FROM tree_cells s JOIN org_units o ON o.id = s.cell_id ORDER BY o.name, o.id""",
            params,
        )
        return [_unit(r) for r in rows]

    async def tracked_from(self, cell_id: int) -> date | None:
        """Return the day the cell entered the bot: it owes reports from that month on."""
        row = await self._db.lookup(
            "SELECT tracked_from FROM org_units WHERE id = ? AND kind = 'cell'", (cell_id,)
        )
        return None if row is None or row[0] is None else date.fromisoformat(row[0])

    async def set_tracked_from(self, cell_id: int, day: date) -> None:
        """Correct the day a cell entered the bot (e.g. it kept its book on paper before)."""
        await self._db.write(
            "UPDATE org_units SET tracked_from = ? WHERE id = ? AND kind = 'cell'",
            (day.isoformat(), cell_id),
        )

    async def is_within(self, unit_id: int, ancestor_id: int, on: date) -> bool:
        """Tell whether `unit_id` lies in the subtree of `ancestor_id` on the day `on`."""
        return await self.is_within_any(unit_id, [ancestor_id], on)

    async def is_within_any(self, unit_id: int, ancestor_ids: Sequence[int], on: date) -> bool:
        """Tell whether `unit_id` lies, on `on`, in the subtree of any of `ancestor_ids` (a
        user's scope) or of a unit merged into one of them."""
        if not ancestor_ids:
            return False
        params: dict[str, Any] = {}
        up = ancestors_sql(params, unit_id, on)
        lineage = lineage_sql(ancestor_ids, params).removeprefix("WITH RECURSIVE")
        found = await self._db.scalar(
            f"{up}, {lineage} SELECT COUNT(*) FROM tree_up u JOIN tree_lineage t ON t.id = u.id",
            params,
        )
        return bool(found)

    async def successors(self, unit_id: int) -> list[tuple[OrgUnit, date]]:
        """Return the units `unit_id` was merged into, with the day, by name."""
        rows = await self._db.fetch_all(
            f"SELECT {_columns('o')}, s.on_date FROM org_successors s"
            " JOIN org_units o ON o.id = s.successor_id WHERE s.unit_id = ? ORDER BY o.name",
            (unit_id,),
        )
        return [(_unit(r), date.fromisoformat(r["on_date"])) for r in rows]

    async def merged_into(
        self, unit_id: int, first: date, end: date
    ) -> list[tuple[OrgUnit, date]]:
        """Return the units merged into `unit_id` (directly or not) that existed in
        [first, end), with the day each merged, by day then name."""
        params: dict[str, Any] = {"first": first.isoformat(), "end": end.isoformat()}
        rows = await self._db.fetch_all(
            f"""{lineage_sql([unit_id], params)}
            SELECT {_columns('o')}, MIN(s.on_date) AS on_date
            FROM tree_lineage t JOIN org_units o ON o.id = t.id
            JOIN org_successors s ON s.unit_id = o.id
            WHERE o.id <> :tree_unit_0 AND {overlaps('o', ':first', ':end')}
            GROUP BY {_columns('o')} ORDER BY MIN(s.on_date), o.name""",
            params,
        )
        return [(_unit(r), date.fromisoformat(r["on_date"])) for r in rows]

    async def set_roll(self, cell_id: int, full: int, probationary: int, exempt: int) -> None:
        await self._db.write(
            "UPDATE org_units SET full_members = ?, probationary_members = ?, exempt_members = ?"
            " WHERE id = ? AND kind = 'cell'",
            (full, probationary, exempt, cell_id),
        )

    async def import_cells(
        self, cells: Sequence[CellRow], at: datetime | None = None, close_unnamed: bool = False
    ) -> ImportResult:
        """Create or update every cell and its parent units in one transaction.

        Each row holds from its valid_from (None: the day of `at`). A code that names a cell
        elsewhere moves that cell from that day, so it keeps its id and reports; a unit or
        cell closed before is opened again. A unit or cell new to the tree begins on its
        valid_from, or without one has been there since before the bot. Units are found by
        name in any case. The file's counts are the administrator's reset of the roll as of
        the day of `at`: each cell whose counts change says so, and recruitment steps dated
        before that day no longer move it (bot.storage.roll). A new cell is tracked from the
        day of `at` (or its later valid_from): it owes reports from then on. A bad line
        raises OrgCsvError, every bad line of the file at once (OrgCsvErrors): nothing is
        written.

        `close_unnamed` reads the file as the whole tree: every unit and cell open on the
        file's latest day that it no longer names is closed on that day. Nothing is deleted.
        """
        created = updated = 0
        resets: list[RollReset] = []
        moved: list[str] = []
        now = at or datetime.now(UTC)
        today = now.date()
        on = max(cell.valid_from or today for cell in cells) if cells else today
        async with self._db.transaction() as conn:
            writer = _TreeWriter(conn)
            problems: list[OrgCsvError] = []  # every bad line, for one answer
            for cell in cells:
                try:
                    row = await _import_row(writer, cell, today, now)
                except OrgCsvError as bad:
                    problems.append(bad)
                    continue
                created += row.created
                updated += not row.created
                moved += [cell.code] if row.moved else []
                resets += [row.reset] if row.reset else []
            raise_all(problems)  # nothing is written
            closed = await writer.close_unnamed(on) if close_unnamed else []
        return ImportResult(created, updated, tuple(resets), tuple(moved), tuple(closed), on)

    async def merge(self, rows: Sequence[MergeRow]) -> MergeResult:
        """Close each old unit on its day and link it to the unit it became, in one
        transaction; a successor unit not yet in the tree is created from that day.

        The cells and units still under a unit merged into exactly one other move under it
        from that day (a unit merged into several cannot say where they go: they are listed
        as unplaced). Loading the same file again changes nothing.
        """
        created: list[str] = []
        merged: dict[int, tuple[int, date]] = {}  # old unit: (line, day)
        async with self._db.transaction() as conn:
            writer = _TreeWriter(conn)
            for row in rows:
                old = await _by_path(conn, row.old)
                if old is None:
                    raise OrgCsvError(row.line, N_("no unit has the path {path}"),
                                      path="/".join(row.old))
                new = await _by_path(conn, row.new)
                if new is None and old["kind"] == "cell":
                    raise OrgCsvError(row.line, N_("the cell {path} is not in the tree: import "
                                                   "it first"), path="/".join(row.new))
                if new is None:
                    parent_id: int | None = None
                    for depth, name in enumerate(row.new, start=1):
                        if await _by_path(conn, row.new[:depth]) is None:
                            created.append("/".join(row.new[:depth]))
                        parent_id = await writer.ensure_unit(parent_id, name, row.line, row.on,
                                                             row.on)
                    new = await _by_path(conn, row.new)
                assert new is not None
                await _check_successor(conn, row, old, new)
                await writer.close(int(old["id"]), row.on, row.line)
                await conn.execute(
                    "INSERT INTO org_successors (unit_id, successor_id, on_date) VALUES (?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (old["id"], new["id"], row.on.isoformat()),
                )
                merged[int(old["id"])] = (row.line, row.on)
            moved, unplaced = 0, []
            for old_id, (line, day) in merged.items():
                cursor = await conn.execute(
                    "SELECT successor_id FROM org_successors WHERE unit_id = ?", (old_id,))
                successors = [int(r["successor_id"]) for r in await cursor.fetchall()]
                children = await writer.children_on(old_id, day)
                if len(successors) == 1:
                    for child_id, name in children:
                        await _refuse_crowding(conn, successors[0], child_id, name, line)
                        await writer.place(child_id, successors[0], day, line, name)
                        moved += 1
                else:
                    unplaced += [name for child_id, name in children]
        return MergeResult(len(merged), tuple(created), moved, tuple(unplaced))


@dataclass(frozen=True)
class _RowImported:
    created: bool
    moved: bool = False
    reset: RollReset | None = None


async def _import_row(
    writer: _TreeWriter, cell: CellRow, today: date, now: datetime
) -> _RowImported:
    """Create or update one cell of an import and its parents (in its transaction)."""
    conn = writer.conn
    day = cell.valid_from or today
    parent_id: int | None = None
    for name in cell.path[:-1]:
        parent_id = await writer.ensure_unit(parent_id, name, cell.line, day, cell.valid_from)
    cursor = await conn.execute(
        "SELECT id, parent_id, full_members, probationary_members, exempt_members"
        " FROM org_units WHERE code = ?",
        (cell.code,),
    )
    existing = await cursor.fetchone()
    await _refuse_namesake(conn, parent_id, cell, existing)
    counts = (cell.full_members, cell.probationary_members, cell.exempt_members)
    if existing is None:
        cursor = await conn.execute(
            "INSERT INTO org_units (parent_id, name, full_members, probationary_members,"
            " exempt_members, kind, code, tracked_from, valid_from, roll_set_on)"
            " VALUES (?, ?, ?, ?, ?, 'cell', ?, ?, ?, ?) RETURNING id",
            (parent_id, cell.path[-1], *counts, cell.code, max(today, day).isoformat(),
             _iso(cell.valid_from), today.isoformat()),
        )
        inserted = await cursor.fetchone()
        assert inserted is not None
        await writer.link(int(inserted["id"]), parent_id, cell.valid_from)
        writer.named.add(int(inserted["id"]))
        return _RowImported(created=True)
    cell_id = int(existing["id"])
    writer.named.add(cell_id)
    placed = await writer.place(cell_id, parent_id, day, cell.line, cell.path[-1])
    await conn.execute(
        "UPDATE org_units SET name = ?, full_members = ?, probationary_members = ?,"
        " exempt_members = ?, roll_set_on = ? WHERE id = ?",
        (cell.path[-1], *counts, today.isoformat(), cell_id),
    )
    before = (existing["full_members"], existing["probationary_members"],
              existing["exempt_members"])
    reset = None
    if before != counts:
        await record_import(conn, cell_id, before, counts, now)
        reset = RollReset(cell.code, before, counts)
    return _RowImported(False, placed and existing["parent_id"] != parent_id, reset)


class _TreeWriter:
    """The dated writes of one import or merge, inside its transaction."""

    def __init__(self, conn: aiosqlite.Connection):
        self.conn = conn
        self.named: set[int] = set()  # every unit and cell the file names

    async def ensure_unit(
        self, parent_id: int | None, name: str, line: int, day: date, new_from: date | None
    ) -> int:
        """Return the unit named `name` under `parent_id` (in any case) on `day` (opened again
        if closed), or a new one there from `new_from` (None: since before the bot)."""
        row = await _child_named(self.conn, parent_id, name)
        if row is not None:
            if row["kind"] == "cell":
                raise OrgCsvError(line, N_("{name} is a cell and cannot hold other units"),
                                  name=name)
            await self.place(int(row["id"]), parent_id, day, line, row["name"])
            self.named.add(int(row["id"]))
            return int(row["id"])
        cursor = await self.conn.execute(
            "INSERT INTO org_units (parent_id, kind, name, valid_from) VALUES (?, 'unit', ?, ?)"
            " RETURNING id",
            (parent_id, name, _iso(new_from)),
        )
        inserted = await cursor.fetchone()
        assert inserted is not None
        await self.link(int(inserted["id"]), parent_id, new_from)
        self.named.add(int(inserted["id"]))
        return int(inserted["id"])

    async def link(self, unit_id: int, parent_id: int | None, day: date | None) -> None:
        await self.conn.execute(
            "INSERT INTO org_links (unit_id, parent_id, valid_from) VALUES (?, ?, ?)",
            (unit_id, parent_id, _iso(day)),
        )

    async def place(
        self, unit_id: int, parent_id: int | None, day: date, line: int, name: str
    ) -> bool:
        """Put the unit under `parent_id` from `day` on; return whether anything changed.

        Under that parent already on that day: nothing. Closed by then: opened again. Else
        its latest place ends on `day` and the new one begins, unless a later move exists:
        a file cannot rewrite a place the tree took after its day.
        """
        cursor = await self.conn.execute(
            "SELECT id, parent_id, valid_from, valid_to FROM org_links WHERE unit_id = ?"
            " ORDER BY valid_from IS NOT NULL, valid_from",
            (unit_id,),
        )
        links = list(await cursor.fetchall())
        iso = day.isoformat()
        if not links:  # a unit written without a place (by hand): it begins here
            await self.link(unit_id, parent_id, day)
            return True
        holding = [k for k in links if (k["valid_from"] or "") <= iso
                   and (k["valid_to"] is None or iso < k["valid_to"])]
        if holding and holding[0]["parent_id"] == parent_id:
            return False
        latest = links[-1]
        first = links[0]
        if not holding and first["valid_from"] is not None and iso < first["valid_from"]:
            if first["parent_id"] != parent_id:  # before its first day: only where it began
                raise _later_place(line, name, first["valid_from"])
            await self.conn.execute("UPDATE org_links SET valid_from = ? WHERE id = ?",
                                    (iso, first["id"]))
            await self.conn.execute("UPDATE org_units SET valid_from = ? WHERE id = ?",
                                    (iso, unit_id))
            return True
        if latest["valid_to"] is not None and latest["valid_to"] <= iso:  # closed: reopen
            if latest["valid_to"] == iso and latest["parent_id"] == parent_id:
                await self.conn.execute("UPDATE org_links SET valid_to = NULL WHERE id = ?",
                                        (latest["id"],))
            else:
                await self.link(unit_id, parent_id, day)
        elif holding and holding[0]["id"] == latest["id"]:
            if latest["valid_from"] == iso:  # placed today: a correction of the same day
                await self.conn.execute("UPDATE org_links SET parent_id = ? WHERE id = ?",
                                        (parent_id, latest["id"]))
            else:
                await self.conn.execute("UPDATE org_links SET valid_to = ? WHERE id = ?",
                                        (iso, latest["id"]))
                await self.conn.execute(
                    "INSERT INTO org_links (unit_id, parent_id, valid_from, valid_to)"
                    " VALUES (?, ?, ?, ?)",
                    (unit_id, parent_id, iso, latest["valid_to"]),
                )
        else:
            raise _later_place(line, name, latest["valid_from"])
        # The unit's latest parent and its end: open while one of its places is.
        await self.conn.execute(
            "UPDATE org_units SET parent_id = :parent, valid_to = CASE WHEN EXISTS ("
            "   SELECT 1 FROM org_links WHERE unit_id = :unit AND valid_to IS NULL) THEN NULL"
            " ELSE (SELECT MAX(valid_to) FROM org_links WHERE unit_id = :unit) END"
            " WHERE id = :unit",
            {"parent": parent_id, "unit": unit_id},
        )
        return True

    async def close(self, unit_id: int, day: date, line: int | None) -> bool:
        """Close the unit from `day` (its place ends then); return whether it was open.

        A unit with a place from `day` on cannot close then: a file line says so, while
        without a line (the units an import no longer names) it is left to its later place.
        """
        cursor = await self.conn.execute(
            "SELECT name, valid_from, valid_to FROM org_units WHERE id = ?", (unit_id,))
        unit = await cursor.fetchone()
        assert unit is not None
        iso = day.isoformat()
        if unit["valid_to"] is not None and unit["valid_to"] <= iso:
            if unit["valid_to"] != iso and line is not None:
                raise OrgCsvError(line, N_("{name} was already closed on {date}"),
                                  name=unit["name"], date=unit["valid_to"])
            return False
        cursor = await self.conn.execute(
            "SELECT MAX(valid_from) AS since FROM org_links WHERE unit_id = ?", (unit_id,))
        since = await cursor.fetchone()
        if since is not None and since["since"] is not None and since["since"] >= iso:
            if line is None:
                return False
            raise _later_place(line, unit["name"], since["since"])
        await self.conn.execute(
            "UPDATE org_links SET valid_to = ? WHERE unit_id = ?"
            " AND (valid_to IS NULL OR valid_to > ?)", (iso, unit_id, iso))
        await self.conn.execute("UPDATE org_units SET valid_to = ? WHERE id = ?",
                                (iso, unit_id))
        return True

    async def children_on(self, unit_id: int, day: date) -> list[tuple[int, str]]:
        """Return the (id, name) of the units and cells right under `unit_id` on `day`."""
        cursor = await self.conn.execute(
            "SELECT o.id, o.name FROM org_links l JOIN org_units o ON o.id = l.unit_id"
            f" WHERE l.parent_id = :unit AND {covers('l', ':day')} ORDER BY o.name",
            {"unit": unit_id, "day": day.isoformat()},
        )
        return [(int(r["id"]), r["name"]) for r in await cursor.fetchall()]

    async def close_unnamed(self, on: date) -> list[Closed]:
        """Close on `on` every unit and cell of that day's tree the file does not name."""
        params: dict[str, Any] = {}
        tree = scope_sql(None, on, on + timedelta(days=1), params, today=on)
        cursor = await self.conn.execute(
            f"{tree} SELECT id FROM tree_down UNION SELECT cell_id FROM tree_leaves", params)
        closing = {int(r["id"]) for r in await cursor.fetchall()} - self.named
        closed = []
        for unit_id in sorted(closing):
            if await self.close(unit_id, on, None):
                cursor = await self.conn.execute(
                    "SELECT kind, name, code FROM org_units WHERE id = ?", (unit_id,))
                row = await cursor.fetchone()
                assert row is not None
                closed.append(Closed(row["kind"], row["name"], row["code"]))
        return closed


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _later_place(line: int, name: str, since: str) -> OrgCsvError:
    return OrgCsvError(line, N_("{name} has a later place in the tree, from {date}: a file "
                                "cannot change the tree before that day"),
                       name=name, date=since)


async def _refuse_namesake(
    conn: aiosqlite.Connection, parent_id: int | None, cell: CellRow,
    existing: aiosqlite.Row | None,
) -> None:
    """Refuse a second unit of the cell's name under the same parent."""
    namesake = await _child_named(conn, parent_id, cell.path[-1])
    if namesake is None or (existing is not None and namesake["id"] == existing["id"]):
        return
    if namesake["code"] is None:
        raise OrgCsvError(cell.line, N_("{name} already exists there as a unit, not a cell"),
                          name=cell.path[-1])
    raise OrgCsvError(
        cell.line,
        N_("{name} already exists there with code {other}; a renamed code needs the old code "
           "in the file, or a different name"),
        name=cell.path[-1], other=namesake["code"],
    )


async def _refuse_crowding(
    conn: aiosqlite.Connection, parent_id: int, unit_id: int, name: str, line: int
) -> None:
    """Refuse to move a unit beside another of the same name (names are unique under one)."""
    other = await _child_named(conn, parent_id, name)
    if other is not None and other["id"] != unit_id:
        cursor = await conn.execute("SELECT name FROM org_units WHERE id = ?", (parent_id,))
        parent = await cursor.fetchone()
        raise OrgCsvError(line, N_("{name} would stand beside another {name} under {unit}: "
                                   "give one of them another name in the org file first"),
                          name=name, unit="" if parent is None else parent["name"])


async def _by_path(conn: aiosqlite.Connection, path: Sequence[str]) -> aiosqlite.Row | None:
    """Find a unit by its names from the root along the latest parents (in a transaction)."""
    row: aiosqlite.Row | None = None
    for name in path:
        row = await _child_named(conn, None if row is None else int(row["id"]), name)
        if row is None:
            return None
    return row


async def _child_named(
    conn: aiosqlite.Connection, parent_id: int | None, name: str
) -> aiosqlite.Row | None:
    """Return the unit or cell called `name` right under `parent_id` (None: a root), in any
    case (in a transaction)."""
    parent, params = _parent_is(parent_id)
    cursor = await conn.execute(f"SELECT {_COLUMNS} FROM org_units WHERE {parent}", params)
    return _same_name(await cursor.fetchall(), name)


def _same_name(rows: Iterable[aiosqlite.Row], name: str) -> aiosqlite.Row | None:
    """Pick the unit called `name` among siblings: its exact spelling first, else the same
    name in another case or Unicode composition (bot.domain.org.name_key)."""
    key, alike = name_key(name), None
    for row in rows:
        if row["name"] == name.strip():
            return row
        if alike is None and name_key(row["name"]) == key:
            alike = row
    return alike


async def _check_successor(
    conn: aiosqlite.Connection, row: MergeRow, old: aiosqlite.Row, new: aiosqlite.Row
) -> None:
    """Refuse a successor of another kind, or one that does not exist on the merge day."""
    if old["kind"] != new["kind"]:
        raise OrgCsvError(row.line, N_("a cell merges into a cell, a unit into a unit"))
    iso = row.on.isoformat()
    if (new["valid_from"] or "") > iso or (new["valid_to"] is not None
                                           and new["valid_to"] <= iso):
        raise OrgCsvError(row.line, N_("{name} does not exist on {date}"),
                          name=new["name"], date=iso)


def _parent_is(parent_id: int | None) -> tuple[str, tuple[int, ...]]:
    """Return the condition "the parent is `parent_id`" (None: a root) and its parameters.

    Spelled out: other engines do not accept IS with a parameter.
    """
    if parent_id is None:
        return "parent_id IS NULL", ()
    return "parent_id = ?", (parent_id,)
