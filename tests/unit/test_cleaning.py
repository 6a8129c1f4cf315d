"""What people type is cleaned where it enters the core; lengths count visible characters."""

from __future__ import annotations

import pytest

from bot.core.cleaning import clean_text, visible_length


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Họp chi bộ", "Họp chi bộ"),  # Vietnamese as typed stays
        ("Ho\u0323p", "Họp"),  # decomposed diacritics are composed (NFC)
        ("a\x00b", "ab"),  # NUL
        ("a\x07b\x1fc\x7fd\x85e", "abcde"),  # other control characters, C1 too
        ("line one\r\nline two", "line one\nline two"),  # a line break stays, one kind
        ("a\tb", "a b"),  # a tab is a space
        ("\x1b[31mred\x1b[0m", "red"),  # ANSI colours
        ("\x1b]0;title\x07text", "text"),  # an ANSI terminal title
        ("\x1b[2J\x1b[Hcleared", "cleared"),  # clear screen, cursor home
        ("abc\u202edcba", "abcdcba"),  # the right-to-left override
        ("\u2066isolated\u2069 \u200fmark", "isolated mark"),  # bidi isolates and marks
        ("\u200b\u200c\u200d\u2060", ""),  # zero-width space, non-joiner, joiner, word joiner
        ("\ufeffBOM", "BOM"),  # a byte order mark
        ("soft\u00adhyphen", "softhyphen"),  # a soft hyphen
        ("lone\ud800surrogate", "lonesurrogate"),  # SQLite refuses to store one
        ("Z\u0335\u0321\u0322\u0327\u0328a", "Z\u0335\u0321a"),  # "Zalgo": two marks a letter
        ("🙂 emoji", "🙂 emoji"),  # emoji stay
    ],
)
def test_typed_text_is_stored_as_it_reads(typed: str, stored: str) -> None:
    assert clean_text(typed) == stored


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("abc", 3),  # plain ASCII
        ("Họp", 3),  # one character per letter with its diacritics
        ("Ho\u0323p", 3),  # a combining mark rides on its letter
        ("e\u0302\u0323", 1),  # two marks, still one letter
        ("🙂", 1),  # an emoji is one character
    ],
)
def test_lengths_count_visible_characters(text: str, length: int) -> None:
    assert visible_length(text) == length


def test_four_invisible_characters_no_longer_pass_a_three_character_minimum() -> None:
    assert visible_length(clean_text("\u200b\u200b\u200b\u200b")) == 0
