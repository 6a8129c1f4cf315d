"""The catalogs: they parse, vi and en are complete, placeholders match, the .pot is current."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import catalogs  # noqa: E402

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def test_the_catalogs_are_complete_and_the_pot_is_current() -> None:
    assert catalogs.problems() == []


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_placeholder_in_a_translation_exists_in_its_msgid(language: str) -> None:
    with catalogs.po_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected: set[str] = set().union(*(PLACEHOLDER.findall(str(i)) for i in ids))
        for text in strings:
            assert set(PLACEHOLDER.findall(str(text or ""))) == expected, message.id


def test_vietnamese_is_really_translated() -> None:
    with catalogs.po_path("vi").open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    same = [m.id for m in catalog if m.id and m.string == m.id and len(str(m.id)) > 12]
    assert same == [], "these vi entries are still English"


# Names that stay Vietnamese in English: the bot's own, and a real cell's in an example.
NAMES = ("Sổ Chi Bộ", "Xóm Chùa")
VIETNAMESE_LETTER = re.compile("[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡ"
                               "ùúụủũưừứựửữỳýỵỷỹđ]", re.IGNORECASE)


def test_english_texts_have_no_vietnamese_words_but_names() -> None:
    # C15: "Type the minutes (95) or the hours (2 giờ, 1h30)" in the English question.
    with catalogs.po_path("en").open("rb") as handle:
        catalog = read_po(handle, locale="en")
    found = []
    for message in catalog:
        for text in message.id if isinstance(message.id, tuple) else (message.id,):
            plain = str(text)
            for name in NAMES:
                plain = plain.replace(name, "")
            if VIETNAMESE_LETTER.search(plain):
                found.append(text)
    assert found == []
