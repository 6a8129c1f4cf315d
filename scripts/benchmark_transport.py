"""The bot through the real Telegram transport, against a bare python-telegram-bot echo bot.

Both get the same updates through `Application.process_update` and answer through the tests'
recording request, which answers at once as Telegram would (no network, no rate limiter: its
limit is a politeness to Telegram, counted here as Bot API calls per update instead). Both run
in the same process, one after the other, several times: the ratio of their rates is the
figure to trust on a shared machine. The bot's updates are whole meeting reports typed by
many secretaries in turn, on a file database; every answer is committed before its reply.

Also counted per update: database round trips (calls to a connection's thread) and Bot API
calls by method.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import aiosqlite
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from bot.core.dispatcher import Dispatcher, question_token
from bot.demo import demo_cells
from bot.domain.org import Role
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.org import OrgRepository
from bot.storage.users import UserRepository
from tests.botapi_json import message_json
from tests.channels.recording import TOKEN, RecordingRequest

FIRST_USER = 900_000
REPEATS = 3  # each side runs this often; the best run of each counts (noise only slows)
DAY = "2026-11-20"  # the meeting every secretary reports

JSONDict = dict[str, Any]


def update_json(update_id: int, user_id: int, text: str) -> JSONDict:
    return {"update_id": update_id, "message": message_json(update_id, user_id, text)}


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
    request: RecordingRequest,
    run: Run,
) -> None:
    """Feed the updates one after the other; add what they took and cost to `run`."""
    request.calls.clear()  # what it answered stays: a later edit finds its message
    with RoundTrips() as trips:
        cpu, started = time.process_time(), time.perf_counter()
        for update in updates:
            await application.process_update(update)
        run.seconds += time.perf_counter() - started
        run.cpu_seconds += time.process_time() - cpu
    run.updates += len(updates)
    run.round_trips += trips.count
    run.calls.update(call.method for call in request.calls)


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

    def calls_by_method(self) -> str:
        run = self.bot
        return ", ".join(f"{m} {n / run.updates:.2f}" for m, n in sorted(run.calls.items()))


@dataclass(frozen=True)
class Secretary:
    user_id: int
    cell_id: int
    answers: dict[str, str]  # typed answer by step name


async def measure_transport(
    folder: Path,
    seed: Callable[[Database], Awaitable[object]],
    answers: Callable[[str, int], dict[str, str]],
    make_dispatcher: Callable[[Database], Dispatcher],
) -> TransportFigures:
    """Every demo secretary reports a meeting over Telegram, users taking turns per answer."""
    db = await Database.open(folder / "transport.sqlite3")
    try:
        await seed(db)
        dispatcher = make_dispatcher(db)
        secretaries = await _register(db, dispatcher, answers)
        settings = Settings(TOKEN, "http://127.0.0.1:9", folder / "unused", dispatcher.timezone,
                            "vi", None)
        bot_request, echo_request = RecordingRequest(), RecordingRequest()
        channel = TelegramChannel(dispatcher, settings, request=bot_request,
                                  get_updates_request=bot_request, rate_limited=False)
        bare = (ApplicationBuilder().token(TOKEN).request(echo_request)
                .get_updates_request(echo_request).build())
        bare.add_handler(MessageHandler(filters.TEXT, echo))
        bots: list[Run] = []
        echoes: list[Run] = []
        update_ids = itertools.count(1)  # Telegram's grow: a repeated id is not applied again
        async with channel.application, bare:
            for repeat in range(REPEATS):
                if repeat:  # every report again, on a database holding the earlier ones
                    await _forget_reports(db, secretaries)
                bot, plain = Run(), Run()
                texts = [(s.user_id, "/baocao") for s in secretaries]
                answered: dict[int, str] = {}
                while texts:
                    # Everybody's next answer, the echo bot then ours: both see the
                    # machine's load alike.
                    step = [update_json(next(update_ids), user_id, text)
                            for user_id, text in texts]
                    await drive(bare, [Update.de_json(u, bare.bot) for u in step],
                                echo_request, plain)
                    await drive(channel.application,
                                [Update.de_json(u, channel.application.bot) for u in step],
                                bot_request, bot)
                    texts = await _next_answers(db, dispatcher, secretaries, answered)
                await _all_saved(db, dispatcher, secretaries)
                bots.append(bot)
                echoes.append(plain)
        best_bot = min(bots, key=lambda r: r.seconds)
        best_echo = min(echoes, key=lambda r: r.seconds)
        return TransportFigures(best_echo, best_bot, len(secretaries))
    finally:
        await db.close()


async def _register(
    db: Database, dispatcher: Dispatcher, answers: Callable[[str, int], dict[str, str]]
) -> list[Secretary]:
    """Make each demo cell's secretary a Telegram user, with their answers."""
    org, users = OrgRepository(db), UserRepository(db)
    day = date.fromisoformat(DAY).strftime("%d/%m/%Y")
    secretaries = []
    for number, cell in enumerate(demo_cells()):
        unit = await org.by_code(cell.code)
        assert unit is not None
        user_id = FIRST_USER + number
        key = await users.ensure("telegram", str(user_id), dispatcher.now())
        await users.grant(key, Role.SECRETARY, unit.id, dispatcher.now())
        secretaries.append(Secretary(user_id, unit.id, answers(day, unit.expected_members)))
    return secretaries


async def _next_answers(
    db: Database, dispatcher: Dispatcher, secretaries: Sequence[Secretary],
    answered: dict[int, str],
) -> list[tuple[int, str]]:
    """Return each secretary's answer to the question they are at (read between steps).

    `answered` holds the question each one answered last: asked again, it refused the answer.
    """
    store = ConversationStore(db)
    texts = []
    for secretary in secretaries:
        user = await dispatcher.users.find("telegram", str(secretary.user_id))
        state = None if user is None else await store.load(user.id)
        if state is None:
            continue
        token = question_token(state)
        assert answered.get(secretary.user_id) != token, f"the answer at {state.step} refused"
        answered[secretary.user_id] = token
        texts.append((secretary.user_id, secretary.answers[state.step]))
    return texts


async def _forget_reports(db: Database, secretaries: Sequence[Secretary]) -> None:
    """Remove the reports of the run before, so the next run reports the same month again."""
    async with db.transaction() as conn:
        for secretary in secretaries:
            await conn.execute("DELETE FROM meeting_reports WHERE cell_id = ? AND held_on = ?",
                               (secretary.cell_id, DAY))


async def _all_saved(
    db: Database, dispatcher: Dispatcher, secretaries: Sequence[Secretary]
) -> None:
    """Check every report reached the database (and so no conversation is left open)."""
    saved = await db.scalar("SELECT COUNT(*) FROM meeting_reports WHERE held_on = ?", (DAY,))
    assert saved == len(secretaries), f"{saved} of {len(secretaries)} reports saved"
