"""Chat commands: Vietnamese names without diacritics first, English aliases after."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.core.flow import Ctx, Flow
from bot.core.messages import Reply
from bot.domain.org import Role, User

Action = Callable[[Ctx, str], Awaitable[Sequence[Reply]]]


@dataclass(frozen=True)
class Command:
    names: tuple[str, ...]  # ("baocao", "report"): the first is shown to Vietnamese users
    description: str  # an N_-marked msgid, shown in /help and the command menu
    roles: frozenset[Role] = frozenset(Role)  # who may use it
    action: Action | None = None  # a one-shot command
    flow: Flow | None = None  # or a conversation
    menu: bool = True  # listed in /help and the Telegram menu

    def allowed(self, user: User) -> bool:
        return any(user.has(role) for role in self.roles)

    def name_for(self, locale: str) -> str:
        return self.names[0] if locale == "vi" or len(self.names) == 1 else self.names[1]


class Registry:
    """The ordered list of commands; the order is the order of /help and the menus."""

    def __init__(self, commands: Iterable[Command], handed_over: Iterable[Flow] = ()):
        """Register the commands, and the flows reached only by a Handover from another."""
        self.commands = tuple(commands)
        self._by_name: dict[str, Command] = {}
        self._flows: dict[str, Flow] = {}
        for command in self.commands:
            for name in command.names:
                if name in self._by_name:
                    raise ValueError(f"command /{name} is registered twice")
                self._by_name[name] = command
        flows = [c.flow for c in self.commands if c.flow is not None]
        for flow in [*flows, *handed_over]:
            if self._flows.setdefault(flow.name, flow) is not flow:
                raise ValueError(f"flow {flow.name} is registered twice")

    def find(self, name: str) -> Command | None:
        return self._by_name.get(name)

    def flow(self, name: str) -> Flow | None:
        return self._flows.get(name)

    def available_to(self, user: User) -> list[Command]:
        return [c for c in self.commands if c.menu and c.allowed(user)]
