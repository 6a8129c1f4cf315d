"""The webhook's health check: 200 while the database answers, 503 once it does not."""

from __future__ import annotations

from pathlib import Path

import httpx
import tornado.httpserver
import tornado.netutil
import tornado.web

from bot.channels.webhook import HEALTH_PATH, HealthHandler
from bot.storage.database import Database
from tests.support import Clock, make_dispatcher


async def test_the_health_check_answers_503_once_the_database_does_not(
    tmp_path: Path, clock: Clock
) -> None:
    db = await Database.open(tmp_path / "health.sqlite3")
    dispatcher = make_dispatcher(db, clock)
    app = tornado.web.Application([(HEALTH_PATH, HealthHandler,
                                    {"healthy": dispatcher.healthy})])
    server = tornado.httpserver.HTTPServer(app)
    [socket] = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server.add_sockets([socket])
    url = f"http://127.0.0.1:{socket.getsockname()[1]}{HEALTH_PATH}"
    try:
        async with httpx.AsyncClient() as client:
            assert (await client.get(url)).status_code == 200
            await db.close()  # the database is gone (a full disk, a lost volume)
            assert (await client.get(url)).status_code == 503
    finally:
        server.stop()
