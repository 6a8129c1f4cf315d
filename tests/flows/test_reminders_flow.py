"""Reminder rounds through the dispatcher's contexts and a recording sender: once per reminder
across rounds, restarts and failures; blocked users; quiet hours; the digest; /nhacnho."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.outbound import Outbox
from bot.domain.org import Role
from bot.domain.pipeline import Birth, Move, Stage
from bot.domain.rulebook import Rulebook
from bot.scheduler import Rounds, Scheduler
from bot.storage.database import Database
from bot.storage.links import LinkRepository
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository
from bot.storage.reads import ReadLog
from bot.storage.recruitment import RecruitmentRepository
from bot.storage.reminders import ReminderSettings, ReminderStore
from bot.storage.users import InviteRepository, UserRepository
from tests.support import (
    Chat,
    Clock,
    RecordingSender,
    World,
    make_dispatcher,
    sample_meeting,
    user_id,
    vn_time,
)


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
async def tracked(db: Database, world: World) -> World:
    """The world's cells, in the bot since January (they owe every month of the year)."""
    org = OrgRepository(db)
    for cell_id in world.cell_ids.values():
        await org.set_tracked_from(cell_id, date(2026, 1, 1))
    return world


def rounds_of(db: Database, dispatcher: Dispatcher, clock: Clock,
              *senders: RecordingSender) -> Rounds:
    return Rounds(db, dispatcher, Outbox(senders, reach=UserRepository(db).reach), clock)


async def in_english(db: Database, *keys: str) -> None:
    for key in keys:
        await UserRepository(db).set_locale(await user_id(db, key), "en")


async def test_on_day_25_each_secretary_gets_one_message_naming_every_cell_without_a_report(
    db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World, sender: RecordingSender
) -> None:
    await in_english(db, "sec-1", "sec-2")
    clock.set(vn_time(2026, 11, 25, 8))
    record = await rounds_of(db, dispatcher, clock, sender).run(clock().date(), by_hand=False)
    assert (record.people, record.sent, record.failed) == (2, 2, 0)
    (first,) = sender.to("sec-1")
    assert "TL-01 Chi bộ ấp Xóm Chùa" in first and "Nov 2026" in first
    assert "due by Dec 5, 2026" in first and first.endswith("→ /report")
    (second,) = sender.to("sec-2")  # secretary of both cells: one message for both
    assert "TL-01" in second and "TL-02" in second and "2 reminders" in second
    assert sender.to("staff") == []  # organisers get the digest, on day 6


async def test_a_cell_that_reported_is_left_out(
    db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World, sender: RecordingSender
) -> None:
    clock.set(vn_time(2026, 11, 25, 8))
    await MeetingRepository(db).save(
        sample_meeting(cell_id=tracked.cell_ids["TL-01"], held_on=date(2026, 11, 24)),
        regular=True, by_user=None, at=vn_time(2026, 11, 24, 21))
    await rounds_of(db, dispatcher, clock, sender).run(clock().date(), by_hand=False)
    assert sender.to("sec-1") == []
    (message,) = sender.to("sec-2")
    assert "TL-02" in message and "TL-01" not in message


async def test_two_rounds_on_one_day_and_a_restart_between_them_send_once(
    tmp_path: Path, db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World,
    sender: RecordingSender,
) -> None:
    clock.set(vn_time(2026, 11, 25, 8))
    await rounds_of(db, dispatcher, clock, sender).run(clock().date(), by_hand=False)
    clock.set(vn_time(2026, 11, 25, 14))
    again = await rounds_of(db, dispatcher, clock, sender).run(clock().date(), by_hand=True)
    assert again.sent == 0
    restarted = await Database.open(tmp_path / "chibo.sqlite3")  # a new process, same file
    try:
        clock.set(vn_time(2026, 11, 26, 8))  # the next day: still in the late days, not resent
        later = await rounds_of(restarted, make_dispatcher(restarted, clock), clock,
                                sender).run(clock().date(), by_hand=False)
    finally:
        await restarted.close()
    assert later.sent == 0 and len(sender.sent) == 2


async def test_two_processes_running_the_same_round_at_once_send_each_reminder_once(
    tmp_path: Path, db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World,
    sender: RecordingSender,
) -> None:
    clock.set(vn_time(2026, 11, 25, 8))
    other = await Database.open(tmp_path / "chibo.sqlite3")
    try:
        records = await asyncio.gather(
            rounds_of(db, dispatcher, clock, sender).run(clock().date(), by_hand=False),
            rounds_of(other, make_dispatcher(other, clock), clock, sender).run(
                clock().date(), by_hand=False),
        )
    finally:
        await other.close()
    assert sum(r.sent for r in records) == 2
    assert sorted(key for key, _ in sender.sent) == ["sec-1", "sec-2"]


async def test_a_failed_send_is_tried_again_at_the_next_round_and_only_it(
    db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World, sender: RecordingSender
) -> None:
    clock.set(vn_time(2026, 11, 25, 8))
    sender.failing.add("sec-1")
    rounds = rounds_of(db, dispatcher, clock, sender)
    first = await rounds.run(clock().date(), by_hand=False)
    assert (first.sent, first.failed) == (1, 1)
    assert not await ReminderStore(db).scheduled_round_done(clock().date())  # to run again
    clock.set(vn_time(2026, 11, 25, 8, 1))
    second = await rounds.run(clock().date(), by_hand=False)
    assert (second.sent, second.failed) == (1, 0)
    assert [key for key, _ in sender.sent] == ["sec-2", "sec-1"]
    assert await ReminderStore(db).scheduled_round_done(clock().date())


async def test_a_user_who_blocked_the_bot_is_marked_skipped_and_reached_again_once_they_write(
    db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World, sender: RecordingSender
) -> None:
    clock.set(vn_time(2026, 11, 25, 8))
    sender.blocked.add("sec-1")
    rounds = rounds_of(db, dispatcher, clock, sender)
    first = await rounds.run(clock().date(), by_hand=False)
    assert (first.people, first.sent, first.unreachable) == (2, 1, 1)  # the round went on
    sender.blocked.clear()
    second = await rounds.run(clock().date(), by_hand=False)
    assert (second.people, second.sent) == (1, 0)  # sec-1 skipped; sec-2's went already
    assert sender.to("sec-1") == []
    await Chat(dispatcher, "sec-1").send("/trogiup")  # unblocked, and writes
    third = await rounds.run(clock().date(), by_hand=False)
    assert third.sent == 1 and len(sender.to("sec-1")) == 1


async def test_nothing_is_sent_in_the_quiet_hours_unless_run_by_hand(
    db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World, sender: RecordingSender
) -> None:
    clock.set(vn_time(2026, 11, 25, 20, 30))
    rounds = rounds_of(db, dispatcher, clock, sender)
    quiet = await rounds.run(clock().date(), by_hand=False)
    assert (quiet.sent, quiet.deferred, sender.sent) == (0, 2, [])
    by_hand = await rounds.run(clock().date(), by_hand=True)
    assert by_hand.sent == 2


async def test_a_linked_person_is_reminded_on_the_chat_they_wrote_from_last(
    db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World, sender: RecordingSender
) -> None:
    zalo = RecordingSender("zalo")
    links = LinkRepository(db)
    account = await user_id(db, "sec-1")
    await links.redeem(await links.create_code(account, clock()), "zalo", "z-1", clock())
    await Chat(dispatcher, "z-1", channel="zalo").send("/trogiup")
    clock.set(vn_time(2026, 11, 25, 8))
    await rounds_of(db, dispatcher, clock, sender, zalo).run(clock().date(), by_hand=False)
    assert sender.to("sec-1") == [] and len(zalo.to("z-1")) == 1


async def test_a_reminder_is_in_the_language_the_users_app_speaks_when_none_was_chosen(
    db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World, sender: RecordingSender
) -> None:
    await Chat(dispatcher, "sec-1", language_code="en-GB").send("/help")
    clock.set(vn_time(2026, 11, 25, 8))
    await rounds_of(db, dispatcher, clock, sender).run(clock().date(), by_hand=False)
    assert "regular meeting report" in sender.to("sec-1")[0]
    assert sender.to("sec-1")[0].endswith("/report")
    assert sender.to("sec-2")[0].endswith("/baocao")  # Vietnamese, the default


async def test_a_user_who_only_registered_is_reminded_in_their_apps_language(
    db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World
) -> None:
    code = await InviteRepository(db).create(Role.SECRETARY, tracked.cell_ids["TL-02"],
                                             clock(), 7)
    await Chat(dispatcher, "new", language_code="en-US").send(f"/start {code}")
    (contact,) = [c for c in await ReminderStore(db).contacts() if c.user_key == "new"]
    assert contact.app_locale == "en"


async def test_the_digest_gives_organisers_their_areas_rate_and_the_missing_cells(
    db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World, sender: RecordingSender
) -> None:
    await in_english(db, "staff", "commune-staff", "admin")
    await MeetingRepository(db).save(
        sample_meeting(cell_id=tracked.cell_ids["TL-01"], held_on=date(2026, 11, 20)),
        regular=True, by_user=None, at=vn_time(2026, 11, 20, 21))
    await ReminderStore(db).choose(await user_id(db, "admin"),
                                   ReminderSettings(reminders=True, digest=False), clock())
    clock.set(vn_time(2026, 12, 6, 8))
    await rounds_of(db, dispatcher, clock, sender).run(clock().date(), by_hand=False)
    (digest,) = sender.to("staff")
    assert "Huyện Cần Đước, Nov 2026: regular meeting reports 1/2 (50%)" in digest
    assert "1 cell has not reported:\n• TL-02 Chi bộ ấp Chợ" in digest
    assert digest.endswith("→ /missing 2026-11")
    assert len(sender.to("commune-staff")) == 1
    assert sender.to("admin") == []  # turned the digest off
    reads = await ReadLog(db).of_unit(tracked.district_id)
    assert [r.what for r in reads] == ["digest"]


async def test_a_digest_names_the_first_cells_and_counts_the_rest(
    tmp_path: Path, db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World,
    sender: RecordingSender,
) -> None:
    await in_english(db, "staff")
    override = tmp_path / "rules.toml"
    override.write_text("[reminders]\ndigest_cells_shown = 1\n", encoding="utf-8")
    narrow = Dispatcher(db, Rulebook.load(override), dispatcher.registry, dispatcher.timezone,
                        "vi", clock)
    clock.set(vn_time(2026, 12, 6, 8))
    await Rounds(db, narrow, Outbox([sender]), clock).run(clock().date(), by_hand=False)
    (digest,) = sender.to("staff")
    assert "2 cells have not reported:\n• TL-01 Chi bộ ấp Xóm Chùa\n… and 1 more" in digest


async def test_a_probation_ending_names_the_alias_to_its_secretary_only(
    db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World, sender: RecordingSender
) -> None:
    await in_english(db, "sec-1")
    sec1 = await user_id(db, "sec-1")
    ceremony = date(2025, 12, 10)  # probation ends on 10 December 2026
    await RecruitmentRepository(db).add(
        tracked.cell_ids["TL-01"], "Chị Hoa", Birth(1995, 3),
        [Move(Stage.CEREMONY, ceremony), Move(Stage.PROBATION, ceremony)], sec1, clock())
    clock.set(vn_time(2026, 11, 10, 8))
    await rounds_of(db, dispatcher, clock, sender).run(clock().date(), by_hand=False)
    (message,) = sender.to("sec-1")
    assert "TL-01 Chi bộ ấp Xóm Chùa, Chị Hoa: the probation ends on Dec 10, 2026" in message
    assert message.endswith("→ /recruit")
    assert all("Chị Hoa" not in text for key, text in sender.sent if key != "sec-1"
               and key != "sec-2")


# /nhacnho --------------------------------------------------------------------------------


async def test_a_secretary_turns_reminders_off_and_on(
    db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World, sender: RecordingSender
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/reminders")
    assert chat.last_text.startswith("Reminders are on.")
    assert [c.key for c in chat.last.choices] == ["on", "off"]  # no digest for secretaries
    await chat.tap("off")
    assert chat.last_text.startswith("Done: you will get no reminders")
    clock.set(vn_time(2026, 11, 25, 8))
    rounds = rounds_of(db, dispatcher, clock, sender)
    await rounds.run(clock().date(), by_hand=False)
    assert sender.to("sec-1") == [] and len(sender.to("sec-2")) == 1
    await chat.send("/reminders on")  # typed with the command
    assert chat.last_text == "Done: you will get every reminder."
    await rounds.run(clock().date(), by_hand=False)
    assert len(sender.to("sec-1")) == 1


async def test_an_organiser_may_turn_off_the_digest_alone_by_typing_its_number(
    db: Database, dispatcher: Dispatcher, world: World
) -> None:
    chat = Chat(dispatcher, "staff", language_code="en")
    await chat.send("/reminders")
    assert [c.key for c in chat.last.choices] == ["on", "no_digest", "off"]
    await chat.send("2")
    assert chat.last_text == "Done: you will get every reminder but the monthly digest."
    settings = await ReminderStore(db).settings(await user_id(db, "staff"))
    assert settings == ReminderSettings(reminders=True, digest=False)
    await chat.send("/nhacnho")
    assert chat.last_text.startswith("Reminders are on, without the monthly digest.")
    await chat.send("maybe")
    assert "Please tap one of the buttons or type its number (1 to 3)" in chat.last_text


# The scheduler ---------------------------------------------------------------------------


class FakeTime:
    """The scheduler's waits move the clock on instead of sleeping; stop after some waits."""

    def __init__(self, clock: Clock, waits: int):
        self.clock = clock
        self.left = waits
        self.waits: list[float] = []

    async def wait(self, stop: asyncio.Event, seconds: float) -> bool:
        self.waits.append(seconds)
        self.clock.set(self.clock() + timedelta(seconds=seconds))
        self.left -= 1
        if self.left <= 0:
            stop.set()
        return stop.is_set()


async def rounds_run(db: Database) -> list[tuple[str, int]]:
    rows = await db.fetch_all("SELECT day, sent FROM reminder_rounds WHERE by_hand = 0"
                              " ORDER BY id")
    return [(row["day"], row["sent"]) for row in rows]


async def test_the_scheduler_runs_a_missed_round_at_start_up_then_each_day_at_eight(
    db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World, sender: RecordingSender
) -> None:
    clock.set(vn_time(2026, 11, 25, 10, 30))  # started late on the 25th
    time = FakeTime(clock, waits=650)  # naps of five minutes: two days and a half
    scheduler = Scheduler(rounds_of(db, dispatcher, clock, sender), time.wait)
    await scheduler.run(asyncio.Event())
    days = await rounds_run(db)
    assert days[:3] == [("2026-11-25", 2), ("2026-11-26", 0), ("2026-11-27", 0)]
    assert len(sender.sent) == 2  # the late days bring nothing twice
    assert clock() > datetime(2026, 11, 27, 8, tzinfo=clock().tzinfo)


async def test_the_scheduler_started_in_the_quiet_hours_waits_for_the_next_morning(
    db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World, sender: RecordingSender
) -> None:
    clock.set(vn_time(2026, 11, 25, 21))
    time = FakeTime(clock, waits=140)  # eleven hours of naps, and a few more
    await Scheduler(rounds_of(db, dispatcher, clock, sender), time.wait).run(asyncio.Event())
    assert await rounds_run(db) == [("2026-11-26", 2)]  # the 25th's reminders, a day late
    assert time.waits[0] == 300  # naps of five minutes at most


async def test_the_scheduler_tries_a_round_with_failures_again_soon(
    db: Database, dispatcher: Dispatcher, clock: Clock, tracked: World, sender: RecordingSender
) -> None:
    clock.set(vn_time(2026, 11, 25, 8))
    sender.failing.add("sec-1")
    time = FakeTime(clock, waits=3)
    await Scheduler(rounds_of(db, dispatcher, clock, sender), time.wait).run(asyncio.Event())
    assert await rounds_run(db) == [("2026-11-25", 1), ("2026-11-25", 1)]
    assert time.waits[:2] == [5.0, 60.0]  # the start-up pause, then a minute
