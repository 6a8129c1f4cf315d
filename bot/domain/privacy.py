"""Words that may name a person, in the notes and topics organisers read (DOMAIN.md §7).

A guess, so it is only a question to the secretary, never a refusal: three capitalised words
in a row (a Vietnamese full name: "Nguyễn Văn Tèo"), or a title before a capitalised word
("đ/c Tèo", "ông Ba"). Names everyone uses in topics (Hồ Chí Minh, places) are no one's.
"""

from __future__ import annotations

import re

from bot.domain.words import fold

FULL_NAME_WORDS = 3
# Folded: "đ/c", "đc", "đồng chí", "ông", "bà", "anh", "chị", "cô", "chú", and in English.
TITLES = frozenset({"d/c", "dc", "dong", "ong", "ba", "anh", "chi", "co", "chu", "comrade",
                    "mr", "mrs", "ms"})
PUBLIC_NAMES = tuple(fold(name) for name in (
    "Hồ Chí Minh", "Nguyễn Ái Quốc", "Bác Hồ", "Võ Nguyên Giáp", "Tôn Đức Thắng", "Lê Duẩn",
    "Trường Chinh", "Phạm Văn Đồng", "Nguyễn Văn Linh", "Võ Văn Kiệt", "Lê Hồng Phong",
    "Bà Rịa", "Vũng Tàu", "Thừa Thiên Huế", "Bà Trưng", "Đảng Cộng sản Việt Nam",
    "Ban Chấp hành Trung ương", "Mặt trận Tổ quốc", "Hội Liên hiệp Phụ nữ",
))
_WORD = re.compile(r"[^\W\d_]+(?:/[^\W\d_]+)?")


def name_in(text: str) -> str | None:
    """Return the words of `text` that look like a person's name, or None."""
    words = _WORD.findall(text)
    run: list[str] = []
    for index, word in enumerate([*words, ""]):
        if word[:1].isupper():
            run.append(word)
            continue
        if len(run) >= FULL_NAME_WORDS and not _public(run):
            return " ".join(run)
        if len(run) >= 2 and fold(run[0]) in TITLES and not _public(run[1:]):
            return " ".join(run)  # "Đ/c Tèo", "Comrade Smith"
        run = []
        title = words[index:index + 2] if fold(" ".join(words[index:index + 2])) in (
            "dong chi", "comrade") else [word]
        named = _capitalised(words[index + len(title):])
        if fold(title[0]) in TITLES and named and not _public(named):
            return " ".join([*title, *named])
    return None


def _capitalised(words: list[str]) -> list[str]:
    """Return the capitalised words at the start of `words`."""
    named: list[str] = []
    for word in words:
        if not word[:1].isupper():
            break
        named.append(word)
    return named


def _public(words: list[str]) -> bool:
    """Tell whether capitalised words are (part of) a name everybody uses, not a person's."""
    folded = fold(" ".join(words))
    return any(name in folded or (len(words) > 1 and folded in name) for name in PUBLIC_NAMES)
