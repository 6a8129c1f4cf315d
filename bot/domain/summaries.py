"""Organisers' summaries: who reported, on time, and how the meetings went, for a scope.

The figures are built from per-cell sums that storage computes with SQL `GROUP BY` (one
`CellSums` row per cell, never one object per report), then added up here per commune and
for the whole scope. Everything is a count; shares are `Fraction`s, `None` for 0 of 0.

What a cell owes (`Owing`, one rule for the summaries, the cell's standing and the reminders):
a month's regular report is owed once its due day has passed (the rulebook's day of the next
month), from the month the cell entered the bot; before, the month is in progress ("k of n
reported so far"), counted apart, never missing or late. A month reported before the cell
entered the bot is owed and met: a report is never invisible. Quarters and their thematic
meetings follow the same rule, a quarter being due with its last month.

Reusing it (the Excel export, charts, ratings headline, reminder digest): one call loads it,

    summary = await handlers.summary.load_summary(db, rules, unit_id, period, now, holidays)
    summary.totals.reporting_rate          # Fraction | None, for the whole scope
    for group in summary.groups: ...       # per commune, lowest reporting rate first
    for line in summary.cells: ...         # per cell: line.figures(), line.months_missing
    missing_by_group(summary.cells)        # the cells that still owe a regular report

or, without the recruitment and notes, `cell_lines(owing, await SummaryRepository(db)
.cell_sums(...))` as /chuabaocao does. Figures without the cells' lines (/tonghop: a
province's summary without 3,000 rows) come from the sums SQL adds up per commune and per
what the cells owe (`GroupSums`): `load_summary(..., per_cell=False)`, `figures_by_group`.
`Figures` adds up with `+` and `Figures.of(lines)`, so any grouping (by commune, by district,
several periods) is a sum of cell lines. Nothing here
formats or translates: `handlers.summary.ratio` writes "2/25 (8%)" and "—" for 0 of 0.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from itertools import chain, compress
from typing import NamedTuple

from bot.domain.calendar import add_months
from bot.domain.meetings import MeetingRules, rules_on
from bot.domain.periods import (
    Period,
    expected_months,
    expected_quarters,
    month_end,
    month_start,
    quarter_index,
    report_due,
)
from bot.domain.pipeline import DeadlineKind, Move, Stage, next_deadline, policy_of
from bot.domain.pipeline import rules_on as recruitment_rules_on
from bot.domain.rulebook import Rulebook
from bot.domain.tree import Merged, Tree, month_stretch, overlap, quarter_stretch

TOP_AND_BOTTOM = 5  # communes shown at each end of a long list


def share(part: int, whole: int) -> Fraction | None:
    """Return part / whole, or None when there is nothing to divide (shown as "—")."""
    return Fraction(part, whole) if whole else None


# What storage gives ---------------------------------------------------------------------


class ScopeCell(NamedTuple):
    """A cell of the scope in a stretch of the period, with the unit it belonged to then (its
    commune): a cell moved in the period is one ScopeCell per stretch (bot.domain.tree)."""

    id: int
    code: str
    name: str
    group_id: int
    group_name: str
    tracked_from: date
    starts: date = date.min  # the stretch, from the first day of a month (default: always)
    ends: date = date.max  # to the first day of a month, excluded


class CellActivity(NamedTuple):
    """Sums over one cell's meetings of a period, as one SQL GROUP BY row gives them.

    Every figure counts every meeting held in the period (regular reports: one a month), each
    judged by the rules of its own date.
    """

    regular_reports: int = 0  # months owed that have their regular meeting report
    on_time: int = 0  # of those, received by the due day of the next month (or before tracking)
    before_tracking: int = 0  # of those, months before the month the cell entered the bot
    not_yet_due: int = 0  # months in progress (due day not passed) reported already, apart
    meetings: int = 0  # meetings of any kind held in the period
    present: int = 0  # Σ present
    expected: int = 0  # Σ expected (on roll minus exempt)
    attendance_judged: int = 0  # meetings held in an era with an attendance criterion
    met_attendance: int = 0  # of those, meetings meeting the criterion of their era
    with_unexcused: int = 0  # meetings with at least one unexcused absence
    too_short: int = 0  # meetings shorter than the minimum of their kind and era
    resolutions: int = 0  # meetings that adopted a resolution
    disseminated_to_all: int = 0  # resolutions passed on to every body the rules name
    with_tasks: int = 0  # resolutions with at least one concrete task
    previous_tasks_done: int = 0  # Σ last month's tasks done, where the report says
    previous_tasks_total: int = 0  # Σ last month's tasks, in those same reports


class CellSums(NamedTuple):
    """One cell of the scope with its sums, as storage returns them."""

    cell: ScopeCell
    activity: CellActivity
    thematic: tuple[int, ...]  # thematic meetings in each quarter the period touches


class GroupSums(NamedTuple):
    """Cells of one commune that owe the same in the period (one tracked day, one stretch,
    the same thematic meetings per quarter), their sums added up by SQL: what a summary's
    figures need, without a row per cell (a province's month is some 150 of them).

    A cell with several stretches in the area (moved in the period) is alone in its own,
    named by `cell_id`, so that it still counts once; the others are one stretch each."""

    group_id: int
    group_name: str
    tracked_from: date
    starts: date
    ends: date
    thematic: tuple[int, ...]  # each cell's thematic meetings per quarter the period touches
    cells: int
    activity: CellActivity  # the cells' sums
    cell_id: int | None = None  # the moved cell, alone


class OpenRecord(NamedTuple):
    """Where one person of the pipeline stands, for the deadlines of the summary."""

    stage: Stage
    since: date
    ceremony: date | None
    received: date | None = None  # an admission decision: the day the cell received it


class Note(NamedTuple):
    cell_code: str
    cell_name: str
    held_on: date
    text: str


@dataclass(frozen=True)
class RuleSpan:
    """The meeting rules in force from `first` to `last`, both inclusive."""

    first: date
    last: date
    rules: MeetingRules


def rule_spans(rulebook: Rulebook, first: date, last: date) -> list[RuleSpan]:
    """Split `first`..`last` into spans of one [[meetings]] era each."""
    starts = [first, *(d for d in rulebook.era_starts("meetings") if first < d <= last)]
    ends = [d - timedelta(days=1) for d in starts[1:]] + [last]
    return [RuleSpan(s, e, rules_on(rulebook, s)) for s, e in zip(starts, ends, strict=True)]


def due_days(period: Period, rulebook: Rulebook) -> dict[int, date]:
    """Return, per month of the period, the last day its regular report is on time."""
    return {month: month_due_on(month, rulebook) for month in period.months}


def month_due_on(month: int, rulebook: Rulebook) -> date:
    """Return the last day the regular report of month `month` (an index) is on time."""
    return report_due(month, reporting_due_day(rulebook, month_start(month)))


def reporting_due_day(rulebook: Rulebook, on: date) -> int:
    """Return the day of the next month by which a month's regular report is on time."""
    return int(rulebook.value("reporting", "report_due_day", on))


@dataclass(frozen=True)
class Owing:
    """What the cells owe in a period as of `today`: each month's due day, each quarter's
    (its last month's) and the thematic meetings each quarter needs."""

    period: Period
    today: date
    due: Mapping[int, date]  # per month of the period: the last day its report is on time
    quarter_due: Mapping[int, date]  # per quarter the period touches: its last month's
    needed: Mapping[int, int]  # per quarter: the thematic meetings it needs

    def month_due(self, month: int) -> bool:
        """Tell whether the month's report is due (its due day has passed): it is judged."""
        return self.today > self.due[month]

    def quarter_judged(self, quarter: int) -> bool:
        """Tell whether the quarter is due (its last month's due day has passed)."""
        return self.today > self.quarter_due[quarter]

    @property
    def open_months(self) -> tuple[int, ...]:
        """Return the months of the period, begun by today, whose report is not due yet."""
        return tuple(m for m in self.period.months
                     if month_start(m) <= self.today and not self.month_due(m))

    def months(self, tracked_from: date) -> tuple[range, range]:
        """Return the months a cell tracked from `tracked_from` owes: those due, and those
        in progress (expected, not due yet)."""
        expected = expected_months(self.period, tracked_from, self.today)
        split = next((m for m in expected if not self.month_due(m)), expected.stop)
        return range(expected.start, split), range(split, expected.stop)


def owing(period: Period, today: date, rulebook: Rulebook) -> Owing:
    """Return what the cells owe in `period` as of `today`, by the rulebook of each month."""
    quarter_due = {q: month_due_on(q // 4 * 12 + q % 4 * 3 + 2, rulebook)
                   for q in period.quarters}
    return Owing(period, today, due_days(period, rulebook), quarter_due,
                 thematic_needed(period, today, rulebook))


# Figures --------------------------------------------------------------------------------


def _count_cells(ids: Iterable[int], flags: Iterable[object]) -> int:
    """Count the cells flagged in any of their lines (`ids` and `flags` line by line)."""
    return len(set(compress(ids, flags)))


@dataclass(frozen=True)
class Figures:
    """The summary figures of one unit (a cell, a commune, the whole scope)."""

    cells: int = 0
    expected_reports: int = 0  # cell-months owed: due, or reported before being tracked
    months_open: int = 0  # cell-months in progress: expected, not due yet
    thematic_owed: int = 0  # cells owing at least one thematic quarter in the period
    thematic_covered: int = 0  # of those, cells with a thematic meeting in every such quarter
    thematic_open: int = 0  # cells in a quarter in progress (expected, not due yet)
    thematic_open_held: int = 0  # of those, cells that have held its thematic meeting(s)
    activity: CellActivity = field(default_factory=CellActivity)

    @classmethod
    def of(cls, lines: Iterable[CellLine]) -> Figures:
        """Add up the figures of cell lines; a cell of several lines (moved in the period)
        counts once, and covers its quarters when each of its lines does."""
        rows = list(lines)
        if not rows:
            return cls()
        # Column by column: a province's total reads 3,000 lines, its communes as many.
        cells, months_owed, quarters_owed, quarters_short, activities, months_open, \
            quarters_open, quarters_open_held = zip(*rows, strict=True)
        ids = [cell.id for cell in cells]
        owing, in_progress = _count_cells(ids, quarters_owed), _count_cells(ids, quarters_open)
        return cls(
            len(set(ids)),
            sum(months_owed),
            sum(months_open),
            owing,
            owing - _count_cells(ids, quarters_short),  # a quarter short is a quarter owed
            in_progress,
            in_progress - _count_cells(ids, map(operator.lt, quarters_open_held, quarters_open)),
            CellActivity._make(map(sum, zip(*activities, strict=True))),
        )

    @classmethod
    def total(cls, parts: Iterable[Figures]) -> Figures:
        """Add up the figures of sets of different cells (what `+` does, in one go)."""
        rows = list(parts)
        if not rows:
            return cls()
        return cls(
            sum(row.cells for row in rows),
            sum(row.expected_reports for row in rows),
            sum(row.months_open for row in rows),
            sum(row.thematic_owed for row in rows),
            sum(row.thematic_covered for row in rows),
            sum(row.thematic_open for row in rows),
            sum(row.thematic_open_held for row in rows),
            CellActivity._make(map(sum, zip(*(row.activity for row in rows), strict=True))),
        )

    def __add__(self, other: Figures) -> Figures:
        """Add the figures of two sets of different cells."""
        return Figures.total([self, other])

    @property
    def open_reported(self) -> int:
        """Return the cell-months in progress reported so far."""
        return self.activity.not_yet_due

    @property
    def open_rate(self) -> Fraction | None:
        """Return the share of the cell-months in progress reported so far."""
        return share(self.activity.not_yet_due, self.months_open)

    @property
    def rate_so_far(self) -> Fraction | None:
        """Return the reporting rate of the months due or, with none due yet, the share of
        those in progress reported so far (how a month fills up, for ordering and charts)."""
        return self.reporting_rate if self.expected_reports else self.open_rate

    @property
    def nothing_owed(self) -> bool:
        """Tell whether no cell owed or reported anything in the period (none was expected)."""
        return not (self.expected_reports or self.months_open or self.thematic_owed
                    or self.thematic_open or self.activity.meetings)

    @property
    def reports(self) -> int:
        return self.activity.regular_reports

    @property
    def missing(self) -> int:
        """Return the cell-months due and still without a regular meeting report."""
        return self.expected_reports - self.activity.regular_reports

    @property
    def reporting_rate(self) -> Fraction | None:
        return share(self.activity.regular_reports, self.expected_reports)

    @property
    def on_time_rate(self) -> Fraction | None:
        """Return reports received on time out of those owed (as DHIS2 counts it)."""
        return share(self.activity.on_time, self.expected_reports)

    @property
    def attendance_rate(self) -> Fraction | None:
        """Return Σ present / Σ expected over the meetings of the period."""
        return share(self.activity.present, self.activity.expected)

    @property
    def met_attendance_share(self) -> Fraction | None:
        return share(self.activity.met_attendance, self.activity.attendance_judged)

    @property
    def previous_tasks_share(self) -> Fraction | None:
        return share(self.activity.previous_tasks_done, self.activity.previous_tasks_total)

    @property
    def thematic_share(self) -> Fraction | None:
        return share(self.thematic_covered, self.thematic_owed)

    @property
    def dissemination_share(self) -> Fraction | None:
        return share(self.activity.disseminated_to_all, self.activity.resolutions)

    @property
    def tasks_share(self) -> Fraction | None:
        return share(self.activity.with_tasks, self.activity.resolutions)


class CellLine(NamedTuple):
    """One cell's part of a summary: what it owed in the period and what it did (a tuple:
    a province builds 3,000 of them per summary)."""

    cell: ScopeCell
    months_owed: int  # months due (from the month it entered the bot), and earlier reported
    quarters_owed: int  # quarters due, and earlier ones whose thematic meetings were held
    quarters_short: int  # quarters due with fewer thematic meetings than the rules ask
    activity: CellActivity
    months_open: int = 0  # months it is expected to report whose due day has not passed
    quarters_open: int = 0  # quarters in progress it is expected to hold a thematic meeting in
    quarters_open_held: int = 0  # of those, quarters whose thematic meetings were held

    @property
    def months_missing(self) -> int:
        """Return the months due without a regular meeting report."""
        return self.months_owed - self.activity.regular_reports

    @property
    def months_to_report(self) -> int:
        """Return the months it is expected to report and has not: due, or in progress."""
        return self.months_missing + self.months_open - self.activity.not_yet_due

    @property
    def thematic_missing(self) -> bool:
        """Tell whether a quarter due lacked its thematic meeting."""
        return self.quarters_short > 0

    @property
    def thematic_to_hold(self) -> bool:
        """Tell whether a quarter due or in progress still lacks its thematic meeting."""
        return self.thematic_missing or self.quarters_open_held < self.quarters_open

    def figures(self) -> Figures:
        return Figures.of([self])


def thematic_needed(period: Period, today: date, rulebook: Rulebook) -> dict[int, int]:
    """Return the thematic meetings each quarter of the period needs, by the rules at its end
    (or today, for the quarter in progress)."""
    needed = {}
    for quarter in period.quarters:
        end = month_end(quarter // 4 * 12 + quarter % 4 * 3 + 2)
        needed[quarter] = rules_on(rulebook, min(end, today)).thematic_per_quarter
    return needed


class _Stretch(NamedTuple):
    """What cells of one tracked day and stretch owe (many cells share it)."""

    months_due: int
    months_open: int
    quarters: range  # the quarters of the period in the stretch, up to today's
    expected: range  # of those, the quarters expected


class _Owed(NamedTuple):
    """What cells of one stretch and the same thematic meetings per quarter owe."""

    months_due: int  # without the months reported before tracking (a cell's own)
    months_open: int
    quarters_owed: int
    quarters_short: int
    quarters_open: int
    quarters_open_held: int


class _Owes:
    """What cells owe, by their tracked day, stretch and thematic meetings: computed once
    per distinct key (a province's 3,000 cells share a few)."""

    def __init__(self, owing: Owing):
        self._owing = owing
        self._stretches: dict[tuple[date, date, date], _Stretch] = {}
        self._known: dict[tuple[date, date, date, tuple[int, ...]], _Owed] = {}

    def __call__(self, tracked_from: date, starts: date, ends: date,
                 thematic: tuple[int, ...]) -> _Owed:
        key = (tracked_from, starts, ends, thematic)
        owed = self._known.get(key)
        if owed is None:
            days = key[:3]
            stretch = self._stretches.get(days)
            if stretch is None:
                stretch = self._stretches[days] = _stretch(self._owing, *days)
            owed = self._known[key] = _owed(self._owing, stretch, thematic)
        return owed


def cell_lines(owing: Owing, rows: Iterable[CellSums]) -> tuple[CellLine, ...]:
    """Return each cell's line: the months and quarters it owes in its stretch next to what
    it did there (see `Owing`)."""
    owes = _Owes(owing)
    lines = []
    for cell, activity, thematic in rows:  # a province: 3,000 cells sharing a few keys
        lines.append(_line(cell, owes(cell.tracked_from, cell.starts, cell.ends, thematic),
                           activity))
    return tuple(lines)


def _line(cell: ScopeCell, owed: _Owed, activity: CellActivity) -> CellLine:
    return CellLine(cell, owed.months_due + activity.before_tracking, owed.quarters_owed,
                    owed.quarters_short, activity, owed.months_open, owed.quarters_open,
                    owed.quarters_open_held)


def _stretch(owing: Owing, tracked_from: date, starts: date, ends: date) -> _Stretch:
    """Return the months and quarters a cell tracked from `tracked_from` owes in its stretch
    (`starts` to `ends`) of the period."""
    period, today = owing.period, owing.today
    due, pending = owing.months(tracked_from)
    months = month_stretch(starts, ends)
    quarters = overlap(period.quarters, quarter_stretch(starts, ends))
    quarters = overlap(quarters, range(quarters.start, quarter_index(today) + 1))
    return _Stretch(len(overlap(due, months)), len(overlap(pending, months)), quarters,
                    overlap(expected_quarters(period, tracked_from, today), quarters))


def _owed(owing: Owing, stretch: _Stretch, thematic: tuple[int, ...]) -> _Owed:
    """Judge the quarters of a stretch by the thematic meetings held in each."""
    first_quarter = owing.period.quarters[0]
    quarters_owed = short = open_ = held_open = 0
    for q in stretch.quarters:
        held = thematic[q - first_quarter] >= owing.needed[q]
        if q not in stretch.expected:  # before it entered the bot: owed once held
            quarters_owed += held
        elif owing.quarter_judged(q):
            quarters_owed += 1
            short += not held
        else:  # in progress: counted apart
            open_ += 1
            held_open += held
    return _Owed(stretch.months_due, stretch.months_open, quarters_owed, short, open_,
                 held_open)


@dataclass(frozen=True)
class GroupLine:
    """One commune (the unit right above its cells) and its figures."""

    unit_id: int
    name: str
    figures: Figures
    starts: date = date.min  # the first day its cells were under it in the period
    ends: date = date.max  # the day after the last (both a month's first day)


_starts, _ends = operator.attrgetter("cell.starts"), operator.attrgetter("cell.ends")


def by_group(lines: Iterable[CellLine]) -> list[GroupLine]:
    """Add up the cell lines per commune, lowest reporting rate first (then most missing)."""
    groups: dict[int, list[CellLine]] = {}
    for line in lines:
        groups.setdefault(line.cell.group_id, []).append(line)
    result = [GroupLine(gid, members[0].cell.group_name, Figures.of(members),
                        min(map(_starts, members)), max(map(_ends, members)))
              for gid, members in groups.items()]
    result.sort(key=_worst_first)
    return result


def figures_by_group(
    owing: Owing, sums: Iterable[GroupSums]
) -> tuple[Figures, list[GroupLine]]:
    """Return the figures of the whole scope and of each commune (lowest reporting rate
    first) from the cells' sums added up by what they owe: what `Figures.of` and `by_group`
    give over every cell's line, without the lines."""
    owes = _Owes(owing)
    names: dict[int, str] = {}
    spans: dict[int, tuple[date, date]] = {}
    many: dict[int, list[Figures]] = {}  # cells of one stretch in the area: added up
    moved: dict[int, list[CellLine]] = {}  # the others, line by line: each counts once
    for row in sums:
        owed = owes(row.tracked_from, row.starts, row.ends, row.thematic)
        group = row.group_id
        names.setdefault(group, row.group_name)
        starts, ends = spans.get(group, (row.starts, row.ends))
        spans[group] = (min(starts, row.starts), max(ends, row.ends))
        if row.cell_id is None:
            many.setdefault(group, []).append(_cells_owing(owed, row.cells, row.activity))
        else:
            cell = ScopeCell(row.cell_id, "", "", group, row.group_name, row.tracked_from,
                             row.starts, row.ends)
            moved.setdefault(group, []).append(_line(cell, owed, row.activity))
    groups = [GroupLine(group, name, Figures.total(
                  [*many.get(group, ()), Figures.of(moved.get(group, ()))]), *spans[group])
              for group, name in names.items()]
    groups.sort(key=_worst_first)
    totals = Figures.total([*chain.from_iterable(many.values()),
                            Figures.of(chain.from_iterable(moved.values()))])
    return totals, groups


def _cells_owing(owed: _Owed, cells: int, activity: CellActivity) -> Figures:
    """Return the figures of `cells` different cells, each of one stretch, that owe `owed`,
    with their activity added up (what Figures.of gives over their lines)."""
    thematic_owed = cells if owed.quarters_owed else 0
    thematic_open = cells if owed.quarters_open else 0
    return Figures(
        cells, cells * owed.months_due + activity.before_tracking, cells * owed.months_open,
        thematic_owed, thematic_owed - (cells if owed.quarters_short else 0),
        thematic_open,
        thematic_open - (cells if owed.quarters_open_held < owed.quarters_open else 0),
        activity,
    )


def _worst_first(group: GroupLine) -> tuple[bool, Fraction, int, str, date, int]:
    rate = group.figures.rate_so_far
    return (rate is None, rate or Fraction(0), -group.figures.missing, group.name,
            group.starts, group.unit_id)  # two units of one name: the older first


def top_and_bottom(
    groups: Sequence[GroupLine], n: int = TOP_AND_BOTTOM
) -> tuple[Sequence[GroupLine], Sequence[GroupLine], int]:
    """Return the n worst, the n best and how many lie between (all of them when few)."""
    if len(groups) <= 2 * n:
        return groups, (), 0
    return groups[:n], groups[-n:], len(groups) - 2 * n


def missing_by_group(lines: Iterable[CellLine]) -> list[tuple[str, list[CellLine]]]:
    """Return the cells that lack a regular report for a month they owe, by commune."""
    return _grouped(line for line in lines if line.months_missing > 0)


def pending_by_group(lines: Iterable[CellLine]) -> list[tuple[str, list[CellLine]]]:
    """Return the cells that have not reported a month in progress yet (not missing), by
    commune."""
    return _grouped(line for line in lines if line.months_open > line.activity.not_yet_due)


def without_thematic_by_group(lines: Iterable[CellLine]) -> list[tuple[str, list[CellLine]]]:
    """Return the cells that lack a thematic meeting in a quarter they owe, by commune."""
    return _grouped(line for line in lines if line.thematic_missing)


def _grouped(lines: Iterable[CellLine]) -> list[tuple[str, list[CellLine]]]:
    groups: dict[tuple[str, int], list[CellLine]] = {}
    for line in lines:
        groups.setdefault((line.cell.group_name, line.cell.group_id), []).append(line)
    return [
        (name, sorted(members, key=lambda line: (line.cell.code, line.cell.name)))
        for (name, _), members in sorted(groups.items())
    ]


# Recruitment ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecruitmentFigures:
    admitted: int = 0  # admission ceremonies held in the period
    confirmed: int = 0  # confirmations as full member dated in the period
    in_probation: int = 0  # probationary members today
    overdue_ceremonies: int = 0
    overdue_confirmations: int = 0  # the cell's vote or the decision, past its deadline
    probations_ending_soon: int = 0  # within the rulebook's window from today
    window_days: int = 0  # that window


def probation_lookback(today: date, rulebook: Rulebook) -> date:
    """Return the latest ceremony whose probation may end by the end of the window from
    today: later ones are only counted as probationers, with no deadline to look at."""
    horizon = today + timedelta(days=policy_of(rulebook).probation_ending_soon_days)
    shortest = min(
        recruitment_rules_on(rulebook, day).probation_months
        for day in [horizon, *rulebook.era_starts("recruitment")]
    )
    return add_months(horizon, -shortest)


_CONFIRMATION_DUE = frozenset(
    {DeadlineKind.CONFIRM_VOTE_DUE, DeadlineKind.CONFIRMATION_DECISION_DUE}
)


def recruitment_figures(
    admitted: int,
    confirmed: int,
    in_probation: int,
    records: Iterable[OpenRecord],
    today: date,
    rulebook: Rulebook,
    holidays: Set[date],
) -> RecruitmentFigures:
    """Count today's deadlines from where each open record with one stands.

    `records` may leave out probationers admitted after `probation_lookback`: nothing of
    theirs is due or ending soon.
    """
    window = policy_of(rulebook).probation_ending_soon_days
    horizon = today + timedelta(days=window)
    ceremonies = confirmations = ending = 0
    # Once per distinct record: a province's probationers share their ceremonies' days.
    for record, count in Counter(records).items():
        history = [Move(record.stage, record.since, record.received)]
        if record.ceremony is not None and record.stage is not Stage.CEREMONY:
            history.insert(0, Move(Stage.CEREMONY, record.ceremony))
        deadline = next_deadline(history, today, rulebook, holidays)
        if deadline is None:
            continue
        if deadline.overdue and deadline.kind is DeadlineKind.CEREMONY_DUE:
            ceremonies += count
        if deadline.overdue and deadline.kind in _CONFIRMATION_DUE:
            confirmations += count
        if deadline.kind is DeadlineKind.PROBATION_ENDS and deadline.due <= horizon:
            ending += count
    return RecruitmentFigures(
        admitted, confirmed, in_probation, ceremonies, confirmations, ending, window
    )


# The whole summary ----------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """The figures of a scope for a period: totals, per commune, per cell, recruitment, notes."""

    period: Period
    today: date
    open_months: tuple[int, ...]  # months of the period in progress: their reports not due
    totals: Figures
    groups: tuple[GroupLine, ...]  # per commune, lowest reporting rate first
    cells: tuple[CellLine, ...]
    recruitment: RecruitmentFigures
    notes: tuple[Note, ...]  # the latest secretaries' notes of the period
    more_notes: int  # notes of the period not among them
    tree: Tree = Tree.THEN  # each day's own tree, or today's for every day
    merged: tuple[Merged, ...] = ()  # units merged into the scope that count in their days
    entered_late: bool = False  # a cell entered the bot after the period's first day

    @property
    def in_progress(self) -> bool:
        return self.period.in_progress(self.today)

    @property
    def tree_changed(self) -> bool:
        """Tell whether a commune of the summary began or ended within the period."""
        end = self.period.last + timedelta(days=1)
        return any(g.starts > self.period.first or g.ends < end for g in self.groups)


def summarise(
    owing: Owing,
    rows: Iterable[CellSums],
    recruitment: RecruitmentFigures,
    notes: Sequence[Note] = (),
    total_notes: int = 0,
    tree: Tree = Tree.THEN,
    merged: Sequence[Merged] = (),
) -> Summary:
    """Build the summary of a scope from its per-cell sums, with every cell's line."""
    lines = cell_lines(owing, rows)
    groups = by_group(lines)
    # A cell that moved between communes in the period is in both, but counts once in all.
    moved = sum(g.figures.cells for g in groups) > len({line.cell.id for line in lines})
    return _summary(
        owing, Figures.of(lines) if moved else Figures.total(g.figures for g in groups),
        groups, lines, any(line.cell.tracked_from > owing.period.first for line in lines),
        recruitment, notes, total_notes, tree, merged)


def summarise_groups(
    owing: Owing,
    sums: Iterable[GroupSums],
    recruitment: RecruitmentFigures,
    notes: Sequence[Note] = (),
    total_notes: int = 0,
    tree: Tree = Tree.THEN,
    merged: Sequence[Merged] = (),
) -> Summary:
    """Build the summary of a scope from its cells' sums added up per commune: the same
    figures as `summarise`, without the cells' lines (`cells` is empty)."""
    rows = list(sums)
    totals, groups = figures_by_group(owing, rows)
    return _summary(owing, totals, groups, (),
                    any(row.tracked_from > owing.period.first for row in rows),
                    recruitment, notes, total_notes, tree, merged)


def _summary(
    owing: Owing, totals: Figures, groups: Sequence[GroupLine], cells: tuple[CellLine, ...],
    entered_late: bool, recruitment: RecruitmentFigures, notes: Sequence[Note],
    total_notes: int, tree: Tree, merged: Sequence[Merged],
) -> Summary:
    return Summary(
        period=owing.period,
        today=owing.today,
        open_months=owing.open_months,
        totals=totals,
        groups=tuple(groups),
        cells=cells,
        recruitment=recruitment,
        notes=tuple(notes),
        more_notes=max(0, total_notes - len(notes)),
        tree=tree,
        merged=tuple(merged),
        entered_late=entered_late,
    )
