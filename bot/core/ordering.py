"""Each user's updates in the order they came, different users' side by side."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class Lanes:
    """Give each user a lane of their own; let a bounded number of lanes move at once.

    A slow reply to one secretary (a weak network, a large file) then holds up nobody else,
    while one user's answers still reach their conversation one after the other. The user's
    turn is awaited before a working slot: the other way round, one user's burst of queued
    updates would hold every slot while waiting, and everybody would wait behind them.
    """

    def __init__(self, slots: int):
        self._slots = asyncio.Semaphore(slots)
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._queued: Counter[Hashable] = Counter()

    @asynccontextmanager
    async def of(self, user: Hashable | None) -> AsyncIterator[None]:
        """Wait for `user`'s earlier updates (None: an update of nobody), then for a slot."""
        if user is None:
            async with self._slots:
                yield
            return
        self._queued[user] += 1
        try:
            async with self._locks.setdefault(user, asyncio.Lock()), self._slots:
                yield
        finally:
            self._queued[user] -= 1
            if not self._queued[user]:  # nobody waits: forget the lock
                del self._queued[user], self._locks[user]
