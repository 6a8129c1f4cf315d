"""The App runs every channel and the scheduler side by side, and stops them together."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot import i18n
from bot.app import App, configured_channels, open_app
from bot.config import SUPPORTED_LOCALES, Settings
from bot.core.messages import Inbound, Reply
from bot.core.outbound import Undeliverable
from bot.core.port import ChannelFailed
from bot.domain.org import User
from bot.storage.users import UserRepository
from tests.channels.recording import TOKEN
from tests.support import VN


class FakeChannel:
    """A channel that serves until stopped, or fails at start; it records how it ended."""

    def __init__(self, name: str, fail: BaseException | None = None):
        self.name = name
        self.fail = fail
        self.events: list[str] = []
        self.sent: list[tuple[str, list[str]]] = []

    async def run(self, stop: asyncio.Event) -> None:
        self.events.append("started")
        if self.fail is not None:
            raise self.fail
        try:
            await stop.wait()
            self.events.append("stopped")
        finally:
            self.events.append("cleaned up")

    async def send(self, user_key: str, replies: Sequence[Reply]) -> None:
        self.sent.append((user_key, [r.text for r in replies]))


class QuittingShell(FakeChannel):
    async def run(self, stop: asyncio.Event) -> None:
        self.events.append("quit by its user")


def settings(tmp_path: Path, token: str | None = None) -> Settings:
    return Settings(token, "http://127.0.0.1:9", tmp_path / "chibo.sqlite3", VN, "vi", None)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    opened = await open_app(settings(tmp_path))
    yield opened
    await opened.close()


async def test_channels_and_the_scheduler_run_side_by_side_until_stopped(app: App) -> None:
    first, second, scheduler = FakeChannel("first"), FakeChannel("second"), FakeChannel("rounds")
    app.add_channel(first)
    app.add_channel(second)
    app.scheduler = scheduler
    stop = asyncio.Event()
    running = asyncio.create_task(app.run(stop))
    await asyncio.sleep(0.01)
    assert [c.events for c in (first, second, scheduler)] == [["started"]] * 3
    stop.set()
    await asyncio.wait_for(running, 1)
    for service in (first, second, scheduler):
        assert service.events == ["started", "stopped", "cleaned up"]


async def test_start_up_loads_the_catalogs_and_leaves_them_out_of_the_collectors_passes(
    app: App,
) -> None:
    channel = FakeChannel("first")
    app.add_channel(channel)
    gc.unfreeze()
    i18n.translator.cache_clear()
    i18n._catalog.cache_clear()
    stop = asyncio.Event()
    try:
        running = asyncio.create_task(app.run(stop))
        await asyncio.sleep(0.01)
        assert channel.events == ["started"]
        assert i18n._catalog.cache_info().currsize == len(SUPPORTED_LOCALES)  # before anyone
        assert gc.get_freeze_count() > 0  # frozen before serving
        stop.set()
        await asyncio.wait_for(running, 1)
    finally:
        gc.unfreeze()


async def test_a_channel_that_fails_to_start_is_named_and_the_others_stop_cleanly(
    app: App,
) -> None:
    healthy, broken = FakeChannel("healthy"), FakeChannel("zalo", ConnectionError("refused"))
    app.add_channel(healthy)
    app.add_channel(broken)
    with pytest.raises(ChannelFailed) as failure:
        await asyncio.wait_for(app.run(asyncio.Event()), 1)
    assert failure.value.name == "zalo" and isinstance(failure.value.reason, ConnectionError)
    assert "zalo" in str(failure.value)
    assert healthy.events == ["started", "stopped", "cleaned up"]  # by the stop, not a cancel


async def test_a_quit_shell_stops_the_whole_app(app: App) -> None:
    shell, other = QuittingShell("console"), FakeChannel("other")
    app.add_channel(shell)
    app.add_channel(other)
    await asyncio.wait_for(app.run(asyncio.Event()), 1)
    assert other.events == ["started", "stopped", "cleaned up"]


async def test_nothing_configured_is_refused(app: App) -> None:
    with pytest.raises(ValueError, match="no channel"):
        await app.run(asyncio.Event())


async def test_the_outbox_sends_on_the_users_own_channel(app: App) -> None:
    telegram, zalo = FakeChannel("telegram"), FakeChannel("zalo")
    app.add_channel(telegram)
    app.add_channel(zalo)
    user = User(1, "zalo", "z-42", None, ())
    await app.outbox.send(user, [Reply("Nhắc việc")])
    assert zalo.sent == [("z-42", ["Nhắc việc"])] and telegram.sent == []
    with pytest.raises(Undeliverable):
        await app.outbox.send(User(2, "messenger", "m-1", None, ()), [Reply("?")])


async def test_a_channel_is_configured_for_each_token_set(tmp_path: Path) -> None:
    without = await open_app(settings(tmp_path))
    assert configured_channels(without) == []
    await without.close()
    with_token = await open_app(settings(tmp_path, TOKEN))
    assert [c.name for c in configured_channels(with_token)] == ["telegram"]
    await with_token.close()


async def test_a_notice_ahead_of_an_answer_goes_to_the_chat_the_message_came_from(
    app: App,
) -> None:
    telegram = FakeChannel("telegram")
    app.add_channel(telegram)
    users = UserRepository(app.db)
    await users.ensure("telegram", "t-7", app.now())
    await users.ensure("zalo", "z-9", app.now())
    ctx = await app.dispatcher.context_for(Inbound("telegram", "t-7"))
    await ctx.say([Reply("Đang chuẩn bị…")])
    assert telegram.sent == [("t-7", ["Đang chuẩn bị…"])]
    elsewhere = await app.dispatcher.context_for(Inbound("zalo", "z-9"))
    await elsewhere.say([Reply("?")])  # no Zalo channel running: dropped, the answer still comes
    assert telegram.sent == [("t-7", ["Đang chuẩn bị…"])]


async def test_the_start_judges_the_summaries_sums_by_the_bots_rules_and_zone(app: App) -> None:
    from bot.storage.sums import Judging, judged_with

    assert await judged_with(app.db) is None  # a new database: never judged
    app.add_channel(FakeChannel("first"))
    stop = asyncio.Event()
    running = asyncio.create_task(app.run(stop))
    stop.set()
    await asyncio.wait_for(running, 5)
    assert await judged_with(app.db) == Judging.of(
        app.dispatcher.rules, app.settings.timezone).fingerprint
