"""What a channel may ask of the core, and what the app asks of a channel.

    channel ──Inbound──► Port.begin ──► Turn (the user and their question, looked up once)
                                          ├─ .token, .t: tell a stale tap, word a notice
                                          └─ .respond(inbound) ──► Response(replies, user)

A channel holds a Port, never the App: it cannot reach the database, the clock or another
channel. The app runs every Service (each channel, the scheduler) until a stop is asked for;
a channel that also implements `bot.core.outbound.Sender` carries the messages the bot starts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from bot.core.commands import Registry
from bot.core.messages import Inbound, Reply
from bot.domain.org import User
from bot.i18n import Translator


@dataclass(frozen=True)
class Response:
    """The replies to one update, and who the user is after it (a menu may depend on it)."""

    replies: list[Reply]
    user: User  # after the update: /start may have registered them (a guest has no grants)
    locale: str  # their language after the update (/ngonngu may have changed it)


class Turn(Protocol):
    """One update of one user, with what it needs looked up once."""

    @property
    def token(self) -> str | None:
        """Name the question the user is at (None outside a conversation)."""

    @property
    def t(self) -> Translator:
        """Translate into the user's language."""

    async def respond(self, inbound: Inbound) -> Response:
        """Answer `inbound` (this user's update); never raise: a failure gets an apology."""


class Port(Protocol):
    """The core as a channel sees it."""

    registry: Registry  # the commands, for menus
    default_locale: str

    async def begin(self, inbound: Inbound) -> Turn:
        """Look up the user behind `inbound`; never raise (a failing database: an apology)."""

    async def respond(self, inbound: Inbound) -> Response:
        """Answer one update in one go: `begin`, then `respond`."""

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Answer one update with just the replies (a channel without menus needs no more)."""

    async def healthy(self) -> bool:
        """Tell whether the core can answer: its database does (for a health check)."""


class Service(Protocol):
    """What the app runs side by side: each channel (Telegram, Zalo, a terminal), a scheduler."""

    name: str

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set (or end by itself, like a shell its user quits).

        Raise when it cannot start; clean up after itself however it ends.
        """


Channel = Service  # a transport is a service that also speaks to users


class ChannelFailed(Exception):
    """A channel (or the scheduler) could not start or stopped on an error; `name` says which."""

    def __init__(self, name: str, reason: BaseException):
        super().__init__(f"{name}: {type(reason).__name__}: {reason}")
        self.name = name
        self.reason = reason
