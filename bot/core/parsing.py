"""Parse the dates and numbers people type on phones."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.words import fold

LAST_YEAR_AFTER_DAYS = 31
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")


@dataclass(frozen=True)
class NoSuchDay:
    """A date typed in a right form whose day does not exist in its month (31/02/2026)."""

    day: int
    month: int
    year: int

    @property
    def days_in_month(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]


def read_day(text: str, today: date) -> date | NoSuchDay | None:
    """Read d/m, d/m/yyyy, d-m-yyyy, d.m.yyyy or yyyy-mm-dd.

    Return NoSuchDay for a day past the end of a real month, None for anything else that is
    not a date. A date without a year is this year's, or last year's when this year's is more
    than a month ahead (on 2 January "30/12" means four days ago). A date a few days ahead stays
    in this year, so the caller can say it has not come yet instead of reading it as a year ago.
    """
    text = text.strip()
    if match := _ISO.match(text):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    elif match := _DMY.match(text):
        day, month = int(match[1]), int(match[2])
        if match[3] is None:
            year = today.year
            if _exists(year, month, day) and (date(year, month, day) - today).days > (
                LAST_YEAR_AFTER_DAYS
            ):
                year -= 1
        else:
            year = int(match[3])
            year = year + 2000 if year < 100 else year
    else:
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31 and 1 <= year <= 9999):
        return None
    if not _exists(year, month, day):
        return NoSuchDay(day, month, year)
    return date(year, month, day)


def _exists(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def parse_day(text: str, today: date) -> date | None:
    """Parse a typed date as `read_day` does; None for anything that is not a real day."""
    day = read_day(text, today)
    return day if isinstance(day, date) else None


MONTHS_IN_A_YEAR = 12


def typed_example(today: date) -> str:
    """Show the latest day before `today` whose number is above 12, as `parse_day` reads it.

    A day above 12 is no month, so day/month and month/day cannot mix; a day already past is
    one that questions refusing future dates (a meeting's) accept (26/11/2026 on 27 November).
    """
    day = today - timedelta(days=1)
    while day.day <= MONTHS_IN_A_YEAR:
        day -= timedelta(days=1)
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def parse_month_year(text: str) -> tuple[int, int] | None:
    """Parse mm/yyyy (also m/yyyy, mm-yyyy, mm.yyyy) into (year, month)."""
    match = _MONTH_YEAR.match(text.strip())
    if not match:
        return None
    month, year = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or not 1900 <= year <= 2100:
        return None
    return year, month


def is_ascii_number(text: str) -> bool:
    """Tell whether `text` is made of 0-9 only (str.isdigit also accepts "²" and "①")."""
    return text.isascii() and text.isdigit()


# 12, 1.200 or 1,200, optionally followed by a word: "90 phút", "17 người", "95 minutes".
_WHOLE = re.compile(r"^([0-9]{1,3}(?:[.,][0-9]{3})+|[0-9]{1,9})(?:\s+[^\W\d_]+\.?)?$")


def parse_whole_number(text: str) -> int | None:
    """Parse a whole number such as "12", "1.200" or "90 phút"; None for anything else."""
    match = _WHOLE.match(text.strip())
    return int(match[1].replace(".", "").replace(",", "")) if match else None


# Durations as typed after folding: "95", "95 phut", "95p", "2 gio", "2h", "1 tieng ruoi",
# "1h30", "1 gio 30 phut", "1:30", "1,5 gio", "2 hours", "90 minutes".
_HOURS = r"(?:h|hr|hrs|hour|hours|g|gio|tieng)"
_MINUTES = r"(?:p|ph|phut|m|min|mins|minute|minutes|')"
_DURATION = re.compile(
    rf"^(?P<hours>\d{{1,2}})(?:[.,](?P<tenths>\d))?\s*{_HOURS}\.?"
    rf"(?:\s*(?P<half>ruoi)|\s*(?P<minutes>\d{{1,2}})\s*{_MINUTES}?)?$"
    rf"|^(?P<clock_h>\d{{1,2}}):(?P<clock_m>\d{{2}})$"
    rf"|^(?P<only>\d{{1,4}})\s*{_MINUTES}?\.?$"
)


def parse_minutes(text: str) -> int | None:
    """Parse a duration in minutes, or in hours and minutes; None for anything else."""
    match = _DURATION.match(fold(text))
    if match is None:
        return None
    if match["only"] is not None:
        return int(match["only"])
    if match["clock_h"] is not None:
        hours, extra = int(match["clock_h"]), int(match["clock_m"])
    else:
        hours = int(match["hours"])
        extra = int(match["tenths"] or 0) * 6 + (30 if match["half"] else 0)
        extra += int(match["minutes"] or 0)
    if extra > 59:  # "2h90" is a typo, not three and a half hours
        return None
    return hours * 60 + extra
