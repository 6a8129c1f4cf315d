"""Typed tables written as an Excel workbook with openpyxl, streamed (write-only mode).

Each column has a kind, so numbers stay numbers, shares are Excel percentages and dates are
dates: an organiser can sort, filter and add them up. Every sheet has its header row frozen
and an auto-filter over the table; widths follow the longest text of each column (Vietnamese
text in NFC is one character a letter). A text is always written as text, never as a formula
(a note typed as "=…" or "#N/A" stays what the secretary typed).
"""

from __future__ import annotations

import io
import math
import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, auto
from fractions import Fraction

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

Value = str | int | float | Fraction | Decimal | date | datetime | bool | None

MIN_WIDTH = 6
MAX_WIDTH = 60
HEADER_WRAP = 16  # a header longer than this wraps onto more lines instead of widening
LINE_POINTS = 15  # the height of a line of text in a row
SHEET_TITLE_CHARACTERS = 31  # Excel's limit


class Kind(Enum):
    """How a column's values are written: the Excel number format they get."""

    TEXT = auto()
    INTEGER = auto()
    DECIMAL = auto()
    PERCENT = auto()
    DATE = auto()  # in the workbook's date format
    DATETIME = auto()  # the date format and hh:mm
    BOOLEAN = auto()


# Whole numbers keep Excel's default format: they show as they are, and write fastest.
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


def workbook_bytes(sheets: Sequence[Sheet], date_format: str) -> bytes:
    """Write the sheets into an .xlsx file and return its bytes."""
    book = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(book.create_sheet(_sheet_title(sheet.title)), sheet, date_format)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_sheet(ws: Worksheet, sheet: Sheet, date_format: str) -> None:
    """Stream one sheet. `ws` is write-only: typed as a Worksheet, whose column widths,
    freeze panes and filter it shares (the type stubs leave them out)."""
    formats = [_number_format(c.kind, date_format) for c in sheet.columns]
    columns = list(zip(*sheet.rows, strict=True)) or [() for _ in sheet.columns]
    widths = [_width(c, values, f) for c, values, f in zip(sheet.columns, columns, formats,
                                                           strict=True)]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width  # before any row
    header_row = len(sheet.heading) + (2 if sheet.heading else 1)  # a blank line between
    lines = max((len(textwrap.wrap(c.header, int(w) - 2)) for c, w in zip(
        sheet.columns, widths, strict=True)), default=1)
    ws.row_dimensions[header_row].height = LINE_POINTS * lines  # the wrapped headers show
    ws.freeze_panes = f"{get_column_letter(sheet.frozen_columns + 1)}{header_row + 1}"
    for line in sheet.heading:
        ws.append([_writer(ws, _format_of(value, date_format))(value) for value in line])
    if sheet.heading:
        ws.append([])
    bold, wrapped = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    header = []
    for column in sheet.columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font, cell.alignment = bold, wrapped
        header.append(cell)
    ws.append(header)
    writers = [_writer(ws, f, c.kind is Kind.TEXT) for c, f in zip(sheet.columns, formats,
                                                                  strict=True)]
    for row in sheet.rows:
        ws.append([write(value) for write, value in zip(writers, row, strict=True)])
    last = f"{get_column_letter(len(sheet.columns))}{header_row + len(sheet.rows)}"
    ws.auto_filter.ref = f"A{header_row}:{last}"


Writer = Callable[[Value], Cell | Value]


def _writer(ws: Worksheet, number_format: str, text: bool = False) -> Writer:
    """Return how a column's values are appended: as they are where Excel's default suits
    them (the writer's fast path), or as cells that carry a number format or a text type."""

    def as_text(value: Value) -> Cell | Value:
        if not isinstance(value, str):
            return value
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not value.startswith("=") and value not in ERROR_CODES:
            return value
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # text, never a formula or an error: a note stays as typed
        return cell

    styled = WriteOnlyCell(ws)
    styled.number_format = number_format

    def formatted(value: Value) -> Cell | Value:
        # One cell a column, filled anew for each row: a write-only sheet writes a row out
        # as it is appended, and a styled cell is the costly part of writing a province.
        if value is None:
            return None
        styled.value = float(value) if isinstance(value, Fraction | Decimal) else value
        return styled

    if text or number_format == "General":
        return as_text
    return formatted


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
