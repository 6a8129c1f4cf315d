"""The real bot process: a probationer is confirmed as a full member, typed and tapped."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.calendar import add_months
from tests.e2e.harness import BotProcess
from tests.e2e.standin import BotApiStandIn

SECRETARY = 2201


def typed(day: date) -> str:
    return f"{day.day}/{day.month}/{day.year}"


def test_a_probationer_is_voted_on_and_confirmed_with_realistic_dates(
    bot: BotProcess, api: BotApiStandIn
) -> None:
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    ceremony = today - timedelta(days=400)
    probation_end = add_months(ceremony, 12)
    vote, confirmed = probation_end + timedelta(days=5), probation_end + timedelta(days=20)

    bot.import_org()
    code = bot.invite("TA-01", role="secretary")
    bot.start()
    bot.ask(SECRETARY, f"/start {code}", "Chi bộ ấp Một", language_code="en")

    bot.ask(SECRETARY, "/recruit", "What do you want to do?", language_code="en")
    bot.ask(SECRETARY, "1", "(1/5)", language_code="en")
    bot.ask(SECRETARY, "Út Mười", "(2/5)", language_code="en")
    bot.ask(SECRETARY, "13/1999", "mm/yyyy", language_code="en")  # no 13th month: re-asked
    bot.ask(SECRETARY, "4/1999", "(3/5)", language_code="en")
    bot.press(SECRETARY, "Probationary member", language_code="en")
    bot.wait_for_message("(4/5)", SECRETARY)
    review = bot.ask(SECRETARY, typed(ceremony), "(5/5)", language_code="en")
    assert "Út Mười" in review.text
    bot.ask(SECRETARY, "1", "Saved", language_code="en")

    bot.ask(SECRETARY, "/recruit", "What do you want to do?", language_code="en")
    bot.ask(SECRETARY, "2", "(1/4)", language_code="en")
    bot.ask(SECRETARY, "1", "(2/4)", language_code="en")
    bot.ask(SECRETARY, "1", "(3/4)", language_code="en")
    bot.ask(SECRETARY, typed(vote), "eligible to vote", language_code="en")
    bot.ask(SECRETARY, "16", "at most 15 can be eligible", language_code="en")  # TA-01: 15 full
    bot.ask(SECRETARY, "15", "voted yes", language_code="en")
    short = bot.ask(SECRETARY, "9", "Not passed", language_code="en")
    # 2/3 of 15 eligible is 10: 9 yes votes would be kept as a failed vote, arithmetic shown
    assert "2 × 15 ÷ 3 = 10" in short.text and "(4/4)" in short.text
    bot.ask(SECRETARY, "back", "voted yes", language_code="en")  # a typo: correct it
    bot.ask(SECRETARY, "11", "(4/4)", language_code="en")
    bot.ask(SECRETARY, "1", "Saved", language_code="en")

    bot.restart()  # nothing is lost across a restart
    bot.ask(SECRETARY, "/recruit", "What do you want to do?", language_code="en")
    bot.ask(SECRETARY, "2", "(1/4)", language_code="en")
    bot.ask(SECRETARY, "1", "(2/4)", language_code="en")
    bot.ask(SECRETARY, "1", "(3/4)", language_code="en")
    bot.ask(SECRETARY, typed(confirmed), "(4/4)", language_code="en")
    saved = bot.ask(SECRETARY, "1", "Saved", language_code="en")
    # a full member as of the end of probation, not of the late decision
    assert f"{probation_end:%b} {probation_end.day}, {probation_end.year}" in saved.text

    bot.ask(SECRETARY, "/recruit", "What do you want to do?", language_code="en")
    bot.ask(SECRETARY, "3", "Nobody is in this cell's pipeline", language_code="en")  # confirmed

    log = bot.stop()
    assert "Út Mười" not in log  # aliases never reach the logs
