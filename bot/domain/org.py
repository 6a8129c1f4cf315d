"""The org tree, roles and the parsing of an org CSV: pure values and checks."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.meetings import expected_members


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
class User:
    id: int
    channel: str
    user_key: str
    locale: str | None
    grants: tuple[Grant, ...]

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


class OrgCsvError(ValueError):
    def __init__(self, line: int, problem: str):
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


ORG_CSV_HEADER = ("path", "code", "full_members", "probationary_members", "exempt_members")
MAX_CODE_LENGTH = 20


def parse_org_csv(text: str) -> list[CellRow]:
    """Parse and check a whole org CSV; raise OrgCsvError at the first bad line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))  # Excel writes a BOM
    rows = list(reader)
    if not rows or tuple(c.strip() for c in rows[0]) != ORG_CSV_HEADER:
        raise OrgCsvError(1, "the header must be " + ",".join(ORG_CSV_HEADER))
    cells: list[CellRow] = []
    codes: dict[str, int] = {}
    paths: dict[tuple[str, ...], int] = {}
    for line, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        if len(raw) != len(ORG_CSV_HEADER):
            raise OrgCsvError(line, f"expected {len(ORG_CSV_HEADER)} columns, found {len(raw)}")
        path = tuple(part.strip() for part in raw[0].split("/"))
        if len(path) < 2 or not all(path):
            raise OrgCsvError(line, "path needs at least a unit and a cell, separated by /")
        code = raw[1].strip().upper()
        allowed = all(c.isalnum() or c in "-_" for c in code)
        if not code or len(code) > MAX_CODE_LENGTH or not allowed:
            raise OrgCsvError(line, "code must be 1-20 letters, digits, - or _")
        counts = []
        for name, value in zip(ORG_CSV_HEADER[2:], raw[2:], strict=True):
            value = value.strip()
            if not (value.isascii() and value.isdigit()) or int(value) > 10_000:
                raise OrgCsvError(line, f"{name} must be a whole number from 0 to 10000")
            counts.append(int(value))
        if code in codes:
            raise OrgCsvError(line, f"code {code} already used on line {codes[code]}")
        if path in paths:
            raise OrgCsvError(line, f"the same cell path is already on line {paths[path]}")
        codes[code] = line
        paths[path] = line
        cells.append(CellRow(line, path, code, counts[0], counts[1], counts[2]))
    if not cells:
        raise OrgCsvError(2, "the file has no cells")
    return cells
