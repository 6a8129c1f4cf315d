"""Benchmark: the whole demo district reporting through the dispatcher on a file database.

    python scripts/benchmark.py            # prints a table; exit 1 when a target is missed

Every secretary of the demo district (102 cells) reports a meeting and reads the standing,
first on a database holding only this year, then again after ten years of history (12,240
more reports) are loaded. Machines here are shared and noisy, so the targets compare the two
rounds of one run (a ratio) besides absolute budgets with a wide margin.

Targets: p95 of one message ≤ 50 ms; p95 of one standing ≤ 100 ms; ten years of history slow
a message down by at most 2×; peak memory (RSS) ≤ 200 MB.
"""

from __future__ import annotations

import asyncio
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.dispatcher import Dispatcher  # noqa: E402
from bot.core.messages import Inbound  # noqa: E402
from bot.demo import CONSOLE, demo_cells, secretary_key, seed_demo  # noqa: E402
from bot.domain.meetings import ALL_TARGETS, MeetingKind, MeetingReport  # noqa: E402
from bot.domain.rulebook import Rulebook  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.meetings import MeetingRepository  # noqa: E402
from bot.storage.org import OrgRepository  # noqa: E402
from handlers import registry  # noqa: E402

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 27, 20, 0, tzinfo=VN)
TARGET_MESSAGE_P95_MS = 50.0
TARGET_STANDING_P95_MS = 100.0
TARGET_HISTORY_RATIO = 2.0
TARGET_RSS_MB = 200.0


def report_answers(day: str, present: int) -> list[str]:
    """Typed answers to /baocao for a regular meeting, ending with "1" (save) on the review."""
    return [day, "1", "95", str(present), "0", "1", "2", "all", "skip", "1"]


async def one_round(dispatcher: Dispatcher, day: str) -> tuple[list[float], list[float]]:
    """Every secretary reports a meeting held on `day`; return per-message and standing ms."""
    message_ms: list[float] = []
    standing_ms: list[float] = []
    org = OrgRepository(dispatcher.db)
    for cell in demo_cells():
        unit = await org.by_code(cell.code)
        assert unit is not None
        key = secretary_key(cell.code)
        for text in ["/baocao", *report_answers(day, unit.expected_members)]:
            started = time.perf_counter()
            replies = await dispatcher.handle(Inbound(CONSOLE, key, text=text))
            message_ms.append((time.perf_counter() - started) * 1000)
            assert replies, text
        started = time.perf_counter()
        await dispatcher.handle(Inbound(CONSOLE, key, text="/tinhhinh"))
        standing_ms.append((time.perf_counter() - started) * 1000)
    return message_ms, standing_ms


async def load_history(db: Database, years: range) -> int:
    """Insert a regular meeting per cell and month for `years`, as secretaries would have."""
    rng = random.Random(7)
    meetings = MeetingRepository(db)
    org = OrgRepository(db)
    count = 0
    for cell in demo_cells():
        unit = await org.by_code(cell.code)
        assert unit is not None
        for year in years:
            for month in range(1, 13):
                expected = unit.expected_members
                present = rng.randint(expected * 3 // 4, expected)
                report = MeetingReport(
                    cell_id=unit.id, held_on=date(year, month, rng.randint(1, 28)),
                    kind=MeetingKind.REGULAR, topic=None, minutes=rng.choice([90, 95, 120]),
                    expected=expected, present=present, excused=expected - present,
                    resolution_adopted=True, tasks=rng.randint(0, 4),
                    disseminated_to=ALL_TARGETS, note=None,
                )
                await meetings.save(report, regular=True, by_user=None, at=NOW)
                count += 1
    return count


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.sqlite3")
        started = time.perf_counter()
        await seed_demo(db, NOW, reports=False)  # its own history is loaded below
        seed_s = time.perf_counter() - started
        dispatcher = Dispatcher(db, Rulebook.default(), registry(), VN, "vi", lambda: NOW)
        fresh_msg, fresh_standing = await one_round(dispatcher, "20/11/2026")
        started = time.perf_counter()
        loaded = await load_history(db, range(2016, 2026))
        load_s = time.perf_counter() - started
        old_msg, old_standing = await one_round(dispatcher, "20/10/2026")
        size_mb = (Path(folder) / "bench.sqlite3").stat().st_size / 1e6
        await db.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ratio = statistics.median(old_msg) / statistics.median(fresh_msg)
    rows = [
        ("seed demo district (102 cells, 104 users)", f"{seed_s:.2f} s", ""),
        ("messages per round", f"{len(fresh_msg)}", ""),
        ("message p50 / p95, this year only",
         f"{statistics.median(fresh_msg):.1f} / {p95(fresh_msg):.1f} ms",
         f"p95 ≤ {TARGET_MESSAGE_P95_MS:.0f} ms"),
        ("standing p50 / p95, this year only",
         f"{statistics.median(fresh_standing):.1f} / {p95(fresh_standing):.1f} ms",
         f"p95 ≤ {TARGET_STANDING_P95_MS:.0f} ms"),
        (f"load ten years of history ({loaded} reports)", f"{load_s:.1f} s", ""),
        ("message p50 / p95, with history",
         f"{statistics.median(old_msg):.1f} / {p95(old_msg):.1f} ms",
         f"p95 ≤ {TARGET_MESSAGE_P95_MS:.0f} ms"),
        ("standing p50 / p95, with history",
         f"{statistics.median(old_standing):.1f} / {p95(old_standing):.1f} ms",
         f"p95 ≤ {TARGET_STANDING_P95_MS:.0f} ms"),
        ("median message, history ÷ this year", f"{ratio:.2f}×",
         f"≤ {TARGET_HISTORY_RATIO:.0f}×"),
        ("database file", f"{size_mb:.1f} MB", ""),
        ("peak memory (RSS)", f"{rss_mb:.0f} MB", f"≤ {TARGET_RSS_MB:.0f} MB"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>18}  {target}")
    missed = [
        p95(fresh_msg) > TARGET_MESSAGE_P95_MS,
        p95(old_msg) > TARGET_MESSAGE_P95_MS,
        p95(fresh_standing) > TARGET_STANDING_P95_MS,
        p95(old_standing) > TARGET_STANDING_P95_MS,
        ratio > TARGET_HISTORY_RATIO,
        rss_mb > TARGET_RSS_MB,
    ]
    if any(missed):
        print("A target was missed.")
        return 1
    print("All targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
