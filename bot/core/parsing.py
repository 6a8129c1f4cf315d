"""Parse the dates and numbers people type on phones."""

from __future__ import annotations

import re
from datetime import date

LAST_YEAR_AFTER_DAYS = 31
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")


def parse_day(text: str, today: date) -> date | None:
    """Parse d/m, d/m/yyyy, d-m-yyyy, d.m.yyyy or yyyy-mm-dd; None if not a real date.

    A date without a year is this year's, or last year's when this year's is more than a
    month ahead (on 2 January "30/12" means four days ago). A date a few days ahead stays in
    this year, so the caller can say it has not come yet instead of reading it as a year ago.
    """
    text = text.strip()
    try:
        if match := _ISO.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DMY.match(text):
            day, month = int(match[1]), int(match[2])
            if match[3] is None:
                guess = date(today.year, month, day)
                if (guess - today).days > LAST_YEAR_AFTER_DAYS:
                    return date(today.year - 1, month, day)
                return guess
            year = int(match[3])
            return date(year + 2000 if year < 100 else year, month, day)
    except ValueError:
        return None
    return None


def typed_example(day: date) -> str:
    """Show a date the way `parse_day` reads it (27/11/2026), for "for example …" hints."""
    return f"{day.day}/{day.month}/{day.year}"


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
