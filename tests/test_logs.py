"""Nothing the bot logged during the whole run holds a token, a message text or a name.

Run last (tests/conftest.py orders it so): it reads every log record of this process, the
stderr of every bot process the e2e tests started and of every command line they ran, and
looks in them for the tests' bot tokens, every text of 8 characters or more that a user sent
(after the command, if any) and every profile name.
"""

from __future__ import annotations

import logging

import pytest

from tests.channels.recording import TOKEN as TELEGRAM_TOKEN
from tests.channels.test_zalo import TOKEN as ZALO_TOKEN
from tests.channels.test_zalo_api import TOKEN as ZALO_API_TOKEN
from tests.channels.test_zalo_reminders import TOKEN as ZALO_REMINDERS_TOKEN
from tests.e2e.harness import TOKEN as E2E_TOKEN
from tests.e2e.test_zalo_e2e import ZALO_TOKEN as E2E_ZALO_TOKEN
from tests.logwatch import WATCH, Watch, leaks, needles
from tests.proofs import note

TOKENS = (TELEGRAM_TOKEN, ZALO_TOKEN, ZALO_API_TOKEN, ZALO_REMINDERS_TOKEN, E2E_TOKEN,
          E2E_ZALO_TOKEN)


def test_nothing_the_run_logged_holds_a_token_a_message_text_or_a_name() -> None:
    logged = WATCH.everything_logged()
    if not WATCH.texts or not logged:
        pytest.skip("nothing was sent or logged before: this scan runs with the suite")
    looked_for = needles(WATCH.texts, WATCH.names, TOKENS)
    found = leaks(logged, looked_for)
    note("logs", f"{len(logged):,} log records and process logs scanned for "
                 f"{len(looked_for):,} tokens, texts and names: {len(found)} found")
    assert found == []


def test_the_scan_finds_a_text_a_name_and_a_token_where_they_were_logged() -> None:
    watch = Watch()
    logging.getLogger("proof").addHandler(watch.handler)
    logging.getLogger("proof").setLevel(logging.INFO)
    try:
        logging.getLogger("proof").info("user typed %s", "Họp chi bộ tháng mười một")
        logging.getLogger("proof").warning("from Nguyễn Văn Tèo at /bot%s/getMe", E2E_TOKEN)
        logging.getLogger("proof").info("a round: 3 sent, 0 failed")
    finally:
        logging.getLogger("proof").removeHandler(watch.handler)
    looked_for = needles(["Họp chi bộ tháng mười một", "/baocao", "1", "/tinhhinh xom chua"],
                         ["Nguyễn Văn Tèo"], [E2E_TOKEN])
    # What follows a command is looked for; a command alone, or "1", is any log's word.
    assert "xom chua" in looked_for and not {"/baocao", "1"} & looked_for
    found = {needle for needle, _ in leaks(watch.everything_logged(), looked_for)}
    assert found == {"Họp chi bộ tháng mười một", "Nguyễn Văn Tèo", E2E_TOKEN,
                     E2E_TOKEN.partition(":")[2]}


def test_a_text_that_is_the_bots_own_word_is_not_looked_for() -> None:
    """Hypothesis types the code's constants ("meeting_report"), which the log names."""
    looked_for = needles(["meeting_report", "meeting_reports 2026", "Họp chi bộ tháng mười"],
                         [], [])
    assert looked_for == {"meeting_reports 2026", "Họp chi bộ tháng mười"}
