"""Read a table file as Excel writes it: CSV (comma, semicolon or tab; UTF-8 with or without
BOM, UTF-16 "Unicode Text", or the Vietnamese Windows code page) or an .xlsx workbook.

Each row comes back as (line number, cell texts): the line a person sees in Excel, so an error
can name it. Values are text; a number cell reads as "12" or "89.9", never "12.0".
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from datetime import date, datetime

Row = tuple[int, list[str]]

MAX_ROWS = 20_000  # far more than a province's cells; a bigger file is a mistake
XLSX_MAGIC = b"PK\x03\x04"
DELIMITERS = (",", ";", "\t")


class TableError(ValueError):
    """The file cannot be read as a table at all (not a line-level problem)."""


def read_table(data: bytes, filename: str = "") -> list[Row]:
    """Return the rows of a CSV or .xlsx file given as bytes."""
    if filename.lower().endswith((".xlsx", ".xlsm")) or data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    # Composed letters: code page 1258 (and macOS) write a tone as a separate combining mark.
    return read_csv_text(unicodedata.normalize("NFC", decode(data)))


def decode(data: bytes) -> str:
    """Decode a text file the way Excel may have saved it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:  # "CSV (Comma delimited)" on a Vietnamese Windows: code page 1258
        return data.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise TableError("the file is neither UTF-8, UTF-16 nor Windows-1258 text") from exc


def read_csv_text(text: str) -> list[Row]:
    """Split CSV text into rows, guessing the delimiter from the first line."""
    text = text.lstrip("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(DELIMITERS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[Row] = []
    try:
        for cells in reader:
            if len(rows) >= MAX_ROWS:
                raise TableError(f"the file has more than {MAX_ROWS} lines")
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise TableError(f"line {reader.line_num}: {exc}") from exc
    # A quoted cell spanning lines makes line_num the row's last line; keep the first.
    numbered: list[Row] = []
    previous = 0
    for end, cells in rows:
        numbered.append((previous + 1, cells))
        previous = end
    return numbered


def _read_xlsx(data: bytes) -> list[Row]:
    from openpyxl import load_workbook  # imported here: only an upload needs it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise TableError("the file is not a readable .xlsx workbook") from exc
    try:
        sheet = workbook.worksheets[0]
        rows: list[Row] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS:
                raise TableError(f"the file has more than {MAX_ROWS} lines")
            rows.append((number, [_cell_text(v) for v in values]))
        return rows
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
