"""The real `python -m bot run` against the Bot API stand-in: register, language, cancel,
restart mid-flow, and bad settings."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.harness import DISTRICT, ROOT, TOKEN, BotProcess
from tests.e2e.standin import BOT_USERNAME, BotApiStandIn

SECRETARY = 2001
ADMIN = 2002
NEWCOMER = 2003


def test_a_secretary_registers_switches_language_and_cancels(
    bot: BotProcess, api: BotApiStandIn
) -> None:
    bot.import_org()
    code = bot.invite("TA-01", role="secretary")
    printed = bot.cli("invite", "TA-02", "--role", "secretary").stdout.splitlines()
    assert printed[-2] == f"https://t.me/{BOT_USERNAME}?start={printed[-1]}"  # via getMe
    bot.start()
    menus = {language for _, language in api.commands}
    assert menus == {"vi", "en", ""}  # set at start: per language, and the default

    bot.send_text(SECRETARY, "xin chào")
    bot.wait_for_message("/start", SECRETARY)  # strangers only get the explanation
    bot.send_text(SECRETARY, f"/start {code}")
    greeting = bot.wait_for_message("Chi bộ ấp Một", SECRETARY)
    assert "/ngonngu" in greeting.text

    bot.send_text(SECRETARY, "/ngonngu")
    prompt = bot.wait_for_message("", SECRETARY)
    assert [b["text"] for b in prompt.buttons] == ["Tiếng Việt", "English"]
    bot.press(SECRETARY, "English")
    bot.wait_for_edit("→ English", SECRETARY)
    bot.wait_for_message("Language set to English.", SECRETARY)

    bot.send_text(SECRETARY, "/language")
    bot.wait_for_message("Choose your language", SECRETARY)
    bot.send_text(SECRETARY, "/cancel")
    bot.wait_for_message("Cancelled. Nothing was saved.", SECRETARY)
    bot.send_text(SECRETARY, "/help")
    assert "/cancel" in bot.wait_for_message("/language", SECRETARY).text

    log = bot.stop()
    assert "Chi bộ ấp Một" not in log  # no message text in the logs


def test_a_restart_mid_flow_loses_nothing(bot: BotProcess, api: BotApiStandIn) -> None:
    bot.import_org()
    bot.start()
    greeting = bot.register(ADMIN, DISTRICT, role="admin")  # invited while the bot runs
    assert DISTRICT in greeting.text
    prompt = bot.ask(ADMIN, "/moi", expect="(1/2)")
    data = [b["callback_data"] for b in prompt.buttons]
    assert data[0].startswith("invite.role.") and data[0].endswith("|secretary")
    bot.tap(ADMIN, data[0])
    bot.wait_for_message("(2/2)", ADMIN)

    bot.stop()  # SIGTERM: a clean exit that confirms every update it handled
    assert api.pending_updates() == []
    bot.start()  # again, on the same database

    bot.send_text(ADMIN, "TA-02")
    bot.wait_for_message("Chi bộ ấp Hai", ADMIN)
    invite = bot.wait_for_message("/start ", ADMIN)
    bot.send_text(NEWCOMER, invite.text)
    bot.wait_for_message("Chi bộ ấp Hai", NEWCOMER)
    bot.stop()


def test_groups_are_pointed_to_the_private_chat(bot: BotProcess, api: BotApiStandIn) -> None:
    bot.start()
    group = {"id": -1001, "type": "group", "title": "Chi bộ"}
    mark = api.mark()
    api.send_text(SECRETARY, "/start", chat=group)
    api.send_text(SECRETARY, "/trogiup", chat=group)
    api.send_text(SECRETARY, "/start")  # then privately, to know both were handled
    api.wait_for_message("/start", SECRETARY, since=mark)
    assert [c.chat_id for c in api.calls_of("sendMessage", since=mark)] == [-1001, SECRETARY]
    bot.stop()


def test_a_malformed_setting_prints_one_clear_line(tmp_path: Path, api: BotApiStandIn) -> None:
    bot = BotProcess(tmp_path, api)
    for variable, value in [("TELEGRAM_BOT_TOKEN", "not a token"),
                            ("TELEGRAM_API_URL", "127.0.0.1:8081"),
                            ("CHIBO_TIMEZONE", "Mars/Olympus")]:
        result = bot.cli("run", **{variable: value})
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and variable in lines[0], result.stderr
        assert "Traceback" not in result.stderr


def test_a_token_refused_by_the_api_prints_one_clear_line(
    tmp_path: Path, api: BotApiStandIn
) -> None:
    wrong = "7000002:AAH-wrong-token"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, capture_output=True, text=True,
        timeout=30, env=BotProcess(tmp_path, api).environment(TELEGRAM_BOT_TOKEN=wrong),
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "TELEGRAM_BOT_TOKEN was refused" in last and "(telegram)" in last  # named
    assert wrong not in result.stderr


def test_an_unreachable_api_at_start_is_retried_and_sigterm_still_exits_cleanly(
    tmp_path: Path, api: BotApiStandIn
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    env = BotProcess(tmp_path, api).environment(
        TELEGRAM_API_URL=f"http://127.0.0.1:{closed_port}")
    with (tmp_path / "err").open("w+b") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 5
            while b"unreachable" not in (tmp_path / "err").read_bytes():
                assert time.monotonic() < deadline, (tmp_path / "err").read_text()
                time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=5) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    log = (tmp_path / "err").read_text()
    assert "Traceback" not in log and TOKEN not in log


def test_a_passing_gateway_error_at_start_up_is_retried_not_fatal(
    bot: BotProcess, api: BotApiStandIn
) -> None:
    bot.import_org()
    code = bot.invite("TA-01", role="secretary")
    api.fail_next("deleteWebhook")  # the first call of start_polling, after getMe
    bot.start()
    bot.ask(3301, f"/start {code}", "Chi bộ ấp Một")
    assert [c.method for c in api.calls].count("deleteWebhook") >= 2  # failed, then retried
    assert "Traceback" not in bot.stop()
