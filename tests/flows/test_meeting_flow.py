"""/baocao and /tinhhinh through the dispatcher: typed and tapped answers, edits, replace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.channels.telegram import build_application
from bot.config import Settings
from bot.core.dispatcher import Dispatcher
from bot.core.flow import Ctx
from bot.core.messages import Reply
from bot.domain.meetings import (
    ALL_TARGETS,
    MASS_ORGANISATIONS,
    Dissemination,
    MeetingKind,
    MeetingReport,
)
from bot.domain.org import CellRow, OrgUnit, Role
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository
from bot.storage.users import UserRepository
from handlers import standing
from tests.channels.recording import TOKEN, FakeTelegram, RecordingRequest
from tests.support import (
    DISTRICT,
    VN,
    Chat,
    Clock,
    World,
    make_dispatcher,
    sample_meeting,
    user_id,
    vn_time,
)

# Answers to a regular meeting of cell TL-01 (19 expected) held on 20/11/2026, typed: one
# excused and one unexcused absence, no upper-level guest, a resolution with three tasks passed
# on to the hamlet board and the Women's Union.
REGULAR = ["20/11", "1", "95", "17", "1", "2", "1", "3", "1 3", "Họp tại nhà văn hoá"]


async def say(chat: Chat, *answers: str) -> None:
    """Send typed answers; "tap:key" taps a button instead."""
    for answer in answers:
        if answer.startswith("tap:"):
            await chat.tap(answer.removeprefix("tap:"))
        else:
            await chat.send(answer)


async def reports_of(db: Database, world: World, code: str = "TL-01") -> list[MeetingReport]:
    return await MeetingRepository(db).for_year(world.cell_ids[code], 2026)


def report(world: World, held_on: date, **changes: Any) -> MeetingReport:
    """Return a regular meeting of cell TL-01 (19 expected, all present), changed as asked."""
    defaults = {"cell_id": world.cell_ids["TL-01"], "held_on": held_on, "expected": 19,
                "present": 19, "excused": 0}
    return sample_meeting(**{**defaults, **changes})


async def test_a_typed_report_is_saved_and_answered_with_the_standing_in_vietnamese(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1")
    await chat.send("/baocao")
    assert chat.last_text.startswith("(1/8)") and "Chi bộ ấp Xóm Chùa" in chat.last_text
    await say(chat, *REGULAR)
    review = chat.last_text
    assert review.startswith("(8/8)")
    for line in (
        "Ngày họp: 20/11/2026",
        "Hình thức: Thường kỳ",
        "Dự họp: 17/19 (89,5%)",
        "chưa đạt tiêu chí dự họp: 1 đồng chí vắng không lý do",  # flagged before saving
        "Vắng: 1 có lý do, 1 không lý do",
        "Nhiệm vụ cụ thể: 3",
        "Đã triển khai đến: Ban nhân dân ấp/khu phố, Chi hội Phụ nữ",
    ):
        assert line in review
    [saved_reply] = await chat.send("1")  # typed 1 saves
    assert saved_reply.text.startswith("Đã lưu. Cảm ơn đồng chí.")
    assert "Dự họp: 17/19 (89,5%)" in saved_reply.text
    assert "chưa đạt tiêu chí dự họp: 1 đồng chí vắng không lý do" in saved_reply.text
    assert "Nghị quyết chưa triển khai đến: Ban Công tác Mặt trận ấp/khu phố" in saved_reply.text
    [standing] = await chat.send("/tinhhinh")  # the whole standing, one command away
    assert "Tình hình Chi bộ ấp Xóm Chùa" in standing.text
    assert "không phải kết quả xếp loại chính thức" in standing.text
    [saved] = await reports_of(db, world)
    assert saved == report(
        world,
        date(2026, 11, 20),
        present=17,
        excused=1,
        tasks=3,
        disseminated_to=frozenset({Dissemination.HAMLET_BOARD, Dissemination.WOMENS_UNION}),
        note="Họp tại nhà văn hoá",
        upper_guest=False,
    )


async def test_a_tapped_thematic_report_in_english(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await say(
        chat,
        "tap:yesterday",
        "tap:thematic",
        "Digital transformation in the hamlet",
        "tap:90",
        "tap:19",
        "tap:skip",  # the upper-level guest is not said
        "tap:no",  # no resolution: nothing to pass on, so straight to the note
        "tap:skip",
    )
    assert "Topic: Digital transformation in the hamlet" in chat.last_text
    assert "Resolution adopted: No" in chat.last_text and "Passed on to" not in chat.last_text
    [reply] = await chat.tap("save")
    assert reply.text.startswith("Saved. Thank you, comrade.")
    assert "Attendance: 19/19 (100%)" in reply.text
    # a thematic meeting's save also says how the quarter stands
    assert "Thematic meetings this quarter (quarter 4): 1, at least 1 expected" in reply.text
    [saved] = await reports_of(db, world)
    assert saved.kind is MeetingKind.THEMATIC and saved.held_on == date(2026, 11, 26)
    assert saved.tasks == 0 and saved.note is None and saved.upper_guest is None


@pytest.mark.parametrize(
    ("answers", "bad", "hint"),
    [
        ([], "32/13", "Please type a date"),  # not a date
        ([], "28/11/2026", "has not come yet"),  # tomorrow
        ([], "1/9/2026", "up to 62 days"),  # too old for the rulebook
        (["20/11"], "7", "1 to 3"),  # no such kind
        (["20/11", "2"], "ab", "between 3 and 200 characters"),  # topic too short
        (["20/11", "1"], "5", "5 minutes is too short"),  # hours meant? says how to type them
        (["20/11", "1"], "601", "from 10 to 600"),  # implausible duration
        (["20/11", "1"], "một giờ", "from 10 to 600"),  # words are not minutes
        (["20/11", "1", "95"], "25", "exempt from meetings who attend are not counted"),
        (["20/11", "1", "95"], "nineteen", "from 0 to 19"),  # words are not a number
        (["20/11", "1", "95", "17"], "3", "from 0 to 2"),  # more excused than absent
        (["20/11", "1", "95", "17", "1"], "maybe", "1 to 3"),  # the guest: yes, no or skip
        (["20/11", "1", "95", "17", "1", "2"], "maybe", "1 to 2"),  # neither yes nor no
        (["20/11", "1", "95", "17", "1", "2", "1"], "51", "from 0 to 50"),  # too many tasks
        (["20/11", "1", "95", "19", "2", "1", "2"], "9", "Tap the items"),  # no ninth target
        (["20/11", "1", "95", "19", "2", "2"], "x" * 501, "between 1 and 500"),  # note
        (["20/11", "1", "95", "19", "2", "2", "tap:skip"], "maybe", "1 to save"),  # review
        (["20/11", "1", "95", "tap:roll", "18", "2"], "21", "at most 19 can be exempt"),
    ],
)
async def test_a_wrong_answer_is_asked_again_with_what_is_expected(
    dispatcher: Dispatcher, db: Database, answers: list[str], bad: str, hint: str
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await say(chat, *answers)
    question = chat.last_text
    [reply] = await chat.send(bad)
    assert hint in reply.text
    assert reply.text.endswith(question)  # the same question below the hint
    assert reply.choices == chat.replies[-2].choices  # the same buttons, nothing lost


async def test_a_wrong_answer_at_every_step_loses_nothing(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    for bad, good in zip(
        ["hôm kia", "9", "ab", "0", "20", "3", "?", "?", "-1", "7 8", "x" * 600],
        ["20/11", "3", "Party building", "130", "18", "1", "no", "yes", "2", "all", "tap:skip"],
        strict=True,
    ):
        question = chat.last_text
        [reply] = await chat.send(bad)
        assert reply.text != question and reply.text.endswith(question)  # a hint, then again
        await say(chat, good)
    await chat.tap("save")
    [saved] = await reports_of(db, world)
    assert (saved.kind, saved.topic, saved.minutes) == (
        MeetingKind.COMBINED,
        "Party building",
        130,
    )
    assert (saved.present, saved.excused, saved.tasks) == (18, 1, 2)
    assert saved.disseminated_to == ALL_TARGETS


@pytest.mark.parametrize(
    ("answers", "targets"),
    [
        (["1 3"], {Dissemination.HAMLET_BOARD, Dissemination.WOMENS_UNION}),  # spaces
        (["1,2,3,4,5,6"], set(ALL_TARGETS)),  # commas
        (["all"], set(ALL_TARGETS)),  # the English word
        (["tất cả"], set(ALL_TARGETS)),  # the Vietnamese words
        (["Tat ca"], set(ALL_TARGETS)),  # without diacritics
        (["0"], set()),  # none yet
        (["none"], set()),  # in English
        (["chưa"], set()),  # in Vietnamese
        (["Chi đoàn Thanh niên"], {Dissemination.YOUTH_UNION}),  # one label typed out
        (
            ["tap:veterans", "tap:hamlet_board", "tap:veterans", "tap:done"],
            {Dissemination.HAMLET_BOARD},
        ),  # a second tap takes an item back
    ],
)
async def test_dissemination_is_a_multi_select_by_taps_or_typing(
    dispatcher: Dispatcher,
    db: Database,
    world: World,
    answers: list[str],
    targets: set[Dissemination],
) -> None:
    chat = Chat(dispatcher, "sec-1")
    await chat.send("/baocao")
    await say(chat, "20/11", "1", "95", "19", "2", "1", "2", *answers, "tap:skip", "tap:save")
    [saved] = await reports_of(db, world)
    assert saved.disseminated_to == targets


async def test_edit_from_the_review_changes_one_answer_and_comes_back(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await say(chat, *REGULAR, "tap:edit")
    assert [c.key for c in chat.last.choices][:4] == ["date", "kind", "minutes", "present"]
    await say(chat, "tap:present", "17")  # the same count: straight back to the review
    assert chat.last_text.startswith("(8/8)")
    await say(chat, "2", "tap:present", "15")  # typed 2 is Edit; other absentees: excused asked
    assert "4 members were absent" in chat.last_text
    await say(chat, "4")
    assert "Present: 15/19 (78.9%)" in chat.last_text
    assert "Absent: 4 excused, 0 unexcused" in chat.last_text
    await say(chat, "tap:edit", "tap:kind", "tap:combined")  # a topic is now needed
    assert "topic" in chat.last_text
    await say(chat, "Learning from Ho Chi Minh")
    assert "Topic: Learning from Ho Chi Minh" in chat.last_text
    assert "shorter than the 120 minutes required" in chat.last_text  # 95 min, combined
    await say(chat, "tap:edit", "tap:resolution", "tap:no")
    assert "Concrete tasks" not in chat.last_text
    await say(chat, "tap:edit", "tap:resolution", "tap:yes", "4")  # tasks asked again…
    assert "passed on to" in chat.last_text  # …and whom it was passed on to
    await say(chat, "all")
    assert "Concrete tasks: 4" in chat.last_text
    await chat.tap("save")
    [saved] = await reports_of(db, world)
    assert (saved.kind, saved.present, saved.excused, saved.tasks) == (
        MeetingKind.COMBINED,
        15,
        4,
        4,
    )


async def test_back_returns_to_the_previous_question_keeping_the_answers(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await say(chat, "20/11", "1", "95")
    await chat.tap("back")
    assert "How long did the meeting last" in chat.last_text
    await chat.send("quay lại")  # typed, in Vietnamese without caring for the language
    assert "What kind of meeting" in chat.last_text
    await say(chat, "tap:thematic", "Party building", "100", "19", "2", "2", "tap:skip")
    assert "Date: Nov 20, 2026" in chat.last_text and "Duration: 100 minutes" in chat.last_text


async def test_a_second_regular_report_of_the_month_replaces_the_first_with_history(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    first = Chat(dispatcher, "sec-1", language_code="en")
    await first.send("/report")
    await say(first, *REGULAR, "tap:save")
    second = Chat(dispatcher, "sec-2", language_code="en")  # the other secretary of TL-01
    await second.send("/report")
    await say(second, "tap:" + str(world.cell_ids["TL-01"]), "25/11", "3")
    assert "already has a regular meeting report for Nov 2026" in second.last_text
    assert "Nov 20, 2026" in second.last_text
    await second.tap("replace")
    assert "topic" in second.last_text  # combined: the flow goes on with the topic
    await say(second, "Party building", "120", "19", "2", "2", "tap:skip")
    assert "This replaces the earlier report of Nov 2026." in second.last_text
    replies = await second.tap("save")
    assert "was replaced and kept in the history" in replies[0].text
    assert "Reported before the due day: Nov 2026" in replies[0].text  # due by 5 December
    [current] = await reports_of(db, world)
    assert current.held_on == date(2026, 11, 25) and current.kind is MeetingKind.COMBINED
    stored = await MeetingRepository(db).regular_of_month(
        world.cell_ids["TL-01"], date(2026, 11, 1)
    )
    assert stored is not None
    [old] = await MeetingRepository(db).history(stored.id)
    user = await UserRepository(db).find("test", "sec-2")
    assert user is not None and old.replaced_by == user.id
    assert old.old.report.held_on == date(2026, 11, 20)


async def test_cancelling_the_replacement_keeps_the_earlier_report(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1")
    await chat.send("/baocao")
    await say(chat, *REGULAR, "tap:save", "/baocao", "21/11", "1")
    [reply] = await chat.tap("cancel")
    assert reply.text == "Đã hủy. Báo cáo trước được giữ nguyên; không lưu gì thêm."
    [kept] = await reports_of(db, world)
    assert kept.held_on == date(2026, 11, 20)
    # A thematic meeting in the same month is no replacement: it is simply added.
    await say(
        chat,
        "/baocao",
        "22/11",
        "2",
        "Chuyển đổi số",
        "90",
        "19",
        "2",
        "2",
        "tap:skip",
        "tap:save",
    )
    assert len(await reports_of(db, world)) == 2


async def test_a_month_reported_meanwhile_is_caught_when_saving(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    slow, quick = Chat(dispatcher, "sec-1", language_code="en"), Chat(dispatcher, "sec-2")
    await slow.send("/report")
    await say(slow, *REGULAR)  # at the review
    await quick.send("/baocao")
    await say(quick, "tap:" + str(world.cell_ids["TL-01"]), *REGULAR, "tap:save")
    await slow.tap("save")
    assert "already has a regular meeting report" in slow.last_text
    await slow.tap("replace")
    assert slow.last_text.startswith("(8/8)")  # straight back to the review
    await slow.tap("save")
    assert len(await reports_of(db, world)) == 1


@pytest.mark.parametrize(
    "how",
    [
        ["/huy"],  # the cancel command mid-way
        ["/cancel"],  # its English alias
        [*REGULAR[3:], "tap:cancel", "tap:yes"],  # Cancel on the review, and Yes to discard
        [*REGULAR[3:], "hủy", "có"],  # both typed
        ["Hủy"],  # typed without the slash, at a number question (D17)
    ],
)
async def test_cancel_saves_nothing(
    dispatcher: Dispatcher, db: Database, world: World, how: list[str]
) -> None:
    chat = Chat(dispatcher, "sec-1")
    await chat.send("/baocao")
    await say(chat, *REGULAR[:3], *how)
    assert chat.last_text.startswith("Đã hủy.")
    _, state, _ = await ConversationStore(db).read(await user_id(db, "sec-1"))
    assert state is None  # the conversation has ended
    assert await reports_of(db, world) == []


async def test_cancel_at_the_review_asks_first_and_no_keeps_every_answer(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    # B12: "3" at the review discarded the whole report without a word.
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await say(chat, *REGULAR)
    review = chat.last_text
    assert review.startswith("(8/8) Please check the report before saving:")
    [asked] = await chat.send("3")
    assert asked.text == "(8/8) Discard all answers? Nothing of them will be saved."
    assert [c.label for c in asked.choices] == ["Yes", "No", "« Back"]
    [again] = await chat.tap("no")
    assert again.text == review
    for typed in ("cancel", "hủy"):  # the label, in either language
        [asked] = await chat.send(typed)
        assert "Discard all answers?" in asked.text
        [again] = await chat.send("2")
        assert again.text == review
    await chat.send("2")  # Edit: the list of answers…
    [asked] = await chat.send("huy")  # …where "huy" asks too
    assert "Discard all answers?" in asked.text
    [again] = await chat.send("back")
    assert again.text == review
    await chat.tap("save")
    [saved] = await reports_of(db, world)
    assert (saved.minutes, saved.present, saved.tasks, saved.note) == (
        95, 17, 3, "Họp tại nhà văn hoá")


async def test_cancel_typed_without_its_slash_cancels_or_at_a_text_question_asks(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    # D17: "huy" without the slash was read as an answer.
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await chat.send("20/11")
    [cancelled] = await chat.send("Cancel")  # at a choice question
    assert cancelled.text == "Cancelled. Nothing was saved."
    await chat.send("/report")
    await say(chat, *REGULAR[:-1])
    [asked] = await chat.send("huy")  # at the note: it may be the note itself
    assert asked.text == (
        '(7/8) Did you mean to cancel? Tap Yes to cancel the conversation (nothing is saved), '
        'or No to keep "huy" as your answer.')
    [review] = await chat.tap("no")
    assert review.text.startswith("(8/8)") and "Note: huy" in review.text
    await chat.send("2")  # Edit
    await chat.send("Note")
    await chat.send("hủy")
    [cancelled] = await chat.send("yes")
    assert cancelled.text == "Cancelled. Nothing was saved."
    assert await reports_of(db, world) == []


async def test_the_roll_is_corrected_only_when_the_report_is_saved(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await say(chat, "20/11", "1", "95", "tap:roll", "20", "tap:2", "3")
    assert "Expected: 19 (20 full + 2 probationary − 3 exempt" in chat.last_text
    await say(chat, "19", "2", "2", "tap:skip")
    assert "Roll (corrected): 20 full, 2 probationary, 3 exempt" in chat.last_text
    org = OrgRepository(db)
    cell = await org.get(world.cell_ids["TL-01"])
    assert cell is not None and cell.full_members == 18  # not yet
    await chat.tap("save")
    cell = await org.get(world.cell_ids["TL-01"])
    assert cell is not None and (cell.full_members, cell.exempt_members) == (20, 3)


async def test_a_draft_survives_a_restart(db: Database, clock: Clock, world: World) -> None:
    chat = Chat(make_dispatcher(db, clock), "sec-1", language_code="en")
    await chat.send("/report")
    await say(chat, "20/11", "1", "95")
    chat.dispatcher = make_dispatcher(db, clock)  # a new process on the same database
    await say(chat, "19", "2", "2", "tap:skip")
    assert "Duration: 95 minutes" in chat.last_text


async def test_only_secretaries_may_report(dispatcher: Dispatcher) -> None:
    [reply] = await Chat(dispatcher, "staff", language_code="en").send("/report")
    assert reply.text == "This command is not available for your role."


async def test_the_standing_counts_the_year_in_english_and_vietnamese(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    repo = MeetingRepository(db)
    # Tracked since September: September and November reported, October missing.
    await OrgRepository(db).set_tracked_from(world.cell_ids["TL-01"], date(2026, 9, 1))
    rows = [
        report(world, date(2026, 9, 30), present=17, excused=1),  # 89.5 %, one unexcused
        report(
            world,
            date(2026, 11, 5),
            kind=MeetingKind.COMBINED,
            topic="Chuyển đổi số",
            minutes=100,
            present=18,
            excused=1,
            disseminated_to=frozenset(),
        ),
    ]
    for row in rows:
        await repo.save(row, regular=True, by_user=None, at=clock())
    [en] = await Chat(dispatcher, "sec-1", language_code="en").send("/standing")
    for line in (
        "Latest meeting: Regular and thematic together, Nov 5, 2026",
        "Attendance: 18/19 (94.7%)",
        "✓ meets the attendance criterion (more than 85%, no unexcused absence)",
        "shorter than the 120 minutes required",
        "Resolution not yet passed on to: Hamlet board, Hamlet Front work committee, "
        "Women's Union, Farmers' Union, Veterans' Association, Youth Union",
        "Regular meetings: 1 of 2 months",  # tracked since the September report
        "no regular meeting reported for: Oct 2026",
        "Reported before the due day: Nov 2026",  # due by 5 December: not counted yet
        "Thematic meetings this quarter (quarter 4): 1, at least 1 expected",
        "Average attendance: 92.1%",  # 35 of 38
        "Meetings that met the attendance criterion: 1/2 (50%)",
        "Resolutions passed on to everyone they must reach: 1/2 (50%)",
        "Resolutions with at least one concrete task: 2/2 (100%)",
    ):
        assert line in en.text
    [vi] = await Chat(dispatcher, "sec-1").send("/tinhhinh")
    for line in (
        "Buổi sinh hoạt gần nhất: Thường kỳ kết hợp chuyên đề, ngày 05/11/2026",
        "Dự họp: 18/19 (94,7%)",
        "Sinh hoạt thường kỳ: 1/2 tháng",
        "chưa có báo cáo sinh hoạt thường kỳ các tháng: 10/2026",
        "Tỷ lệ dự họp bình quân: 92,1%",
        "đạt tiêu chí dự họp: 1/2 (50%)",
    ):
        assert line in vi.text


async def test_a_cell_without_reports_says_so(dispatcher: Dispatcher) -> None:
    [reply] = await Chat(dispatcher, "sec-1", language_code="en").send("/standing")
    assert "No meeting has been reported yet" in reply.text
    assert "Regular meetings:" not in reply.text  # the secretary joined this month: none due
    assert "This month's regular meeting is not reported yet." in reply.text
    # tracked from November: the heading says so instead of "this year so far"
    assert "From Nov 2026, when the cell started using the bot:" in reply.text
    [vi] = await Chat(dispatcher, "sec-1").send("/tinhhinh")
    assert "Từ 11/2026, khi chi bộ bắt đầu dùng bot:" in vi.text


async def test_in_january_the_standing_still_judges_last_year_whole(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    repo = MeetingRepository(db)
    await OrgRepository(db).set_tracked_from(world.cell_ids["TL-01"], date(2025, 1, 1))
    for month in range(1, 12):  # January to November 2025, no thematic meeting in Q4
        await repo.save(report(world, date(2025, month, 10)), regular=True, by_user=None,
                        at=clock())
    clock.set(vn_time(2026, 1, 5))  # December's report is still on time today
    [reply] = await Chat(dispatcher, "sec-1", language_code="en").send("/standing")
    last_year = reply.text.split("Last year (2025):")[1].split("\n\n")[0]
    assert "Regular meetings: 11 of 11 months" in last_year
    assert ("The regular meeting of Dec 2025 is not reported yet: it is due by Jan 5, 2026."
            in last_year)
    assert "quarters without a thematic meeting: 1, 2, 3\n" in last_year + "\n"
    clock.set(vn_time(2026, 1, 6))
    [reply] = await Chat(dispatcher, "sec-1", language_code="en").send("/standing")
    last_year = reply.text.split("Last year (2025):")[1].split("\n\n")[0]
    assert "Regular meetings: 11 of 12 months" in last_year
    assert "no regular meeting reported for: Dec 2025" in last_year
    assert "quarters without a thematic meeting: 1, 2, 3, 4" in last_year
    assert "This year so far (2026):" in reply.text
    clock.set(vn_time(2026, 2, 5))
    [reply] = await Chat(dispatcher, "sec-1", language_code="en").send("/standing")
    assert "Last year" not in reply.text  # after January only this year is shown


async def test_the_standing_warns_about_a_cell_below_three_full_members(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    [reply] = await Chat(dispatcher, "sec-1", language_code="en").send("/standing")
    assert "18 full members: from 9, the cell elects a cell committee." in reply.text
    await OrgRepository(db).set_roll(world.cell_ids["TL-01"], 2, 1, 0)
    [reply] = await Chat(dispatcher, "sec-1", language_code="en").send("/standing")
    assert "⚠ The cell has 2 full members on its roll; a cell needs at least 3" in reply.text
    assert "cell committee" not in reply.text


async def test_organisers_read_the_standing_of_a_cell_in_their_area_by_code(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    [reply] = await Chat(dispatcher, "commune-staff", language_code="en").send("/standing tl-02")
    assert reply.text.startswith("Standing of Chi bộ ấp Chợ, Xã Tân Lân, on Nov 27, 2026")
    assert "No meeting has been reported yet.\n" in reply.text  # no /report hint for organisers
    [reply] = await Chat(dispatcher, "sec-1", language_code="en").send("/standing TL-02")
    assert reply.text == "I found no cell with the code or name TL-02 in your area."


# Organisers finding a cell (issue 7): by code or name, or a commune and then a cell.


@pytest.mark.parametrize(
    ("typed", "cell"),
    [
        ("Xóm Chùa", "Chi bộ ấp Xóm Chùa"),  # a part of the name
        ("xom chua", "Chi bộ ấp Xóm Chùa"),  # diacritics and case ignored
        ("CHỢ", "Chi bộ ấp Chợ"),
        ("tl-01", "Chi bộ ấp Xóm Chùa"),  # the code, as before
    ],
)
async def test_an_organiser_names_a_cell_by_code_or_by_name(
    dispatcher: Dispatcher, typed: str, cell: str
) -> None:
    [reply] = await Chat(dispatcher, "staff", language_code="en").send(f"/standing {typed}")
    assert reply.text.startswith(f"Standing of {cell}, Xã Tân Lân,")


async def test_several_matches_are_a_numbered_list_naming_the_commune(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    await OrgRepository(db).import_cells([
        CellRow(2, ("Huyện Cần Đước", "Xã Mỹ Lệ", "Chi bộ ấp Chợ"), "ML-01", 10, 0, 0),
    ])
    chat = Chat(dispatcher, "staff", language_code="en")
    [question] = await chat.send("/standing ap cho")
    assert question.text.startswith("2 cells match. Which one?")
    assert [c.label for c in question.choices] == [  # D17: by commune, then cell
        "Chi bộ ấp Chợ (Xã Mỹ Lệ)", "Chi bộ ấp Chợ (Xã Tân Lân)",
    ]
    [reply] = await chat.send("Mỹ Lệ")  # typed: a word of one label
    assert reply.text.startswith("Standing of Chi bộ ấp Chợ, Xã Mỹ Lệ,")
    [reply] = await chat.send("/standing xa tan lan/ap cho")  # a path tells them apart
    assert reply.text.startswith("Standing of Chi bộ ấp Chợ, Xã Tân Lân,")


async def test_matches_and_lists_sort_by_commune_then_cell_without_diacritics_first(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    # D17: "/tinhhinh ấp 4" listed its matches by cell name, whatever their commune; and
    # names sorted by code point put "Tân Ân" after every other "Tân", "Ấp 10" before "Ấp 2".
    await OrgRepository(db).import_cells([
        CellRow(2, (DISTRICT, "Xã Tân Ân", "Chi bộ ấp 4"), "TA-04", 10, 0, 0),
        CellRow(3, (DISTRICT, "Xã Long Trạch", "Chi bộ ấp 4"), "LT-04", 10, 0, 0),
        CellRow(4, (DISTRICT, "Xã Long Định", "Chi bộ ấp 4"), "LD-04", 10, 0, 0),
        CellRow(5, (DISTRICT, "Xã Long Định", "Chi bộ ấp 10"), "LD-10", 10, 0, 0),
        CellRow(6, (DISTRICT, "Xã Long Định", "Chi bộ ấp 2"), "LD-02", 10, 0, 0),
    ])
    chat = Chat(dispatcher, "staff", language_code="en")
    [question] = await chat.send("/standing ấp 4")
    assert [c.label for c in question.choices] == [
        "Chi bộ ấp 4 (Xã Long Định)", "Chi bộ ấp 4 (Xã Long Trạch)", "Chi bộ ấp 4 (Xã Tân Ân)",
    ]
    [communes] = await chat.send("/standing")
    assert [c.label for c in communes.choices] == [
        "Xã Long Định", "Xã Long Trạch", "Xã Tân Ân", "Xã Tân Lân",
    ]
    [cells] = await chat.send("Long Định")
    assert [c.label for c in cells.choices][:3] == [
        "Chi bộ ấp 2 (LD-02)", "Chi bộ ấp 4 (LD-04)", "Chi bộ ấp 10 (LD-10)",
    ]


async def test_a_cell_typed_at_the_commune_question_is_found_at_once(
    dispatcher: Dispatcher, world: World
) -> None:
    chat = Chat(dispatcher, "staff", language_code="en")
    await OrgRepository(chat.dispatcher.db).import_cells([
        CellRow(2, (DISTRICT, "Xã Mỹ Lệ", "Chi bộ ấp Một"), "ML-01", 10, 0, 0),
    ])
    [question] = await chat.send("/standing")
    assert question.text.startswith("Which commune?")
    [reply] = await chat.send("tl-02")  # as the question suggests: a code
    assert reply.text.startswith("Standing of Chi bộ ấp Chợ, Xã Tân Lân,")
    await chat.send("/standing")
    [reply] = await chat.send("xom chua")
    assert reply.text.startswith("Standing of Chi bộ ấp Xóm Chùa, Xã Tân Lân,")
    await chat.send("/standing")
    [reply] = await chat.send("no such place")
    assert reply.text.startswith("I found no cell with the code or name no such place")
    assert "Which commune?" in reply.text  # asked again


async def test_without_a_name_an_organiser_picks_a_commune_then_a_cell_ten_at_a_time(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    rows = [CellRow(i + 2, ("Huyện Cần Đước", f"Xã {i:02d}", f"Chi bộ ấp {j}"),
                    f"X{i:02d}-{j:02d}", 10, 0, 0)
            for i in range(1, 12) for j in range(1, 13 if i == 1 else 2)]
    await OrgRepository(db).import_cells(rows)
    chat = Chat(dispatcher, "staff", language_code="en")
    [question] = await chat.send("/standing")
    assert question.text.startswith("Which commune?") and "(page 1 of 2)" in question.text
    assert "send /standing with its code or a part of its name" in question.text
    labels = [c.label for c in question.choices]
    assert labels[:2] == ["Xã 01", "Xã 02"] and labels[-1] == "Next page ▶" and len(labels) == 11
    await chat.tap("next_page")
    assert [c.label for c in chat.last.choices] == ["Xã 11", "Xã Tân Lân", "◀ Previous page"]
    await chat.tap("previous_page")
    [cells] = await chat.send("1")  # the first commune of page 1: twelve cells
    assert cells.text.startswith("Which cell?") and "(page 1 of 2)" in cells.text
    assert cells.choices[0].label == "Chi bộ ấp 1 (X01-01)"
    await chat.tap("next_page")
    [reply] = await chat.send("Chi bộ ấp 12")
    assert reply.text.startswith("Standing of Chi bộ ấp 12, Xã 01,")
    [commune_only] = await Chat(dispatcher, "commune-staff", language_code="en").send("/standing")
    assert commune_only.text == "Which cell?"  # one commune in scope: straight to its cells
    assert [c.label for c in commune_only.choices] == [
        "Chi bộ ấp Chợ (TL-02)", "Chi bộ ấp Xóm Chùa (TL-01)",
    ]


async def test_the_staff_help_says_how_to_name_a_cell(dispatcher: Dispatcher) -> None:
    [staff] = await Chat(dispatcher, "staff", language_code="en").send("/help")
    assert "/standing with a cell's code or a part of its name" in staff.text
    [secretary] = await Chat(dispatcher, "sec-1", language_code="en").send("/help")
    assert "a cell's code or a part of its name" not in secretary.text
    assert "the buttons show the number itself" in secretary.text  # typing 1 means 1


async def test_the_secretary_of_two_cells_picks_one(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, "sec-2", language_code="en")
    [question] = await chat.send("/standing")
    assert [c.label for c in question.choices] == ["Chi bộ ấp Chợ", "Chi bộ ấp Xóm Chùa"]
    [reply] = await chat.send("Chi bộ ấp Chợ")
    assert "Standing of Chi bộ ấp Chợ" in reply.text


async def test_very_low_attendance_is_flagged_for_a_second_look(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await say(chat, "20/11", "1", "95", "12", "7", "tap:no", "tap:no", "tap:skip")
    assert "fewer than 66.7% of the expected members attended" in chat.last_text  # 12 of 19
    replies = await chat.tap("save")
    assert "fewer than 66.7% of the expected members attended" in replies[0].text


async def test_sections_of_other_features_follow_the_meeting_indicators(
    dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def recruitment(ctx: Ctx, cell: OrgUnit) -> str | None:
        return f"Recruitment of {cell.name}: 2 in the pipeline"

    async def ratings(ctx: Ctx, cell: OrgUnit) -> str | None:
        return None  # nothing to say: no empty paragraph either

    monkeypatch.setattr(standing, "standing_sections", lambda: [recruitment, ratings])
    [reply] = await Chat(dispatcher, "sec-1", language_code="en").send("/standing")
    paragraphs = reply.text.split("\n\n")
    assert paragraphs[-2] == "Recruitment of Chi bộ ấp Xóm Chùa: 2 in the pipeline"
    assert paragraphs[-1].startswith("These are indicators")


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("thường kỳ", MeetingKind.REGULAR),  # the Vietnamese label
        ("Thuong ky", MeetingKind.REGULAR),  # without diacritics
        ("chuyên đề", MeetingKind.THEMATIC),  # the other label
        ("combined", MeetingKind.COMBINED),  # the stable key
    ],
)
async def test_the_kind_can_be_typed_by_its_label(
    dispatcher: Dispatcher, db: Database, world: World, typed: str, kind: MeetingKind
) -> None:
    chat = Chat(dispatcher, "sec-1")
    await chat.send("/baocao")
    await say(chat, "20/11", typed)
    if kind is not MeetingKind.REGULAR:
        await say(chat, "Chuyển đổi số")
    await say(chat, "120", "19", "2", "2", "tap:skip", "tap:save")
    [saved] = await reports_of(db, world)
    assert saved.kind is kind


# Through python-telegram-bot, faked at the HTTP boundary: taps and typed answers together.


@pytest.fixture
async def telegram(db: Database, clock: Clock, world: World) -> AsyncIterator[FakeTelegram]:
    settings = Settings(TOKEN, "http://127.0.0.1:9", Path(":memory:"), VN, "vi", None)
    request = RecordingRequest()
    application = build_application(
        make_dispatcher(db, clock), settings, request=request, get_updates_request=request
    )
    users = UserRepository(db)
    user_id = await users.ensure("telegram", str(TELEGRAM_SECRETARY), clock())
    await users.grant(user_id, Role.SECRETARY, world.cell_ids["TL-01"], clock())
    async with application:
        yield FakeTelegram(application, request)


TELEGRAM_SECRETARY = 1001


async def test_a_report_through_telegram_with_taps_and_typing(
    telegram: FakeTelegram, db: Database, world: World
) -> None:
    me = TELEGRAM_SECRETARY
    await telegram.send(me, "/baocao")
    assert telegram.texts_to(me)[-1].startswith("(1/8)")
    await telegram.tap(me, label="Hôm qua")
    await telegram.send(me, "1")  # typed: regular
    await telegram.tap(me, label="90")
    await telegram.send(me, "18")  # typed: one absent
    await telegram.tap(me, label="1")  # excused
    await telegram.tap(me, label="Có")  # an upper-level guest attended
    await telegram.tap(me, label="Có")  # a resolution was adopted
    await telegram.send(me, "2")
    await telegram.tap(me, data="meeting_report.dissemination|hamlet_board")
    await telegram.tap(me, data="meeting_report.dissemination|youth_union")
    calls = await telegram.tap(me, label="Xong")
    assert calls[1].text.endswith("→ Ban nhân dân ấp/khu phố, Chi đoàn Thanh niên")
    await telegram.tap(me, label="Bỏ qua")
    assert "Dự họp: 18/19" in telegram.texts_to(me)[-1]
    calls = await telegram.tap(me, label="Lưu")
    [saved] = [c.text for c in calls if c.method == "sendMessage"]  # one short message
    assert saved.startswith("Đã lưu. Cảm ơn đồng chí.")
    assert "Dự họp: 18/19 (94,7%)" in saved
    assert "✓ đạt tiêu chí dự họp" in saved
    [report] = await reports_of(db, world)
    assert report.held_on == date(2026, 11, 26) and report.tasks == 2 and report.upper_guest


async def test_an_empty_roll_must_be_corrected_before_counting_attendance(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    await OrgRepository(db).set_roll(world.cell_ids["TL-01"], 0, 0, 0)  # never filled in
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await say(chat, "20/11", "1", "95")
    [reply] = await chat.send("0")
    assert "Tap Correct the roll, or type \"correct\", first" in reply.text
    await say(chat, "tap:roll", "10", "0", "0", "10", "2", "2", "tap:skip", "tap:save")
    [saved] = await reports_of(db, world)
    assert (saved.expected, saved.present) == (10, 10)


async def test_editing_the_date_into_a_reported_month_asks_to_replace_then_returns(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    await MeetingRepository(db).save(
        report(world, date(2026, 10, 15)), regular=True, by_user=None, at=clock()
    )
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await say(chat, *REGULAR[:6], "tap:skip", *REGULAR[6:])  # October's 2 tasks: skipped
    await say(chat, "tap:edit", "tap:date", "16/10")
    assert "already has a regular meeting report for Oct 2026" in chat.last_text
    await chat.tap("replace")
    assert chat.last_text.startswith("(8/8)")
    assert "This replaces the earlier report of Oct 2026." in chat.last_text
    await say(chat, "tap:edit", "tap:date", "20/11")  # a free month: no question
    assert chat.last_text.startswith("(8/8)") and "This replaces" not in chat.last_text
    await chat.tap("save")
    assert [r.held_on for r in await reports_of(db, world)] == [
        date(2026, 10, 15),
        date(2026, 11, 20),
    ]


async def test_back_from_the_list_of_answers_to_edit_returns_to_the_review(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "sec-1")
    await chat.send("/baocao")
    await say(chat, *REGULAR)
    review = chat.last_text
    await chat.send("2")  # Edit
    assert "sửa câu trả lời nào" in chat.last_text
    await chat.send("quay lại")
    assert chat.last_text == review
    await chat.send("2")
    await chat.tap("back")
    assert chat.last_text == review


async def test_an_organiser_reading_a_cell_is_kept_for_audit_and_a_secretary_is_not(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    from bot.storage.reads import ReadLog

    await Chat(dispatcher, "sec-1").send("/tinhhinh")
    assert await ReadLog(db).of_unit(world.cell_ids["TL-01"]) == []
    await Chat(dispatcher, "commune-staff").send("/tinhhinh TL-01")
    [read] = await ReadLog(db).of_unit(world.cell_ids["TL-01"])
    staff = await UserRepository(db).find("test", "commune-staff")
    assert staff is not None and (read.user_id, read.what) == (staff.id, "standing")


async def test_backing_out_of_a_roll_correction_made_from_the_review_keeps_every_answer(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    for key in ("today", "regular"):
        await chat.tap(key)
    await say(chat, "90", "19", "tap:no", "tap:no", "tap:skip", "tap:edit", "tap:present",
              "tap:roll", "18", "2", "1")
    for _ in range(5):  # back through the roll questions, exactly as they came
        await chat.tap("back")
    assert "Which answer do you want to change?" in chat.last_text
    await chat.tap("back")
    assert "Please check the report before saving" in chat.last_text
    assert "Present: 19/19 (100%)" in chat.last_text
    await chat.send("1")
    assert "Saved" in chat.replies[-2].text or "Saved" in chat.last_text
    [saved] = await reports_of(db, world)
    assert (saved.present, saved.expected) == (19, 19)  # the roll correction was backed out


async def test_the_roll_correction_can_be_reached_by_typing(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, "sec-1")
    await chat.send("/baocao")
    await say(chat, "20/11", "1", "95")
    [hint] = await chat.send("mười chín")
    assert 'gõ "sửa"' in hint.text
    [question] = await chat.send("Sửa")
    assert "chính thức" in question.text  # the first roll question


async def test_a_regular_report_changed_to_thematic_no_longer_says_it_replaces(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await say(chat, *REGULAR)
    await chat.send("1")  # the month's regular report is saved
    await chat.send("/report")
    await say(chat, "25/11", "1", "tap:replace", "95", "19", "2", "1", "2", "all", "tap:skip")
    assert "replaces" in chat.last_text.lower() or "replace" in chat.last_text.lower()
    await say(chat, "2", "tap:kind", "2", "Học tập tư tưởng Hồ Chí Minh")
    assert "replace" not in chat.last_text.lower()
    await chat.send("1")
    kinds = sorted(r.kind.value for r in await reports_of(db, world))
    assert kinds == ["regular", "thematic"]  # the regular report was kept, not replaced


async def test_declining_a_replacement_met_while_editing_keeps_the_draft(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await say(chat, *REGULAR)
    await chat.send("1")
    await chat.send("/report")
    await say(chat, "2/10", "1", "95", "18", "1", "2", "1", "2", "all", "Ghi chú dài")
    await say(chat, "2", "tap:date", "21/11")
    assert "already has a regular meeting report" in chat.last_text
    await chat.tap("cancel")
    assert "Please check the report before saving" in chat.last_text
    assert "Note: Ghi chú dài" in chat.last_text


async def test_a_meeting_without_a_resolution_shows_no_dissemination_line(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await say(chat, "20/11", "1", "95", "19", "tap:no", "tap:no", "tap:skip")
    assert "Resolution adopted: No" in chat.last_text and "Passed on to" not in chat.last_text
    await say(chat, "1", "/standing")
    standing = chat.last_text
    assert "• No resolution adopted" in standing
    assert "Resolution passed on" not in standing and "not yet passed on" not in standing
    assert "Resolutions passed on to everyone they must reach: —" in standing  # none adopted


async def test_tomorrow_typed_without_a_year_is_refused_as_not_yet_come(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    [reply] = await chat.send("28/11")
    assert "has not come yet" in reply.text and "62 days" not in reply.text


async def test_the_standing_can_be_read_in_the_middle_of_a_report(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await say(chat, "20/11", "1")
    question = chat.last_text
    standing, again = await chat.send("/standing")
    assert "Standing of Chi bộ ấp Xóm Chùa" in standing.text
    assert again.text == question  # the report goes on where it was
    note, again = await chat.send("/recruit")  # a conversation that asks: not now
    assert "unfinished conversation" in note.text and again.text == question
    await chat.send("95")
    assert chat.last_text.startswith("(4/8)")


async def test_editing_the_dissemination_shows_the_earlier_ticks_and_keeps_them(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await say(chat, *REGULAR)  # typed "1 3": hamlet board and the Women's Union
    await say(chat, "2", "tap:dissemination")
    assert chat.last.selected == {"hamlet_board", "womens_union"}
    await chat.tap("fatherland_front")  # add the Front, keep the others
    assert chat.last.selected == {"hamlet_board", "fatherland_front", "womens_union"}
    await chat.tap("done")
    assert (
        "Passed on to: Hamlet board, Hamlet Front work committee, Women's Union" in chat.last_text
    )


async def test_an_unanswered_choice_of_cell_gives_way_to_the_next_command(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "sec-2", language_code="en")  # secretary of two cells
    [question] = await chat.send("/standing")
    assert question.text == "Which cell?"
    [help_reply] = await chat.send("/help")  # not followed by "Which cell?" again
    assert "Show this help" in help_reply.text
    [question] = await chat.send("/standing")  # and asking again just asks again
    assert question.text == "Which cell?"


# The district's fields (issue 8, DOMAIN.md §4.1): each optional, skipped with one tap.


@pytest.mark.parametrize(
    ("october", "kind", "asked"),
    [
        ({"tasks": 3}, "regular", True),  # last month's resolution had tasks: asked
        ({"tasks": 0}, "regular", False),  # none to review
        ({"resolution_adopted": False, "tasks": 0}, "regular", False),  # no resolution at all
        (None, "regular", False),  # no report last month
        ({"tasks": 3}, "thematic", False),  # a thematic meeting reviews no resolution
    ],
)
async def test_last_months_tasks_are_asked_only_when_last_months_report_had_some(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock,
    october: dict[str, Any] | None, kind: str, asked: bool,
) -> None:
    if october is not None:
        await MeetingRepository(db).save(
            report(world, date(2026, 10, 15), **october), regular=True, by_user=None, at=clock()
        )
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await say(chat, "/report", "20/11", f"tap:{kind}")
    if kind == "thematic":
        await say(chat, "Party building")
    await say(chat, "95", "19", "tap:no")
    assert ("How many of them are done?" in chat.last_text) is asked
    if asked:
        assert "had 3 concrete tasks" in chat.last_text
        await say(chat, "4")  # more than there were: refused
        assert "from 0 to 3" in chat.last_text
        await say(chat, "2")
    await say(chat, "tap:no", "tap:skip")
    assert ("Last month's tasks done: 2/3 (66.7%)" in chat.last_text) is asked
    await chat.tap("save")
    [saved] = [r for r in await reports_of(db, world) if r.held_on == date(2026, 11, 20)]
    expected = (2, 3) if asked else (None, None)
    assert (saved.previous_tasks_done, saved.previous_tasks_total) == expected
    [standing] = await chat.send("/standing")
    assert ("Last month's tasks done: 2/3" in standing.text) is asked


async def test_last_months_tasks_and_the_guest_can_be_skipped_with_one_tap(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    await MeetingRepository(db).save(
        report(world, date(2026, 10, 15), tasks=3), regular=True, by_user=None, at=clock()
    )
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await say(chat, "/report", "20/11", "1", "95", "19", "tap:skip", "tap:skip", "tap:no",
              "tap:skip")
    assert "Upper-level guest: not said" in chat.last_text
    assert "Last month's tasks done: not said" in chat.last_text
    await say(chat, "tap:edit", "tap:guest", "tap:yes")  # answered later from the review
    assert "Upper-level guest: Yes" in chat.last_text
    await chat.tap("save")
    saved = await MeetingRepository(db).regular_of_month(world.cell_ids["TL-01"],
                                                         date(2026, 11, 1))
    assert saved is not None and saved.report.upper_guest is True
    assert saved.report.previous_tasks_done is None and saved.report.previous_tasks_total is None
    [standing] = await chat.send("/standing")
    assert "Upper-level guest: Yes" in standing.text
    assert "Meetings with an upper-level guest: 1/1 (100%)" in standing.text  # October: not said


async def test_disseminated_to_all_means_each_of_the_four_mass_organisations(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await say(chat, "/report", "20/11", "1", "95", "19", "tap:no", "tap:yes", "1",
              "1 2 3 4 5", "tap:skip")  # the Youth Union left out
    assert "Passed on to: Hamlet board, Hamlet Front work committee, Women's Union, " \
           "Farmers' Union, Veterans' Association" in chat.last_text
    replies = await chat.tap("save")
    assert "Resolution not yet passed on to: Youth Union" in replies[-1].text
    [saved] = await reports_of(db, world)
    assert saved.disseminated_to == ALL_TARGETS - {Dissemination.YOUTH_UNION}


async def test_a_draft_begun_with_one_mass_organisations_box_still_saves(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await say(chat, "/report", *REGULAR[:9])  # at the note, the resolution passed on
    user = await UserRepository(db).find("test", "sec-1")
    assert user is not None
    store = ConversationStore(db)
    state = await store.load(user.id)
    assert state is not None
    state.draft["targets"] = ["hamlet_board", "mass_orgs"]  # as the bot before 010 kept it
    await store.save(user.id, state, dispatcher.now())
    await say(chat, "tap:skip", "tap:save")
    [saved] = await reports_of(db, world)
    assert saved.disseminated_to == {Dissemination.HAMLET_BOARD, *MASS_ORGANISATIONS}


# Asked without sense (issue 7): every answer a secretary would type is understood or explained.


async def test_a_day_that_does_not_exist_is_told_so(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    [reply] = await say_last(chat, "/report", "31/02/2026")
    assert reply.text.startswith("There is no day 31 in Feb 2026: it has 28 days.")
    [reply] = await chat.send("31/2")
    assert "no day 31 in Feb 2026" in reply.text  # without a year too
    [reply] = await chat.send("32/2")
    assert "Please type a date as day/month" in reply.text  # a typo, not a missing day


async def test_the_date_example_is_a_past_day_the_question_accepts(
    dispatcher: Dispatcher, clock: Clock
) -> None:
    # D17: on 1 December the example was "25/12/2026", a day the question refuses.
    clock.set(vn_time(2026, 12, 1, 9))
    chat = Chat(dispatcher, "sec-1", language_code="en")
    [question] = await chat.send("/report")
    assert "(for example 30/11/2026)" in question.text
    [hint] = await chat.send("the other day")
    assert "for example 30/11/2026" in hint.text
    [kind] = await chat.send("30/11/2026")
    assert "What kind of meeting was it?" in kind.text


async def say_last(chat: Chat, *answers: str) -> list[Reply]:
    """Send answers; return the replies to the last one."""
    await say(chat, *answers[:-1])
    return await chat.send(answers[-1])


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("2 giờ", 120),  # hours where minutes are asked
        ("2h", 120),
        ("1 tiếng rưỡi", 90),
        ("1h30", 90),
        ("90 phút", 90),
        ("tap:120", 120),  # a button is the minutes themselves
    ],
)
async def test_the_duration_may_be_typed_in_hours(
    dispatcher: Dispatcher, db: Database, world: World, typed: str, minutes: int
) -> None:
    chat = Chat(dispatcher, "sec-1")
    await say(chat, "/baocao", "20/11", "1", typed, "19", "2", "2", "tap:skip", "tap:save")
    [saved] = await reports_of(db, world)
    assert saved.minutes == minutes


@pytest.mark.parametrize(("language", "typed", "other"), [
    ("en", "2 giờ", "giờ"),  # English shows English examples, and reads Vietnamese too
    ("vi", "2 hours", "hours"),  # and the other way round
])
async def test_the_minutes_question_gives_examples_in_its_language_and_reads_both(
    dispatcher: Dispatcher, db: Database, world: World, language: str, typed: str, other: str
) -> None:
    # C15: the English question said "the hours (2 giờ, 1h30)".
    chat = Chat(dispatcher, "sec-1", language_code=language)
    [question] = await say_last(chat, "/baocao", "20/11", "1")
    assert "1h30" in question.text and other not in question.text
    if language == "en":
        assert "Type the minutes (95) or the hours (2 hours, 1h30)" in question.text
    [refused] = await chat.send("2")
    assert "2h, 1h30" in refused.text and other not in refused.text
    await say(chat, typed, "19", "2", "2", "tap:skip", "tap:save")
    [saved] = await reports_of(db, world)
    assert saved.minutes == 120


async def test_one_typed_at_the_minutes_is_one_minute_and_the_question_says_so(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    [question] = await say_last(chat, "/report", "20/11", "1")
    assert "each shows the minutes themselves" in question.text
    assert [c.label for c in question.choices][:2] == ["90", "120"]
    [reply] = await chat.send("1")  # not the first button: one minute
    assert reply.text.startswith("1 minute is too short for a meeting")
    assert "2h" in reply.text  # how to type hours instead


async def test_more_present_than_expected_explains_the_exempt_members(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    [reply] = await say_last(chat, "/report", "20/11", "1", "95", "20")
    assert reply.text.startswith("20 is more than the 19 members expected.")
    assert "exempt from meetings who attend are not counted" in reply.text


async def test_the_review_flags_everything_the_standing_will_flag(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await say(chat, "/report", "20/11", "1", "80", "16", "1", "2", "1", "2", "1 2", "tap:skip")
    review = chat.last_text
    assert "✗ does not meet the attendance criterion: attendance not above 85%; " \
           "2 unexcused absences" in review
    assert "⚠ shorter than the 90 minutes required" in review
    assert "Resolution not yet passed on to: Women's Union, Farmers' Union" in review
    [saved] = await chat.tap("save")
    for flag in ("does not meet the attendance criterion", "shorter than the 90 minutes",
                 "not yet passed on to"):
        assert flag in saved.text  # the same flags after saving


async def test_back_to_a_multi_select_answered_all_shows_every_box_ticked(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await say(chat, "/report", "20/11", "1", "95", "19", "tap:no", "tap:yes", "2", "all")
    assert "Anything to tell" in chat.last_text
    await chat.tap("back")
    assert chat.last.multi and chat.last.selected == {t.value for t in ALL_TARGETS}
    await chat.tap("done")  # Done keeps them
    await chat.tap("skip")
    assert "Passed on to: Hamlet board, Hamlet Front work committee" in chat.last_text


@pytest.mark.parametrize(
    ("language", "kind_typed", "kind"),
    [
        ("en", "ket hop", MeetingKind.COMBINED),  # Vietnamese words to an English bot
        ("en", "Thường kỳ", MeetingKind.REGULAR),
        ("vi", "combined", MeetingKind.COMBINED),  # the English key
        ("vi", "thematic", MeetingKind.THEMATIC),  # the English label to a Vietnamese bot
        ("vi", "together", MeetingKind.COMBINED),  # a word of one English label only
    ],
)
async def test_typed_labels_work_in_both_languages(
    dispatcher: Dispatcher, db: Database, world: World,
    language: str, kind_typed: str, kind: MeetingKind,
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code=language)
    await say(chat, "/report", "20/11", kind_typed)
    if kind is not MeetingKind.REGULAR:
        await say(chat, "Chuyển đổi số")
    await say(chat, "120", "19", "2", "2", "tap:skip", "tap:save")
    [saved] = await reports_of(db, world)
    assert saved.kind is kind


@pytest.mark.parametrize(
    ("guest", "adopted", "expected"),
    [
        ("y", "n", (True, False)),  # one letter
        ("có", "không", (True, False)),  # Vietnamese, to an English bot
        ("co", "khong", (True, False)),  # without diacritics
        ("no", "yes", (False, True)),
        ("k", "ok", (False, True)),  # the short forms people type
    ],
)
async def test_yes_and_no_are_understood_in_any_form(
    dispatcher: Dispatcher, db: Database, world: World,
    guest: str, adopted: str, expected: tuple[bool, bool],
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await say(chat, "/report", "20/11", "1", "95", "19", guest, adopted)
    if expected[1]:
        await say(chat, "0", "all")
    await say(chat, "tap:skip", "tap:save")
    [saved] = await reports_of(db, world)
    assert (saved.upper_guest, saved.resolution_adopted) == expected


async def test_a_topic_must_contain_a_letter(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    [reply] = await say_last(chat, "/report", "20/11", "2", "2026")
    assert reply.text.startswith("A topic is words")
    [reply] = await chat.send("Đề án 06")
    assert "How long did the meeting last" in reply.text


async def test_the_note_goes_to_the_cells_real_parent_committee(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    chat = Chat(dispatcher, "sec-1")
    await say(chat, "/baocao", "20/11", "1", "95", "19", "2", "2")
    assert "Đảng ủy xã" in chat.last_text  # a commune's cell
    org, users = OrgRepository(db), UserRepository(db)
    await org.import_cells([CellRow(2, ("Huyện Cần Đước", "Thị trấn Cần Đước", "Chi bộ khu phố 1"),
                                    "TT-01", 12, 0, 0)])
    town = await org.by_code("TT-01")
    assert town is not None
    user_id = await users.ensure("test", "sec-town", clock())
    await users.grant(user_id, Role.SECRETARY, town.id, clock())
    town_chat = Chat(dispatcher, "sec-town")
    await say(town_chat, "/baocao", "20/11", "1", "95", "12", "2", "2")
    assert "Đảng ủy thị trấn" in town_chat.last_text and "xã" not in town_chat.last_text
    english = Chat(dispatcher, "sec-town", language_code="en")
    await english.send("/huy")
    await say(english, "/report", "20/11", "1", "95", "12", "2", "2")
    assert "Anything to tell the township Party committee?" in english.last_text


async def test_after_a_save_the_reply_is_short_and_the_standing_one_command_away(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await say(chat, "/report", *REGULAR)
    [reply] = await chat.tap("save")
    assert reply.text.startswith("Saved. Thank you, comrade.\n\nThis meeting (Nov 20, 2026):")
    assert "• Reported before the due day: Nov 2026" in reply.text  # the year's months held
    assert reply.text.endswith("The whole standing: /standing")
    for long_part in ("Latest meeting", "Average attendance", "not an official rating",
                      "full members: from 9"):
        assert long_part not in reply.text
    assert len(reply.text.splitlines()) <= 12


async def test_organisers_read_the_secretarys_latest_notes_in_the_standing(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    repo = MeetingRepository(db)
    for month, note in ((8, None), (9, "Xin hỗ trợ tài liệu"), (10, "Đề nghị xã dự họp"),
                        (11, "Họp tại nhà văn hoá")):
        await repo.save(report(world, date(2026, month, 10), note=note), regular=True,
                        by_user=None, at=clock())
    [reply] = await Chat(dispatcher, "commune-staff", language_code="en").send("/standing TL-01")
    notes = reply.text.split("Notes from the secretary:\n")[1].split("\n\n")[0]
    assert notes.splitlines() == [
        "• Nov 10, 2026: Họp tại nhà văn hoá",
        "• Oct 10, 2026: Đề nghị xã dự họp",
        "• Sep 10, 2026: Xin hỗ trợ tài liệu",
    ]
    [own] = await Chat(dispatcher, "sec-1", language_code="en").send("/standing")
    assert "Notes from the secretary" not in own.text  # the secretary wrote them


@pytest.mark.parametrize(("language", "skip"), [("vi", "skip"), ("en", "bỏ qua"), ("en", "Skip")])
async def test_skip_is_typed_in_either_language(
    dispatcher: Dispatcher, db: Database, world: World, language: str, skip: str
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code=language)
    await say(chat, "/report", "20/11", "1", "95", "19", skip, "2", skip, "1")
    [saved] = await reports_of(db, world)
    assert saved.upper_guest is None and saved.note is None  # both skipped, not "skip" as text
