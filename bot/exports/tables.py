"""Typed tables written as an Excel workbook with XlsxWriter, row by row (constant memory).

Each column has a kind, so numbers stay numbers, shares are Excel percentages and dates are
dates: an organiser can sort, filter and add them up. Every sheet has its header row frozen
and an auto-filter over the table; widths follow the longest text of each column (Vietnamese
text in NFC is one character a letter). A text is always written as text, never as a formula
(a note typed as "=…" or "#N/A" stays what the secretary typed).

The workbook is written in a thread, which pauses now and then for the event loop's thread
(bot.pauses: 80 pauses for a province's year).
"""

from __future__ import annotations

import io
import math
import re
import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, auto
from fractions import Fraction

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from bot.pauses import ROWS_BETWEEN_LOOKS, Pauses

Value = str | int | float | Fraction | Decimal | date | datetime | bool | None

MIN_WIDTH = 6
MAX_WIDTH = 60
HEADER_WRAP = 16  # a header longer than this wraps onto more lines instead of widening
LINE_POINTS = 15  # the height of a line of text in a row
SHEET_TITLE_CHARACTERS = 31  # Excel's limit
# Control characters a cell cannot show: dropped (XlsxWriter would write them escaped).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class Kind(Enum):
    """How a column's values are written: the Excel number format they get."""

    TEXT = auto()
    INTEGER = auto()
    DECIMAL = auto()
    PERCENT = auto()
    DATE = auto()  # in the workbook's date format
    DATETIME = auto()  # the date format and hh:mm
    BOOLEAN = auto()


# Whole numbers keep Excel's default format: they show as they are.
NUMBER_FORMATS = {Kind.DECIMAL: "0.0#", Kind.PERCENT: "0.0%"}


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True)
class Sheet:
    """One worksheet: lines above the table (what it is), then the table itself."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Value]]
    heading: Sequence[Sequence[Value]] = ()  # free lines first: scope, period, when made
    frozen_columns: int = 0  # columns kept in view when scrolling right (code, name)


def workbook_bytes(
    sheets: Sequence[Sheet], date_format: str, pauses: Callable[[], None] | None = None
) -> bytes:
    """Write the sheets into an .xlsx file and return its bytes, pausing now and then for
    the event loop's thread (`pauses`: a Pauses by default)."""
    buffer = io.BytesIO()
    # Constant memory: each row goes to a temporary file as it is written, so a province's
    # year costs a row's memory, not the workbook's. Strings are never read as formulas,
    # numbers or links; an aware time is written as its wall-clock time.
    book = Workbook(buffer, {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
        "strings_to_urls": False, "remove_timezone": True, "nan_inf_to_errors": True,
    })
    formats = Formats(book, date_format)
    pause = pauses or Pauses()
    for sheet in sheets:
        _write_sheet(book.add_worksheet(_sheet_title(sheet.title)), sheet, formats, pause)
    pause()
    book.close()
    return buffer.getvalue()


class Formats:
    """The workbook's cell formats, made once: one per number format, and the header's."""

    def __init__(self, book: Workbook, date_format: str):
        self._book = book
        self.date_format = date_format
        self._made: dict[str, Format] = {}
        self.header = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})

    def of(self, number_format: str) -> Format | None:
        if number_format == "General":
            return None
        if number_format not in self._made:
            self._made[number_format] = self._book.add_format({"num_format": number_format})
        return self._made[number_format]


def _write_sheet(
    ws: Worksheet, sheet: Sheet, formats: Formats, pause: Callable[[], None]
) -> None:
    """Write one sheet: widths and panes first, then the heading, the header and the rows."""
    number_formats = [_number_format(c.kind, formats.date_format) for c in sheet.columns]
    columns = list(zip(*sheet.rows, strict=True)) or [() for _ in sheet.columns]
    widths = [_width(c, values, f) for c, values, f in zip(sheet.columns, columns,
                                                           number_formats, strict=True)]
    for index, width in enumerate(widths):
        ws.set_column(index, index, width)
    header_row = len(sheet.heading) + (1 if sheet.heading else 0)  # a blank line between
    lines = max((len(textwrap.wrap(c.header, int(w) - 2)) for c, w in zip(
        sheet.columns, widths, strict=True)), default=1)
    ws.freeze_panes(header_row + 1, sheet.frozen_columns)
    for row, line in enumerate(sheet.heading):
        for col, value in enumerate(line):
            _write(ws, row, col, value, formats.of(_format_of(value, formats.date_format)))
    ws.set_row(header_row, LINE_POINTS * lines)  # the wrapped headers show
    for col, column in enumerate(sheet.columns):
        ws.write_string(header_row, col, _text(column.header), formats.header)
    writers = [_writer(ws, formats.of(f), c.kind is Kind.TEXT) for c, f in zip(
        sheet.columns, number_formats, strict=True)]
    for row, values in enumerate(sheet.rows, start=header_row + 1):
        for col, value in enumerate(values):
            if value is not None:
                writers[col](row, col, value)
        if not row % ROWS_BETWEEN_LOOKS:
            pause()
    ws.autofilter(header_row, 0, header_row + len(sheet.rows), len(sheet.columns) - 1)


Writer = Callable[[int, int, Value], None]


def _text(value: str) -> str:
    """Return the text without control characters (checked first: nearly all have none)."""
    return value if value.isprintable() else CONTROL_CHARACTERS.sub("", value)


def _write(ws: Worksheet, row: int, col: int, value: Value, number_format: Format | None,
           ) -> None:
    """Write one value by its type: text as text, numbers, dates and booleans as themselves."""
    if value is None:
        return
    if isinstance(value, str):
        ws.write_string(row, col, _text(value), number_format)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, number_format)
    elif isinstance(value, date):  # a datetime too
        ws.write_datetime(row, col, value, number_format)
    else:
        ws.write_number(row, col, float(value), number_format)


def _writer(ws: Worksheet, number_format: Format | None, text: bool) -> Writer:
    """Return how a column's values are written: the type its kind expects at once (most of
    a province's 800,000 cells), any other by its type."""
    write_string, write_number = ws.write_string, ws.write_number

    def as_text(row: int, col: int, value: Value) -> None:
        if type(value) is str:
            write_string(row, col, _text(value))
        else:
            _write(ws, row, col, value, None)

    def as_number(row: int, col: int, value: Value) -> None:
        if type(value) is int or type(value) is float:  # not a bool: a bool is not its type
            write_number(row, col, value, number_format)
        else:
            _write(ws, row, col, value, number_format)

    return as_text if text else as_number


def _number_format(kind: Kind, date_format: str) -> str:
    if kind is Kind.DATE:
        return date_format
    if kind is Kind.DATETIME:
        return f"{date_format} hh:mm"
    return NUMBER_FORMATS.get(kind, "General")


def _format_of(value: Value, date_format: str) -> str:
    """Return the number format of a free value of a heading line, by its type."""
    if isinstance(value, datetime):
        return f"{date_format} hh:mm"
    if isinstance(value, date):
        return date_format
    if isinstance(value, Fraction):
        return NUMBER_FORMATS[Kind.PERCENT]
    return "General"


def _width(column: Column, values: Sequence[Value], number_format: str) -> float:
    """Return a column's width: its longest value, or its header up to HEADER_WRAP."""
    longest_word = max((len(w) for w in column.header.split()), default=0)
    longest = max(min(len(column.header), HEADER_WRAP), longest_word)
    if column.kind is Kind.TEXT:
        texts = [unicodedata.normalize("NFC", v) for v in values if isinstance(v, str)]
        longest = max(longest, max(map(len, texts), default=0))
    elif column.kind is Kind.INTEGER:
        numbers = [v for v in values if isinstance(v, int)]
        if numbers:  # the widest is the largest, or a negative one
            longest = max(longest, len(str(max(numbers))), len(str(min(numbers))))
    elif number_format not in {"General", NUMBER_FORMATS[Kind.PERCENT]}:  # dates, scores
        longest = max(longest, len(number_format))
    return float(min(MAX_WIDTH, max(MIN_WIDTH, math.ceil(longest * 1.1) + 2)))


def _sheet_title(title: str) -> str:
    """Return a title Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in title)
    return cleaned[:SHEET_TITLE_CHARACTERS].strip() or "Sheet"
