"""The real bot process: two of a commune's 25 cells report, its organiser reads the summary."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.botapi_json import NAME
from tests.e2e.harness import BotProcess
from tests.e2e.standin import BotApiStandIn

ORG = "path,code,full_members,probationary_members,exempt_members\n" + "".join(
    [f"Huyện Thử Nghiệm/Xã Một/Chi bộ ấp {n:02d},TA-{n:02d},15,2,0\n" for n in range(1, 26)]
    + [f"Huyện Thử Nghiệm/Xã Hai/Chi bộ ấp {n:02d},TB-{n:02d},12,0,0\n" for n in (1, 2)]
)
SECRETARIES = {"TA-01": 2201, "TA-02": 2202}
SILENT_SECRETARY = 2203  # registered for TA-03, which does not report
ORGANISER = 2301


def report_a_meeting(bot: BotProcess, user: int) -> None:
    """Report today's regular meeting by typing and tapping, as a secretary would."""
    bot.ask(user, "/baocao", "(1/8)")
    bot.press(user, "Hôm nay")
    bot.wait_for_message("(2/8)", user)
    bot.ask(user, "1", "(3/8)")
    bot.ask(user, "95", "(4/8)")
    bot.ask(user, "16", "Có 1 đảng viên vắng")
    bot.ask(user, "1", "(5/8)")
    bot.ask(user, "không", "(6/8)")
    bot.press(user, "Có")
    bot.wait_for_message("người phụ trách", user)
    bot.ask(user, "2", "triển khai đến đâu")
    bot.ask(user, "tất cả", "(7/8)")
    bot.press(user, "Bỏ qua")
    bot.wait_for_message("(8/8)", user)
    bot.send_text(user, "1")
    bot.wait_for_message("Đã lưu", user)


def test_the_commune_organiser_reads_two_of_25_and_the_23_missing_cells(
    bot: BotProcess, api: BotApiStandIn
) -> None:
    bot.import_org(ORG)
    bot.start()
    for code, user in SECRETARIES.items():
        bot.register(user, code)
        report_a_meeting(bot, user)
    bot.register(SILENT_SECRETARY, "TA-03")
    bot.register(ORGANISER, "Huyện Thử Nghiệm/Xã Một", role="staff")
    month = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m")

    summary = bot.ask(ORGANISER, f"/tonghop {month}", "Xã Một")
    assert "2/25 (8%)" in summary.text
    assert "TB-" not in summary.text and "Xã Hai" not in summary.text

    missing = bot.ask(ORGANISER, f"/chuabaocao {month}", "Xã Một (23)")
    text = "\n".join(c.text for c in api.calls_of("sendMessage", since=bot.cursor)
                     if c.chat_id == ORGANISER)
    listed = [f"TA-{n:02d}" for n in range(1, 26) if f"TA-{n:02d} " in text]
    assert listed == [f"TA-{n:02d}" for n in range(3, 26)]  # the 23 that did not report
    assert "TB-" not in text and "Xã Hai" not in text
    assert f"TA-03 Chi bộ ấp 03 — {NAME}" in missing.text  # the profile name, for organisers

    english = bot.ask(ORGANISER, f"/summary {month}", "Summary of Xã Một", language_code="en")
    # A3: this month's reports are not due yet: reported so far, none missing
    assert "reported so far: 2/25 (8%)" in english.text and "missing: 23" not in english.text

    log = bot.stop()
    assert NAME not in log  # profile names never reach a log
