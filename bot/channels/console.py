"""The terminal channel: chat with the same handlers and database, as a demo user."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TextIO

from bot.channels.text import render_plain
from bot.core.messages import Inbound, Reply
from bot.core.outbound import Undeliverable
from bot.core.port import Port
from bot.domain.org import Role
from bot.i18n import Translator, translator
from bot.shell import ShellUser

EXPORT_DIR = Path("exports")


def read_lines_in_background(stream: TextIO) -> asyncio.Queue[str]:
    """Read `stream` in a daemon thread; "" marks its end.

    A daemon thread, unlike the default executor, does not keep the process alive after
    Ctrl-C while it waits for a line that will never come.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def post(line: str) -> bool:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        except RuntimeError:  # the loop has closed: nobody is listening any more
            return False
        return True

    def pump() -> None:
        # Hand over each line as soon as it is typed: a terminal user waits for the answer.
        for line in iter(stream.readline, ""):
            if not post(line):
                return
        post("")

    threading.Thread(target=pump, name="console-input", daemon=True).start()
    return queue


def describe(t: Translator, user: ShellUser) -> str:
    """Name the role and its units, as the banner and a switch say who the shell acts as."""
    units = ", ".join(user.units)
    if user.role is Role.SECRETARY:
        return t("the secretary of {cell}", cell=units)
    if user.role is Role.STAFF:
        return t("an organiser of {units}", units=units)
    return t("an administrator of {units}", units=units)


class ConsoleChannel:
    """Read lines from a stream, dispatch them as the shell user, print the replies."""

    def __init__(
        self,
        dispatcher: Port,
        user: ShellUser,
        locale: str | None,
        switch: Callable[[str], Awaitable[ShellUser | None]],
        out: TextIO = sys.stdout,
    ):
        self.dispatcher = dispatcher
        self.user = user
        self.locale = locale
        self._switch = switch
        self._out = out
        self.t = translator(locale or "vi")  # the operator's language, from CHIBO_LOCALE

    def show(self, replies: list[Reply]) -> None:
        for reply in replies:
            text = render_plain(reply)
            if reply.attachment is not None:  # a file goes to exports/, and its path is shown
                EXPORT_DIR.mkdir(exist_ok=True)
                path = EXPORT_DIR / reply.attachment.filename
                path.write_bytes(reply.attachment.data)
                text += "\n" + self.t("Saved to {path}", path=path.resolve())
            print(text + "\n", file=self._out, flush=True)

    async def send_line(self, line: str) -> bool:
        """Handle one typed line; return False when the user quits."""
        line = line.strip()
        if line in {":q", ":quit", ":exit"}:
            return False
        if line.startswith(":as"):
            user = await self._switch(line[3:].strip())
            if user is None:
                print(self.t("Usage: :as secretary [CELL] | :as staff | :as admin "
                             "(CELL: the code of a cell that exists)") + "\n", file=self._out)
            else:
                self.user = user
                print(self.t("Now chatting as {who}.", who=describe(self.t, user)) + "\n",
                      file=self._out)
            return True
        if not line:
            return True
        inbound = Inbound("console", self.user.key, text=line, language_code=self.locale)
        self.show(await self.dispatcher.handle(inbound))
        return True

    async def run(self, stream: TextIO = sys.stdin) -> None:
        banner = self.t(
            "Sổ Chi Bộ shell. You are {who}. Type answers or /commands (/help lists them).\n"
            "Switch user: ':as secretary [CELL]', ':as staff', ':as admin'. "
            "Quit: ':q' or Ctrl-D.",
            who=describe(self.t, self.user),
        )
        print(banner + "\n", file=self._out, flush=True)
        lines = read_lines_in_background(stream)
        while True:
            print("> ", end="", file=self._out, flush=True)
            line = await lines.get()
            if not line:  # Ctrl-D or end of piped input
                print(file=self._out)
                return
            if not await self.send_line(line):
                return


class ShellChannel:
    """The terminal as one of the app's channels: it runs until its user quits or a stop."""

    name = "console"

    def __init__(self, console: ConsoleChannel, stream: TextIO = sys.stdin):
        self.console = console
        self.stream = stream

    async def run(self, stop: asyncio.Event) -> None:
        chatting = asyncio.create_task(self.console.run(self.stream))
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({chatting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (chatting, stopping):
                task.cancel()
            await asyncio.gather(chatting, stopping, return_exceptions=True)
        failure = None if chatting.cancelled() else chatting.exception()
        if failure is not None:
            raise failure

    async def send(self, user_key: str, replies: Sequence[Reply]) -> None:
        """Show a message the bot starts, if it is for whoever is at the terminal."""
        if user_key != self.console.user.key:
            raise Undeliverable("not the user at the terminal")
        self.console.show(list(replies))
