"""Annual quality ratings (DOMAIN.md §3): the schemes, the checks of a loaded row, headlines.

A rating is a human decision of the upper standing committee: the bot never computes one. It
stores the decided ratings of each cell (its level and how many of its members got each class)
and turns them into the figures a district report gives: the share of cells clean and strong,
exemplary and weak, and of members good or better and in breach.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from typing import Any

from bot.domain.rulebook import Rulebook, RulebookError
from bot.domain.words import fold


class Scheme(StrEnum):
    Y2015 = "2015"  # HD 27-HD/BTCTW (2014): TSVM (tiêu biểu), HTT, HT, yếu kém
    Y2018 = "2018"  # QĐ 132 (2018), QĐ 124 (2023): HTXS, HTT, HT, KHTNV
    Y2025 = "2025"  # QĐ 366 + HD 43 (2025): the same four levels, scored out of 100


FOUR_LEVELS = ("htxs", "htt", "ht", "khtnv")


@dataclass(frozen=True)
class SchemeTerms:
    """The levels of a scheme, best first, and which of them each headline figure counts."""

    levels: tuple[str, ...]
    clean_and_strong: frozenset[str]  # the headline's first share
    exemplary: frozenset[str]  # the part of it in brackets
    weak: frozenset[str]
    scored: bool = False  # rows may carry a score out of 100

    @property
    def four_levels(self) -> bool:
        return self.levels == FOUR_LEVELS


TERMS = {
    Scheme.Y2015: SchemeTerms(
        ("tsvm_tieu_bieu", "tsvm", "htt", "ht", "yeu_kem"),
        clean_and_strong=frozenset({"tsvm_tieu_bieu", "tsvm"}),
        exemplary=frozenset({"tsvm_tieu_bieu"}),
        weak=frozenset({"yeu_kem"}),
    ),
    # TSVM became a commendation whose pool is the HTXS cells (DOMAIN.md §3.2).
    Scheme.Y2018: SchemeTerms(
        FOUR_LEVELS, frozenset({"htxs", "htt"}), frozenset({"htxs"}), frozenset({"khtnv"})
    ),
    Scheme.Y2025: SchemeTerms(
        FOUR_LEVELS, frozenset({"htxs", "htt"}), frozenset({"htxs"}), frozenset({"khtnv"}),
        scored=True,
    ),
}

# A level as a decision or a district's sheet writes it, folded, without "nhiệm vụ" (duty):
# "Hoàn thành tốt nhiệm vụ", "HTT", "H.T.T" and "htt" are one level.
LEVEL_NAMES = {
    "hoan thanh xuat sac": "htxs",
    "hoan thanh tot": "htt",
    "hoan thanh": "ht",
    "khong hoan thanh": "khtnv",
    "trong sach vung manh tieu bieu": "tsvm_tieu_bieu",
    "tsvm tieu bieu": "tsvm_tieu_bieu",
    "trong sach vung manh": "tsvm",
    "yeu kem": "yeu_kem",
}


_LEVEL_PUNCTUATION = re.compile(r"[.,;_\-]")


def level_key(written: str) -> str:
    """Return the level key of a level written as its key, its initials or its full name."""
    words = " ".join(_LEVEL_PUNCTUATION.sub(" ", fold(written)).split())
    words = words.removesuffix(" nhiem vu")
    return LEVEL_NAMES.get(words, words.replace(" ", ""))  # "h t x s": initials with dots


# Columns of a ratings file; `score` may be left out.
REQUIRED_COLUMNS = (
    "code", "year", "scheme", "rating", "members_rated", "members_excellent", "members_good",
    "members_satisfactory", "members_failed",
)
OPTIONAL_COLUMNS = ("score",)
MAX_MEMBERS = 10_000
FIRST_YEAR = 1990


@dataclass(frozen=True)
class Members:
    """How many of a cell's members were rated, and how many got each class."""

    rated: int
    excellent: int
    good: int
    satisfactory: int
    failed: int  # in breach of member standards, or not completing their tasks

    @property
    def good_or_better(self) -> int:
        return self.excellent + self.good

    @property
    def classified(self) -> int:
        return self.excellent + self.good + self.satisfactory + self.failed


@dataclass(frozen=True)
class RatingRow:
    """One cell's rating for one year, as loaded from a file (types checked)."""

    line: int
    code: str
    year: int
    scheme: Scheme
    level: str
    members: Members
    score: Decimal | None = None


@dataclass(frozen=True)
class Finding:
    """A problem (or a warning) about one line of a file: a stable code and its values."""

    line: int
    code: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RatingRules:
    """The rating rules of one year: its schemes, the member quota, the score bands."""

    schemes: tuple[Scheme, ...]
    excellent_quota: Fraction  # excellent members ≤ this share of those rated good
    bands: tuple[tuple[Decimal, str], ...]  # (lowest score, level), highest band first


def rules_for_year(rulebook: Rulebook, year: int) -> RatingRules:
    """Return the rules a year is rated by: the era in force on its 31 December."""
    values = rulebook.section("ratings", date(year, 12, 31))
    try:
        schemes = tuple(Scheme(str(s)) for s in values["schemes"])
        quota = Fraction(str(values["excellent_quota"]))
    except (KeyError, ValueError) as exc:
        raise RulebookError(f"[[ratings]] needs schemes and excellent_quota ({exc})") from exc
    band_keys = (("score_excellent", "htxs"), ("score_good", "htt"),
                 ("score_satisfactory", "ht"))
    bands = tuple((Decimal(str(values[key])), level) for key, level in band_keys
                  if key in values)
    return RatingRules(schemes, quota, bands)


def level_of_score(score: Decimal, rules: RatingRules) -> str:
    """Return the level a score falls in (QĐ 366: ≥ 90, 70 to < 90, 50 to < 70, < 50)."""
    for lowest, level in rules.bands:
        if score >= lowest:
            return level
    return "khtnv"


def excellent_allowed(good: int, rules: RatingRules) -> int:
    """Return how many members may be rated excellent: the quota of those rated good."""
    return int(rules.excellent_quota * good)  # rounded down: 10 good allow 2, 9 allow 1


# Reading a file's rows --------------------------------------------------------------------


def _whole(text: str) -> int | None:
    text = text.strip()
    if text.endswith(".0"):  # a spreadsheet's number cell
        text = text[:-2]
    return int(text) if text.isascii() and text.isdigit() else None


def _decimal(text: str) -> Decimal | None:
    text = text.strip().replace(",", ".")  # "89,9" as a Vietnamese spreadsheet writes it
    if not re.fullmatch(r"\d{1,3}(\.\d+)?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def read_header(header: Sequence[str]) -> tuple[dict[str, int], list[Finding]]:
    """Map each column name to its position; say what is missing or unknown."""
    names = [cell.strip().lower() for cell in header]
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    findings: list[Finding] = []
    unknown = [n for n in names if n and n not in known]
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if missing or unknown or repeated:
        findings.append(Finding(1, "header", {
            "expected": ",".join(REQUIRED_COLUMNS),
            "missing": ", ".join(missing),
            "unknown": ", ".join(unknown + repeated),
        }))
    return {n: i for i, n in enumerate(names) if n}, findings


def parse_rows(
    table: Sequence[tuple[int, Sequence[str]]],
) -> tuple[list[RatingRow], list[Finding]]:
    """Turn a file's lines (line number, cells) into rows; every bad line gets a finding."""
    if not table:
        return [], [Finding(1, "empty")]
    columns, findings = read_header(table[0][1])
    if findings:
        return [], findings
    rows: list[RatingRow] = []
    for line, cells in table[1:]:
        if not any(c.strip() for c in cells):
            continue
        row, problems = _parse_row(line, cells, columns)
        findings += problems
        if row is not None:
            rows.append(row)
    if not rows and not findings:
        findings.append(Finding(2, "no_rows"))
    return rows, findings


def _parse_row(
    line: int, cells: Sequence[str], columns: Mapping[str, int]
) -> tuple[RatingRow | None, list[Finding]]:
    def cell(name: str) -> str:
        at = columns.get(name)
        return cells[at].strip() if at is not None and at < len(cells) else ""

    problems: list[Finding] = []
    code = cell("code").upper()
    if not code:
        problems.append(Finding(line, "no_code"))
    year = _whole(cell("year"))
    if year is None or year < FIRST_YEAR:
        problems.append(Finding(line, "year", {"value": cell("year")}))
    try:
        scheme: Scheme | None = Scheme(cell("scheme").removesuffix(".0"))
    except ValueError:
        scheme = None
        problems.append(Finding(line, "scheme", {
            "value": cell("scheme"), "schemes": ", ".join(s.value for s in Scheme),
        }))
    level = level_key(cell("rating"))
    if scheme is not None and level not in TERMS[scheme].levels:
        problems.append(Finding(line, "level", {
            "value": cell("rating"), "scheme": scheme.value,
            "levels": ", ".join(TERMS[scheme].levels),
        }))
    counts: list[int] = []
    for name in REQUIRED_COLUMNS[4:]:
        value = _whole(cell(name))
        if value is None or value > MAX_MEMBERS:
            problems.append(Finding(line, "count", {"column": name, "value": cell(name),
                                                    "most": MAX_MEMBERS}))
        else:
            counts.append(value)
    score = None
    if cell("score"):
        score = _decimal(cell("score"))
        if score is None or score > 100:
            problems.append(Finding(line, "score", {"value": cell("score")}))
        elif scheme is not None and not TERMS[scheme].scored:
            problems.append(Finding(line, "score_unused", {"scheme": scheme.value}))
    if problems:
        return None, problems
    assert year is not None and scheme is not None
    return RatingRow(line, code, year, scheme, level, Members(*counts), score), []


# Checking rows against the org and the rules ------------------------------------------------


@dataclass(frozen=True)
class CellFacts:
    """What the checks need to know about the cell a code names."""

    id: int
    code: str
    is_cell: bool
    ratable: int  # members on the roll who can be rated (exempt members are not)
    in_scope: bool  # within the area of the person loading the file


@dataclass(frozen=True)
class Checked:
    errors: list[Finding]  # any of these: nothing from the file is saved
    warnings: list[Finding]  # shown, but the rows are saved


def check_rows(
    rows: Sequence[RatingRow],
    cells: Mapping[str, CellFacts],
    rules_for: Callable[[int], RatingRules],
    this_year: int,
) -> Checked:
    """Check every row: the cell, the year's scheme, the member counts, the quota, the score."""
    errors: list[Finding] = []
    warnings: list[Finding] = []
    seen: dict[tuple[str, int], int] = {}
    for row in rows:
        facts = cells.get(row.code)
        if facts is None:
            errors.append(Finding(row.line, "unknown_cell", {"code": row.code}))
        elif not facts.is_cell:
            errors.append(Finding(row.line, "not_a_cell", {"code": row.code}))
        elif not facts.in_scope:
            errors.append(Finding(row.line, "out_of_scope", {"code": row.code}))
        if row.year > this_year:
            errors.append(Finding(row.line, "future_year", {"year": row.year}))
            continue
        if (row.code, row.year) in seen:
            errors.append(Finding(row.line, "duplicate", {
                "code": row.code, "year": row.year, "other": seen[(row.code, row.year)],
            }))
        seen.setdefault((row.code, row.year), row.line)
        rules = rules_for(row.year)
        if row.scheme not in rules.schemes:
            errors.append(Finding(row.line, "scheme_for_year", {
                "year": row.year, "scheme": row.scheme.value,
                "schemes": ", ".join(s.value for s in rules.schemes),
            }))
        members = row.members
        if members.classified != members.rated:
            errors.append(Finding(row.line, "classes_sum", {
                "sum": members.classified, "rated": members.rated,
            }))
        if facts is not None and facts.is_cell and members.rated > facts.ratable:
            errors.append(Finding(row.line, "above_roll", {
                "rated": members.rated, "roll": facts.ratable, "code": row.code,
            }))
        allowed = excellent_allowed(members.good, rules)
        if members.excellent > allowed:
            warnings.append(Finding(row.line, "quota", {
                "excellent": members.excellent, "good": members.good, "allowed": allowed,
                "quota": rules.excellent_quota,
            }))
        if row.score is not None and rules.bands:
            banded = level_of_score(row.score, rules)
            # KHTNV may also follow from a disqualifying violation, whatever the score.
            if banded != row.level and row.level != "khtnv":
                warnings.append(Finding(row.line, "score_band", {
                    "score": row.score, "level": row.level, "banded": banded,
                }))
    return Checked(errors, warnings)


# Headline figures -------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelCount:
    """How many cells of a group got one level of one scheme, with their members' sums."""

    group_id: int | None  # the commune (child unit of the scope); None for cells right under it
    scheme: Scheme
    level: str
    cells: int
    members: Members


@dataclass(frozen=True)
class Tally:
    """The counts behind a headline: rated cells per figure, rated members per figure."""

    cells: int
    clean_and_strong: int
    exemplary: int
    weak: int
    members_rated: int
    good_or_better: int
    failed: int
    by_level: tuple[tuple[Scheme, str, int], ...]  # each level's cells, best first
    schemes: frozenset[Scheme]

    @property
    def four_levels(self) -> bool:
        """Tell whether the figures follow the four-level schemes (2018 on), not 2015's."""
        return any(TERMS[s].four_levels for s in self.schemes)


def tally(counts: Iterable[LevelCount]) -> Tally:
    """Add up level counts (of a scope or of one commune) into headline counts."""
    counts = list(counts)
    by_level: dict[tuple[Scheme, str], int] = {}
    cells = clean = exemplary = weak = rated = good = failed = 0
    for count in counts:
        terms = TERMS[count.scheme]
        cells += count.cells
        clean += count.cells if count.level in terms.clean_and_strong else 0
        exemplary += count.cells if count.level in terms.exemplary else 0
        weak += count.cells if count.level in terms.weak else 0
        rated += count.members.rated
        good += count.members.good_or_better
        failed += count.members.failed
        key = (count.scheme, count.level)
        by_level[key] = by_level.get(key, 0) + count.cells
    schemes = frozenset(c.scheme for c in counts)
    ordered = tuple(
        (scheme, level, by_level.get((scheme, level), 0))
        for scheme in Scheme if scheme in schemes
        for level in TERMS[scheme].levels
    )
    return Tally(cells, clean, exemplary, weak, rated, good, failed, ordered, schemes)


def share(part: int, whole: int) -> Fraction | None:
    """Return part / whole, or None when there is nothing to divide."""
    return Fraction(part, whole) if whole else None


PERCENT_PLACES = 2  # 0.32 % of members in breach must not read as 0.3 %


def rounded(value: Fraction) -> Decimal:
    """Round a share to two decimals of a percent, half up (1/3 → 0.3333, i.e. 33.33 %)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-(PERCENT_PLACES + 2)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Figures:
    """A tally's shares: of rated cells, of rated members; exemplary also of clean cells."""

    tally: Tally
    clean_and_strong: Fraction | None
    exemplary: Fraction | None
    exemplary_of_clean: Fraction | None
    weak: Fraction | None
    good_or_better: Fraction | None
    failed: Fraction | None


def figures(counts: Tally) -> Figures:
    return Figures(
        counts,
        clean_and_strong=share(counts.clean_and_strong, counts.cells),
        exemplary=share(counts.exemplary, counts.cells),
        exemplary_of_clean=share(counts.exemplary, counts.clean_and_strong),
        weak=share(counts.weak, counts.cells),
        good_or_better=share(counts.good_or_better, counts.members_rated),
        failed=share(counts.failed, counts.members_rated),
    )


@dataclass(frozen=True)
class Change:
    """How each headline share moved from the year before, in percentage points."""

    clean_and_strong: Decimal | None
    exemplary: Decimal | None
    good_or_better: Decimal | None
    failed: Decimal | None
    same_schemes: bool  # False: the two years were rated under different schemes


def points(now: Fraction | None, before: Fraction | None) -> Decimal | None:
    """Return the change of a share in percentage points (two decimals), if both exist."""
    if now is None or before is None:
        return None
    return rounded(now - before) * 100 + 0  # + 0 turns -0 into 0


def change(now: Figures, before: Figures) -> Change:
    return Change(
        points(now.clean_and_strong, before.clean_and_strong),
        points(now.exemplary, before.exemplary),
        points(now.good_or_better, before.good_or_better),
        points(now.failed, before.failed),
        same_schemes=now.tally.schemes == before.tally.schemes,
    )


@dataclass(frozen=True)
class Headline:
    """A year's figures for a scope, per commune, and the change from the year before."""

    year: int
    cells_in_scope: int
    figures: Figures
    communes: tuple[tuple[int, Figures], ...]  # (group id, its figures), in the order given
    change: Change | None


def headline(
    year: int,
    counts: Sequence[LevelCount],
    cells_in_scope: int,
    previous: Sequence[LevelCount] = (),
    group_order: Sequence[int] = (),
) -> Headline | None:
    """Return the year's headline, or None when no cell of the scope was rated that year."""
    if not counts:
        return None
    now = figures(tally(counts))
    groups = [g for g in group_order if any(c.group_id == g for c in counts)]
    communes = tuple(
        (g, figures(tally(c for c in counts if c.group_id == g))) for g in groups
    )
    before = change(now, figures(tally(previous))) if previous else None
    return Headline(year, cells_in_scope, now, communes, before)
