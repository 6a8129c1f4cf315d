"""Comparing words as people type them: case and Vietnamese diacritics do not matter."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


@lru_cache(maxsize=4096)  # the same labels are folded for every user who answers by typing
def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics, so "Tất cả" matches "tat ca"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text.casefold())
    plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(plain.split())


NameKey = tuple[tuple[str | int, ...], str]
_DIGITS = re.compile(r"([0-9]{1,9})")  # a longer run is read in pieces


@lru_cache(maxsize=4096)  # a workbook sorts 33,000 rows by a few thousand names
def name_order(name: str) -> NameKey:
    """Sort names as people read them: letters without their diacritics ("Long Định" before
    "Long Trạch", "Tân Ân" before "Tân Lân"), numbers by value ("Ấp 2" before "Ấp 10")."""
    parts = _DIGITS.split(fold(name))  # words at even places, numbers at odd ones
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts)), name
