from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.dispatcher import Dispatcher
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
