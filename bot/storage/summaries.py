"""Per-cell sums for organisers' summaries, computed by SQL GROUP BY over a scope and period.

Nothing here loads reports one by one: a province's year is one pass over its meeting rows.
"The cells of a scope in a period" comes from the dated tree (bot.storage.tree.scope_sql)
through `_scope`, used by every query here. By default a cell counts under the unit it was in
on the day of each report, so a year across a merger gives it a row per stretch (a month goes
to the unit of the month's end); with `tree_of` (a day), every report goes to the cell's unit
of that day: old figures regrouped under today's units.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from bot.domain.meetings import MeetingKind, MeetingRules
from bot.domain.periods import Period, month_end, month_index, month_start
from bot.domain.pipeline import Stage
from bot.domain.summaries import (
    CellActivity,
    CellSums,
    Note,
    OpenRecord,
    Owing,
    RuleSpan,
    ScopeCell,
)
from bot.storage.database import Database, timestamp
from bot.storage.marks import REGISTERED
from bot.storage.meetings import _TARGET_COLUMNS as TARGET_COLUMNS
from bot.storage.tree import scope_sql


def _scope(
    unit_id: int, first: date, last: date, params: dict[str, Any], tree_of: date | None,
    by_month: bool = True,
) -> str:
    """Return the CTEs ending in scope(id, code, name, tracked_from, tracked_month, group_id,
    group_name, starts, ends): the cells of the subtree of `unit_id` from `first` to `last`
    that the bot tracked by `last` or that reported a meeting then, a row per stretch under
    one parent (`by_month`: whole months, a month going to the parent of its end)."""
    tree = scope_sql([unit_id], first, last + timedelta(days=1), params, today=tree_of)
    params.update(last=last.isoformat(), scope_first=first.isoformat())
    starts, ends = (_month_start("t.starts"), _month_start("t.ends")) if by_month else (
        "t.starts", "t.ends")
    # A cell not yet in the bot by then counts where it reported all the same (never hidden).
    return f"""{tree},
scope AS (
    SELECT c.id, c.code, c.name, c.tracked_from, substr(c.tracked_from, 1, 7) AS tracked_month,
           t.parent_id AS group_id, p.name AS group_name, {starts} AS starts, {ends} AS ends
    FROM tree_cells t JOIN org_units c ON c.id = t.cell_id JOIN org_units p ON p.id = t.parent_id
    WHERE (c.tracked_from <= :last OR EXISTS (
        SELECT 1 FROM meeting_reports m WHERE m.cell_id = c.id
        AND m.held_on BETWEEN :scope_first AND :last
        AND m.held_on >= {starts} AND m.held_on < {ends})) AND {starts} < {ends}
)"""


_WHOLE = "starts = :first AND ends = :end"  # a stretch that is the whole period


def _month_start(column: str) -> str:
    """SQL for the first day of the month of an ISO day column."""
    return f"(substr({column}, 1, 8) || '01')"


def _sum(condition: str, value: str = "1") -> str:
    return f"SUM(CASE WHEN {condition} THEN {value} ELSE 0 END)"


_ADMITTED = _sum("m.stage = 'CEREMONY'")
_CONFIRMED = _sum("m.stage = 'CONFIRMED'")
_DEADLINE_STAGES = (Stage.ADMISSION_DECIDED, Stage.CEREMONY, Stage.PROBATION,
                    Stage.CELL_VOTE_CONFIRM)
_UNEXCUSED = "r.expected - r.present - r.excused > 0"


class _Sql:
    """Builds the per-cell sums of a period: one pass, each era's rules written in."""

    def __init__(self, spans: Sequence[RuleSpan], params: dict[str, Any]):
        self.spans = spans
        self.params = params

    def by_era(self, version: Callable[[MeetingRules, str], str]) -> str:
        """Return SQL applying each era's version of a condition to the meeting's date."""
        if len(self.spans) == 1:
            return version(self.spans[0].rules, "e0")
        branches = []
        for i, span in enumerate(self.spans[:-1]):
            self.params[f"e{i}_last"] = span.last.isoformat()
            branches.append(f"WHEN r.held_on <= :e{i}_last THEN ({version(span.rules, f'e{i}')})")
        last = version(self.spans[-1].rules, f"e{len(self.spans) - 1}")
        return f"(CASE {' '.join(branches)} ELSE ({last}) END)"

    def judged(self, rules: MeetingRules, _: str) -> str:
        return "1 = 1" if rules.attendance_threshold is not None else "1 = 0"

    def count_judged(self) -> str:
        """Count the meetings of eras with an attendance criterion (every or no era: cheap)."""
        criteria = {span.rules.attendance_threshold is not None for span in self.spans}
        if criteria == {True}:
            return "COUNT(r.id)"
        if criteria == {False}:
            return "0"
        return _sum(f"r.id IS NOT NULL AND {self.by_era(self.judged)}")

    def met(self, rules: MeetingRules, era: str) -> str:
        threshold = rules.attendance_threshold
        if threshold is None:
            return "1 = 0"
        self.params[f"{era}_num"] = threshold.numerator
        self.params[f"{era}_den"] = threshold.denominator
        met = f"r.present * :{era}_den > r.expected * :{era}_num"
        return f"{met} AND NOT ({_UNEXCUSED})" if rules.unexcused_absence_fails else met

    def too_short(self, rules: MeetingRules, era: str) -> str:
        for kind in MeetingKind:
            self.params[f"{era}_{kind.value}"] = rules.min_minutes(kind) or 0
        branches = " ".join(f"WHEN '{k.value}' THEN :{era}_{k.value}" for k in MeetingKind)
        return f"r.minutes < CASE r.kind {branches} END"

    def reached_all(self, rules: MeetingRules, _: str) -> str:
        targets = [t for t in TARGET_COLUMNS if t in rules.disseminate_to]
        needed = [f"r.{TARGET_COLUMNS[t]} = 1" for t in targets]
        return " AND ".join(needed) or "1 = 1"

    def thematic(self, rules: MeetingRules, _: str) -> str:
        kinds = ", ".join(f"'{k.value}'" for k in MeetingKind if k in rules.thematic_kinds)
        return f"r.kind IN ({kinds})" if kinds else "1 = 0"

    def columns(self, owing: Owing, zone: tzinfo) -> str:
        """Return the SELECT list: CellActivity's fields, then a count per quarter."""
        period, deadlines, open_months = owing.period, [], []
        for i, (month, day) in enumerate(owing.due.items()):
            self.params[f"m{i}"] = month_start(month).strftime("%Y-%m")
            self.params[f"d{i}"] = _moment_after(day, zone)
            deadlines.append(f"WHEN :m{i} THEN :d{i}")
            if month in owing.open_months:
                open_months.append(f":m{i}")
        # A month owed: due, or before the cell entered the bot; one in progress: apart.
        pending = (f"r.regular_month IN ({', '.join(open_months)})" if open_months
                   else "1 = 0")
        in_progress = f"r.regular_month >= s.tracked_month AND {pending}"
        owed = f"r.regular_month IS NOT NULL AND NOT ({in_progress})"
        columns = [
            _sum(owed),
            # A month before the cell entered the bot could not be reported on time by it.
            _sum(f"{owed} AND (r.regular_month < s.tracked_month OR r.received_at < CASE "
                 f"r.regular_month {' '.join(deadlines)} END)"),
            _sum("r.regular_month < s.tracked_month"),
            _sum(in_progress),
            "COUNT(r.id)",
            "COALESCE(SUM(r.present), 0)",
            "COALESCE(SUM(r.expected), 0)",
            self.count_judged(),
            _sum(self.by_era(self.met)),
            _sum(_UNEXCUSED),
            _sum(self.by_era(self.too_short)),
            "COALESCE(SUM(r.resolution_adopted), 0)",
            _sum(f"r.resolution_adopted = 1 AND {self.by_era(self.reached_all)}"),
            _sum("r.resolution_adopted = 1 AND r.tasks > 0"),
            "COALESCE(SUM(r.previous_tasks_done), 0)",
            _sum("r.previous_tasks_done IS NOT NULL", "COALESCE(r.previous_tasks_total, 0)"),
        ]
        thematic = self.by_era(self.thematic)
        for j, quarter in enumerate(period.quarters):
            first = month_start(quarter // 4 * 12 + quarter % 4 * 3)
            self.params[f"q{j}_first"] = first.isoformat()
            self.params[f"q{j}_last"] = month_end(month_index(first) + 2).isoformat()
            columns.append(_sum(f"{thematic} AND r.held_on BETWEEN :q{j}_first AND :q{j}_last"))
        return ",\n    ".join(columns)


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

    async def cell_sums(
        self,
        unit_id: int,
        owing: Owing,
        spans: Sequence[RuleSpan],
        zone: tzinfo,
        tree_of: date | None = None,
    ) -> list[CellSums]:
        """Return every cell of the scope with the sums of its meetings in the owing's period,
        a row per stretch under one parent.

        `spans` are the meeting rules of each era from `period.thematic_from` to the end;
        each month's last on-time day (`owing.due`) is a day in `zone`, where the secretaries
        live.
        """
        period = owing.period
        params: dict[str, Any] = {
            "first": period.first.isoformat(),
            "from": period.thematic_from.isoformat(),
            "end": (period.last + timedelta(days=1)).isoformat(),
        }
        scope = _scope(unit_id, period.first, period.last, params, tree_of)
        sql = _Sql(spans, params)
        columns = sql.columns(owing, zone)
        listed = ", ".join(f"s.{c}" for c in _CELL.split(", "))
        named = ", ".join(f"s.{c} AS {c}" for c in _CELL.split(", "))
        # A cell under one parent the whole period (nearly all) is summed straight off the
        # reports' (cell, day) index, in cell order, as if there were no tree through time;
        # the stretches of cells moved within the period are summed one by one.
        rows = await self._db.fetch_all(
            f"""{scope},
            sums AS (
                SELECT r.cell_id, {columns}
                FROM meeting_reports r JOIN (
                    SELECT id, substr(tracked_from, 1, 7) AS tracked_month FROM org_units
                ) s ON s.id = r.cell_id
                WHERE r.cell_id IN (SELECT id FROM scope WHERE {_WHOLE})
                  AND r.held_on BETWEEN :first AND :last
                GROUP BY r.cell_id
            )
            SELECT {named}, sums.* FROM scope s LEFT JOIN sums ON sums.cell_id = s.id
            WHERE {_WHOLE}
            UNION ALL
            SELECT {listed}, s.id, {columns}
            FROM scope s
            LEFT JOIN meeting_reports r
                ON r.cell_id = s.id AND r.held_on >= s.starts AND r.held_on < s.ends
            WHERE NOT ({_WHOLE})
            GROUP BY {listed}
            ORDER BY code, id, starts""",
            params,
        )
        # A month's thematic coverage looks back to the start of its quarter; a month is one
        # stretch of a cell, and the meetings before count where the cell was in the scope.
        earlier: dict[int, int] = {}
        if period.thematic_from < period.first:
            before: dict[str, Any] = {"from": period.thematic_from.isoformat(),
                                      "first": period.first.isoformat()}
            earlier_sql = _Sql(spans, before)
            earlier = {r[0]: r[1] for r in await self._db.fetch_all(
                f"""{_scope(unit_id, period.thematic_from, period.last, before, tree_of)}
                SELECT r.cell_id, COUNT(*) FROM meeting_reports r
                JOIN scope s ON s.id = r.cell_id AND r.held_on >= s.starts AND r.held_on < s.ends
                WHERE r.held_on >= :from AND r.held_on < :first
                  AND {earlier_sql.by_era(earlier_sql.thematic)}
                GROUP BY r.cell_id""",
                before,
            )}
        width = len(CellActivity._fields)
        days: dict[tuple[str, ...], tuple[date, ...]] = {}  # most cells share them: parse once
        sums = []
        for row in rows:
            values = tuple(row)
            key = values[5:8]  # tracked from, the stretch's start and end
            parsed = days.get(key) or days.setdefault(key, tuple(map(date.fromisoformat, key)))
            cell = ScopeCell(values[0], values[1] or "", values[2], values[3], values[4], *parsed)
            counts = values[9:] if values[8] is not None else (0,) * len(values[9:])
            thematic = counts[width:]
            if earlier:
                thematic = (thematic[0] + earlier.get(cell.id, 0),)  # a month: one quarter
            sums.append(CellSums(cell, CellActivity._make(counts[:width]), thematic))
        return sums

    async def latest_notes(
        self, unit_id: int, period: Period, most: int, tree_of: date | None = None
    ) -> tuple[list[Note], int]:
        """Return the latest `most` secretaries' notes of the period and how many there are."""
        params: dict[str, Any] = {"first": period.first.isoformat(), "most": most}
        scope = _scope(unit_id, period.first, period.last, params, tree_of)
        rows = await self._db.fetch_all(
            f"""{scope}
            , noted AS MATERIALIZED (  -- few reports have a note: find them first
                SELECT r.id, r.cell_id, r.held_on, r.note FROM meeting_reports r
                WHERE r.held_on BETWEEN :first AND :last AND r.note IS NOT NULL AND r.note <> ''
            )
            SELECT s.code, s.name, n.held_on, n.note, COUNT(*) OVER () AS total
            FROM noted n JOIN scope s
                ON s.id = n.cell_id AND n.held_on >= s.starts AND n.held_on < s.ends
            ORDER BY n.held_on DESC, n.id DESC LIMIT :most""",
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
            , moved AS MATERIALIZED (  -- the period's steps first, then their cells' stretch
                SELECT p.cell_id, m.stage, m.on_date
                FROM recruits p JOIN recruit_moves m ON m.recruit_id = p.id
                WHERE m.undone_at IS NULL AND m.failed = 0
                  AND m.stage IN ('CEREMONY', 'CONFIRMED') AND m.on_date BETWEEN :first AND :last
            )
            SELECT {_ADMITTED} AS admitted, {_CONFIRMED} AS confirmed
            FROM moved m JOIN scope s
                ON s.id = m.cell_id AND m.on_date >= s.starts AND m.on_date < s.ends""",
            params,
        )
        if row is None:
            return 0, 0
        return int(row["admitted"] or 0), int(row["confirmed"] or 0)

    async def open_records(
        self, unit_id: int, today: date, admitted_by: date
    ) -> tuple[int, list[OpenRecord]]:
        """Return today's probationers in the scope, and the people at a stage with a
        deadline (decided to confirmation vote), probationers admitted after `admitted_by`
        left out."""
        stages = ", ".join(f"'{s.value}'" for s in _DEADLINE_STAGES)
        params: dict[str, Any] = {}
        scope = _scope(unit_id, today, today, params, None, by_month=False)
        rows = await self._db.fetch_all(
            f"""{scope},
            latest AS (
                SELECT (SELECT MAX(l.id) FROM recruit_moves l WHERE l.recruit_id = p.id
                        AND l.undone_at IS NULL AND l.failed = 0) AS move_id
                FROM recruits p WHERE p.cell_id IN (SELECT id FROM scope)
            ),
            positions AS (
                SELECT m.stage, m.on_date, m.received_on,
                    (SELECT MIN(c.on_date) FROM recruit_moves c
                     WHERE c.recruit_id = m.recruit_id AND c.stage = 'CEREMONY'
                       AND c.undone_at IS NULL AND c.failed = 0) AS ceremony
                FROM latest JOIN recruit_moves m ON m.id = latest.move_id
                WHERE m.stage IN ({stages})
            )
            SELECT stage, on_date, received_on, ceremony,
                   {_sum("stage IN ('CEREMONY', 'PROBATION')")} OVER () AS probationers
            FROM positions""",
            params,
        )
        records = [
            OpenRecord(Stage(r["stage"]), date.fromisoformat(r["on_date"]),
                       _day(r["ceremony"]), _day(r["received_on"]))
            for r in rows
            if r["stage"] not in ("CEREMONY", "PROBATION")
            or (r["ceremony"] or r["on_date"]) <= admitted_by.isoformat()
        ]
        return (int(rows[0]["probationers"]) if rows else 0), records

    async def secretary_names(
        self, unit_id: int, period: Period, tree_of: date | None = None
    ) -> dict[int, list[str | None]]:
        """Return the profile names of each cell's registered secretaries (None: no name)."""
        params: dict[str, Any] = {}
        scope = _scope(unit_id, period.first, period.last, params, tree_of)
        rows = await self._db.fetch_all(
            f"""{scope}
            SELECT g.unit_id, u.display_name FROM user_roles g JOIN users u ON u.id = g.user_id
            WHERE g.role = 'secretary' AND g.unit_id IN (SELECT id FROM scope) AND {REGISTERED}
            ORDER BY g.unit_id, g.granted_at, u.id""",
            params,
        )
        names: dict[int, list[str | None]] = {}
        for row in rows:
            names.setdefault(row["unit_id"], []).append(row["display_name"])
        return names


_CELL = "id, code, name, group_id, group_name, tracked_from, starts, ends"


def _cell(row: Any) -> ScopeCell:
    return ScopeCell(row["id"], row["code"] or "", row["name"], row["group_id"],
                     row["group_name"], date.fromisoformat(row["tracked_from"]),
                     date.fromisoformat(row["starts"]), date.fromisoformat(row["ends"]))


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _moment_after(day: date, zone: tzinfo) -> str:
    """Return the stored timestamp of the first moment after `day` ends in `zone`."""
    return timestamp(datetime.combine(day + timedelta(days=1), time(), tzinfo=zone))
