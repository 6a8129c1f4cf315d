"""What every channel gets from the core: notices, apologies, the user's language, contexts."""

from __future__ import annotations

from bot.core import notices
from bot.core.dispatcher import Dispatcher
from bot.core.messages import Inbound, InboundKind
from bot.domain.org import Role
from bot.storage.database import Database
from bot.storage.users import UserRepository
from tests.support import Chat, Clock, World

SORRY = "Sorry, something went wrong"


def of(kind: InboundKind, user: str = "sec-1", language: str | None = "en") -> Inbound:
    return Inbound("test", user, language_code=language, kind=kind)


async def test_an_unreadable_message_is_answered_with_the_question_again(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    [asked] = await chat.send("/baocao")
    notice, again = await dispatcher.handle(of(InboundKind.UNREADABLE))
    assert notice.text == "I can only read typed text. Please type your answer."
    assert again.text == asked.text and again.choices == asked.choices
    assert again.token == asked.token  # the same asking: its buttons still answer it


async def test_an_unreadable_message_outside_a_conversation_gets_the_notice_only(
    dispatcher: Dispatcher,
) -> None:
    [notice] = await dispatcher.handle(of(InboundKind.UNREADABLE))
    assert "typed text" in notice.text


async def test_an_edited_message_changes_nothing_and_says_how_to_change_an_answer(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/baocao")
    [notice] = await dispatcher.handle(Inbound("test", "sec-1", text="/huy",
                                               language_code="en", kind=InboundKind.EDITED))
    assert "edited messages" in notice.text and "Back" in notice.text
    _, current = await dispatcher.handle(of(InboundKind.UNREADABLE))
    assert current.text.startswith("(1/8)")  # the edit to /huy cancelled nothing


async def test_a_group_message_gets_the_pointer_and_registers_nobody(
    dispatcher: Dispatcher, db: Database
) -> None:
    [pointer] = await dispatcher.handle(Inbound("test", "passer-by", text="/start CODE",
                                                language_code="en", kind=InboundKind.GROUP))
    assert "private chat" in pointer.text
    assert await UserRepository(db).find("test", "passer-by") is None


async def test_after_a_failed_send_the_apology_brings_the_question_again(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    [asked] = await chat.send("/baocao")
    apology, again = await dispatcher.handle(of(InboundKind.FAILED))
    assert apology.text.startswith(SORRY)
    assert again.text == asked.text


async def test_notices_follow_the_stored_language_before_the_apps(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    user = await UserRepository(db).find("test", "sec-1")
    assert user is not None
    await UserRepository(db).set_locale(user.id, "en")
    [notice] = await dispatcher.handle(of(InboundKind.EDITED, language="vi"))
    assert notice.text.startswith("I do not read edited messages")
    [guest] = await dispatcher.handle(of(InboundKind.EDITED, "stranger", language="vi"))
    assert not guest.text.startswith("I do not")  # a guest: the app's language, Vietnamese


async def test_handle_never_raises_even_when_the_user_cannot_be_looked_up(
    dispatcher: Dispatcher, db: Database
) -> None:
    await db.close()  # every query fails from now on
    [apology] = await dispatcher.handle(Inbound("test", "sec-1", text="/baocao",
                                                language_code="en"))
    assert apology.text.startswith(SORRY)
    turn = await dispatcher.begin(Inbound("test", "sec-1", language_code="en"))
    assert turn.token is None
    response = await turn.respond(Inbound("test", "sec-1", text="1", language_code="en"))
    assert [r.text[:len(SORRY)] for r in response.replies] == [SORRY]
    assert not response.user.grants


async def test_a_turn_looks_the_user_up_once_and_names_the_current_question(
    dispatcher: Dispatcher, db: Database
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    [asked] = await chat.send("/baocao")
    turn = await dispatcher.begin(Inbound("test", "sec-1", language_code="en"))
    assert turn.token == asked.token
    assert turn.t("Done") == "Done"
    response = await turn.respond(Inbound("test", "sec-1", choice="yesterday",
                                          token=asked.token, language_code="en"))
    assert response.replies[-1].text.startswith("(2/8)")
    assert response.locale == "en" and response.user.secretary_of


async def test_a_response_tells_who_the_user_is_after_registering_or_a_new_language(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    from bot.storage.users import InviteRepository

    code = await InviteRepository(db).create(Role.STAFF, world.commune_id, clock(), 7)
    before = await dispatcher.respond(Inbound("test", "newcomer", text="hello"))
    assert not before.user.grants and before.locale == "vi"
    after = await dispatcher.respond(Inbound("test", "newcomer", text=f"/start {code}"))
    assert after.user.is_staff
    [prompt] = await dispatcher.handle(Inbound("test", "newcomer", text="/ngonngu"))
    chosen = await dispatcher.respond(Inbound("test", "newcomer", choice="en",
                                              token=prompt.token))
    assert chosen.locale == "en"


async def test_a_context_for_speaking_first_has_the_users_language_and_scope(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    users = UserRepository(db)
    sec2 = await users.find("test", "sec-2")
    assert sec2 is not None
    await users.set_locale(sec2.id, "en")
    ctx = await dispatcher.context_for_user("test", "sec-2")
    assert ctx is not None
    assert ctx.t.locale == "en" and ctx.inbound.kind is InboundKind.NOTHING
    assert set(ctx.user.secretary_of) == set(world.cell_ids.values())
    assert ctx.t(notices.EDITED).startswith("I do not read edited messages")
    vi = await dispatcher.context_for_user("test", "sec-1")
    assert vi is not None and vi.t.locale == "vi"  # no choice stored: the bot's default
    assert await dispatcher.context_for_user("test", "stranger") is None
    assert await dispatcher.handle(Inbound("test", "sec-1", kind=InboundKind.NOTHING)) == []


async def test_an_answer_is_read_against_the_question_as_it_was_shown(
    db: Database, clock: Clock, world: World
) -> None:
    from bot.core.commands import Command, Registry
    from bot.core.flow import ChoiceStep, Ctx, Done, Flow, Outcome
    from bot.core.messages import Choice, Reply
    from bot.domain.rulebook import Rulebook
    from tests.support import VN

    fruit = [Choice("mango", "Xoài"), Choice("lychee", "Vải")]

    def picked(ctx: Ctx, key: str) -> Outcome:
        return Done([Reply(f"picked {key}")])

    flow = Flow("fruit", [ChoiceStep("fruit", lambda ctx: "Which?", lambda ctx: fruit, picked)])
    registry = Registry([Command(("chon", "pick"), "Pick", flow=flow)])
    dispatcher = Dispatcher(db, Rulebook.default(), registry, VN, "en", clock)
    chat = Chat(dispatcher, "sec-1")
    await chat.send("/chon")
    fruit.reverse()  # the options change while the user reads the question
    [answer] = await chat.send("1")
    assert answer.text == "picked mango"  # the first button shown, not the first one now
    await chat.send("/chon")  # asked again: now in the new order
    [answer] = await chat.send("1")
    assert answer.text == "picked lychee"
