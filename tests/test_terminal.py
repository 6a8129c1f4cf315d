"""The shell on a real terminal: a pseudo-terminal, typed line by line, answers at once.

Piped input once hid a shell that read everything before answering the first line; here the
terminal stays open while each answer is awaited, as a person at a keyboard would.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Make the terminal the child's controlling terminal, so Ctrl-C typed on it is a SIGINT.
WITH_TERMINAL = (
    "import fcntl, os, sys, termios\n"
    "os.setsid()\n"
    "fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n"
)


class Terminal:
    """A program running on a pseudo-terminal: type lines, wait for what it prints."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.master, child_side = os.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-c", WITH_TERMINAL, *args], cwd=ROOT, env=env,
            stdin=child_side, stdout=child_side, stderr=child_side,
        )
        os.close(child_side)
        self.seen = ""

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def wait_for(self, marker: str, timeout: float = 30) -> str:
        """Return what was printed up to `marker`, failing if it does not come in time."""
        deadline = time.monotonic() + timeout
        while marker not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"{marker!r} never came; the terminal shows:\n{self.seen[-2000:]}"
            if select.select([self.master], [], [], min(left, 0.2))[0]:
                try:
                    self.seen += os.read(self.master, 65536).decode(errors="replace")
                except OSError:  # the program closed the terminal
                    break
        assert marker in self.seen, f"{marker!r} never came:\n{self.seen[-2000:]}"
        before, _, after = self.seen.partition(marker)
        self.seen = after
        return before

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self.master)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CHIBO_"))}
    env.update(CHIBO_DB=str(tmp_path / "chibo.sqlite3"), CHIBO_LOCALE="en")
    term = Terminal(["-m", "bot", "run"], env)
    yield term
    term.close()


def test_each_typed_line_is_answered_while_the_terminal_stays_open(terminal: Terminal) -> None:
    terminal.wait_for("> ")
    terminal.type("/help\n")
    terminal.wait_for("/report")  # the help lists the commands, before any more input
    terminal.wait_for("> ")
    terminal.type("/report\n")
    terminal.wait_for("Today")  # the first question, with its choices
    terminal.type("/cancel\n")
    terminal.wait_for("Cancelled")
    terminal.wait_for("> ")
    terminal.type(":q\n")
    assert terminal.process.wait(timeout=15) == 0


def test_ctrl_c_typed_on_the_terminal_exits_at_once(terminal: Terminal) -> None:
    terminal.wait_for("> ")
    terminal.type("\x03")
    assert terminal.process.wait(timeout=10) == 130
