"""The real bot process against the Bot API stand-in: report a meeting, read the standing."""

from __future__ import annotations

from tests.e2e.harness import BotProcess
from tests.e2e.standin import BotApiStandIn

SECRETARY = 2101


def test_a_secretary_reports_a_meeting_and_reads_the_standing_in_both_languages(
    bot: BotProcess, api: BotApiStandIn
) -> None:
    bot.import_org()  # TA-01: 15 full + 2 probationary members, none exempt
    code = bot.invite("TA-01", role="secretary")
    bot.start()
    bot.ask(SECRETARY, f"/start {code}", "Chi bộ ấp Một")

    bot.ask(SECRETARY, "/baocao", "(1/8)")
    bot.press(SECRETARY, "Hôm nay")
    bot.wait_for_message("(2/8)", SECRETARY)
    bot.ask(SECRETARY, "1", "(3/8)")
    assert "Số phải dự: 17" in bot.ask(SECRETARY, "95", "(4/8)").text
    bot.ask(SECRETARY, "16", "Có 1 đảng viên vắng")
    bot.ask(SECRETARY, "một", "một số từ 0 đến 1")  # a word is re-asked, nothing lost
    bot.ask(SECRETARY, "1", "(5/8)")
    bot.ask(SECRETARY, "không", "(6/8)")  # no upper-level guest, typed
    bot.press(SECRETARY, "Có")
    bot.wait_for_message("người phụ trách", SECRETARY)
    bot.ask(SECRETARY, "2", "triển khai đến đâu")
    bot.ask(SECRETARY, "tất cả", "(7/8)")
    bot.press(SECRETARY, "Bỏ qua")
    review = bot.wait_for_message("(8/8)", SECRETARY)
    assert "Dự họp: 16/17" in review.text
    bot.send_text(SECRETARY, "1")  # typed 1 saves
    standing = bot.wait_for_message("Đã lưu", SECRETARY)  # with the lines the save changed
    assert "Dự họp: 16/17 (94,1%)" in standing.text
    assert "✓ đạt tiêu chí dự họp" in standing.text

    english = bot.ask(SECRETARY, "/standing", "Standing of", language_code="en")
    assert "Attendance: 16/17 (94.1%)" in english.text
    assert "Reported before the due day:" in english.text  # this month: due next month

    log = bot.stop()
    assert "Chi bộ ấp Một" not in log  # no message text in the logs
