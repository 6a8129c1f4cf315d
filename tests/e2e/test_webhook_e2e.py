"""The real process taking Telegram updates by webhook: the secret, the health check."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from tests.botapi_json import message_json
from tests.e2e.harness import BotProcess
from tests.e2e.test_zalo_e2e import free_port

SECRETARY = 3101
SECRET = "e2e-telegram-secret_1"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def post(url: str, body: dict[str, object], secret: str | None) -> int:
    """Post an update as Telegram does; return the HTTP status."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[HEADER] = secret
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_telegram_by_webhook_takes_updates_with_the_secret_and_refuses_them_without(
    bot: BotProcess,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram-updates"
    bot.extra_env.update({"CHIBO_WEBHOOK_URL": url, "CHIBO_WEBHOOK_SECRET": SECRET,
                          "CHIBO_WEBHOOK_LISTEN": f"127.0.0.1:{port}"})
    bot.import_org()
    code = bot.invite("TA-01", role="secretary")
    bot.start(ready="setWebhook")
    [set_webhook] = bot.api.calls_of("setWebhook")
    assert set_webhook.params["url"] == url and set_webhook.params["secret_token"] == SECRET
    assert bot.api.calls_of("getUpdates") == []  # no polling beside the webhook
    assert get(f"http://127.0.0.1:{port}/healthz") == 200
    start = {"update_id": 900, "message": message_json(1, SECRETARY, f"/start {code}")}
    bot.cursor = bot.api.mark()
    assert post(url, start, None) == 403  # without the secret
    assert post(url, start, "not-the-secret") == 403
    assert post(url, start, SECRET) == 200
    bot.wait_for_message("Chi bộ ấp Một", user_id=SECRETARY)
    report = {"update_id": 901, "message": message_json(2, SECRETARY, "/baocao")}
    bot.cursor = bot.api.mark()
    assert post(url, report, SECRET) == 200
    bot.wait_for_message("(1/8)", user_id=SECRETARY)
    bot.cursor = bot.api.mark()
    assert post(url, report, SECRET) == 200  # a retry of the same update: asked again only
    bot.wait_for_message("(1/8)", user_id=SECRETARY)
    first = bot.api.calls_of("sendMessage", since=bot.cursor)[0]
    assert first.text.startswith("(1/8)")  # not "you have an unfinished conversation" first
    log = bot.stop()
    assert SECRET not in log
