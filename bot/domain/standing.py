"""A cell's standing: indicators over a period (month, quarter, year) from its meeting reports.

These are indicators for the secretary (DOMAIN.md §3.4), never an official rating: the rating is
a human decision of the upper standing committee.

Reports come in the order they were saved. For the monthly regular meeting only the latest
report of a month counts; an earlier one it replaced is history. Each meeting is judged by the
rules of its own date, so a period spanning a rule change mixes eras correctly. A month or a
quarter is judged once its report is due (`bot.domain.summaries.Owing`, the organisers' rule
too): December's regular meeting, due by 5 January, is missing from 6 January on; before, it is
in progress. A month reported before the cell entered the bot is judged, and met.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from bot.domain.cells import CellSize, cell_rules_on, cell_size
from bot.domain.meetings import (
    MeetingEvaluation,
    MeetingReport,
    evaluate,
    is_regular,
    is_thematic,
    rules_on,
)
from bot.domain.periods import Period, PeriodKind, first_owed_month
from bot.domain.rulebook import Rulebook
from bot.domain.summaries import month_due_on


def month_numbers(period: Period) -> list[int]:
    """Return the months (1..12) of a period, which lies within one year."""
    return [index - period.year * 12 + 1 for index in period.months]


def whole_quarters(period: Period) -> tuple[int, ...]:
    """Return the quarters (1..4) lying wholly inside the period (none for a month)."""
    inside = set(month_numbers(period))
    return tuple(q for q in range(1, 5) if inside.issuperset(quarter_months(q)))


def quarter_of(day: date) -> int:
    """Return the calendar quarter (1..4) of a date."""
    return (day.month - 1) // 3 + 1


def quarter_months(quarter: int) -> range:
    return range(quarter * 3 - 2, quarter * 3 + 1)


def month_end(year: int, month: int) -> date:
    return date(year, month, _stdlib_calendar.monthrange(year, month)[1])


def whole_year(year: int) -> Period:
    return Period(PeriodKind.YEAR, year)


@dataclass(frozen=True)
class Share:
    """A part of a whole, kept as counts so it can be written "k/n (p %)"."""

    part: int
    whole: int

    @property
    def value(self) -> Fraction | None:
        """Return the share as a fraction, None when there is nothing to divide."""
        return Fraction(self.part, self.whole) if self.whole else None


def share_of(flags: Iterable[bool | None]) -> Share:
    """Count the True flags among those that are not None (None: not applicable)."""
    values = [f for f in flags if f is not None]
    return Share(sum(values), len(values))


@dataclass(frozen=True)
class PeriodStanding:
    """Indicators of one cell over one period, as far as `today`."""

    cell_id: int
    period: Period
    today: date
    tracked_from: int  # the first month (1..12) of the period that is judged; 13: none
    months_due: int  # months whose report is due (its due day has passed), judged
    months_with_regular: tuple[int, ...]  # 1..12, only months that are due
    missing_months: tuple[int, ...]  # due months without a regular meeting report
    months_pending: tuple[int, ...]  # begun, tracked, not due yet and not reported yet
    reported_early: tuple[int, ...]  # begun, not due yet, and reported already
    current_month: int | None  # today's month when it lies in the period
    current_month_reported: bool
    current_quarter: int | None  # today's quarter when it lies in the period
    thematic_this_quarter: int
    thematic_expected: int
    quarters_without_thematic: tuple[int, ...]  # due quarters without a thematic meeting
    meetings: int  # meetings counted, after replaced reports are dropped
    attendance_rate: Fraction | None  # Σ present / Σ expected over the period's meetings
    meeting_attendance: Share  # meetings that met the criterion / meetings judged by one
    disseminated_to_all: Share  # resolutions passed on to everyone / resolutions adopted
    with_concrete_tasks: Share  # resolutions with a task that has an owner and a deadline
    previous_tasks_done: Share  # Σ last month's tasks done / Σ their total, where answered
    with_upper_guest: Share  # meetings an upper-level committee member attended, where said

    @property
    def thematic_due(self) -> bool:
        """Tell whether the current quarter still lacks its thematic meeting."""
        return self.current_quarter is not None and (
            self.thematic_this_quarter < self.thematic_expected
        )

    @property
    def ended(self) -> bool:
        """Tell whether the whole period lies before today."""
        return self.period.last < self.today


@dataclass(frozen=True)
class LatestMeeting:
    """The most recent meeting of the cell and how it fares."""

    report: MeetingReport
    evaluation: MeetingEvaluation


@dataclass(frozen=True)
class CellStanding:
    """What the standing shows: the latest meeting, this year, and last year early in a year."""

    latest: LatestMeeting | None  # the most recent meeting of the cell, of any year
    year: PeriodStanding
    past_year: PeriodStanding | None  # shown in the first weeks of a year (a [policy] value)
    size: CellSize
    full_members: int


def current_reports(reports: Iterable[MeetingReport], rulebook: Rulebook) -> list[MeetingReport]:
    """Drop regular reports replaced by a later one of the same cell and month."""
    kept: list[MeetingReport | None] = []
    regular_at: dict[tuple[int, int, int], int] = {}
    for report in reports:
        if is_regular(report, rulebook):
            key = (report.cell_id, report.held_on.year, report.held_on.month)
            if key in regular_at:
                kept[regular_at[key]] = None  # replaced: the later report wins
            regular_at[key] = len(kept)
        kept.append(report)
    return [r for r in kept if r is not None]


def tracked_from_month(period: Period, tracked_since: date | None) -> int:
    """Return the first month of the period's year that is judged (13 when none is).

    The rule of `bot.domain.periods.first_owed_month`, which the summaries apply too.
    """
    return first_owed_month(period.year, tracked_since)


def period_standing(
    cell_id: int,
    reports: Iterable[MeetingReport],
    period: Period,
    today: date,
    rulebook: Rulebook,
    tracked_since: date | None = None,
) -> PeriodStanding:
    """Compute the indicators of one cell over `period`, as far as `today`.

    `tracked_since` (e.g. the day the cell joined the bot) excludes earlier months and
    quarters from what is due, so a cell is not blamed for months before it could report.
    """
    own = current_reports(
        (r for r in reports if r.cell_id == cell_id and r.held_on <= today), rulebook
    )
    inside = [r for r in own if period.first <= r.held_on <= period.last]
    first_month = tracked_from_month(period, tracked_since)
    regulars = [r.held_on.month for r in inside if is_regular(r, rulebook)]
    held = {m for m in month_numbers(period)
            if regulars.count(m) >= _regular_needed(period.year, m, rulebook)}
    # A month before the cell entered the bot is judged only when reported: never invisible.
    judged = [m for m in month_numbers(period) if m >= first_month or m in held]
    begun = [m for m in judged if date(period.year, m, 1) <= today]
    due = [m for m in begun if _is_due(period.year, m, today, rulebook)]
    open_ = [m for m in begun if m not in due]
    in_period = period.in_progress(today)
    current = today.month if in_period else None
    current_reported = current is not None and current in held

    thematic = [quarter_of(r.held_on) for r in inside if is_thematic(r, rulebook)]
    # A quarter in which tracking started midway is still judged: one meeting in it is enough.
    quarters = [q for q in whole_quarters(period) if quarter_months(q)[-1] >= first_month]
    ended_quarters = [q for q in quarters if _is_due(period.year, q * 3, today, rulebook)]
    quarter = quarter_of(today) if in_period and quarter_of(today) in quarters else None

    evaluations = [evaluate(r, rulebook) for r in inside]
    expected = sum(r.expected for r in inside)
    return PeriodStanding(
        cell_id=cell_id,
        period=period,
        today=today,
        tracked_from=first_month,
        months_due=len(due),
        months_with_regular=tuple(m for m in sorted(held) if m in due),
        missing_months=tuple(m for m in due if m not in held),
        months_pending=tuple(m for m in open_ if m not in held),
        reported_early=tuple(m for m in open_ if m in held),
        current_month=current,
        current_month_reported=current_reported,
        current_quarter=quarter,
        thematic_this_quarter=thematic.count(quarter) if quarter else 0,
        thematic_expected=rules_on(rulebook, min(period.last, today)).thematic_per_quarter,
        quarters_without_thematic=tuple(
            q for q in ended_quarters
            if thematic.count(q) < _thematic_needed(period.year, q, today, rulebook)
        ),
        meetings=len(inside),
        attendance_rate=(
            Fraction(sum(r.present for r in inside), expected) if expected else None
        ),
        meeting_attendance=share_of(e.meets_attendance for e in evaluations),
        disseminated_to_all=share_of(e.disseminated_to_all for e in evaluations),
        with_concrete_tasks=share_of(e.has_concrete_tasks for e in evaluations),
        previous_tasks_done=Share(
            sum(r.previous_tasks_done or 0 for r in inside),
            sum(r.previous_tasks_total or 0 for r in inside if r.previous_tasks_done is not None),
        ),
        with_upper_guest=share_of(r.upper_guest for r in inside),
    )


def _is_due(year: int, month: int, today: date, rulebook: Rulebook) -> bool:
    """Tell whether the month's regular report is due on `today` (its due day has passed)."""
    return month_due_on(year * 12 + month - 1, rulebook) < today


def _regular_needed(year: int, month: int, rulebook: Rulebook) -> int:
    return rules_on(rulebook, month_end(year, month)).regular_per_month


def _thematic_needed(year: int, quarter: int, today: date, rulebook: Rulebook) -> int:
    """Return the thematic meetings a quarter needs, by the rules at its end (or today)."""
    return rules_on(rulebook, min(month_end(year, quarter * 3), today)).thematic_per_quarter


def latest_meeting(reports: Sequence[MeetingReport], rulebook: Rulebook) -> LatestMeeting | None:
    """Return the most recent meeting; of two on one day, the last saved."""
    latest: MeetingReport | None = None
    for report in current_reports(reports, rulebook):
        if latest is None or report.held_on >= latest.held_on:
            latest = report
    return None if latest is None else LatestMeeting(latest, evaluate(latest, rulebook))


def shows_past_year(today: date, rulebook: Rulebook) -> bool:
    """Tell whether the standing still shows last year: in the first days of a year."""
    return today - date(today.year, 1, 1) < timedelta(days=rulebook.policy("past_year_shown_days"))


def cell_standing(
    cell_id: int,
    reports: Sequence[MeetingReport],
    today: date,
    rulebook: Rulebook,
    full_members: int,
    tracked_since: date | None = None,
) -> CellStanding:
    """Compute what the standing of one cell shows on `today`."""
    own = [r for r in reports if r.cell_id == cell_id and r.held_on <= today]
    past: PeriodStanding | None = None
    if shows_past_year(today, rulebook):
        last_year = whole_year(today.year - 1)
        past = period_standing(cell_id, own, last_year, today, rulebook, tracked_since)
        if past.months_due == 0 and past.meetings == 0:
            past = None  # not tracked last year: nothing to show
    return CellStanding(
        latest=latest_meeting(own, rulebook),
        year=period_standing(
            cell_id, own, whole_year(today.year), today, rulebook, tracked_since
        ),
        past_year=past,
        size=cell_size(full_members, cell_rules_on(rulebook, today)),
        full_members=full_members,
    )
