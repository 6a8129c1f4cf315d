"""Many secretaries reporting at once through the real bot and the rate limiter (issue 16).

`python -m bot run` (with the shipped rate limiter: answers paced at 30 in 1.02 s) against
the Bot API stand-in enforcing Telegram's flood limit (`limit_rate`: 429 beyond about 30
messages a second). Every secretary starts /baocao at the same moment and answers each
question as soon as it comes (no time to think: the worst case), by typing, up to the Save.

Figures: each reply's latency (from the secretary's message to the bot's answer), median and
p99; the bot's messages per second while everyone reports (answers, and the removal of the
last question's buttons after the Save, as Telegram's limit counts them); the 429s. What
must hold: every report saved exactly once (one per cell, nothing replaced), every secretary
answered.

    python scripts/load.py --secretaries 300   # the figure in the README
    tests/e2e/test_load_e2e.py                 # fewer, in the suite
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.org import Role
from bot.storage.database import Database
from bot.storage.org import OrgRepository
from bot.storage.users import UserRepository
from tests.e2e.harness import BotProcess
from tests.e2e.standin import MESSAGE_METHODS, BotApiStandIn

FIRST_CHAT = 700_000
MEMBERS = 12  # each cell: 12 full members, all present
# A regular meeting today, typed: date, kind, minutes, present, guest, resolution, note, Save.
ANSWERS = ("/baocao", "1", "1", "95", str(MEMBERS), "2", "2", "Bỏ qua", "1")
TELEGRAM_RATE = 30.0
STALL = 60.0  # seconds without any answer: the run has failed


@dataclass(frozen=True)
class LoadFigures:
    secretaries: int
    latencies: list[float]  # seconds, one per answer
    messages: int  # the bot's messages and edits while they reported (429s not counted)
    seconds: float  # from the first /baocao to the last answer
    too_many: int  # 429 answers of the stand-in

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def summary(self) -> str:
        return (f"{self.secretaries} secretaries, {len(self.latencies):,} answers in "
                f"{self.seconds:.0f} s: reply latency median "
                f"{statistics.median(self.latencies):.1f} s, p99 {self.percentile(0.99):.1f} s; "
                f"{self.per_second:.1f} messages/s with the keyboards' edits (Telegram allows "
                f"{TELEGRAM_RATE:.0f}); "
                f"{self.too_many} answered 429")


def org_csv(secretaries: int) -> str:
    lines = ["path,code,full_members,probationary_members,exempt_members"]
    for n in range(secretaries):
        commune = f"Xã Tải {n // 20 + 1:02d}"
        lines.append(f"Huyện Tải/{commune}/Chi bộ ấp {n + 1:03d},LD-{n + 1:03d},{MEMBERS},0,0")
    return "\n".join(lines) + "\n"


async def register(bot: BotProcess, secretaries: int) -> None:
    """Make each cell's secretary a Telegram user (as an invite would), bot not running."""
    db = await Database.open(bot.database)
    try:
        org, users = OrgRepository(db), UserRepository(db)
        now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
        for n in range(secretaries):
            cell = await org.by_code(f"LD-{n + 1:03d}")
            assert cell is not None
            user = await users.ensure("telegram", str(FIRST_CHAT + n), now)
            await users.grant(user, Role.SECRETARY, cell.id, now)
    finally:
        await db.close()


def run(bot: BotProcess, api: BotApiStandIn, secretaries: int) -> LoadFigures:
    """Have `secretaries` report at once; check each report is saved once; the figures."""
    bot.import_org(org_csv(secretaries))
    asyncio.run(register(bot, secretaries))
    api.limit_rate(TELEGRAM_RATE)
    bot.start()
    chats = [FIRST_CHAT + n for n in range(secretaries)]
    step = dict.fromkeys(chats, 0)  # the answer each secretary gives next
    asked_at: dict[int, float] = {}
    latencies: list[float] = []
    cursor = api.mark()
    started = time.monotonic()
    for chat in chats:
        asked_at[chat] = time.monotonic()
        api.send_text(chat, ANSWERS[0])
    waiting, last_answer = set(chats), started
    while waiting:
        calls = api.next_calls(cursor, timeout=1.0)
        cursor += len(calls)
        for call in calls:
            chat = call.chat_id or 0
            if call.method != "sendMessage" or call.status != 200 or chat not in waiting:
                continue
            latencies.append(call.at - asked_at[chat])
            last_answer = call.at
            step[chat] += 1
            if step[chat] == len(ANSWERS):
                waiting.discard(chat)
                continue
            asked_at[chat] = time.monotonic()
            api.send_text(chat, ANSWERS[step[chat]])
        assert time.monotonic() - last_answer < STALL, f"{len(waiting)} secretaries unanswered"
    messages = sum(1 for c in api.calls if c.method in MESSAGE_METHODS and c.status == 200
                   and c.chat_id in step)  # what Telegram's limit counts: edits too
    figures = LoadFigures(secretaries, latencies, messages, last_answer - started, api.too_many)
    bot.stop()
    with sqlite3.connect(bot.database) as db:
        per_cell = db.execute("SELECT COUNT(*) FROM meeting_reports GROUP BY cell_id").fetchall()
        replaced = db.execute("SELECT COUNT(*) FROM meeting_report_history").fetchone()[0]
    assert sorted(n for (n,) in per_cell) == [1] * secretaries, "not one report per cell"
    assert replaced == 0
    return figures
