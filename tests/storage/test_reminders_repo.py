"""The reminders' ledger (each reminder once, across rounds, restarts and two processes), the
recipients with their reach and choices, unreachable chats, and the rounds run."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

from bot.domain.org import Grant, Role
from bot.domain.reminders import Due, ReminderKind
from bot.storage.database import Database
from bot.storage.links import LinkRepository
from bot.storage.reminders import ReminderSettings, ReminderStore, RoundRecord
from bot.storage.users import UserRepository
from tests.support import Clock, World, user_id

ZALO_KEY = "6ede9afa66b88fe6d6a9"


def dues(user_id: int, n: int = 2) -> list[Due]:
    return [Due(ReminderKind.REPORT, user_id, f"cell:{i}", "2026-11", date(2026, 12, 5))
            for i in range(1, n + 1)]


async def test_a_claimed_reminder_is_not_claimed_again_until_its_send_failed(
    db: Database, world: World, clock: Clock
) -> None:
    store = ReminderStore(db)
    now, long_ago = clock(), clock() - timedelta(hours=1)
    mine = dues(await user_id(db, "sec-1"))
    assert await store.claim(mine, "round-a", now, long_ago) == mine
    assert await store.claim(mine, "round-b", now, long_ago) == []  # held by round a
    await store.release(mine[:1], "round-a")  # the first send failed
    await store.mark_sent(mine[1:], "round-a", now)
    assert await store.claim(mine, "round-b", now, long_ago) == mine[:1]  # only the failed one
    assert await store.state_of(mine[0]) == ("claimed", 2)
    assert await store.state_of(mine[1]) == ("sent", 1)
    await store.mark_sent(mine[:1], "round-b", now)
    assert await store.claim(mine, "round-c", now + timedelta(days=1), now) == []


async def test_only_the_holder_of_a_claim_marks_it(
    db: Database, world: World, clock: Clock
) -> None:
    store = ReminderStore(db)
    mine = dues(await user_id(db, "sec-1"), 1)
    await store.claim(mine, "round-a", clock(), clock())
    await store.mark_sent(mine, "round-b", clock())  # another round's word does not count
    await store.release(mine, "round-b")
    assert await store.state_of(mine[0]) == ("claimed", 1)


async def test_a_claim_left_by_a_process_that_died_is_taken_over_once_old(
    db: Database, world: World, clock: Clock
) -> None:
    store = ReminderStore(db)
    mine = dues(await user_id(db, "sec-1"), 1)
    start = clock()
    await store.claim(mine, "dead-round", start, start - timedelta(minutes=15))
    later = start + timedelta(minutes=5)
    assert await store.claim(mine, "next", later, later - timedelta(minutes=15)) == []
    later = start + timedelta(minutes=20)
    assert await store.claim(mine, "next", later, later - timedelta(minutes=15)) == mine


async def test_two_processes_racing_claim_each_reminder_once(
    tmp_path: Path, db: Database, world: World, clock: Clock
) -> None:
    mine = dues(await user_id(db, "sec-1"), 40)
    other = await Database.open(tmp_path / "chibo.sqlite3")  # a second process's connections
    try:
        first, second = ReminderStore(db), ReminderStore(other)
        long_ago = clock() - timedelta(hours=1)
        won = await asyncio.gather(
            *(store.claim([due], name, clock(), long_ago)
              for due in mine for store, name in ((first, "a"), (second, "b"))))
    finally:
        await other.close()
    claimed = [due for batch in won for due in batch]
    assert sorted(d.key for d in claimed) == sorted(d.key for d in mine)  # each once


async def test_recipients_come_with_their_roles_choices_and_the_chat_they_used_last(
    db: Database, world: World, clock: Clock
) -> None:
    store, users = ReminderStore(db), UserRepository(db)
    sec2, staff = await user_id(db, "sec-2"), await user_id(db, "staff")
    await LinkRepository(db).redeem(
        await LinkRepository(db).create_code(sec2, clock()), "zalo", ZALO_KEY, clock())
    await store.choose(staff, ReminderSettings(reminders=True, digest=False), clock())
    contacts = {c.user_id: c for c in await store.contacts()}
    assert len(contacts) == 5  # sec-1, sec-2, staff, commune-staff, admin
    linked = contacts[sec2]
    assert (linked.channel, linked.user_key) == ("zalo", ZALO_KEY)  # linking is using it
    assert linked.grants == (Grant(Role.SECRETARY, world.cell_ids["TL-01"]),
                             Grant(Role.SECRETARY, world.cell_ids["TL-02"]))
    assert linked.recipient.cells == frozenset(world.cell_ids.values())
    assert (contacts[staff].recipient.units, contacts[staff].digest) == ((world.district_id,),
                                                                         False)
    await users.note_use(sec2, "test", "sec-2", "en")  # writes on the first chat again
    again = {c.user_id: c for c in await store.contacts()}[sec2]
    assert (again.channel, again.user_key, again.app_locale) == ("test", "sec-2", "en")
    assert await store.settings(staff) == ReminderSettings(True, False)
    assert await store.settings(sec2) == ReminderSettings()  # never chose: everything


async def test_an_unreachable_chat_is_skipped_until_its_user_writes_again(
    db: Database, world: World, clock: Clock
) -> None:
    store, users = ReminderStore(db), UserRepository(db)
    sec1 = await user_id(db, "sec-1")
    await store.mark_unreachable(sec1, clock())
    assert not {c.user_id: c for c in await store.contacts()}[sec1].recipient.reachable
    await users.note_use(sec1, "test", "sec-1")  # they unblocked the bot and wrote
    assert {c.user_id: c for c in await store.contacts()}[sec1].recipient.reachable


async def test_an_app_language_is_kept_when_a_channel_does_not_tell_one(
    db: Database, world: World
) -> None:
    store, users = ReminderStore(db), UserRepository(db)
    sec1 = await user_id(db, "sec-1")
    await users.note_use(sec1, "test", "sec-1", "en")
    await users.note_use(sec1, "zalo", "unlinked")  # Zalo says no language
    assert {c.user_id: c for c in await store.contacts()}[sec1].app_locale == "en"


async def test_a_day_counts_as_done_only_after_its_scheduled_round(
    db: Database, clock: Clock
) -> None:
    store = ReminderStore(db)
    day = clock().date()
    record = RoundRecord(day, True, clock(), clock(), 3, 3, 0, 0, 0)
    await store.record_round(record)  # by hand: the scheduled round still runs
    assert not await store.scheduled_round_done(day)
    await store.record_round(RoundRecord(day, False, clock(), clock(), 2, 1, 1, 0, 0))
    assert not await store.scheduled_round_done(day)  # a send failed: the round runs again
    await store.record_round(RoundRecord(day, False, clock(), clock(), 1, 1, 0, 0, 0))
    assert await store.scheduled_round_done(day)
    assert not await store.scheduled_round_done(day + timedelta(days=1))


async def test_every_cell_lies_under_a_root(db: Database, world: World) -> None:
    assert await ReminderStore(db).roots() == [world.district_id]
