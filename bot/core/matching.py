"""Match typed answers to choices: by number or by label, ignoring case and diacritics."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.messages import Choice
from bot.core.parsing import is_ascii_number
from bot.domain.words import fold

__all__ = ["fold", "match_choice", "parse_numbers"]

MAX_DIGITS = 6  # a choice's number; longer digits name none


def match_choice(text: str, choices: Sequence[Choice]) -> Choice | None:
    """Return the choice a typed answer names: its number in the list or its label."""
    answer = fold(text).rstrip(".")
    if not answer:
        return None
    if is_ascii_number(answer):
        if len(answer) > MAX_DIGITS:  # no list is that long (and int() refuses 4 300 digits)
            return None
        index = int(answer) - 1
        return choices[index] if 0 <= index < len(choices) else None
    for choice in choices:
        if fold(choice.label) == answer or choice.key == answer:
            return choice
    return None


_SEPARATORS = re.compile(r"[\s,;.+]+")


def parse_numbers(text: str) -> list[int] | None:
    """Parse "1 3", "1,2,3" or "1, 3" into numbers; None when anything else is there."""
    parts = [p for p in _SEPARATORS.split(text.strip()) if p]
    if not parts or not all(is_ascii_number(p) and len(p) <= MAX_DIGITS for p in parts):
        return None
    return [int(p) for p in parts]
