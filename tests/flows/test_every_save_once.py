"""Every conversation that saves: saved once, ended with its save, "already saved" when repeated.

Each case walks a flow up to its last question, then the process "dies" right after the save
commits (the conversation's own writes fail from then on, as they would if it were killed
between the two), and the user, who saw no answer, gives the last answer again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.messages import Inbound, InboundKind, Reply
from bot.domain.pipeline import Birth, Stage, moves_for
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.recruitment import RecruitmentRepository
from bot.storage.users import UserRepository
from tests.support import Chat, World, user_id, vn_time

TRY_AGAIN = ("try again", "thử lại")
HEADER = ("code,year,scheme,rating,members_rated,members_excellent,members_good,"
          "members_satisfactory,members_failed\n")
RATINGS = (HEADER + "TL-01,2015,2015,tsvm_tieu_bieu,19,3,15,1,0\n").encode()


async def seed_person(db: Database, world: World) -> int:
    """Put LTC into TL-01's pipeline as sec-1 had in March (too long ago to undo)."""
    sec, when = await user_id(db, "sec-1"), vn_time(2026, 3, 2)
    return await RecruitmentRepository(db).add(
        world.cell_ids["TL-01"], "LTC", Birth(1990, 6), moves_for(Stage.SOURCE, date(2026, 3, 2)),
        sec, when)


async def recruits(db: Database, world: World) -> int:
    return int(await db.scalar(
        "SELECT COUNT(*) FROM recruits WHERE cell_id = ?", (world.cell_ids["TL-01"],)))


async def live_moves(db: Database, world: World) -> int:
    return int(await db.scalar("SELECT COUNT(*) FROM recruit_moves WHERE undone_at IS NULL"))


async def invites(db: Database, world: World) -> int:
    return int(await db.scalar("SELECT COUNT(*) FROM invites"))


async def ratings(db: Database, world: World) -> int:
    loaded = await db.scalar("SELECT COUNT(*) FROM cell_ratings")
    replaced = await db.scalar("SELECT COUNT(*) FROM cell_rating_history")
    return int(loaded) * 100 + int(replaced)


@dataclass(frozen=True)
class Case:
    """A flow that saves: who, what is there before, the answers up to the last question."""

    name: str
    user: str
    answers: tuple[str, ...]
    last: str  # the last answer: typed text, "tap:KEY", or "file"
    count: Callable[[Database, World], Awaitable[int]]
    saved: int  # the count once saved
    seed: Callable[[Database, World], Awaitable[object]] | None = None


async def person_in_march(db: Database, world: World) -> object:
    return await seed_person(db, world)


async def person_stepped_today(db: Database, world: World) -> object:
    """LTC, with a step (left the pipeline) that sec-1 recorded a moment ago: undoable."""
    recruit = await seed_person(db, world)
    person = await RecruitmentRepository(db).get(recruit)
    assert person is not None
    await RecruitmentRepository(db).record(
        recruit, moves_for(Stage.DROPPED, date(2026, 11, 27)), await user_id(db, "sec-1"),
        vn_time(2026, 11, 27, 20, 0), person.last_batch)
    return recruit


CASES = [
    Case("recruitment add", "sec-1", ("/recruit", "1", "NVA", "4/1995", "1", "3/2/2026"),
         "1", recruits, 1),
    Case("recruitment step", "sec-1", ("/recruit", "2", "1", "1", "10/3/2026"), "tap:save",
         live_moves, 2, person_in_march),
    Case("recruitment undo", "sec-1", ("/recruit", "4", "1"), "1", live_moves, 1,
         person_stepped_today),
    Case("invite", "admin", ("/invite", "1"), "TL-02", invites, 1),
    Case("ratings file", "staff", ("/ratings",), "file", ratings, 100),
]


async def give(chat: Chat, answer: str, token: str = "") -> list[Reply]:
    if answer == "file":
        return await chat.send_file("ratings.csv", RATINGS)
    if answer.startswith("tap:"):
        inbound = Inbound(chat.channel, chat.user_key, choice=answer.removeprefix("tap:"),
                          token=token, language_code=chat.language_code)
        return await chat.dispatcher.handle(inbound)
    return await chat.send(answer)


async def walk_to_last_question(case: Case, chat: Chat, db: Database, world: World) -> str:
    """Answer every question before the last; return the last question's token."""
    if case.seed is not None:
        await case.seed(db, world)
    for answer in case.answers:
        await chat.send(answer)
    assert chat.last.token, chat.last_text
    return chat.last.token


def text_of(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def conversation_writes_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the conversation row cannot be written: as if killed right after a save."""

    async def dead(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the process died here")

    monkeypatch.setattr(ConversationStore, "write", dead)
    monkeypatch.setattr(ConversationStore, "end", dead)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_a_save_ends_its_conversation_in_its_own_transaction_and_a_repeat_is_not_saved(
    case: Case, dispatcher: Dispatcher, db: Database, world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chat = Chat(dispatcher, case.user, language_code="en")
    token = await walk_to_last_question(case, chat, db, world)
    conversation_writes_fail(monkeypatch)
    first = text_of(await give(chat, case.last, token))
    assert await case.count(db, world) == case.saved
    assert not any(words in first for words in TRY_AGAIN), first  # it was saved
    monkeypatch.undo()
    again = text_of(await give(chat, case.last, token))  # no answer seen: the same again
    assert "already" in again and "twice" in again, again
    assert await case.count(db, world) == case.saved


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_the_last_answer_given_again_after_the_reply_is_answered_already_saved(
    case: Case, dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, case.user, language_code="en")
    token = await walk_to_last_question(case, chat, db, world)
    await give(chat, case.last, token)
    assert await case.count(db, world) == case.saved
    again = text_of(await give(chat, case.last, token))
    assert "already" in again and "twice" in again, again
    assert await case.count(db, world) == case.saved


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_a_failed_send_after_a_save_never_says_try_again(
    case: Case, dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, case.user, language_code="en")
    token = await walk_to_last_question(case, chat, db, world)
    await give(chat, case.last, token)
    failed = Inbound("test", case.user, kind=InboundKind.FAILED, language_code="en")
    text = text_of(await dispatcher.handle(failed))
    assert "already" in text and not any(words in text for words in TRY_AGAIN), text
    assert await case.count(db, world) == case.saved


async def test_a_repeated_update_after_a_step_answers_saved_and_the_question_it_is_at(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    await seed_person(db, world)
    for number, text in enumerate(("/recruit", "2", "1", "1", "10/3/2026", "1"), start=1):
        replies = await dispatcher.handle(Inbound("test", "sec-1", text=text,
                                                  language_code="en", update_id=number))
    assert replies[-1].text.endswith("Record another step?")
    again = await dispatcher.handle(Inbound("test", "sec-1", text="1", language_code="en",
                                            update_id=6))  # the Save, delivered again
    assert "already saved" in again[0].text
    assert again[-1].text.endswith("Record another step?")  # where the user is now
    assert await live_moves(db, world) == 2
    user = await UserRepository(db).find("test", "sec-1")
    assert user is not None
    state = await ConversationStore(db).load(user.id)
    assert state is not None and state.flow == "recruit_next"
