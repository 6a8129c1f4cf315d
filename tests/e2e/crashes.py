"""SIGKILL the real bot at random points of a conversation and of its save (issue 16's proof).

A secretary reports one thematic meeting after another (each with a topic of its own, so a
report can be told from the others) through `python -m bot run` against the Bot API
stand-in. After a random answer, a few milliseconds later, the process is killed with
SIGKILL: before it took the update, while it handled it, after the commit but before the
reply, or after the reply. Then the database is checked (`PRAGMA integrity_check`), the bot is
started again, and the secretary goes on as a careful person would: from the question the bot
shows (asking with /baocao when it shows none), and after a Save without an answer, by
sending the Save again.

What must hold: every answer the bot acknowledged (it replied) is kept; every report is
saved once, and every report the bot said it saved is there.

    python scripts/crash.py --kills 100     # the figure in the README
    tests/e2e/test_crash_e2e.py             # a few kills, in the suite
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.harness import BotProcess
from tests.e2e.standin import BotApiStandIn

SECRETARY = 2601
CELL = "TA-01"  # 15 full and 2 probationary members: 17 expected
SETTLE = 0.4  # seconds without a message: the bot has answered what it had

def confirms_save(text: str) -> bool:
    """Tell whether the bot says the report is saved: just now, or already."""
    return text.startswith("Đã lưu") or "đã được lưu" in text


def answers(topic: str) -> dict[str, str]:
    """The secretary's answer at each question of a thematic meeting, all typed."""
    return {"date": "1", "kind": "2", "topic": topic, "minutes": "95", "present": "17",
            "guest": "2", "resolution": "2", "note": "Bỏ qua", "review": "1"}


@dataclass
class Figures:
    kills: int = 0
    reports: int = 0
    answers: int = 0
    where: Counter[str] = field(default_factory=Counter)  # where the kills landed
    restart_seconds: list[float] = field(default_factory=list)


class Secretary:
    """The careful secretary, and what they saw."""

    def __init__(self, bot: BotProcess, api: BotApiStandIn):
        self.bot, self.api = bot, api

    def state(self) -> tuple[str | None, set[str]]:
        """Return the question the bot keeps them at (None: none) and the topics saved."""
        with sqlite3.connect(self.bot.database) as db:
            row = db.execute(
                "SELECT c.step FROM conversations c JOIN users u ON u.id = c.user_id"
                " WHERE u.user_key = ? AND c.ended IS NULL", (str(SECRETARY),)).fetchone()
            topics = {t for (t,) in db.execute(
                "SELECT topic FROM meeting_reports WHERE topic IS NOT NULL")}
        return (row[0] if row else None), topics

    def settle(self, timeout: float = 15.0) -> None:
        """Wait until the bot took every update and sent nothing for a moment."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            quiet_since = self.api.mark()
            time.sleep(SETTLE)
            if not self.api.pending_updates() and self.api.mark() == quiet_since:
                return
        raise AssertionError(f"the bot did not settle:\n{self.api.transcript()}")

    def replied_since(self, mark: int) -> bool:
        return any(c.chat_id == SECRETARY for c in self.api.calls_of("sendMessage", mark))


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def run(bot: BotProcess, api: BotApiStandIn, kills: int, seed: int = 0) -> Figures:
    """Kill the bot `kills` times while the secretary reports; return the figures."""
    rng = random.Random(seed)
    figures = Figures()
    bot.import_org()
    code = bot.invite(CELL)
    bot.start()
    bot.ask(SECRETARY, f"/start {code}", "Chi bộ ấp Một")
    secretary = Secretary(bot, api)
    acknowledged: set[str] = set()  # topics whose save the bot confirmed
    round_number = 0
    while figures.kills < kills:
        round_number += 1
        topic = f"Chuyên đề {round_number:03d} về chuyển đổi số ở ấp"
        figures.kills += report_with_a_kill(secretary, figures, topic, acknowledged, rng)
        figures.reports += 1
        _, topics = secretary.state()
        assert topic in topics, f"the report of round {round_number} is missing"
    bot.stop()
    with sqlite3.connect(bot.database) as db:
        saved = [t for (t,) in db.execute("SELECT topic FROM meeting_reports")]
    duplicates = [t for t, n in Counter(saved).items() if n > 1]
    assert not duplicates, f"saved twice: {duplicates}"
    assert acknowledged <= set(saved), "a report the bot confirmed is missing"
    assert len(saved) == figures.reports
    assert integrity(bot.database) == "ok"
    return figures


def report_with_a_kill(secretary: Secretary, figures: Figures, topic: str,
                       acknowledged: set[str], rng: random.Random) -> int:
    """Report one meeting, killing the bot once on the way (at the Save half the time)."""
    bot, api = secretary.bot, secretary.api
    plan = answers(topic)
    kill_at = "review" if rng.random() < 0.5 else rng.choice(["start", *list(plan)[:-1]])
    killed = resend_save = False
    while True:
        step, topics = secretary.state()
        if topic in topics and not resend_save:
            return int(killed)
        where = "start" if step is None else step
        assert step is None or step in plan, f"at {step}:\n{api.transcript()}"
        text = "1" if resend_save else "/baocao" if step is None else plan[step]
        mark = api.mark()
        bot.send_text(SECRETARY, text)
        figures.answers += 1
        if where != kill_at or killed:
            reply = bot.wait_for_message(user_id=SECRETARY)
            if where == "review" and confirms_save(reply.text):
                acknowledged.add(topic)
            resend_save = False
            continue
        time.sleep(rng.uniform(0, 0.03))  # somewhere in the update's way through the bot
        pending = bool(api.pending_updates())
        bot.kill()
        killed = True
        assert integrity(bot.database) == "ok"
        replied = secretary.replied_since(mark)
        step_after, topics_after = secretary.state()
        applied = step_after != step or topic in topics_after
        if replied:
            assert applied, f"an answer the bot acknowledged ({where}) was lost"
            acknowledged.update({topic} if where == "review" else set())
        figures.where[
            "after the reply" if replied
            else "before the bot took the update" if pending
            else "after the commit, before the reply" if applied
            else "while handling it, before the commit"] += 1
        started = time.monotonic()
        bot.start()
        figures.restart_seconds.append(time.monotonic() - started)
        secretary.settle()  # an update it had not taken comes again, and is answered
        # No answer seen: a Save is sent again; elsewhere /baocao shows where things stand.
        resend_save = where == "review" and not replied
        if not replied and where != "review" and step_after is not None:
            bot.ask(SECRETARY, "/baocao", "trả lời dở")
            secretary.settle()  # the question follows that note: read it before answering
