"""The real process killed with SIGKILL mid-conversation and mid-save: nothing lost or doubled.

The scenario is tests/e2e/crashes.py; `python scripts/crash.py --kills 100` runs it longer.
"""

from __future__ import annotations

import os

from tests.e2e.crashes import run
from tests.e2e.harness import BotProcess
from tests.e2e.standin import BotApiStandIn
from tests.proofs import note

KILLS = int(os.environ.get("CHIBO_CRASH_KILLS", "5"))


def test_killed_at_random_points_the_bot_loses_no_acknowledged_answer_and_saves_once(
    bot: BotProcess, api: BotApiStandIn
) -> None:
    figures = run(bot, api, KILLS, seed=int(os.environ.get("CHIBO_CRASH_SEED", "16")))
    assert figures.kills == KILLS and figures.reports == KILLS
    where = ", ".join(f"{place} {n}" for place, n in figures.where.most_common())
    note("crash", f"{figures.kills} SIGKILLs over {figures.answers} answers and "
                  f"{figures.reports} reports ({where}): no duplicate, none lost, "
                  f"integrity ok (CHIBO_CRASH_KILLS={KILLS})")
