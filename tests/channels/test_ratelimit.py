"""Telegram's rate limiter: an even pace of 30 messages in 1.02 s, users' answers before
reminders, a 429 waited out; the channel as the reminders' Sender (a blocked user is
Unreachable)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.channels.ratelimit import Pace, PriorityRateLimiter, in_background
from bot.channels.telegram import TelegramChannel
from bot.core.messages import Reply
from bot.core.outbound import Undeliverable, Unreachable
from bot.domain.org import Role
from bot.storage.database import Database
from tests.channels.recording import FakeTelegram, telegram_with
from tests.support import Clock, World

SECRETARY = 1001
OTHERS = range(2001, 2041)


async def test_grants_are_evenly_spaced_so_no_window_holds_more_than_the_rate() -> None:
    pace = Pace(rate=3, period=0.1)  # one every 33 ms
    granted: list[float] = []

    async def one() -> None:
        await pace.acquire(background=True)
        granted.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(10)))
    # Seen when each waiter resumes, a few ms late at times: hence the margins.
    spans = [later - earlier for earlier, later in zip(granted, granted[3:], strict=False)]
    gaps = [later - earlier for earlier, later in itertools.pairwise(granted)]
    assert len(granted) == 10 and min(spans) >= 0.09  # any 4 grants span about a window
    assert min(gaps) >= 0.02  # evenly: no burst of grants at once
    assert 0.29 <= granted[-1] - granted[0] < 0.6  # nine gaps of 33 ms


async def test_an_answer_waiting_goes_before_the_reminders_waiting() -> None:
    pace = Pace(rate=2, period=0.05)
    order: list[str] = []

    async def one(name: str, background: bool) -> None:
        await pace.acquire(background)
        order.append(name)

    reminders = [asyncio.create_task(one(f"r{n}", True)) for n in range(8)]
    await asyncio.sleep(0)  # the reminders queue up first
    answers = [asyncio.create_task(one(f"a{n}", False)) for n in range(2)]
    await asyncio.gather(*reminders, *answers)
    assert order[0] == "r0"  # the first went at once
    assert order[1:3] == ["a0", "a1"]  # then the answers, ahead of seven waiting reminders


@pytest.fixture
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns at every RetryAfter unless told to use timedelta already."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.mark.usefixtures("timedelta_retry_after")
async def test_a_429_stops_every_message_for_its_retry_after_then_tries_again() -> None:
    limiter = PriorityRateLimiter(max_retries=2)
    calls: list[tuple[str, float]] = []
    started = time.monotonic()

    async def call(name: str, fail: bool) -> dict[str, Any]:
        calls.append((name, time.monotonic() - started))
        if fail and len([c for c in calls if c[0] == name]) == 1:
            raise RetryAfter(1)
        return {"ok": name}

    async def send(name: str, fail: bool) -> Any:
        return await limiter.process_request(call, (name, fail), {}, "sendMessage",
                                             {"chat_id": 1}, None)

    first = asyncio.create_task(send("first", True))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(send("second", False))  # comes while the first waits
    assert await first == {"ok": "first"} and await second == {"ok": "second"}
    retried = [t for name, t in calls if name == "first"][1]
    assert retried >= 1.0  # the retry_after, waited
    assert next(t for name, t in calls if name == "second") >= 1.0  # everyone waited


@pytest.mark.usefixtures("timedelta_retry_after")
async def test_a_429_after_the_last_retry_is_raised() -> None:
    limiter = PriorityRateLimiter(max_retries=0)

    async def refused() -> dict[str, Any]:
        raise RetryAfter(1)

    with pytest.raises(RetryAfter):
        await limiter.process_request(refused, (), {}, "sendMessage", {"chat_id": 1}, None)


@pytest.fixture
async def telegram(db: Database, clock: Clock, world: World) -> AsyncIterator[FakeTelegram]:
    cell = world.cell_ids["TL-01"]
    async with telegram_with(db, clock, SECRETARY, Role.SECRETARY, cell) as fake:
        await fake.application.start()
        try:
            yield fake
        finally:
            await fake.application.stop()


def channel_of(telegram: FakeTelegram) -> TelegramChannel:
    channel = telegram.application.bot_data["channel"]
    assert isinstance(channel, TelegramChannel)
    return channel


async def test_a_user_answering_during_a_round_of_reminders_is_answered_first(
    telegram: FakeTelegram,
) -> None:
    limiter = telegram.application.bot.rate_limiter
    assert isinstance(limiter, PriorityRateLimiter)
    limiter.pace = Pace(rate=5, period=0.1)  # 50 a second: a short test
    channel = channel_of(telegram)
    round_of = asyncio.gather(*(channel.send(str(user), [Reply("Nhắc việc")])
                                for user in OTHERS))
    await asyncio.sleep(0.05)  # the round is under way: most reminders are waiting
    await telegram.send(SECRETARY, "/trogiup")
    await round_of
    sent = [c.chat_id for c in telegram.request.calls if c.method == "sendMessage"]
    answer = sent.index(SECRETARY)
    assert answer <= 10  # among the next few messages, not behind the 40 reminders
    assert sorted(c or 0 for c in sent if c != SECRETARY) == list(OTHERS)


async def test_a_user_who_blocked_the_bot_is_unreachable_and_a_stopped_channel_is_not(
    telegram: FakeTelegram,
) -> None:
    channel = channel_of(telegram)
    telegram.request.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(Unreachable):
        await channel.send(str(SECRETARY), [Reply("Nhắc việc")])
    telegram.request.fail_next("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(Unreachable):
        await channel.send("999", [Reply("Nhắc việc")])
    await telegram.application.stop()
    try:
        with pytest.raises(Undeliverable) as stopped:
            await channel.send(str(SECRETARY), [Reply("Nhắc việc")])
        assert not isinstance(stopped.value, Unreachable)  # says nothing about the user
    finally:
        await telegram.application.start()


async def test_in_background_marks_only_what_is_inside() -> None:
    seen: list[bool] = []
    pace = Pace(rate=100, period=1)
    limiter = PriorityRateLimiter(pace=pace)

    async def call() -> bool:
        seen.append(True)
        return True

    original = pace.acquire

    async def spy(background: bool = False) -> None:
        seen.append(background)
        await original(background)

    pace.acquire = spy  # type: ignore[method-assign]
    await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 1}, None)
    with in_background():
        await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 1}, None)
    await limiter.process_request(call, (), {}, "getUpdates", {}, None)  # not counted
    assert seen == [False, True, True, True, True]
