"""Messages the bot starts (reminders, digests): a Sender per channel, the Outbox picks one.

    scheduler ─► ctx = dispatcher.context_of(user) ─► replies written with ctx.t
              ─► outbox.send(user, replies) ─► the Sender of the chat the user wrote from last

A linked person (one account on Telegram and Zalo) is reached where they write, looked up at
each send (`reach`). A Sender raises Unreachable when the platform refuses that chat (they
blocked the bot, the chat is gone), Undeliverable when it cannot send now (its channel is not
running); anything else is a failure too. Only Unreachable says something about the user.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable

from bot.core.messages import Reply
from bot.domain.org import User


class Undeliverable(Exception):
    """The message cannot reach this user on their channel (now, or ever)."""


class Unreachable(Undeliverable):
    """The platform refuses this user's chat (they blocked the bot, or the chat is gone)."""


# The chat to write to for a user id: (channel, user_key), None for an unknown user.
Reach = Callable[[int], Awaitable[tuple[str, str] | None]]


@runtime_checkable
class Sender(Protocol):
    name: str  # the channel it sends on, as in User.channel

    async def send(self, user_key: str, replies: Sequence[Reply]) -> None:
        """Send `replies` to the user `user_key` of this channel, in order."""


@runtime_checkable
class StandaloneSender(Sender, Protocol):
    def sending(self) -> AbstractAsyncContextManager[None]:
        """Be ready to send without taking updates (`python -m bot remind`, beside `run`)."""


class Outbox:
    """The senders of the running channels, by channel name."""

    def __init__(self, senders: Sequence[Sender] = (), reach: Reach | None = None):
        self._senders = {sender.name: sender for sender in senders}
        self._reach = reach

    def add(self, sender: Sender) -> None:
        self._senders[sender.name] = sender

    async def send(self, user: User, replies: Sequence[Reply]) -> None:
        """Send `replies` to a registered user, in the chat they wrote from last."""
        channel, user_key = user.channel, user.user_key
        if self._reach is not None:
            channel, user_key = await self._reach(user.id) or (channel, user_key)
        await self.send_to(channel, user_key, replies)

    async def send_to(self, channel: str, user_key: str, replies: Sequence[Reply]) -> None:
        """Send `replies` to the user `user_key` of `channel` (the chat a message came from)."""
        sender = self._senders.get(channel)
        if sender is None:
            raise Undeliverable(f"no {channel} channel is running")
        await sender.send(user_key, replies)
