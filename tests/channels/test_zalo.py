"""The Zalo channel against the fake Zalo Bot API: whole conversations typed, webhook, files."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace

import pytest

from bot.channels.zalo import TEXT_LIMIT, ZaloChannel, outgoing
from bot.channels.zalo_web import FileShelf
from bot.config import ConfigError, ZaloSettings
from bot.core.dispatcher import Dispatcher
from bot.core.messages import Attachment, Choice, Inbound, Reply
from bot.core.outbound import Undeliverable
from bot.core.port import Response
from bot.domain.meetings import Dissemination
from bot.domain.org import Role, User
from bot.domain.pipeline import Stage
from bot.i18n import Translator, translator
from bot.storage.database import Database
from bot.storage.meetings import MeetingRepository
from bot.storage.recruitment import RecruitmentRepository
from bot.storage.users import InviteRepository
from bot.storage.zalo import ZaloLedger
from handlers import registry
from tests.support import Clock, World, make_dispatcher
from tests.zalo_fake import ZaloFake, zalo_id

TOKEN = "1459232241454765289:ZaloChannelSecret-NeverInLogs"
SECRET = "webhook-secret-0123"
SECRETARY = zalo_id(101)
OTHER = zalo_id(102)
WAIT = 10.0


@pytest.fixture
def fake() -> Iterator[ZaloFake]:
    with ZaloFake(TOKEN, poll_seconds=0.2, fetch_photos=True) as server:
        yield server


def settings_for(fake: ZaloFake, **changes: object) -> ZaloSettings:
    return replace(ZaloSettings(TOKEN, fake.url), **changes)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def running(channel: ZaloChannel, fake: ZaloFake) -> AsyncIterator[ZaloChannel]:
    """Run the channel until the block ends; wait until it polls or its webhook is set."""
    stop = asyncio.Event()
    mark = fake.mark()
    task = asyncio.create_task(channel.run(stop))
    try:
        for _ in range(500):
            if task.done():
                await task  # a failed start shows here
            if fake.calls_of("getUpdates", mark) or fake.calls_of("setWebhook", mark):
                break
            await asyncio.sleep(0.01)
        yield channel
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
        # The fake still holds the poll cancelled at the stop until it times out; an event
        # pushed meanwhile would go to that poll, as it could with Zalo (no offsets).
        await asyncio.sleep(fake.poll_seconds + 0.1)


async def wait_for(fake: ZaloFake, contains: str, user: str = SECRETARY,
                   since: int = 0) -> str:
    """Wait (off the event loop, which serves the bot) for a message to `user`."""
    call = await asyncio.to_thread(fake.wait_for_message, contains, user, WAIT, since)
    return call.text


async def say(fake: ZaloFake, text: str, expect: str, user: str = SECRETARY) -> str:
    """Type `text` to the bot and return the first answer containing `expect`."""
    mark = fake.mark()
    fake.send_text(user, text)
    return await wait_for(fake, expect, user, mark)


@pytest.fixture
def dispatcher(db: Database, clock: Clock, world: World) -> Dispatcher:
    return make_dispatcher(db, clock, locale="en")  # Zalo tells no language: the default


@pytest.fixture
async def zalo(fake: ZaloFake, dispatcher: Dispatcher, db: Database,
               clock: Clock) -> AsyncIterator[ZaloChannel]:
    async with running(ZaloChannel(dispatcher, settings_for(fake), ZaloLedger(db), clock),
                       fake) as channel:
        yield channel


async def register(fake: ZaloFake, db: Database, clock: Clock, world: World,
                   user: str = SECRETARY, cell: str = "TL-01") -> None:
    code = await InviteRepository(db).create(Role.SECRETARY, world.cell_ids[cell], clock(), 7)
    await say(fake, code, "/help", user)  # the code alone; the greeting lists commands


# Whole conversations, typed ----------------------------------------------------------


# What a secretary types to each question of the meeting report, found by its words: a
# question added to the flow fails the test by name instead of shifting every answer.
REPORT_ANSWERS = [
    ("On which day", "1"),  # 1. Today
    ("What kind of meeting", "1"),  # 1. Regular
    ("How long", "95"),  # minutes, typed
    ("How many members attended", "17"),  # of 19 expected
    ("excused", "1"),  # one of the two absent had a reason
    ("upper-level", "2"),  # 2. No
    ("adopt a resolution", "1"),  # 1. Yes
    ("How many tasks", "3"),
    ("passed on to", "1 3"),  # the first and the third target, typed as numbers
    ("a short note", "skip"),  # a text step: its quick value is typed as its label
    ("check the report", "1"),  # 1. Save
]


async def test_a_secretary_registers_and_reports_a_meeting_by_typing_numbers(
    zalo: ZaloChannel, fake: ZaloFake, db: Database, clock: Clock, world: World
) -> None:
    await register(fake, db, clock, world)
    prompt = await say(fake, "/report", "(1/")
    assert "\n1. Today\n2. Yesterday" in prompt  # the choices, numbered, in the same message
    targets = ""
    for _ in range(len(REPORT_ANSWERS)):  # one answer each: a refused answer fails below
        if prompt.startswith("Saved"):
            break
        question = prompt.splitlines()[0]
        answer = next((a for words, a in REPORT_ANSWERS if words in question), None)
        assert answer is not None, f"a question this test does not know:\n{prompt}"
        if "passed on to" in question:
            targets = prompt
        mark = fake.mark()
        fake.send_text(SECRETARY, answer)
        prompt = await wait_for(fake, "", since=mark)
    assert prompt.startswith("Saved"), prompt
    assert "Attendance: 17/19" in prompt  # what the report changed
    [saved] = await MeetingRepository(db).for_year(world.cell_ids["TL-01"], 2026)
    assert (saved.present, saved.excused, saved.minutes, saved.tasks) == (17, 1, 95, 3)
    assert "\n1. ☐ Hamlet board\n" in targets  # a multi-select, numbered like the others
    assert len(saved.disseminated_to) == 2 and Dissemination.HAMLET_BOARD in saved.disseminated_to


async def test_zalo_users_are_told_to_type_never_to_tap_a_button_they_cannot_see(
    zalo: ZaloChannel, fake: ZaloFake, db: Database, clock: Clock, world: World
) -> None:
    await register(fake, db, clock, world)
    help_text = await say(fake, "/help", "/cancel stops it")
    assert "type the number of a choice or its label" in help_text
    await say(fake, "/report", "(1/")
    await say(fake, "1", "What kind of meeting")
    refused = await say(fake, "9", "Please")  # there is no ninth kind
    assert "Please type the number of one of the choices (1 to " in refused
    await say(fake, "1", "How long")  # the question asked again is answered as before
    await say(fake, "/cancel", "")
    said = [call.text for call in fake.messages_to(SECRETARY)]
    assert [text for text in said if re.search(r"\b[Tt]ap\b|button", text)] == []


async def test_an_organiser_registers_and_reads_the_summary_over_zalo(
    zalo: ZaloChannel, fake: ZaloFake, db: Database, clock: Clock, world: World
) -> None:
    code = await InviteRepository(db).create(Role.STAFF, world.district_id, clock(), 7)
    await say(fake, f"/start {code}", "organiser of Huyện Cần Đước", user=OTHER)
    summary = await say(fake, "/summary", "Summary of Huyện Cần Đước", user=OTHER)
    assert "2 cells" in summary and "reported so far: 0/2" in summary  # nothing reported yet
    assert all(len(c.text) <= TEXT_LIMIT for c in fake.messages_to(OTHER))


async def test_the_zalo_profile_name_is_kept_at_registration(
    zalo: ZaloChannel, fake: ZaloFake, db: Database, clock: Clock, world: World
) -> None:
    code = await InviteRepository(db).create(Role.SECRETARY, world.cell_ids["TL-02"], clock(), 7)
    mark = fake.mark()
    fake.send_text(SECRETARY, code, name="Nguyễn Thị Ba")
    await wait_for(fake, "/help", since=mark)
    name = await db.scalar("SELECT display_name FROM users WHERE user_key = ?", (SECRETARY,))
    assert name == "Nguyễn Thị Ba"


async def test_a_recruitment_step_is_recorded_by_typing_numbers(
    zalo: ZaloChannel, fake: ZaloFake, db: Database, clock: Clock, world: World
) -> None:
    await register(fake, db, clock, world)
    await say(fake, "/recruit", "1. ")
    for answer, expect in [("1", "(1/5)"), ("NVA", "(2/5)"), ("05/2000", "(3/5)"),
                           ("1", "(4/5)"), ("2", "(5/5)"), ("1", "NVA")]:
        await say(fake, answer, expect)  # a person added to the candidate pool, yesterday
    for answer, expect in [("/recruit", "1. "), ("2", "(1/4)"), ("1", "(2/4)"),
                           ("1", "(3/4)"), ("1", "(4/4)")]:
        await say(fake, answer, expect)  # then named a sympathiser, today
    await say(fake, "1", "NVA")
    [person] = await RecruitmentRepository(db).of_cell(world.cell_ids["TL-01"])
    assert (person.alias, person.stage) == ("NVA", Stage.SYMPATHISER)
    assert [move.stage for move in person.history] == [Stage.SOURCE, Stage.SYMPATHISER]


async def test_a_sticker_a_photo_and_a_withheld_message_get_the_notice_and_the_question(
    zalo: ZaloChannel, fake: ZaloFake, db: Database, clock: Clock, world: World
) -> None:
    await register(fake, db, clock, world)
    await say(fake, "/report", "(1/8)")
    for send in (fake.send_sticker, fake.send_photo, fake.send_unsupported):
        mark = fake.mark()
        send(SECRETARY)
        await wait_for(fake, "Please type your answer", since=mark)
        await wait_for(fake, "(1/8)", since=mark)  # and the question again


async def test_a_group_gets_only_the_pointer_to_a_private_chat(
    zalo: ZaloChannel, fake: ZaloFake
) -> None:
    event = fake.event("message.text.received", SECRETARY, text="@Bot SoChiBo /start")
    event["message"]["chat"] = {"id": "group-1", "chat_type": "GROUP"}
    fake.push(event)
    text = await wait_for(fake, "", user="group-1")
    assert "/start" in text


# Duplicates, order, users side by side -----------------------------------------------


async def test_an_event_delivered_twice_is_answered_once_even_after_a_restart(
    fake: ZaloFake, dispatcher: Dispatcher, db: Database, clock: Clock, world: World
) -> None:
    def channel() -> ZaloChannel:
        return ZaloChannel(dispatcher, settings_for(fake), ZaloLedger(db), clock)

    async with running(channel(), fake):
        await register(fake, db, clock, world)
        mark = fake.mark()
        event = fake.send_text(SECRETARY, "/help")
        await wait_for(fake, "/report —", since=mark)
        mark = fake.mark()
        fake.push(event)  # Zalo hands the same message out again
        await say(fake, "/standing", "Standing of")  # answered after it: the duplicate was seen
        assert not any("/report —" in c.text for c in fake.messages_to(SECRETARY, mark))
    async with running(channel(), fake):  # a restart remembers what was handled
        mark = fake.mark()
        fake.push(event)
        await say(fake, "/standing", "Standing of")
        assert not any("/report —" in c.text for c in fake.messages_to(SECRETARY, mark))


class ScriptedPort:
    """A core that answers by a script, to watch the channel's own duties."""

    def __init__(self, answer: Callable[[Inbound], Awaitable[list[Reply]]]):
        self.registry = registry()
        self.default_locale = "en"
        self.answer = answer
        self.seen: list[Inbound] = []

    async def respond(self, inbound: Inbound) -> Response:
        self.seen.append(inbound)
        return Response(await self.answer(inbound), User(0, "zalo", inbound.user_key, None, ()),
                        "en")

    async def handle(self, inbound: Inbound) -> list[Reply]:
        return (await self.respond(inbound)).replies

    async def healthy(self) -> bool:
        return True

    async def begin(self, inbound: Inbound) -> ScriptedTurn:
        return ScriptedTurn(self)


class ScriptedTurn:
    def __init__(self, port: ScriptedPort):
        self.port = port
        self.token: str | None = None
        self.t: Translator = translator("en")

    async def respond(self, inbound: Inbound) -> Response:
        return await self.port.respond(inbound)


def scripted(fake: ZaloFake, db: Database, clock: Clock, port: ScriptedPort,
             **changes: object) -> ZaloChannel:
    return ZaloChannel(port, settings_for(fake, **changes), ZaloLedger(db), clock)


def replying_with(text: str, attachment: Attachment | None = None) -> ScriptedPort:
    async def answer(inbound: Inbound) -> list[Reply]:
        return [Reply(text, attachment=attachment)]

    return ScriptedPort(answer)


def serving_files(port: int) -> dict[str, object]:
    """Settings that make the channel serve files at 127.0.0.1:`port`/files."""
    return {"listen": ("127.0.0.1", port), "files_url": f"http://127.0.0.1:{port}/files"}


async def test_each_users_messages_are_answered_in_order_and_users_side_by_side(
    fake: ZaloFake, db: Database, clock: Clock
) -> None:
    release = asyncio.Event()

    async def answer(inbound: Inbound) -> list[Reply]:
        if inbound.text == "slow":
            await release.wait()  # a slow answer (a weak network, a big file)
        return [Reply(f"re: {inbound.text}")]

    async with running(scripted(fake, db, clock, ScriptedPort(answer)), fake):
        fake.send_text(SECRETARY, "slow")
        fake.send_text(SECRETARY, "after")
        await say(fake, "hello", "re: hello", user=OTHER)  # not held up by the slow one
        assert fake.messages_to(SECRETARY) == []  # "after" waits for "slow"
        release.set()
        await wait_for(fake, "re: after")
    assert [c.text for c in fake.messages_to(SECRETARY)] == ["re: slow", "re: after"]


# Long texts, files -------------------------------------------------------------------


def test_a_long_reply_is_cut_at_line_ends_into_messages_zalo_takes_in_order() -> None:
    lines = [f"Chi bộ số {n}: 12/15 đảng viên dự họp" for n in range(150)]
    reply = Reply("\n".join(lines), (Choice("ok", "Đồng ý"), Choice("edit", "Sửa lại")))
    messages = outgoing(reply, translator("vi"), None)
    assert len(messages) > 1 and all(len(m.text) <= TEXT_LIMIT for m in messages)
    assert [line for m in messages for line in m.text.splitlines()] == \
        [*lines, "", "1. Đồng ý", "2. Sửa lại"]  # every line whole, in order, choices last


async def test_a_long_reply_reaches_the_user_whole_over_the_api(
    fake: ZaloFake, db: Database, clock: Clock
) -> None:
    text = "\n".join(f"dòng {n:04d} " + "x" * 40 for n in range(120))  # about 6 000 chars
    async with running(scripted(fake, db, clock, replying_with(text)), fake):
        fake.send_text(SECRETARY, "/summary")
        await wait_for(fake, "dòng 0119")
    sent = fake.messages_to(SECRETARY)
    assert len(sent) == 4 and all(c.accepted for c in sent)
    assert "\n".join(c.text for c in sent) == text


PNG = b"\x89PNG\r\n\x1a\n" + b"chart" * 100
XLSX = b"PK\x03\x04" + b"sheet" * 100


async def test_a_chart_goes_as_a_photo_that_zalo_fetches_from_the_bot(
    fake: ZaloFake, db: Database, clock: Clock
) -> None:
    port = free_port()
    chart = replying_with("Biểu đồ dự họp", Attachment("du-hop.png", PNG, "image/png"))
    async with running(scripted(fake, db, clock, chart, **serving_files(port)), fake):
        fake.send_text(SECRETARY, "/chart")
        await asyncio.to_thread(fake.wait_for, lambda c: c.method == "sendPhoto", WAIT)
    [photo] = fake.calls_of("sendPhoto")
    assert photo.params["caption"] == "Biểu đồ dự họp"
    assert photo.params["photo"].startswith(f"http://127.0.0.1:{port}/files/")
    assert fake.photos[photo.params["photo"]] == PNG  # Zalo could fetch it


async def test_a_spreadsheet_goes_as_a_download_link_or_a_sentence_where_to_get_it(
    fake: ZaloFake, db: Database, clock: Clock
) -> None:
    port = free_port()
    export = replying_with("Báo cáo", Attachment("bao-cao.xlsx", XLSX, "application/x"))
    async with running(scripted(fake, db, clock, export, **serving_files(port)), fake):
        text = await say(fake, "/export", "bao-cao.xlsx")
        url = text.split()[-1]
        data = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read())
        assert data == XLSX
        missing = url.rsplit("/", 2)[0] + "/" + "A" * 32 + "/bao-cao.xlsx"
        with pytest.raises(urllib.error.HTTPError):  # an unknown name is a 404
            await asyncio.to_thread(urllib.request.urlopen, missing, None, 5)
    async with running(scripted(fake, db, clock, export), fake):
        text = await say(fake, "/export", "bao-cao.xlsx")  # no ZALO_FILES_URL: say where
        assert "Telegram" in text and "http" not in text
    made = replying_with("Báo cáo", Attachment("bao-cao.xlsx", XLSX, "application/x",
                                                command="/export 2026-11"))
    async with running(scripted(fake, db, clock, made), fake):
        text = await say(fake, "/export", "bao-cao.xlsx")  # and the command that makes it
        assert "/export 2026-11" in text and "Telegram" in text


def test_files_leave_the_shelf_after_their_time() -> None:
    now = [0.0]
    shelf = FileShelf("https://bot.example.vn/files", lifetime=60, clock=lambda: now[0])
    url = shelf.put(Attachment("a.png", PNG, "image/png"))
    name = url.split("/")[-2]
    assert shelf.get(name) is not None and shelf.path == "/files"
    now[0] = 61
    assert shelf.get(name) is None


# Webhook ------------------------------------------------------------------------------


async def test_the_webhook_takes_events_with_the_right_secret_only(
    fake: ZaloFake, dispatcher: Dispatcher, db: Database, clock: Clock, world: World
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/zalo/hook"
    settings = settings_for(fake, webhook_url=url, webhook_secret=SECRET,
                            listen=("127.0.0.1", port))
    async with running(ZaloChannel(dispatcher, settings, ZaloLedger(db), clock), fake):
        assert fake.webhook == (url, SECRET)
        await register(fake, db, clock, world)  # through the webhook, answered over the API
        event = fake.event("message.text.received", SECRETARY, text="/report")
        assert await asyncio.to_thread(fake.post_webhook, event, url, "wrong-secret") == 403
        assert await asyncio.to_thread(fake.post_webhook, event, url, None) == 403
        assert await asyncio.to_thread(fake.post_webhook, None, url, None) == 200  # a probe
        assert not any("(1/8)" in c.text for c in fake.messages_to(SECRETARY))
        # The body as the docs show it (wrapped in {ok, result}) is read as well.
        mark = fake.mark()
        assert await asyncio.to_thread(fake.post_webhook, event, url, SECRET, False) == 200
        await wait_for(fake, "(1/8)", since=mark)
    assert {d.status for d in fake.deliveries} == {200}
    assert fake.calls_of("getUpdates") == []


async def test_polling_removes_a_webhook_left_from_before(
    fake: ZaloFake, zalo: ZaloChannel
) -> None:
    assert fake.webhook is None  # the channel polls, so none may stay set


@pytest.fixture
def leftover_webhook(fake: ZaloFake) -> None:
    fake.webhook = ("https://old.example.vn/hook", "old-secret-123")


@pytest.mark.usefixtures("leftover_webhook")
async def test_a_leftover_webhook_is_deleted_before_polling(
    fake: ZaloFake, zalo: ZaloChannel
) -> None:
    assert len(fake.calls_of("deleteWebhook")) == 1 and fake.webhook is None


# Failures -----------------------------------------------------------------------------


async def test_a_refused_token_stops_the_channel_with_the_setting_named(
    fake: ZaloFake, dispatcher: Dispatcher, db: Database, clock: Clock
) -> None:
    channel = ZaloChannel(dispatcher, ZaloSettings("1:not-the-token", fake.url),
                          ZaloLedger(db), clock)
    with pytest.raises(ConfigError, match="ZALO_BOT_TOKEN"):
        await channel.run(asyncio.Event())


async def test_a_wrong_api_address_stops_the_channel_with_the_setting_named(
    fake: ZaloFake, dispatcher: Dispatcher, db: Database, clock: Clock
) -> None:
    fake.fail_next("getMe", 404, "Not Found")  # as a server that is not the Bot API would
    channel = ZaloChannel(dispatcher, settings_for(fake), ZaloLedger(db), clock)
    with pytest.raises(ConfigError, match="ZALO_API_URL"):
        await channel.run(asyncio.Event())


async def test_a_bot_api_down_at_start_up_is_waited_for(
    fake: ZaloFake, dispatcher: Dispatcher, db: Database, clock: Clock
) -> None:
    for _ in range(3):  # one getMe, with the client's own retries, all fail
        fake.fail_next("getMe", 502, "Bad Gateway")
    async with running(ZaloChannel(dispatcher, settings_for(fake), ZaloLedger(db), clock),
                       fake) as channel:
        assert channel.running
    assert [c.status for c in fake.calls_of("getMe")] == [502, 502, 502, 200]


async def test_a_failed_answer_is_followed_by_an_apology_and_the_question(
    zalo: ZaloChannel, fake: ZaloFake, db: Database, clock: Clock, world: World
) -> None:
    await register(fake, db, clock, world)
    await say(fake, "/report", "(1/8)")
    for _ in range(3):  # every attempt of the next answer fails
        fake.fail_next("sendMessage", 502, "Bad Gateway")
    mark = fake.mark()
    fake.send_text(SECRETARY, "1")
    await wait_for(fake, "(2/8)", since=mark)  # asked again after the apology
    assert any("Sorry" in c.text for c in fake.messages_to(SECRETARY, mark))


async def test_the_messages_sent_are_counted_and_the_quota_is_reported(
    zalo: ZaloChannel, fake: ZaloFake, db: Database, clock: Clock, world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    await register(fake, db, clock, world)
    await say(fake, "/help", "/report")
    sent = len(fake.messages_to(SECRETARY))
    assert sent == 2
    for _ in range(100):  # counted just after Zalo took it
        if await ZaloLedger(db).sent_in("2026-11") == sent:
            break
        await asyncio.sleep(0.01)
    assert await ZaloLedger(db).sent_in("2026-11") == sent
    fake.quota = sent  # the month's quota is used up: Zalo answers 429
    fake.send_text(SECRETARY, "/help")
    await asyncio.to_thread(fake.wait_for, lambda c: c.status == 429, WAIT)
    for _ in range(500):  # after its retries, the channel gives up and says why
        if any(r.levelno == logging.ERROR and "quota" in r.getMessage()
               for r in caplog.records):
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("no error about the quota was logged")
    assert TOKEN not in caplog.text and "NeverInLogs" not in caplog.text


async def test_the_bots_own_messages_and_events_reach_a_running_channel_only(
    fake: ZaloFake, dispatcher: Dispatcher, db: Database, clock: Clock
) -> None:
    channel = ZaloChannel(dispatcher, settings_for(fake), ZaloLedger(db), clock)
    with pytest.raises(Undeliverable):
        await channel.send(SECRETARY, [Reply("Nhắc việc")])
    # A stopped channel takes no event either: its webhook answers 503, for Zalo to retry.
    assert channel.accept(fake.event("message.text.received", SECRETARY, text="/help")) is False
    async with running(channel, fake):
        await channel.send(SECRETARY, [Reply("Nhắc việc: báo cáo tháng 11")])
        await wait_for(fake, "Nhắc việc")
        with pytest.raises(Undeliverable):
            await channel.send("", [Reply("Nhắc việc")])  # Zalo: the chat_id must not be empty
