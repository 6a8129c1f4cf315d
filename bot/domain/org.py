"""The org tree, roles and the checking of an org table: pure values and checks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain.meetings import exempt_exceeds_roll, expected_members


class Role(StrEnum):
    SECRETARY = "secretary"  # reports for one cell
    STAFF = "staff"  # reads summaries of a subtree (commune or district organisers)
    ADMIN = "admin"  # staff who may also invite people


@dataclass(frozen=True)
class OrgUnit:
    id: int
    parent_id: int | None
    kind: str  # "unit" for a level of the tree, "cell" for a Party cell (a leaf)
    name: str
    code: str | None
    full_members: int = 0
    probationary_members: int = 0
    exempt_members: int = 0
    valid_from: date | None = None  # None: since before the bot
    valid_to: date | None = None  # the first day it no longer exists; None: still open

    def exists_on(self, day: date) -> bool:
        """Tell whether the unit exists on `day` (it was not yet opened, or closed)."""
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_to is None or day < self.valid_to))

    @property
    def expected_members(self) -> int:
        """Return the members expected at a meeting: exempt members are not expected."""
        return expected_members(self.full_members, self.probationary_members,
                                self.exempt_members)


@dataclass(frozen=True)
class Grant:
    role: Role
    unit_id: int


@dataclass(frozen=True)
class EndedGrant:
    """A role on a unit closed since (merged away or no longer in the org file)."""

    role: Role
    unit_id: int
    told: bool  # the holder has been told their access ended with it


@dataclass(frozen=True)
class User:
    id: int
    channel: str
    user_key: str
    locale: str | None
    grants: tuple[Grant, ...]  # roles on units open today: the user's access
    ended: tuple[EndedGrant, ...] = ()

    def has(self, role: Role) -> bool:
        return any(g.role is role for g in self.grants)

    @property
    def secretary_of(self) -> tuple[int, ...]:
        return tuple(g.unit_id for g in self.grants if g.role is Role.SECRETARY)

    @property
    def is_staff(self) -> bool:
        return self.has(Role.STAFF) or self.has(Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.has(Role.ADMIN)


@dataclass(frozen=True)
class CellRow:
    line: int
    path: tuple[str, ...]
    code: str
    full_members: int
    probationary_members: int
    exempt_members: int
    valid_from: date | None = None  # the day of the row's place in the tree; None: today


def N_(message: str) -> str:
    """Mark a msgid for the catalogs (the domain imports nothing of ours, not even i18n)."""
    return message


class OrgCsvError(ValueError):
    """A bad line: `template` is an English msgid with {placeholders}, filled by `values`."""

    def __init__(self, line: int, template: str, **values: object):
        self.line = line
        self.template = template
        self.values = values
        self.problem = template.format(**values)
        super().__init__(f"line {line}: {self.problem}")

    @property
    def problems(self) -> tuple[OrgCsvError, ...]:
        """Return every bad line the error stands for (this one alone)."""
        return (self,)


class OrgCsvErrors(OrgCsvError):
    """Every bad line of a file, by line, reported at once; it reads as the first of them."""

    def __init__(self, errors: Sequence[OrgCsvError]):
        ordered = sorted((p for e in errors for p in e.problems), key=lambda e: e.line)
        first = ordered[0]
        super().__init__(first.line, first.template, **first.values)
        self._all = tuple(ordered)

    @property
    def problems(self) -> tuple[OrgCsvError, ...]:
        return self._all


def raise_all(problems: Sequence[OrgCsvError]) -> None:
    """Raise the problems found (one error for them all), if any."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise OrgCsvErrors(problems)


ORG_CSV_HEADER = ("path", "code", "full_members", "probationary_members", "exempt_members")
VALID_FROM = "valid_from"  # optional: the day the row's place in the tree holds from
MAX_CODE_LENGTH = 20


def table_columns(
    rows: Sequence[Sequence[str]], required: Sequence[str], optional: Sequence[str] = (),
    problems: list[OrgCsvError] | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line, {column: stripped text}) for every non-empty line after the header.

    The columns may come in any order; the header must name every required column and may name
    the optional ones. Raise OrgCsvError for a bad header; a line of the wrong width is added
    to `problems` and left out, or without it raised.
    """
    header = [name.strip().lstrip("\ufeff").lower() for name in rows[0]] if rows else []
    while header and not header[-1]:  # Excel keeps empty columns after the last one
        header.pop()
    extra = sorted(set(header) - set(required))
    if (sorted(h for h in header if h in required) != sorted(required)
            or len(set(header)) != len(header) or not set(extra) <= set(optional)):
        raise OrgCsvError(1, N_("the header must be {header}"), header=",".join(required))
    column = {name: header.index(name) for name in header}
    for line, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        if len(raw) < len(header) or any(c.strip() for c in raw[len(header):]):
            wrong = OrgCsvError(line, N_("expected {expected} columns, found {found}"),
                                expected=len(header), found=len(raw))
            if problems is None:
                raise wrong
            problems.append(wrong)
            continue
        yield line, {name: raw[index].strip() for name, index in column.items()}


_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_file_day(text: str) -> date | None:
    """Read a day written in a file: 2025-07-01 (Excel's dates), 1/7/2025 or 01-07-2025."""
    if match := _ISO.match(text.strip()):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    elif match := _DMY.match(text.strip()):
        day, month, year = int(match[1]), int(match[2]), int(match[3])
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_org_rows(rows: Sequence[Sequence[str]]) -> list[CellRow]:
    """Check a whole org table (header first, any column order); raise every bad line at once
    (OrgCsvErrors, or the one OrgCsvError).

    An optional valid_from column dates each row's place in the tree (empty: the import day).
    """
    cells: list[CellRow] = []
    problems: list[OrgCsvError] = []
    codes: dict[str, int] = {}
    paths: dict[tuple[str, ...], int] = {}
    for line, value in table_columns(rows, ORG_CSV_HEADER, (VALID_FROM,), problems):
        try:
            cell = _cell_row(line, value, codes, paths)
        except OrgCsvError as bad:
            problems.append(bad)
            continue
        codes[cell.code] = line
        paths[path_key(cell.path)] = line
        cells.append(cell)
    raise_all(problems)
    if not cells:
        raise OrgCsvError(2, N_("the file has no cells"))
    return cells


def _cell_row(
    line: int, value: dict[str, str], codes: dict[str, int], paths: dict[tuple[str, ...], int]
) -> CellRow:
    """Read one line of an org table; raise OrgCsvError at what is wrong with it."""
    path = tuple(part.strip() for part in value["path"].split("/"))
    if len(path) < 2 or not all(path):
        raise OrgCsvError(line, N_("path needs at least a unit and a cell, separated by /"))
    code = value["code"].upper()
    allowed = all(c.isalnum() or c in "-_" for c in code)
    if not code or len(code) > MAX_CODE_LENGTH or not allowed:
        raise OrgCsvError(line, N_("code must be 1-20 letters, digits, - or _"))
    counts = []
    for name in ORG_CSV_HEADER[2:]:
        if not (value[name].isascii() and value[name].isdigit()) or int(value[name]) > 10_000:
            raise OrgCsvError(line, N_("{column} must be a whole number from 0 to 10000"),
                              column=name)
        counts.append(int(value[name]))
    full, probationary, exempt = counts
    if exempt_exceeds_roll(full, probationary, exempt):
        raise OrgCsvError(line, N_("exempt_members ({exempt}) is more than the full and "
                                   "probationary members together ({members})"),
                          exempt=exempt, members=full + probationary)
    valid_from = None
    if value.get(VALID_FROM):
        valid_from = parse_file_day(value[VALID_FROM])
        if valid_from is None:
            raise OrgCsvError(line, N_("valid_from must be a day such as 2025-07-01 or "
                                       "1/7/2025, or empty"))
    if code in codes:
        raise OrgCsvError(line, N_("code {code} already used on line {other}"),
                          code=code, other=codes[code])
    if path_key(path) in paths:
        raise OrgCsvError(line, N_("the same cell path is already on line {other}"),
                          other=paths[path_key(path)])
    return CellRow(line, path, code, full, probationary, exempt, valid_from)


def path_key(path: Sequence[str]) -> tuple[str, ...]:
    return tuple(name_key(name) for name in path)


def name_key(name: str) -> str:
    """Return what two names of units are compared by: the same letters and accents, however
    composed (Unicode NFC), upper- or lower-case, and spaced."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())
