"""The bot through the real Telegram transport, against a bare python-telegram-bot echo bot.

Both get the same pre-built updates through `Application.process_update` and answer through a
Bot API request that records nothing and answers at once (no network, no rate limiter: its
limit is a politeness to Telegram, counted here as Bot API calls per update instead). Both run
in the same process, one after the other, several times: the ratio of their rates is the
figure to trust on a shared machine. The bot's updates are whole meeting reports typed by
many secretaries in turn, on a file database; every answer is committed before its reply.

Also counted per update: database round trips (calls to a connection's thread) and Bot API
calls by method.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import aiosqlite
from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters
from telegram.request import BaseRequest, RequestData

from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from bot.core.dispatcher import Dispatcher
from bot.demo import demo_cells
from bot.domain.org import Role
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.org import OrgRepository
from bot.storage.users import UserRepository

TOKEN = "7000009:AAE-benchmark-token"
FIRST_USER = 900_000
REPEATS = 3  # each side runs this often; the best run of each counts (noise only slows)
DAY = "2026-11-20"  # the meeting every secretary reports

JSONDict = dict[str, Any]


class AnsweringRequest(BaseRequest):
    """Answer every Bot API call at once, like Telegram would; count calls by method."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._message_id = 0

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        self.calls[name] += 1
        params = request_data.parameters if request_data else {}
        result: Any = True
        if name == "getMe":
            result = {"id": 7000009, "is_bot": True, "first_name": "Bench", "username": "b_bot"}
        elif name in {"sendMessage", "editMessageText"}:  # the message, as Telegram sends back
            self._message_id += 1
            result = {"message_id": params.get("message_id", self._message_id), "date": 0,
                      "chat": {"id": int(str(params["chat_id"])), "type": "private"},
                      "text": str(params.get("text", ""))}
            if "reply_markup" in params:
                result["reply_markup"] = params["reply_markup"]
        return 200, json.dumps({"ok": True, "result": result}).encode()


def update_json(update_id: int, user_id: int, text: str) -> JSONDict:
    message: JSONDict = {
        "message_id": update_id, "date": 0, "text": text,
        "chat": {"id": user_id, "type": "private", "first_name": "A"},
        "from": {"id": user_id, "is_bot": False, "first_name": "A", "language_code": "vi"},
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}


@dataclass
class Run:
    """What one side cost over a whole run: wall and CPU seconds, round trips, Bot API calls."""

    updates: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    round_trips: int = 0
    calls: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_rate(self) -> float:
        return self.updates / self.cpu_seconds


class RoundTrips:
    """Count calls to aiosqlite's connection threads (each one hop there and back)."""

    def __init__(self) -> None:
        self.count = 0
        self._original: Any = aiosqlite.Connection._execute

    def __enter__(self) -> RoundTrips:
        original = self._original

        async def counted(conn: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(conn, fn, *args, **kwargs)

        setattr(aiosqlite.Connection, "_execute", counted)  # noqa: B010 (measuring only)
        return self

    def __exit__(self, *exc: object) -> None:
        setattr(aiosqlite.Connection, "_execute", self._original)  # noqa: B010


async def drive(
    application: Application[Any, Any, Any, Any, Any, Any],
    updates: Sequence[Update],
    request: AnsweringRequest,
    run: Run,
) -> None:
    """Feed the updates one after the other; add what they took and cost to `run`."""
    request.calls.clear()
    with RoundTrips() as trips:
        cpu, started = time.process_time(), time.perf_counter()
        for update in updates:
            await application.process_update(update)
        run.seconds += time.perf_counter() - started
        run.cpu_seconds += time.process_time() - cpu
    run.updates += len(updates)
    run.round_trips += trips.count
    run.calls.update(request.calls)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


@dataclass(frozen=True)
class TransportFigures:
    echo: Run
    bot: Run
    users: int

    @property
    def ratio(self) -> float:
        return self.bot.rate / self.echo.rate

    @property
    def cpu_ratio(self) -> float:
        return self.bot.cpu_rate / self.echo.cpu_rate

    def per_update(self, run: Run) -> str:
        calls = ", ".join(f"{n / run.updates:.2f} {m}" for m, n in sorted(run.calls.items()))
        return f"{run.round_trips / run.updates:.1f} db round trips; {calls}"


async def measure_transport(
    folder: Path,
    seed: Callable[[Database], Awaitable[object]],
    answers: Callable[[str, int], list[str]],
    make_dispatcher: Callable[[Database], Dispatcher],
) -> TransportFigures:
    """Every demo secretary reports a meeting over Telegram, users taking turns per answer."""
    db = await Database.open(folder / "transport.sqlite3")
    try:
        await seed(db)
        dispatcher = make_dispatcher(db)
        scripts = await _register(db, dispatcher, answers)
        steps = _steps(scripts)
        settings = Settings(TOKEN, "http://127.0.0.1:9", folder / "unused", dispatcher.timezone,
                            "vi", None)
        bot_request, echo_request = AnsweringRequest(), AnsweringRequest()
        channel = TelegramChannel(dispatcher, settings, request=bot_request,
                                  get_updates_request=bot_request, rate_limited=False)
        bare = (ApplicationBuilder().token(TOKEN).request(echo_request)
                .get_updates_request(echo_request).build())
        bare.add_handler(MessageHandler(filters.TEXT, echo))
        bots: list[Run] = []
        echoes: list[Run] = []
        async with channel.application, bare:
            for repeat in range(REPEATS):
                if repeat:  # every report again, on a database holding the earlier ones
                    await _forget_reports(db, scripts)
                bot, plain = Run(), Run()
                # Step by step, the echo bot then ours: both see the machine's load alike.
                for step in steps:
                    await drive(bare, [Update.de_json(u, bare.bot) for u in step],
                                echo_request, plain)
                    await drive(channel.application,
                                [Update.de_json(u, channel.application.bot) for u in step],
                                bot_request, bot)
                await _all_saved(db, dispatcher, scripts)
                bots.append(bot)
                echoes.append(plain)
        best_bot = min(bots, key=lambda r: r.seconds)
        best_echo = min(echoes, key=lambda r: r.seconds)
        return TransportFigures(best_echo, best_bot, len(scripts))
    finally:
        await db.close()


async def _register(
    db: Database, dispatcher: Dispatcher, answers: Callable[[str, int], list[str]]
) -> list[tuple[int, int, list[str]]]:
    """Make each demo cell's secretary a Telegram user; return (user, cell, texts) each."""
    org, users = OrgRepository(db), UserRepository(db)
    scripts = []
    for number, cell in enumerate(demo_cells()):
        unit = await org.by_code(cell.code)
        assert unit is not None
        user_id = FIRST_USER + number
        key = await users.ensure("telegram", str(user_id), dispatcher.now())
        await users.grant(key, Role.SECRETARY, unit.id, dispatcher.now())
        texts = ["/baocao", *answers(date.fromisoformat(DAY).strftime("%d/%m/%Y"),
                                     unit.expected_members)]
        scripts.append((user_id, unit.id, texts))
    return scripts


def _steps(scripts: Sequence[tuple[int, int, list[str]]]) -> list[list[JSONDict]]:
    """Everybody's first answer, then everybody's second, …: users take turns."""
    steps: list[list[JSONDict]] = []
    update_id = 0
    for step in range(max(len(texts) for _, _, texts in scripts)):
        steps.append([])
        for user_id, _, texts in scripts:
            if step < len(texts):
                update_id += 1
                steps[-1].append(update_json(update_id, user_id, texts[step]))
    return steps


async def _forget_reports(db: Database, scripts: Sequence[tuple[int, int, list[str]]]) -> None:
    """Remove the reports of the run before, so the next run reports the same month again."""
    async with db.transaction() as conn:
        for _, cell_id, _ in scripts:
            await conn.execute(
                "DELETE FROM meeting_reports WHERE cell_id = ? AND held_on = ?", (cell_id, DAY))


async def _all_saved(
    db: Database, dispatcher: Dispatcher, scripts: Sequence[tuple[int, int, list[str]]]
) -> None:
    """Check every report reached the database and no conversation was left open."""
    saved = await db.scalar("SELECT COUNT(*) FROM meeting_reports WHERE held_on = ?", (DAY,))
    assert saved == len(scripts), f"{saved} of {len(scripts)} reports saved"
    store = ConversationStore(db)
    for user_id, _, _ in scripts:
        user = await dispatcher.users.find("telegram", str(user_id))
        assert user is not None and await store.load(user.id) is None, "a report was left open"


def summary(figures: TransportFigures) -> list[tuple[str, str]]:
    """Rows for the benchmark's table."""
    echo, bot = figures.echo, figures.bot
    return [
        (f"echo bot, {echo.updates} updates", f"{echo.rate:,.0f} updates/s"),
        ("  per update", figures.per_update(echo)),
        (f"meeting reports over Telegram, {figures.users} users, {bot.updates} updates",
         f"{bot.rate:,.0f} updates/s"),
        ("  per update", figures.per_update(bot)),
        ("µs per update, echo / bot", f"{1e6 / echo.rate:.0f} / {1e6 / bot.rate:.0f}"),
        ("CPU µs per update, echo / bot",
         f"{1e6 / echo.cpu_rate:.0f} / {1e6 / bot.cpu_rate:.0f} (ratio {figures.cpu_ratio:.3f})"),
    ]

