"""A cell's standing this year: indicators computed from its meeting reports and today's date.

These are indicators for the secretary (DOMAIN.md §3.4), never an official rating: the rating is
a human decision of the upper standing committee.

Reports come in the order they were saved. For the monthly regular meeting only the latest
report of a month counts; an earlier one it replaced is history. Each meeting is judged by the
rules of its own date, so a year spanning a rule change mixes eras correctly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from bot.domain.meetings import (
    MeetingEvaluation,
    MeetingReport,
    evaluate,
    is_regular,
    is_thematic,
)
from bot.domain.periods import Period, PeriodKind, expected_months, expected_quarters
from bot.domain.rulebook import Rulebook

THEMATIC_PER_QUARTER = 1  # DOMAIN.md §1.1: at least one thematic meeting each quarter


@dataclass(frozen=True)
class LatestMeeting:
    """The most recent meeting of the cell and how it fares."""

    report: MeetingReport
    evaluation: MeetingEvaluation


@dataclass(frozen=True)
class YearStanding:
    """Year-so-far indicators of one cell; shares are Fractions, None when nothing to divide."""

    cell_id: int
    year: int
    today: date
    months_due: int  # months that had to have a regular meeting so far
    months_with_regular: tuple[int, ...]  # 1..12, only months that are due
    missing_months: tuple[int, ...]  # ended months without a regular meeting report
    current_month_reported: bool
    quarter: int  # 1..4
    thematic_this_quarter: int
    thematic_expected: int
    quarters_without_thematic: tuple[int, ...]  # ended quarters without a thematic meeting
    meetings: int  # meetings counted this year, after replaced reports are dropped
    attendance_rate: Fraction | None  # Σ present / Σ expected over the year's meetings
    share_meeting_attendance: Fraction | None
    share_disseminated_to_all: Fraction | None
    with_concrete_tasks: int
    latest: LatestMeeting | None  # the most recent meeting of the cell, of any year

    @property
    def thematic_due(self) -> bool:
        """Tell whether this quarter still lacks its thematic meeting."""
        return self.thematic_this_quarter < self.thematic_expected


def quarter_of(day: date) -> int:
    """Return the calendar quarter (1..4) of a date."""
    return (day.month - 1) // 3 + 1


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


def year_standing(
    cell_id: int,
    reports: Iterable[MeetingReport],
    today: date,
    rulebook: Rulebook,
    tracked_since: date | None = None,
) -> YearStanding:
    """Compute the indicators of one cell for the year of `today`.

    `tracked_since` (the day the cell entered the bot) excludes earlier months and quarters
    from what is due, by the rule the organisers' summaries use (`bot.domain.periods`), so a
    cell is not blamed for months before it could report.
    """
    past = [r for r in reports if r.cell_id == cell_id and r.held_on <= today]
    own = current_reports(past, rulebook)
    this_year = [r for r in own if r.held_on.year == today.year]
    year = Period(PeriodKind.YEAR, today.year)
    since = tracked_since or year.first
    owed = [m - today.year * 12 + 1 for m in expected_months(year, since, today)]

    regular_months = {r.held_on.month for r in this_year if is_regular(r, rulebook)}
    ended = [m for m in owed if m < today.month]
    current_reported = today.month in regular_months and today.month in owed
    due = [*ended, *([today.month] if current_reported else [])]

    quarter = quarter_of(today)
    thematic_quarters = [quarter_of(r.held_on) for r in this_year if is_thematic(r, rulebook)]
    ended_quarters = [
        q - today.year * 4 + 1 for q in expected_quarters(year, since, today)
        if q - today.year * 4 + 1 < quarter
    ]

    evaluations = [evaluate(r, rulebook) for r in this_year]
    expected = sum(r.expected for r in this_year)
    latest: MeetingReport | None = None
    for report in own:
        if latest is None or report.held_on >= latest.held_on:
            latest = report  # >= so that of two meetings on one day the last saved wins
    return YearStanding(
        cell_id=cell_id,
        year=today.year,
        today=today,
        months_due=len(due),
        months_with_regular=tuple(m for m in sorted(regular_months) if m in due),
        missing_months=tuple(m for m in ended if m not in regular_months),
        current_month_reported=current_reported,
        quarter=quarter,
        thematic_this_quarter=thematic_quarters.count(quarter),
        thematic_expected=THEMATIC_PER_QUARTER,
        quarters_without_thematic=tuple(
            q for q in ended_quarters if thematic_quarters.count(q) < THEMATIC_PER_QUARTER
        ),
        meetings=len(this_year),
        attendance_rate=(
            Fraction(sum(r.present for r in this_year), expected) if expected else None
        ),
        share_meeting_attendance=_share(e.meets_attendance for e in evaluations),
        share_disseminated_to_all=_share(e.disseminated_to_all for e in evaluations),
        with_concrete_tasks=sum(e.has_concrete_tasks for e in evaluations),
        latest=None if latest is None else LatestMeeting(latest, evaluate(latest, rulebook)),
    )


def _share(flags: Iterable[bool]) -> Fraction | None:
    values = list(flags)
    return Fraction(sum(values), len(values)) if values else None
