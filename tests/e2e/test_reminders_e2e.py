"""`python -m bot remind` against the Bot API stand-in, beside the running bot: the dry run shows
who would get what and records nothing; a round sends each reminder once, in each person's
language, skips a user who blocked the bot next time; `run` starts the daily rounds."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.botapi_json import NAME
from tests.e2e.harness import TOKEN, BotProcess
from tests.e2e.standin import BotApiStandIn

SECRETARY = 3101  # TA-01, Vietnamese
ENGLISH = 3102  # TA-02, an English app
BLOCKED = 3103  # TB-01, blocks the bot
ORGANISER = 3201


def ledger(bot: BotProcess) -> list[tuple[str, str]]:
    with sqlite3.connect(bot.database) as conn:
        rows = conn.execute("SELECT kind, state FROM reminder_ledger ORDER BY rowid").fetchall()
    return [(kind, state) for kind, state in rows]


def sent_to(api: BotApiStandIn, chat_id: int, since: int) -> list[str]:
    return [c.text for c in api.calls_of("sendMessage", since=since) if c.chat_id == chat_id]


def day_25() -> str:
    """The 25th of this month in Vietnam: the day of the first report reminder."""
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m-25")


def test_the_dry_run_shows_the_round_and_the_round_sends_each_reminder_once(
    bot: BotProcess, api: BotApiStandIn
) -> None:
    bot.import_org()
    bot.start()
    bot.register(SECRETARY, "TA-01")
    bot.register(ENGLISH, "TA-02", language_code="en")
    bot.register(BLOCKED, "TB-01")
    bot.register(ORGANISER, "Huyện Thử Nghiệm", role="staff")
    day = day_25()
    month = day[:7]

    mark = api.mark()
    dry = bot.cli("remind", "--as-of", day, "--dry-run", CHIBO_LOCALE="en")
    assert dry.returncode == 0, dry.stderr
    assert "3 reminders for 3 people (nothing is sent or recorded)" in dry.stdout
    for code, name in (("TA-01", "Chi bộ ấp Một"), ("TA-02", "Chi bộ ấp Hai"),
                       ("TB-01", "Chi bộ ấp Ba")):
        assert f"  {code} {name} — monthly report ({month}) → telegram, {NAME}" in dry.stdout
    assert api.calls_of("sendMessage", since=mark) == [] and ledger(bot) == []

    api.block(BLOCKED)
    mark = api.mark()
    first = bot.cli("remind", "--as-of", day, CHIBO_LOCALE="en")
    assert first.returncode == 0, first.stderr
    assert "3 to remind, 2 sent, 0 failed, 1 unreachable" in first.stdout
    (vietnamese,) = sent_to(api, SECRETARY, mark)
    assert "TA-01 Chi bộ ấp Một" in vietnamese and vietnamese.endswith("→ /baocao")
    (english,) = sent_to(api, ENGLISH, mark)
    assert "TA-02 Chi bộ ấp Hai: the regular meeting report for" in english
    assert english.endswith("→ /report")
    assert sent_to(api, ORGANISER, mark) == []  # the digest comes on the 6th
    assert sorted(ledger(bot)) == [("report", "failed"), ("report", "sent"), ("report", "sent")]

    mark = api.mark()
    again = bot.cli("remind", "--as-of", day, CHIBO_LOCALE="en")
    assert again.returncode == 0, again.stderr
    assert "2 to remind, 0 sent, 0 failed, 0 unreachable" in again.stdout
    assert api.calls_of("sendMessage", since=mark) == []  # not even the blocked user is tried

    quiet = bot.cli("remind", "--as-of", f"{month}-10", CHIBO_LOCALE="en")
    assert "0 to remind, 0 sent" in quiet.stdout

    bot.ask(SECRETARY, "/trogiup", "/nhacnho")  # the running bot still answers, and lists it
    log = bot.stop()
    for output in (log, dry.stderr, first.stderr, again.stderr):
        assert NAME not in output and "Chi bộ" not in output and TOKEN not in output
    assert "2 sent, 0 failed, 1 unreachable" in first.stderr  # the log says counts only


def test_run_starts_the_daily_rounds_beside_the_channels(bot: BotProcess) -> None:
    bot.extra_env["CHIBO_REMINDERS"] = "on"
    bot.import_org()
    bot.start()
    log = bot.stop()
    assert "reminders: a round every day at 08:00" in log


def test_reminders_off_leaves_the_rounds_to_another_process(bot: BotProcess) -> None:
    bot.import_org()
    bot.start()  # the harness sets CHIBO_REMINDERS=off
    assert "reminders:" not in bot.stop()
