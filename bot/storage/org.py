"""Org tree repository: units, cells and their rolls, subtree scopes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import aiosqlite

from bot.domain.org import N_, CellRow, OrgCsvError, OrgUnit
from bot.storage.database import Database
from bot.storage.roll import record_import

_COLUMNS = "id, parent_id, kind, name, code, full_members, probationary_members, exempt_members"


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
    )


@dataclass(frozen=True)
class RollReset:
    """A cell whose counts an import changed: (full, probationary, exempt) before and after."""

    code: str
    before: tuple[int, int, int]
    after: tuple[int, int, int]


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    rolls_changed: tuple[RollReset, ...]  # existing cells whose counts the file changed


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
        """Find a unit by its names from the root, e.g. ("Huyện Cần Đước", "Xã Tân Lân")."""
        unit: OrgUnit | None = None
        for name in path:
            parent, params = _parent_is(None if unit is None else unit.id)
            row = await self._db.fetch_one(
                f"SELECT {_COLUMNS} FROM org_units WHERE {parent} AND name = ?",
                (*params, name.strip()),
            )
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

    async def cells_under(self, unit_id: int) -> list[OrgUnit]:
        """Return every cell in the subtree of `unit_id` (itself included), by name."""
        rows = await self._db.fetch_all(
            f"""
            WITH RECURSIVE down(id) AS (
                SELECT id FROM org_units WHERE id = ?
                UNION ALL
                SELECT o.id FROM org_units o JOIN down ON o.parent_id = down.id
            )
            SELECT {_COLUMNS} FROM org_units
            WHERE id IN (SELECT id FROM down) AND kind = 'cell' ORDER BY name
            """,
            (unit_id,),
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

    async def is_within(self, unit_id: int, ancestor_id: int) -> bool:
        """Tell whether `unit_id` lies in the subtree of `ancestor_id`."""
        return ancestor_id in await self._ancestors(unit_id)

    async def is_within_any(self, unit_id: int, ancestor_ids: Sequence[int]) -> bool:
        """Tell whether `unit_id` lies in the subtree of any of `ancestor_ids` (a user's scope)."""
        return not set(ancestor_ids).isdisjoint(await self._ancestors(unit_id))

    async def _ancestors(self, unit_id: int) -> list[int]:
        rows = await self._db.fetch_all(
            """
            WITH RECURSIVE up(id, parent_id) AS (
                SELECT id, parent_id FROM org_units WHERE id = ?
                UNION ALL
                SELECT o.id, o.parent_id FROM org_units o JOIN up ON o.id = up.parent_id
            )
            SELECT id FROM up
            """,
            (unit_id,),
        )
        return [r["id"] for r in rows]

    async def set_roll(self, cell_id: int, full: int, probationary: int, exempt: int) -> None:
        await self._db.write(
            "UPDATE org_units SET full_members = ?, probationary_members = ?, exempt_members = ?"
            " WHERE id = ? AND kind = 'cell'",
            (full, probationary, exempt, cell_id),
        )

    async def import_cells(
        self, cells: Sequence[CellRow], at: datetime | None = None
    ) -> ImportResult:
        """Create or update every cell and its parent units in one transaction.

        A code that already names a cell elsewhere moves that cell, so a re-import after a
        merger keeps the cell's id and history. The file's counts are the administrator's
        reset of the roll: each cell whose counts change says so (bot.storage.roll). A new
        cell is tracked from the day of `at`: it owes reports from that month on.
        """
        created = updated = 0
        resets: list[RollReset] = []
        now = at or datetime.now(UTC)
        async with self._db.transaction() as conn:
            for cell in cells:
                parent_id: int | None = None
                for name in cell.path[:-1]:
                    parent_id = await _ensure_unit(conn, parent_id, name, cell.line)
                cursor = await conn.execute(
                    "SELECT id, full_members, probationary_members, exempt_members"
                    " FROM org_units WHERE code = ?",
                    (cell.code,),
                )
                existing = await cursor.fetchone()
                parent, params = _parent_is(parent_id)
                cursor = await conn.execute(
                    f"SELECT id, code FROM org_units WHERE {parent} AND name = ?",
                    (*params, cell.path[-1]),
                )
                namesake = await cursor.fetchone()
                if namesake is not None and (existing is None or namesake["id"] != existing["id"]):
                    if namesake["code"] is None:
                        raise OrgCsvError(
                            cell.line, N_("{name} already exists there as a unit, not a cell"),
                            name=cell.path[-1],
                        )
                    raise OrgCsvError(
                        cell.line,
                        N_("{name} already exists there with code {other}; a renamed code "
                           "needs the old code in the file, or a different name"),
                        name=cell.path[-1], other=namesake["code"],
                    )
                values = (
                    parent_id,
                    cell.path[-1],
                    cell.full_members,
                    cell.probationary_members,
                    cell.exempt_members,
                )
                if existing is None:
                    await conn.execute(
                        "INSERT INTO org_units (parent_id, name, full_members,"
                        " probationary_members, exempt_members, kind, code, tracked_from)"
                        " VALUES (?, ?, ?, ?, ?, 'cell', ?, ?)",
                        (*values, cell.code, now.date().isoformat()),
                    )
                    created += 1
                else:
                    await conn.execute(
                        "UPDATE org_units SET parent_id = ?, name = ?, full_members = ?,"
                        " probationary_members = ?, exempt_members = ? WHERE id = ?",
                        (*values, existing["id"]),
                    )
                    updated += 1
                    before = (
                        existing["full_members"],
                        existing["probationary_members"],
                        existing["exempt_members"],
                    )
                    after = (cell.full_members, cell.probationary_members, cell.exempt_members)
                    if before != after:
                        await record_import(conn, existing["id"], before, after, now)
                        resets.append(RollReset(cell.code, before, after))
        return ImportResult(created, updated, tuple(resets))


async def _ensure_unit(
    conn: aiosqlite.Connection, parent_id: int | None, name: str, line: int
) -> int:
    parent, params = _parent_is(parent_id)
    cursor = await conn.execute(
        f"SELECT id, kind FROM org_units WHERE {parent} AND name = ?", (*params, name)
    )
    row = await cursor.fetchone()
    if row is not None:
        if row["kind"] == "cell":
            raise OrgCsvError(line, N_("{name} is a cell and cannot hold other units"),
                              name=name)
        return int(row["id"])
    cursor = await conn.execute(
        "INSERT INTO org_units (parent_id, kind, name) VALUES (?, 'unit', ?) RETURNING id",
        (parent_id, name),
    )
    inserted = await cursor.fetchone()
    assert inserted is not None
    return int(inserted["id"])


def _parent_is(parent_id: int | None) -> tuple[str, tuple[int, ...]]:
    """Return the condition "the parent is `parent_id`" (None: a root) and its parameters.

    Spelled out: other engines do not accept IS with a parameter.
    """
    if parent_id is None:
        return "parent_id IS NULL", ()
    return "parent_id = ?", (parent_id,)
