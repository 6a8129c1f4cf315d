"""A cell's year-so-far standing from its meeting reports."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.cells import CellSize, cell_rules_on, cell_size
from bot.domain.meetings import Dissemination, MeetingKind, MeetingReport
from bot.domain.periods import Period, PeriodKind
from bot.domain.rulebook import Rulebook
from bot.domain.standing import (
    PeriodStanding,
    Share,
    cell_standing,
    current_reports,
    latest_meeting,
    month_numbers,
    period_standing,
    quarter_of,
    whole_quarters,
    whole_year,
)
from tests.support import sample_meeting

RULES = Rulebook.default()
CELL = 7


def month_period(year: int, month: int) -> Period:
    return Period(PeriodKind.MONTH, year, month)


def quarter_period(year: int, quarter: int) -> Period:
    return Period(PeriodKind.QUARTER, year, quarter)


def year_standing(
    cell: int,
    reports: list[MeetingReport],
    today: date,
    rules: Rulebook,
    tracked_since: date | None = None,
) -> PeriodStanding:
    """Return the standing of the year of `today`."""
    year = whole_year(today.year)
    return period_standing(cell, reports, year, today, rules, tracked_since=tracked_since)


def meeting(month: int, day: int = 10, year: int = 2026, **changes: Any) -> MeetingReport:
    """Return a sound regular meeting of cell 7 held on the given day."""
    defaults = {"cell_id": CELL, "held_on": date(year, month, day), "present": 20, "excused": 0}
    return sample_meeting(**{**defaults, **changes})


def thematic(month: int, day: int = 20, **changes: Any) -> MeetingReport:
    """Return a thematic meeting of cell 7."""
    return meeting(month, day, **{"kind": MeetingKind.THEMATIC, "topic": "Chủ đề", **changes})


@pytest.mark.parametrize(
    ("months", "today", "due", "held", "missing", "current", "pending", "early"),
    [
        # 5 April: March is due that day, not judged yet; April not over: neither is missing
        ([1, 2], date(2026, 4, 5), 2, (1, 2), (), False, (3, 4), ()),
        # 15 April: February missing; March judged and held; April reported before its day
        ([1, 3, 4], date(2026, 4, 15), 3, (1, 3), (2,), True, (), (4,)),
        ([], date(2026, 1, 15), 0, (), (), False, (1,), ()),  # early January: nothing due yet
        # 31 December: January to November due, none reported; December in progress
        ([], date(2026, 12, 31), 11, (), tuple(range(1, 12)), False, (12,), ()),
        # 1 February: January and February reported before they were due
        ([1, 2], date(2026, 2, 1), 0, (), (), True, (), (1, 2)),
    ],
)
def test_each_month_due_without_a_regular_meeting_is_missing(
    months: list[int],
    today: date,
    due: int,
    held: tuple[int, ...],
    missing: tuple[int, ...],
    current: bool,
    pending: tuple[int, ...],
    early: tuple[int, ...],
) -> None:
    reports = [meeting(m, day=1) for m in months]
    standing = year_standing(CELL, reports, today, RULES)
    assert standing.months_due == due
    assert standing.months_with_regular == held
    assert standing.missing_months == missing
    assert standing.current_month_reported is current
    assert (standing.months_pending, standing.reported_early) == (pending, early)


@pytest.mark.parametrize(
    ("reports", "missing"),
    [
        ([meeting(1), thematic(2), meeting(3)], (2,)),  # a thematic meeting is not the regular
        ([meeting(1), thematic(2, kind=MeetingKind.COMBINED), meeting(3)], ()),  # combined is
        ([meeting(1), meeting(2, year=2025), meeting(3)], (2,)),  # last year's February
        ([meeting(1), meeting(2, cell_id=8), meeting(3)], (2,)),  # another cell's February
    ],
)
def test_only_regular_or_combined_meetings_of_this_cell_and_year_fill_a_month(
    reports: list[MeetingReport], missing: tuple[int, ...]
) -> None:
    assert year_standing(CELL, reports, date(2026, 4, 15), RULES).missing_months == missing


@pytest.mark.parametrize(
    ("since", "due", "missing"),
    [
        (None, 9, (1, 2, 3, 4, 5, 6, 7, 8, 9)),  # tracked all year: nothing was reported
        (date(2025, 3, 1), 9, (1, 2, 3, 4, 5, 6, 7, 8, 9)),  # tracked since last year
        (date(2026, 8, 20), 2, (8, 9)),  # joined in August: January to July are not due
        (date(2026, 10, 2), 0, ()),  # joined this month
        (date(2027, 1, 1), 0, ()),  # a start in the future makes nothing due
    ],
)
def test_months_before_the_cell_was_tracked_are_not_due(
    since: date | None, due: int, missing: tuple[int, ...]
) -> None:
    # 6 October: September's report, due by the 5th, is judged
    standing = year_standing(CELL, [], date(2026, 10, 6), RULES, tracked_since=since)
    assert standing.months_due == due
    assert standing.missing_months == missing


@pytest.mark.parametrize(
    ("reports", "today", "this_quarter", "due", "quarters_without"),
    [
        ([], date(2026, 2, 1), 0, True, ()),  # first quarter, none held yet
        ([thematic(2)], date(2026, 3, 1), 1, False, ()),  # one is enough
        ([thematic(1), thematic(2)], date(2026, 3, 1), 2, False, ()),  # more is fine
        ([thematic(2)], date(2026, 4, 1), 0, True, ()),  # a new quarter starts from zero
        ([thematic(5)], date(2026, 8, 1), 0, True, (1,)),  # Q1 had none, Q2 had one
        ([thematic(4, kind=MeetingKind.COMBINED)], date(2026, 5, 1), 1, False, (1,)),  # combined
    ],
)
def test_at_least_one_thematic_meeting_is_expected_each_quarter(
    reports: list[MeetingReport],
    today: date,
    this_quarter: int,
    due: bool,
    quarters_without: tuple[int, ...],
) -> None:
    standing = year_standing(CELL, reports, today, RULES)
    assert standing.current_quarter == quarter_of(today)
    assert standing.thematic_this_quarter == this_quarter
    assert standing.thematic_expected == 1
    assert standing.thematic_due is due
    assert standing.quarters_without_thematic == quarters_without


def test_a_replaced_regular_report_is_history() -> None:
    first = meeting(3, day=5, present=10, excused=10)
    second = meeting(3, day=6, present=19, excused=1)
    standing = year_standing(CELL, [first, second], date(2026, 4, 15), RULES)
    assert standing.meetings == 1
    assert standing.attendance_rate == Fraction(19, 20)
    assert current_reports([first, second], RULES) == [second]


def test_a_thematic_meeting_in_the_same_month_is_not_a_replacement() -> None:
    reports = [meeting(3), thematic(3), thematic(3, day=25)]
    assert current_reports(reports, RULES) == reports


def test_year_indicators_pool_every_meeting_of_the_year() -> None:
    reports = [
        meeting(1, present=20),  # 100 %, disseminated to all, 2 tasks
        meeting(2, present=17, excused=3, disseminated_to=frozenset()),  # exactly 85 %
        meeting(3, present=19, excused=1, tasks=0),  # 95 % excused: meets; no tasks
        thematic(3, present=14, excused=6, resolution_adopted=False, tasks=0),  # 70 %
        meeting(12, year=2025, present=0, excused=0),  # last year: ignored
    ]
    standing = year_standing(CELL, reports, date(2026, 4, 15), RULES)
    assert standing.meetings == 4
    assert standing.attendance_rate == Fraction(20 + 17 + 19 + 14, 80)
    assert standing.meeting_attendance == Share(2, 4)
    assert standing.disseminated_to_all == Share(2, 3)  # of the three resolutions adopted
    assert standing.with_concrete_tasks == Share(2, 3)  # of those three, too


def test_a_year_without_meetings_has_no_shares() -> None:
    standing = year_standing(CELL, [], date(2026, 4, 15), RULES)
    assert standing.meetings == 0
    assert standing.attendance_rate is None
    assert standing.meeting_attendance.value is None
    assert standing.disseminated_to_all.value is None
    assert standing.with_concrete_tasks == Share(0, 0)
    assert latest_meeting([], RULES) is None


def test_each_meeting_of_the_year_is_judged_by_its_own_era() -> None:
    shipped = RULES.section("meetings", on=date(2026, 1, 1))
    rulebook = Rulebook.from_mappings(
        [
            {
                "meetings": [
                    {**shipped, "effective_from": date(2012, 1, 1), "attendance_threshold": 0.8},
                    {"effective_from": date(2026, 3, 1), "attendance_threshold": 0.9},
                ],
                "reporting": [{"effective_from": date(2012, 1, 1), "report_due_day": 5}],
            }
        ]
    )
    reports = [meeting(m, present=17, excused=3) for m in (1, 2, 3)]  # 85 % each month
    standing = year_standing(CELL, reports, date(2026, 4, 15), rulebook)
    assert standing.meeting_attendance == Share(2, 3)  # January and February pass


@pytest.mark.parametrize(
    ("reports", "latest"),
    [
        ([meeting(3), meeting(1)], 0),  # by meeting date, not by saving order
        ([meeting(12, year=2025)], 0),  # last year's when none this year
        ([meeting(3), thematic(3, day=10)], 1),  # two on the same day: the last saved
    ],
)
def test_the_latest_meeting_is_the_most_recent_one(
    reports: list[MeetingReport], latest: int
) -> None:
    found = latest_meeting(reports, RULES)
    assert found is not None
    assert found.report is reports[latest]


def test_the_latest_meeting_carries_its_evaluation() -> None:
    reports = [meeting(3, disseminated_to=frozenset({Dissemination.YOUTH_UNION}), minutes=80)]
    found = latest_meeting(reports, RULES)
    assert found is not None
    assert found.evaluation.too_short
    assert not found.evaluation.disseminated_to_all


@given(
    held=st.lists(
        st.tuples(
            st.dates(date(2026, 1, 1), date(2026, 12, 31)),
            st.sampled_from(MeetingKind),
            st.integers(0, 20),
        ),
        max_size=30,
    ),
    today=st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    since=st.none() | st.dates(date(2025, 6, 1), date(2027, 1, 31)),
)
def test_every_due_month_is_either_held_or_missing_and_shares_are_shares(
    held: list[tuple[date, MeetingKind, int]], today: date, since: date | None
) -> None:
    reports = [
        meeting(day.month, day.day, kind=kind, topic="Chủ đề", present=present)
        for day, kind, present in held
    ]
    s = year_standing(CELL, reports, today, RULES, tracked_since=since)
    assert len(s.months_with_regular) + len(s.missing_months) == s.months_due
    assert set(s.months_with_regular).isdisjoint(s.missing_months)
    assert all(m < today.month for m in s.missing_months)  # the current month is never missing
    assert s.meetings == len(current_reports([r for r in reports if r.held_on <= today], RULES))
    shares = (s.meeting_attendance, s.disseminated_to_all, s.with_concrete_tasks)
    for share in (s.attendance_rate, *(x.value for x in shares)):
        assert share is None or 0 <= share <= 1


# Defect 1 of issue 8: a year's last month and quarter are judged once they have ended.


def jan_to_nov_2025() -> list[MeetingReport]:
    """Regular meetings January to November 2025, and a thematic one in Q1 to Q3 only."""
    regular = [meeting(m, year=2025) for m in range(1, 12)]
    themes = [meeting(m, 20, year=2025, kind=MeetingKind.THEMATIC, topic="Chủ đề")
              for m in (2, 5, 8)]
    return regular + themes


@pytest.mark.parametrize(
    ("today", "shown", "missing", "quarters"),
    [
        (date(2026, 1, 5), True, (), ()),  # December's report is due by 5 January: not yet
        (date(2026, 1, 6), True, (12,), (4,)),  # §9.13, 14: December and Q4 2025 are missing
        (date(2026, 1, 31), True, (12,), (4,)),  # still shown on the last day of January
        (date(2026, 2, 1), False, None, None),  # later the past year is not shown any more
    ],
)
def test_in_the_first_weeks_of_a_year_the_past_year_is_judged_whole(
    today: date, shown: bool, missing: tuple[int, ...] | None, quarters: tuple[int, ...] | None
) -> None:
    standing = cell_standing(CELL, jan_to_nov_2025(), today, RULES, full_members=18)
    assert (standing.past_year is not None) is shown
    if standing.past_year is not None:
        assert standing.past_year.missing_months == missing
        assert standing.past_year.quarters_without_thematic == quarters
        assert standing.past_year.months_due == 11 + (missing == (12,))
        assert standing.past_year.months_pending == (() if missing else (12,))
        assert standing.past_year.current_month is None  # no "this month" in a past year
        assert not standing.past_year.thematic_due
    assert standing.year.period == whole_year(2026)
    assert standing.year.missing_months == ()  # January 2026 is due by 5 February


def test_the_past_year_of_a_cell_tracked_only_since_this_year_is_not_shown() -> None:
    standing = cell_standing(
        CELL, [], date(2026, 1, 5), RULES, full_members=18, tracked_since=date(2026, 1, 2)
    )
    assert standing.past_year is None


@pytest.mark.parametrize(
    ("period", "due", "missing", "quarters_without", "meetings"),
    [
        (month_period(2025, 11), 1, (), (), 1),  # a held month
        (month_period(2025, 12), 1, (12,), (), 0),  # an ended month without its meeting
        (quarter_period(2025, 3), 3, (), (), 4),  # Q3: three regular and one thematic
        (quarter_period(2025, 4), 3, (12,), (4,), 2),  # Q4: December and the thematic missing
        (whole_year(2025), 12, (12,), (4,), 14),  # the whole year
    ],
)
def test_indicators_take_a_month_a_quarter_or_a_year(
    period: Period,
    due: int,
    missing: tuple[int, ...],
    quarters_without: tuple[int, ...],
    meetings: int,
) -> None:
    s = period_standing(CELL, jan_to_nov_2025(), period, date(2026, 3, 1), RULES)
    assert (s.months_due, s.missing_months) == (due, missing)
    assert s.quarters_without_thematic == quarters_without
    assert s.meetings == meetings


@pytest.mark.parametrize(
    ("period", "first", "last", "months", "quarters"),
    [
        (month_period(2024, 2), date(2024, 2, 1), date(2024, 2, 29), [2], ()),  # leap Feb
        (quarter_period(2026, 4), date(2026, 10, 1), date(2026, 12, 31), [10, 11, 12], (4,)),
        (whole_year(2026), date(2026, 1, 1), date(2026, 12, 31), list(range(1, 13)),
         (1, 2, 3, 4)),
    ],
)
def test_the_standing_reads_a_periods_months_and_the_quarters_wholly_inside(
    period: Period, first: date, last: date, months: list[int], quarters: tuple[int, ...]
) -> None:
    assert (period.first, period.last) == (first, last)
    assert month_numbers(period) == months and whole_quarters(period) == quarters


# Defect 6 of issue 8: the cell's size against the Charter (§9 item 19).


@pytest.mark.parametrize(
    ("full", "size"),
    [
        (2, CellSize.TOO_SMALL),  # fewer than 3 full members
        (3, CellSize.SECRETARY),  # the smallest cell
        (8, CellSize.SECRETARY),  # a secretary, perhaps a deputy
        (9, CellSize.COMMITTEE),  # from 9 the cell elects a committee
    ],
)
def test_a_cell_needs_three_full_members_and_has_a_committee_from_nine(
    full: int, size: CellSize
) -> None:
    assert cell_size(full, cell_rules_on(RULES, date(2026, 1, 1))) is size
    assert cell_standing(CELL, [], date(2026, 5, 1), RULES, full_members=full).size is size


def test_a_no_resolution_meeting_is_left_out_of_the_dissemination_and_tasks_shares() -> None:
    reports = [
        meeting(1),  # passed on to all
        meeting(2, resolution_adopted=False, tasks=0, disseminated_to=frozenset()),
    ]
    s = year_standing(CELL, reports, date(2026, 3, 1), RULES)
    assert s.disseminated_to_all == Share(1, 1)
    assert s.with_concrete_tasks == Share(1, 1)  # /tonghop's rule: of the resolutions


def test_last_months_tasks_and_upper_level_guests_are_counted_where_answered() -> None:
    reports = [
        meeting(1, previous_tasks_done=2, previous_tasks_total=3, upper_guest=True),
        meeting(2, previous_tasks_done=4, previous_tasks_total=4, upper_guest=False),
        meeting(3),  # both skipped: left out of both shares
    ]
    s = year_standing(CELL, reports, date(2026, 4, 15), RULES)
    assert s.previous_tasks_done == Share(6, 7)
    assert s.with_upper_guest == Share(1, 2)
