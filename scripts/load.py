"""Secretaries reporting at once through the real bot, its rate limiter and Telegram's limit.

    python scripts/load.py [--secretaries 300]

`python -m bot run` against the Bot API stand-in with Telegram's flood limit switched on;
every secretary starts /baocao at the same moment and answers each question as soon as it
comes, up to the Save (the scenario: tests/e2e/load.py). Exit 1 when a report is missing or
saved twice; otherwise print the reply latency and the messages per second.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import TOKEN, BotProcess  # noqa: E402
from tests.e2e.load import TELEGRAM_RATE, run  # noqa: E402
from tests.e2e.standin import BotApiStandIn  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secretaries", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, BotApiStandIn(TOKEN) as api:
        bot = BotProcess(Path(folder), api)
        try:
            figures = run(bot, api, args.secretaries)
        except AssertionError as failure:
            print(f"FAILED: {failure}", file=sys.stderr)
            return 1
        finally:
            bot.kill()
    print(figures.summary())
    print(f"reports: {figures.secretaries}, each saved once; reply latency p50 / p90 / p99: "
          f"{statistics.median(figures.latencies):.1f} / {figures.percentile(0.9):.1f} / "
          f"{figures.percentile(0.99):.1f} s; the bot's messages and edits: "
          f"{figures.messages:,} at "
          f"{figures.per_second:.1f}/s, {figures.per_second / TELEGRAM_RATE:.0%} of Telegram's "
          f"{TELEGRAM_RATE:.0f}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
