"""The ZALO_* settings: polling by default, a webhook only with its secret, errors named."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings

TOKEN = "1459232241454765289:AbCdEf"


def test_without_a_zalo_token_there_is_no_zalo_channel() -> None:
    assert load_settings({}).zalo is None


def test_a_zalo_token_alone_polls_the_official_address() -> None:
    zalo = load_settings({"ZALO_BOT_TOKEN": TOKEN}).zalo
    assert zalo is not None
    assert zalo.api_url == "https://bot-api.zaloplatforms.com"
    assert zalo.webhook_url is None and not zalo.serves_http
    assert zalo.monthly_messages == 3000  # the free plan


def test_the_webhook_files_and_listen_address_are_read() -> None:
    zalo = load_settings({
        "ZALO_BOT_TOKEN": TOKEN, "ZALO_API_URL": "https://bot-api.zapps.me/",
        "ZALO_WEBHOOK_URL": "https://bot.example.vn/zalo", "ZALO_WEBHOOK_SECRET": "s" * 8,
        "ZALO_LISTEN": "0.0.0.0:9000", "ZALO_FILES_URL": "https://bot.example.vn/files/",
        "ZALO_MONTHLY_MESSAGES": "50000",
    }).zalo
    assert zalo is not None
    assert zalo.api_url == "https://bot-api.zapps.me"  # the older address, without its slash
    assert (zalo.webhook_url, zalo.webhook_secret) == ("https://bot.example.vn/zalo", "s" * 8)
    assert zalo.listen == ("0.0.0.0", 9000)
    assert zalo.files_url == "https://bot.example.vn/files" and zalo.serves_http
    assert zalo.monthly_messages == 50000


@pytest.mark.parametrize(("env", "variable"), [
    ({"ZALO_BOT_TOKEN": "no colon"}, "ZALO_BOT_TOKEN"),  # not id:secret
    ({"ZALO_BOT_TOKEN": TOKEN, "ZALO_API_URL": "bot-api.zaloplatforms.com"},
     "ZALO_API_URL"),  # no scheme
    ({"ZALO_BOT_TOKEN": TOKEN, "ZALO_WEBHOOK_URL": "https://x.vn/z"},
     "ZALO_WEBHOOK_SECRET"),  # a webhook without its secret would take anyone's posts
    ({"ZALO_BOT_TOKEN": TOKEN, "ZALO_WEBHOOK_URL": "https://x.vn/z",
      "ZALO_WEBHOOK_SECRET": "short"}, "ZALO_WEBHOOK_SECRET"),  # Zalo wants 8 to 256
    ({"ZALO_BOT_TOKEN": TOKEN, "ZALO_LISTEN": "8080"}, "ZALO_LISTEN"),  # no host
    ({"ZALO_BOT_TOKEN": TOKEN, "ZALO_LISTEN": "h:99999"}, "ZALO_LISTEN"),  # no such port
    ({"ZALO_BOT_TOKEN": TOKEN, "ZALO_MONTHLY_MESSAGES": "-1"}, "ZALO_MONTHLY_MESSAGES"),
    ({"ZALO_WEBHOOK_URL": "https://x.vn/z"}, "ZALO_WEBHOOK_URL"),  # set, but no token
])
def test_a_bad_zalo_setting_is_named_in_the_error(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings(env)
