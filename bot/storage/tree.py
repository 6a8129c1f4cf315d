"""The org tree through time: which cells lay under which unit, on which days.

Every "cells of a scope in a period" (summaries, the missing list, ratings, exports, an
organiser's cells) comes from `scope_sql`: one recursive CTE over the dated parent links
(`org_links`), in portable SQL. Dates are ISO text, periods run from a day (included) to a day
(excluded), NULL meaning "since before the bot" or "still open".

Two trees (bot.domain.tree.Tree):

- THEN, the default: each day's own tree. The scope is the unit together with every unit
  merged into it (its predecessors, through `org_successors`), so a province formed in 2025
  reads 2016 as the district and communes it took over. A cell gives a row per stretch of days
  it spent under one parent within the scope: a report rolls up to the unit of its day.
- TODAY (`today` given): the unit's tree on that one day, each cell under its parent of that
  day for the whole period, cells merged into one of them included: old figures regrouped
  under today's units, for a trend across a merger.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

Scope = Sequence[int] | None  # unit ids; None: the whole tree (every root)


def later(value: str, floor: str) -> str:
    """SQL for the later of a nullable day and a day (NULL counts as "since ever")."""
    return f"CASE WHEN {value} > {floor} THEN {value} ELSE {floor} END"


def earlier(value: str, ceiling: str) -> str:
    """SQL for the earlier of a nullable day and a day (NULL counts as "still open")."""
    return f"CASE WHEN {value} < {ceiling} THEN {value} ELSE {ceiling} END"


def overlaps(table: str, starts: str, ends: str) -> str:
    """SQL: the valid_from/valid_to period of `table` overlaps [starts, ends)."""
    return (f"({table}.valid_from IS NULL OR {table}.valid_from < {ends})"
            f" AND ({table}.valid_to IS NULL OR {table}.valid_to > {starts})")


def covers(table: str, day: str) -> str:
    """SQL: the valid_from/valid_to period of `table` holds `day`."""
    return (f"({table}.valid_from IS NULL OR {table}.valid_from <= {day})"
            f" AND ({table}.valid_to IS NULL OR {table}.valid_to > {day})")


def scope_sql(
    scope: Scope, first: date, end: date, params: dict[str, Any], today: date | None = None
) -> str:
    """Return `WITH RECURSIVE …` defining tree_cells(cell_id, parent_id, branch_id, starts, ends).

    One row per cell and stretch of [first, end) it spent in the scope: `parent_id` is its
    parent then, `branch_id` the unit right below the scope's top unit on its path (None for a
    cell right under it), `starts`/`ends` the stretch as ISO days. With `today`, the tree of
    that day (TODAY), and every stretch is the whole [first, end). Adds its parameters to
    `params` (named, prefixed tree_); the caller may append more CTEs after a comma.

    On the way: tree_down (the units walked, and the scope's own units whatever their kind)
    and tree_leaves (the cells reached, each stretch under one parent, before TODAY adds the
    cells merged into them). Only units recurse: the cells, most of the rows, are one join
    below them (a recursion costs per row).
    """
    if today is None:
        params.update(tree_first=first.isoformat(), tree_end=end.isoformat())
    else:
        params.update(tree_first=today.isoformat(),
                      tree_end=(today + timedelta(days=1)).isoformat(),
                      tree_whole_first=first.isoformat(), tree_whole_end=end.isoformat())
    if scope is None:
        seed = f"""
        SELECT l.unit_id, u.kind, CAST(NULL AS INTEGER), CAST(NULL AS INTEGER),
            {later('l.valid_from', ':tree_first')}, {earlier('l.valid_to', ':tree_end')}
        FROM org_links l JOIN org_units u ON u.id = l.unit_id
        WHERE l.parent_id IS NULL AND {overlaps('l', ':tree_first', ':tree_end')}"""
    else:  # each place of each unit (a cell taken alone keeps its parent of the day)
        seed = f"""
        SELECT l.unit_id, u.kind, l.parent_id, CAST(NULL AS INTEGER),
            {later('l.valid_from', ':tree_first')}, {earlier('l.valid_to', ':tree_end')}
        FROM org_links l JOIN tree_lineage t ON t.id = l.unit_id
        JOIN org_units u ON u.id = l.unit_id
        WHERE {overlaps('l', ':tree_first', ':tree_end')}"""
    # The units merged into the scope (THEN) read as the scope in their own days.
    lineage = "" if scope is None else _lineage(scope, params, merged=today is None) + ","
    down = f"""
    tree_down(id, kind, parent_id, branch_id, starts, ends) AS ({seed}
        UNION
        SELECT l.unit_id, c.kind, l.parent_id, COALESCE(d.branch_id, l.unit_id),
            {later('l.valid_from', 'd.starts')}, {earlier('l.valid_to', 'd.ends')}
        FROM tree_down d JOIN org_links l ON l.parent_id = d.id
        JOIN org_units c ON c.id = l.unit_id
        WHERE d.kind = 'unit' AND c.kind = 'unit' AND {overlaps('l', 'd.starts', 'd.ends')}
    ),
    tree_leaves(cell_id, parent_id, branch_id, starts, ends) AS (
        SELECT id, parent_id, branch_id, starts, ends FROM tree_down WHERE kind = 'cell'
        UNION
        SELECT l.unit_id, l.parent_id, d.branch_id,
            {later('l.valid_from', 'd.starts')}, {earlier('l.valid_to', 'd.ends')}
        FROM tree_down d JOIN org_links l ON l.parent_id = d.id
        JOIN org_units c ON c.id = l.unit_id
        WHERE d.kind = 'unit' AND c.kind = 'cell' AND {overlaps('l', 'd.starts', 'd.ends')}
    ),"""
    if today is None:
        cells = """
    tree_cells(cell_id, parent_id, branch_id, starts, ends) AS (SELECT * FROM tree_leaves)"""
    else:  # every day under today's parent; a cell merged into one of them goes with it
        cells = """
    tree_today(cell_id, parent_id, branch_id) AS (
        SELECT cell_id, parent_id, branch_id FROM tree_leaves
        UNION
        SELECT s.unit_id, t.parent_id, t.branch_id
        FROM org_successors s JOIN tree_today t ON s.successor_id = t.cell_id
    ),
    tree_cells(cell_id, parent_id, branch_id, starts, ends) AS (
        SELECT cell_id, parent_id, branch_id, :tree_whole_first, :tree_whole_end FROM tree_today
    )"""
    return f"WITH RECURSIVE{lineage}{down}{cells}"


def ancestors_sql(params: dict[str, Any], unit_id: int, day: date) -> str:
    """Return `WITH RECURSIVE tree_up(id)`: the unit, if it exists on `day`, and its ancestors
    on that day (nearest first is not kept)."""
    params.update(tree_unit=unit_id, tree_day=day.isoformat())
    return f"""WITH RECURSIVE tree_up(id) AS (
        SELECT id FROM org_units u WHERE id = :tree_unit AND {covers('u', ':tree_day')}
        UNION
        SELECT l.parent_id FROM org_links l JOIN tree_up t ON l.unit_id = t.id
        WHERE l.parent_id IS NOT NULL AND {covers('l', ':tree_day')}
    )"""


def lineage_sql(scope: Sequence[int], params: dict[str, Any]) -> str:
    """Return `WITH RECURSIVE tree_lineage(id)`: the units and every unit merged into them."""
    return "WITH RECURSIVE" + _lineage(scope, params, merged=True)


def _lineage(scope: Sequence[int], params: dict[str, Any], merged: bool) -> str:
    names = []
    for i, unit_id in enumerate(scope):
        params[f"tree_unit_{i}"] = unit_id
        names.append(f":tree_unit_{i}")
    units = f"SELECT id FROM org_units WHERE id IN ({', '.join(names) or 'NULL'})"
    if not merged:
        return f"\n    tree_lineage(id) AS ({units})"
    return f"""
    tree_lineage(id) AS (
        {units}
        UNION
        SELECT s.unit_id FROM org_successors s JOIN tree_lineage t ON s.successor_id = t.id
    )"""
