"""Calendar arithmetic for Party deadlines: working days, calendar months, age in months.

Working days are Monday to Friday minus days off, plus the weekend days worked to make up for
a bridged holiday (a Saturday worked so that a Friday between holidays can be off). The days
off are always a parameter; `days_off` builds them from the `holidays` package and the
rulebook's [calendar] corrections.

Age convention: a person born in month M of year Y is counted from the first day of that month,
so the age in months at a date is the plain month difference. This is how "tính theo tháng"
(counted in months) is applied in practice: someone born in 11/2007 is a full 18 years old at
any vote held in 11/2025, whatever the day of birth.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from bisect import bisect_right
from collections.abc import Iterable, Set
from datetime import date, timedelta
from functools import lru_cache

import holidays as _holidays

from bot.domain.rulebook import CalendarSettings

_SATURDAY = 5
_ONE_DAY = timedelta(days=1)


class DaysOff(frozenset[date]):
    """The days off of a calendar, carrying the weekend days worked instead (make-up days)."""

    make_up_days: frozenset[date]

    def __new__(cls, days: Iterable[date] = (), make_up_days: Iterable[date] = ()) -> DaysOff:
        self = super().__new__(cls, days)
        self.make_up_days = frozenset(make_up_days)
        return self


def is_working_day(day: date, holidays: Set[date]) -> bool:
    """Return whether `day` is a weekday that is not a day off, or a make-up working day."""
    if day in holidays:
        return False
    if day.weekday() < _SATURDAY:
        return True
    return isinstance(holidays, DaysOff) and day in holidays.make_up_days


def add_working_days(start: date, n: int, holidays: Set[date]) -> date:
    """Return the n-th working day after `start`, counting `start` itself as day 0."""
    if n < 0:
        raise ValueError("n must not be negative")
    worked = holidays.make_up_days if isinstance(holidays, DaysOff) else frozenset()
    day = start
    remaining = n
    if isinstance(holidays, frozenset):  # a province's summary counts hundreds at once
        offs, extra = _sorted_days(holidays), _weekends_worked(worked, holidays)
        while remaining >= 10:  # whole weeks: five weekdays each, less days off, plus make-ups
            weeks = remaining // 5 - 1
            end = day + timedelta(weeks=weeks)
            gained = 5 * weeks - _weekdays_between(offs, day, end) + _between(extra, day, end)
            if gained >= remaining:  # the n-th lies inside: found by the steps below
                break
            day, remaining = end, remaining - gained
    while remaining:  # is_working_day, inlined
        day += _ONE_DAY
        if day not in holidays and (day.weekday() < _SATURDAY or day in worked):
            remaining -= 1
    return day


@lru_cache(maxsize=64)
def _sorted_days(days: frozenset[date]) -> tuple[date, ...]:
    return tuple(sorted(days))


@lru_cache(maxsize=64)
def _weekends_worked(worked: frozenset[date], holidays: frozenset[date]) -> tuple[date, ...]:
    """Return the make-up days that add a working day: weekend days, not also days off."""
    return tuple(sorted(d for d in worked if d.weekday() >= _SATURDAY and d not in holidays))


def _between(days: tuple[date, ...], after: date, until: date) -> int:
    """Count the sorted days later than `after` and not later than `until`."""
    return bisect_right(days, until) - bisect_right(days, after)


def _weekdays_between(days: tuple[date, ...], after: date, until: date) -> int:
    """Count the sorted days, Monday to Friday, later than `after` up to `until`."""
    inside = days[bisect_right(days, after):bisect_right(days, until)]
    return sum(1 for day in inside if day.weekday() < _SATURDAY)


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
def _country_year(country: str, year: int) -> DaysOff:
    known = _holidays.country_holidays(country, years=year)
    worked = getattr(known, "weekend_workdays", ())  # make-up Saturdays the package knows
    return DaysOff(known, (d for d in worked if d.year == year))


@lru_cache(maxsize=16)
def _country_years(
    country: str,
    years: tuple[int, ...],
    extra: frozenset[date],
    removed: frozenset[date],
    worked: frozenset[date],
) -> DaysOff:
    loaded = [_country_year(country, year) for year in years]
    days = extra.union(*loaded) - removed
    return DaysOff(days, worked.union(*(y.make_up_days for y in loaded)))


def public_holidays(
    country: str,
    years: Iterable[int],
    extra: Iterable[date] = (),
    removed: Iterable[date] = (),
    worked: Iterable[date] = (),
) -> DaysOff:
    """Return the public holidays of `country` in `years`, corrected by the given days."""
    # Cached: every list and review asks again for the same range of years.
    return _country_years(
        country,
        tuple(sorted(set(years))),
        frozenset(extra),
        frozenset(removed),
        frozenset(worked),
    )


def vietnam_holidays(years: Iterable[int], extra: Iterable[date] = ()) -> DaysOff:
    """Return Vietnam's public holidays in `years` plus the `extra` days off."""
    return public_holidays("VN", years, extra)


def days_off(settings: CalendarSettings, last_year: int) -> DaysOff:
    """Return the days off of the rulebook's calendar from its first year to `last_year`."""
    return public_holidays(
        settings.country,
        range(settings.first_year, last_year + 1),
        settings.extra_holidays,
        settings.removed_holidays,
        settings.working_days,
    )
