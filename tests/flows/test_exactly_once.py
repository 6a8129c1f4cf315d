"""Nothing saved twice, nothing applied twice: repeats, second writers, failures after a save."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.messages import Inbound, InboundKind
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.meetings import MeetingRepository
from bot.storage.users import UserRepository
from handlers import meeting_report
from tests.support import Chat, Clock, World, make_dispatcher

# A thematic meeting of TL-01 (not the month's regular one: a second save would be a second
# report, not a question whether to replace the first), tapped up to its review.
THEMATIC = ["tap:yesterday", "tap:thematic", "Digital transformation in the hamlet", "tap:90",
            "tap:19", "tap:skip", "tap:no", "tap:skip"]
TRY_AGAIN = ("try again", "thử lại")


async def at_review(chat: Chat) -> None:
    await chat.send("/report")
    for answer in THEMATIC:
        if answer.startswith("tap:"):
            await chat.tap(answer.removeprefix("tap:"))
        else:
            await chat.send(answer)
    assert "Please check the report before saving" in chat.last_text


async def reports(db: Database, world: World) -> int:
    return len(await MeetingRepository(db).for_year(world.cell_ids["TL-01"], 2026))


async def step_of(db: Database, key: str = "sec-1") -> str | None:
    user = await UserRepository(db).find("test", key)
    assert user is not None
    state = await ConversationStore(db).load(user.id)
    return None if state is None else state.step


async def test_a_save_tapped_again_is_answered_already_saved_with_the_standing(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await at_review(chat)
    review = chat.last
    await chat.tap("save")
    # The reply was lost (a crash, a network): the secretary taps Save on the review again.
    again = await dispatcher.handle(Inbound("test", "sec-1", choice="save", token=review.token,
                                            language_code="en"))
    assert "already saved" in again[0].text
    assert "Attendance: 19/19 (100%)" in again[0].text  # with the cell's standing
    assert await reports(db, world) == 1


async def test_a_save_typed_again_soon_after_is_answered_already_saved(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await at_review(chat)
    await chat.send("1")
    [again] = await chat.send("1")  # as on Zalo, where there is no button to tap again
    assert "already saved" in again.text
    assert await reports(db, world) == 1


async def test_a_failure_after_the_save_never_says_try_again_and_saves_once(
    dispatcher: Dispatcher, db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await at_review(chat)

    async def broken(*args: object) -> str:
        raise RuntimeError("the standing could not be drawn")

    monkeypatch.setattr(meeting_report, "saved_text", broken)
    [reply] = await chat.tap("save")
    assert reply.text.startswith("Saved.") and not any(w in reply.text for w in TRY_AGAIN)
    assert await step_of(db) is None  # the conversation ended with the save
    monkeypatch.undo()
    [again] = await chat.tap("save")
    assert "already saved" in again.text and await reports(db, world) == 1


async def test_a_failed_send_of_saved_answers_already_saved_not_try_again(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await at_review(chat)
    await chat.tap("save")
    # Telegram answered 500 to "Saved": the channel reports a failed send.
    replies = await dispatcher.handle(Inbound("test", "sec-1", kind=InboundKind.FAILED,
                                              language_code="en"))
    text = "\n".join(r.text for r in replies)
    assert "already saved" in text and not any(w in text for w in TRY_AGAIN)
    assert await reports(db, world) == 1


async def test_a_typed_answer_delivered_twice_is_applied_once(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    def typed(text: str, update_id: int) -> Inbound:
        return Inbound("test", "sec-1", text=text, language_code="en", update_id=update_id)

    await dispatcher.handle(typed("/report", 10))
    await dispatcher.handle(typed("20/11", 11))
    assert await step_of(db) == "kind"
    await dispatcher.handle(typed("1", 12))  # a regular meeting: on to the minutes
    [again] = await dispatcher.handle(typed("1", 12))  # the same update, delivered again
    assert await step_of(db) == "minutes" and "How long did the meeting last" in again.text
    # Across a restart too: the last update applied is kept with the conversation.
    restarted = make_dispatcher(db, Clock(dispatcher.now()))
    await restarted.handle(typed("1", 12))
    await restarted.handle(typed("2", 11))  # an older one, redelivered after a crash
    assert await step_of(db) == "minutes"
    await restarted.handle(typed("95", 13))
    assert await step_of(db) == "present"


async def test_an_update_id_from_before_a_quiet_week_is_not_taken_for_a_repeat(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    def typed(text: str, update_id: int) -> Inbound:
        return Inbound("test", "sec-1", text=text, language_code="en", update_id=update_id)

    await dispatcher.handle(typed("/report", 5000))
    # After a week without updates, Telegram starts its ids anywhere, maybe lower.
    clock.set(clock() + timedelta(days=8))
    await dispatcher.handle(typed("20/11", 17))
    assert await step_of(db) == "kind"


async def test_a_second_writer_from_the_same_state_is_refused_not_applied(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await at_review(chat)
    token = chat.last.token
    other_process = make_dispatcher(db, clock)
    save = Inbound("test", "sec-1", choice="save", token=token, language_code="en")
    # Both read the review before either writes (two processes, or one webhook twice).
    first, second = await dispatcher.begin(save), await other_process.begin(save)
    await first.respond(save)
    refused = (await second.respond(save)).replies
    assert "was not taken" in refused[0].text
    assert await reports(db, world) == 1


async def test_a_second_writer_of_a_step_is_refused_and_told_where_things_stand(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await chat.send("20/11")
    other_process = make_dispatcher(db, clock)
    regular = Inbound("test", "sec-1", text="1", language_code="en")
    thematic = Inbound("test", "sec-1", text="2", language_code="en")
    first, second = await dispatcher.begin(regular), await other_process.begin(thematic)
    await first.respond(regular)
    refused = (await second.respond(thematic)).replies
    assert "was not taken" in refused[0].text
    assert "How long did the meeting last" in refused[-1].text  # the regular meeting's next
    assert await step_of(db) == "minutes"


async def test_a_draft_untouched_for_the_rulebook_days_is_dropped_with_a_word(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    await chat.send("20/11")
    clock.set(clock() + timedelta(days=14, minutes=1))  # the shipped draft_days is 14
    [notice, *_] = await chat.send("1")
    assert "was dropped: it had no answer for 14 days" in notice.text
    assert await step_of(db) is None


async def test_a_draft_answered_within_the_rulebook_days_is_kept(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    clock.set(clock() + timedelta(days=13, hours=23))
    await chat.send("20/11")
    assert await step_of(db) == "kind"


async def test_drafts_swept_while_their_users_are_away_are_gone_and_told_once(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    away, active = Chat(dispatcher, "sec-1", language_code="en"), Chat(dispatcher, "sec-2")
    await away.send("/report")
    await away.send("20/11")
    clock.set(clock() + timedelta(days=15))
    await active.send("/report")
    assert await dispatcher.expire_drafts() == 1  # only the draft left for 15 days
    user = await UserRepository(db).find("test", "sec-1")
    assert user is not None
    kept = await db.scalar("SELECT draft FROM conversations WHERE user_id = ?", (user.id,))
    assert kept == "{}"  # nothing the secretary typed is kept
    notice, *_ = await away.send("hello")
    assert "was dropped" in notice.text
    assert not any("was dropped" in r.text for r in await away.send("hello"))


async def test_a_command_answered_at_once_and_delivered_twice_is_applied_once(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    # Found by the fuzzing: /tonghop keeps no conversation, so its update id was not kept
    # and a redelivery recorded the organiser's read a second time.
    summary = Inbound("test", "commune-staff", text="/tonghop", language_code="en",
                      update_id=40)
    first = await dispatcher.handle(summary)
    again = await dispatcher.handle(summary)
    assert "Summary of Xã Tân Lân" in first[0].text and again
    assert await db.scalar("SELECT COUNT(*) FROM data_reads") == 1
    # The next update is applied as usual, and so is an old id a day later (Telegram's ids
    # are compared only within their redelivery window).
    await dispatcher.handle(Inbound("test", "commune-staff", text="/tonghop",
                                    language_code="en", update_id=41))
    clock.set(clock() + timedelta(days=2))
    await dispatcher.handle(Inbound("test", "commune-staff", text="/tonghop",
                                    language_code="en", update_id=3))
    assert await db.scalar("SELECT COUNT(*) FROM data_reads") == 3
