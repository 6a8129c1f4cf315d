"""Comparing words as people type them: case and Vietnamese diacritics do not matter."""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=4096)  # the same labels are folded for every user who answers by typing
def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics, so "Tất cả" matches "tat ca"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text.casefold())
    plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(plain.split())
