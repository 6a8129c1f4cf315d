from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.dispatcher import Dispatcher, UserTurn
from bot.core.messages import Inbound
from bot.storage.database import Database
from tests.support import Clock, World, make_dispatcher, seed_world, vn_time


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    # A file, as in production: readers then have connections of their own (WAL).
    database = await Database.open(tmp_path / "chibo.sqlite3")
    yield database
    await database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(vn_time(2026, 11, 27, 20, 30))


@pytest.fixture
async def world(db: Database, clock: Clock) -> World:
    return await seed_world(db, clock())


@pytest.fixture
def dispatcher(db: Database, clock: Clock, world: World) -> Dispatcher:
    return make_dispatcher(db, clock)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures the proofs noted (how many cases the fuzzing ran, and so on)."""
    from tests.proofs import NOTES

    if not NOTES:
        return
    terminalreporter.section("proofs")
    for proof, lines in NOTES.items():
        for line in lines:
            terminalreporter.write_line(f"{proof}: {line}")


LAST = "tests/test_logs.py"  # scans what the whole run logged: it goes after every other test


def pytest_configure(config: pytest.Config) -> None:
    """Watch the whole run's logs at the bot's level, and note what users send."""
    from tests.logwatch import WATCH

    root = logging.getLogger()
    root.addHandler(WATCH.handler)
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)  # as bot.app.configure_logging does for the bot
    for name in ("httpx", "httpcore"):  # raised by the bot as well (their URLs hold tokens)
        logging.getLogger(name).setLevel(logging.WARNING)
    begin = Dispatcher.begin

    async def noting(self: Dispatcher, inbound: Inbound) -> UserTurn:
        WATCH.sent(inbound.text, inbound.display_name)
        return await begin(self, inbound)

    Dispatcher.begin = noting  # type: ignore[method-assign]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.nodeid.startswith(LAST))  # stable: the rest keep order
