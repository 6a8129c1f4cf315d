"""The real `python -m bot run` with Telegram and Zalo side by side (stand-in and fake)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import WAIT, BotProcess
from tests.e2e.standin import BotApiStandIn
from tests.zalo_fake import ZaloFake, zalo_id

ZALO_TOKEN = "1459232241454765289:e2e-Zalo-NeverInLogs"
TELEGRAM_SECRETARY = 2301
ZALO_SECRETARY = zalo_id(2302)
ZALO_OF_TELEGRAM_SECRETARY = zalo_id(2303)
LINK_CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b")


@pytest.fixture
def zalo() -> Iterator[ZaloFake]:
    with ZaloFake(ZALO_TOKEN, poll_seconds=1.0) as fake:
        yield fake


@pytest.fixture
def both(bot: BotProcess, zalo: ZaloFake) -> BotProcess:
    bot.extra_env = {"ZALO_BOT_TOKEN": ZALO_TOKEN, "ZALO_API_URL": zalo.url}
    return bot


def zalo_say(zalo: ZaloFake, user: str, text: str, expect: str) -> str:
    mark = zalo.mark()
    zalo.send_text(user, text)
    return zalo.wait_for_message(expect, user, WAIT, mark).text


def wait_until_polling(zalo: ZaloFake) -> None:
    zalo.wait_for(lambda c: c.method == "getUpdates", WAIT, what="a Zalo poll")


def test_telegram_and_zalo_run_side_by_side_and_one_person_links_both(
    both: BotProcess, api: BotApiStandIn, zalo: ZaloFake
) -> None:
    both.import_org()
    telegram_code = both.invite("TA-01", role="secretary")
    zalo_code = both.invite("TA-02", role="secretary")
    both.start()  # returns once Telegram polls
    wait_until_polling(zalo)

    # A secretary on each channel registers; the Zalo one with the code alone.
    both.ask(TELEGRAM_SECRETARY, f"/start {telegram_code}", "Chi bộ ấp Một")
    assert "Chi bộ ấp Hai" in zalo_say(zalo, ZALO_SECRETARY, zalo_code, "/trogiup")

    # The Zalo secretary reports the start of a meeting by typing, while Telegram answers too.
    first = zalo_say(zalo, ZALO_SECRETARY, "/baocao", "(1/8)")
    assert "\n1. " in first and "\n2. " in first  # the choices as numbered lines
    zalo_say(zalo, ZALO_SECRETARY, "1", "(2/8)")
    both.ask(TELEGRAM_SECRETARY, "/tinhhinh", "Chi bộ ấp Một")
    zalo_say(zalo, ZALO_SECRETARY, "1", "(3/8)")

    # The Telegram secretary links a Zalo chat of their own: one account on both.
    code_message = both.ask(TELEGRAM_SECRETARY, "/lienket", "/lienket")
    found = LINK_CODE.search(code_message.text)
    assert found is not None, code_message.text
    linked = zalo_say(zalo, ZALO_OF_TELEGRAM_SECRETARY, f"/lienket {found.group()}",
                      "Chi bộ ấp Một")
    assert "/baocao" in linked  # greeted as the secretary, with their commands
    both.ask(TELEGRAM_SECRETARY, "/baocao", "(1/8)")
    zalo_say(zalo, ZALO_OF_TELEGRAM_SECRETARY, "1", "(2/8)")  # the same open conversation

    log = both.stop()
    assert ZALO_TOKEN not in log and "NeverInLogs" not in log
    assert "Chi bộ ấp" not in log  # no message text in the logs
    assert all(c.accepted for c in zalo.calls_of("sendMessage"))


def test_a_zalo_start_up_error_is_reported_by_name(
    bot: BotProcess, zalo: ZaloFake
) -> None:
    bot.import_org()
    result = bot.cli("run", ZALO_BOT_TOKEN="1:refused-token-secret", ZALO_API_URL=zalo.url)
    assert result.returncode == 2
    assert "Configuration error (zalo): ZALO_BOT_TOKEN was refused" in result.stderr
    assert "refused-token-secret" not in result.stderr + result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_real_process_takes_zalo_updates_by_webhook(
    both: BotProcess, zalo: ZaloFake, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/zalo"
    both.extra_env.update({"ZALO_WEBHOOK_URL": url, "ZALO_WEBHOOK_SECRET": "e2e-webhook-secret",
                           "ZALO_LISTEN": f"127.0.0.1:{port}"})
    both.import_org()
    code = both.invite("TA-02", role="secretary")
    both.start()
    zalo.wait_for(lambda c: c.method == "setWebhook", WAIT, what="setWebhook")
    assert zalo.webhook == (url, "e2e-webhook-secret")
    assert "Chi bộ ấp Hai" in zalo_say(zalo, ZALO_SECRETARY, code, "/trogiup")
    event = zalo.event("message.text.received", ZALO_SECRETARY, text="/baocao")
    assert zalo.post_webhook(event, url, "not-the-secret") == 403
    both.stop()
    assert {d.status for d in zalo.deliveries} == {200}
