"""A round of reminders to 3,000 secretaries through the Telegram rate limiter (issue 14).

The real round (`bot.scheduler.Rounds`: plan, then claim → compose → send → mark for each
person) goes through the real Telegram channel, ready to send as `python -m bot remind` makes
it, to the Bot API stand-in of the end-to-end tests with Telegram's flood limit switched on
(about 30 messages a second: beyond it, 429). Meanwhile ten secretaries keep asking /trogiup,
one a second, as updates the channel handles: their answers must not wait behind the round.

Figures: the messages per second through the limiter while the round sends, reminders and
answers together (target ≥ 95 % of 30; the answers' share goes first), the 429s (target none),
every secretary reached once, and the users' answers during the round (p95 ≤ 500 ms).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram import Update

from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from bot.core.dispatcher import Dispatcher
from bot.core.outbound import Outbox
from bot.domain.org import CellRow, Role
from bot.domain.rulebook import Rulebook
from bot.scheduler import Rounds, wait_for_stop
from bot.storage.database import Database
from bot.storage.org import OrgRepository
from bot.storage.users import UserRepository
from handlers import registry
from tests.botapi_json import message_json
from tests.e2e.standin import BotApiStandIn

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ROUND_AT = datetime(2026, 11, 25, 8, 0, tzinfo=VN)  # day 25: every cell is reminded
TOKEN = "7000003:AAE-benchmark-reminders"
FIRST_CHAT = 500_000
ASKING = 10  # secretaries answering during the round
TELEGRAM_RATE = 30.0
TARGET_SHARE = 0.95
TARGET_ANSWER_P95_MS = 500.0


@dataclass(frozen=True)
class FanOutFigures:
    people: int
    sent: int
    reached: int  # distinct chats that got a message
    plan_s: float
    round_s: float  # the whole round, planning included
    too_many: int  # 429 answers of the stand-in
    answers_ms: Sequence[float]
    answer_messages: int  # messages the answers took meanwhile

    @property
    def sending_s(self) -> float:
        return self.round_s - self.plan_s

    @property
    def rate(self) -> float:
        """Messages a second through the limiter while the round sends (answers included)."""
        return (self.sent + self.answer_messages) / self.sending_s

    @property
    def answer_p95(self) -> float:
        ordered = sorted(self.answers_ms)
        return ordered[max(0, int(len(ordered) * 0.95) - 1)]

    @property
    def missed(self) -> list[bool]:
        return [self.rate < TARGET_SHARE * TELEGRAM_RATE, self.too_many > 0,
                self.reached != self.people, self.answer_p95 > TARGET_ANSWER_P95_MS]

    def rows(self) -> list[tuple[str, str, str]]:
        answers = self.answers_ms
        return [
            (f"reminders: plan a round for {self.people:,} secretaries", f"{self.plan_s:.1f} s",
             ""),
            ("reminders: the round, planned and sent", f"{self.round_s:.0f} s", ""),
            ("reminders: messages per second, reminders + answers",
             f"{self.sent / self.sending_s:.1f} + {self.answer_messages / self.sending_s:.1f}"
             f" /s", ""),
            ("reminders: messages per second through the limiter", f"{self.rate:.1f} /s",
             f"≥ {TARGET_SHARE * TELEGRAM_RATE:.1f} (95 % of 30)"),
            ("reminders: 429 answers / secretaries reached",
             f"{self.too_many} / {self.reached:,}", f"0 / {self.people:,}"),
            (f"reminders: {len(answers)} answers meanwhile, p50 / p95",
             f"{statistics.median(answers):.0f} / {self.answer_p95:.0f} ms",
             f"p95 ≤ {TARGET_ANSWER_P95_MS:.0f} ms"),
        ]


async def seed(db: Database, cells: Sequence[CellRow]) -> None:
    """Import the cells (in the bot since 2016) and register one secretary each on Telegram."""
    org = OrgRepository(db)
    await org.import_cells(cells, at=datetime(2016, 12, 1, tzinfo=VN))
    users = UserRepository(db)
    for n, cell in enumerate(cells):
        unit = await org.by_code(cell.code)
        assert unit is not None
        user_id = await users.ensure("telegram", str(FIRST_CHAT + n), ROUND_AT)
        await users.grant(user_id, Role.SECRETARY, unit.id, ROUND_AT)


async def ask_meanwhile(channel: TelegramChannel, done: asyncio.Event) -> list[float]:
    """Secretaries ask /trogiup one a second until the round is done; return each answer's ms."""
    application = channel.application
    took: list[float] = []
    n = 0
    while not done.is_set():
        chat = FIRST_CHAT + n % ASKING
        update = Update.de_json({"update_id": n + 1,
                                 "message": message_json(n + 1, chat, "/trogiup")},
                                application.bot)
        started = time.perf_counter()
        await application.process_update(update)
        took.append((time.perf_counter() - started) * 1000)
        n += 1
        await wait_for_stop(done, 1.0)
    return took


async def measure_fan_out(folder: Path, cells: Sequence[CellRow]) -> FanOutFigures:
    db = await Database.open(folder / "reminders.sqlite3")
    try:
        await seed(db, cells)
        dispatcher = Dispatcher(db, Rulebook.default(), registry(), VN, "vi", lambda: ROUND_AT)
        with BotApiStandIn(TOKEN) as api:
            api.limit_rate(TELEGRAM_RATE)
            settings = Settings(TOKEN, api.url, folder / "unused", VN, "vi", None)
            channel = TelegramChannel(dispatcher, settings)
            rounds = Rounds(db, dispatcher, Outbox([channel], UserRepository(db).reach),
                            lambda: ROUND_AT)
            day: date = ROUND_AT.date()
            started = time.perf_counter()
            people = len(await rounds.plan(day))
            plan_s = time.perf_counter() - started
            async with channel.sending():
                done = asyncio.Event()
                asking = asyncio.create_task(ask_meanwhile(channel, done))
                started = time.perf_counter()
                record = await rounds.run(day, by_hand=False)
                round_s = time.perf_counter() - started
                done.set()
                answers = await asking
            sent = api.calls_of("sendMessage")
            reminders = [c for c in sent if c.text.endswith("→ /baocao")]  # the command last
            reminded = {c.chat_id for c in reminders}
            answered = len(sent) - len(reminders)
            return FanOutFigures(people, record.sent, len(reminded), plan_s, round_s,
                                 api.too_many, answers, answered)
    finally:
        await db.close()
