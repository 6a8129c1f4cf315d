"""Files made from the summaries: the Excel workbook (xlsx.py) and the charts (charts.py).

Nothing here reads the database: the handlers load the figures and pass them in, already
worded in the user's language, and get the bytes of a file back. Building a file is CPU work,
so the handlers run it in a thread (`asyncio.to_thread`), off the event loop.
"""

from __future__ import annotations

import re

from bot.domain.periods import Period, PeriodKind
from bot.domain.words import fold


def period_slug(period: Period) -> str:
    """Name a period in a file name: 2026-11, 2026-q2, 2026."""
    if period.kind is PeriodKind.MONTH:
        return f"{period.year}-{period.number:02d}"
    if period.kind is PeriodKind.QUARTER:
        return f"{period.year}-q{period.number}"
    return str(period.year)


def file_name(*parts: str, extension: str) -> str:
    """Join parts into an ASCII file name: ("tonghop", "Xã Tân Lân", "2026-11") gives
    tonghop-xa-tan-lan-2026-11.xlsx, safe on every phone and in every mail program."""
    words = [re.sub(r"[^a-z0-9]+", "-", fold(part)).strip("-") for part in parts]
    return "-".join(word for word in words if word)[:120] + "." + extension
