"""Guessing codes: a limit per chat, one for every chat together, and the administrators told."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.outbound import Outbox
from bot.domain.org import Role
from bot.domain.rulebook import Rulebook
from bot.storage.database import Database
from bot.storage.users import InviteRepository, UserRepository
from handlers import registry
from tests.support import VN, Chat, Clock, RecordingSender, World

LIMIT = 6  # wrong codes from every chat together in an hour, in this test's rulebook
WRONG = "/start ZZZZZZZZZZZZZZ"


@pytest.fixture
def admins_sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def guarded(db: Database, clock: Clock, world: World, tmp_path: Path,
            admins_sender: RecordingSender) -> Dispatcher:
    rules = tmp_path / "rules.toml"
    rules.write_text(f"[policy]\ninvite_guesses_per_hour = {LIMIT}\n", encoding="utf-8")
    outbox = Outbox([admins_sender], reach=UserRepository(db).reach)
    return Dispatcher(db, Rulebook.load(rules), registry(), VN, "en", clock, outbox)


async def guess_from_many_chats(dispatcher: Dispatcher, chats: int, start: int = 0) -> str:
    """Send one wrong code from each of `chats` new chats; return the last answer."""
    answer = ""
    for number in range(start, start + chats):
        [reply] = await Chat(dispatcher, f"guesser-{number}", language_code="en").send(WRONG)
        answer = reply.text
    return answer


async def test_wrong_codes_from_many_chats_close_codes_for_all_and_warn_the_admins_once(
    guarded: Dispatcher, db: Database, world: World, clock: Clock,
    admins_sender: RecordingSender,
) -> None:
    code = await InviteRepository(db).create(Role.SECRETARY, world.cell_ids["TL-02"], clock(), 7)
    assert "not valid" in await guess_from_many_chats(guarded, LIMIT - 1)
    assert admins_sender.sent == []  # below the limit: nobody is bothered
    await guess_from_many_chats(guarded, 1, start=LIMIT - 1)  # the limit is reached
    [warning] = admins_sender.to("admin")
    assert f"{LIMIT} wrong invite or linking codes" in warning and f"from {LIMIT} chats" in warning
    assert "guesser" not in warning  # counts only, never who
    # Now even a good code waits, and more guesses warn nobody again.
    [refused] = await Chat(guarded, "newcomer", language_code="en").send(f"/start {code}")
    assert "Too many wrong codes have been tried" in refused.text
    assert "try again in an hour" in await guess_from_many_chats(guarded, 3, start=LIMIT)
    assert len(admins_sender.to("admin")) == 1
    assert await UserRepository(db).find("test", "newcomer") is None
    # An hour on, the count has fallen: the good code works.
    clock.set(clock() + timedelta(hours=1, minutes=1))
    [greeting] = await Chat(guarded, "newcomer", language_code="en").send(f"/start {code}")
    assert "Hello, secretary of Chi bộ ấp Chợ" in greeting.text


async def test_a_linking_code_guessed_counts_and_is_refused_like_an_invite(
    guarded: Dispatcher, db: Database, world: World, admins_sender: RecordingSender,
) -> None:
    for number in range(LIMIT):
        await Chat(guarded, f"guesser-{number}", language_code="en").send("/lienket ABCD-EFGH")
    assert len(admins_sender.to("admin")) == 1
    [refused] = await Chat(guarded, "sec-1", language_code="en").send("/lienket ABCD-EFGH")
    assert "Too many wrong codes have been tried" in refused.text


async def test_one_chat_guessing_is_stopped_by_its_own_limit_first(
    guarded: Dispatcher, world: World, admins_sender: RecordingSender,
) -> None:
    chat = Chat(guarded, "guesser", language_code="en")
    for _ in range(5):  # the per-chat limit
        await chat.send(WRONG)
    [reply] = await chat.send(WRONG)
    assert "Please wait an hour" in reply.text
    assert admins_sender.sent == []  # 5 of 6: the limit for all chats is not reached
    [other] = await Chat(guarded, "someone", language_code="en").send(WRONG)
    assert "not valid" in other.text


def test_the_shipped_rulebook_has_a_limit_for_all_chats_together() -> None:
    assert int(Rulebook.default().policy("invite_guesses_per_hour")) >= 30
