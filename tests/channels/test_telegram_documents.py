"""A file sent to the bot as a document: fetched (size-limited) and handed to the flow."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.telegram import MAX_DOCUMENT_BYTES
from bot.domain.org import Role
from bot.storage.database import Database
from bot.storage.ratings import RatingRepository
from tests.channels.recording import FakeTelegram, telegram_with
from tests.support import Clock, World

ORGANISER = 1201
RATINGS = (b"code,year,scheme,rating,members_rated,members_excellent,members_good,"
           b"members_satisfactory,members_failed\nTL-01,2015,2015,tsvm,19,3,15,1,0\n")


@pytest.fixture
async def telegram(db: Database, clock: Clock, world: World) -> AsyncIterator[FakeTelegram]:
    async with telegram_with(db, clock, ORGANISER, Role.STAFF, world.district_id) as fake:
        yield fake


async def test_a_document_is_downloaded_and_loaded_by_the_ratings_flow(
    telegram: FakeTelegram, db: Database, world: World
) -> None:
    await telegram.send(ORGANISER, "/ratings", language_code="en")
    calls = await telegram.send_document(ORGANISER, "xeploai.csv", RATINGS, language_code="en")
    assert [c.method for c in calls][:2] == ["getFile", "download"]
    assert "/file/bot" in calls[1].url and calls[1].url.endswith("/documents/doc3")
    assert "1 rows read, 1 cells rated" in telegram.texts_to(ORGANISER)[-1]
    stored = await RatingRepository(db).latest_of_cell(world.cell_ids["TL-01"])
    assert stored is not None and stored.level == "tsvm"


async def test_a_document_too_large_is_not_fetched_and_the_question_comes_again(
    telegram: FakeTelegram, db: Database
) -> None:
    await telegram.send(ORGANISER, "/ratings", language_code="en")
    calls = await telegram.send_document(ORGANISER, "huge.csv", RATINGS, language_code="en",
                                         size=MAX_DOCUMENT_BYTES + 1)
    assert "getFile" not in [c.method for c in calls]
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert "it may be at most 2 MB" in texts[0]
    assert texts[1].startswith("Send the ratings file")
    assert await RatingRepository(db).rated_years(None) == []


async def test_a_document_outside_a_conversation_is_not_mistaken_for_an_answer(
    telegram: FakeTelegram
) -> None:
    calls = await telegram.send_document(ORGANISER, "xeploai.csv", RATINGS, language_code="en")
    assert [c.text for c in calls if c.method == "sendMessage"] == [
        "Send /help to see what you can do."
    ]
