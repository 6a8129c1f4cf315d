"""Linked chats (one account on two channels), the chat used last, and the Zalo ledger."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.domain.org import Grant, Role
from bot.storage.conversations import ConversationState, ConversationStore
from bot.storage.database import Database
from bot.storage.links import LinkRepository, LinkStatus, format_link_code
from bot.storage.users import InviteRepository, UserRepository
from bot.storage.zalo import ZaloLedger
from tests.support import Clock, World

ZALO_KEY = "6ede9afa66b88fe6d6a9"


async def _sec1_id(db: Database) -> int:
    user = await UserRepository(db).find("test", "sec-1")
    assert user is not None
    return user.id


async def test_a_linked_chat_is_the_same_account_with_the_same_roles(
    db: Database, world: World, clock: Clock
) -> None:
    users, links = UserRepository(db), LinkRepository(db)
    account = await _sec1_id(db)
    code = await links.create_code(account, clock())
    typed = format_link_code(code).lower()  # "abcd-efgh": dashes and case do not matter
    result = await links.redeem(typed, "zalo", ZALO_KEY, clock())
    assert result.status is LinkStatus.LINKED and not result.dropped_conversation
    on_zalo = await users.find("zalo", ZALO_KEY)
    on_telegram = await users.find("test", "sec-1")
    assert on_zalo is not None and on_telegram is not None
    assert on_zalo.id == on_telegram.id == account
    assert on_zalo.grants == (Grant(Role.SECRETARY, world.cell_ids["TL-01"]),)
    assert (on_zalo.channel, on_zalo.user_key) == ("zalo", ZALO_KEY)  # the chat it came from


async def test_a_linked_chat_shares_the_one_open_conversation(
    db: Database, world: World, clock: Clock
) -> None:
    account = await _sec1_id(db)
    await ConversationStore(db).save(account, ConversationState("meeting", "date"), clock())
    links = LinkRepository(db)
    await links.redeem(await links.create_code(account, clock()), "zalo", ZALO_KEY, clock())
    user = await UserRepository(db).find("zalo", ZALO_KEY)
    assert user is not None
    state = await ConversationStore(db).load(user.id)
    assert state is not None and (state.flow, state.step) == ("meeting", "date")


async def test_a_link_code_works_once_and_not_after_its_time(
    db: Database, world: World, clock: Clock
) -> None:
    links, account = LinkRepository(db), await _sec1_id(db)
    code = await links.create_code(account, clock())
    assert (await links.redeem(code, "zalo", ZALO_KEY, clock())).status is LinkStatus.LINKED
    # The same chat typing it again is told it is linked; another chat cannot use it.
    assert (await links.redeem(code, "zalo", ZALO_KEY, clock())).status \
        is LinkStatus.SAME_ACCOUNT
    assert (await links.redeem(code, "other", "x", clock())).status is LinkStatus.USED
    late = await links.create_code(account, clock())
    after = clock() + timedelta(minutes=31)
    assert (await links.redeem(late, "other", "x", after)).status is LinkStatus.EXPIRED
    assert (await links.redeem("ZZZZ-ZZZZ", "other", "x", clock())).status \
        is LinkStatus.UNKNOWN


async def test_an_account_links_one_chat_per_channel(
    db: Database, world: World, clock: Clock
) -> None:
    links, account = LinkRepository(db), await _sec1_id(db)
    await links.redeem(await links.create_code(account, clock()), "zalo", ZALO_KEY, clock())
    second = await links.create_code(account, clock())
    assert (await links.redeem(second, "zalo", "another-zalo", clock())).status \
        is LinkStatus.CHANNEL_TAKEN
    # Its own channel counts too: a code typed in another chat of the same channel.
    assert (await links.redeem(second, "test", "sec-2", clock())).status \
        is LinkStatus.CHANNEL_TAKEN


async def test_a_chat_registered_on_its_own_hands_its_roles_over(
    db: Database, world: World, clock: Clock
) -> None:
    users, links = UserRepository(db), LinkRepository(db)
    invite = await InviteRepository(db).create(Role.STAFF, world.commune_id, clock(), 7)
    await InviteRepository(db).redeem(invite, "zalo", ZALO_KEY, clock())
    own = await users.find("zalo", ZALO_KEY)
    assert own is not None
    await ConversationStore(db).save(own.id, ConversationState("summary", "period"), clock())
    account = await _sec1_id(db)
    result = await links.redeem(await links.create_code(account, clock()), "zalo", ZALO_KEY,
                                clock())
    assert result.status is LinkStatus.LINKED and result.dropped_conversation
    merged = await users.find("test", "sec-1")
    assert merged is not None
    assert set(merged.grants) == {Grant(Role.SECRETARY, world.cell_ids["TL-01"]),
                                  Grant(Role.STAFF, world.commune_id)}
    assert await db.scalar("SELECT COUNT(*) FROM user_roles WHERE user_id = ?", (own.id,)) == 0


async def test_a_chat_linked_to_one_account_is_not_taken_by_another(
    db: Database, world: World, clock: Clock
) -> None:
    links = LinkRepository(db)
    await links.redeem(await links.create_code(await _sec1_id(db), clock()), "zalo", ZALO_KEY,
                       clock())
    sec2 = await UserRepository(db).find("test", "sec-2")
    assert sec2 is not None
    code = await links.create_code(sec2.id, clock())
    assert (await links.redeem(code, "zalo", ZALO_KEY, clock())).status \
        is LinkStatus.LINKED_ELSEWHERE


async def test_an_invite_used_from_a_linked_chat_grants_the_one_account(
    db: Database, world: World, clock: Clock
) -> None:
    account = await _sec1_id(db)
    links = LinkRepository(db)
    await links.redeem(await links.create_code(account, clock()), "zalo", ZALO_KEY, clock())
    invites = InviteRepository(db)
    code = await invites.create(Role.SECRETARY, world.cell_ids["TL-02"], clock(), 7)
    assert (await invites.redeem(code, "zalo", ZALO_KEY, clock()))[0] == "ok"
    assert (await invites.redeem(code, "test", "sec-1", clock()))[0] == "mine"  # same person
    user = await UserRepository(db).find("test", "sec-1")
    assert user is not None and len(user.grants) == 2
    assert await db.scalar("SELECT COUNT(*) FROM users WHERE channel = 'zalo'") == 0


async def test_the_bots_own_messages_go_to_the_chat_used_last(
    db: Database, world: World, clock: Clock
) -> None:
    users, links = UserRepository(db), LinkRepository(db)
    account = await _sec1_id(db)
    assert await users.reach(account) == ("test", "sec-1")  # never written: its own chat
    await links.redeem(await links.create_code(account, clock()), "zalo", ZALO_KEY, clock())
    assert await users.reach(account) == ("zalo", ZALO_KEY)  # linking is using it
    await users.note_use(account, "test", "sec-1")
    assert await users.reach(account) == ("test", "sec-1")
    await users.note_use(account, "zalo", ZALO_KEY)
    cell = world.cell_ids["TL-01"]
    assert ("zalo", ZALO_KEY) in await users.secretaries_of(cell)
    assert ("test", "sec-1") not in await users.secretaries_of(cell)


async def test_a_chat_used_last_that_is_no_longer_the_users_is_not_used(
    db: Database, world: World, clock: Clock
) -> None:
    users = UserRepository(db)
    account = await _sec1_id(db)
    await users.note_use(account, "zalo", "never-linked")  # e.g. a link that was removed
    assert await users.reach(account) == ("test", "sec-1")


async def test_zalo_events_are_handled_once_even_after_a_restart(
    tmp_path: Path, clock: Clock
) -> None:
    path = tmp_path / "chibo.sqlite3"
    db = await Database.open(path)
    ledger = ZaloLedger(db)
    assert await ledger.claim("message.text.received", "2d758cb5e222177a4e35", clock())
    assert not await ledger.claim("message.text.received", "2d758cb5e222177a4e35", clock())
    assert await ledger.claim("message.image.received", "2d758cb5e222177a4e35", clock())
    await db.close()
    db = await Database.open(path)
    try:
        again = ZaloLedger(db)
        assert not await again.claim("message.text.received", "2d758cb5e222177a4e35", clock())
        await again.forget_old_events(clock() + timedelta(days=31))
        assert await again.claim("message.text.received", "2d758cb5e222177a4e35", clock())
    finally:
        await db.close()


async def test_messages_sent_over_zalo_are_counted_per_month(db: Database) -> None:
    ledger = ZaloLedger(db)
    assert await ledger.count_sent("2026-11") == 1
    assert await ledger.count_sent("2026-11", 3) == 4
    assert await ledger.count_sent("2026-12") == 1
    assert (await ledger.sent_in("2026-11"), await ledger.sent_in("2027-01")) == (4, 0)
