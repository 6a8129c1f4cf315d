"""/xeploai (/ratings) through the dispatcher: a file sent in chat, the headline of a year."""

from __future__ import annotations

from bot.core.dispatcher import Dispatcher
from bot.domain.org import CellRow
from bot.storage.database import Database
from bot.storage.org import OrgRepository
from bot.storage.ratings import RatingRepository
from bot.storage.reads import ReadLog
from tests.support import DISTRICT, Chat, World

HEADER = ("code,year,scheme,rating,members_rated,members_excellent,members_good,"
          "members_satisfactory,members_failed\n")
GOOD = (HEADER + "TL-01,2015,2015,tsvm_tieu_bieu,19,3,15,1,0\n"
        "TL-02,2015,2015,htt,12,0,8,3,1\n").encode()


async def load(chat: Chat, data: bytes = GOOD) -> str:
    """Send /ratings, then the file; return the answer."""
    await chat.send("/ratings")
    await chat.send_file("ratings.csv", data)
    return chat.last_text


async def test_an_organiser_loads_a_file_in_chat_and_reads_the_years_headline(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "staff", language_code="en")
    await chat.send("/ratings")
    assert "Send the ratings file" in chat.last_text
    await chat.send("TL-01 tsvm")  # typed, not sent as a file
    assert "send the file as a document" in chat.last_text
    await chat.send_file("xeploai.csv", GOOD)
    text = chat.last_text
    assert "2 rows read, 2 cells rated, 0 earlier ratings replaced" in text
    assert "In 2015, 50% of the cells were clean and strong (50% exemplary)" in text
    assert "83.87% of the members" in text  # 26 of 31
    counts = await RatingRepository(db).level_counts([world.district_id], 2015)
    assert sorted((c.level, c.cells) for c in counts) == [("htt", 1), ("tsvm_tieu_bieu", 1)]

    await chat.send("/ratings 2015")
    assert "By commune:" in chat.last_text
    assert "• Xã Tân Lân (2/2 cells): clean and strong 50%" in chat.last_text
    [read] = await ReadLog(db).of_unit(world.district_id)
    assert read.what == "ratings"


async def test_a_file_with_bad_rows_saves_nothing_and_a_corrected_one_is_taken(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    chat = Chat(dispatcher, "staff", language_code="en")
    await chat.send("/xeploai")
    bad = (HEADER + "TL-01,2015,2015,tsvm,19,3,15,1,0\n"  # sound
           "TL-02,2015,2018,htt,12,0,8,3,1\n"  # the 2018 scheme for 2015
           "TL-02,2016,2015,htt,12,0,8,3,0\n").encode()  # the classes add up to 11
    await chat.send_file("bad.csv", bad)
    text = chat.last_text
    assert "Nothing was saved: 2 lines of the file have problems." in text
    assert "Line 3: 2015 is rated under the 2015 scheme, not 2018" in text
    assert "Line 4: the four member classes add up to 11, but members_rated is 12" in text
    assert "send it again" in text
    assert await RatingRepository(db).latest_of_cell(world.cell_ids["TL-01"]) is None
    await chat.send_file("good.csv", GOOD)  # still at the question: the corrected file
    assert "2 cells rated" in chat.last_text


async def test_a_second_file_replaces_a_cells_rating_and_says_so(
    dispatcher: Dispatcher, world: World
) -> None:
    chat = Chat(dispatcher, "admin", language_code="en")
    await load(chat)
    await chat.send("/ratings")
    again = (HEADER + "TL-01,2015,2015,tsvm_tieu_bieu,19,3,15,1,0\n"  # the same
             "TL-02,2015,2015,tsvm,12,0,9,3,0\n").encode()  # changed
    await chat.send_file("second.csv", again)
    assert "2 rows read, 2 cells rated, 1 earlier ratings replaced" in chat.last_text
    assert "1 rating was already saved and stays as it was." in chat.last_text


async def test_a_commune_organiser_cannot_load_a_cell_of_another_commune(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    await OrgRepository(db).import_cells([CellRow(2, (DISTRICT, "Xã Mỹ Lệ", "Chi bộ ấp 1"),
                                                  "ML-01", 10, 0, 0)])
    chat = Chat(dispatcher, "commune-staff", language_code="en")
    await load(chat, (HEADER + "ML-01,2015,2015,tsvm,10,1,8,1,0\n").encode())
    assert "Line 2: the cell ML-01 is outside your area" in chat.last_text
    assert await RatingRepository(db).rated_years(None) == []


async def test_a_warning_does_not_stop_the_file(dispatcher: Dispatcher, world: World) -> None:
    chat = Chat(dispatcher, "staff", language_code="en")
    await load(chat, (
        HEADER.strip() + ",score\nTL-01,2025,2025,htxs,19,5,10,4,0,85\n").encode())
    text = chat.last_text
    assert "1 cells rated" in text
    assert "Line 2: 5 members rated excellent, more than the 2 allowed (20% of the 10" in text
    assert "Line 2: the score 85 falls in the band of “good performance”" in text


async def test_a_file_that_is_no_table_is_told_and_asked_again(
    dispatcher: Dispatcher, world: World
) -> None:
    chat = Chat(dispatcher, "staff", language_code="en")
    await chat.send("/ratings")
    await chat.send_file("photo.xlsx", b"PK\x03\x04 broken", "application/zip")
    assert "I cannot read this file as a table" in chat.last_text
    assert "Send the ratings file" in chat.last_text


async def test_a_year_without_ratings_names_the_years_that_have_some(
    dispatcher: Dispatcher, world: World
) -> None:
    chat = Chat(dispatcher, "staff", language_code="en")
    await chat.send("/ratings 2016")
    assert chat.last_text == "No cell of your area has a rating for 2016."
    await load(chat)
    await chat.send("/ratings 2016")
    assert chat.last_text.endswith("Years with ratings: 2015.")
    await chat.send("/ratings 2099")  # not a year that can have ratings
    assert "Type a year after the command, for example /ratings 2025" in chat.last_text


async def test_secretaries_cannot_load_or_read_ratings(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, "sec-1", language_code="en")
    await chat.send("/ratings 2015")
    assert chat.last_text == "This command is not available for your role."


async def test_the_cells_standing_shows_its_latest_rating(
    dispatcher: Dispatcher, world: World
) -> None:
    staff = Chat(dispatcher, "staff", language_code="en")
    await load(staff)
    secretary = Chat(dispatcher, "sec-1", language_code="en")
    await secretary.send("/standing")
    assert ("Rating for 2015 (decided by the upper committee): exemplary clean and strong; "
            "members well or better 18/19") in secretary.last_text


async def test_the_headline_of_the_articles_100_cells_in_both_languages(
    dispatcher: Dispatcher, db: Database, world: World
) -> None:
    """20 exemplary and 52 clean and strong cells of 100; 2 300 of 2 500 members good or
    better; 8 in breach: 72 %, 20 %, 92 %, 0.32 % (DOMAIN.md §9.24)."""
    cells = [CellRow(n + 2, (DISTRICT, f"Xã {n // 10}", f"Chi bộ {n}"), f"A-{n:03}", 25, 0, 0)
             for n in range(100)]
    await OrgRepository(db).import_cells(cells)
    lines = [HEADER.strip()]
    for n in range(100):
        level = "tsvm_tieu_bieu" if n < 20 else "tsvm" if n < 72 else "htt" if n < 92 else "ht"
        good, failed = (23, 1) if n < 8 else (23, 0)  # 2 300 good or better, 8 in breach
        lines.append(f"A-{n:03},2015,2015,{level},25,3,{good - 3},{25 - good - failed},{failed}")
    chat = Chat(dispatcher, "staff", language_code="en")
    await chat.send("/ratings")
    await chat.send_file("2015.csv", "\n".join(lines).encode())
    assert ("In 2015, 72% of the cells were clean and strong (20% exemplary); 92% of the "
            "members completed their tasks well or better; 0.32% were in breach") in chat.last_text
    vietnamese = Chat(dispatcher, "admin", language_code="vi")
    await vietnamese.send("/xeploai 2015")
    first = vietnamese.last_text.splitlines()[0]
    assert [p in first for p in ("2015", "72%", "20%", "92%", "0,32%")] == [True] * 5
    assert "Xã 0 (10/10" in vietnamese.last_text  # a line per commune


async def test_the_summary_of_a_rated_year_carries_the_headline(
    dispatcher: Dispatcher, world: World
) -> None:
    chat = Chat(dispatcher, "staff", language_code="en")
    await load(chat)
    year = "\n".join(r.text for r in await chat.send("/summary 2015"))
    assert "In 2015, 50% of the cells were clean and strong (50% exemplary)" in year
    assert "By commune:" not in year.split("In 2015")[1]  # the per-commune lines: /ratings
    other = "\n".join(r.text for r in await chat.send("/summary 2016"))
    assert "clean and strong" not in other  # a year without ratings: no headline
    month = "\n".join(r.text for r in await chat.send("/summary 11/2015"))
    assert "clean and strong" not in month  # a month: no annual figures
