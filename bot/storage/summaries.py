"""Per-cell sums for organisers' summaries, computed by SQL GROUP BY over a scope and period.

Nothing here loads reports one by one: a province's year is one pass over its meeting rows.
"The cells of a scope in a period" comes from the dated tree (bot.storage.tree.scope_sql)
through `_scope`, used by every query here. By default a cell counts under the unit it was in
on the day of each report, so a year across a merger gives it a line per stretch (a month
goes to the unit of the month's end); with `tree_of` (a day), every report goes to the cell's
unit of that day: old figures regrouped under today's units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from bot.domain.meetings import MeetingKind
from bot.domain.periods import Period, month_start
from bot.domain.pipeline import Stage
from bot.domain.summaries import CellActivity, Note, OpenRecord, RuleSpan, ScopeCell
from bot.storage.database import Database, timestamp
from bot.storage.meetings import _TARGET_COLUMNS as TARGET_COLUMNS
from bot.storage.tree import scope_sql


def _scope(
    unit_id: int, first: date, last: date, params: dict[str, Any], tree_of: date | None,
    by_month: bool = True,
) -> str:
    """Return the CTEs ending in scope(id, code, name, tracked_from, group_id, group_name,
    starts, ends): the cells of the subtree of `unit_id` from `first` to `last` that the bot
    tracked by `last`, one row per stretch under one parent (`by_month`: whole months)."""
    tree = scope_sql([unit_id], first, last + timedelta(days=1), params, today=tree_of)
    params["last"] = last.isoformat()
    starts, ends = (_month_start("t.starts"), _month_start("t.ends")) if by_month else (
        "t.starts", "t.ends")
    return f"""{tree},
scope AS (
    SELECT c.id, c.code, c.name, c.tracked_from, t.parent_id AS group_id, p.name AS group_name,
        {starts} AS starts, {ends} AS ends
    FROM tree_cells t JOIN org_units c ON c.id = t.cell_id JOIN org_units p ON p.id = t.parent_id
    WHERE c.tracked_from <= :last AND {starts} < {ends}
)"""


def _month_start(column: str) -> str:
    """SQL for the first day of the month of an ISO day column."""
    return f"(substr({column}, 1, 8) || '01')"


def _quarter(column: str) -> str:
    """SQL numbering the quarter of an ISO date column as periods.quarter_index does."""
    return (f"(CAST(substr({column}, 1, 4) AS INTEGER) * 4"
            f" + (CAST(substr({column}, 6, 2) AS INTEGER) - 1) / 3)")


def _count(condition: str, value: str = "1") -> str:
    return f"SUM(CASE WHEN {condition} THEN {value} ELSE 0 END)"


_IN_PERIOD = "r.held_on >= :first"
_OWED = (f"{_IN_PERIOD} AND r.regular_month IS NOT NULL"
         " AND r.regular_month >= substr(s.tracked_from, 1, 7)")
_UNEXCUSED = "r.expected - r.present - r.excused > 0"
_REACHED_ALL = " AND ".join(f"(k.need_{c} = 0 OR r.{c} = 1)" for c in TARGET_COLUMNS.values())
_ACTIVITY = ",\n    ".join([
    _count(_OWED),
    _count(f"{_OWED} AND r.received_at < d.due"),
    _count(_IN_PERIOD),
    _count(_IN_PERIOD, "r.present"),
    _count(_IN_PERIOD, "r.expected"),
    _count(f"{_IN_PERIOD} AND k.criterion = 1"),
    _count(f"{_IN_PERIOD} AND k.criterion = 1"
           " AND r.present * k.share_den > r.expected * k.share_num"
           f" AND (k.unexcused_fails = 0 OR NOT ({_UNEXCUSED}))"),
    _count(f"{_IN_PERIOD} AND {_UNEXCUSED}"),
    _count(f"{_IN_PERIOD} AND r.minutes < k.min_minutes"),
    _count(f"{_IN_PERIOD} AND r.resolution_adopted = 1"),
    _count(f"{_IN_PERIOD} AND r.resolution_adopted = 1 AND {_REACHED_ALL}"),
    _count(f"{_IN_PERIOD} AND r.resolution_adopted = 1 AND r.tasks > 0"),
    _count(f"{_IN_PERIOD} AND r.previous_tasks_done IS NOT NULL", "r.previous_tasks_done"),
    _count(f"{_IN_PERIOD} AND r.previous_tasks_done IS NOT NULL",
           "COALESCE(r.previous_tasks_total, 0)"),
    f"COUNT(DISTINCT CASE WHEN k.thematic = 1"
    f" AND {_quarter('r.held_on')} >= {_quarter('s.tracked_from')}"
    f" THEN {_quarter('r.held_on')} END)",
])
_RULE_COLUMNS = ("starts", "ends", "kind", "min_minutes", "thematic", "criterion", "share_num",
                 "share_den", "unexcused_fails", *(f"need_{c}" for c in TARGET_COLUMNS.values()))

_ADMITTED = _count("m.stage = 'CEREMONY'")
_CONFIRMED = _count("m.stage = 'CONFIRMED'")
_DEADLINE_STAGES = (Stage.ADMISSION_DECIDED, Stage.CEREMONY, Stage.PROBATION,
                    Stage.CELL_VOTE_CONFIRM)


def _values_table(
    name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], params: dict[str, Any]
) -> str:
    """Return `name(columns) AS (VALUES …)` for a CTE, adding the values to `params`."""
    tuples = []
    for i, row in enumerate(rows):
        marks = []
        for j, value in enumerate(row):
            params[f"{name}_{i}_{j}"] = value
            marks.append(f":{name}_{i}_{j}")
        tuples.append(f"({', '.join(marks)})")
    return f"{name}({', '.join(columns)}) AS (VALUES {', '.join(tuples)})"


def _rule_rows(spans: Sequence[RuleSpan]) -> list[tuple[Any, ...]]:
    rows = []
    for span in spans:
        rules = span.rules
        threshold = rules.attendance_threshold  # None: no criterion in this era
        for kind in MeetingKind:
            rows.append((
                span.first.isoformat(), span.last.isoformat(), kind.value,
                rules.min_minutes(kind) or 0, int(kind in rules.thematic_kinds),
                int(threshold is not None), threshold.numerator if threshold else 0,
                threshold.denominator if threshold else 1, int(rules.unexcused_absence_fails),
                *(int(target in rules.disseminate_to) for target in TARGET_COLUMNS),
            ))
    return rows


class SummaryRepository:
    """Read-only sums over the cells of a scope."""

    def __init__(self, db: Database):
        self._db = db

    async def cells_in_scope(
        self, unit_id: int, period: Period, tree_of: date | None = None
    ) -> list[ScopeCell]:
        """Return the cells of the subtree of `unit_id` that the period covers, by code: one
        per stretch of the period under one parent."""
        params: dict[str, Any] = {}
        scope = _scope(unit_id, period.first, period.last, params, tree_of)
        rows = await self._db.fetch_all(
            f"{scope} SELECT {_CELL} FROM scope ORDER BY code, id, starts", params)
        return [_cell(r) for r in rows]

    async def cell_activity(
        self,
        unit_id: int,
        period: Period,
        spans: Sequence[RuleSpan],
        due: Mapping[int, date],
        zone: tzinfo,
        tree_of: date | None = None,
    ) -> list[tuple[ScopeCell, CellActivity]]:
        """Return every cell of the scope with the sums of its meetings in the period, one
        row per stretch under one parent.

        `spans` are the meeting rules of each era from `period.thematic_from` to the end;
        `due` is each month's last on-time day, a day in `zone` where the secretaries live.
        """
        params: dict[str, Any] = {"first": period.first.isoformat()}
        scope = _scope(unit_id, period.thematic_from, period.last, params, tree_of)
        rules = _values_table("rules", _RULE_COLUMNS, _rule_rows(spans), params)
        deadlines = _values_table("deadlines", ("month", "due"), [
            (month_start(m).strftime("%Y-%m"), _moment_after(day, zone))
            for m, day in due.items()
        ], params)
        rows = await self._db.fetch_all(
            f"""{scope}, {rules}, {deadlines}
            SELECT {_CELL_OF_S}, {_ACTIVITY}
            FROM scope s
            LEFT JOIN meeting_reports r
                ON r.cell_id = s.id AND r.held_on >= s.starts AND r.held_on < s.ends
            LEFT JOIN rules k ON k.kind = r.kind AND r.held_on BETWEEN k.starts AND k.ends
            LEFT JOIN deadlines d ON d.month = r.regular_month
            GROUP BY {_CELL_OF_S}
            ORDER BY s.code, s.id, s.starts""",
            params,
        )
        width = len(_CELL_FIELDS)
        return [(_cell(r), CellActivity(*(int(v or 0) for v in tuple(r)[width:])))
                for r in rows]

    async def latest_notes(
        self, unit_id: int, period: Period, most: int, tree_of: date | None = None
    ) -> tuple[list[Note], int]:
        """Return the latest `most` secretaries' notes of the period and how many there are."""
        params: dict[str, Any] = {"first": period.first.isoformat(), "most": most}
        scope = _scope(unit_id, period.first, period.last, params, tree_of)
        rows = await self._db.fetch_all(
            f"""{scope}
            SELECT s.code, s.name, r.held_on, r.note, COUNT(*) OVER () AS total
            FROM meeting_reports r JOIN scope s
                ON s.id = r.cell_id AND r.held_on >= s.starts AND r.held_on < s.ends
            WHERE r.held_on BETWEEN :first AND :last AND r.note IS NOT NULL AND r.note <> ''
            ORDER BY r.held_on DESC, r.id DESC LIMIT :most""",
            params,
        )
        notes = [Note(r["code"], r["name"], date.fromisoformat(r["held_on"]), r["note"])
                 for r in rows]
        return notes, int(rows[0]["total"]) if rows else 0

    async def recruitment_counts(
        self, unit_id: int, period: Period, tree_of: date | None = None
    ) -> tuple[int, int]:
        """Return (ceremonies, confirmations) recorded for dates in the period."""
        params: dict[str, Any] = {"first": period.first.isoformat()}
        scope = _scope(unit_id, period.first, period.last, params, tree_of)
        row = await self._db.fetch_one(
            f"""{scope}
            SELECT {_ADMITTED} AS admitted, {_CONFIRMED} AS confirmed
            FROM recruit_moves m JOIN recruits p ON p.id = m.recruit_id
            JOIN scope s ON s.id = p.cell_id AND m.on_date >= s.starts AND m.on_date < s.ends
            WHERE m.undone_at IS NULL AND m.failed = 0 AND m.stage IN ('CEREMONY', 'CONFIRMED')
              AND m.on_date BETWEEN :first AND :last""",
            params,
        )
        if row is None:
            return 0, 0
        return int(row["admitted"] or 0), int(row["confirmed"] or 0)

    async def open_records(self, unit_id: int, today: date) -> list[OpenRecord]:
        """Return the people of the scope now at a stage with a deadline (decided to vote)."""
        stages = ", ".join(f"'{s.value}'" for s in _DEADLINE_STAGES)
        params: dict[str, Any] = {}
        scope = _scope(unit_id, today, today, params, None, by_month=False)
        rows = await self._db.fetch_all(
            f"""{scope}
            SELECT m.stage, m.on_date, m.received_on,
                (SELECT MIN(c.on_date) FROM recruit_moves c WHERE c.recruit_id = m.recruit_id
                 AND c.stage = 'CEREMONY' AND c.undone_at IS NULL AND c.failed = 0) AS ceremony
            FROM recruit_moves m JOIN recruits p ON p.id = m.recruit_id
            WHERE p.cell_id IN (SELECT id FROM scope)
              AND m.undone_at IS NULL AND m.failed = 0 AND m.stage IN ({stages})
              AND m.id = (SELECT MAX(l.id) FROM recruit_moves l WHERE l.recruit_id = m.recruit_id
                          AND l.undone_at IS NULL AND l.failed = 0)""",
            params,
        )
        return [
            OpenRecord(Stage(r["stage"]), date.fromisoformat(r["on_date"]),
                       _day(r["ceremony"]), _day(r["received_on"]))
            for r in rows
        ]

    async def secretary_names(
        self, unit_id: int, period: Period, tree_of: date | None = None
    ) -> dict[int, list[str | None]]:
        """Return the profile names of each cell's registered secretaries (None: no name)."""
        params: dict[str, Any] = {}
        scope = _scope(unit_id, period.first, period.last, params, tree_of)
        rows = await self._db.fetch_all(
            f"""{scope}
            SELECT g.unit_id, u.display_name FROM user_roles g JOIN users u ON u.id = g.user_id
            WHERE g.role = 'secretary' AND g.unit_id IN (SELECT id FROM scope)
            ORDER BY g.unit_id, g.granted_at, u.id""",
            params,
        )
        names: dict[int, list[str | None]] = {}
        for row in rows:
            names.setdefault(row["unit_id"], []).append(row["display_name"])
        return names


_CELL_FIELDS = ("id", "code", "name", "group_id", "group_name", "tracked_from", "starts",
                "ends")
_CELL = ", ".join(_CELL_FIELDS)
_CELL_OF_S = ", ".join(f"s.{f}" for f in _CELL_FIELDS)


def _cell(row: Any) -> ScopeCell:
    return ScopeCell(row["id"], row["code"] or "", row["name"], row["group_id"],
                     row["group_name"], date.fromisoformat(row["tracked_from"]),
                     date.fromisoformat(row["starts"]), date.fromisoformat(row["ends"]))


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _moment_after(day: date, zone: tzinfo) -> str:
    """Return the stored timestamp of the first moment after `day` ends in `zone`."""
    return timestamp(datetime.combine(day + timedelta(days=1), time(), tzinfo=zone))
