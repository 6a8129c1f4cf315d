"""Read a table file the way Excel writes one: CSV, semicolon CSV, "Unicode Text", or .xlsx.

Organisers make their files in Excel. Depending on the save option and the Windows region,
Excel writes comma- or semicolon-separated UTF-8 (with a BOM), the ANSI code page (cp1258 on
Vietnamese Windows, with combining accents), or tab-separated UTF-16 ("Unicode Text"). Every
reader of an uploaded file (org tree, ratings) starts here and gets rows of stripped text.

A table is at most MAX_ROWS rows of MAX_COLUMNS columns, and an .xlsx at most
MAX_UNPACKED_BYTES once unpacked: a file sent in chat is small (2 MB), but a zip can hold a
thousand times its size, and an .xlsx can declare a sheet 16,384 columns wide.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zipfile import BadZipFile, ZipFile

from bot.pauses import ROWS_BETWEEN_LOOKS, Pauses

Rows = list[list[str]]
SEPARATORS = (",", ";", "\t")
XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip archive
MAX_ROWS = 200_000  # a country's cells are some 60,000: a longer file is not one of ours
MAX_COLUMNS = 100  # the widest of ours has a dozen
MAX_UNPACKED_BYTES = 200_000_000  # a province's ratings workbook is about 1 MB unpacked


class TableError(ValueError):
    """The file is not a table this module can read; the message says why, in English."""


def read_table_file(path: Path) -> Rows:
    """Read the file at `path` as rows (blocking: call it off the event loop)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TableError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return read_table(data)


def read_table(data: bytes) -> Rows:
    """Turn the bytes of a CSV, TSV or .xlsx file into rows of stripped text (blocking: call
    it off the event loop; it pauses now and then for the loop, bot.pauses)."""
    if data.startswith(XLSX_MAGIC):
        return _xlsx_rows(data)
    text = _decode(data)
    lines = text.splitlines()
    header = next((line for line in lines if line.strip()), "")
    separator = max(SEPARATORS, key=header.count)
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    return _at_most([cell.strip() for cell in row[:MAX_COLUMNS]] for row in reader)


def _at_most(rows: Iterator[list[str]]) -> Rows:
    """Return the rows, or raise TableError past MAX_ROWS."""
    table: Rows = []
    pause = Pauses()
    for row in rows:
        if len(table) == MAX_ROWS:
            raise TableError(f"the file has more than {MAX_ROWS:,} rows")
        table.append(row)
        if not len(table) % ROWS_BETWEEN_LOOKS:
            pause()
    return table


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    elif data.startswith(b"\xef\xbb\xbf"):
        text = data.decode("utf-8-sig")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:  # Excel's "CSV" on Vietnamese Windows: the ANSI code page
                text = data.decode("cp1258")
            except UnicodeDecodeError as exc:
                raise TableError("the file is neither UTF-8, UTF-16 nor cp1258 text") from exc
    if "\x00" in text:
        raise TableError("the file looks binary: save it as CSV or .xlsx")
    # cp1258 writes "ấ" as a + combining marks; the database must see one character.
    return unicodedata.normalize("NFC", text)


def _xlsx_rows(data: bytes) -> Rows:
    from openpyxl import load_workbook  # imported here: only uploads need it

    cannot_open = "the .xlsx file cannot be opened"
    try:
        with ZipFile(io.BytesIO(data)) as archive:  # the sizes it declares: reads stop there
            unpacked = sum(part.file_size for part in archive.infolist())
    except (BadZipFile, OSError, ValueError) as exc:
        raise TableError(cannot_open) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise TableError("the .xlsx file is too large once unpacked")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(cannot_open) from exc
    try:
        sheet = book.worksheets[0]
        # Rows come padded to the width the sheet declares, if it does: cut at ours first.
        declared = sheet.max_column
        width = None if declared is None else min(declared, MAX_COLUMNS)
        return _at_most([_cell_text(value) for value in row[:MAX_COLUMNS]]
                        for row in sheet.iter_rows(values_only=True, max_col=width))
    finally:
        book.close()


def _cell_text(value: object) -> str:
    """Write a cell's value as it was typed: 18 not 18.0, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else \
            value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value)).strip()
