"""Settings from the environment: the only module that reads os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SUPPORTED_LOCALES = ("vi", "en")
ZALO_API_URL = "https://bot-api.zaloplatforms.com"
ZALO_LISTEN = ("127.0.0.1", 8080)
ZALO_FREE_MONTHLY_MESSAGES = 3000  # the free plan, as reported in 2026
SECRET_LENGTHS = range(8, 257)  # what setWebhook accepts as secret_token


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class ZaloSettings:
    """The Zalo Bot API channel: polling, or a webhook when its URL and secret are set."""

    token: str
    api_url: str = ZALO_API_URL
    webhook_url: str | None = None  # public HTTPS address Zalo posts updates to
    webhook_secret: str | None = None  # the X-Bot-Api-Secret-Token Zalo sends with them
    listen: tuple[str, int] = ZALO_LISTEN  # where the webhook and the files are served
    files_url: str | None = None  # public address of the files served at `listen`
    monthly_messages: int = ZALO_FREE_MONTHLY_MESSAGES  # the plan's quota, for warnings

    @property
    def serves_http(self) -> bool:
        """Tell whether the bot listens at all (for the webhook or for files)."""
        return self.webhook_url is not None or self.files_url is not None


TELEGRAM_LISTEN = ("127.0.0.1", 8443)


@dataclass(frozen=True)
class TelegramWebhook:
    """Telegram by webhook: where Telegram posts (behind a reverse proxy) and its secret."""

    url: str  # public HTTPS address given to setWebhook
    secret: str  # the X-Telegram-Bot-Api-Secret-Token Telegram sends with every update
    listen: tuple[str, int] = TELEGRAM_LISTEN  # where the bot itself listens


@dataclass(frozen=True)
class Settings:
    telegram_token: str | None
    telegram_api_url: str
    database: Path
    timezone: ZoneInfo
    locale: str
    rules_path: Path | None
    zalo: ZaloSettings | None = None  # None: ZALO_BOT_TOKEN is not set
    reminders: bool = True  # False: `run` sends no scheduled reminders (`remind` still does)
    webhook: TelegramWebhook | None = None  # None: Telegram by long polling

    @property
    def telegram_base_url(self) -> str:
        """Return the prefix PTB puts before the token for Bot API calls."""
        return f"{self.telegram_api_url}/bot"

    @property
    def telegram_file_url(self) -> str:
        return f"{self.telegram_api_url}/file/bot"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check every setting; raise ConfigError naming the first bad variable."""
    env = os.environ if environ is None else environ
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or None
    if token is not None and (":" not in token or any(c.isspace() for c in token)):
        raise ConfigError("TELEGRAM_BOT_TOKEN does not look like a bot token (digits:letters)")
    api_url = env.get("TELEGRAM_API_URL", "https://api.telegram.org").strip().rstrip("/")
    if not api_url.startswith(("http://", "https://")):
        raise ConfigError("TELEGRAM_API_URL must start with http:// or https://")
    zone_name = env.get("CHIBO_TIMEZONE", "Asia/Ho_Chi_Minh").strip()
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"CHIBO_TIMEZONE={zone_name!r} is not a known time zone") from exc
    locale = env.get("CHIBO_LOCALE", "").strip().lower() or "vi"  # empty means unset
    if locale not in SUPPORTED_LOCALES:
        raise ConfigError(f"CHIBO_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}")
    database = Path(env.get("CHIBO_DB", "chibo.sqlite3").strip() or "chibo.sqlite3")
    if database.is_dir():
        raise ConfigError(f"CHIBO_DB={str(database)!r} is a folder; give a file path")
    rules = env.get("CHIBO_RULES", "").strip()
    rules_path = Path(rules) if rules else None
    if rules_path is not None and not rules_path.is_file():
        raise ConfigError(f"CHIBO_RULES={rules!r} is not a readable file")
    switch = env.get("CHIBO_REMINDERS", "").strip().lower() or "on"
    if switch not in ("on", "off"):
        raise ConfigError("CHIBO_REMINDERS must be on or off")
    return Settings(token, api_url, database, zone, locale, rules_path, load_zalo(env),
                    reminders=switch == "on", webhook=load_webhook(env, token))


def load_webhook(env: Mapping[str, str], token: str | None) -> TelegramWebhook | None:
    """Read CHIBO_WEBHOOK_*: None to poll; the secret is required with a webhook."""
    url = _url(env, "CHIBO_WEBHOOK_URL")
    secret = env.get("CHIBO_WEBHOOK_SECRET", "").strip() or None
    listen_text = env.get("CHIBO_WEBHOOK_LISTEN", "").strip()
    if url is None:
        stray = [name for name in ("CHIBO_WEBHOOK_SECRET", "CHIBO_WEBHOOK_LISTEN")
                 if env.get(name, "").strip()]
        if stray:
            raise ConfigError(f"{stray[0]} is set but CHIBO_WEBHOOK_URL is not")
        return None
    if token is None:
        raise ConfigError("CHIBO_WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not")
    if secret is None:
        raise ConfigError("CHIBO_WEBHOOK_SECRET is required with CHIBO_WEBHOOK_URL")
    if len(secret) not in SECRET_LENGTHS or not all(
            c.isascii() and (c.isalnum() or c in "_-") for c in secret):
        raise ConfigError("CHIBO_WEBHOOK_SECRET must be 8 to 256 characters of A-Z, a-z, "
                          "0-9, _ and -")
    listen = (_listen_address(listen_text, "CHIBO_WEBHOOK_LISTEN") if listen_text
              else TELEGRAM_LISTEN)
    return TelegramWebhook(url, secret, listen)


def load_zalo(env: Mapping[str, str]) -> ZaloSettings | None:
    """Read the ZALO_* settings; None when no Zalo token is set (and nothing else is)."""
    token = env.get("ZALO_BOT_TOKEN", "").strip() or None
    webhook_url = _url(env, "ZALO_WEBHOOK_URL")
    secret = env.get("ZALO_WEBHOOK_SECRET", "").strip() or None
    files_url = _url(env, "ZALO_FILES_URL")
    if token is None:
        stray = [name for name in ("ZALO_WEBHOOK_URL", "ZALO_WEBHOOK_SECRET", "ZALO_FILES_URL")
                 if env.get(name, "").strip()]
        if stray:
            raise ConfigError(f"{stray[0]} is set but ZALO_BOT_TOKEN is not")
        return None
    if ":" not in token or any(c.isspace() for c in token):
        raise ConfigError("ZALO_BOT_TOKEN does not look like a Zalo bot token (id:secret)")
    api_url = _url(env, "ZALO_API_URL") or ZALO_API_URL
    if (webhook_url is None) != (secret is None):
        raise ConfigError("ZALO_WEBHOOK_URL and ZALO_WEBHOOK_SECRET go together: set both")
    if secret is not None and (len(secret) not in SECRET_LENGTHS
                               or not (secret.isascii() and secret.isprintable())):
        raise ConfigError("ZALO_WEBHOOK_SECRET must be 8 to 256 ASCII characters")
    listen_text = env.get("ZALO_LISTEN", "").strip()
    listen = _listen_address(listen_text, "ZALO_LISTEN") if listen_text else ZALO_LISTEN
    quota_text = env.get("ZALO_MONTHLY_MESSAGES", "").strip()
    if quota_text and not (quota_text.isdigit() and int(quota_text) > 0):
        raise ConfigError("ZALO_MONTHLY_MESSAGES must be a whole number above 0")
    quota = int(quota_text) if quota_text else ZALO_FREE_MONTHLY_MESSAGES
    return ZaloSettings(token, api_url, webhook_url, secret, listen, files_url, quota)


def _url(env: Mapping[str, str], name: str) -> str | None:
    """Return the http(s) URL in `name` without a trailing slash, or None when unset."""
    value = env.get(name, "").strip().rstrip("/")
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be a URL starting with http:// or https://")
    return value


def _listen_address(value: str, name: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{name} must be host:port, for example 127.0.0.1:8080")
    return host.strip("[]") or "0.0.0.0", int(port)
