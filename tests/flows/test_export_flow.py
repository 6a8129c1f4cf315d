"""/xuat and /bieudo through the dispatcher: a notice first, then the file; reads recorded."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest
from openpyxl import load_workbook

from bot.core.dispatcher import Dispatcher
from bot.core.messages import Reply
from bot.domain.org import Role
from bot.storage.database import Database
from bot.storage.reads import ReadLog
from bot.storage.users import UserRepository
from tests.exports.area import Area, seed_area
from tests.support import Chat, Clock, World


class Notices:
    """The chat's channel as a Sender: what the bot says ahead of an answer lands here."""

    name = "test"

    def __init__(self, chat: list[tuple[str, str]]):
        self.chat = chat

    async def send(self, user_key: str, replies: Sequence[Reply]) -> None:
        self.chat += [(user_key, r.text) for r in replies]


@pytest.fixture
async def area(db: Database, clock: Clock, world: World) -> Area:
    return await seed_area(db, clock(), world)


@pytest.fixture
def said(dispatcher: Dispatcher) -> list[tuple[str, str]]:
    """Every message of the conversation, in order: early notices and answers."""
    messages: list[tuple[str, str]] = []
    dispatcher.outbox.add(Notices(messages))
    return messages


async def conversation(chat: Chat, said: list[tuple[str, str]], text: str) -> list[Reply]:
    replies = await chat.send(text)
    said += [(chat.user_key, r.text) for r in replies]
    return replies


async def reads(db: Database, unit_id: int) -> list[tuple[str, str]]:
    """Return who read the unit's data (by their chat key) and what, in order."""
    keys = {}
    for key in ("commune-staff", "staff", "sec-1", "sec-2"):
        user = await UserRepository(db).find("test", key)
        assert user is not None
        keys[user.id] = key
    return [(keys[read.user_id], read.what) for read in await ReadLog(db).of_unit(unit_id)]


async def test_an_organiser_gets_a_notice_then_the_workbook_and_the_read_is_recorded(
    dispatcher: Dispatcher, db: Database, area: Area, said: list[tuple[str, str]]
) -> None:
    chat = Chat(dispatcher, "commune-staff", language_code="en")
    [reply] = await conversation(chat, said, "/export")
    assert [text for _, text in said] == [
        "Preparing the file for Xã Tân Lân, Nov 2026…",  # before the work, not with the answer
        "Summary of Xã Tân Lân, Nov 2026",
    ]
    attachment = reply.attachment
    assert attachment is not None
    assert attachment.filename == "summary-xa-tan-lan-2026-11.xlsx"
    assert attachment.mime_type.endswith("spreadsheetml.sheet")
    assert attachment.command == "/export 2026-11"  # for a channel that cannot send it
    book = load_workbook(io.BytesIO(attachment.data))
    assert "TL-01" in {c.value for c in book["Cells"]["B"]}
    assert await reads(db, area.world.commune_id) == [("commune-staff", "export")]


async def test_an_export_of_another_period_and_of_an_area_chosen_among_several(
    dispatcher: Dispatcher, db: Database, area: Area, said: list[tuple[str, str]]
) -> None:
    users = UserRepository(db)
    staff = await users.find("test", "commune-staff")
    assert staff is not None
    await users.grant(staff.id, Role.STAFF, area.other_cell, dispatcher.now())  # a second unit
    chat = Chat(dispatcher, "commune-staff", language_code="vi")
    [question] = await conversation(chat, said, "/xuat quý 3/2026")
    assert [c.label for c in question.choices] == ["Xã Tân Lân", "Chi bộ ấp Bình Hòa"]
    [reply] = await chat.tap(str(area.world.commune_id))
    assert reply.attachment is not None
    assert reply.attachment.filename == "tonghop-xa-tan-lan-2026-q3.xlsx"
    assert reply.attachment.command == "/xuat 2026-q3"


@pytest.mark.parametrize("typed", ["/export 2026-13", "/export next month", "/export 2027"])
async def test_a_period_that_cannot_be_read_or_has_not_begun_is_explained_and_nothing_read(
    dispatcher: Dispatcher, db: Database, area: Area, typed: str
) -> None:
    chat = Chat(dispatcher, "commune-staff", language_code="en")
    [reply] = await chat.send(typed)
    assert reply.attachment is None
    assert "Type a month as 2026-11" in reply.text
    assert await reads(db, area.world.commune_id) == []


async def test_a_secretary_may_not_export(dispatcher: Dispatcher, area: Area) -> None:
    [reply] = await Chat(dispatcher, "sec-1", language_code="en").send("/export")
    assert reply.attachment is None and "not available for your role" in reply.text


async def test_an_organiser_gets_the_chart_of_the_area_a_cell_and_the_year(
    dispatcher: Dispatcher, db: Database, area: Area, said: list[tuple[str, str]]
) -> None:
    chat = Chat(dispatcher, "commune-staff", language_code="en")
    [reply] = await conversation(chat, said, "/chart")
    assert said[0] == ("commune-staff", "Preparing the chart for Xã Tân Lân…")
    assert reply.attachment is not None and reply.attachment.mime_type == "image/png"
    assert reply.attachment.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert reply.attachment.filename == "chart-xa-tan-lan-2026-11.png"
    [year] = await chat.send("/chart year 2026")
    assert year.attachment is not None and year.attachment.command == "/chart nam 2026"
    [cell] = await chat.send("/chart tl-01 2026")
    assert cell.attachment is not None
    assert cell.attachment.filename == "chart-chi-bo-ap-xom-chua-2026.png"
    tl01 = area.world.cell_ids["TL-01"]
    assert await reads(db, area.world.commune_id) == [("commune-staff", "chart")] * 2
    assert await reads(db, tl01) == [("commune-staff", "chart")]


async def test_a_cell_outside_the_area_or_a_year_word_without_a_year_is_refused(
    dispatcher: Dispatcher, db: Database, area: Area
) -> None:
    chat = Chat(dispatcher, "commune-staff", language_code="en")
    [outside] = await chat.send("/chart PD-01")
    assert outside.attachment is None and "no cell with the code PD-01" in outside.text
    [wrong] = await chat.send("/chart year 2026-05")
    assert wrong.attachment is None and "type a year" in wrong.text
    assert await reads(db, area.other_cell) == []


async def test_a_secretary_charts_their_own_cell_unrecorded_and_picks_among_several(
    dispatcher: Dispatcher, db: Database, area: Area
) -> None:
    [own] = await Chat(dispatcher, "sec-1", language_code="vi").send("/bieudo")
    assert own.attachment is not None
    assert own.attachment.filename == "bieudo-chi-bo-ap-xom-chua-2026.png"
    assert own.attachment.command == "/bieudo TL-01 2026"
    assert await reads(db, area.world.cell_ids["TL-01"]) == []  # their own: not an audit
    chat = Chat(dispatcher, "sec-2", language_code="en")
    [question] = await chat.send("/chart")
    assert {c.label for c in question.choices} == {"Chi bộ ấp Xóm Chùa", "Chi bộ ấp Chợ"}
    [chosen] = await chat.send("2")  # typed, as on Zalo
    assert chosen.attachment is not None and chosen.attachment.mime_type == "image/png"


async def test_nothing_to_draw_is_said_in_words(
    dispatcher: Dispatcher, area: Area
) -> None:
    [reply] = await Chat(dispatcher, "commune-staff", language_code="en").send("/chart 2024")
    assert reply.attachment is None
    assert "nothing to draw for Xã Tân Lân, year 2024" in reply.text
