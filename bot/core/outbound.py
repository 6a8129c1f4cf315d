"""Messages the bot starts (reminders, digests): a Sender per channel, the Outbox picks one.

    scheduler ─► ctx = dispatcher.context_of(user) ─► replies written with ctx.t
              ─► outbox.send(user, replies) ─► the Sender of user.channel

A Sender raises Undeliverable when the platform will not take the message for that user
(they blocked the bot, the chat is gone) or its channel is not running; anything else is a
failure to retry later.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from bot.core.messages import Reply
from bot.domain.org import User


class Undeliverable(Exception):
    """The message cannot reach this user on their channel (now, or ever)."""


@runtime_checkable
class Sender(Protocol):
    name: str  # the channel it sends on, as in User.channel

    async def send(self, user_key: str, replies: Sequence[Reply]) -> None:
        """Send `replies` to the user `user_key` of this channel, in order."""


class Outbox:
    """The senders of the running channels, by channel name."""

    def __init__(self, senders: Sequence[Sender] = ()):
        self._senders = {sender.name: sender for sender in senders}

    def add(self, sender: Sender) -> None:
        self._senders[sender.name] = sender

    async def send(self, user: User, replies: Sequence[Reply]) -> None:
        """Send `replies` to a registered user on their own channel."""
        await self.send_to(user.channel, user.user_key, replies)

    async def send_to(self, channel: str, user_key: str, replies: Sequence[Reply]) -> None:
        """Send `replies` to the user `user_key` of `channel` (the chat a message came from)."""
        sender = self._senders.get(channel)
        if sender is None:
            raise Undeliverable(f"no {channel} channel is running")
        await sender.send(user_key, replies)
