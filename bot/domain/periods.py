"""Reporting periods (a month, a quarter, a year) and which months a cell is expected to report.

Months and quarters are numbered as plain integers (`month_index`, `quarter_index`), so "from
the month a cell was tracked to today" is a range. The one rule for what a cell owes: a regular
report for every month of the period from the month it entered the bot (its `tracked_from`)
up to the current month, and a thematic meeting in each of those quarters. The summaries and
the cell's own standing both apply it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property

FIRST_YEAR = 2000  # a typed year outside these is a typo, not a period
LAST_YEAR = 2100


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class PeriodError(StrEnum):
    """Why a typed period is refused."""

    UNREADABLE = "unreadable"
    FUTURE = "future"


def month_index(day: date) -> int:
    """Number the month of `day` so that consecutive months are consecutive integers."""
    return day.year * 12 + day.month - 1


def quarter_index(day: date) -> int:
    """Number the quarter of `day` so that consecutive quarters are consecutive integers."""
    return day.year * 4 + (day.month - 1) // 3


def month_start(index: int) -> date:
    """Return the first day of the month numbered `index`."""
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, 1)


def month_end(index: int) -> date:
    """Return the last day of the month numbered `index`."""
    return month_start(index + 1) - timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year; `number` is the month or quarter (0 for a year).

    Its days and months are worked out once (a summary asks for them per cell).
    """

    kind: PeriodKind
    year: int
    number: int = 0

    @cached_property
    def months(self) -> range:
        """Return the month indexes of the period."""
        if self.kind is PeriodKind.MONTH:
            first = self.year * 12 + self.number - 1
            return range(first, first + 1)
        if self.kind is PeriodKind.QUARTER:
            first = self.year * 12 + (self.number - 1) * 3
            return range(first, first + 3)
        return range(self.year * 12, self.year * 12 + 12)

    @cached_property
    def first(self) -> date:
        return month_start(self.months[0])

    @cached_property
    def last(self) -> date:
        return month_end(self.months[-1])

    @cached_property
    def quarters(self) -> range:
        """Return the quarter indexes the period touches (a month touches its own quarter)."""
        return range(quarter_index(self.first), quarter_index(self.last) + 1)

    @cached_property
    def thematic_from(self) -> date:
        """Return the first day that counts for thematic coverage: the start of its quarter."""
        quarter = quarter_index(self.first)
        return month_start(quarter // 4 * 12 + quarter % 4 * 3)

    def in_progress(self, today: date) -> bool:
        """Tell whether the period has not ended yet on `today`."""
        return self.first <= today <= self.last


def month_of(day: date) -> Period:
    return Period(PeriodKind.MONTH, day.year, day.month)


def default_period(today: date, due_day: int) -> Period:
    """Return the period meant when none is typed: this month, or in the days when last
    month's reports are still due (up to `due_day`), the month that just ended."""
    if today.day <= due_day:
        return month_of(today.replace(day=1) - timedelta(days=1))
    return month_of(today)


def check_period(period: Period, today: date) -> PeriodError | None:
    """Refuse a period that has not begun."""
    return PeriodError.FUTURE if period.first > today else None


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_YEAR = r"(\d{4})"
_YEAR_FORM = re.compile(rf"^(?:nam|year)?\s*{_YEAR}$")  # 2016, năm 2016, year 2016
_MONTH_FORMS = (
    re.compile(rf"^{_YEAR}-(\d{{1,2}})$"),  # 2016-05
    re.compile(rf"^(?:thang|month)?\s*(\d{{1,2}})\s*[/.-]\s*{_YEAR}$"),  # 05/2016, tháng 5/2016
)
_QUARTER_FORMS = (
    re.compile(rf"^(?:q|quy|quarter)\s*([1-4]|i{{1,3}}|iv)\s*[/ -]\s*{_YEAR}$"),  # Q2/2016
    re.compile(rf"^{_YEAR}\s*-\s*q\s*([1-4])$"),  # 2016-Q2
)


def _fold(text: str) -> str:
    """Lower-case without diacritics, spaces collapsed: "Quý 2/2016" becomes "quy 2/2016"."""
    decomposed = unicodedata.normalize("NFD", text.strip().lower().replace("đ", "d"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", plain)


def typed_year(text: str) -> int | None:
    """Read a typed year, with or without the word before it: 2016, năm 2016, year 2016."""
    match = _YEAR_FORM.match(_fold(text))
    return int(match.group(1)) if match else None


def parse_period(text: str) -> Period | None:
    """Read a typed period: 2016-05 or 05/2016, Q2/2016, 2016-Q2 or quý 2/2016, or 2016
    (năm 2016): every command's periods."""
    folded = _fold(text)
    found: Period | None = None
    if (whole := typed_year(folded)) is not None:
        found = Period(PeriodKind.YEAR, whole)
    for number, form in enumerate(_MONTH_FORMS):
        if match := form.match(folded):
            year, month = match.groups() if number == 0 else reversed(match.groups())
            found = Period(PeriodKind.MONTH, int(year), int(month))
    for number, form in enumerate(_QUARTER_FORMS):
        if match := form.match(folded):
            quarter, year = match.groups() if number == 0 else reversed(match.groups())
            value = _ROMAN.get(quarter) or int(quarter)
            found = Period(PeriodKind.QUARTER, int(year), value)
    if found is None or not FIRST_YEAR <= found.year <= LAST_YEAR:
        return None
    if found.kind is PeriodKind.MONTH and not 1 <= found.number <= 12:
        return None
    return found


def first_owed_month(year: int, tracked_from: date | None) -> int:
    """Return the first month (1..12) of `year` a cell owes a report for; 13 when none.

    A cell owes reports from the month it entered the bot (that month included); with no
    date known, from January.
    """
    if tracked_from is None:
        return 1
    return min(13, max(1, month_index(tracked_from) - year * 12 + 1))


def expected_months(period: Period, tracked_from: date, today: date) -> range:
    """Return the months of `period` a cell owes a regular report for.

    From the month it was tracked from, up to the current month (a month in progress is
    expected: organisers watch it fill up); none before or after.
    """
    months = period.months
    first = period.year * 12 + first_owed_month(period.year, tracked_from) - 1
    return range(max(months[0], first),
                 min(months[-1], month_index(today)) + 1)


def expected_quarters(period: Period, tracked_from: date, today: date) -> range:
    """Return the quarters of `period` a cell owes a thematic meeting for, by the same rule.

    A quarter in which tracking started midway is still owed: one meeting in it is enough.
    """
    if tracked_from > min(period.last, today):  # not in the bot yet by then: owes nothing
        return range(0)
    quarters = period.quarters
    return range(max(quarters[0], quarter_index(tracked_from)),
                 min(quarters[-1], quarter_index(today)) + 1)


def report_due(month: int, due_day: int) -> date:
    """Return the last day on which the regular report of month `month` is on time."""
    return month_start(month + 1).replace(day=due_day)
