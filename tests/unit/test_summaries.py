"""Organisers' summary figures from per-cell sums: shares, communes, missing cells, deadlines."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from fractions import Fraction

import pytest

from bot.domain.periods import Period, PeriodKind
from bot.domain.pipeline import Stage
from bot.domain.rulebook import Rulebook
from bot.domain.summaries import (
    CellActivity,
    CellLine,
    CellSums,
    Figures,
    OpenRecord,
    ScopeCell,
    by_group,
    cell_lines,
    due_days,
    missing_by_group,
    owing,
    probation_lookback,
    recruitment_figures,
    rule_spans,
    summarise,
    thematic_needed,
    top_and_bottom,
    without_thematic_by_group,
)
from bot.i18n import translator
from handlers.summary import percent, ratio

RULES = Rulebook.default()
TODAY = date(2026, 12, 8)  # November's reports were due by 5 December: it is judged
NOVEMBER = Period(PeriodKind.MONTH, 2026, 11)
SEPTEMBER = Period(PeriodKind.MONTH, 2026, 9)
NOV_27 = date(2026, 11, 27)  # the recruitment deadlines' day
YEAR = Period(PeriodKind.YEAR, 2026)
LONG_AGO = date(2020, 1, 1)


def lines_of(period: Period, rows: list[CellSums], today: date = TODAY) -> tuple[CellLine, ...]:
    return cell_lines(owing(period, today, RULES), rows)


def cell(n: int, group: int = 1, tracked: date = LONG_AGO) -> ScopeCell:
    return ScopeCell(n, f"C-{n:02d}", f"Cell {n}", group, f"Commune {group}", tracked)


def reported(regular: int = 1, **sums: int) -> CellActivity:
    return CellActivity(regular_reports=regular, on_time=regular, **sums)


def row(cell: ScopeCell, activity: CellActivity, thematic: tuple[int, ...] = ()) -> CellSums:
    """A cell's sums; `thematic` per quarter of the period (none held when left out)."""
    return CellSums(cell, activity, thematic or (0, 0, 0, 0))


@pytest.mark.parametrize(
    ("reports", "cells", "rate"),
    [
        (2, 25, Fraction(2, 25)),  # the end-to-end commune: 2/25, shown as 8 %
        (0, 3, Fraction(0)),  # nobody reported: 0 %, not a dash
        (0, 0, None),  # an empty scope: 0 of 0 is "nothing to say"
    ],
)
def test_the_reporting_rate_is_reports_over_cell_months_owed(
    reports: int, cells: int, rate: Fraction | None
) -> None:
    rows = [row(cell(n), reported(int(n <= reports))) for n in range(1, cells + 1)]
    nobody = recruitment_figures(0, 0, 0, (), NOV_27, RULES, set())
    summary = summarise(owing(NOVEMBER, TODAY, RULES), rows, nobody)
    assert summary.totals.reporting_rate == rate
    assert summary.totals.missing == cells - reports


@pytest.mark.parametrize(
    ("part", "whole", "en", "vi"),
    [
        (2, 25, "2/25 (8%)", "2/25 (8%)"),  # a whole percentage has no decimal
        (2, 3, "2/3 (66.7%)", "2/3 (66,7%)"),  # one decimal, the locale's separator
        (1, 8, "1/8 (12.5%)", "1/8 (12,5%)"),
        (1999, 2000, "1,999/2,000 (100%)", "1.999/2.000 (100%)"),  # 99.95 % rounds to 100 %
        (0, 0, "—", "—"),  # 0 of 0 is a dash, not 0 %
    ],
)
def test_shares_are_rounded_to_one_decimal_in_the_users_language(
    part: int, whole: int, en: str, vi: str
) -> None:
    assert ratio(translator("en"), part, whole) == en
    assert ratio(translator("vi"), part, whole) == vi


def test_a_share_with_nothing_to_divide_is_a_dash() -> None:
    assert percent(translator("en"), Figures().attendance_rate) == "—"


def test_meetings_of_an_era_without_an_attendance_criterion_are_not_judged_by_one() -> None:
    """Before HD 12-2018 there was no criterion: such meetings count neither way."""
    rows = [row(cell(1), reported(meetings=3, attendance_judged=1, met_attendance=1))]
    totals = Figures.of(lines_of(NOVEMBER, rows))
    assert totals.met_attendance_share == Fraction(1, 1)
    none = Figures.of(lines_of(NOVEMBER, [row(cell(1), reported(meetings=2))]))
    assert none.met_attendance_share is None


def test_a_cell_tracked_from_mid_period_owes_only_its_tracked_months() -> None:
    rows = [
        row(cell(1), reported(regular=10)),  # tracked for years: owes January to November
        row(cell(2, tracked=date(2026, 9, 14)), reported(regular=2)),  # owes September on
    ]
    first, late = lines_of(YEAR, rows)
    assert (first.months_owed, first.months_missing) == (11, 1)  # December is not due yet
    assert (late.months_owed, late.months_missing) == (3, 1)
    assert (late.quarters_owed, first.quarters_owed) == (1, 3)  # Q4 is not due yet
    assert Figures.of([first, late]).reporting_rate == Fraction(12, 14)


def test_attendance_is_the_sum_present_over_the_sum_expected_not_a_mean_of_rates() -> None:
    rows = [
        row(cell(1), reported(meetings=1, present=10, expected=10)),  # 100 %
        row(cell(2), reported(meetings=1, present=5, expected=40)),  # 12.5 %
    ]
    totals = Figures.of(lines_of(NOVEMBER, rows))
    assert totals.attendance_rate == Fraction(15, 50)  # 30 %, not the mean 56.25 %


def test_every_meeting_figure_adds_up_over_the_cells() -> None:
    first = reported(meetings=2, attendance_judged=2, met_attendance=1, with_unexcused=1,
                     too_short=1, resolutions=2, disseminated_to_all=1, with_tasks=2,
                     previous_tasks_done=3, previous_tasks_total=4)
    second = reported(meetings=1, attendance_judged=1, met_attendance=1, resolutions=1,
                      disseminated_to_all=1, previous_tasks_done=0, previous_tasks_total=2)
    lines = lines_of(NOVEMBER, [row(cell(1), first), row(cell(2), second)])
    totals = Figures.of(lines)
    a = totals.activity
    assert (a.meetings, a.met_attendance, a.with_unexcused, a.too_short) == (3, 2, 1, 1)
    assert totals.dissemination_share == Fraction(2, 3)
    assert totals.tasks_share == Fraction(2, 3)
    assert totals.met_attendance_share == Fraction(2, 3)
    assert totals.previous_tasks_share == Fraction(3, 6)
    assert lines[0].figures() + lines[1].figures() == totals  # sums group any way


@pytest.mark.parametrize(
    ("held", "tracked", "covered"),
    [
        ((1, 1, 1, 1), LONG_AGO, True),  # a thematic meeting in every quarter so far
        ((2, 0, 1, 1), LONG_AGO, False),  # two in Q1 do not make up for none in Q2
        ((0, 0, 1, 1), date(2026, 8, 1), True),  # tracked from Q3: Q3 and Q4 are enough
        ((0, 0, 0, 1), date(2026, 8, 1), False),  # … but Q3 is owed, though begun midway
    ],
)
def test_a_cell_is_covered_when_every_quarter_it_owes_had_a_thematic_meeting(
    held: tuple[int, ...], tracked: date, covered: bool
) -> None:
    [line] = lines_of(YEAR, [row(cell(1, tracked=tracked), reported(), held)])
    figures = line.figures()
    assert (figures.thematic_owed, figures.thematic_covered) == (1, int(covered))
    assert line.thematic_missing is not covered


def test_a_rulebook_asking_two_thematic_meetings_a_quarter_is_followed() -> None:
    two = replace(owing(YEAR, TODAY, RULES), needed={quarter: 2 for quarter in YEAR.quarters})
    [line] = cell_lines(two, [row(cell(1), reported(), (2, 2, 1, 1))])
    assert (line.quarters_short, line.quarters_open, line.quarters_open_held) == (1, 1, 0)
    assert thematic_needed(YEAR, TODAY, RULES) == {q: 1 for q in YEAR.quarters}


def test_communes_come_worst_reporting_rate_first_then_most_missing() -> None:
    rows = [
        row(cell(1, group=1), reported(1)), row(cell(2, group=1), reported(1)),  # 100 %
        row(cell(3, group=2), reported(0)), row(cell(4, group=2), reported(1)),  # 50 %, 1 missing
        row(cell(5, group=3), reported(0)),  # 0 %
        row(cell(6, group=4), reported(0)), row(cell(7, group=4), reported(0)),  # 0 %, 2 missing
    ]
    groups = by_group(lines_of(NOVEMBER, rows))
    assert [g.name for g in groups] == ["Commune 4", "Commune 3", "Commune 2", "Commune 1"]
    assert [g.figures.missing for g in groups] == [2, 1, 1, 0]


def test_a_long_list_of_communes_keeps_the_five_worst_and_the_five_best() -> None:
    rows = [row(cell(n, group=n), reported(int(n > 6))) for n in range(1, 13)]
    groups = by_group(lines_of(NOVEMBER, rows))
    worst, best, hidden = top_and_bottom(groups)
    assert len(worst) == len(best) == 5 and hidden == 2
    assert all(g.figures.reports == 0 for g in worst)
    assert all(g.figures.reports == 1 for g in best)
    few, none, zero = top_and_bottom(groups[:10])  # ten or fewer: all of them
    assert (len(few), len(none), zero) == (10, 0, 0)


def test_the_missing_list_holds_the_cells_owing_a_report_grouped_by_commune() -> None:
    rows = [
        row(cell(1, group=2), reported(1)),
        row(cell(2, group=2), reported(0)),
        row(cell(3, group=1), reported(0), (1,)),  # a thematic meeting in September's Q3
        row(cell(4, group=1, tracked=date(2026, 12, 1)), reported(0)),  # not owing yet
    ]
    lines = lines_of(SEPTEMBER, rows)  # Q3: due, with its thematic meetings
    missing = missing_by_group(lines)
    assert [(name, [c.cell.id for c in cells]) for name, cells in missing] == [
        ("Commune 1", [3]), ("Commune 2", [2]),
    ]
    thematic = without_thematic_by_group(lines)
    assert [[c.cell.id for c in cells] for _, cells in thematic] == [[1, 2]]


def test_on_time_counts_only_reports_received_by_the_due_day() -> None:
    rows = [row(cell(1), CellActivity(regular_reports=1, on_time=0)),
            row(cell(2), CellActivity(regular_reports=1, on_time=1))]
    totals = Figures.of(lines_of(NOVEMBER, rows))
    assert (totals.on_time_rate, totals.reporting_rate) == (Fraction(1, 2), Fraction(1))
    assert due_days(Period(PeriodKind.QUARTER, 2026, 4), RULES) == {
        2026 * 12 + 9: date(2026, 11, 5),
        2026 * 12 + 10: date(2026, 12, 5),
        2026 * 12 + 11: date(2027, 1, 5),  # December's: into the next year
    }


def test_a_period_across_a_rule_change_is_judged_in_two_spans() -> None:
    spans = rule_spans(RULES, date(2025, 10, 1), date(2025, 12, 31))
    assert [(s.first, s.last) for s in spans] == [
        (date(2025, 10, 1), date(2025, 10, 27)),
        (date(2025, 10, 28), date(2025, 12, 31)),  # HD 42-2025: combined meetings 120 min
    ]
    assert [s.rules.min_minutes_combined for s in spans] == [90, 120]
    [one] = rule_spans(RULES, date(2026, 1, 1), date(2026, 12, 31))
    assert one.first == date(2026, 1, 1) and one.last == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        # Decision received 1 September, no ceremony 30 working days later: overdue.
        (OpenRecord(Stage.ADMISSION_DECIDED, date(2026, 9, 1), None), "overdue_ceremonies"),
        # Ceremony on 20 December 2025: probation ends 20 December 2026, within 30 days.
        (OpenRecord(Stage.PROBATION, date(2025, 12, 20), date(2025, 12, 20)),
         "probations_ending_soon"),
        # Probation ended 1 September 2026, no confirmation vote since: overdue.
        (OpenRecord(Stage.PROBATION, date(2025, 9, 1), date(2025, 9, 1)),
         "overdue_confirmations"),
        # The cell voted on 1 September; no decision after 30 (+30) working days: overdue.
        (OpenRecord(Stage.CELL_VOTE_CONFIRM, date(2026, 9, 1), date(2025, 8, 1)),
         "overdue_confirmations"),
    ],
)
def test_recruitment_deadlines_of_the_scope_are_counted_from_each_open_record(
    record: OpenRecord, field: str
) -> None:
    figures = recruitment_figures(3, 2, 1, [record], NOV_27, RULES, set())
    counted = {name: getattr(figures, name) for name in (
        "overdue_ceremonies", "overdue_confirmations", "probations_ending_soon")}
    assert counted == {name: int(name == field) for name in counted}
    assert (figures.admitted, figures.confirmed, figures.window_days) == (3, 2, 30)


def test_only_probations_that_may_end_within_the_window_need_a_look() -> None:
    # Window: 30 days from 27 November 2026; probation: 12 months in every era.
    assert probation_lookback(NOV_27, RULES) == date(2025, 12, 27)
    ending = OpenRecord(Stage.PROBATION, date(2025, 12, 27), date(2025, 12, 27))
    figures = recruitment_figures(0, 0, 5, [ending], NOV_27, RULES, set())
    assert (figures.in_probation, figures.probations_ending_soon) == (5, 1)


ON_2_DECEMBER = date(2026, 12, 2)  # November's reports are due by 5 December


@pytest.mark.parametrize(
    ("activity", "tracked", "owed", "missing", "in_progress", "to_report"),
    [
        # January to October reported; November and December are in progress, not missing
        (reported(10), LONG_AGO, 10, 0, 2, 2),
        # November reported already: counted in progress; December still to come
        (reported(10, not_yet_due=1), LONG_AGO, 10, 0, 2, 1),
        # October without its report: the one month due and missing
        (reported(9), LONG_AGO, 10, 1, 2, 3),
        # in the bot from 1 December: nothing due, December in progress
        (reported(0), date(2026, 12, 1), 0, 0, 1, 1),
        # … with November reported, before it entered the bot: owed and met, never invisible
        (reported(1, before_tracking=1), date(2026, 12, 1), 1, 0, 1, 1),
    ],
)
def test_a_month_whose_report_is_not_due_yet_is_in_progress_never_missing(
    activity: CellActivity, tracked: date, owed: int, missing: int, in_progress: int,
    to_report: int,
) -> None:
    [line] = lines_of(YEAR, [row(cell(1, tracked=tracked), activity)], ON_2_DECEMBER)
    assert (line.months_owed, line.months_missing) == (owed, missing)
    assert (line.months_open, line.months_to_report) == (in_progress, to_report)
    totals = line.figures()
    assert (totals.expected_reports, totals.missing, totals.months_open) == (
        owed, missing, in_progress)


def test_the_month_is_judged_the_day_after_its_due_day() -> None:
    unreported = [row(cell(1), reported(0))]
    [on_the_day] = lines_of(NOVEMBER, unreported, date(2026, 12, 5))
    [after] = lines_of(NOVEMBER, unreported, date(2026, 12, 6))
    assert (on_the_day.months_missing, on_the_day.months_open) == (0, 1)
    assert (after.months_missing, after.months_open) == (1, 0)


@pytest.mark.parametrize(
    ("held", "owed", "covered", "in_progress", "held_so_far"),
    [
        # Q4 is in progress on 2 December: without its thematic meeting yet, not short
        ((1, 1, 1, 0), 1, 1, 1, 0),
        # held already: counted as held so far
        ((1, 1, 1, 1), 1, 1, 1, 1),
        # Q3 is due and lacked it: the cell is not covered
        ((1, 1, 0, 0), 1, 0, 1, 0),
    ],
)
def test_a_quarter_in_progress_is_never_without_its_thematic_meeting(
    held: tuple[int, ...], owed: int, covered: int, in_progress: int, held_so_far: int
) -> None:
    [line] = lines_of(YEAR, [row(cell(1), reported(10), held)], ON_2_DECEMBER)
    figures = line.figures()
    assert (figures.thematic_owed, figures.thematic_covered) == (owed, covered)
    assert (figures.thematic_open, figures.thematic_open_held) == (in_progress, held_so_far)
    assert line.thematic_to_hold is (held[3] == 0)  # the reminder of day 15 still asks


def test_a_quarter_wholly_in_progress_owes_no_thematic_meeting_yet() -> None:
    fourth = Period(PeriodKind.QUARTER, 2026, 4)
    held, not_yet = lines_of(fourth, [row(cell(1), reported(1), (1,)),
                                      row(cell(2), reported(1), (0,))], ON_2_DECEMBER)
    totals = Figures.of([held, not_yet])
    assert (totals.thematic_owed, totals.thematic_open, totals.thematic_open_held) == (0, 2, 1)
    assert not held.thematic_to_hold and not_yet.thematic_to_hold


def test_a_period_before_any_cell_was_expected_owes_nothing() -> None:
    [line] = lines_of(NOVEMBER, [row(cell(1, tracked=date(2026, 12, 1)), reported(0))])
    assert line.figures().nothing_owed
    assert not lines_of(NOVEMBER, [row(cell(1), reported(0))])[0].figures().nothing_owed


def moved(n: int, group: int, starts: date, ends: date) -> ScopeCell:
    """Cell n's stretch of 2026 under commune `group` (a cell moved in the year)."""
    return cell(n, group)._replace(starts=starts, ends=ends)


JULY = date(2026, 7, 1)
FIRST_HALF = (date(2026, 1, 1), JULY)  # Q1 and Q2
SECOND_HALF = (JULY, date(2027, 1, 1))  # Q3 and Q4 (in progress on 2 December)


@pytest.mark.parametrize(
    ("first", "second", "owed", "covered", "in_progress", "held"),
    [
        # a thematic meeting in every quarter, before and after the move: covered once
        ((1, 1, 0, 0), (0, 0, 1, 1), 1, 1, 1, 1),
        # Q2 lacked it under the old commune: not covered, though the new one held Q3
        ((1, 0, 0, 0), (0, 0, 1, 0), 1, 0, 1, 0),
        # Q3 held after the move, Q4 not yet: owed and covered, in progress and not held
        ((1, 1, 0, 0), (0, 0, 1, 0), 1, 1, 1, 0),
    ],
)
def test_a_cell_moved_in_the_period_counts_once_with_the_quarters_of_both_stretches(
    first: tuple[int, ...], second: tuple[int, ...], owed: int, covered: int,
    in_progress: int, held: int,
) -> None:
    rows = [row(moved(1, 1, *FIRST_HALF), reported(6), first),
            row(moved(1, 2, *SECOND_HALF), reported(4), second),
            row(cell(2, group=2), reported(10), (1, 1, 1, 1))]  # stayed: covered, held
    summary = summarise(owing(YEAR, ON_2_DECEMBER, RULES), rows,
                        recruitment_figures(0, 0, 0, (), NOV_27, RULES, set()))
    totals = summary.totals
    assert (totals.cells, totals.expected_reports, totals.reports) == (2, 20, 20)
    assert (totals.thematic_owed, totals.thematic_covered) == (owed + 1, covered + 1)
    assert (totals.thematic_open, totals.thematic_open_held) == (in_progress + 1, held + 1)
    assert sum(g.figures.cells for g in summary.groups) == 3  # once in each commune
    assert totals == Figures.of(summary.cells)


def test_the_totals_are_the_communes_added_up_when_no_cell_moved() -> None:
    rows = [
        row(cell(1, group=1), reported(10, not_yet_due=1, meetings=11, present=90,
                                       expected=99), (1, 1, 1, 1)),  # covered and held
        row(cell(2, group=1), reported(9, meetings=9), (1, 0, 1, 0)),  # Q2 short, Q4 not held
        row(cell(3, group=2, tracked=date(2026, 8, 1)), reported(3), (0, 0, 1, 1)),  # from Q3
        row(cell(4, group=3), reported(0), (0, 0, 0, 0)),  # nothing at all
    ]
    summary = summarise(owing(YEAR, ON_2_DECEMBER, RULES), rows,
                        recruitment_figures(0, 0, 0, (), NOV_27, RULES, set()))
    added = summary.groups[0].figures
    for group in summary.groups[1:]:
        added = added + group.figures
    assert summary.totals == added == Figures.of(summary.cells)
    totals = summary.totals
    assert (totals.cells, totals.expected_reports, totals.reports) == (4, 33, 22)
    assert (totals.thematic_owed, totals.thematic_covered) == (4, 2)  # cells 1 and 3
    assert (totals.thematic_open, totals.thematic_open_held) == (4, 2)
    assert (totals.months_open, totals.open_reported) == (8, 1)  # November, December each
    assert totals.attendance_rate == Fraction(90, 99)


def test_cells_of_one_stretch_are_judged_by_their_own_thematic_meetings() -> None:
    """Cells sharing a tracked day and stretch share what they owe, not what they held."""
    rows = [row(cell(1), reported(10), (1, 1, 1, 0)),
            row(cell(2), reported(10), (1, 0, 1, 1)),
            row(cell(3), reported(10), (1, 1, 1, 0))]
    lines = lines_of(YEAR, rows, ON_2_DECEMBER)
    assert [(line.quarters_owed, line.quarters_short) for line in lines] == [
        (3, 0), (3, 1), (3, 0)]  # Q1–Q3 are due; cell 2 lacked Q2
    assert [(line.quarters_open, line.quarters_open_held) for line in lines] == [
        (1, 0), (1, 1), (1, 0)]  # Q4 in progress: only cell 2 has held it


def test_people_standing_alike_each_count_for_their_deadline() -> None:
    """Probationers of one ceremony, decisions received the same day: one deadline each."""
    overdue_ceremony = OpenRecord(Stage.ADMISSION_DECIDED, date(2026, 9, 1), None)
    ending = OpenRecord(Stage.PROBATION, date(2025, 12, 20), date(2025, 12, 20))
    overdue_vote = OpenRecord(Stage.PROBATION, date(2025, 9, 1), date(2025, 9, 1))
    records = [overdue_ceremony, ending, overdue_vote, ending, overdue_vote, ending]
    figures = recruitment_figures(0, 0, 5, records, NOV_27, RULES, set())
    assert (figures.overdue_ceremonies, figures.probations_ending_soon,
            figures.overdue_confirmations) == (1, 3, 2)
