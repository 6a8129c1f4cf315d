"""The catalog merge driver keeps both sides' messages and a translation fixed on either side."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import merge_catalog


def write(path: Path, messages: dict[str, str]) -> Path:
    catalog = Catalog(locale="vi")
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return path


def test_both_sides_new_messages_and_fixed_translations_survive(tmp_path: Path) -> None:
    base = write(tmp_path / "base.po", {"Today": "Hôm nay", "Help": "Trợ giúp", "Yes": "Có"})
    ours = write(tmp_path / "ours.po", {"Today": "Hôm nay", "Help": "Trợ giúp (sửa)",
                                        "Yes": "Có", "Ours": "Của ta"})
    theirs = write(tmp_path / "theirs.po", {"Today": "Hôm nay (sửa)", "Help": "Trợ giúp",
                                            "Yes": "Có", "Theirs": "Của họ"})
    merge_catalog.merge(base, ours, theirs)
    with ours.open("rb") as handle:
        merged = {m.id: m.string for m in read_po(handle) if m.id}
    assert merged == {"Today": "Hôm nay (sửa)", "Help": "Trợ giúp (sửa)", "Yes": "Có",
                      "Ours": "Của ta", "Theirs": "Của họ"}
