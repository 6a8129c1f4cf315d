"""Annual ratings: the schemes of each year, the checks of a loaded row, the headline figures."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from bot.domain.ratings import (
    CellFacts,
    LevelCount,
    Members,
    RatingRow,
    Scheme,
    check_rows,
    excellent_allowed,
    headline,
    level_key,
    level_of_score,
    parse_rows,
    points,
    rounded,
    rules_for_year,
)
from bot.domain.rulebook import Rulebook

RULES = Rulebook.default()
HEADER = ("code,year,scheme,rating,members_rated,members_excellent,members_good,"
          "members_satisfactory,members_failed")


def table(*lines: str) -> list[tuple[int, list[str]]]:
    return [(n, line.split(",")) for n, line in enumerate(lines, start=1)]


def codes(findings: Any) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in findings]


# Which scheme a year is rated under ----------------------------------------------------------


@pytest.mark.parametrize(("year", "schemes"), [
    (2015, (Scheme.Y2015,)),  # the article's year: HD 27-2014
    (2017, (Scheme.Y2015,)),  # QĐ 132 came in March 2018
    (2018, (Scheme.Y2018,)),  # the first year of four levels
    (2023, (Scheme.Y2018,)),  # QĐ 124-2023 keeps the four levels
    (2024, (Scheme.Y2018,)),  # the last year before QĐ 366
    (2025, (Scheme.Y2025,)),  # QĐ 366 (30-8-2025) applies to the 2025 rating
    (2010, (Scheme.Y2015,)),  # before the first era: the oldest rules we know
])
def test_each_year_is_rated_under_the_scheme_in_force_on_its_last_day(
    year: int, schemes: tuple[Scheme, ...]
) -> None:
    assert rules_for_year(RULES, year).schemes == schemes


def test_the_quota_is_a_fifth_of_the_members_rated_good_in_every_era() -> None:
    assert {rules_for_year(RULES, y).excellent_quota for y in (2015, 2020, 2025)} == {
        Fraction(1, 5)
    }


@pytest.mark.parametrize(("score", "level"), [
    ("100", "htxs"),  # the top of the scale
    ("90", "htxs"),  # exactly 90 is excellent (DOMAIN.md §9.21)
    ("89.9", "htt"),  # just below 90 is good
    ("70", "htt"),  # the lowest good score
    ("69.99", "ht"),  # just below 70 is satisfactory
    ("50", "ht"),  # the lowest satisfactory score
    ("49.9", "khtnv"),  # below 50 does not complete the tasks
    ("0", "khtnv"),  # the bottom of the scale
])
def test_a_2025_score_falls_in_the_band_of_its_level(score: str, level: str) -> None:
    assert level_of_score(Decimal(score), rules_for_year(RULES, 2025)) == level


@pytest.mark.parametrize(("good", "allowed"), [
    (10, 2),  # 10 rated good allow 2 excellent (DOMAIN.md §9.22)
    (9, 1),  # 1.8 rounds down
    (5, 1),  # exactly a fifth
    (4, 0),  # 0.8 allows none
    (0, 0),  # nobody rated good: nobody excellent
])
def test_the_excellent_members_allowed_are_a_fifth_of_the_good_rounded_down(
    good: int, allowed: int
) -> None:
    assert excellent_allowed(good, rules_for_year(RULES, 2020)) == allowed


# Reading rows ---------------------------------------------------------------------------------


def test_a_good_row_is_read_with_its_counts_and_optional_score() -> None:
    rows, findings = parse_rows(table(
        HEADER + ",score",
        "tl-01,2025,2025,HTXS,20,3,15,2,0,92.5",  # lower-case code and upper-case level
        "TL-02,2025,2025,htt,12,1,9,2,0,",  # the score left empty
    ))
    assert findings == []
    assert rows == [
        RatingRow(2, "TL-01", 2025, Scheme.Y2025, "htxs", Members(20, 3, 15, 2, 0),
                  Decimal("92.5")),
        RatingRow(3, "TL-02", 2025, Scheme.Y2025, "htt", Members(12, 1, 9, 2, 0), None),
    ]


def test_columns_may_come_in_any_order_and_a_score_may_use_a_decimal_comma() -> None:
    rows, findings = parse_rows([
        (1, ["Year", "Code", "Scheme", "Rating", "Score", "members_rated", "members_excellent",
             "members_good", "members_satisfactory", "members_failed"]),
        (2, ["2025", "TL-01", "2025", "htt", "89,9", "10", "0", "10", "0", "0"]),
    ])
    assert findings == []
    assert (rows[0].code, rows[0].score) == ("TL-01", Decimal("89.9"))


def test_numbers_from_a_spreadsheet_cell_read_as_whole_numbers() -> None:
    rows, findings = parse_rows(table(HEADER, "TL-01,2015.0,2015.0,tsvm,10.0,1,8,1,0"))
    assert findings == []
    assert (rows[0].year, rows[0].scheme, rows[0].members.rated) == (2015, Scheme.Y2015, 10)


@pytest.mark.parametrize(("header", "missing", "unknown"), [
    ("code,year,scheme,rating", "members_rated, members_excellent, members_good, "
     "members_satisfactory, members_failed", ""),  # the member columns left out
    (HEADER + ",scor", "", "scor"),  # a misspelt column
    (HEADER + ",code", "", "code"),  # a column twice
])
def test_a_bad_header_is_reported_on_line_one_and_no_row_is_read(
    header: str, missing: str, unknown: str
) -> None:
    rows, findings = parse_rows(table(header, "TL-01,2015,2015,tsvm,10,1,8,1,0"))
    assert rows == []
    assert codes(findings) == [(1, "header")]
    assert (findings[0].values["missing"], findings[0].values["unknown"]) == (missing, unknown)


@pytest.mark.parametrize(("written", "key"), [
    ("htt", "htt"),  # the key itself
    ("HTXS", "htxs"),  # initials in capitals, as decisions write them
    ("H.T.X.S", "htxs"),  # initials with dots
    ("Hoàn thành tốt nhiệm vụ", "htt"),  # the full name of the level
    ("hoan thanh xuat sac nhiem vu", "htxs"),  # typed without diacritics
    ("Hoàn thành nhiệm vụ", "ht"),
    ("Không hoàn thành nhiệm vụ", "khtnv"),
    ("Không hoàn thành", "khtnv"),  # without "nhiệm vụ"
    ("Trong sạch, vững mạnh", "tsvm"),  # 2015's level, with the comma it is often written
    ("TSVM tiêu biểu", "tsvm_tieu_bieu"),
    ("tsvm_tieu_bieu", "tsvm_tieu_bieu"),  # the key with underscores
    ("Yếu kém", "yeu_kem"),
    ("khá", "kha"),  # not a level: left for the scheme's check to refuse
])
def test_a_level_is_read_as_its_key_its_initials_or_its_name(written: str, key: str) -> None:
    assert level_key(written) == key


def test_a_level_written_in_full_is_read_in_a_file() -> None:
    rows, findings = parse_rows(table(
        HEADER, "TL-01,2025,2025,Hoàn thành xuất sắc nhiệm vụ,20,3,15,2,0",
    ))
    assert findings == [] and [r.level for r in rows] == ["htxs"]


def test_an_empty_file_and_a_file_with_only_a_header_are_reported() -> None:
    assert codes(parse_rows([])[1]) == [(1, "empty")]
    assert codes(parse_rows(table(HEADER, ",,,,,,,,"))[1]) == [(2, "no_rows")]


def test_every_bad_value_of_every_line_is_reported_with_its_line() -> None:
    rows, findings = parse_rows(table(
        HEADER + ",score",
        ",2015,2015,tsvm,10,1,8,1,0,",  # no code
        "TL-01,15,2015,tsvm,10,1,8,1,0,",  # a two-digit year
        "TL-01,2015,2016,tsvm,10,1,8,1,0,",  # no such scheme
        "TL-01,2015,2015,htxs,10,1,8,1,0,",  # a 2018 level in the 2015 scheme
        "TL-01,2015,2015,tsvm,ten,1,8,1,0,",  # a word for a count
        "TL-01,2015,2015,tsvm,10,-1,8,1,0,",  # a negative count
        "TL-01,2015,2015,tsvm,10001,1,8,1,0,",  # more members than any cell has
        "TL-01,2025,2025,htt,10,1,8,1,0,101",  # a score above 100
        "TL-01,2025,2025,htt,10,1,8,1,0,good",  # a word for a score
        "TL-01,2020,2018,htt,10,1,8,1,0,80",  # a score in a scheme without scores
        "TL-01,2015,2015,tsvm,10,1,8,1,0,",  # a good line among them
    ))
    assert codes(findings) == [
        (2, "no_code"), (3, "year"), (4, "scheme"), (5, "level"), (6, "count"), (7, "count"),
        (8, "count"), (9, "score"), (10, "score"), (11, "score_unused"),
    ]
    assert [r.line for r in rows] == [12]
    assert findings[4].values["column"] == "members_rated"


# Checking rows against the cells and the rules -------------------------------------------------

CELLS = {
    "TL-01": CellFacts(1, "TL-01", True, ratable=20, in_scope=True),
    "TL-02": CellFacts(2, "TL-02", True, ratable=12, in_scope=True),
    "XA-01": CellFacts(3, "XA-01", True, ratable=30, in_scope=False),
    "TL": CellFacts(4, "TL", False, ratable=0, in_scope=True),
}


SOUND = Members(10, 1, 8, 1, 0)


def row(line: int, code: str = "TL-01", year: int = 2015, scheme: Scheme = Scheme.Y2015,
        level: str = "tsvm", members: Members = SOUND,
        score: str | None = None) -> RatingRow:
    return RatingRow(line, code, year, scheme, level, members,
                     Decimal(score) if score is not None else None)


def check(*rows: RatingRow) -> Any:
    return check_rows(rows, CELLS, lambda year: rules_for_year(RULES, year), this_year=2026)


def test_sound_rows_pass_without_errors_or_warnings() -> None:
    checked = check(row(2), row(3, "TL-02", 2025, Scheme.Y2025, "htxs",
                                Members(12, 2, 10, 0, 0), "90"))
    assert (checked.errors, checked.warnings) == ([], [])


def test_every_kind_of_bad_row_is_an_error_with_its_line() -> None:
    checked = check(
        row(2, code="ZZ-99"),  # no cell has this code
        row(3, code="TL"),  # the code of a commune, not of a cell
        row(4, code="XA-01"),  # a cell outside the uploader's area
        row(5, year=2027),  # a year still to come
        row(6, year=2019),  # 2019 was rated under the 2018 scheme
        row(7, year=2016, members=Members(10, 1, 8, 0, 0)),  # the classes add up to 9, not 10
        row(8, code="TL-02", members=Members(13, 1, 10, 2, 0)),  # 13 rated, 12 on the roll
        row(9),  # a sound row for TL-01 2015 ...
        row(10),  # ... and the same cell and year again
    )
    assert codes(checked.errors) == [
        (2, "unknown_cell"), (3, "not_a_cell"), (4, "out_of_scope"), (5, "future_year"),
        (6, "scheme_for_year"), (7, "classes_sum"), (8, "above_roll"), (10, "duplicate"),
    ]
    assert checked.errors[-1].values["other"] == 9  # where TL-01 2015 came first
    assert checked.errors[4].values["schemes"] == "2018"


def test_too_many_excellent_members_is_only_a_warning() -> None:
    checked = check(
        row(2, members=Members(13, 3, 10, 0, 0)),  # 3 excellent, 10 good: 2 allowed
        row(3, code="TL-02", members=Members(12, 2, 10, 0, 0)),  # exactly the quota
    )
    assert checked.errors == []
    assert codes(checked.warnings) == [(2, "quota")]
    assert checked.warnings[0].values["allowed"] == 2


@pytest.mark.parametrize(("level", "score", "warned"), [
    ("htxs", "90", False),  # in its band
    ("htxs", "89.9", True),  # excellent with a good score
    ("htt", "95", True),  # good with an excellent score (the extra conditions may be unmet)
    ("ht", "50", False),  # the bottom of the satisfactory band
    ("khtnv", "75", False),  # a disqualifying violation: any score
    ("khtnv", "10", False),  # in its band
])
def test_a_2025_score_outside_its_levels_band_is_a_warning(
    level: str, score: str, warned: bool
) -> None:
    checked = check(row(2, year=2025, scheme=Scheme.Y2025, level=level, score=score))
    assert checked.errors == []
    assert codes(checked.warnings) == ([(2, "score_band")] if warned else [])


# Headline figures ---------------------------------------------------------------------------


def level(cells: int, level: str, members: Members, scheme: Scheme = Scheme.Y2015,
          group: int | None = 1) -> LevelCount:
    return LevelCount(group, scheme, level, cells, members)


# The article's 2015 district (DOMAIN.md §9.24): 20 exemplary and 52 clean and strong cells of
# 100; 2 300 of 2 500 members good or better; 8 in breach.
ARTICLE_2015 = [
    level(20, "tsvm_tieu_bieu", Members(500, 100, 400, 0, 0)),
    level(52, "tsvm", Members(1300, 100, 1100, 100, 0)),
    level(20, "htt", Members(500, 50, 400, 45, 5)),
    level(8, "ht", Members(200, 10, 140, 47, 3)),
]


def test_the_articles_figures_come_out_as_72_20_92_and_0_32_percent() -> None:
    found = headline(2015, ARTICLE_2015, cells_in_scope=100)
    assert found is not None
    f = found.figures
    assert [rounded(s) for s in (f.clean_and_strong, f.exemplary, f.good_or_better, f.failed)
            if s is not None] == [Decimal("0.7200"), Decimal("0.2000"), Decimal("0.9200"),
                                  Decimal("0.0032")]
    assert (f.tally.cells, f.tally.clean_and_strong, f.tally.exemplary) == (100, 72, 20)
    assert (f.tally.members_rated, f.tally.good_or_better, f.tally.failed) == (2500, 2300, 8)
    assert f.weak == 0
    assert f.exemplary_of_clean == Fraction(20, 72)  # the other reading of "tiêu biểu"


def test_the_four_level_schemes_count_htxs_and_htt_as_the_headline_share() -> None:
    found = headline(2020, [
        level(3, "htxs", Members(60, 10, 50, 0, 0), Scheme.Y2018),
        level(5, "htt", Members(100, 10, 80, 10, 0), Scheme.Y2018),
        level(1, "ht", Members(20, 0, 10, 9, 1), Scheme.Y2018),
        level(1, "khtnv", Members(20, 0, 5, 10, 5), Scheme.Y2018),
    ], cells_in_scope=12)
    assert found is not None
    f = found.figures
    assert (f.clean_and_strong, f.exemplary, f.weak) == (Fraction(8, 10), Fraction(3, 10),
                                                         Fraction(1, 10))
    assert (f.good_or_better, f.failed) == (Fraction(165, 200), Fraction(6, 200))
    assert f.tally.four_levels
    assert [n for _, _, n in f.tally.by_level] == [3, 5, 1, 1]


def test_a_year_without_ratings_has_no_headline() -> None:
    assert headline(2016, [], cells_in_scope=100) is None  # cells exist, none rated
    assert headline(2016, [], cells_in_scope=0) is None  # an empty scope


def test_cells_rated_without_members_have_no_member_shares() -> None:
    found = headline(2015, [level(2, "tsvm", Members(0, 0, 0, 0, 0))], cells_in_scope=2)
    assert found is not None
    assert (found.figures.good_or_better, found.figures.failed) == (None, None)
    assert found.figures.clean_and_strong == 1


@pytest.mark.parametrize(("value", "expected"), [
    (Fraction(1, 3), "0.3333"),  # 33.33 %
    (Fraction(2, 3), "0.6667"),  # 66.67 %: half up
    (Fraction(1, 8), "0.1250"),  # 12.5 % exactly
    (Fraction(1, 20000), "0.0001"),  # 0.005 % rounds half up to 0.01 %
    (Fraction(1, 30000), "0.0000"),  # 0.0033 % rounds to 0
    (Fraction(1), "1.0000"),  # everything
])
def test_shares_round_half_up_to_two_decimals_of_a_percent(
    value: Fraction, expected: str
) -> None:
    assert rounded(value) == Decimal(expected)


def test_each_commune_gets_its_own_figures_in_the_order_given() -> None:
    counts = [
        level(3, "tsvm", Members(30, 5, 25, 0, 0), group=7),
        level(1, "yeu_kem", Members(10, 0, 2, 6, 2), group=7),
        level(2, "tsvm_tieu_bieu", Members(20, 4, 16, 0, 0), group=5),
        level(1, "htt", Members(5, 0, 5, 0, 0), group=None),  # a cell right under the scope
    ]
    found = headline(2015, counts, cells_in_scope=8, group_order=[5, 6, 7])
    assert found is not None
    assert [g for g, _ in found.communes] == [5, 7]  # commune 6 has no rating: no line
    by_group = dict(found.communes)
    assert (by_group[7].clean_and_strong, by_group[7].weak) == (Fraction(3, 4), Fraction(1, 4))
    assert by_group[5].exemplary == 1
    assert found.figures.tally.cells == 7


def test_the_change_from_the_year_before_is_in_percentage_points() -> None:
    before = [
        level(60, "tsvm", Members(2000, 200, 1600, 180, 20)),  # 72 % → 60 % a year before
        level(40, "htt", Members(500, 0, 400, 90, 10)),
    ]
    found = headline(2015, ARTICLE_2015, cells_in_scope=100, previous=before)
    assert found is not None and found.change is not None
    c = found.change
    assert (c.clean_and_strong, c.exemplary, c.good_or_better, c.failed) == (
        Decimal("12"), Decimal("20"), Decimal("4"), Decimal("-0.88"),
    )
    assert c.same_schemes


def test_there_is_no_change_without_ratings_the_year_before() -> None:
    found = headline(2015, ARTICLE_2015, cells_in_scope=100)
    assert found is not None and found.change is None


def test_a_change_across_schemes_is_flagged() -> None:
    before = [level(10, "tsvm", Members(100, 10, 80, 10, 0))]
    now = [level(10, "htt", Members(100, 10, 80, 10, 0), Scheme.Y2018)]
    found = headline(2018, now, cells_in_scope=10, previous=before)
    assert found is not None and found.change is not None
    assert found.change.same_schemes is False
    assert found.change.clean_and_strong == 0


@pytest.mark.parametrize(("now", "before", "expected"), [
    (Fraction(72, 100), Fraction(70, 100), "2"),  # two points up
    (Fraction(1, 3), Fraction(2, 3), "-33.33"),  # down a third
    (Fraction(1, 2), Fraction(1, 2), "0"),  # unchanged (not "-0")
    (None, Fraction(1, 2), None),  # nothing to compare
])
def test_points_subtract_two_shares(
    now: Fraction | None, before: Fraction | None, expected: str | None
) -> None:
    assert points(now, before) == (Decimal(expected) if expected is not None else None)
