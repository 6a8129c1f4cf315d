"""Settings from the environment: the only module that reads os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SUPPORTED_LOCALES = ("vi", "en")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    telegram_token: str | None
    telegram_api_url: str
    database: Path
    timezone: ZoneInfo
    locale: str
    rules_path: Path | None

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
    return Settings(token, api_url, database, zone, locale, rules_path)
