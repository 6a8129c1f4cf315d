"""Catalogs from locales/, compiled in memory at start-up (`load_catalogs`, else at their first
use); Babel formatting per locale.

Msgids are English with named {placeholders}, formatted after translation. Translate at call
time (never at import): mark module-level strings with `N_` and pass them through `t` later.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from bot.config import SUPPORTED_LOCALES

DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, at call time."""
    return message


@cache
def _catalog(locale: str) -> gettext.NullTranslations:
    path = resources.files("locales") / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """Translate and format for one locale; `t("Hello {name}", name=...)`."""

    def __init__(self, locale: str):
        self.locale = locale if locale in SUPPORTED_LOCALES else SUPPORTED_LOCALES[0]
        self._babel = Locale.parse(self.locale)
        self._catalog = _catalog(self.locale)

    def __call__(self, message: str, **values: Any) -> str:
        text = self._catalog.gettext(message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self._catalog.ngettext(singular, plural, n)
        return text.format(n=self.number(n), **values)

    def number(self, value: float | Decimal) -> str:
        if type(value) is int and -1000 < value < 1000:  # no separator in any locale: no Babel
            return str(value)
        return format_decimal(value, locale=self._babel)

    def percent(self, share: float | Decimal, places: int = 1) -> str:
        """Format a share (0.857) as a percentage with at most `places` decimals ("85,7 %")."""
        pattern = "#,##0." + "#" * places + "%" if places else "#,##0%"
        return format_percent(share, format=pattern, locale=self._babel)

    def date(self, day: dt.date) -> str:
        """Format a date as people write it: 27/11/2026 in vi, Nov 27, 2026 in en."""
        pattern = "dd/MM/yyyy" if self.locale == "vi" else "medium"
        return format_date(day, format=pattern, locale=self._babel)

    def datetime(self, moment: dt.datetime) -> str:
        return format_datetime(moment, format="short", locale=self._babel, tzinfo=moment.tzinfo)

    def month(self, day: dt.date) -> str:
        """Format a month: "11/2026" in vi, "Nov 2026" in en."""
        pattern = "MM/yyyy" if self.locale == "vi" else "MMM yyyy"
        return format_date(day, format=pattern, locale=self._babel)


@cache
def translator(locale: str) -> Translator:
    return Translator(locale)


def load_catalogs() -> None:
    """Compile every language's catalog and load its formats now, not at the first message
    in that language (about 50 ms for Vietnamese)."""
    for locale in SUPPORTED_LOCALES:
        t = translator(locale)
        t.number(1000)
        t.percent(0.5)
        t.date(dt.date(2000, 1, 1))
        t.month(dt.date(2000, 1, 1))


def choose_locale(stored: str | None, platform_code: str | None, default: str) -> str:
    """Pick the user's stored choice, then their app language (part before '-'), then default."""
    if stored in SUPPORTED_LOCALES:
        return stored
    if platform_code:
        base = platform_code.split("-")[0].split("_")[0].lower()
        if base in SUPPORTED_LOCALES:
            return base
    return default


def language_names() -> Mapping[str, str]:
    """Each language named in itself, as a language menu shows it."""
    return {"vi": "Tiếng Việt", "en": "English"}
