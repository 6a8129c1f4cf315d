"""Fixtures for end-to-end scenarios: a Bot API stand-in and the real bot process on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import TOKEN, BotProcess
from tests.e2e.standin import BotApiStandIn


@pytest.fixture
def api() -> Iterator[BotApiStandIn]:
    with BotApiStandIn(TOKEN) as standin:
        yield standin


@pytest.fixture
def bot(tmp_path: Path, api: BotApiStandIn) -> Iterator[BotProcess]:
    process = BotProcess(tmp_path, api)
    try:
        yield process
    finally:
        process.kill()  # a test that failed midway leaves nothing running
