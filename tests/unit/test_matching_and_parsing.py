"""Typed answers: choices by number or label, dates and numbers as people type them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.matching import fold, match_choice, parse_numbers
from bot.core.messages import Choice, Inbound
from bot.core.parsing import (
    NoSuchDay,
    parse_day,
    parse_minutes,
    parse_month_year,
    parse_whole_number,
    read_day,
)

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


@pytest.mark.parametrize(("before", "after"), [
    ("Xã Long Định", "Xã Long Trạch"),  # D17: by code point "Đ" came after "T"
    ("Xã Tân Ân", "Xã Tân Lân"),  # and "Â" after every plain letter
    ("xã Tân Lân", "Xã Tân Mỹ"),  # case aside
    ("Ấp 2", "Ấp 10"),  # numbers by value
    ("Ấp 9", "Ấp Bình"),  # a number before a word, as "9" before "b"
    ("Chi bộ ấp Chợ", "Chi bộ ấp Chợ Mới"),  # a name before its longer namesakes
    ("Ap 1", "Ấp 1"),  # the same letters: the marks only break the tie
])
def test_names_sort_by_their_letters_without_marks_and_numbers_by_value(
    before: str, after: str
) -> None:
    from bot.domain.words import name_order

    assert name_order(before) < name_order(after)
    assert sorted([after, before], key=name_order) == [before, after]


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
def test_the_example_shown_for_a_date_is_a_recent_past_day_that_cannot_be_misread(
    day: date,
) -> None:
    from bot.core.parsing import typed_example

    example = typed_example(day)
    shown = parse_day(example, day)
    assert shown is not None and shown.day > 12  # no day-month mix-up: 13 to 31 is no month
    # D17: "25/12/2026" on 1 December was a day a meeting's date question refuses.
    assert day - timedelta(days=14) < shown < day


@pytest.mark.parametrize(("today", "example"), [
    (date(2026, 11, 27), "26/11/2026"),  # yesterday
    (date(2026, 12, 1), "30/11/2026"),  # the 1st: the month before's last day
    (date(2026, 12, 13), "30/11/2026"),  # 12 would read as a month
    (date(2027, 1, 5), "31/12/2026"),  # last year's
    (date(2024, 3, 2), "29/02/2024"),  # a leap day is a day like any other
])
def test_the_date_example_is_the_latest_past_day_above_twelve(today: date, example: str) -> None:
    from bot.core.parsing import typed_example

    assert typed_example(today) == example


@pytest.mark.parametrize(("typed", "result"), [
    ("31/02/2026", NoSuchDay(31, 2, 2026)),  # issue 7: a day February does not have
    ("29/2/2025", NoSuchDay(29, 2, 2025)),  # no leap day in 2025
    ("29/2/2024", date(2024, 2, 29)),  # but in 2024
    ("31/4", NoSuchDay(31, 4, 2026)),  # April has 30 days, this year's April
    ("2026-06-31", NoSuchDay(31, 6, 2026)),  # ISO too
    ("32/1/2026", None),  # no month has 32 days: a typo, not a missing day
    ("3/13/2026", None),  # no thirteenth month
    ("0/5/2026", None),  # no day zero
])
def test_a_day_past_the_end_of_its_month_is_told_apart_from_a_bad_format(
    typed: str, result: date | NoSuchDay | None
) -> None:
    assert read_day(typed, TODAY) == result
    assert parse_day(typed, TODAY) == (result if isinstance(result, date) else None)


@pytest.mark.parametrize(("typed", "minutes"), [
    ("95", 95),  # minutes, as before
    ("90 phút", 90),  # with the unit
    ("95p", 95),  # the short unit
    ("2 giờ", 120),  # issue 7: hours where minutes are asked
    ("2h", 120),
    ("2 tiếng", 120),
    ("1 tiếng rưỡi", 90),  # an hour and a half
    ("1h30", 90),
    ("1 giờ 30 phút", 90),
    ("1:30", 90),
    ("1,5 giờ", 90),  # a decimal hour
    ("2 hours", 120),  # in English
    ("90 minutes", 90),
    ("2h90", None),  # more than 59 extra minutes is a typo
    ("một giờ", None),  # numbers in words are not read
    ("", None),
])
def test_a_duration_is_read_in_minutes_or_in_hours(typed: str, minutes: int | None) -> None:
    assert parse_minutes(typed) == minutes


@pytest.mark.parametrize("typed", ["³", "²", "①", "١٢", "1²"])
def test_digits_other_than_0_to_9_are_not_numbers(typed: str) -> None:
    # Phone keyboards offer ² and ³ on a long press; int() would refuse them.
    assert parse_whole_number(typed) is None
    assert parse_numbers(typed) is None
    assert match_choice(typed, CHOICES) is None


@pytest.mark.parametrize(("typed", "command"), [
    ("/huy", ("huy", "")),  # as the menu writes it
    ("/hủy", ("huy", "")),  # typed with its accents on a phone keyboard
    ("/TinhHinh TL-01", ("tinhhinh", "TL-01")),  # capitals, an argument kept as typed
    ("/tổng hợp", ("tong", "hợp")),  # the name ends at the first space
    ("/help@SoChiBoBot", ("help", "")),  # a group-style mention
])
def test_a_command_name_ignores_case_and_accents(typed: str, command: tuple[str, str]) -> None:
    assert Inbound("test", "u", text=typed).command == command
