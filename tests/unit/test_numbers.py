"""Numbers are formatted the way Babel formats them, small integers without asking Babel."""

from __future__ import annotations

from babel.numbers import format_decimal

from bot.i18n import translator


def test_small_whole_numbers_read_as_babel_writes_them_in_every_locale() -> None:
    for locale in ("vi", "en"):
        t = translator(locale)
        for n in range(-1200, 1200):
            assert t.number(n) == format_decimal(n, locale=locale), (locale, n)


def test_large_and_decimal_numbers_still_get_the_locales_separators() -> None:
    # vi groups with a dot and writes decimals with a comma; en the other way round
    assert translator("vi").number(12345) == "12.345"
    assert translator("en").number(12345) == "12,345"
    assert translator("vi").number(2.5) == "2,5"
    assert translator("en").number(2.5) == "2.5"
