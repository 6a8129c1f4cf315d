"""Reporting periods: typed forms, the 5th-day default, and which months a cell owes."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.periods import (
    Period,
    PeriodError,
    PeriodKind,
    check_period,
    default_period,
    expected_months,
    expected_quarters,
    month_index,
    parse_period,
    quarter_index,
    report_due,
)

MONTH, QUARTER, YEAR = PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR


@pytest.mark.parametrize(
    ("typed", "period"),
    [
        ("2016-05", Period(MONTH, 2016, 5)),  # ISO month
        ("05/2016", Period(MONTH, 2016, 5)),  # as written in Vietnam
        ("5/2016", Period(MONTH, 2016, 5)),  # without the leading zero
        ("tháng 5/2016", Period(MONTH, 2016, 5)),  # with the word for month
        ("Q2/2016", Period(QUARTER, 2016, 2)),
        ("2016-Q2", Period(QUARTER, 2016, 2)),
        ("q2 2016", Period(QUARTER, 2016, 2)),  # lower case, a space for the slash
        ("quý 2/2016", Period(QUARTER, 2016, 2)),
        ("Quy 4/2016", Period(QUARTER, 2016, 4)),  # typed without diacritics
        ("Quý IV/2016", Period(QUARTER, 2016, 4)),  # Roman numerals as on documents
        ("2016", Period(YEAR, 2016)),
        ("  2016 ", Period(YEAR, 2016)),  # spaces around are ignored
        ("năm 2016", Period(YEAR, 2016)),  # D17: with the word for year, as /bieudo reads it
        ("Nam 2016", Period(YEAR, 2016)),  # typed without diacritics
        ("year 2016", Period(YEAR, 2016)),
    ],
)
def test_every_typed_form_of_a_period_is_read(typed: str, period: Period) -> None:
    assert parse_period(typed) == period


@pytest.mark.parametrize(
    "typed",
    [
        "",  # nothing
        "may",  # a word
        "13/2016",  # no 13th month
        "0/2016",  # nor a month 0
        "Q5/2016",  # nor a fifth quarter
        "1999",  # before the bot could exist: a typo
        "2016-05-20",  # a day is not a period
        "16",  # a two-digit year
        "năm",  # the word for year alone
        "năm 2016 2017",  # two years
    ],
)
def test_anything_else_is_not_a_period(typed: str) -> None:
    assert parse_period(typed) is None


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        (Period(MONTH, 2024, 2), date(2024, 2, 1), date(2024, 2, 29)),  # a leap February
        (Period(QUARTER, 2026, 4), date(2026, 10, 1), date(2026, 12, 31)),
        (Period(YEAR, 2026), date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_a_period_runs_from_its_first_to_its_last_day(
    period: Period, first: date, last: date
) -> None:
    assert (period.first, period.last) == (first, last)


@pytest.mark.parametrize(
    ("today", "period"),
    [
        (date(2026, 12, 5), Period(MONTH, 2026, 11)),  # up to day 5: the month just ended
        (date(2026, 12, 6), Period(MONTH, 2026, 12)),  # from day 6: this month
        (date(2027, 1, 3), Period(MONTH, 2026, 12)),  # early January: December last year
        (date(2026, 3, 1), Period(MONTH, 2026, 2)),  # the 1st counts too
        (date(2026, 11, 27), Period(MONTH, 2026, 11)),  # late in the month: this month
    ],
)
def test_without_a_period_organisers_get_the_month_they_ask_about(
    today: date, period: Period
) -> None:
    assert default_period(today, due_day=5) == period


@pytest.mark.parametrize(
    ("period", "error"),
    [
        (Period(MONTH, 2026, 12), PeriodError.FUTURE),  # next month
        (Period(YEAR, 2027), PeriodError.FUTURE),  # next year
        (Period(MONTH, 2026, 11), None),  # this month, in progress
        (Period(QUARTER, 2026, 4), None),  # this quarter, in progress
        (Period(YEAR, 2016), None),  # long ago
    ],
)
def test_a_period_that_has_not_begun_is_refused(
    period: Period, error: PeriodError | None
) -> None:
    assert check_period(period, date(2026, 11, 27)) == error


def months(*pairs: tuple[int, int]) -> list[int]:
    return [year * 12 + month - 1 for year, month in pairs]


@pytest.mark.parametrize(
    ("period", "tracked", "today", "owed"),
    [
        # A whole past year, tracked long before: all twelve months.
        (Period(YEAR, 2025), date(2020, 3, 4), date(2026, 11, 27), 12),
        # Tracked from mid-July (the month itself counts): July to December.
        (Period(YEAR, 2025), date(2025, 7, 15), date(2026, 11, 27), 6),
        # The current year: up to and including the month in progress.
        (Period(YEAR, 2026), date(2020, 1, 1), date(2026, 11, 27), 11),
        # A period before the cell was tracked: nothing owed.
        (Period(QUARTER, 2025, 2), date(2025, 7, 1), date(2026, 11, 27), 0),
        # A quarter across the tracking start: only the tracked months.
        (Period(QUARTER, 2025, 3), date(2025, 8, 31), date(2026, 11, 27), 2),
        # A cell imported today owes this month.
        (Period(MONTH, 2026, 11), date(2026, 11, 27), date(2026, 11, 27), 1),
    ],
)
def test_a_cell_owes_a_report_for_each_month_from_its_tracking_to_today(
    period: Period, tracked: date, today: date, owed: int
) -> None:
    assert len(expected_months(period, tracked, today)) == owed


def test_the_months_owed_cross_a_year_boundary_as_consecutive_numbers() -> None:
    owed = expected_months(Period(YEAR, 2026), date(2025, 12, 10), date(2026, 2, 3))
    assert list(owed) == months((2026, 1), (2026, 2))
    assert month_index(date(2026, 1, 1)) - month_index(date(2025, 12, 31)) == 1
    assert quarter_index(date(2026, 1, 1)) - quarter_index(date(2025, 12, 31)) == 1


@pytest.mark.parametrize(
    ("period", "tracked", "today", "owed"),
    [
        (Period(YEAR, 2025), date(2020, 1, 1), date(2026, 11, 27), 4),  # a whole year
        (Period(YEAR, 2025), date(2025, 8, 31), date(2026, 11, 27), 2),  # Q3 started midway
        (Period(YEAR, 2026), date(2020, 1, 1), date(2026, 11, 27), 4),  # Q4 so far counts
        (Period(MONTH, 2026, 5), date(2020, 1, 1), date(2026, 11, 27), 1),  # its own quarter
        (Period(QUARTER, 2026, 1), date(2026, 4, 1), date(2026, 11, 27), 0),  # before tracking
        (Period(MONTH, 2026, 10), date(2026, 11, 5), date(2026, 11, 27), 0),  # tracked after it
    ],
)
def test_a_cell_owes_a_thematic_meeting_for_each_quarter_it_was_tracked(
    period: Period, tracked: date, today: date, owed: int
) -> None:
    assert len(expected_quarters(period, tracked, today)) == owed


@pytest.mark.parametrize(
    ("month", "due"),
    [
        (date(2026, 11, 1), date(2026, 12, 5)),  # November's report: by 5 December
        (date(2026, 12, 1), date(2027, 1, 5)),  # December's: by 5 January of the next year
    ],
)
def test_a_regular_report_is_due_by_the_fifth_of_the_next_month(month: date, due: date) -> None:
    assert report_due(month_index(month), 5) == due


def test_a_month_counts_for_thematic_coverage_from_the_start_of_its_quarter() -> None:
    assert Period(MONTH, 2026, 5).thematic_from == date(2026, 4, 1)
    assert Period(YEAR, 2026).thematic_from == date(2026, 1, 1)
