"""The typed tables written by XlsxWriter, read back with openpyxl: values keep their types."""

from __future__ import annotations

import io
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from openpyxl import load_workbook

from bot.exports.tables import Column, Kind, Sheet, workbook_bytes

COLUMNS = [Column("Note"), Column("Count", Kind.INTEGER), Column("Share", Kind.PERCENT),
           Column("Day", Kind.DATE), Column("Saved", Kind.DATETIME), Column("Met", Kind.BOOLEAN)]


def written(*rows: tuple[Any, ...]) -> list[list[Any]]:
    sheet = Sheet("Bảng", COLUMNS, rows, heading=[("Tổng hợp", date(2026, 11, 30))])
    book = load_workbook(io.BytesIO(workbook_bytes([sheet], "dd/mm/yyyy")))
    ws = book["Bảng"]
    assert ws.freeze_panes == "A4" and ws.auto_filter.ref == f"A3:F{3 + len(rows)}"
    assert ws["A1"].value == "Tổng hợp" and ws["B1"].is_date  # the heading, then a blank line
    assert [c.value for c in ws[3]] == [c.header for c in COLUMNS]
    return [list(r) for r in ws.iter_rows(min_row=4)]


def test_each_kind_is_written_as_its_excel_type() -> None:
    [row] = written(("Ấp Chợ", 12, Fraction(17, 19), date(2026, 11, 20),
                     datetime(2026, 11, 20, 9, 30), True))
    note, count, share, day, saved, met = row
    assert (note.value, note.data_type) == ("Ấp Chợ", "s")
    assert (count.value, count.data_type) == (12, "n")
    assert share.value == float(Fraction(17, 19)) and share.number_format == "0.0%"
    assert day.is_date and day.number_format == "dd/mm/yyyy"
    assert saved.value == datetime(2026, 11, 20, 9, 30)
    assert saved.number_format == "dd/mm/yyyy hh:mm"
    assert met.value is True


def test_text_that_looks_like_a_formula_an_error_or_a_number_stays_text() -> None:
    rows = written(("=SUM(A1:A9)", None, None, None, None, None),
                   ("#N/A", None, None, None, None, None),
                   ("0012", None, None, None, None, None),
                   ("chuông\x07", None, None, None, None, None))  # a control character: dropped
    assert [(r[0].value, r[0].data_type) for r in rows] == [
        ("=SUM(A1:A9)", "s"), ("#N/A", "s"), ("0012", "s"), ("chuông", "s"),
    ]
    assert [r[1].value for r in rows] == [None] * 4
