"""Hostile or odd text gets a polite answer and is stored as it reads; names are asked about."""

from __future__ import annotations

import pytest

from bot.core.dispatcher import Dispatcher
from bot.storage.database import Database
from bot.storage.meetings import MeetingRepository
from tests.support import Chat, World

# A regular meeting of TL-01, typed up to the note question.
UP_TO_NOTE = ["/report", "20/11", "1", "95", "19", "2", "2"]
APOLOGY = "Sorry, something went wrong"


async def note_saved(db: Database, world: World) -> str | None:
    [report] = await MeetingRepository(db).for_year(world.cell_ids["TL-01"], 2026)
    return report.note


async def typed(chat: Chat, *texts: str) -> None:
    for text in texts:
        await chat.send(text)


async def test_a_note_with_control_escape_and_invisible_characters_is_stored_clean(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await typed(chat, *UP_TO_NOTE)
    assert "no names of people, no absence reasons" in chat.last_text  # says what not to write
    await typed(chat, "Họp\x00 \x1b[31mđủ\x1b[0m \u202eusers\u200b\u200d", "1")
    assert await note_saved(db, world) == "Họp đủ users"


async def test_four_invisible_characters_do_not_pass_the_topic_minimum(
    dispatcher: Dispatcher, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await typed(chat, "/report", "20/11", "2")  # a thematic meeting: its topic, 3 at least
    [reply] = await chat.send("\u200b\u200b\u200b\u200b")
    assert "Please type between 3 and 200 characters (you typed 0)" in reply.text


@pytest.mark.parametrize("text", ["9" * 5000, "1" * 4301 + " 3", "\ud800", "a\udfffb"])
async def test_huge_numbers_and_lone_surrogates_get_an_answer_at_every_kind_of_step(
    dispatcher: Dispatcher, db: Database, world: World, text: str
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/report")
    # The date, the kind (numbered choices), the minutes (a number) and the note (text).
    for answer in ["20/11", "1", "95", "19", "2", "2", None]:
        [*_, reply] = await chat.send(text)
        assert APOLOGY not in reply.text and reply.text.strip()
        if answer is not None:
            await chat.send(answer)
    await chat.send("1")
    assert APOLOGY not in chat.last_text


async def test_a_note_naming_a_person_is_asked_about_and_written_again(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await typed(chat, *UP_TO_NOTE, "Đ/c Nguyễn Văn Tèo vắng vì ốm")
    assert "seems to name a person: «Đ/c Nguyễn Văn Tèo»" in chat.last_text
    await chat.tap("rewrite")
    await typed(chat, "Một đồng chí vắng có lý do")
    assert "Please check the report" in chat.last_text
    await chat.tap("save")
    assert await note_saved(db, world) == "Một đồng chí vắng có lý do"


async def test_a_note_wrongly_taken_for_a_name_is_kept_once_confirmed(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await typed(chat, *UP_TO_NOTE, "Mời Ban Thường Vụ dự")  # a false guess
    await chat.send("2")  # typed: keep it
    await chat.tap("save")
    assert await note_saved(db, world) == "Mời Ban Thường Vụ dự"


async def test_a_topic_naming_a_person_is_asked_about_and_kept_once_confirmed(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await typed(chat, "/report", "20/11", "2", "Gương đ/c Nguyễn Văn Tèo")
    assert "seems to name a person: «đ/c Nguyễn Văn Tèo»" in chat.last_text
    await chat.tap("keep")
    assert "How long did the meeting last" in chat.last_text
