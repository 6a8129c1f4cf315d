"""Secretaries reporting at once through the real bot, the rate limiter and Telegram's limit.

The scenario is tests/e2e/load.py; `python scripts/load.py --secretaries 300` runs it full size.
"""

from __future__ import annotations

import os

from tests.e2e.harness import BotProcess
from tests.e2e.load import TELEGRAM_RATE, run
from tests.e2e.standin import BotApiStandIn
from tests.proofs import note

SECRETARIES = int(os.environ.get("CHIBO_LOAD_SECRETARIES", "20"))


def test_secretaries_reporting_at_once_are_all_saved_once_within_telegrams_rate(
    bot: BotProcess, api: BotApiStandIn
) -> None:
    figures = run(bot, api, SECRETARIES)
    note("load", figures.summary() + f" (CHIBO_LOAD_SECRETARIES={SECRETARIES})")
    assert figures.too_many == 0  # the limiter keeps under Telegram's flood limit
    assert figures.per_second <= TELEGRAM_RATE
