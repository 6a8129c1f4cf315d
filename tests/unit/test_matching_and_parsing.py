"""Typed answers: choices by number or label, dates and numbers as people type them."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.matching import fold, match_choice, parse_numbers
from bot.core.messages import Choice, Inbound
from bot.core.parsing import parse_day, parse_month_year, parse_whole_number

CHOICES = (Choice("regular", "Thường kỳ"), Choice("thematic", "Chuyên đề"),
           Choice("all", "Tất cả đoàn thể"))
TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(("typed", "key"), [
    ("1", "regular"),  # by number
    (" 2. ", "thematic"),  # number with a trailing dot, as phones add
    ("thuong ky", "regular"),  # label without diacritics
    ("THƯỜNG KỲ", "regular"),  # label in capitals
    ("tat ca doan the", "all"),  # đ folds to d
    ("4", None),  # out of range
    ("0", None),  # numbers start at 1
    ("thường", None),  # a prefix is not enough
    ("", None),  # nothing typed
])
def test_a_typed_answer_names_a_choice_by_number_or_label(typed: str, key: str | None) -> None:
    chosen = match_choice(typed, CHOICES)
    assert (chosen.key if chosen else None) == key


def test_folding_strips_vietnamese_marks_and_spaces() -> None:
    assert fold("  Đảng   ủy  Xã ") == "dang uy xa"


@pytest.mark.parametrize(("typed", "numbers"), [
    ("1 3", [1, 3]),
    ("1,2,3", [1, 2, 3]),
    ("1, 3;2", [1, 3, 2]),
    ("1 và 3", None),  # words are not numbers
    ("", None),
])
def test_lists_of_numbers_are_parsed_with_any_separator(typed: str,
                                                        numbers: list[int] | None) -> None:
    assert parse_numbers(typed) == numbers


@pytest.mark.parametrize(("typed", "expected"), [
    ("25/11", date(2026, 11, 25)),  # d/m: this year
    ("30/12", date(2025, 12, 30)),  # d/m over a month ahead this year: last year
    ("28/11", date(2026, 11, 28)),  # d/m a day ahead: tomorrow, for the caller to refuse
    ("5/11/2026", date(2026, 11, 5)),  # d/m/yyyy
    ("05-11-2026", date(2026, 11, 5)),  # d-m-yyyy
    ("5.11.2026", date(2026, 11, 5)),  # d.m.yyyy
    ("2026-11-05", date(2026, 11, 5)),  # ISO
    ("5/11/26", date(2026, 11, 5)),  # two-digit year
    ("31/2/2026", None),  # not a real day
    ("hôm qua", None),  # words are choices, not typed dates
    ("11/2026", None),  # a month is not a day
])
def test_dates_are_parsed_in_the_forms_secretaries_type(typed: str,
                                                        expected: date | None) -> None:
    assert parse_day(typed, TODAY) == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("03/1990", (1990, 3)), ("3/1990", (1990, 3)), ("3-1990", (1990, 3)),
    ("13/1990", None), ("3/90", None), ("abc", None),
])
def test_month_and_year_are_parsed(typed: str, expected: tuple[int, int] | None) -> None:
    assert parse_month_year(typed) == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("12", 12), (" 90 ", 90), ("1.200", 1200), ("1,200", 1200), ("-3", None), ("12a", None),
    ("", None), ("1.5", None),
    ("90 phút", 90), ("17 người", 17), ("95 minutes", 95), ("90 ph.", 90),  # with a unit
    ("1 3", None), ("90 phút 30", None), ("²", None),  # two numbers, or other digits
])
def test_whole_numbers_accept_thousands_separators_and_a_unit(typed: str,
                                                        expected: int | None) -> None:
    assert parse_whole_number(typed) == expected


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_every_date_written_day_first_parses_back(day: date) -> None:
    assert parse_day(f"{day.day}/{day.month}/{day.year}", TODAY) == day
    assert parse_day(day.isoformat(), TODAY) == day


@pytest.mark.parametrize(("text", "command"), [
    ("/start ABC", ("start", "ABC")),
    ("/Help@SoChiBoBot", ("help", "")),
    ("  /huy  ", ("huy", "")),
    ("hello", None),
    ("/", None),
])
def test_commands_are_recognised_with_arguments(text: str,
                                                command: tuple[str, str] | None) -> None:
    assert Inbound("test", "u", text=text).command == command


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_the_example_shown_for_a_date_is_one_the_bot_reads(day: date) -> None:
    from bot.core.parsing import typed_example

    assert parse_day(typed_example(day), TODAY) == day


@pytest.mark.parametrize("typed", ["³", "²", "①", "١٢", "1²"])
def test_digits_other_than_0_to_9_are_not_numbers(typed: str) -> None:
    # Phone keyboards offer ² and ³ on a long press; int() would refuse them.
    assert parse_whole_number(typed) is None
    assert parse_numbers(typed) is None
    assert match_choice(typed, CHOICES) is None
