"""/lienket: one person's Telegram and Zalo chats become one account, through the dispatcher."""

from __future__ import annotations

import re

import pytest

from bot.core.dispatcher import Dispatcher
from bot.domain.org import Role
from bot.storage.database import Database
from bot.storage.users import InviteRepository, UserRepository
from tests.support import Chat, Clock, World

CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b")
ZALO_KEY = "6ede9afa66b88fe6d6a9"


async def link_code(chat: Chat) -> str:
    [reply] = await chat.send("/link")
    found = CODE.search(reply.text)
    assert found is not None, reply.text
    return found.group()


@pytest.mark.parametrize("typed", [
    "/lienket {code}",  # the command the bot names
    "/link {code}",  # its English alias
    "/start {code}",  # as with an invite
    "{code}",  # the code alone, as people do on Zalo
])
async def test_a_code_from_telegram_typed_on_zalo_makes_one_account(
    dispatcher: Dispatcher, db: Database, world: World, typed: str
) -> None:
    telegram = Chat(dispatcher, "sec-1", language_code="en")
    zalo = Chat(dispatcher, ZALO_KEY, channel="zalo", language_code="en")
    code = await link_code(telegram)
    [reply] = await zalo.send(typed.format(code=code))
    assert "now linked" in reply.text and "Chi bộ ấp Xóm Chùa" in reply.text
    on_zalo = await UserRepository(db).find("zalo", ZALO_KEY)
    on_telegram = await UserRepository(db).find("test", "sec-1")
    assert on_zalo is not None and on_telegram is not None and on_zalo.id == on_telegram.id
    [help_reply] = await zalo.send("/help")
    assert "/report" in help_reply.text  # a secretary's commands, not the stranger's answer


async def test_a_report_begun_on_telegram_goes_on_over_zalo(
    dispatcher: Dispatcher, world: World
) -> None:
    telegram = Chat(dispatcher, "sec-1", language_code="en")
    zalo = Chat(dispatcher, ZALO_KEY, channel="zalo", language_code="en")
    await zalo.send(await link_code(telegram))
    await telegram.send("/report")
    [date_answered] = await telegram.send("20/11")
    assert date_answered.text.startswith("(2/8)")
    [next_step] = await zalo.send("1")  # the same open conversation, answered on Zalo
    assert next_step.text.startswith("(3/8)")


async def test_a_zalo_chat_registered_by_invite_keeps_its_role_after_linking(
    dispatcher: Dispatcher, db: Database, clock: Clock, world: World
) -> None:
    invite = await InviteRepository(db).create(Role.STAFF, world.commune_id, clock(), 7)
    zalo = Chat(dispatcher, ZALO_KEY, channel="zalo", language_code="en")
    [greeting] = await zalo.send(invite)  # an invite code alone registers too
    assert "organiser of Xã Tân Lân" in greeting.text
    await zalo.send("/link " + await link_code(Chat(dispatcher, "sec-1", language_code="en")))
    user = await UserRepository(db).find("test", "sec-1")
    assert user is not None and user.has(Role.STAFF) and user.has(Role.SECRETARY)


async def test_linking_a_chat_whose_conversation_is_over_says_nothing_was_closed(
    dispatcher: Dispatcher, db: Database, clock: Clock, world: World
) -> None:
    # A conversation's row outlives it (ended): only one under way is "closed" by a link.
    invite = await InviteRepository(db).create(Role.STAFF, world.commune_id, clock(), 7)
    zalo = Chat(dispatcher, ZALO_KEY, channel="zalo", language_code="en")
    await zalo.send(invite)
    await zalo.send("/ngonngu")
    await zalo.send("2")  # English: that conversation is over
    code = await link_code(Chat(dispatcher, "sec-1", language_code="en"))
    [reply] = await zalo.send(f"/link {code}")
    assert "now linked" in reply.text and "was closed" not in reply.text


async def test_wrong_linking_codes_count_as_wrong_codes(
    dispatcher: Dispatcher, world: World
) -> None:
    zalo = Chat(dispatcher, ZALO_KEY, channel="zalo", language_code="en")
    for attempt in range(5):
        [reply] = await zalo.send(f"/lienket ZZZZ-ZZZ{attempt + 2}")
        assert "not valid" in reply.text
    code = await link_code(Chat(dispatcher, "sec-1", language_code="en"))
    [reply] = await zalo.send(code)
    assert "Too many wrong codes" in reply.text


async def test_a_stranger_asking_to_link_is_told_where_the_code_comes_from(
    dispatcher: Dispatcher,
) -> None:
    [reply] = await Chat(dispatcher, ZALO_KEY, channel="zalo", language_code="en").send("/link")
    assert "/start CODE" in reply.text and "/lienket there" in reply.text


async def test_an_account_cannot_take_a_second_chat_of_the_same_channel(
    dispatcher: Dispatcher, world: World
) -> None:
    sec1 = Chat(dispatcher, "sec-1", language_code="en")
    await Chat(dispatcher, ZALO_KEY, channel="zalo").send(await link_code(sec1))
    [reply] = await Chat(dispatcher, "other-zalo", channel="zalo", language_code="en").send(
        await link_code(sec1))
    assert "already has a chat on this channel" in reply.text


async def test_the_bots_own_messages_follow_the_chat_the_person_wrote_from_last(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    telegram = Chat(dispatcher, "sec-1", language_code="en")
    zalo = Chat(dispatcher, ZALO_KEY, channel="zalo", language_code="en")
    await zalo.send(await link_code(telegram))
    users = UserRepository(db)
    account = await users.find("test", "sec-1")
    assert account is not None
    await telegram.send("/help")
    assert await users.reach(account.id) == ("test", "sec-1")
    await zalo.send("/help")
    assert await users.reach(account.id) == ("zalo", ZALO_KEY)
    assert ("zalo", ZALO_KEY) in await users.secretaries_of(world.cell_ids["TL-01"])
    assert ("test", "sec-1") not in await users.secretaries_of(world.cell_ids["TL-01"])
