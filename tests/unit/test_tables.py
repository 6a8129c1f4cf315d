"""Table files as Excel writes them: every encoding and separator gives the same rows."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from datetime import date

import pytest
from openpyxl import Workbook

from bot import tables
from bot.domain.org import parse_org_rows
from bot.tables import TableError, read_table

ROWS = [
    ["path", "code", "full_members", "probationary_members", "exempt_members"],
    ["Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Xóm Chùa", "TL-01", "18", "2", "1"],
]


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def text_of(separator: str) -> str:
    return "".join(separator.join(row) + "\r\n" for row in ROWS)


def windows_1258(text: str) -> bytes:
    """Encode as Vietnamese Windows does: a precomposed base letter, then a combining tone."""
    out = []
    for char in text:
        try:
            out.append(char.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONE_MARKS))
            tones = "".join(c for c in parts if c in TONE_MARKS)
            out.append((base + tones).encode("cp1258"))
    return b"".join(out)


@pytest.mark.parametrize("data", [
    text_of(",").encode("utf-8"),  # CSV UTF-8 without a BOM (LibreOffice, scripts)
    text_of(",").encode("utf-8-sig"),  # Excel's "CSV UTF-8": a BOM first
    text_of(";").encode("utf-8-sig"),  # Excel where the list separator is ";" (vi-VN)
    text_of("\t").encode("utf-16"),  # Excel's "Unicode Text": UTF-16 with a BOM, tabs
    windows_1258(text_of(",")),  # Excel's plain "CSV" on Vietnamese Windows
])
def test_every_excel_text_format_reads_as_the_same_rows(data: bytes) -> None:
    assert read_table(data) == ROWS


def xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_file_reads_numbers_as_typed_and_dates_as_iso() -> None:
    rows = read_table(xlsx([list(ROWS[0]), [ROWS[1][0], "TL-01", 18, 2.0, None],
                            ["x", date(2025, 7, 1)]]))
    assert rows[1] == [ROWS[1][0], "TL-01", "18", "2", ""]
    assert rows[2][:2] == ["x", "2025-07-01"]


def test_an_xlsx_org_file_parses_like_its_csv() -> None:
    from_xlsx = parse_org_rows(read_table(xlsx([list(r) for r in ROWS])))
    from_csv = parse_org_rows(read_table(text_of(",").encode()))
    assert from_xlsx == from_csv


def test_columns_in_another_order_and_empty_columns_after_the_last_are_accepted() -> None:
    reordered = "code;path;exempt_members;probationary_members;full_members;;\n" \
        "TL-01;A/Chi bộ 1;1;2;18;;\n"
    (cell,) = parse_org_rows(read_table(reordered.encode()))
    assert (cell.code, cell.full_members, cell.probationary_members, cell.exempt_members) == \
        ("TL-01", 18, 2, 1)


def test_a_broken_xlsx_or_a_binary_file_is_a_clear_error() -> None:
    with pytest.raises(TableError, match="xlsx"):
        read_table(b"PK\x03\x04 not really a zip")
    with pytest.raises(TableError, match="binary"):
        read_table(b"path\x00code")


def test_a_table_longer_or_wider_than_any_of_ours_is_refused_or_cut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tables, "MAX_ROWS", 3)
    monkeypatch.setattr(tables, "MAX_COLUMNS", 2)
    assert read_table(b"a,b,c\n1,2,3\n4,5,6\n") == [["a", "b"], ["1", "2"], ["4", "5"]]
    with pytest.raises(TableError, match="more than 3 rows"):
        read_table(b"a\n1\n2\n3\n")
    saved = io.BytesIO(xlsx([["a", "b", "c"], [1, 2, 3], [4, 5, 6], [7, 8, 9]]))
    with pytest.raises(TableError, match="more than 3 rows"):
        read_table(saved.getvalue())
    monkeypatch.setattr(tables, "MAX_ROWS", 4)
    assert read_table(saved.getvalue())[0] == ["a", "b"]


def test_an_xlsx_that_unpacks_to_more_than_its_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A zip holds up to a thousand times its size: it is measured before it is read."""
    saved = io.BytesIO(xlsx([["x" * 1000] * 50]))
    assert read_table(saved.getvalue())[0][0] == "x" * 1000
    monkeypatch.setattr(tables, "MAX_UNPACKED_BYTES", 20_000)
    with pytest.raises(TableError, match="too large once unpacked"):
        read_table(saved.getvalue())


def test_reading_looks_whether_to_pause_for_the_event_loop_every_32_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Read in a thread, a long spreadsheet lets the event loop's thread in (bot.pauses)."""
    looks: list[int] = []

    class Counting:
        def __call__(self) -> None:
            looks.append(1)

    monkeypatch.setattr(tables, "Pauses", Counting)
    rows = [["code", "n"], *([f"TL-{i:03d}", "1"] for i in range(99))]  # 100 rows
    assert len(read_table(xlsx(rows))) == 100
    assert len(looks) == 3
    looks.clear()
    assert len(read_table("\n".join(",".join(r) for r in rows).encode())) == 100
    assert len(looks) == 3
