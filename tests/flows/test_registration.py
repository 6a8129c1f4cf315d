"""Registration, language, help, cancel and invites, through the dispatcher."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.messages import Inbound
from bot.domain.org import CellRow, Role
from bot.storage.database import Database
from bot.storage.org import OrgRepository
from bot.storage.users import InviteRepository, UserRepository
from tests.support import DISTRICT, VN, Chat, Clock, World


async def test_a_stranger_gets_only_the_explanation_whatever_they_send(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "stranger")
    for text in ("xin chào", "/help", "/baocao", "/start"):
        [reply] = await chat.send(text)
        assert "/start" in reply.text and "mã mời" in reply.text


async def test_an_invite_registers_a_secretary_who_is_greeted_with_the_cell(
    dispatcher: Dispatcher, db: Database, clock: Clock, world: World
) -> None:
    code = await InviteRepository(db).create(Role.SECRETARY, world.cell_ids["TL-02"], clock(), 7)
    chat = Chat(dispatcher, "new-secretary")
    [reply] = await chat.send(f"/start {code.lower()}")  # codes are typed in any case
    assert "Chi bộ ấp Chợ" in reply.text
    assert "/trogiup" in reply.text
    user = await UserRepository(db).find("test", "new-secretary")
    assert user is not None and user.secretary_of == (world.cell_ids["TL-02"],)


async def test_a_used_code_and_an_expired_code_say_so(
    dispatcher: Dispatcher, db: Database, clock: Clock, world: World
) -> None:
    invites = InviteRepository(db)
    used = await invites.create(Role.STAFF, world.commune_id, clock(), 7)
    await Chat(dispatcher, "first").send(f"/start {used}")
    [reply] = await Chat(dispatcher, "second").send(f"/start {used}")
    assert "đã được dùng" in reply.text
    old = await invites.create(Role.STAFF, world.commune_id, clock() - timedelta(days=8), 7)
    [reply] = await Chat(dispatcher, "third").send(f"/start {old}")
    assert "hết hạn" in reply.text


async def test_wrong_codes_are_rate_limited_per_user(dispatcher: Dispatcher, db: Database,
                                                     clock: Clock, world: World) -> None:
    chat = Chat(dispatcher, "guesser")
    for attempt in range(5):
        [reply] = await chat.send(f"/start WRONGCODE{attempt}")
        assert "không hợp lệ" in reply.text
    good = await InviteRepository(db).create(Role.STAFF, world.commune_id, clock(), 7)
    [reply] = await chat.send(f"/start {good}")
    assert "quá nhiều" in reply.text.lower()
    clock.set(clock() + timedelta(hours=1, minutes=1))
    [reply] = await chat.send(f"/start {good}")
    assert "Xã Tân Lân" in reply.text


async def test_language_switch_is_stored_and_changes_the_help(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, "sec-1")
    [prompt] = await chat.send("/ngonngu")
    assert [c.label for c in prompt.choices] == ["Tiếng Việt", "English"]
    [reply] = await chat.send("english")  # typed label, any case
    assert reply.text == "Language set to English."
    [help_reply] = await chat.send("/help")
    assert "/report" in help_reply.text or "/language" in help_reply.text
    assert "/cancel" in help_reply.text
    await chat.send("/language")
    [reply] = await chat.tap("vi")
    assert reply.text == "Đã chuyển sang tiếng Việt."


async def test_telegram_language_decides_until_the_user_chooses(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en-US")
    [reply] = await chat.send("/help")
    assert "Show this help" in reply.text


async def test_cancel_ends_a_conversation_and_says_when_there_is_nothing(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "admin", language_code="en")
    await chat.send("/invite")
    [reply] = await chat.send("/cancel")
    assert reply.text == "Cancelled. Nothing was saved."
    [reply] = await chat.send("/huy")
    assert reply.text == "There is nothing to cancel."


async def test_an_admin_invites_from_chat_and_bad_answers_are_reasked(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "admin", language_code="en")
    [prompt] = await chat.send("/invite")
    assert prompt.text.startswith("(1/2)")
    [reply] = await chat.send("7")
    assert "type its number (1 to 3)" in reply.text and reply.text.endswith(prompt.text)
    await chat.send("1")
    [reply] = await chat.send("Xã Tân Lân")  # a unit, not a cell
    assert "needs a cell code" in reply.text
    [reply] = await chat.send("NO-SUCH")
    assert "I found no cell with the code or name NO-SUCH in your area." in reply.text
    done = await chat.send("tl-02")
    code = done[-1].text.removeprefix("/start ")
    now = chat.dispatcher.now()
    status, grant = await InviteRepository(db).redeem(code, "test", "newbie", now)
    assert status == "ok" and grant is not None and grant.unit_id == world.cell_ids["TL-02"]


async def invited_to(db: Database, reply: str) -> int:
    """Redeem the invite shown ("/start CODE"); return the unit it grants."""
    code = reply.removeprefix("/start ")
    status, grant = await InviteRepository(db).redeem(code, "test", f"new-{code}",
                                                      datetime(2026, 11, 27, tzinfo=VN))
    assert status == "ok" and grant is not None, status
    return grant.unit_id


@pytest.mark.parametrize("typed", [
    "xa tan lan",  # B11: no diacritics, no capitals
    "Tân Lân",  # a part of the name
    "Huyen Can Duoc/Xa Tan Lan",  # a path, without diacritics
    "2",  # its number in the list
])
async def test_an_organiser_is_invited_to_a_unit_named_as_people_type_it(
    dispatcher: Dispatcher, db: Database, world: World, typed: str
) -> None:
    chat = Chat(dispatcher, "admin", language_code="en")
    await chat.send("/invite")
    [question] = await chat.send("2")  # an organiser
    assert question.text.startswith("(2/2) Which unit? Tap it, or type its code")
    assert "(for example Huyện Cần Đước/Xã Tân Lân)" in question.text
    assert [c.label for c in question.choices] == ["Huyện Cần Đước", "Xã Tân Lân", "« Back"]
    *_, link = await chat.send(typed)
    assert await invited_to(db, link.text) == world.commune_id


async def test_several_units_found_are_a_numbered_list_by_place(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    await OrgRepository(db).import_cells([
        CellRow(2, (DISTRICT, "Xã Tân Ân", "Chi bộ ấp 1"), "TA-01", 10, 0, 0),
        CellRow(3, (DISTRICT, "Xã Tân Trạch", "Chi bộ ấp Chợ"), "TT-01", 10, 0, 0),
    ])
    chat = Chat(dispatcher, "admin", language_code="en")
    await chat.send("/invite")
    [question] = await chat.send("2")
    assert [c.label for c in question.choices] == [
        "Huyện Cần Đước", "Xã Tân Ân", "Xã Tân Lân", "Xã Tân Trạch", "« Back"]
    [found] = await chat.send("xa tan")
    assert found.text == "3 units match. Which one?"
    assert [c.label for c in found.choices] == [
        "Xã Tân Ân (Huyện Cần Đước)", "Xã Tân Lân (Huyện Cần Đước)",
        "Xã Tân Trạch (Huyện Cần Đước)", "« Back"]
    *_, link = await chat.send("3")
    trach = await OrgRepository(db).by_path([DISTRICT, "Xã Tân Trạch"])
    assert trach is not None and await invited_to(db, link.text) == trach.id
    # A secretary's cell by its name; namesakes listed by commune.
    await chat.send("/invite")
    [question] = await chat.send("1")
    assert question.text.startswith("(2/2) Type the code of the cell or a part of its name")
    *_, link = await chat.send("xom chua")
    assert await invited_to(db, link.text) == world.cell_ids["TL-01"]
    await chat.send("/invite")
    await chat.send("1")
    [found] = await chat.send("ap cho")
    assert found.text == "2 cells match. Which one?"
    assert [c.label for c in found.choices][:2] == [
        "Chi bộ ấp Chợ (Xã Tân Lân)", "Chi bộ ấp Chợ (Xã Tân Trạch)"]
    [note, again] = await chat.send("/invite")
    assert "unfinished conversation" in note.text and again.text == found.text  # it waits
    *_, link = await chat.send("Tân Trạch")
    tt01 = await OrgRepository(db).by_code("TT-01")
    assert tt01 is not None and await invited_to(db, link.text) == tt01.id


async def test_an_admin_of_a_commune_is_offered_their_commune_and_refused_others(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    await OrgRepository(db).import_cells([
        CellRow(2, (DISTRICT, "Xã Mỹ Lệ", "Chi bộ ấp 1"), "ML-01", 10, 0, 0),
    ])
    users = UserRepository(db)
    admin = await users.ensure("test", "commune-admin", dispatcher.now())
    await users.grant(admin, Role.ADMIN, world.commune_id, dispatcher.now())
    chat = Chat(dispatcher, "commune-admin", language_code="en")
    await chat.send("/invite")
    [question] = await chat.send("2")
    assert [c.label for c in question.choices] == ["Xã Tân Lân", "« Back"]
    [refused] = await chat.send("Xã Mỹ Lệ")  # exactly named, but another commune
    assert refused.text.startswith("That unit is outside your area.")
    [refused] = await chat.send("my le")  # not found within their area
    assert refused.text.startswith("I found no unit with the code, name or path my le in")


async def test_back_returns_to_the_previous_question_with_its_answer_kept(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "admin", language_code="en")
    await chat.send("/invite")
    await chat.send("2")
    [reply] = await chat.send("back")
    assert reply.text.startswith("(1/2) Whom")


async def test_a_secretary_cannot_invite(dispatcher: Dispatcher) -> None:
    [reply] = await Chat(dispatcher, "sec-1", language_code="en").send("/invite")
    assert "not available for your role" in reply.text


async def test_a_tap_on_an_old_prompt_is_recognised(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, "admin", language_code="en")
    await chat.send("/invite")
    await chat.tap("staff")
    stale = Inbound("test", "admin", choice="secretary", token="invite.role", language_code="en")
    [note, prompt] = await chat.dispatcher.handle(stale)
    assert "earlier question" in note.text
    assert prompt.token.startswith("invite.target.")


async def test_the_conversation_survives_a_restart(db: Database, clock: Clock,
                                                   world: World) -> None:
    from tests.support import make_dispatcher

    first = Chat(make_dispatcher(db, clock), "admin", language_code="en")
    await first.send("/invite")
    await first.send("1")
    second = Chat(make_dispatcher(db, clock), "admin", language_code="en")  # a new process
    replies = await second.send("TL-01")
    assert replies[-1].text.startswith("/start ")


async def test_a_failure_is_logged_by_type_and_place_never_with_what_was_typed(
    dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers import help as help_module

    def broken(ctx: object) -> str:
        raise ValueError("cannot read 'Nguyễn Văn A'")  # as int("³") would quote the input

    monkeypatch.setattr(help_module, "command_lines", broken)
    [reply] = await Chat(dispatcher, "sec-1").send("/trogiup")
    assert "Xin lỗi" in reply.text
    assert "ValueError" in caplog.text and "handling an update failed" in caplog.text
    assert "Nguyễn" not in caplog.text


async def test_a_conversation_at_a_step_an_upgrade_removed_is_dropped_with_a_word(
    dispatcher: Dispatcher, db: Database, clock: Clock
) -> None:
    from bot.storage.conversations import ConversationState, ConversationStore

    user = await UserRepository(db).find("test", "admin")
    assert user is not None
    store = ConversationStore(db)
    await store.save(user.id, ConversationState("invite", "old_step", {"role": "staff"}), clock())
    chat = Chat(dispatcher, "admin", language_code="en")
    [notice, reply] = await chat.send("/help")
    assert "The bot was updated" in notice.text and "Show this help" in reply.text
    assert await store.load(user.id) is None
    old_history = ConversationState("invite", "target", {"role": "staff"}, ["role"])  # type: ignore[list-item]
    await store.save(user.id, old_history, clock())  # history as an older release kept it
    [notice, reply] = await chat.send("TL-01")
    assert "The bot was updated" in notice.text and "/help" in reply.text


async def test_sending_ones_own_code_again_greets_instead_of_saying_it_is_used(
    dispatcher: Dispatcher, db: Database, clock: Clock, world: World
) -> None:
    code = await InviteRepository(db).create(Role.SECRETARY, world.cell_ids["TL-02"], clock(), 7)
    chat = Chat(dispatcher, "twice")
    await chat.send(f"/start {code}")
    [again] = await chat.send(f"/start {code}")
    assert "Chi bộ ấp Chợ" in again.text and "đã được dùng" not in again.text


async def test_cancel_still_cancels_a_pending_choice_of_language(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/language")
    [reply] = await chat.send("/cancel")
    assert reply.text == "Cancelled. Nothing was saved."
