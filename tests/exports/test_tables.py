"""The typed tables written by XlsxWriter, read back with openpyxl: values keep their types."""

from __future__ import annotations

import io
import itertools
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from openpyxl import load_workbook

from bot.exports.tables import Column, Kind, Sheet, workbook_bytes
from bot.pauses import PAUSE_S, Pauses

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


class FakeTime:
    """A clock that moves 1/256 s a look (exact in binary), and the pauses taken."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[tuple[float, float]] = []  # (when, how long)

    def clock(self) -> float:
        self.now += 2**-8
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append((self.now, seconds))


def test_the_writing_pauses_for_the_event_loop_every_so_often() -> None:
    """A thread writing files keeps the GIL from the event loop's thread: the writing lets it
    go for a moment once a while has gone by (here 1/64 s), and only then."""
    fake = FakeTime()
    pauses = Pauses(every=2**-6, clock=fake.clock, sleep=fake.sleep)
    rows = [(f"Ấp {n}", n, None, None, None, None) for n in range(32 * 40)]
    data = workbook_bytes([Sheet("Bảng", COLUMNS, rows)], "dd/mm/yyyy", pauses)
    assert load_workbook(io.BytesIO(data))["Bảng"].max_row == 1 + len(rows)  # all written
    # 41 looks (every 32 rows, and before closing): after the first, a pause every fourth.
    assert [s for _, s in fake.slept] == [PAUSE_S] * 10
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(fake.slept)]
    assert gaps == [5 * 2**-8] * 9  # four looks, and the look after each pause


def test_no_pause_is_taken_before_the_time_has_come() -> None:
    fake = FakeTime()
    pauses = Pauses(every=1.0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(100):  # 0.5 s of looks
        pauses()
    assert fake.slept == []
