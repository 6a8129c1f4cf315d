"""The org tree through time as values: "nay", stretches of months, merge files, valid_from."""

from __future__ import annotations

from datetime import date

import pytest

from bot.demo import COMMUNES, NEW_COMMUNES, merges
from bot.domain.org import OrgCsvError, parse_file_day, parse_org_rows
from bot.domain.tree import (
    Tree,
    month_stretch,
    overlap,
    parse_merge_rows,
    quarter_stretch,
    split_tree,
)
from bot.tables import read_table

ORG_HEADER = ["path", "code", "full_members", "probationary_members", "exempt_members"]
MERGE_HEADER = ["old_path", "new_path", "on_date"]


@pytest.mark.parametrize(
    ("typed", "rest", "tree"),
    [
        ("2016 nay", "2016", Tree.TODAY),  # the chat's way: /tonghop 2016 nay
        ("2016 hiện nay", "2016", Tree.TODAY),  # two words, with diacritics
        ("Q2/2016 NAY", "Q2/2016", Tree.TODAY),  # any case
        ("2016 today", "2016", Tree.TODAY),  # the English words
        ("nay", "", Tree.TODAY),  # alone: the default period in today's tree
        ("2016", "2016", Tree.THEN),  # nothing after the period: the tree of its days
        ("", "", Tree.THEN),
        ("2016 ngay", "2016 ngay", Tree.THEN),  # a word ending in "nay" letters is not it
    ],
)
def test_a_trailing_nay_asks_for_todays_tree(typed: str, rest: str, tree: Tree) -> None:
    assert split_tree(typed) == (rest, tree)


@pytest.mark.parametrize(
    ("starts", "ends", "months", "quarters"),
    [
        # January to June 2025: six months, two quarters
        (date(2025, 1, 1), date(2025, 7, 1), range(24300, 24306), range(8100, 8102)),
        # from the merger to the year's end: the other six
        (date(2025, 7, 1), date(2026, 1, 1), range(24306, 24312), range(8102, 8104)),
        # an empty stretch owes nothing
        (date(2025, 7, 1), date(2025, 7, 1), range(24306, 24306), range(0)),
    ],
)
def test_a_stretch_owes_its_months_and_quarters(
    starts: date, ends: date, months: range, quarters: range
) -> None:
    assert month_stretch(starts, ends) == months
    assert quarter_stretch(starts, ends) == quarters


def test_ranges_overlap_on_what_they_share() -> None:
    assert overlap(range(3, 9), range(6, 12)) == range(6, 9)
    assert len(overlap(range(0, 3), range(5, 8))) == 0  # apart: nothing in common


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2025-07-01", date(2025, 7, 1)),  # ISO, as Excel's dates are read
        ("1/7/2025", date(2025, 7, 1)),  # day first, as written in Vietnam
        ("01-07-2025", date(2025, 7, 1)),
        ("1.7.2025", date(2025, 7, 1)),
        ("31/2/2025", None),  # no such day
        ("7/2025", None),  # a month is not a day
        ("", None),
    ],
)
def test_days_in_files_are_read_in_the_forms_excel_and_people_write(
    text: str, day: date | None
) -> None:
    assert parse_file_day(text) == day


def test_an_org_file_may_date_each_row_and_leave_the_date_empty() -> None:
    rows = parse_org_rows([
        [*ORG_HEADER, "valid_from"],
        ["Tỉnh Tây Ninh/Xã Tân Lân/Chi bộ ấp Chợ", "TL-03", "12", "0", "0", "1/7/2025"],
        ["Tỉnh Tây Ninh/Xã Tân Lân/Chi bộ ấp Xóm Chùa", "TL-01", "18", "2", "1", ""],
    ])
    assert [r.valid_from for r in rows] == [date(2025, 7, 1), None]  # None: the import day
    assert parse_org_rows([ORG_HEADER, ["X/Ấp 1", "X-01", "9", "0", "0"]])[0].valid_from is None


def test_a_bad_valid_from_is_named_with_its_line() -> None:
    with pytest.raises(OrgCsvError) as error:
        parse_org_rows([[*ORG_HEADER, "valid_from"], ["X/Ấp 1", "X-01", "9", "0", "0", "7/2025"]])
    assert error.value.line == 2 and "valid_from" in error.value.problem


def test_a_merge_file_reads_in_any_column_order_from_excel() -> None:
    text = ("on_date;old_path;new_path\n"
            "01/07/2025;Huyện Cần Đước/Xã Phước Đông;Tỉnh Tây Ninh/Xã Tân Lân\n")
    data = text.encode("utf-8-sig")  # Excel's "CSV UTF-8" where the separator is ";"
    [row] = parse_merge_rows(read_table(data))
    assert row.old == ("Huyện Cần Đước", "Xã Phước Đông")
    assert row.new == ("Tỉnh Tây Ninh", "Xã Tân Lân") and row.on == date(2025, 7, 1)


@pytest.mark.parametrize(
    ("lines", "line", "problem"),
    [
        ([["A/B", "C/D", "2025-13-01"]], 2, "on_date"),  # no such month
        ([["A/B", "A/B/C", "2025-07-01"]], 2, "inside it"),  # into a unit inside itself
        ([["A/B", "A/B", "2025-07-01"]], 2, "itself"),
        ([["A//B", "C/D", "2025-07-01"]], 2, "separated by /"),  # an empty name
        ([["A/B", "C/D", "2025-07-01"], ["A/B", "C/D", "2025-07-01"]], 3, "already on line 2"),
        # a split names two successors on one day, not on two days
        ([["A/B", "C/D", "2025-07-01"], ["A/B", "C/E", "2025-08-01"]], 3, "another day"),
        ([], 2, "no merges"),  # a header alone
    ],
)
def test_a_bad_merge_line_is_named(lines: list[list[str]], line: int, problem: str) -> None:
    with pytest.raises(OrgCsvError) as error:
        parse_merge_rows([MERGE_HEADER, *lines])
    assert error.value.line == line and problem in error.value.problem


def test_a_split_is_one_unit_merged_into_several_on_one_day() -> None:
    rows = parse_merge_rows([MERGE_HEADER, ["A/B", "C/D", "2025-07-01"],
                             ["A/B", "C/E", "2025-07-01"]])
    assert [r.new for r in rows] == [("C", "D"), ("C", "E")]


def test_cần_đước_had_17_communes_that_became_6_each_into_exactly_one() -> None:
    """DOMAIN.md §9.25: TT Cần Đước and 16 xã before 1-7-2025, 6 xã after."""
    old = [name for name, _ in COMMUNES]
    assert len(old) == 17 and sum(name.startswith("Thị trấn") for name in old) == 1
    assert len(NEW_COMMUNES) == 6
    became = [r.old[1] for r in merges() if len(r.old) == 2]
    assert sorted(became) == sorted(old)  # each old commune merges once, none left out
