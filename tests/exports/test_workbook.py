"""The workbook opened back with openpyxl: every figure and its type against the summary."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.dispatcher import Dispatcher
from bot.core.flow import Ctx
from bot.core.messages import Inbound
from bot.domain.calendar import days_off
from bot.domain.org import CellRow
from bot.domain.periods import Period, PeriodKind
from bot.domain.summaries import Summary
from bot.exports import file_name, period_slug
from bot.i18n import translator
from bot.storage.database import Database
from bot.storage.org import OrgRepository
from handlers.export import workbook_file
from handlers.summary import load_summary
from tests.exports.area import FORMULA_NOTE, OTHER_COMMUNE, Area, seed_area
from tests.support import DISTRICT, Clock, World

NOVEMBER = Period(PeriodKind.MONTH, 2026, 11)


@pytest.fixture
async def area(db: Database, clock: Clock, world: World) -> Area:
    return await seed_area(db, clock(), world)


@dataclass(frozen=True)
class November:
    """The commune organiser's English workbook of November 2026, and the summary behind it."""

    book: Workbook
    summary: Summary


@pytest.fixture
async def november(dispatcher: Dispatcher, area: Area) -> November:
    ctx = await organiser(dispatcher, "en")
    book, _ = await exported(ctx, area.world.commune_id, NOVEMBER)
    return November(book, await summary_of(ctx, area.world.commune_id, NOVEMBER))


async def organiser(dispatcher: Dispatcher, language: str) -> Ctx:
    """The commune organiser (Xã Tân Lân), writing in `language`."""
    return await dispatcher.context_for(Inbound("test", "commune-staff", language_code=language))


async def exported(ctx: Ctx, unit_id: int, period: Period) -> tuple[Workbook, str]:
    unit = await OrgRepository(ctx.db).get(unit_id)
    assert unit is not None
    attachment = await workbook_file(ctx, unit, period)
    return load_workbook(io.BytesIO(attachment.data)), attachment.filename


async def summary_of(ctx: Ctx, unit_id: int, period: Period) -> Summary:
    holidays = days_off(ctx.rules.calendar, ctx.today.year + 1)
    return await load_summary(ctx.db, ctx.rules, unit_id, period, ctx.now, holidays)


Row = dict[str, Any]  # a table's row: its cells by header


def rows_of(ws: Worksheet, header_row: int = 1) -> list[Row]:
    """Return the rows below the header row, each as its cells by header."""
    headers = [str(c.value) for c in ws[header_row]]
    return [dict(zip(headers, row, strict=False)) for row in ws.iter_rows(min_row=header_row + 1)]


def table(ws: Worksheet, header_row: int = 1) -> dict[str, Row]:
    """Return the rows by their code (by their first cell where there is no code column)."""
    rows = rows_of(ws, header_row)
    key = "Code" if rows and "Code" in rows[0] else str(ws.cell(header_row, 1).value)
    return {str(row[key].value): row for row in rows}


def values(row: Row, *names: str) -> list[Any]:
    return [row[name].value for name in names]


async def test_the_summary_sheet_gives_the_summarys_figures_with_their_types(
    november: November,
) -> None:
    book, s = november.book, november.summary
    assert book.sheetnames == ["Summary", "Cells", "Meetings", "Recruitment"]  # 2026: no rating
    ws = book["Summary"]
    assert ws["A1"].value == "Summary of Xã Tân Lân, Nov 2026"
    heading = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(2, 5)}
    assert heading["Area"] == "Xã Tân Lân" and heading["Period"] == "Nov 2026"
    assert heading["Made on"] == datetime(2026, 11, 27, 20, 30)  # a real date and time
    header_row = next(r for r in range(1, 12) if ws.cell(r, 1).value == "Indicator")
    assert ws.freeze_panes == f"A{header_row + 1}"
    rows = table(ws, header_row)
    assert ws.auto_filter.ref == f"A{header_row}:D{header_row + len(rows)}"
    f, a, r = s.totals, s.totals.activity, s.recruitment
    expected = {
        "Number of cells": [2, None, None],  # PD-01 is another commune's
        # A3: on 27 November, November's reports are not due yet (by 5 December): none owed,
        # none missing; they are counted apart, as received so far
        "Regular meeting reports": [f.reports, f.expected_reports, None],
        "Regular meeting reports missing": [0, None, None],
        "Regular meeting reports not due yet, received so far": [1, 2, 0.5],
        "Meetings held": [a.meetings, None, None],
        "Attendance (present of expected)": [36, 38, 36 / 38],
        "Meetings meeting the attendance criterion": [1, 2, 0.5],  # an unexcused absence
        "Meetings with an unexcused absence": [1, None, None],
        "Meetings shorter than the minimum for their kind": [1, None, None],  # 80 minutes
        "Resolutions adopted": [1, None, None],
        "Admitted in the period": [r.admitted, None, None],
        "On probation today": [r.in_probation, None, None],
    }
    for indicator, numbers in expected.items():
        assert values(rows[indicator], "Count", "Out of", "Share") == pytest.approx(numbers), \
            indicator
    assert (r.admitted, r.in_probation) == (1, 1)  # Bạn A
    share = rows["Attendance (present of expected)"]["Share"]
    assert share.data_type == "n" and share.number_format == "0.0%"  # a percentage, not text
    assert rows["Meetings held"]["Count"].data_type == "n"


async def test_the_cells_sheet_has_a_row_a_cell_with_numbers_shares_and_the_latest_rating(
    november: November,
) -> None:
    book, s = november.book, november.summary
    ws = book["Cells"]
    rows = table(ws)
    assert sorted(rows) == ["TL-01", "TL-02"]
    assert ws.freeze_panes == "D2" and ws.auto_filter.ref == f"A1:AG{len(rows) + 1}"
    lines = {line.cell.code: line for line in s.cells}
    for code, row in rows.items():
        line, activity = lines[code], lines[code].activity
        assert values(row, "Commune", "Cell") == [line.cell.group_name, line.cell.name]
        assert values(row, "Months owed", "Regular reports", "Months missing", "Meetings held",
                      "Present", "Expected", "Attendance criterion met",
                      "Shorter than the minimum", "Months not due yet",
                      "Reported before the due day") == [
            line.months_owed, activity.regular_reports, line.months_missing, activity.meetings,
            activity.present, activity.expected, activity.met_attendance, activity.too_short,
            line.months_open, activity.not_yet_due]
        # A3: November is not due on 27 November: neither owed nor missing, but in progress
        assert values(row, "Months owed", "Months missing", "Months not due yet") == [0, 0, 1]
    tl01, tl02 = rows["TL-01"], rows["TL-02"]
    assert values(tl01, "Reported before the due day", "Meetings held", "Present", "Expected",
                  "Thematic meetings", "Admitted in the period", "On probation today") == \
        [1, 2, 36, 38, 1, 1, 1]
    assert tl01["Attendance rate"].value == pytest.approx(36 / 38)
    assert tl01["Attendance rate"].number_format == "0.0%"
    assert tl01["Reporting rate"].value is None  # nothing due: nothing to divide
    assert tl02["Attendance rate"].value is None  # no meeting: nothing to divide, not 0 %
    assert values(tl02, "Reported before the due day", "Before admission today") == [0, 1]
    assert values(tl01, "Latest rating", "Rating year", "Score") == \
        ["good performance", 2025, 85.5]
    assert isinstance(tl01["Rating year"].value, int) and tl01["Score"].data_type == "n"


async def test_the_meetings_sheet_lists_every_meeting_of_the_period_with_counts_and_notes(
    november: November,
) -> None:
    book, s = november.book, november.summary
    rows = rows_of(book["Meetings"])
    assert len(rows) == s.totals.activity.meetings == 2  # TL-02's October one is not November's
    assert sum(r["Present"].value for r in rows) == s.totals.activity.present
    regular, thematic = rows
    assert regular["Date"].value == datetime(2026, 11, 5)  # a date cell, not text
    assert regular["Date"].is_date and regular["Date"].number_format == "yyyy-mm-dd"
    assert [regular[k].value for k in ("Kind", "The month's regular meeting",
                                       "Absent without a reason", "Attendance criterion met",
                                       "Resolution adopted", "Concrete tasks")] == \
        ["Regular", True, 1, False, True, 2]
    assert regular["Note"].value == FORMULA_NOTE and regular["Note"].data_type == "s"
    assert thematic["Date"].value == datetime(2026, 11, 20)  # each row its own day
    assert thematic["Shorter than the minimum"].value is True
    assert thematic["Topic"].value == "Học tập chuyên đề"
    assert thematic["Attendance rate"].value == 1 and thematic["Concrete tasks"].value is None


async def test_the_recruitment_sheet_shows_aliases_stages_dates_and_the_next_deadline(
    november: November,
) -> None:
    book = november.book
    rows = {row["Alias"].value: row for row in rows_of(book["Recruitment"])}
    assert sorted(rows) == ["Bạn A", "Bạn B"]  # aliases only; Bạn C is another commune's
    admitted = rows["Bạn A"]
    assert [admitted[k].value for k in ("Code", "Stage today", "Entered the pipeline",
                                        "Admission ceremony", "Next deadline", "Due",
                                        "Overdue")] == [
        "TL-01", "Probationary member", datetime(2026, 1, 10), datetime(2026, 11, 10),
        "Probation ends", datetime(2027, 11, 10), False]
    assert rows["Bạn B"]["Next deadline"].value == "Dossier goes stale"
    assert rows["Bạn B"]["Due"].is_date


async def test_nothing_outside_the_organisers_area_reaches_the_workbook(
    dispatcher: Dispatcher, area: Area, november: November
) -> None:
    book = november.book
    texts = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row
             if c.value is not None}
    assert {"TL-01", "TL-02", "Bạn A"} <= texts
    assert not {"PD-01", "Chi bộ ấp Bình Hòa", OTHER_COMMUNE, "Bạn C"} & texts
    # The district organiser sees the other commune too, in the same shape.
    district = await dispatcher.context_for(Inbound("test", "staff", language_code="en"))
    whole, _ = await exported(district, area.world.district_id, NOVEMBER)
    assert sorted(table(whole["Cells"])) == ["PD-01", "TL-01", "TL-02"]


async def test_a_vietnamese_workbook_has_its_headers_translated_and_fits_its_names(
    dispatcher: Dispatcher, area: Area
) -> None:
    vi = translator("vi")
    ctx = await organiser(dispatcher, "vi")
    book, name = await exported(ctx, area.world.commune_id, Period(PeriodKind.YEAR, 2025))
    assert name == "tonghop-xa-tan-lan-2025.xlsx"
    assert book.sheetnames == [vi(s) for s in ("Summary", "Cells", "Meetings", "Recruitment",
                                                "Ratings")]
    assert book.sheetnames[0] != "Summary"  # translated, whatever the words
    cells = book[vi("Cells")]
    headers = [c.value for c in cells[1]]
    assert headers[:3] == [vi("Commune"), vi("Code"), vi("Cell")]
    widths = {letter: d.width for letter, d in cells.column_dimensions.items()}
    assert widths["C"] >= len("Chi bộ ấp Xóm Chùa")  # the longest name of the column
    ratings = book[vi("Ratings")]
    rated: dict[str, list[Any]] = {str(row[1].value): [c.value for c in row]
                                   for row in ratings.iter_rows(min_row=2)}
    assert sorted(rated) == ["TL-01", "TL-02"]  # not PD-01, rated in the same year
    assert rated["TL-01"][3:7] == [2025, vi("good performance"), 85.5, 18]
    summary = book[vi("Summary")]
    shares = {row[0].value: [c.value for c in row[1:]] for row in summary.iter_rows()}
    good = vi("Cells rated “{level}” in {year}", level=vi("good performance"), year="2025")
    assert shares[good] == [1, 2, 0.5]
    meetings = book[vi("Meetings")]
    assert meetings.max_row == 1  # no meeting in 2025: the header alone


def test_file_names_say_scope_and_period_in_plain_ascii() -> None:
    # (words, period, name)
    cases = [
        ("tonghop", Period(PeriodKind.MONTH, 2026, 11), "tonghop-xa-tan-lan-2026-11.xlsx"),
        ("tonghop", Period(PeriodKind.QUARTER, 2026, 2), "tonghop-xa-tan-lan-2026-q2.xlsx"),
        ("summary", Period(PeriodKind.YEAR, 2025), "summary-xa-tan-lan-2025.xlsx"),
    ]
    for word, period, name in cases:
        assert file_name(word, "Xã Tân Lân", period_slug(period), extension="xlsx") == name
    # Đ and every tone fold to ASCII; what is left of other scripts is dropped.
    assert file_name("bieudo", "Huyện Cần Đước / Ấp Đông", "2026", extension="png") == \
        "bieudo-huyen-can-duoc-ap-dong-2026.png"


async def test_a_day_cell_reads_back_as_that_day(dispatcher: Dispatcher, area: Area) -> None:
    ctx = await organiser(dispatcher, "vi")
    book, _ = await exported(ctx, area.world.commune_id, NOVEMBER)
    meetings = book[translator("vi")("Meetings")]
    day: Any = meetings.cell(2, 4)
    assert day.is_date and day.number_format == "dd/mm/yyyy"
    assert day.value.date() == date(2026, 11, 5)


async def test_the_cells_are_listed_by_commune_as_names_are_read(
    dispatcher: Dispatcher, db: Database, area: Area
) -> None:
    # D17: by code point "Xã Đức Lập" came after "Xã Tân Lân" ("Đ" is U+0110).
    await OrgRepository(db).import_cells([
        CellRow(2, (DISTRICT, "Xã Đức Lập", "Chi bộ ấp Một"), "DL-01", 10, 0, 0),
    ], at=dispatcher.now())
    district = await dispatcher.context_for(Inbound("test", "staff", language_code="en"))
    whole, _ = await exported(district, area.world.district_id, NOVEMBER)
    communes = [row["Commune"].value for row in rows_of(whole["Cells"])]
    assert communes == ["Xã Đức Lập", OTHER_COMMUNE, "Xã Tân Lân", "Xã Tân Lân"]


async def test_a_years_ratings_are_exported_though_no_cell_was_in_the_bot_that_year(
    dispatcher: Dispatcher, db: Database, area: Area
) -> None:
    # A8: cells that entered the bot after 2025 had their 2025 ratings dropped from /xuat 2025
    # (no Ratings sheet, no rating figures): the ratings were kept only for the summary's cells.
    org = OrgRepository(db)
    for cell_id in area.world.cell_ids.values():
        await org.set_tracked_from(cell_id, date(2026, 11, 27))
    ctx = await organiser(dispatcher, "en")
    book, _ = await exported(ctx, area.world.commune_id, Period(PeriodKind.YEAR, 2025))
    assert book.sheetnames == ["Summary", "Cells", "Meetings", "Recruitment", "Ratings"]
    rated = {str(row[1].value): [c.value for c in row] for row in book["Ratings"].iter_rows(
        min_row=2)}
    assert sorted(rated) == ["TL-01", "TL-02"]  # not PD-01, another commune's
    assert rated["TL-01"][:7] == ["Xã Tân Lân", "TL-01", "Chi bộ ấp Xóm Chùa", 2025,
                                  "good performance", 85.5, 18]
    shares = {row[0].value: [c.value for c in row[1:]] for row in book["Summary"].iter_rows()}
    assert shares["Cells rated “good performance” in 2025"] == [1, 2, 0.5]
    assert ("No cell of Xã Tân Lân was expected to report for year 2025: the area had no cell "
            "using the bot then.") in shares  # C16: told, as /tonghop tells it
