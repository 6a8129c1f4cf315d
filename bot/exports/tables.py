"""Typed tables written as an Excel workbook with openpyxl, streamed (write-only mode).

Each column has a kind, so numbers stay numbers, shares are Excel percentages and dates are
dates: an organiser can sort, filter and add them up. Every sheet has its header row frozen
and an auto-filter over the table; widths follow the longest text of each column (Vietnamese
text in NFC is one character a letter). A text is always written as text, never as a formula
(a note typed as "=…" stays what the secretary typed).
"""

from __future__ import annotations

import io
import math
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, auto
from fractions import Fraction

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
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


NUMBER_FORMATS = {Kind.INTEGER: "#,##0", Kind.DECIMAL: "0.0#", Kind.PERCENT: "0.0%"}


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
    widths = _widths(sheet, formats)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width  # before any row
    header_row = len(sheet.heading) + (2 if sheet.heading else 1)  # a blank line between
    lines = max((len(textwrap.wrap(c.header, int(w) - 2)) for c, w in zip(
        sheet.columns, widths, strict=True)), default=1)
    ws.row_dimensions[header_row].height = LINE_POINTS * lines  # the wrapped headers show
    ws.freeze_panes = f"{get_column_letter(sheet.frozen_columns + 1)}{header_row + 1}"
    bold = Font(bold=True)
    for line in sheet.heading:
        ws.append([_cell(ws, value, _format_of(value, date_format)) for value in line])
    if sheet.heading:
        ws.append([])
    header = []
    for column in sheet.columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    ws.append(header)
    for row in sheet.rows:
        ws.append([_cell(ws, value, formats[i]) for i, value in enumerate(row)])
    last = f"{get_column_letter(len(sheet.columns))}{header_row + len(sheet.rows)}"
    ws.auto_filter.ref = f"A{header_row}:{last}"


def _cell(ws: Worksheet, value: Value, number_format: str) -> Cell | None:
    if value is None:
        return None
    if isinstance(value, Fraction | Decimal):
        value = float(value)
    elif isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(ws)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would take "=…" for a formula
    elif number_format != "General":
        cell.number_format = number_format
    return cell


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


def _widths(sheet: Sheet, formats: Sequence[str]) -> list[float]:
    """Return each column's width: its longest value, its header up to HEADER_WRAP."""
    widths = []
    for index, column in enumerate(sheet.columns):
        longest_word = max((len(w) for w in column.header.split()), default=0)
        longest = max(min(len(column.header), HEADER_WRAP), longest_word)
        for row in sheet.rows:
            if index < len(row):
                longest = max(longest, _shown_length(row[index], formats[index]))
        widths.append(float(min(MAX_WIDTH, max(MIN_WIDTH, math.ceil(longest * 1.1) + 2))))
    return widths


def _shown_length(value: Value, number_format: str) -> int:
    """Return about how many characters Excel shows for a value in a cell."""
    if value is None:
        return 0
    if isinstance(value, str):
        return len(unicodedata.normalize("NFC", value))
    if isinstance(value, bool):
        return 5
    if isinstance(value, date):  # a datetime too: as long as its format
        return len(number_format)
    if number_format.endswith("%"):
        return 6
    if isinstance(value, int):
        return len(f"{value:,}")
    return len(f"{float(value):,.2f}")


def _sheet_title(title: str) -> str:
    """Return a title Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in title)
    return cleaned[:SHEET_TITLE_CHARACTERS].strip() or "Sheet"
