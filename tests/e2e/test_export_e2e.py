"""The real bot process: an organiser receives the area's workbook and chart in the chat."""

from __future__ import annotations

import io
import sqlite3
import struct
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from tests.e2e.harness import WAIT, BotProcess
from tests.e2e.standin import BotApiStandIn
from tests.e2e.test_summary_e2e import report_a_meeting

SECRETARY = 2401  # TA-01's
ORGANISER = 2402  # of Xã Một: TA-01 and TA-02, not Xã Hai's TB-01


def test_an_organiser_receives_the_workbook_and_the_chart_of_their_commune(
    bot: BotProcess, api: BotApiStandIn
) -> None:
    bot.import_org()
    bot.start()
    bot.register(SECRETARY, "TA-01")
    report_a_meeting(bot, SECRETARY)  # 16 of 17 present
    bot.register(ORGANISER, "Huyện Thử Nghiệm/Xã Một", role="staff", language_code="en")
    year = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).year  # the cells entered the bot today

    notice = bot.ask(ORGANISER, f"/export {year}", "Preparing the file for Xã Một",
                     language_code="en")
    sent = api.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == ORGANISER,
                        WAIT, since=bot.cursor, what="the workbook")
    assert sent.index > notice.index  # the notice came while the file was being made
    name, data = sent.files["document"]
    assert name == f"summary-xa-mot-{year}.xlsx" and sent.text == f"Summary of Xã Một, year {year}"
    book = load_workbook(io.BytesIO(data))
    cells = book["Cells"]
    header = [c.value for c in cells[1]]
    rows = {str(r[1].value): dict(zip(header, (c.value for c in r), strict=True))
            for r in cells.iter_rows(min_row=2)}
    assert sorted(rows) == ["TA-01", "TA-02"]  # their cells, and none outside their commune
    assert (rows["TA-01"]["Present"], rows["TA-01"]["Expected"]) == (16, 17)
    every_text = {str(c.value) for ws in book.worksheets for r in ws.iter_rows() for c in r}
    assert not any("TB-01" in text or "Xã Hai" in text for text in every_text)

    bot.send_text(ORGANISER, f"/bieudo {year}", language_code="vi")  # in Vietnamese too
    photo = api.wait_for(lambda c: c.method == "sendPhoto" and c.chat_id == ORGANISER,
                         WAIT, since=bot.cursor, what="the chart")
    picture_name, picture = photo.files["photo"]
    assert picture[:8] == b"\x89PNG\r\n\x1a\n" and picture_name == f"bieudo-xa-mot-{year}.png"
    width, height = struct.unpack(">II", picture[16:24])
    assert width == 1080 and height <= 1280

    bot.stop()
    with sqlite3.connect(bot.database) as db:
        reads = db.execute("SELECT what FROM data_reads ORDER BY id").fetchall()
    assert reads == [("export",), ("chart",)]
