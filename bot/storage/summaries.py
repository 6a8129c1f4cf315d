"""Per-cell sums for organisers' summaries, computed by SQL GROUP BY over a scope and period.

Nothing here loads reports one by one: a province's year is one pass over its meeting rows.
"The cells of a scope in a period" is one SQL fragment (`_SCOPE`), used by every query here,
so that the org tree through time (valid_from, merges) changes it in one place.
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

# The cells in the subtree of :unit that the bot tracked by the end of the period (:last).
_SCOPE = """
WITH RECURSIVE down(id) AS (
    SELECT id FROM org_units WHERE id = :unit
    UNION ALL
    SELECT o.id FROM org_units o JOIN down ON o.parent_id = down.id
),
scope AS (
    SELECT c.id, c.code, c.name, c.tracked_from, c.parent_id AS group_id, p.name AS group_name
    FROM org_units c JOIN down ON down.id = c.id JOIN org_units p ON p.id = c.parent_id
    WHERE c.kind = 'cell' AND c.tracked_from <= :last
)"""


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

    async def cells_in_scope(self, unit_id: int, period: Period) -> list[ScopeCell]:
        """Return the cells of the subtree of `unit_id` that the period covers, by code."""
        rows = await self._db.fetch_all(
            f"{_SCOPE} SELECT id, code, name, group_id, group_name, tracked_from FROM scope"
            " ORDER BY code, id",
            {"unit": unit_id, "last": period.last.isoformat()},
        )
        return [_cell(r) for r in rows]

    async def cell_activity(
        self,
        unit_id: int,
        period: Period,
        spans: Sequence[RuleSpan],
        due: Mapping[int, date],
        zone: tzinfo,
    ) -> list[tuple[ScopeCell, CellActivity]]:
        """Return every cell of the scope with the sums of its meetings in the period.

        `spans` are the meeting rules of each era from `period.thematic_from` to the end;
        `due` is each month's last on-time day, a day in `zone` where the secretaries live.
        """
        params: dict[str, Any] = {
            "unit": unit_id,
            "first": period.first.isoformat(),
            "from": period.thematic_from.isoformat(),
            "last": period.last.isoformat(),
        }
        rules = _values_table("rules", _RULE_COLUMNS, _rule_rows(spans), params)
        deadlines = _values_table("deadlines", ("month", "due"), [
            (month_start(m).strftime("%Y-%m"), _moment_after(day, zone))
            for m, day in due.items()
        ], params)
        rows = await self._db.fetch_all(
            f"""{_SCOPE}, {rules}, {deadlines}
            SELECT s.id, s.code, s.name, s.group_id, s.group_name, s.tracked_from,
                {_ACTIVITY}
            FROM scope s
            LEFT JOIN meeting_reports r
                ON r.cell_id = s.id AND r.held_on BETWEEN :from AND :last
            LEFT JOIN rules k ON k.kind = r.kind AND r.held_on BETWEEN k.starts AND k.ends
            LEFT JOIN deadlines d ON d.month = r.regular_month
            GROUP BY s.id, s.code, s.name, s.group_id, s.group_name, s.tracked_from
            ORDER BY s.code, s.id""",
            params,
        )
        return [(_cell(r), CellActivity(*(int(v or 0) for v in tuple(r)[6:]))) for r in rows]

    async def latest_notes(
        self, unit_id: int, period: Period, most: int
    ) -> tuple[list[Note], int]:
        """Return the latest `most` secretaries' notes of the period and how many there are."""
        rows = await self._db.fetch_all(
            f"""{_SCOPE}
            SELECT s.code, s.name, r.held_on, r.note, COUNT(*) OVER () AS total
            FROM meeting_reports r JOIN scope s ON s.id = r.cell_id
            WHERE r.held_on BETWEEN :first AND :last AND r.note IS NOT NULL AND r.note <> ''
            ORDER BY r.held_on DESC, r.id DESC LIMIT :most""",
            {"unit": unit_id, "first": period.first.isoformat(),
             "last": period.last.isoformat(), "most": most},
        )
        notes = [Note(r["code"], r["name"], date.fromisoformat(r["held_on"]), r["note"])
                 for r in rows]
        return notes, int(rows[0]["total"]) if rows else 0

    async def recruitment_counts(self, unit_id: int, period: Period) -> tuple[int, int]:
        """Return (ceremonies, confirmations) recorded for dates in the period."""
        row = await self._db.fetch_one(
            f"""{_SCOPE}
            SELECT {_ADMITTED} AS admitted, {_CONFIRMED} AS confirmed
            FROM recruit_moves m JOIN recruits p ON p.id = m.recruit_id
            JOIN scope s ON s.id = p.cell_id
            WHERE m.undone_at IS NULL AND m.failed = 0 AND m.stage IN ('CEREMONY', 'CONFIRMED')
              AND m.on_date BETWEEN :first AND :last""",
            {"unit": unit_id, "first": period.first.isoformat(), "last": period.last.isoformat()},
        )
        if row is None:
            return 0, 0
        return int(row["admitted"] or 0), int(row["confirmed"] or 0)

    async def open_records(self, unit_id: int, today: date) -> list[OpenRecord]:
        """Return the people of the scope now at a stage with a deadline (decided to vote)."""
        stages = ", ".join(f"'{s.value}'" for s in _DEADLINE_STAGES)
        rows = await self._db.fetch_all(
            f"""{_SCOPE}
            SELECT m.stage, m.on_date, m.received_on,
                (SELECT MIN(c.on_date) FROM recruit_moves c WHERE c.recruit_id = m.recruit_id
                 AND c.stage = 'CEREMONY' AND c.undone_at IS NULL AND c.failed = 0) AS ceremony
            FROM recruit_moves m JOIN recruits p ON p.id = m.recruit_id
            JOIN scope s ON s.id = p.cell_id
            WHERE m.undone_at IS NULL AND m.failed = 0 AND m.stage IN ({stages})
              AND m.id = (SELECT MAX(l.id) FROM recruit_moves l WHERE l.recruit_id = m.recruit_id
                          AND l.undone_at IS NULL AND l.failed = 0)""",
            {"unit": unit_id, "last": today.isoformat()},
        )
        return [
            OpenRecord(Stage(r["stage"]), date.fromisoformat(r["on_date"]),
                       _day(r["ceremony"]), _day(r["received_on"]))
            for r in rows
        ]

    async def secretary_names(self, unit_id: int, period: Period) -> dict[int, list[str | None]]:
        """Return the profile names of each cell's registered secretaries (None: no name)."""
        rows = await self._db.fetch_all(
            f"""{_SCOPE}
            SELECT g.unit_id, u.display_name FROM user_roles g
            JOIN scope s ON s.id = g.unit_id JOIN users u ON u.id = g.user_id
            WHERE g.role = 'secretary' ORDER BY g.unit_id, g.granted_at, u.id""",
            {"unit": unit_id, "last": period.last.isoformat()},
        )
        names: dict[int, list[str | None]] = {}
        for row in rows:
            names.setdefault(row["unit_id"], []).append(row["display_name"])
        return names


def _cell(row: Any) -> ScopeCell:
    return ScopeCell(row["id"], row["code"] or "", row["name"], row["group_id"],
                     row["group_name"], date.fromisoformat(row["tracked_from"]))


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _moment_after(day: date, zone: tzinfo) -> str:
    """Return the stored timestamp of the first moment after `day` ends in `zone`."""
    return timestamp(datetime.combine(day + timedelta(days=1), time(), tzinfo=zone))
