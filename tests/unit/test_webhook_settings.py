"""CHIBO_WEBHOOK_*: Telegram by webhook needs its URL and its secret; listen has a default."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, TelegramWebhook, load_settings

TOKEN = {"TELEGRAM_BOT_TOKEN": "123:ABC"}
URL = "https://bot.example.org/telegram"


def test_the_webhook_is_read_with_its_secret_and_listen_address() -> None:
    settings = load_settings({**TOKEN, "CHIBO_WEBHOOK_URL": URL,
                              "CHIBO_WEBHOOK_SECRET": "s3cret-value",
                              "CHIBO_WEBHOOK_LISTEN": "0.0.0.0:8080"})
    assert settings.webhook == TelegramWebhook(URL, "s3cret-value", ("0.0.0.0", 8080))


def test_without_a_webhook_url_the_bot_polls() -> None:
    assert load_settings(TOKEN).webhook is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({**TOKEN, "CHIBO_WEBHOOK_URL": URL}, "CHIBO_WEBHOOK_SECRET"),  # the secret is required
        ({**TOKEN, "CHIBO_WEBHOOK_URL": URL, "CHIBO_WEBHOOK_SECRET": "short"},
         "CHIBO_WEBHOOK_SECRET"),  # under 8 characters
        ({**TOKEN, "CHIBO_WEBHOOK_URL": URL, "CHIBO_WEBHOOK_SECRET": "has spaces in it"},
         "CHIBO_WEBHOOK_SECRET"),  # Telegram allows A-Z, a-z, 0-9, _ and -
        ({**TOKEN, "CHIBO_WEBHOOK_SECRET": "s3cret-value"}, "CHIBO_WEBHOOK_URL"),  # no URL
        ({"CHIBO_WEBHOOK_URL": URL, "CHIBO_WEBHOOK_SECRET": "s3cret-value"},
         "TELEGRAM_BOT_TOKEN"),  # a webhook for no bot
        ({**TOKEN, "CHIBO_WEBHOOK_URL": "ftp://x", "CHIBO_WEBHOOK_SECRET": "s3cret-value"},
         "CHIBO_WEBHOOK_URL"),  # not http(s)
        ({**TOKEN, "CHIBO_WEBHOOK_URL": URL, "CHIBO_WEBHOOK_SECRET": "s3cret-value",
          "CHIBO_WEBHOOK_LISTEN": "8080"}, "CHIBO_WEBHOOK_LISTEN"),  # no host:port
    ],
)
def test_a_bad_webhook_setting_names_its_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(env)
