"""Annual ratings of cells: load a file's rows at once, count them for a scope and a year.

A scope is a list of unit ids (a user's units); None means the whole tree (the command line).
Every query reaches "the cells of a scope" through `_scope_cells`, the dated tree
(bot.storage.tree): a year's ratings fall under the tree of its last day, when the upper
committee rates, or with `tree_of` under the tree of that day (today's units). A cell's group
is the child unit of the scope it lies in: for a district organiser, its commune.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import aiosqlite

from bot.domain.meetings import expected_members
from bot.domain.ratings import FIRST_YEAR, CellFacts, LevelCount, Members, RatingRow, Scheme
from bot.storage.database import Database, Rider, timestamp
from bot.storage.tree import Scope as Scope
from bot.storage.tree import scope_sql

_RATING_COLUMNS = (
    "scheme", "level", "score", "members_rated", "members_excellent", "members_good",
    "members_satisfactory", "members_failed",
)
_CHUNK = 500  # codes per query: well under any engine's limit of parameters


def _scope_cells(
    scope: Scope, params: dict[str, Any], year: int | None, tree_of: date | None = None
) -> str:
    """Return a WITH clause defining scope_cells(cell_id, group_id), adding its parameters.

    The cells of the scope on 31 December of `year` (None: in any year), or of `tree_of`.
    """
    if year is None:
        first, end = date(FIRST_YEAR, 1, 1), date.max
    else:
        first, end = date(year, 12, 31), date(year + 1, 1, 1)
    tree = scope_sql(scope, first, end, params, today=tree_of)
    return f"""{tree},
        scope_cells(cell_id, group_id) AS (
            SELECT cell_id, MIN(branch_id) FROM tree_cells GROUP BY cell_id
        )
    """


def _members(row: aiosqlite.Row | Mapping[str, Any]) -> Members:
    return Members(row["members_rated"], row["members_excellent"], row["members_good"],
                   row["members_satisfactory"], row["members_failed"])


@dataclass(frozen=True)
class StoredRating:
    """A cell's rating for a year, with who loaded it and when."""

    cell_id: int
    year: int
    scheme: Scheme
    level: str
    score: Decimal | None
    members: Members
    loaded_by: int | None
    loaded_at: datetime


def _stored(row: aiosqlite.Row | Mapping[str, Any]) -> StoredRating:
    score = row["score"]
    return StoredRating(
        cell_id=row["cell_id"],
        year=row["year"],
        scheme=Scheme(row["scheme"]),
        level=row["level"],
        score=None if score is None else Decimal(str(score)),
        members=_members(row),
        loaded_by=row["loaded_by"],
        loaded_at=datetime.fromisoformat(row["loaded_at"]),
    )


@dataclass(frozen=True)
class ReplacedRating:
    """An earlier rating of a cell and year: who replaced it, when, and what it said."""

    replaced_by: int | None
    replaced_at: datetime
    old: StoredRating


@dataclass(frozen=True)
class ImportResult:
    rows: int  # rows of the file
    created: int  # cells and years rated for the first time
    replaced: int  # earlier ratings replaced (kept in the history)
    unchanged: int  # the same rating loaded again: nothing written
    years: tuple[int, ...]

    @property
    def cells(self) -> int:
        return self.created + self.replaced + self.unchanged


@dataclass(frozen=True)
class ScopeGroup:
    """A commune (or other child unit) of a scope and its number of cells."""

    id: int | None  # None: the cells right under the scope's own units
    name: str | None
    cells: int


@dataclass(frozen=True)
class RatedCell:
    """One row of a scope's ratings for a year: for a list or an export sheet."""

    code: str
    name: str
    group: str | None
    rating: StoredRating


class RatingRepository:
    def __init__(self, db: Database):
        self._db = db

    async def cell_facts(self, codes: Sequence[str], scope: Scope) -> dict[str, CellFacts]:
        """Return what the import checks need about the units these codes name.

        A cell is in the scope when it lay in it in some year: an organiser of a commune
        formed by a merger may load the years of the communes it took over.
        """
        facts: dict[str, CellFacts] = {}
        wanted = sorted(set(codes))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            params: dict[str, Any] = {f"code_{i}": code for i, code in enumerate(chunk)}
            marks = ", ".join(f":{name}" for name in params)
            with_clause = _scope_cells(scope, params, None)
            rows = await self._db.fetch_all(
                f"""{with_clause}
                SELECT o.id, o.code, o.kind, o.full_members, o.probationary_members,
                       o.exempt_members,
                       EXISTS (SELECT 1 FROM scope_cells s WHERE s.cell_id = o.id) AS in_scope
                FROM org_units o WHERE o.code IN ({marks})
                """,
                params,
            )
            for r in rows:
                ratable = expected_members(r["full_members"], r["probationary_members"],
                                           r["exempt_members"])
                facts[r["code"]] = CellFacts(r["id"], r["code"], r["kind"] == "cell", ratable,
                                             bool(r["in_scope"]))
        return facts

    async def save_all(
        self, rows: Sequence[RatingRow], cell_ids: Mapping[str, int], by_user: int | None,
        at: datetime, also: Sequence[Rider] = (),
    ) -> ImportResult:
        """Save every row in one transaction; a replaced rating goes to the history first.

        `also` rides along (the end of the conversation the file was sent in).
        """
        created = replaced = unchanged = 0
        async with self._db.transaction(also) as conn:
            for row in rows:
                cell_id = cell_ids[row.code]
                new = _values(row)
                cursor = await conn.execute(
                    "SELECT id, cell_id, year, loaded_by, loaded_at, "
                    f"{', '.join(_RATING_COLUMNS)} FROM cell_ratings"
                    " WHERE cell_id = ? AND year = ?",
                    (cell_id, row.year),
                )
                old = await cursor.fetchone()
                if old is None:
                    await conn.execute(
                        "INSERT INTO cell_ratings (cell_id, year, loaded_by, loaded_at, "
                        f"{', '.join(_RATING_COLUMNS)}) VALUES (?, ?, ?, ?, "
                        f"{', '.join('?' for _ in _RATING_COLUMNS)})",
                        (cell_id, row.year, by_user, timestamp(at), *new.values()),
                    )
                    created += 1
                    continue
                if all(old[c] == v for c, v in new.items()):
                    unchanged += 1  # loading the same file twice changes nothing
                    continue
                await conn.execute(
                    "INSERT INTO cell_rating_history (rating_id, replaced_by, replaced_at,"
                    " old_values) VALUES (?, ?, ?, ?)",
                    (old["id"], by_user, timestamp(at), json.dumps(dict(old))),
                )
                await conn.execute(
                    "UPDATE cell_ratings SET loaded_by = ?, loaded_at = ?, "
                    f"{', '.join(f'{c} = ?' for c in new)} WHERE id = ?",
                    (by_user, timestamp(at), *new.values(), old["id"]),
                )
                replaced += 1
        years = tuple(sorted({row.year for row in rows}))
        return ImportResult(len(rows), created, replaced, unchanged, years)

    async def level_counts(
        self, scope: Scope, year: int, tree_of: date | None = None
    ) -> list[LevelCount]:
        """Count the scope's rated cells per commune, scheme and level, with member sums."""
        params: dict[str, Any] = {"year": year}
        with_clause = _scope_cells(scope, params, year, tree_of)
        rows = await self._db.fetch_all(
            f"""{with_clause}
            SELECT s.group_id, r.scheme, r.level, COUNT(*) AS cells,
                   SUM(r.members_rated) AS members_rated,
                   SUM(r.members_excellent) AS members_excellent,
                   SUM(r.members_good) AS members_good,
                   SUM(r.members_satisfactory) AS members_satisfactory,
                   SUM(r.members_failed) AS members_failed
            FROM scope_cells s JOIN cell_ratings r ON r.cell_id = s.cell_id
            WHERE r.year = :year
            GROUP BY s.group_id, r.scheme, r.level
            """,
            params,
        )
        return [LevelCount(r["group_id"], Scheme(r["scheme"]), r["level"], r["cells"],
                           _members(r)) for r in rows]

    async def scope_groups(
        self, scope: Scope, year: int, tree_of: date | None = None
    ) -> list[ScopeGroup]:
        """Return the scope's communes at the end of `year` by name (cells right under it
        last), with their cells."""
        params: dict[str, Any] = {}
        with_clause = _scope_cells(scope, params, year, tree_of)
        rows = await self._db.fetch_all(
            f"""{with_clause}
            SELECT s.group_id, o.name, COUNT(*) AS cells
            FROM scope_cells s LEFT JOIN org_units o ON o.id = s.group_id
            GROUP BY s.group_id, o.name
            ORDER BY s.group_id IS NULL, o.name
            """,
            params,
        )
        return [ScopeGroup(r["group_id"], r["name"], r["cells"]) for r in rows]

    async def rated_years(self, scope: Scope) -> list[int]:
        """Return the years that have a rating of some cell of the scope, latest first."""
        params: dict[str, Any] = {}
        with_clause = _scope_cells(scope, params, None)
        rows = await self._db.fetch_all(
            f"""{with_clause}
            SELECT DISTINCT r.year FROM scope_cells s JOIN cell_ratings r ON r.cell_id = s.cell_id
            ORDER BY r.year DESC
            """,
            params,
        )
        return [r["year"] for r in rows]

    async def cells_of_year(
        self, scope: Scope, year: int, tree_of: date | None = None
    ) -> list[RatedCell]:
        """Return each rated cell of the scope for the year, by commune and name (the export)."""
        params: dict[str, Any] = {"year": year}
        with_clause = _scope_cells(scope, params, year, tree_of)
        rows = await self._db.fetch_all(
            f"""{with_clause}
            SELECT c.code, c.name, g.name AS group_name, r.cell_id, r.year, r.loaded_by,
                   r.loaded_at, {', '.join(f'r.{c}' for c in _RATING_COLUMNS)}
            FROM scope_cells s
            JOIN cell_ratings r ON r.cell_id = s.cell_id
            JOIN org_units c ON c.id = s.cell_id
            LEFT JOIN org_units g ON g.id = s.group_id
            WHERE r.year = :year
            ORDER BY g.name IS NULL, g.name, c.name
            """,
            params,
        )
        return [RatedCell(r["code"], r["name"], r["group_name"], _stored(r)) for r in rows]

    async def latest_of_cell(self, cell_id: int) -> StoredRating | None:
        """Return the cell's rating of its latest rated year."""
        row = await self._db.lookup(
            "SELECT cell_id, year, loaded_by, loaded_at, "
            f"{', '.join(_RATING_COLUMNS)} FROM cell_ratings WHERE cell_id = ?"
            " ORDER BY year DESC LIMIT 1",
            (cell_id,),
        )
        return None if row is None else _stored(row)

    async def history(self, cell_id: int, year: int) -> list[ReplacedRating]:
        """Return the replaced ratings of a cell and year, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT h.replaced_by, h.replaced_at, h.old_values FROM cell_rating_history h"
            " JOIN cell_ratings r ON r.id = h.rating_id"
            " WHERE r.cell_id = ? AND r.year = ? ORDER BY h.id",
            (cell_id, year),
        )
        return [ReplacedRating(r["replaced_by"], datetime.fromisoformat(r["replaced_at"]),
                               _stored(json.loads(r["old_values"]))) for r in rows]


def _values(row: RatingRow) -> dict[str, Any]:
    m = row.members
    return {
        "scheme": row.scheme.value,
        "level": row.level,
        "score": None if row.score is None else float(row.score),
        "members_rated": m.rated,
        "members_excellent": m.excellent,
        "members_good": m.good,
        "members_satisfactory": m.satisfactory,
        "members_failed": m.failed,
    }
