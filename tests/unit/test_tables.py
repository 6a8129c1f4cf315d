"""Table files as Excel writes them: delimiters, encodings, .xlsx, line numbers."""

from __future__ import annotations

import io
import unicodedata

import pytest
from openpyxl import Workbook

from bot.tables import MAX_ROWS, TableError, read_table

ROWS = [(1, ["code", "name"]), (2, ["TL-01", "Chi bộ ấp Xóm Chùa"])]


TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below


def cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: a letter with its vowel mark, then a combining tone mark."""
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tone = "".join(c for c in parts if c in TONES)
            letter = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
            out += (letter + tone).encode("cp1258")
    return out


@pytest.mark.parametrize("data", [
    "code,name\nTL-01,Chi bộ ấp Xóm Chùa\n".encode(),  # UTF-8, comma
    "\ufeffcode;name\r\nTL-01;Chi bộ ấp Xóm Chùa\r\n".encode(),  # Excel's "CSV UTF-8", semicolon
    "code\tname\r\nTL-01\tChi bộ ấp Xóm Chùa\r\n".encode("utf-16"),  # "Unicode Text": UTF-16, tab
    cp1258("code,name\nTL-01,Chi bộ ấp Xóm Chùa\n"),  # a Vietnamese Windows code page
])
def test_a_csv_reads_the_same_whatever_excel_saved_it_as(data: bytes) -> None:
    assert read_table(data, "ratings.csv") == ROWS


def test_a_quoted_cell_may_hold_the_delimiter_and_a_line_break() -> None:
    data = b'code,note\n"TL-01","one, two\nthree"\nTL-02,x\n'
    assert read_table(data) == [(1, ["code", "note"]), (2, ["TL-01", "one, two\nthree"]),
                                (4, ["TL-02", "x"])]


def test_an_xlsx_workbook_reads_its_first_sheet_with_numbers_as_excel_shows_them() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["code", "year", "score", "empty"])
    sheet.append(["TL-01", 2015, 89.9, None])
    sheet.append(["TL-02", 2015.0, 90, ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = read_table(buffer.getvalue(), "ratings.xlsx")
    assert rows == [
        (1, ["code", "year", "score", "empty"]),
        (2, ["TL-01", "2015", "89.9", ""]),
        (3, ["TL-02", "2015", "90", ""]),
    ]


def test_a_broken_workbook_and_undecodable_bytes_are_refused() -> None:
    with pytest.raises(TableError):
        read_table(b"PK\x03\x04 not really a zip", "ratings.xlsx")
    with pytest.raises(TableError):
        read_table(b"\x81\x8d\x8f\x90\x9d", "ratings.csv")  # undefined in code page 1258


def test_a_file_with_more_lines_than_any_province_has_cells_is_refused() -> None:
    with pytest.raises(TableError):
        read_table(b"code\n" + b"X\n" * MAX_ROWS)
