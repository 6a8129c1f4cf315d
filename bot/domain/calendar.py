"""Calendar arithmetic for Party deadlines: working days, calendar months, age in months.

Working days are Monday to Friday minus public holidays. The holiday set is always a parameter;
`vietnam_holidays` builds it from the `holidays` package plus the rulebook's extra days.
Weekend days that the government turns into working days (to bridge a long holiday) are not
modelled: ignoring one can only put a computed deadline a day later than the real one.

Age convention: a person born in month M of year Y is counted from the first day of that month,
so the age in months at a date is the plain month difference. This is how "tính theo tháng"
(counted in months) is applied in practice: someone born in 11/2007 is a full 18 years old at
any vote held in 11/2025, whatever the day of birth.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Iterable, Set
from datetime import date, timedelta
from functools import lru_cache

import holidays as _holidays

_SATURDAY = 5


def is_working_day(day: date, holidays: Set[date]) -> bool:
    """Return whether `day` is a weekday that is not a holiday."""
    return day.weekday() < _SATURDAY and day not in holidays


def add_working_days(start: date, n: int, holidays: Set[date]) -> date:
    """Return the n-th working day after `start`, counting `start` itself as day 0."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            remaining -= 1
    return day


def add_months(day: date, n: int) -> date:
    """Return `day` moved by n calendar months, clamped to the end of a shorter month."""
    index = day.year * 12 + (day.month - 1) + n
    year, month0 = divmod(index, 12)
    last = _stdlib_calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def age_in_months(birth_year: int, birth_month: int, on: date) -> int:
    """Return the full months of age at `on` of a person born in the given month."""
    return (on.year - birth_year) * 12 + (on.month - birth_month)


@lru_cache(maxsize=64)
def _vietnam_year(year: int) -> frozenset[date]:
    return frozenset(_holidays.country_holidays("VN", years=year))


@lru_cache(maxsize=16)
def _vietnam_years(years: tuple[int, ...], extra: frozenset[date]) -> frozenset[date]:
    return extra.union(*(_vietnam_year(year) for year in years))


def vietnam_holidays(years: Iterable[int], extra: Iterable[date] = ()) -> frozenset[date]:
    """Return Vietnam's public holidays in `years` plus the `extra` days off."""
    # Cached: every list and review asks again for the same range of years.
    return _vietnam_years(tuple(sorted(set(years))), frozenset(extra))
