"""Per-cell sums for organisers' summaries, computed by SQL over a scope and period.

Nothing here loads reports one by one, nor judges them: each meeting was judged into its
cell's month and year as it was written (`cell_month_sums`, `cell_year_sums`,
bot.storage.sums), and a summary adds up the months of each cell's stretches (a province's
month is a row per cell; its year too, but for cells moved or tracked within it).
"The cells of a scope in a period" comes from the dated tree (bot.storage.tree.scope_sql)
through `_walk`. By default a cell counts under the unit it was in on the day of each report,
so a year across a merger gives it a row per stretch (a month goes to the unit of the month's
end); with `tree_of` (a day), every report goes to the cell's unit of that day: old figures
regrouped under today's units.

A summary asks several things of one scope: `SummaryRepository.area` walks the tree once into
a temporary table (`area_cells`, joined through its views `scope_cells`…) on one reader, and
every query of the area joins it, all in one snapshot of the database:

    async with SummaryRepository(db).area(unit_id, period) as area:
        rows = await area.cell_sums(owing, spans, zone)
        notes, total = await area.latest_notes(5)

`cell_sums` gives a row per cell (the export's lines, the missing list); `group_sums` the same
sums added up by commune and by what the cells owe, a few rows where a province has 3,000
(/tonghop's figures, bot.domain.summaries.figures_by_group).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from bot.domain.periods import Period, PeriodKind, month_of
from bot.domain.pipeline import Stage
from bot.domain.summaries import (
    CellActivity,
    CellSums,
    GroupSums,
    Note,
    OpenRecord,
    Owing,
    RuleSpan,
    ScopeCell,
)
from bot.storage.database import Database, Snapshot
from bot.storage.marks import REGISTERED
from bot.storage.sums import SUMS, Window, check, judged, month_key, sync, sync_window
from bot.storage.tree import scope_sql


def _walk(
    unit_id: int, first: date, end: date, params: dict[str, Any], tree_of: date | None,
    period: bool = True, today: bool = True,
) -> str:
    """Return the statement adding to `area_cells` the cells of the subtree of `unit_id`
    from `first` to `end` (excluded), a row per stretch of days under one parent (the tree of
    `tree_of` for every day, if given), numbered (`stretch`) in the order of the summary's
    lines, each with the period's months (:first to :end) and the months from the quarter's
    start (:from), and marked: whether the period counts it (`counted`), whether the quarter
    from its start does (`reached`), whether it holds :today (`today`). Without `period`
    (`today` alone), it is only marked for today; without `today`, never.

    A cell counts if the bot tracked it by :last, or if it reported a meeting there all the
    same (a report is never hidden); today's cells are those of today's scope, so too."""
    tree = scope_sql([unit_id], first, end, params, today=tree_of)
    starts, ends = _month_from("t.starts", ":first"), _month_until("t.ends", ":end")
    reach_starts = _month_from("t.starts", ":from")
    counted = _tracked_or_met(":last", starts, ends) if period else "0 = 1"
    reached = _tracked_or_met(":last", reach_starts, ends) if period else "0 = 1"
    holds_today = (f"t.starts <= :today AND t.ends > :today AND "
                   f"{_tracked_or_met(':today', ':today', ':tomorrow')}" if today else "0 = 1")
    return f"""{tree}
    INSERT INTO area_cells (id, code, name, tracked_from, tracked_month, group_id, group_name,
        days_from, days_to, starts, ends, reach_starts, counted, reached, today)
    SELECT * FROM (
        SELECT c.id, c.code, c.name, c.tracked_from, substr(c.tracked_from, 1, 7),
            t.parent_id, p.name, t.starts AS days_from, t.ends, {starts}, {ends},
            {reach_starts}, CASE WHEN {counted} THEN 1 ELSE 0 END AS counted,
            CASE WHEN {reached} THEN 1 ELSE 0 END AS reached,
            CASE WHEN {holds_today} THEN 1 ELSE 0 END AS today
        FROM tree_cells t JOIN org_units c ON c.id = t.cell_id
        JOIN org_units p ON p.id = t.parent_id
    ) a
    WHERE counted = 1 OR reached = 1 OR today = 1
    ORDER BY code, id, days_from"""


def _tracked_or_met(by: str, starts: str, ends: str) -> str:
    """SQL: the cell `c` was tracked by `by`, or it reported a meeting held from `starts` to
    `ends` (excluded) all the same."""
    return f"""(c.tracked_from <= {by} OR EXISTS (
        SELECT 1 FROM meeting_reports m WHERE m.cell_id = c.id
        AND m.held_on >= {starts} AND m.held_on < {ends}))"""


# A summary's cells, walked once: each stretch under one parent, in days, with its months in
# the period (a month goes to the parent of its end; a stretch within one month has none),
# and for a month after its quarter's first, from that quarter's start (thematic coverage
# looks back to it); and whether it holds today. Each stretch is numbered (`stretch`) in the
# order of the summary's lines (by code): grouped by that key, the sums need no sorting.
_TEMP_TABLES = (
    """CREATE TEMP TABLE IF NOT EXISTS area_cells (
        stretch INTEGER PRIMARY KEY, id INTEGER NOT NULL, code TEXT, name TEXT NOT NULL,
        tracked_from TEXT NOT NULL, tracked_month TEXT NOT NULL, group_id INTEGER NOT NULL,
        group_name TEXT NOT NULL, days_from TEXT NOT NULL, days_to TEXT NOT NULL,
        starts TEXT NOT NULL, ends TEXT NOT NULL, reach_starts TEXT NOT NULL,
        counted INTEGER NOT NULL, reached INTEGER NOT NULL, today INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS temp.area_cells_cell ON area_cells (id)",
    # What the queries join: the period's stretches, those from the quarter's start, today's.
    """CREATE TEMP VIEW IF NOT EXISTS scope_cells AS SELECT stretch, id, code, name, tracked_from,
        tracked_month, group_id, group_name, starts, ends FROM area_cells
        WHERE counted = 1 AND starts < ends""",
    """CREATE TEMP VIEW IF NOT EXISTS reach_cells AS SELECT id, reach_starts AS starts, ends
        FROM area_cells WHERE reached = 1 AND reach_starts < ends""",
    "CREATE TEMP VIEW IF NOT EXISTS today_cells AS SELECT id FROM area_cells WHERE today = 1",
)


def _month_start(column: str) -> str:
    """SQL for the first day of the month of an ISO day column."""
    return f"(substr({column}, 1, 8) || '01')"


def _month_from(day: str, first: str) -> str:
    """SQL for the first day of the month of `day`, or `first` (a month's first) if later:
    the stretch from `day`, cut at `first`, in whole months. (Most stretches begin before
    `first`: compared first, and only the others cut to their month.)"""
    return f"CASE WHEN {day} <= {first} THEN {first} ELSE {_month_start(day)} END"


def _month_until(day: str, end: str) -> str:
    """SQL for the first day of the month of `day`, or `end` (a month's first) if earlier:
    a month goes to the stretch that holds its last day."""
    return f"CASE WHEN {day} >= {end} THEN {end} ELSE {_month_start(day)} END"


def _sum(condition: str, value: str = "1") -> str:
    return f"SUM(CASE WHEN {condition} THEN {value} ELSE 0 END)"


_ADMITTED = _sum("m.stage = 'CEREMONY'")
_CONFIRMED = _sum("m.stage = 'CONFIRMED'")
_DEADLINE_STAGES = (Stage.ADMISSION_DECIDED, Stage.CEREMONY, Stage.PROBATION,
                    Stage.CELL_VOTE_CONFIRM)

# The period's ceremonies and confirmations in force, by the index of steps by day, then the
# stretch of the cell each counts for.
_RECRUITMENT_COUNTS = f"""WITH moved AS MATERIALIZED (
        SELECT p.cell_id, m.stage, m.on_date
        FROM recruits p JOIN recruit_moves m ON m.recruit_id = p.id
        WHERE m.undone_at IS NULL AND m.failed = 0
          AND m.stage IN ('CEREMONY', 'CONFIRMED') AND m.on_date BETWEEN :first AND :last
    )
    SELECT {_ADMITTED} AS admitted, {_CONFIRMED} AS confirmed
    FROM moved m JOIN scope_cells s
        ON s.id = m.cell_id AND m.on_date >= s.starts AND m.on_date < s.ends"""

# The latest notes of the period in the area, read in order off the index of noted reports
# until there are enough; how many there are, off the index of their days and cells.
_NOTED = "r.held_on BETWEEN :first AND :last AND r.note IS NOT NULL AND r.note <> ''"
_IN_SCOPE = ("JOIN scope_cells s"
             " ON s.id = r.cell_id AND r.held_on >= s.starts AND r.held_on < s.ends")
_LATEST_NOTES = f"""SELECT s.code, s.name, r.held_on, r.note,
        (SELECT COUNT(*) FROM meeting_reports r {_IN_SCOPE} WHERE {_NOTED}) AS total
    FROM meeting_reports r {_IN_SCOPE} WHERE {_NOTED}
    ORDER BY r.held_on DESC, r.id DESC LIMIT :most"""

# Where today's people with a deadline stand, found by the index on their standing (the latest
# move in force, kept on their row), not by seeking each one's latest move; probationers
# admitted after :admitted_by left out (nothing of theirs is due), but counted. One row at
# least: the count, with no person when none is left.
_OPEN_RECORDS = f"""WITH positions AS (
        SELECT m.stage, m.on_date, m.received_on,
            (SELECT MIN(c.on_date) FROM recruit_moves c
             WHERE c.recruit_id = p.id AND c.stage = 'CEREMONY'
               AND c.undone_at IS NULL AND c.failed = 0) AS ceremony
        FROM recruits p JOIN recruit_moves m ON m.id = p.standing_move_id
        WHERE p.standing_stage IN ({", ".join(f"'{s.value}'" for s in _DEADLINE_STAGES)})
          AND p.cell_id IN (SELECT id FROM today_cells)
    )
    SELECT n.probationers, r.stage, r.on_date, r.received_on, r.ceremony
    FROM (SELECT COUNT(*) AS probationers FROM positions
          WHERE stage IN ('CEREMONY', 'PROBATION')) n
    LEFT JOIN positions r ON r.stage NOT IN ('CEREMONY', 'PROBATION')
        OR COALESCE(r.ceremony, r.on_date) <= :admitted_by"""


def _stretch_sums(owing: Owing, params: dict[str, Any]) -> str:
    """Return the query of every stretch's cell and sums over its months `m` in a quarter or a
    year (in no order): its number, its cell, CellActivity's fields, then a count per
    quarter. What depends on today and on the cell's first month is decided here; the rest
    was judged as each report was written (bot.storage.sums).

    A year's stretches over the whole year, of cells tracked by its first month, read the
    year's row (cell_year_sums), less its months in progress; only the others add up their
    months."""
    period = owing.period
    for i, month in enumerate(owing.open_months):
        params[f"open{i}"] = month_key(month)
    if period.kind is not PeriodKind.YEAR:
        return _month_sums(owing, params)
    params["year"], params["year_month"] = str(period.year), month_key(period.months[0])
    params["year_first"] = period.first.isoformat()
    params["year_end"] = (period.last + timedelta(days=1)).isoformat()
    whole = ("s.starts = :year_first AND s.ends = :year_end"
             " AND s.tracked_month <= :year_month")
    return f"""{_year_sums(owing, whole)} UNION ALL
        {_month_sums(owing, params, f"NOT ({whole})")}"""


# A month's stretches are that month: each with its month's row `m` as kept (NULL: no
# meeting), in the order of the stretches' numbers (the lines' order). Its columns from the
# 7th are CellActivity's fields as most cells count them (none before, none not yet due),
# then the thematic meetings.
_ONE_MONTH = f"""SELECT s.id, COALESCE(s.code, ''), s.name, s.group_id, s.group_name,
        s.tracked_from, m.regular, m.on_time, 0, 0, {", ".join(f"m.{c}" for c in SUMS[2:])}
    FROM scope_cells s LEFT JOIN cell_month_sums m ON m.cell_id = s.id AND m.month = :month
    ORDER BY s.stretch"""


def _year_sums(owing: Owing, whole: str) -> str:
    """Return the query of the year's stretches `whole` from their year's row `y`: a month in
    progress (open, its report not due) taken off the reports and the on-time ones, and
    counted apart (the cell was tracked before it)."""
    opened = range(len(owing.open_months))
    joins = "".join(f" LEFT JOIN cell_month_sums o{i} ON o{i}.cell_id = s.id"
                    f" AND o{i}.month = :open{i}" for i in opened)

    def pending(column: str) -> str:
        return " + ".join(f"COALESCE(o{i}.{column}, 0)" for i in opened) or "0"

    columns = [
        f"COALESCE(y.regular, 0) - ({pending('regular')})",
        f"COALESCE(y.on_time, 0) - ({pending('on_time')})",
        "0",
        pending("regular"),
        *(f"COALESCE(y.{c}, 0)" for c in CellActivity._fields[4:]),
        *(f"COALESCE(y.thematic_q{q}, 0)" for q in range(1, 5)),
    ]
    return f"""SELECT s.stretch, {_LISTED}, {", ".join(columns)}
        FROM scope_cells s LEFT JOIN cell_year_sums y ON y.cell_id = s.id AND y.year = :year
        {joins} WHERE {whole}"""


def _month_sums(owing: Owing, params: dict[str, Any], which: str = "1 = 1") -> str:
    """Return the query of the stretches `which` from their months' rows `m`."""
    period = owing.period
    def add(value: str) -> str:
        return f"COALESCE(SUM({value}), 0)"

    def add_if(condition: str, value: str) -> str:
        return add(f"CASE WHEN {condition} THEN {value} ELSE 0 END")

    before = "m.month < s.tracked_month"  # the cell could not report it on time: never late
    # A month in progress (its report not due yet): counted apart, unless before tracking.
    marks = ", ".join(f":open{i}" for i in range(len(owing.open_months)))
    pending = f"m.month IN ({marks}) AND m.month >= s.tracked_month" if marks else None
    not_yet_due = add_if(pending, "m.regular") if pending else "0"
    on_time = (f"CASE WHEN {before} THEN m.regular "
               f"{f'WHEN {pending} THEN 0 ' if pending else ''}ELSE m.on_time END")
    columns = [
        f"{add('m.regular')} - {not_yet_due}",
        add(on_time),
        add_if(before, "m.regular"),
        not_yet_due,
        *(add(f"m.{c}") for c in CellActivity._fields[4:]),
    ]
    if len(period.quarters) == 1:
        columns.append(add("m.thematic"))
    else:
        for j, quarter in enumerate(period.quarters):
            first = quarter // 4 * 12 + quarter % 4 * 3
            params[f"q{j}_first"], params[f"q{j}_last"] = month_key(first), month_key(first + 2)
            columns.append(add_if(f"m.month BETWEEN :q{j}_first AND :q{j}_last", "m.thematic"))
    # One row per stretch, in the order of its number (the lines' order): the cell's
    # columns depend on that key, and each of its months is looked up by (month, cell).
    months = ", ".join(f":month{i}" for i in range(len(period.months)))
    params.update({f"month{i}": month_key(m) for i, m in enumerate(period.months)})
    return f"""SELECT s.stretch, {_LISTED}, {", ".join(columns)}
        FROM scope_cells s LEFT JOIN cell_month_sums m ON m.month IN ({months})
            AND m.cell_id = s.id
            AND m.month >= substr(s.starts, 1, 7) AND m.month < substr(s.ends, 1, 7)
        WHERE {which} GROUP BY s.stretch"""


# Per cell, the thematic meetings from the quarter's start (:from) to the period's (:first),
# where the cell was in the scope then: the months with one first, by the index of those
# alone (CROSS JOIN keeps that order), then each one's stretch in `reach_cells`.
_THEMATIC_BEFORE = """SELECT m.cell_id, SUM(m.thematic)
    FROM cell_month_sums m INDEXED BY cell_month_sums_thematic CROSS JOIN reach_cells s
    WHERE m.thematic > 0 AND m.month >= :from AND m.month < :first
        AND s.id = m.cell_id
        AND m.month >= substr(s.starts, 1, 7) AND m.month < substr(s.ends, 1, 7)
    GROUP BY m.cell_id"""
_ACTIVITY_COLUMNS = tuple(f"a_{name}" for name in CellActivity._fields)


_iso_day = lru_cache(maxsize=4096)(date.fromisoformat)  # a summary's rows share a few days


class SummaryRepository:
    """Read-only sums over the cells of a scope."""

    def __init__(self, db: Database):
        self._db = db

    @asynccontextmanager
    async def area(
        self, unit_id: int, period: Period, tree_of: date | None = None,
        today: date | None = None,
    ) -> AsyncIterator[Area]:
        """Walk the cells of the subtree of `unit_id` in the period once, for the queries of
        the returned area (all in one snapshot of the database); with `today`, today's cells
        too (for its probationers)."""
        await sync(self._db)  # sums judged by the database's Dispatcher, before the snapshot
        async with self._db.snapshot(_TEMP_TABLES) as reader:
            area = Area(reader, unit_id, period)
            await area.walk(tree_of, today)
            yield area

    async def cells_in_scope(
        self, unit_id: int, period: Period, tree_of: date | None = None
    ) -> list[ScopeCell]:
        """Return the cells of the subtree of `unit_id` that the period covers, by code: one
        per stretch of the period under one parent."""
        async with self.area(unit_id, period, tree_of) as area:
            return await area.cells()

    async def cell_sums(
        self,
        unit_id: int,
        owing: Owing,
        spans: Sequence[RuleSpan],
        zone: tzinfo,
        tree_of: date | None = None,
    ) -> list[CellSums]:
        """Return every cell of the scope with the sums of its meetings in the owing's period
        (see Area.cell_sums); without a Dispatcher's judging of the database, judged by the
        spans' rules and the owing's deadlines."""
        if not judged(self._db):
            await sync_window(self._db, Window.of(spans, owing.due, zone))
        async with self.area(unit_id, owing.period, tree_of) as area:
            return await area.cell_sums(owing, spans, zone)

    async def latest_notes(
        self, unit_id: int, period: Period, most: int, tree_of: date | None = None
    ) -> tuple[list[Note], int]:
        """Return the latest `most` secretaries' notes of the period and how many there are."""
        async with self.area(unit_id, period, tree_of) as area:
            return await area.latest_notes(most)

    async def recruitment_counts(
        self, unit_id: int, period: Period, tree_of: date | None = None
    ) -> tuple[int, int]:
        """Return (ceremonies, confirmations) recorded for dates in the period."""
        async with self.area(unit_id, period, tree_of) as area:
            return await area.recruitment_counts()

    async def open_records(
        self, unit_id: int, today: date, admitted_by: date
    ) -> tuple[int, list[OpenRecord]]:
        """Return today's probationers in the scope, and the people at a stage with a
        deadline (see Area.open_records)."""
        async with self.area(unit_id, month_of(today), today=today) as area:
            return await area.open_records(admitted_by)

    async def secretary_names(
        self, unit_id: int, period: Period, tree_of: date | None = None
    ) -> dict[int, list[str | None]]:
        """Return the profile names of each cell's registered secretaries (None: no name)."""
        async with self.area(unit_id, period, tree_of) as area:
            return await area.secretary_names()


class Area:
    """The cells of a scope in a period, walked once into `scope_cells` (a row per stretch
    under one parent, whole months), and the queries that join them."""

    def __init__(self, reader: Snapshot, unit_id: int, period: Period):
        self._reader = reader
        self.unit_id = unit_id
        self.period = period
        # A month after its quarter's first looks back to the quarter's start for thematic
        # meetings, where the cell was in the scope then: those stretches are `reach_cells`.
        self._reaches_back = period.thematic_from < period.first
        self._today: date | None = None  # the day `today_cells` holds, if any

    async def walk(self, tree_of: date | None, today: date | None) -> None:
        """Fill `area_cells` from one walk of the dated tree (two with `tree_of` and `today`:
        today's probationers are those of today's own tree)."""
        period = self.period
        first, end = period.thematic_from, period.last + timedelta(days=1)
        marks: dict[str, Any] = {
            "first": period.first.isoformat(), "end": end.isoformat(),
            "from": first.isoformat(), "last": period.last.isoformat(),
            "today": None if today is None else today.isoformat(),
            "tomorrow": None if today is None else (today + timedelta(days=1)).isoformat(),
        }
        self._today = today
        if today is None or tree_of is not None:
            params = dict(marks)
            await self._reader.execute(
                _walk(self.unit_id, first, end, params, tree_of, today=False), params)
        if today is None:
            return
        if tree_of is None:
            # Cutting a longer walk's stretches at the period gives the rows a walk of the
            # period alone gives; those holding today are today's.
            params = dict(marks)
            await self._reader.execute(_walk(
                self.unit_id, min(first, today), max(end, today + timedelta(days=1)), params,
                None), params)
        else:  # today's tree, for today only
            params = dict(marks)
            await self._reader.execute(_walk(
                self.unit_id, today, today + timedelta(days=1), params, None, period=False),
                params)

    async def cells(self) -> list[ScopeCell]:
        """Return the cells of the area, by code: one per stretch under one parent."""
        rows = await self._reader.fetch_all(
            f"SELECT {_CELL} FROM scope_cells ORDER BY stretch")
        return [_cell(r) for r in rows]

    async def cell_sums(
        self, owing: Owing, spans: Sequence[RuleSpan], zone: tzinfo
    ) -> list[CellSums]:
        """Return every cell of the area with the sums of its meetings in the owing's period
        (the area's), a row per stretch under one parent.

        `spans` are the meeting rules of each era from `period.thematic_from` to the end;
        each month's last on-time day (`owing.due`) is a day in `zone`, where the secretaries
        live.
        """
        window = Window.of(spans, owing.due, zone)
        await check(self._reader.fetch_all, window)
        if self.period.kind is PeriodKind.MONTH:
            month = self.period.months[0]
            rows = await self._reader.fetch_all(_ONE_MONTH, {"month": month_key(month)})
            return _one_month(rows, owing, await self._thematic_before())
        params: dict[str, Any] = {}
        rows = await self._reader.fetch_all(f"{_stretch_sums(owing, params)} ORDER BY 1",
                                            params)
        end = 9 + len(CellActivity._fields)  # its number, the cell's 8 columns, its activity
        days: dict[tuple[str, ...], tuple[date, ...]] = {}  # most cells share them: parse once
        sums: list[CellSums] = []
        append = sums.append
        for row in rows:  # 3,000 rows for a province: tuples made as they come (no checks)
            key = row[6:9]  # tracked from, the stretch's start and end
            parsed = days.get(key)
            if parsed is None:
                parsed = days[key] = tuple(map(date.fromisoformat, key))
            cell = _new(ScopeCell, (*row[1:6], *parsed))
            append(_new(CellSums, (cell, _new(CellActivity, row[9:end]), row[end:])))
        return sums

    async def _thematic_before(self) -> dict[int, int]:
        """Return, per cell, the thematic meetings from the quarter's start to the period's,
        where the cell was in the scope then (a month's coverage looks back to them)."""
        if not self._reaches_back:
            return {}
        rows = await self._reader.fetch_all(_THEMATIC_BEFORE, self._quarter_so_far())
        return {r[0]: r[1] for r in rows}

    def _quarter_so_far(self) -> dict[str, Any]:
        return {"from": self.period.thematic_from.strftime("%Y-%m"),
                "first": self.period.first.strftime("%Y-%m")}

    async def group_sums(
        self, owing: Owing, spans: Sequence[RuleSpan], zone: tzinfo
    ) -> list[GroupSums]:
        """Return the sums of the area's cells added up by commune and what they owe (see
        GroupSums): the figures of `cell_sums` without a row per cell. The arguments are
        `cell_sums`'s."""
        await check(self._reader.fetch_all, Window.of(spans, owing.due, zone))
        if self.period.kind is PeriodKind.MONTH:
            return await self._month_groups(owing)
        params: dict[str, Any] = {}
        quarters = [f"q{j}" for j in range(len(self.period.quarters))]
        columns = ("stretch", *_CELL.split(", "), *_ACTIVITY_COLUMNS, *quarters)
        key = ", ".join(("group_id", "tracked_from", "starts", "ends", *quarters, "moved"))
        rows = await self._reader.fetch_all(
            f"""WITH x ({", ".join(columns)}) AS ({_stretch_sums(owing, params)}),
            moved (id) AS (SELECT id FROM scope_cells GROUP BY id HAVING COUNT(*) > 1)
            SELECT group_id, group_name, tracked_from, starts, ends, {", ".join(quarters)},
                COUNT(*), {", ".join(f"SUM({c})" for c in _ACTIVITY_COLUMNS)}, moved
            FROM (SELECT x.*, CASE WHEN x.id IN moved THEN x.id END AS moved FROM x)
            GROUP BY {key}""", params)
        thematic = slice(5, 5 + len(quarters))
        activity = slice(thematic.stop + 1, thematic.stop + 1 + len(_ACTIVITY_COLUMNS))
        return [GroupSums(row[0], row[1], _iso_day(row[2]), _iso_day(row[3]), _iso_day(row[4]),
                          tuple(row[thematic]), row[thematic.stop],
                          _new(CellActivity, row[activity]), row[activity.stop])
                for row in rows]

    async def _month_groups(self, owing: Owing) -> list[GroupSums]:
        """A month's GroupSums: its rows as kept, added up by commune, tracked day and
        thematic meetings of the quarter so far; then counted as `_one_month` counts a
        cell's (a cell has one stretch in a month: that of the month's last day)."""
        params = {"month": month_key(self.period.months[0])}
        earlier, before = "", "0"
        if self._reaches_back:
            params |= self._quarter_so_far()
            earlier = f"WITH earlier (cell_id, n) AS MATERIALIZED ({_THEMATIC_BEFORE})"
            before = "COALESCE((SELECT n FROM earlier e WHERE e.cell_id = s.id), 0)"
        rows = await self._reader.fetch_all(
            f"""{earlier} SELECT s.group_id, s.group_name, s.tracked_from,
                COALESCE(m.thematic, 0) + {before} AS thematic, COUNT(*),
                {", ".join(f"COALESCE(SUM(m.{c}), 0)" for c in SUMS[:-1])}
            FROM scope_cells s
            LEFT JOIN cell_month_sums m ON m.cell_id = s.id AND m.month = :month
            GROUP BY s.group_id, s.tracked_from, thematic""", params)
        month, is_open = params["month"], bool(owing.open_months)
        first, end = self.period.first, self.period.last + timedelta(days=1)
        sums = []
        for group_id, group_name, tracked, thematic, cells, regular, on_time, *kept in rows:
            counts = _counts(_how(tracked, month, is_open), regular, on_time)
            sums.append(GroupSums(group_id, group_name, _iso_day(tracked), first, end,
                                  (thematic,), cells, _new(CellActivity, (*counts, *kept))))
        return sums

    async def latest_notes(self, most: int) -> tuple[list[Note], int]:
        """Return the latest `most` secretaries' notes of the period and how many there are."""
        params: dict[str, Any] = {"first": self.period.first.isoformat(),
                                  "last": self.period.last.isoformat(), "most": most}
        rows = await self._reader.fetch_all(_LATEST_NOTES, params)
        notes = [Note(r["code"], r["name"], date.fromisoformat(r["held_on"]), r["note"])
                 for r in rows]
        return notes, int(rows[0]["total"]) if rows else 0

    async def recruitment_counts(self) -> tuple[int, int]:
        """Return (ceremonies, confirmations) recorded for dates in the period."""
        params: dict[str, Any] = {"first": self.period.first.isoformat(),
                                  "last": self.period.last.isoformat()}
        row = await self._reader.fetch_one(_RECRUITMENT_COUNTS, params)
        if row is None:
            return 0, 0
        return int(row["admitted"] or 0), int(row["confirmed"] or 0)

    async def open_records(self, admitted_by: date) -> tuple[int, list[OpenRecord]]:
        """Return today's probationers in today's cells of the unit (whatever the period),
        and the people at a stage with a deadline (decided to confirmation vote),
        probationers admitted after `admitted_by` left out."""
        if self._today is None:
            raise ValueError("the area was walked without today")
        rows = await self._reader.fetch_all(
            _OPEN_RECORDS, {"admitted_by": admitted_by.isoformat()})
        records = [OpenRecord(Stage(r["stage"]), date.fromisoformat(r["on_date"]),
                              _day(r["ceremony"]), _day(r["received_on"]))
                   for r in rows if r["stage"] is not None]
        return int(rows[0]["probationers"]), records

    async def secretary_names(self) -> dict[int, list[str | None]]:
        """Return the profile names of each cell's registered secretaries (None: no name)."""
        rows = await self._reader.fetch_all(
            f"""SELECT g.unit_id, u.display_name FROM user_roles g JOIN users u ON u.id = g.user_id
            WHERE g.role = 'secretary' AND g.unit_id IN (SELECT id FROM scope_cells)
              AND {REGISTERED}
            ORDER BY g.unit_id, g.granted_at, u.id""")
        names: dict[int, list[str | None]] = {}
        for row in rows:
            names.setdefault(row["unit_id"], []).append(row["display_name"])
        return names


_CELL = "id, code, name, group_id, group_name, tracked_from, starts, ends"
_LISTED = ", ".join(f"COALESCE(s.{c}, '')" if c == "code" else f"s.{c}" for c in _CELL.split(", "))


def _cell(row: Any) -> ScopeCell:
    return ScopeCell(row["id"], row["code"] or "", row["name"], row["group_id"],
                     row["group_name"], date.fromisoformat(row["tracked_from"]),
                     date.fromisoformat(row["starts"]), date.fromisoformat(row["ends"]))


_new = tuple.__new__  # a NamedTuple of known values, without its constructor's call
_NOTHING = CellActivity()
_DUE, _BEFORE, _PENDING = range(3)  # how a cell's month counts (see _one_month)
# Where _ONE_MONTH's columns are: the cell's six, its activity (the first four of which
# depend on how its month counts), then the month's thematic meetings.
_ACTIVITY = 6
_AFTER_COUNTS = _ACTIVITY + 4  # the activity from `meetings` on, as kept
_THEMATIC = _ACTIVITY + len(CellActivity._fields)


def _one_month(rows: Sequence[Any], owing: Owing, earlier: dict[int, int]) -> list[CellSums]:
    """Return the CellSums of a month's rows (_ONE_MONTH), with the thematic meetings of its
    quarter `earlier`; each cell's report counts as `_counts` says."""
    period = owing.period
    month = month_key(period.months[0])
    is_open = bool(owing.open_months)
    first, end = period.first, period.last + timedelta(days=1)
    cells: dict[str, tuple[tuple[date, date, date], int]] = {}  # most share their first day
    sums: list[CellSums] = []
    append = sums.append
    for row in rows:  # 3,000 rows for a province: tuples made as they come (no checks)
        tracked = row[5]
        known = cells.get(tracked)
        if known is None:
            how = _how(tracked, month, is_open)
            known = cells[tracked] = ((date.fromisoformat(tracked), first, end), how)
        cell = _new(ScopeCell, row[:5] + known[0])
        regular = row[_ACTIVITY]
        if regular is None:  # no row: no meeting in the month
            activity, thematic = _NOTHING, earlier.get(row[0], 0)
        else:
            how, kept = known[1], row[_AFTER_COUNTS:_THEMATIC]
            activity = _new(CellActivity, row[_ACTIVITY:_THEMATIC] if how == _DUE else
                            (*_counts(how, regular, 0), *kept))
            thematic = row[_THEMATIC] + earlier.get(row[0], 0)
        append(_new(CellSums, (cell, activity, (thematic,))))
    return sums


def _how(tracked_from: str, month: str, is_open: bool) -> int:
    """Return how a month's report counts for a cell tracked from `tracked_from` (ISO): before
    its first month, in progress (the period's month is open), or due."""
    return _BEFORE if tracked_from[:7] > month else _PENDING if is_open else _DUE


def _counts(how: int, regular: int, on_time: int) -> tuple[int, int, int, int]:
    """Return CellActivity's first four fields for a month's reports as `how` counts them.
    Before tracking, a report could not be late: on time, and apart. In progress, it is not
    due yet: apart. Due, it is as kept."""
    if how == _BEFORE:
        return regular, regular, regular, 0
    if how == _PENDING:
        return 0, 0, 0, regular
    return regular, on_time, 0, 0


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
