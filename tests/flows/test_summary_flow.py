"""/tonghop (/summary) and /chuabaocao (/missing) through the dispatcher, in en and vi."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from bot.core.dispatcher import Dispatcher
from bot.domain.meetings import MeetingKind
from bot.domain.org import CellRow, Role
from bot.domain.pipeline import Birth, Move, Stage
from bot.storage.database import Database
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository
from bot.storage.reads import ReadLog
from bot.storage.recruitment import RecruitmentRepository
from bot.storage.users import InviteRepository, UserRepository
from handlers.summary import MESSAGE_LIMIT
from tests.exports.area import seed_area
from tests.support import DISTRICT, Chat, Clock, World, sample_meeting, vn_time

OTHER = "Xã Phước Đông"


async def add_other_commune(db: Database, clock: Clock) -> None:
    """Add a second commune to the world, with cells PD-01 and PD-02."""
    await OrgRepository(db).import_cells([
        CellRow(2, (DISTRICT, OTHER, "Chi bộ ấp Một"), "PD-01", 10, 0, 0),
        CellRow(3, (DISTRICT, OTHER, "Chi bộ ấp Hai"), "PD-02", 10, 0, 0),
    ], at=clock())


async def save(
    db: Database, code: str, held_on: date, regular: bool = True, **changes: object
) -> None:
    cell = await OrgRepository(db).by_code(code)
    assert cell is not None
    report = sample_meeting(cell_id=cell.id, held_on=held_on, **changes)
    await MeetingRepository(db).save(report, regular=regular, by_user=None,
                                     at=vn_time(2026, 11, 27))


async def cells_row(chat: Chat, command: str, code: str) -> dict[str, object]:
    """Export by `command` and return the cell's row of the Cells sheet, by header."""
    [export] = await chat.send(command)
    assert export.attachment is not None
    sheet = load_workbook(io.BytesIO(export.attachment.data))["Cells"]
    header = [str(c.value) for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[1] == code)
    return dict(zip(header, row, strict=True))


async def test_a_commune_organiser_reads_their_commune_and_never_another(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    await add_other_commune(db, clock)
    await save(db, "TL-01", date(2026, 11, 20))
    await save(db, "PD-01", date(2026, 11, 21))
    clock.set(vn_time(2026, 12, 8, 9))  # November's reports were due by 5 December
    chat = Chat(dispatcher, "commune-staff", language_code="en")
    [summary] = await chat.send("/summary 11/2026")
    assert summary.text.startswith("Summary of Xã Tân Lân, Nov 2026")
    assert "Regular meeting reports: 1/2 (50%); missing: 1" in summary.text
    assert "Attendance: 19 of 20 (95%)" in summary.text
    assert "By commune" not in summary.text  # one commune: nothing to break down
    [missing] = await chat.send("/missing 11/2026")
    assert "TL-02 Chi bộ ấp Chợ" in missing.text
    assert "TL-01" not in missing.text and "PD-" not in missing.text
    reads = await ReadLog(db).of_unit(world.commune_id)
    assert [(r.what, r.unit_id) for r in reads] == [
        ("summary", world.commune_id), ("missing", world.commune_id),
    ]


async def test_a_district_organiser_sees_each_commune_in_vietnamese(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    await add_other_commune(db, clock)
    await save(db, "TL-01", date(2026, 11, 20))
    clock.set(vn_time(2026, 12, 8, 9))
    [summary] = await Chat(dispatcher, "staff", language_code="vi").send("/tonghop 11/2026")
    heading = summary.text.splitlines()[0]
    assert heading.endswith("Huyện Cần Đước, 11/2026") and "Summary" not in heading
    assert "1/4 (25%)" in summary.text
    lines = summary.text.splitlines()
    first = next(i for i, line in enumerate(lines) if OTHER in line)
    second = next(i for i, line in enumerate(lines) if "Xã Tân Lân:" in line)
    assert first < second  # the commune with no report comes first
    assert "0/2 (0%)" in lines[first] and "1/2 (50%)" in lines[second]


async def test_a_secretary_gets_no_summary(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    for command in ("/summary", "/missing 2026"):
        [reply] = await chat.send(command)
        assert reply.text == "This command is not available for your role."


async def test_a_bad_period_is_answered_with_an_example_of_each_form(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "staff", language_code="en")
    [reply] = await chat.send("/summary 13/2026")
    for example in ("2026-11", "11/2026", "Q2/2026", "2026-Q2", "2026."):
        assert example in reply.text
    assert "quý" not in reply.text  # C15: English words in English; Vietnamese shows its own
    [vietnamese] = await Chat(dispatcher, "staff", language_code="vi").send("/tonghop 13/2026")
    assert "quý 2/2026" in vietnamese.text
    [future] = await chat.send("/summary 2027")
    assert "has not begun" in future.text
    assert await ReadLog(db).of_unit(world.district_id) == []  # nothing was read


async def test_every_form_of_period_gives_its_own_figures(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    await OrgRepository(db).set_tracked_from(world.cell_ids["TL-01"], date(2026, 1, 1))
    await save(db, "TL-01", date(2026, 10, 20))
    chat = Chat(dispatcher, "commune-staff", language_code="en")
    [quarter] = await chat.send("/summary quý 4/2026")
    assert "Summary of Xã Tân Lân, Q4/2026" in quarter.text
    # 27 November: October is due (TL-01's); November, due by 5 December, is in progress
    assert "Regular meeting reports: 1/1 (100%); missing: 0" in quarter.text
    assert "Not due yet: Nov 2026 (due by Dec 5, 2026); reported so far: 0/2 (0%)" \
        in quarter.text  # TL-01's and TL-02's November
    [year] = await chat.send("/summary 2026")
    assert "Regular meeting reports: 1/10 (10%)" in year.text  # January to October
    assert "Months before a cell entered the bot count for it only if it reported them." \
        in year.text
    [october] = await chat.send("/summary 10/2026")
    assert "Regular meeting reports: 1/1 (100%)" in october.text  # TL-02 was not in the bot


async def test_in_the_first_five_days_the_summary_is_of_the_month_just_ended(
    dispatcher: Dispatcher, world: World, clock: Clock
) -> None:
    chat = Chat(dispatcher, "commune-staff", language_code="en")
    clock.set(vn_time(2026, 12, 5, 9))
    [early] = await chat.send("/summary")
    assert early.text.startswith("Summary of Xã Tân Lân, Nov 2026")
    clock.set(vn_time(2026, 12, 6, 9))
    [later] = await chat.send("/summary")
    assert later.text.startswith("Summary of Xã Tân Lân, Dec 2026")


async def test_an_organiser_of_two_areas_chooses_one_by_tap_or_number(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    await add_other_commune(db, clock)
    other = await OrgRepository(db).by_path([DISTRICT, OTHER])
    assert other is not None
    users = UserRepository(db)
    user_id = await users.ensure("test", "two-areas", clock())
    await users.grant(user_id, Role.STAFF, world.commune_id, clock())
    await users.grant(user_id, Role.STAFF, other.id, clock())
    chat = Chat(dispatcher, "two-areas", language_code="en")
    clock.set(vn_time(2026, 12, 8, 9))
    [ask] = await chat.send("/summary 11/2026")
    assert ask.text == "Which area?" and [c.label for c in ask.choices] == ["Xã Tân Lân", OTHER]
    [summary] = await chat.tap(str(other.id))
    assert summary.text.startswith(f"Summary of {OTHER}, Nov 2026")
    await chat.send("/missing 11/2026")
    [missing] = await chat.send("1")
    assert "TL-01" in missing.text and "PD-" not in missing.text


async def test_the_missing_list_names_the_secretaries_from_their_profiles(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    await add_other_commune(db, clock)
    pd01 = await OrgRepository(db).by_code("PD-01")
    assert pd01 is not None
    code = await InviteRepository(db).create(Role.SECRETARY, pd01.id, clock(), days=7)
    await InviteRepository(db).redeem(code, "test", "pd-sec", clock(), display_name="Lê Thị Hoa")
    clock.set(vn_time(2026, 12, 8, 9))
    [missing] = await Chat(dispatcher, "staff", language_code="en").send("/missing 11/2026")
    lines = missing.text.splitlines()
    assert lines[0] == ("Cells without a regular meeting report for Nov 2026 in "
                        "Huyện Cần Đước: 4/4 (100%)")
    assert "• PD-01 Chi bộ ấp Một — Lê Thị Hoa" in lines
    assert "• PD-02 Chi bộ ấp Hai — no secretary registered" in lines
    assert "• TL-02 Chi bộ ấp Chợ — 1 secretary without a profile name" in lines
    assert f"{OTHER} (2)" in lines


async def test_a_quarter_also_lists_the_cells_without_a_thematic_meeting(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    await save(db, "TL-01", date(2026, 11, 3), kind=MeetingKind.COMBINED, topic="Chuyển đổi số")
    chat = Chat(dispatcher, "staff", language_code="en")
    clock.set(vn_time(2026, 12, 8, 9))  # November is due; December and Q4 are not
    [missing] = await chat.send("/missing Q4/2026")
    rest, thematic = missing.text.split("The thematic meeting of Q4/2026 is not due yet")
    regular, pending = rest.split("Not due yet, so not missing: ")
    assert "TL-02 Chi bộ ấp Chợ (1 of 1 month)" in regular and "TL-01" not in regular
    assert pending.startswith("Dec 2026 (due by Jan 5, 2027); reported so far: 0/2")
    assert "TL-01 Chi bộ ấp Xóm Chùa (1 of 1 month)" in pending  # to remind, not missing
    assert thematic.startswith(": held so far by 1/2 (50%) of the cells.")
    assert "TL-02" not in thematic  # not short of it while the quarter may still hold it
    clock.set(vn_time(2027, 1, 6, 9))  # Q4's last report was due by 5 January: judged
    [judged] = await chat.send("/missing Q4/2026")
    regular, thematic = judged.text.split("Cells without a thematic meeting")
    assert "TL-02 Chi bộ ấp Chợ (2 of 2 months)" in regular
    assert "TL-01 Chi bộ ấp Xóm Chùa (1 of 2 months)" in regular  # December
    assert "Not due yet" not in judged.text
    assert "in Q4/2026 so far: 1/2 (50%)" in thematic
    assert "TL-02" in thematic and "TL-01" not in thematic


async def test_recruitment_and_the_latest_notes_are_in_the_summary(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    by = await UserRepository(db).ensure("test", "sec-1", clock())
    await RecruitmentRepository(db).add(
        world.cell_ids["TL-01"], "Anh Ba", Birth(1995, 4),
        [Move(Stage.CEREMONY, date(2026, 11, 2)), Move(Stage.PROBATION, date(2026, 11, 2))],
        by, clock(),
    )
    for day in range(1, 8):
        await save(db, "TL-02", date(2026, 11, day), regular=False, kind=MeetingKind.THEMATIC,
                   topic="Chủ đề", note=f"Ghi chú số {day}")
    [summary] = await Chat(dispatcher, "staff", language_code="en").send("/summary")
    assert "Admitted in the period: 1; confirmed as full members: 0" in summary.text
    assert "On probation today: 1" in summary.text
    assert "Nov 7, 2026, TL-02 Chi bộ ấp Chợ: Ghi chú số 7" in summary.text
    assert "Ghi chú số 2" not in summary.text and "… and 2 more notes" in summary.text


async def test_a_large_district_shows_five_communes_at_each_end_and_splits_long_lists(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    rows = [
        CellRow(n, (DISTRICT, f"Xã Số {c:02d}", f"Chi bộ ấp có tên khá dài số {k}"),
                f"S{c:02d}-{k:02d}", 10, 0, 0)
        for n, (c, k) in enumerate(((c, k) for c in range(1, 31) for k in range(1, 6)), 2)
    ]
    await OrgRepository(db).import_cells(rows, at=clock())
    for c in range(1, 16):  # the first fifteen communes have all reported
        for k in range(1, 6):
            await save(db, f"S{c:02d}-{k:02d}", date(2026, 11, 20))
    clock.set(vn_time(2026, 12, 8, 9))
    chat = Chat(dispatcher, "staff", language_code="en")
    [summary] = await chat.send("/summary 11/2026")
    assert "… 21 communes in between are not shown" in summary.text  # 31 communes in all
    assert summary.text.count("missing 5") == 5 and summary.text.count(": 5/5 (100%)") == 5
    missing = await chat.send("/missing 11/2026")
    assert len(missing) > 1 and all(len(r.text) <= MESSAGE_LIMIT for r in missing)
    text = "\n\n".join(r.text for r in missing)
    assert all(f"S{c:02d}-{k:02d}" in text for c in range(16, 31) for k in range(1, 6))
    assert "S01-01" not in text
    for reply in missing[1:]:  # each message starts with a commune, never mid-list
        assert reply.text.split("\n")[0].startswith("Xã Số ")


async def test_the_standing_the_summary_and_the_workbook_count_concrete_tasks_alike(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    # A9: a meeting without a resolution has no tasks to count; /tinhhinh counted it as
    # "no concrete task" (1/2) while /tonghop and the workbook count among resolutions (1/1).
    await save(db, "TL-01", date(2026, 11, 20))  # a resolution with two tasks
    await save(db, "TL-01", date(2026, 11, 25), regular=False, kind=MeetingKind.THEMATIC,
               topic="Chuyển đổi số", resolution_adopted=False, tasks=0,
               disseminated_to=frozenset())
    chat = Chat(dispatcher, "commune-staff", language_code="en")
    [standing] = await chat.send("/standing TL-01")
    assert "• Resolutions with at least one concrete task: 1/1 (100%)" in standing.text
    [summary] = await chat.send("/summary 2026")
    assert "• With at least one concrete task: 1/1 (100%)" in summary.text
    row = await cells_row(chat, "/export 2026", "TL-01")
    assert (row["Resolutions adopted"], row["With a concrete task"]) == (1, 1)


async def test_months_and_quarters_not_due_yet_are_never_missing_anywhere(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    # A3: on 2 December, November (due by 5 December) and December were counted as missing
    # and late, Q4 as without its thematic meeting; /tinhhinh and the workbook disagreed.
    await OrgRepository(db).set_tracked_from(world.cell_ids["TL-01"], date(2026, 1, 1))
    repo = MeetingRepository(db)
    for month in range(1, 11):  # January to October, each on time; a thematic one a quarter
        thematic = {"kind": MeetingKind.COMBINED, "topic": "Chủ đề"} if month in (2, 5, 8) else {}
        report = sample_meeting(cell_id=world.cell_ids["TL-01"], held_on=date(2026, month, 10),
                                **thematic)
        await repo.save(report, regular=True, by_user=None, at=vn_time(2026, month + 1, 1))
    clock.set(vn_time(2026, 12, 2, 9))
    chat = Chat(dispatcher, "commune-staff", language_code="en")
    [year] = await chat.send("/summary 2026")
    assert "Regular meeting reports: 10/10 (100%); missing: 0" in year.text
    assert "Received on time (by day 5 of the next month): 10/10 (100%)" in year.text
    assert ("Not due yet: Nov 2026 (due by Dec 5, 2026), Dec 2026 (due by Jan 5, 2027); "
            "reported so far: 0/4 (0%)") in year.text  # TL-02 entered the bot in November
    assert "Cells with a thematic meeting in every quarter: 1/1 (100%)" in year.text
    assert "Cells with a thematic meeting in Q4/2026 so far, not due yet: 0/2 (0%)" in year.text
    [missing] = await chat.send("/missing Q4/2026")
    assert missing.text.startswith(
        "Every cell of Xã Tân Lân has reported its regular meetings due for Q4/2026.")
    assert "Cells without" not in missing.text
    assert "The thematic meeting of Q4/2026 is not due yet: held so far by 0/2 (0%)" \
        in missing.text
    [standing] = await chat.send("/standing TL-01")
    assert "Regular meetings: 10 of 10 months" in standing.text
    row = await cells_row(chat, "/export 2026", "TL-01")
    assert [row[name] for name in (
        "Months owed", "Months missing", "Months not due yet",
        "A quarter without its thematic meeting")] == [10, 0, 2, False]  # as /standing says


async def test_a_meeting_before_the_cell_entered_the_bot_counts_in_its_month(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    # A7: cells tracked from December; TL-01's meeting of 28 November vanished from
    # /summary 11/2026 ("0 cells, 0 meetings") while the year counted it.
    for code in ("TL-01", "TL-02"):
        await OrgRepository(db).set_tracked_from(world.cell_ids[code], date(2026, 12, 1))
    await save(db, "TL-01", date(2026, 11, 28))
    clock.set(vn_time(2026, 12, 8, 9))
    chat = Chat(dispatcher, "commune-staff", language_code="en")
    [november] = await chat.send("/summary 11/2026")
    assert "\n1 cell\n" in november.text
    assert "Regular meeting reports: 1/1 (100%); missing: 0" in november.text
    assert "Meetings held: 1" in november.text
    [year] = await chat.send("/summary 2026")
    assert "Regular meeting reports: 1/1 (100%); missing: 0" in year.text
    assert "Meetings held: 1" in year.text


async def test_a_year_is_read_with_the_word_for_year_by_every_command(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    # D17: "/tonghop năm 2026" was refused while "/bieudo nam 2026" was read.
    await save(db, "TL-01", date(2026, 11, 20))
    english = Chat(dispatcher, "commune-staff", language_code="en")
    [typed] = await english.send("/summary year 2026")
    assert typed.text.startswith("Summary of Xã Tân Lân, year 2026")
    vietnamese = Chat(dispatcher, "commune-staff", language_code="vi")
    [plain] = await vietnamese.send("/tonghop 2026")
    for form in ("/tonghop năm 2026", "/tonghop nam 2026", "/tonghop Năm 2026 nay"):
        [reply] = await vietnamese.send(form)
        assert reply.text.splitlines()[0] == plain.text.splitlines()[0], form
    [missing] = await english.send("/missing year 2026")
    assert "I could not read the period" not in missing.text
    [ratings] = await english.send("/ratings year 2025")
    assert "Type a year after the command" not in ratings.text
    assert "2025" in ratings.text


async def test_a_period_before_any_cell_used_the_bot_says_so_and_keeps_its_ratings(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    # C16: /tonghop 2019 or 2025 said "0 cells" and a page of dashes (beside 2025's ratings).
    area = await seed_area(db, clock(), world)
    org = OrgRepository(db)
    for cell_id in (*world.cell_ids.values(), area.other_cell):
        await org.set_tracked_from(cell_id, date(2026, 11, 27))
    chat = Chat(dispatcher, "staff", language_code="en")
    [before] = await chat.send("/summary 2019")
    assert before.text == (
        "Summary of Huyện Cần Đước, year 2019\n\nNo cell of Huyện Cần Đước was expected to "
        "report for year 2019: the area had no cell using the bot then.")
    [rated] = await chat.send("/summary 2025")
    assert "No cell of Huyện Cần Đước was expected to report for year 2025" in rated.text
    assert "—" not in rated.text and "0 cells" not in rated.text
    assert "good performance" in rated.text  # the year's ratings, decided by the committee
    [missing] = await chat.send("/missing 2019")
    assert missing.text.startswith("No cell of Huyện Cần Đước was expected to report")
