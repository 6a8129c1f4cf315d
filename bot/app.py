"""Wire settings, database, rulebook, handlers and the dispatcher together."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.core.dispatcher import Dispatcher
from bot.domain.rulebook import Rulebook
from bot.storage.database import Database
from handlers import registry


@dataclass
class App:
    settings: Settings
    db: Database
    dispatcher: Dispatcher

    async def close(self) -> None:
        await self.db.close()


async def open_app(settings: Settings, clock: Callable[[], datetime] | None = None) -> App:
    """Open the database (migrating it) and build the dispatcher."""
    rules = Rulebook.load(settings.rules_path)
    db = await Database.open(settings.database)
    dispatcher = Dispatcher(db, rules, registry(), settings.timezone, settings.locale, clock)
    return App(settings, db, dispatcher)


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
