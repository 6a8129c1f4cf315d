"""The real bot process: an organiser sends a ratings file in chat and reads the headline."""

from __future__ import annotations

import sqlite3

from tests.e2e.harness import DISTRICT, BotProcess
from tests.e2e.standin import BotApiStandIn

ORGANISER = 2301
HEADER = ("code;year;scheme;rating;members_rated;members_excellent;members_good;"
          "members_satisfactory;members_failed\r\n")


def test_an_organiser_uploads_the_years_ratings_and_reads_them_in_both_languages(
    bot: BotProcess, api: BotApiStandIn
) -> None:
    bot.import_org()  # TA-01 (17 ratable), TA-02 (8), TB-01 (20) in two communes
    bot.start()
    bot.register(ORGANISER, DISTRICT, role="staff")

    bot.ask(ORGANISER, "/xeploai", "code,year,scheme")
    bad = HEADER + "TA-01;2015;2015;tsvm;18;2;14;2;0\r\n"  # 18 rated, 17 on the roll
    bot.send_document(ORGANISER, "xeploai.csv", ("\ufeff" + bad).encode())
    refused = bot.wait_for_message("TA-01", ORGANISER)
    assert "17" in refused.text and "Dòng 2" in refused.text
    assert api.calls_of("getFile") and api.calls_of("download")

    good = (HEADER + "TA-01;2015;2015;tsvm_tieu_bieu;17;3;14;0;0\r\n"
            "TA-02;2015;2015;htt;8;0;6;1;1\r\n"
            "TB-01;2015;2015;tsvm;20;2;16;2;0\r\n")
    bot.send_document(ORGANISER, "xeploai.csv", good.encode("utf-16"))  # "Unicode Text"
    saved = bot.wait_for_message("2015", ORGANISER)
    assert "66,67%" in saved.text  # 2 of 3 cells clean and strong
    assert "33,33%" in saved.text  # 1 of 3 exemplary
    assert "Xã Một" in saved.text and "Xã Hai" in saved.text  # a line per commune

    english = bot.ask(ORGANISER, "/ratings 2015", "In 2015", language_code="en")
    assert "66.67% of the cells were clean and strong (33.33% exemplary)" in english.text
    assert "91.11% of the members" in english.text  # 41 of 45 good or better
    assert "2.22% were in breach" in english.text  # 1 of 45

    bot.stop()
    with sqlite3.connect(bot.database) as db:
        rows = db.execute("SELECT COUNT(*), SUM(members_rated) FROM cell_ratings").fetchone()
    assert rows == (3, 45)
