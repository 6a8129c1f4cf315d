"""Telegram's flood limit, with the users' answers first: the bot's own messages wait.

    answers to users ──┐                                   ┌─► the Bot API
                       ├─► a pace: one message every ──────┤   a 429: every message waits its
    reminders ─────────┘   1.02 s / 30, answers granted    └─  retry_after, then it is tried
      (in_background())    before reminders                    again (up to max_retries)

Telegram allows a bot about 30 messages a second; a round of reminders to 3 000 secretaries
therefore takes about 100 s, and a secretary answering meanwhile must not wait behind it.
python-telegram-bot's own AIORateLimiter serves everyone in turn, so this one keeps two queues.
The pace is 2 % slower than 30 a second and even, so messages bunched on their way (a busy
machine, the network) still arrive within Telegram's limit. Calls without a chat (getUpdates,
answering a tap) are not counted, as with AIORateLimiter.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

MESSAGES_PER_WINDOW = 30
WINDOW_SECONDS = 1.02  # 30 messages in this long: 29.4 a second
RETRY_MARGIN_SECONDS = 0.1  # after a retry_after, as AIORateLimiter waits
EARLY_SECONDS = 1e-6  # a timer may fire a hair early: that is on time

_BACKGROUND: ContextVar[bool] = ContextVar("telegram_background", default=False)
JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


@contextmanager
def in_background() -> Iterator[None]:
    """Mark the Bot API calls made inside as the bot's own messages: answers go first."""
    token = _BACKGROUND.set(True)
    try:
        yield
    finally:
        _BACKGROUND.reset(token)


class Pace:
    """One grant every `period / rate` seconds (30 in 1.02 s); waiting answers go first.

    Evenly spaced rather than in bursts: messages bunched on the way (a busy machine, the
    network) then still fit Telegram's allowance, which tolerates a burst but not a rate.
    """

    def __init__(self, rate: int = MESSAGES_PER_WINDOW, period: float = WINDOW_SECONDS):
        self.interval = period / rate
        self._last = float("-inf")  # when the latest grant was made
        self._waiting: tuple[deque[asyncio.Future[None]], ...] = (deque(), deque())
        self._timer: asyncio.TimerHandle | None = None
        self._paused_until = 0.0

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _next_free(self) -> float:
        """Return when the next grant may be made."""
        return max(self._paused_until, self._last + self.interval)

    async def acquire(self, background: bool = False) -> None:
        """Wait for the next place; answers (not background) are served first."""
        now = self._now()
        if not any(self._waiting) and self._next_free() <= now:
            self._last = now
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting[int(background)].append(waiter)
        self._schedule()
        await waiter  # a waiter cancelled here is skipped when its turn comes

    def pause(self, seconds: float) -> None:
        """Stop every grant for `seconds` (Telegram answered 429 with a retry_after)."""
        self._paused_until = max(self._paused_until, self._now() + seconds)
        self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_at(self._next_free(), self._release)

    def _release(self) -> None:
        self._timer = None
        now = self._now()
        slot = self._next_free()
        if slot <= now + EARLY_SECONDS:
            waiter = self._next_waiter()
            if waiter is None:
                return
            waiter.set_result(None)
            # Keep the cadence (a timer fires late, and lateness would add up), but never
            # save up more than one slot: a stalled loop does not make a burst afterwards.
            self._last = max(slot, now - self.interval)
        if any(self._waiting):
            self._schedule()

    def _next_waiter(self) -> asyncio.Future[None] | None:
        for queue in self._waiting:  # answers first
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    return waiter
        return None


class PriorityRateLimiter(BaseRateLimiter[int]):
    """The Application's rate limiter: the pace, and 429s waited out and retried.

    `rate_limit_args`, as for AIORateLimiter, is the number of retries after a 429.
    """

    def __init__(self, max_retries: int = 0, pace: Pace | None = None):
        self.max_retries = max_retries
        self.pace = pace or Pace()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        counted = data.get("chat_id") is not None
        for attempt in range(retries + 1):
            if counted:
                await self.pace.acquire(_BACKGROUND.get())
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == retries:
                    raise
                seconds = error._retry_after.total_seconds() + RETRY_MARGIN_SECONDS
                log.warning("telegram: flood limit reached; every message waits %.1f s",
                            seconds)
                self.pace.pause(seconds)
                if not counted:
                    await asyncio.sleep(seconds)
        raise AssertionError("unreachable: the last attempt returns or raises")
