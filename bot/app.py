"""The App: the clock, the database, the dispatcher and the senders; runs every service.

    App.run(stop) ── TaskGroup ─┬─ Telegram (if TELEGRAM_BOT_TOKEN)  ─┐ each a Service: runs
                                ├─ … another channel, the terminal    ├ until `stop`; the first
                                └─ the scheduler (when there is one) ─┘ to end stops the others

One place (`__main__`) turns SIGINT/SIGTERM into `stop`. A service that fails is reported by
name (ChannelFailed) after the others have stopped the ordinary way.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.config import Settings
from bot.core.dispatcher import Dispatcher
from bot.core.outbound import Outbox, Sender
from bot.core.port import Channel, ChannelFailed, Service
from bot.domain.calendar import days_off
from bot.domain.rulebook import Rulebook
from bot.i18n import load_catalogs
from bot.storage.database import Database
from bot.storage.sums import sync as sync_sums
from bot.storage.users import UserRepository
from handlers import registry

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    clock: Callable[[], datetime]
    db: Database
    dispatcher: Dispatcher
    outbox: Outbox = field(default_factory=Outbox)
    channels: list[Channel] = field(default_factory=list)
    scheduler: Service | None = None

    def now(self) -> datetime:
        return self.clock().astimezone(self.settings.timezone)

    def add_channel(self, channel: Channel) -> None:
        """Run `channel` with the others; it carries the bot's own messages if it can."""
        self.channels.append(channel)
        if isinstance(channel, Sender):
            self.outbox.add(channel)

    async def run(self, stop: asyncio.Event) -> None:
        """Run every channel and the scheduler side by side until `stop` or until one ends.

        Raise ChannelFailed (the first failure) once all of them have stopped.
        """
        services: list[Service] = list(self.channels)
        if self.scheduler is not None:
            services.append(self.scheduler)
        if not services:
            raise ValueError("nothing to run: no channel is configured")
        dropped = await self.dispatcher.expire_drafts()  # what was typed goes with them
        if dropped:
            log.info("dropped %d unfinished conversations left unanswered too long", dropped)
        settle(self.dispatcher.rules, self.now().date())
        failures: list[ChannelFailed] = []

        async def judge_sums() -> None:
            """Rebuild the summaries' sums if the rules or the zone changed (a province: a few
            seconds) while the channels start; a summary meanwhile waits for it."""
            try:
                if await sync_sums(self.db):
                    log.info("rebuilt the summaries' sums: the rules or the time zone changed")
            except Exception as error:  # each summary judges them again before it reads
                log.error("the summaries' sums were not rebuilt (%s)", type(error).__name__)

        async def serve(service: Service) -> None:
            try:
                await service.run(stop)
            except Exception as error:
                log.error("%s: stopped on an error (%s)", service.name, type(error).__name__)
                failures.append(ChannelFailed(service.name, error))
            finally:
                stop.set()  # one has ended (failed, or its user quit): the others stop too

        async with asyncio.TaskGroup() as group:
            group.create_task(judge_sums(), name="summaries' sums")
            for service in services:
                group.create_task(serve(service), name=service.name)
        if failures:
            raise failures[0]

    async def close(self) -> None:
        await self.db.close()


async def open_app(settings: Settings, clock: Callable[[], datetime] | None = None) -> App:
    """Open the database (migrating it) and build the dispatcher; no channel yet."""
    rules = Rulebook.load(settings.rules_path)
    db = await Database.open(settings.database)
    now = clock or (lambda: datetime.now(settings.timezone))
    # The dispatcher's notices ahead of an answer go out through it too; the bot's own
    # messages go to the chat each person wrote from last.
    outbox = Outbox(reach=UserRepository(db).reach)
    dispatcher = Dispatcher(db, rules, registry(), settings.timezone, settings.locale, now,
                            outbox)
    return App(settings, now, db, dispatcher, outbox)


def settle(rules: Rulebook, today: date) -> None:
    """Load now what the first user would wait for, then leave what start-up built out of
    the garbage collector's full passes.

    The rulebook's days off (the holidays package imports a module per country, about 0.1 s)
    are loaded for the years the deadlines look at, and every language's catalog and formats
    (about 50 ms). The modules, catalogs, holidays and rules
    loaded by then live as long as the process; left in the collector's oldest generation,
    each full pass would walk them all again (about 30 ms, every few province-wide summaries,
    which allocate thousands of objects each).
    """
    days_off(rules.calendar, today.year + 1)  # as handlers.recruitment_texts.holidays_for
    load_catalogs()
    gc.collect()
    gc.freeze()


def configured_channels(app: App) -> list[Channel]:
    """Return a channel for every platform whose token is set (a new platform goes here)."""
    channels: list[Channel] = []
    if app.settings.telegram_token is not None:
        from bot.channels.telegram import TelegramChannel

        channels.append(TelegramChannel(app.dispatcher, app.settings))
    if app.settings.zalo is not None:
        from bot.channels.zalo import ZaloChannel
        from bot.storage.zalo import ZaloLedger

        channels.append(ZaloChannel(app.dispatcher, app.settings.zalo, ZaloLedger(app.db),
                                    app.now))
    return channels


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
