"""Kill the real bot with SIGKILL at random points of a conversation and of its save.

    python scripts/crash.py [--kills 100] [--seed 16]

A secretary reports one thematic meeting after another through `python -m bot run` against
the Bot API stand-in; the process is killed once a report, after a random answer (the Save
half the time) and a random few milliseconds, then started again (the scenario:
tests/e2e/crashes.py). Exit 1 when an acknowledged answer is lost, a report is saved twice or
the database is not whole; otherwise print where the kills landed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.crashes import run  # noqa: E402
from tests.e2e.harness import TOKEN, BotProcess  # noqa: E402
from tests.e2e.standin import BotApiStandIn  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder, BotApiStandIn(TOKEN) as api:
        bot = BotProcess(Path(folder), api)
        try:
            figures = run(bot, api, args.kills, args.seed)
        except AssertionError as failure:
            print(f"FAILED: {failure}", file=sys.stderr)
            return 1
        finally:
            bot.kill()
    print(f"{figures.kills} SIGKILLs over {figures.answers} answers and {figures.reports} "
          f"reports in {time.monotonic() - started:.0f} s; the kill landed:")
    for place, count in figures.where.most_common():
        print(f"  {place}: {count}")
    print("no report saved twice, none acknowledged and lost, PRAGMA integrity_check ok "
          "after every kill")
    print(f"restart until the bot polls again: median "
          f"{statistics.median(figures.restart_seconds):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
