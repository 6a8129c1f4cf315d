"""Telegram through python-telegram-bot, faked at the HTTP boundary: assert on what was sent."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.channels.telegram import (
    MAX_CALLBACK_BYTES,
    CallbackCodec,
    TelegramChannel,
    build_application,
    keyboard_json,
    utf16_length,
)
from bot.channels.text import split_text
from bot.config import Settings
from bot.core import notices
from bot.core.commands import Command, Registry
from bot.core.dispatcher import Dispatcher
from bot.core.flow import ChoiceStep, Ctx, Done, Flow, Invalid, MultiChoiceStep, Next, Outcome
from bot.core.messages import Attachment, Choice, Reply
from bot.core.outbound import Sender, Undeliverable
from bot.domain.org import Role
from bot.domain.periods import Period, PeriodKind
from bot.domain.rulebook import Rulebook
from bot.i18n import translator
from bot.logsafe import RedactToken
from bot.storage.database import Database
from bot.storage.summaries import SummaryRepository
from bot.storage.users import InviteRepository, UserRepository
from handlers import admin, help, language, start
from tests.botapi_json import NAME, message_json
from tests.channels.recording import TOKEN, FakeTelegram, RecordingRequest, without_question_id
from tests.support import VN, Clock, World

SECRETARY = 1001
PNG = b"\x89PNG\r\n\x1a\n" + b"chart" * 20
ADMIN = 1002
STRANGER = 1003
VI = translator("vi")  # the users here write in Vietnamese: notices come in their language


# A test-only flow: a multi-select, then a single choice.
def _fruit(ctx: Ctx) -> list[Choice]:
    return [Choice("mango", "Xoài"), Choice("durian", "Sầu riêng"), Choice("lychee", "Vải")]


def _picked(ctx: Ctx, keys: list[str]) -> Outcome:
    ctx.draft["fruit"] = keys
    return Next("size")


def _sized(ctx: Ctx, key: str) -> Outcome:
    if key == "l":
        return Invalid("Too big: choose S or M.")
    return Done([Reply(f"Saved: {', '.join(ctx.draft['fruit'])} ({key})")])


PICK = Flow("pick", [
    MultiChoiceStep("fruit", lambda ctx: "Which fruit?", _fruit, _picked),
    ChoiceStep("size", lambda ctx: "How big?",
               lambda ctx: [Choice("s", "S"), Choice("m", "M"), Choice("l", "L")], _sized),
])


LONG = Flow("a_flow_with_a_rather_long_name", [
    ChoiceStep("and_a_step_whose_name_is_long_too", lambda ctx: "Sure?",
               lambda ctx: [Choice("yes", "Yes"), Choice("no", "No")],
               lambda ctx, key: Done([Reply(f"You said {key}")]), counted=False),
])


async def _export(ctx: Ctx, args: str) -> Sequence[Reply]:
    return [Reply("Here is the file.", attachment=Attachment("report.xlsx", b"PK\x03\x04data",
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))]


async def _chart(ctx: Ctx, args: str) -> Sequence[Reply]:
    await ctx.say([Reply("Drawing…")])  # ahead of the slow part
    return [Reply("Attendance", attachment=Attachment("chart.png", PNG, "image/png"))]


async def _long(ctx: Ctx, args: str) -> Sequence[Reply]:
    line = "Chi bộ ấp Xóm Chùa: đã báo cáo, 18/21 đảng viên dự họp.\n"
    return [Reply(line * 200, (Choice("ok", "OK"),), token="long.ok")]


async def _boom(ctx: Ctx, args: str) -> Sequence[Reply]:
    return [Reply("bí mật của đồng chí Nguyễn Văn A")]


REGISTRY = Registry([
    *start.COMMANDS,
    *help.COMMANDS,
    *language.COMMANDS,
    *admin.COMMANDS,
    Command(("chon", "pick"), "Pick fruit", flow=PICK),
    Command(("dainhat", "longest"), "Long names", flow=LONG, menu=False),
    Command(("xuat", "export"), "Export", action=_export, menu=False),
    Command(("bieudo", "chart"), "Chart", action=_chart, menu=False),
    Command(("dai", "long"), "Long", action=_long, menu=False),
    Command(("bimat", "secret"), "Secret", action=_boom, menu=False),
])


@pytest.fixture
async def telegram(db: Database, clock: Clock, world: World) -> AsyncIterator[FakeTelegram]:
    settings = Settings(TOKEN, "http://127.0.0.1:9", Path(":memory:"), VN, "vi", None)
    dispatcher = Dispatcher(db, Rulebook.default(), REGISTRY, VN, "vi", clock)
    request = RecordingRequest()
    application = build_application(dispatcher, settings, request=request,
                                     get_updates_request=request)
    users = UserRepository(db)
    for user_id, role, unit in ((SECRETARY, Role.SECRETARY, world.cell_ids["TL-01"]),
                                (ADMIN, Role.ADMIN, world.district_id)):
        key = await users.ensure("telegram", str(user_id), clock())
        await users.grant(key, role, unit, clock())
    async with application:
        yield FakeTelegram(application, request)


def channel_of(telegram: FakeTelegram) -> TelegramChannel:
    channel = telegram.application.bot_data["channel"]
    assert isinstance(channel, TelegramChannel)
    return channel


async def test_calls_go_to_the_configured_api_url(telegram: FakeTelegram) -> None:
    [get_me] = telegram.request.calls_of("getMe")
    assert get_me.url == f"http://127.0.0.1:9/bot{TOKEN}/getMe"


async def test_start_with_an_invite_code_registers_and_greets_with_the_cell(
    telegram: FakeTelegram, db: Database, clock: Clock, world: World
) -> None:
    code = await InviteRepository(db).create(Role.SECRETARY, world.cell_ids["TL-02"], clock(), 7)
    calls = await telegram.send(STRANGER, "/start")
    [explanation] = [c for c in calls if c.method == "sendMessage"]
    assert explanation.chat_id == STRANGER and "/start" in explanation.text
    calls = await telegram.send(STRANGER, f"/start {code}")
    [greeting] = [c for c in calls if c.method == "sendMessage"]
    assert "Chi bộ ấp Chợ" in greeting.text and "/trogiup" in greeting.text
    user = await UserRepository(db).find("telegram", str(STRANGER))
    assert user is not None and user.secretary_of == (world.cell_ids["TL-02"],)


async def test_the_profile_name_is_kept_at_registration_for_organisers_and_never_logged(
    telegram: FakeTelegram, db: Database, clock: Clock, world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    code = await InviteRepository(db).create(Role.SECRETARY, world.cell_ids["TL-02"], clock(), 7)
    await telegram.send(STRANGER, f"/start {code}")
    names = await SummaryRepository(db).secretary_names(
        world.commune_id, Period(PeriodKind.MONTH, 2026, 11))
    assert NAME in names[world.cell_ids["TL-02"]]
    assert NAME not in caplog.text


async def test_an_english_telegram_user_is_answered_in_english(telegram: FakeTelegram) -> None:
    calls = await telegram.send(STRANGER, "hello", language_code="en-GB")
    assert "invite code" in calls[-1].text


async def test_a_typed_answer_moves_the_flow_on(telegram: FakeTelegram) -> None:
    await telegram.send(ADMIN, "/moi")
    prompt = telegram.sent_to(ADMIN)[-1]
    assert prompt.text.startswith("(1/2)")
    assert len(prompt.buttons) == 3  # long labels: one button a row
    await telegram.send(ADMIN, "1")
    assert "TL-01" in telegram.texts_to(ADMIN)[-1]
    await telegram.send(ADMIN, "TL-02")
    assert telegram.texts_to(ADMIN)[-1].startswith("/start ")


async def test_an_update_telegram_delivers_twice_is_answered_but_applied_once(
    telegram: FakeTelegram, db: Database
) -> None:
    await telegram.send(ADMIN, "/moi")
    raw = {"update_id": telegram.next_update_id(), "message": message_json(77, ADMIN, "1", "vi")}
    await telegram.process(raw)  # the first of the three choices: on to the unit's question
    after_first = telegram.texts_to(ADMIN)[-1]
    calls = await telegram.process(raw)  # a webhook retried, or polling after a crash
    assert [c.text for c in calls if c.method == "sendMessage"] == [after_first]  # asked again
    await telegram.send(ADMIN, "TL-02")
    assert telegram.texts_to(ADMIN)[-1].startswith("/start ")  # the second question, answered


async def test_a_tap_edits_the_prompt_to_show_the_answer_then_sends_the_next(
    telegram: FakeTelegram,
) -> None:
    await telegram.send(SECRETARY, "/ngonngu")
    prompt = telegram.sent_to(SECRETARY)[-1]
    assert prompt.text == "Chọn ngôn ngữ:"
    assert [[without_question_id(b["callback_data"]) for b in row] for row in prompt.buttons] == [
        ["language.language|vi", "language.language|en"]]  # short labels share a row
    calls = await telegram.tap(SECRETARY, label="English")
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText", "sendMessage"]
    edit = calls[1]
    assert edit.text == "Chọn ngôn ngữ:\n→ English"
    assert "reply_markup" not in edit.params  # the buttons are gone
    assert calls[2].text == "Language set to English."


async def test_a_multi_select_toggle_edits_the_keyboard_and_done_shows_the_choice(
    telegram: FakeTelegram,
) -> None:
    await telegram.send(SECRETARY, "/chon")
    prompt = telegram.sent_to(SECRETARY)[-1]
    prompt_id = max(telegram.request.messages)[1]
    assert prompt.button_texts == ["☐ Xoài", "☐ Sầu riêng", "☐ Vải", "Xong"]
    calls = await telegram.tap(SECRETARY, data="pick.fruit|durian")
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText"]
    assert calls[1].button_texts == ["☐ Xoài", "☑ Sầu riêng", "☐ Vải", "Xong"]
    assert calls[1].params["message_id"] == prompt_id  # the tapped prompt, not a new one
    await telegram.tap(SECRETARY, data="pick.fruit|mango")
    calls = await telegram.tap(SECRETARY, data="pick.fruit|mango")  # and off again
    assert calls[1].button_texts == ["☐ Xoài", "☑ Sầu riêng", "☐ Vải", "Xong"]
    calls = await telegram.tap(SECRETARY, label="Xong")
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText", "sendMessage"]
    assert calls[1].text == "(1/2) Which fruit?\n→ Sầu riêng"
    assert calls[2].text.startswith("(2/2) How big?")
    assert calls[2].button_texts == ["S", "M", "L", "« Quay lại"]
    assert [len(row) for row in calls[2].buttons] == [3, 1]  # numbers three a row, back alone
    calls = await telegram.tap(SECRETARY, label="M")
    assert calls[-1].text == "Saved: durian (m)"


async def test_a_tapped_answer_the_step_refuses_keeps_the_question_open(
    telegram: FakeTelegram,
) -> None:
    await telegram.send(SECRETARY, "/chon")
    await telegram.send(SECRETARY, "1")
    calls = await telegram.tap(SECRETARY, label="L")
    assert [c.method for c in calls] == [
        "answerCallbackQuery", "editMessageReplyMarkup", "sendMessage"]  # no "→ L"
    assert calls[2].text.startswith("Too big: choose S or M.\n\n(2/2) How big?")
    assert calls[2].button_texts[:3] == ["S", "M", "L"]


async def test_a_tap_too_old_to_answer_is_still_handled(telegram: FakeTelegram) -> None:
    await telegram.send(SECRETARY, "/ngonngu")
    telegram.request.fail_next("answerCallbackQuery", 400,
                               "Bad Request: query is too old and response timeout expired")
    calls = await telegram.tap(SECRETARY, label="English")
    assert calls[-1].text == "Language set to English."


async def test_a_double_tap_gets_a_small_notice_and_no_new_messages(
    telegram: FakeTelegram,
) -> None:
    await telegram.send(ADMIN, "/moi")
    message, button = telegram.find_button(ADMIN, label="Bí thư chi bộ")
    await telegram.tap_on(ADMIN, message, button)
    calls = await telegram.tap_on(ADMIN, message, button)  # the same button, tapped again
    # No new messages: a double tap on a slow network should not fill the chat.
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageReplyMarkup"]
    assert calls[0].params["text"] == VI(notices.STALE_TAP)
    assert "reply_markup" not in calls[1].params
    assert telegram.texts_to(ADMIN)[-1].startswith("(2/2)")  # the current question is open


async def test_a_question_answered_by_typing_keeps_its_buttons_under_a_newer_one(
    telegram: FakeTelegram,
) -> None:
    await telegram.send(SECRETARY, "/chon")
    message, button = telegram.find_button(SECRETARY, label="☐ Xoài")
    calls = await telegram.send(SECRETARY, "1 3")
    # One call: the next question, with buttons of its own below the old ones.
    assert [c.method for c in calls] == ["sendMessage"]
    assert calls[0].text == "(2/2) How big?"
    # A tap on the old buttons is told it is late; only then do they go.
    calls = await telegram.tap_on(SECRETARY, message, button)
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageReplyMarkup"]
    assert calls[0].params["text"] == VI(notices.STALE_TAP)
    assert calls[1].params["message_id"] == message["message_id"]


async def test_a_question_answered_by_typing_loses_its_buttons_when_none_follow(
    telegram: FakeTelegram,
) -> None:
    await telegram.send(SECRETARY, "/chon")
    await telegram.send(SECRETARY, "1 3")
    asked = telegram.find_button(SECRETARY, label="M")[0]["message_id"]
    calls = await telegram.send(SECRETARY, "m")
    # The answer first (the reply waits for nothing), then the last buttons in the chat go.
    assert [c.method for c in calls] == ["sendMessage", "editMessageReplyMarkup"]
    assert calls[0].text == "Saved: mango, lychee (m)"
    assert calls[1].params["message_id"] == asked and "reply_markup" not in calls[1].params


async def test_a_button_whose_data_is_not_known_any_more_gets_the_current_question(
    telegram: FakeTelegram,
) -> None:
    await telegram.send(SECRETARY, "/ngonngu")
    message = telegram.request.messages[max(telegram.request.messages)]
    message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] = "#0123456789abcdef"
    calls = await telegram.tap(SECRETARY, data="#0123456789abcdef")
    assert calls[0].method == "answerCallbackQuery"
    assert calls[0].params["text"] == VI(notices.STALE_TAP)
    assert all(c.method != "sendMessage" for c in calls)


def test_callback_data_is_token_and_key_and_never_over_64_bytes() -> None:
    codec = CallbackCodec()
    assert codec.encode("meeting.kind", "regular") == "meeting.kind|regular"
    assert codec.decode("meeting.kind|regular") == ("meeting.kind", "regular")
    exactly = "t" * (MAX_CALLBACK_BYTES - 2)
    assert codec.encode(exactly, "k") == f"{exactly}|k"  # 64 bytes still fits
    for token, key in [("t" * 63, "k"), ("recruitment.very_long_step_name", "ư" * 20),
                       ("a|b", "c"), ("x" * 10, "k" * 60)]:
        data = codec.encode(token, key)
        assert data.startswith("#") and len(data.encode()) <= MAX_CALLBACK_BYTES
        assert codec.decode(data, current=token) == (token, key)
    assert codec.decode("garbage") is None


def test_a_hashed_token_is_read_back_against_the_current_question_after_a_restart() -> None:
    token = "a_flow_with_a_rather_long_name.and_a_step_whose_name_is_long_too"
    data = CallbackCodec().encode(token, "yes")
    assert data.endswith("|yes") and len(data.encode()) <= MAX_CALLBACK_BYTES
    restarted = CallbackCodec()
    assert restarted.decode(data, current=token) == (token, "yes")
    assert restarted.decode(data, current="another.question") is None  # an old question
    assert restarted.decode(data) is None


def test_a_pair_too_long_even_hashed_is_remembered_in_memory_only() -> None:
    codec = CallbackCodec(capacity=2)
    first = codec.encode("x" * 70, "k" * 60)
    assert "|" not in first and len(first.encode()) <= MAX_CALLBACK_BYTES
    assert codec.decode(first) == ("x" * 70, "k" * 60)
    assert CallbackCodec().decode(first, current="x" * 70) is None  # forgotten by a restart
    codec.encode("x" * 70, "l" * 60)
    codec.encode("x" * 70, "m" * 60)
    assert codec.decode(first) is None  # the oldest is forgotten first


def test_every_button_of_a_reply_with_a_long_token_fits() -> None:
    codec = CallbackCodec()
    reply = Reply("?", tuple(Choice(f"option_{n}", f"Option {n}") for n in range(5)),
                  token="a_flow_with_a_long_name.a_step_with_an_even_longer_name")
    markup = keyboard_json(reply, codec)
    assert markup is not None
    for row in markup["inline_keyboard"]:
        for button in row:
            assert isinstance(button["callback_data"], str)
            assert len(button["callback_data"].encode()) <= MAX_CALLBACK_BYTES
            assert codec.decode(button["callback_data"], current=reply.token) is not None


async def test_a_hashed_button_round_trips_through_a_tap(telegram: FakeTelegram) -> None:
    await telegram.send(SECRETARY, "/dainhat")
    prompt = telegram.sent_to(SECRETARY)[-1]
    data = [b["callback_data"] for row in prompt.buttons for b in row]
    assert all(d.startswith("#") and len(d.encode()) <= MAX_CALLBACK_BYTES for d in data)
    channel_of(telegram).codec = CallbackCodec()  # as after a restart: nothing remembered
    calls = await telegram.tap(SECRETARY, label="Yes")
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText", "sendMessage"]
    assert calls[1].text == "Sure?\n→ Yes"
    assert calls[2].text == "You said yes"


def test_long_texts_are_split_at_line_ends_under_the_limit() -> None:
    text = "".join(f"Dòng {n}: Chi bộ ấp Xóm Chùa đã báo cáo đầy đủ.\n" for n in range(300))
    chunks = split_text(text, 4096, utf16_length)
    assert len(chunks) > 1
    assert all(utf16_length(c) <= 4096 for c in chunks)
    assert all(c.endswith("đầy đủ.") for c in chunks)  # cut at a line end
    assert "\n".join(chunks) == text.rstrip("\n")
    assert split_text("x" * 5000, 4096, utf16_length) == ["x" * 4096, "x" * 904]  # hard cut
    assert [utf16_length(c) for c in split_text("😀" * 3000, 4096, utf16_length)] == [4096, 1904]
    assert split_text("", 4096, utf16_length) == ["…"]


async def test_a_long_reply_is_sent_in_parts_with_the_buttons_on_the_last(
    telegram: FakeTelegram,
) -> None:
    calls = await telegram.send(SECRETARY, "/dai")
    sent = [c for c in calls if c.method == "sendMessage"]
    assert len(sent) == 3
    assert all(utf16_length(c.text) <= 4096 for c in sent)
    assert [bool(c.buttons) for c in sent] == [False, False, True]


async def test_an_attachment_is_sent_as_a_document_with_its_file_name(
    telegram: FakeTelegram,
) -> None:
    calls = await telegram.send(SECRETARY, "/xuat")
    [document] = [c for c in calls if c.method == "sendDocument"]
    assert document.params["caption"] == "Here is the file."
    assert document.files["document"] == ("report.xlsx", b"PK\x03\x04data")
    assert not [c for c in calls if c.method == "sendMessage"]


async def test_a_picture_is_sent_as_a_photo_after_the_notice_said_ahead_of_it(
    telegram: FakeTelegram,
) -> None:
    channel = channel_of(telegram)
    assert isinstance(channel.port, Dispatcher)
    channel.port.outbox.add(channel)  # as the App does: the dispatcher's notices go through it
    await telegram.application.start()
    try:
        calls = await telegram.send(SECRETARY, "/bieudo")
    finally:
        await telegram.application.stop()
    sent = [c for c in calls if c.method in {"sendMessage", "sendPhoto", "sendDocument"}]
    assert [c.method for c in sent] == ["sendMessage", "sendPhoto"]
    assert sent[0].text == "Drawing…"
    assert sent[1].params["caption"] == "Attendance"
    assert sent[1].files["photo"] == ("chart.png", PNG)


async def test_groups_get_one_polite_pointer_to_the_private_chat_and_nothing_else(
    telegram: FakeTelegram, db: Database
) -> None:
    group = {"id": -100123, "type": "supergroup", "title": "Chi bộ ấp Xóm Chùa"}
    calls = await telegram.send(STRANGER, "/start", chat=group)
    [refusal] = calls
    assert refusal.method == "sendMessage" and refusal.chat_id == -100123
    assert refusal.text == VI(notices.GROUP)
    assert await telegram.send(SECRETARY, "/trogiup", chat=group) == []
    assert await telegram.send(STRANGER, "xin chào", chat=group) == []
    assert await UserRepository(db).find("telegram", str(STRANGER)) is None


async def test_strangers_menu_is_set_per_language_with_how_to_register(
    telegram: FakeTelegram,
) -> None:
    application = telegram.application
    assert application.post_init is not None
    await application.post_init(application)
    menus = {c.params.get("language_code"): c for c in telegram.request.calls_of("setMyCommands")}
    assert set(menus) == {"vi", "en", None}
    names = {code: [c["command"] for c in call.params["commands"]] for code, call in menus.items()}
    assert names["vi"] == ["start", "trogiup"]
    assert names["en"] == ["start", "help"]
    assert names[None] == names["vi"]
    descriptions = {c["command"]: c["description"] for c in menus["en"].params["commands"]}
    assert descriptions == {"start": "Register with an invite code", "help": "Show this help"}
    vi = {c["command"]: c["description"] for c in menus["vi"].params["commands"]}
    assert vi["trogiup"] != "Show this help"  # translated
    assert all(call.params["scope"] == {"type": "default"} for call in menus.values())


def test_a_registered_users_menu_lists_their_commands_then_cancel(
    telegram: FakeTelegram,
) -> None:
    from bot.domain.org import Grant, User

    admin = User(1, "telegram", "1", None, (Grant(Role.ADMIN, 1),))
    channel = channel_of(telegram)
    assert [c.command for c in channel.menu_commands("vi", admin)] == [
        "trogiup", "ngonngu", "moi", "chon", "huy"]
    assert [c.command for c in channel.menu_commands("en", admin)][-1] == "cancel"


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_real_registry_makes_menus_telegram_accepts(
    locale: str, telegram: FakeTelegram
) -> None:
    from handlers import registry

    channel = channel_of(telegram)
    dispatcher = channel.port
    assert isinstance(dispatcher, Dispatcher)
    real = TelegramChannel(Dispatcher(dispatcher.db, Rulebook.default(), registry(), VN, "vi"),
                           channel.settings)
    commands = real.menu_commands(locale)
    wanted = [c for c in registry().commands if c.menu]
    assert len(commands) == len(wanted) + 1  # every menu command, and /huy or /cancel
    for command in commands:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", command.command)
        assert 1 <= len(command.description) <= 256
    assert len({c.command for c in commands}) == len(commands)


def test_a_command_name_telegram_would_refuse_is_left_out_of_the_menu(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    channel = channel_of(telegram)
    bad = Registry([Command(("bao-cao", "report-x"), "Report"), *help.COMMANDS])
    dispatcher = channel.port
    assert isinstance(dispatcher, Dispatcher)
    odd = TelegramChannel(Dispatcher(dispatcher.db, Rulebook.default(), bad, VN, "vi"),
                          channel.settings)
    assert [c.command for c in odd.menu_commands("vi")] == ["trogiup", "huy"]
    assert "/bao-cao cannot be in the command menu" in caplog.text


async def test_a_failed_menu_call_does_not_stop_the_bot(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    telegram.request.fail_next("setMyCommands")
    application = telegram.application
    assert application.post_init is not None
    await application.post_init(application)
    assert "could not set the command menus" in caplog.text


async def test_a_transport_error_is_logged_without_text_and_apologised_for(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    telegram.request.fail_next("sendMessage", 400, "Bad Request: can't parse entities")
    calls = await telegram.send(SECRETARY, "/bimat", language_code="en")
    sent = [c for c in calls if c.method == "sendMessage"]
    assert len(sent) == 2  # the failed one, then the apology in the user's language
    assert sent[1].text.startswith("Xin lỗi") or sent[1].text.startswith("Sorry")
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "BadRequest" in record.getMessage()
    assert "bí mật" not in caplog.text and "Nguyễn" not in caplog.text


async def test_the_token_never_appears_in_logs(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture, db: Database, clock: Clock,
    world: World,
) -> None:
    caplog.set_level(logging.DEBUG)
    code = await InviteRepository(db).create(Role.STAFF, world.commune_id, clock(), 7)
    telegram.request.fail_next("sendMessage", 401, "Unauthorized")
    await telegram.send(STRANGER, f"/start {code}")
    await telegram.send(SECRETARY, "/ngonngu")
    await telegram.tap(SECRETARY, label="English")
    application = telegram.application
    assert application.post_init is not None
    await application.post_init(application)
    assert caplog.records  # PTB did log at DEBUG
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


def test_the_redaction_filter_hides_a_token_in_messages_and_tracebacks() -> None:
    redact = RedactToken(TOKEN)
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "GET %s", (
        f"http://127.0.0.1/bot{TOKEN}/getMe",), None)
    assert redact.filter(record)
    assert TOKEN not in record.getMessage() and "<token>" in record.getMessage()
    try:
        raise RuntimeError(f"failed: /bot{TOKEN}/getUpdates")
    except RuntimeError as exc:
        failing = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), (
            type(exc), exc, exc.__traceback__))
    redact.filter(failing)
    assert failing.exc_text is not None and TOKEN not in failing.exc_text


async def test_an_edited_message_is_not_taken_and_a_sticker_is_not_an_answer(
    telegram: FakeTelegram,
) -> None:
    edited = message_json(77, SECRETARY, "/trogiup")
    edited["edit_date"] = edited["date"]
    [said] = await telegram.process({"update_id": telegram.next_update_id(),
                                     "edited_message": edited})
    assert said.text == VI(notices.EDITED)
    sticker = message_json(78, SECRETARY, "")
    del sticker["text"]
    sticker["sticker"] = {"file_id": "s", "file_unique_id": "s", "type": "regular",
                          "width": 1, "height": 1, "is_animated": False, "is_video": False}
    calls = await telegram.process({"update_id": telegram.next_update_id(), "message": sticker})
    assert [c.method for c in calls] == ["sendMessage"]


async def test_a_registered_user_gets_a_menu_of_just_their_commands(
    telegram: FakeTelegram, db: Database, clock: Clock, world: World
) -> None:
    code = await InviteRepository(db).create(Role.SECRETARY, world.cell_ids["TL-02"], clock(), 7)
    await telegram.send(STRANGER, "hello")
    assert telegram.request.calls_of("setMyCommands") == []  # strangers keep the general menu
    await telegram.send(STRANGER, f"/start {code}")
    [menu] = telegram.request.calls_of("setMyCommands")
    assert menu.params["scope"] == {"type": "chat", "chat_id": STRANGER}
    names = [c["command"] for c in menu.params["commands"]]
    assert "trogiup" in names and "huy" in names and "moi" not in names  # not an admin
    await telegram.send(STRANGER, "/trogiup")
    assert len(telegram.request.calls_of("setMyCommands")) == 1  # unchanged: not set again
    await telegram.send(STRANGER, "/ngonngu")
    await telegram.tap(STRANGER, label="English")
    english = telegram.request.calls_of("setMyCommands")[-1]
    assert english.params["commands"][0]["command"] == "help"
    await telegram.send(ADMIN, "/help", language_code="en")
    admin_menu = telegram.request.calls_of("setMyCommands")[-1]
    assert admin_menu.params["scope"] == {"type": "chat", "chat_id": ADMIN}
    assert "invite" in [c["command"] for c in admin_menu.params["commands"]]


async def test_users_are_handled_side_by_side_and_each_one_in_order() -> None:
    from telegram import Update as TgUpdate

    from bot.channels.telegram import OneUserAtATime

    processor = OneUserAtATime(8)
    events: list[str] = []
    first_started = asyncio.Event()
    release_first = asyncio.Event()

    async def slow(name: str) -> None:
        events.append(f"start {name}")
        first_started.set()
        await release_first.wait()
        events.append(f"end {name}")

    async def quick(name: str) -> None:
        events.append(f"start {name}")
        events.append(f"end {name}")

    def update(update_id: int, user_id: int) -> TgUpdate:
        return TgUpdate.de_json(
            {"update_id": update_id, "message": message_json(update_id, user_id, "x")}, None
        )

    async with processor:
        a1 = asyncio.create_task(processor.process_update(update(1, 1), slow("a1")))
        await first_started.wait()
        a2 = asyncio.create_task(processor.process_update(update(2, 1), quick("a2")))
        b1 = asyncio.create_task(processor.process_update(update(3, 2), quick("b1")))
        await b1  # another user is not held up by the slow one
        assert events == ["start a1", "start b1", "end b1"]
        release_first.set()
        await asyncio.gather(a1, a2)
    assert events[3:] == ["end a1", "start a2", "end a2"]  # the same user, in order


async def test_one_users_burst_does_not_take_the_slots_of_others() -> None:
    from telegram import Update as TgUpdate

    from bot.channels.telegram import OneUserAtATime

    processor = OneUserAtATime(2)
    gate = asyncio.Event()
    done: list[str] = []

    async def held(name: str) -> None:
        await gate.wait()
        done.append(name)

    async def quick(name: str) -> None:
        done.append(name)

    def update(update_id: int, user_id: int) -> TgUpdate:
        return TgUpdate.de_json(
            {"update_id": update_id, "message": message_json(update_id, user_id, "x")}, None
        )

    async with processor:
        burst = [asyncio.create_task(processor.process_update(update(n, 1), held(f"a{n}")))
                 for n in range(1, 11)]  # ten updates of one user, the first one held up
        await asyncio.sleep(0)
        await asyncio.wait_for(processor.process_update(update(99, 2), quick("b")), timeout=1)
        assert done == ["b"]  # two slots, yet the other user was not kept waiting
        gate.set()
        await asyncio.gather(*burst)
    assert done[1:] == [f"a{n}" for n in range(1, 11)]


async def test_a_photo_with_a_caption_is_not_an_answer_and_the_question_comes_again(
    telegram: FakeTelegram,
) -> None:
    await telegram.send(ADMIN, "/moi")
    photo = message_json(90, ADMIN, "")
    del photo["text"]
    photo["caption"] = "1"
    photo["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
    calls = await telegram.process({"update_id": telegram.next_update_id(), "message": photo})
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert texts[0] == VI(notices.UNREADABLE)
    assert texts[1].startswith("(1/2)")  # the same question, not answered by the caption


async def test_after_a_failed_send_the_apology_brings_the_question_again(
    telegram: FakeTelegram,
) -> None:
    telegram.request.fail_next("sendMessage", 502, "Bad Gateway")
    calls = await telegram.send(ADMIN, "/moi", language_code="en")
    sent = [c.text for c in calls if c.method == "sendMessage"]
    assert sent[-2].startswith("Sorry") and sent[-1].startswith("(1/2)")


async def test_the_bot_speaks_first_through_the_channel_as_a_sender(
    telegram: FakeTelegram,
) -> None:
    channel = channel_of(telegram)
    assert isinstance(channel, Sender)
    with pytest.raises(Undeliverable):  # not polling: nobody would answer either
        await channel.send(str(SECRETARY), [Reply("Nhắc việc")])
    await telegram.application.start()
    try:
        await channel.send(str(SECRETARY), [Reply("Nhắc việc", (Choice("report", "Báo cáo"),),
                                                  token="remind.r1")])
        [sent] = telegram.sent_to(SECRETARY)
        assert sent.text == "Nhắc việc" and sent.button_texts == ["Báo cáo"]
        telegram.request.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
        with pytest.raises(Undeliverable):
            await channel.send(str(SECRETARY), [Reply("Nhắc lần nữa")])
        telegram.request.fail_next("sendMessage", 400, "Bad Request: chat not found")
        with pytest.raises(Undeliverable):
            await channel.send(str(STRANGER), [Reply("Ai đây?")])
    finally:
        await telegram.application.stop()


def test_a_keyboard_is_sent_exactly_as_python_telegram_bot_would_serialise_it() -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    reply = Reply("?", (Choice("a", "Một"), Choice("b", "Hai"), Choice("done", "Xong")),
                  multi=True, selected=frozenset({"b"}), token="pick.fruit.abc123")
    fast = keyboard_json(reply, CallbackCodec())
    assert fast is not None
    ptb = InlineKeyboardMarkup([[InlineKeyboardButton(b["text"], callback_data=b["callback_data"])
                                 for b in row] for row in fast["inline_keyboard"]])
    assert fast == ptb.to_dict()
    assert fast["inline_keyboard"][0][1]["text"] == "☑ Hai"
