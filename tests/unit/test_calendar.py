"""Working days, calendar months and age in months (DOMAIN.md §9 items 1, 10, 26)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import (
    DaysOff,
    add_months,
    add_working_days,
    age_in_months,
    days_off,
    is_working_day,
    vietnam_holidays,
)
from bot.domain.rulebook import CalendarSettings, Rulebook

HUNG_KINGS_2025 = date(2025, 4, 7)
VN_2025 = vietnam_holidays([2025])


@pytest.mark.parametrize(
    ("start", "n", "holidays", "expected"),
    [
        # §9.26: six plain weeks after Mon 8 Sep 2025, National Day (1-2 Sep) is before it
        (date(2025, 9, 8), 30, VN_2025, date(2025, 10, 20)),
        # §9.26: the same with no holidays at all
        (date(2025, 9, 8), 30, frozenset(), date(2025, 10, 20)),
        # §9.26: six plain weeks after Mon 3 Mar 2025 with no holidays configured
        (date(2025, 3, 3), 30, frozenset(), date(2025, 4, 14)),
        # §9.26: Hùng Kings Day (Mon 7 Apr 2025) configured pushes it one day
        (date(2025, 3, 3), 30, frozenset({HUNG_KINGS_2025}), date(2025, 4, 15)),
        # the Vietnamese calendar knows Hùng Kings Day 2025 on its own
        (date(2025, 3, 3), 30, VN_2025, date(2025, 4, 15)),
        # day 0 is the start day itself, even on a weekend
        (date(2025, 9, 6), 0, frozenset(), date(2025, 9, 6)),
        # from a Saturday the first working day is Monday
        (date(2025, 9, 6), 1, frozenset(), date(2025, 9, 8)),
        # Friday plus one skips the weekend
        (date(2025, 9, 12), 1, frozenset(), date(2025, 9, 15)),
        # Tết 2025 (27 Jan to 31 Jan) is skipped as a whole week
        (date(2025, 1, 24), 1, VN_2025, date(2025, 2, 3)),
        # 30 April and 1-2 May 2025 are all off
        (date(2025, 4, 29), 1, VN_2025, date(2025, 5, 5)),
    ],
)
def test_add_working_days_counts_from_day_zero_and_skips_days_off(
    start: date, n: int, holidays: frozenset[date], expected: date
) -> None:
    assert add_working_days(start, n, holidays) == expected


def test_add_working_days_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2025, 1, 1), -1, frozenset())


def test_vietnam_holidays_has_nothing_between_the_september_example_dates() -> None:
    start, end = date(2025, 9, 8), date(2025, 10, 20)
    assert not [d for d in VN_2025 if start <= d <= end]


def test_vietnam_holidays_adds_the_rulebook_extras() -> None:
    extra = date(2025, 12, 24)
    days = vietnam_holidays([2025], [extra])
    assert extra in days and date(2025, 9, 2) in days and extra not in VN_2025


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        # §9.1: twelve months after a mid-month ceremony is the same day next year
        (date(2024, 3, 15), 12, date(2025, 3, 15)),
        # a leap day clamps to 28 February
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        # 31 May plus one month clamps to 30 June
        (date(2025, 5, 31), 1, date(2025, 6, 30)),
        # crossing the year end
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        # §9.11: sixty months is five years
        (date(2020, 6, 10), 60, date(2025, 6, 10)),
        # zero months is the same day
        (date(2025, 1, 31), 0, date(2025, 1, 31)),
        # going back a month clamps too
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
    ],
)
def test_add_months_keeps_the_day_and_clamps_to_month_end(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("birth_year", "birth_month", "on", "expected"),
    [
        # born 11/2007: a full 18 years (216 months) on any day of 11/2025
        (2007, 11, date(2025, 11, 1), 216),
        # the month before: 215 months
        (2007, 11, date(2025, 10, 31), 215),
        # born 3/1965: 60 years and one month in 4/2025
        (1965, 3, date(2025, 4, 20), 721),
        # the birth month itself is month zero
        (2000, 1, date(2000, 1, 31), 0),
    ],
)
def test_age_in_months_counts_from_the_first_of_the_birth_month(
    birth_year: int, birth_month: int, on: date, expected: int
) -> None:
    assert age_in_months(birth_year, birth_month, on) == expected


days = st.dates(min_value=date(2016, 1, 1), max_value=date(2030, 12, 31))
# Plain sets of days off, and calendars with make-up working days (weekend days or not, some
# also days off: only a weekend day that is not a day off adds a working day).
holiday_sets = st.one_of(
    st.frozensets(days, max_size=30),
    st.builds(DaysOff, st.frozensets(days, max_size=30), st.frozensets(days, max_size=10)),
)


@given(days, st.integers(min_value=1, max_value=400), holiday_sets)
def test_add_working_days_never_lands_on_a_weekend_or_holiday(
    start: date, n: int, holidays: frozenset[date]
) -> None:
    assert is_working_day(add_working_days(start, n, holidays), holidays)


@given(days, st.integers(min_value=0, max_value=400), holiday_sets)
def test_add_working_days_counts_exactly_n_working_days_after_the_start(
    start: date, n: int, holidays: frozenset[date]
) -> None:
    end = add_working_days(start, n, holidays)
    between = (start + timedelta(days=i) for i in range(1, (end - start).days + 1))
    assert sum(is_working_day(d, holidays) for d in between) == n


@given(days, st.integers(min_value=0, max_value=400), holiday_sets)
def test_add_working_days_is_strictly_increasing_in_n(
    start: date, n: int, holidays: frozenset[date]
) -> None:
    assert add_working_days(start, n, holidays) < add_working_days(start, n + 1, holidays)


@given(days, st.integers(min_value=-120, max_value=120))
def test_add_months_lands_in_the_right_month_never_past_the_day(start: date, n: int) -> None:
    moved = add_months(start, n)
    assert (moved.year * 12 + moved.month) - (start.year * 12 + start.month) == n
    assert moved.day <= start.day


# Defect 7 of issue 8: a `holidays` older than 0.106 lacks these days, and fails here.


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 5, 2), False),  # Friday off between 30-4 and the weekend (from 0.106)
        (date(2025, 4, 26), True),  # the Saturday worked to make up for it
        (date(2026, 8, 31), False),  # Monday off before National Day (from 0.106)
        (date(2026, 8, 22), True),  # the Saturday worked to make up for it
        (date(2026, 11, 24), False),  # Vietnam Culture Day, a day off from 2026 (from 0.106)
        (date(2026, 11, 23), True),  # an ordinary Monday
    ],
)
def test_the_vietnamese_calendar_knows_the_days_off_and_make_up_days_of_2025_and_2026(
    day: date, working: bool
) -> None:
    assert is_working_day(day, vietnam_holidays([2025, 2026])) is working


def test_a_make_up_saturday_counts_as_a_working_day_in_deadlines() -> None:
    # Fri 25-4 + 1 is the make-up Saturday 26-4-2025, not Monday 28-4
    assert add_working_days(date(2025, 4, 25), 1, vietnam_holidays([2025])) == date(2025, 4, 26)


def test_the_rulebook_calendar_adds_removes_and_marks_make_up_days() -> None:
    settings = CalendarSettings(
        country="VN",
        first_year=2025,
        extra_holidays=frozenset({date(2026, 12, 24)}),  # a day off decided late
        removed_holidays=frozenset({date(2026, 11, 24)}),  # worked after all
        working_days=frozenset({date(2026, 12, 19)}),  # a Saturday worked for it
    )
    calendar = days_off(settings, 2026)
    assert not is_working_day(date(2026, 12, 24), calendar)
    assert is_working_day(date(2026, 11, 24), calendar)
    assert is_working_day(date(2026, 12, 19), calendar)
    assert not is_working_day(date(2025, 1, 29), calendar)  # Tết 2025: from first_year on
    assert not is_working_day(date(2026, 12, 20), calendar)  # an ordinary Sunday


def test_the_shipped_calendar_is_vietnam_from_2016() -> None:
    settings = Rulebook.default().calendar
    assert (settings.country, settings.first_year) == ("VN", 2016)
    assert date(2016, 9, 2) in days_off(settings, 2026)
