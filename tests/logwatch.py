"""What the suite logged, and what must never be in it: tokens, message texts, names.

tests/conftest.py installs `Watch` for the whole session: every log record of the test
process (at the bot's own level, INFO, as `bot.app.configure_logging` sets it), every text and
display name a user sent to the dispatcher, and the stderr of every bot process the e2e
tests started. tests/test_logs.py, run last, looks for the one in the other.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

MIN_TEXT = 8  # shorter texts ("1", "hello") are words any log line may hold
PRODUCT = Path(__file__).resolve().parent.parent  # its bot/ and handlers/


class _Records(logging.Handler):
    def __init__(self, lines: list[str]):
        super().__init__(logging.INFO)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        line = f"{record.name}: {record.getMessage()}"
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        self.lines.append(line)


@dataclass
class Watch:
    logged: list[str] = field(default_factory=list)  # every record, formatted
    texts: set[str] = field(default_factory=set)  # what users typed
    names: set[str] = field(default_factory=set)  # their profile names
    stderr: list[Path] = field(default_factory=list)  # the e2e processes' logs
    outputs: list[str] = field(default_factory=list)  # the command line's stderr

    def __post_init__(self) -> None:
        self.handler = _Records(self.logged)

    def sent(self, text: str | None = None, name: str | None = None) -> None:
        """Note what a user sent (a text, their profile name): it must never be logged."""
        if text:
            self.texts.add(text)
        if name:
            self.names.add(name)

    def everything_logged(self) -> list[str]:
        files = [path.read_text(encoding="utf-8", errors="replace")
                 for path in self.stderr if path.exists()]
        return [*self.logged, *files, *self.outputs]


WATCH = Watch()


@cache
def code_words() -> frozenset[str]:
    """Return the string constants of the bot's own code (flow and step names, msgids…).

    Hypothesis draws texts from the constants of the code under test, so the fuzz types
    "meeting_report" now and then; the bot's log names its flows. Such a text is the bot's
    word, not the user's."""
    words: set[str] = set()
    for path in [*PRODUCT.glob("bot/**/*.py"), *PRODUCT.glob("handlers/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                words.add(node.value.strip())
    return frozenset(words)


def needles(texts: Iterable[str], names: Iterable[str], tokens: Iterable[str]) -> set[str]:
    """Return what to look for: tokens (and their secret halves), long texts that are not
    the bot's own words, names."""
    found: set[str] = set()
    for token in tokens:
        found.add(token)
        found.add(token.partition(":")[2])
    for text in texts:
        text = text.strip()
        if text.startswith("/"):  # a command is not a secret; what follows it may be
            text = text.partition(" ")[2].strip()
        if (len(text) >= MIN_TEXT and any(ch.isalpha() for ch in text)
                and text not in code_words()):
            found.add(text)
    found.update(name.strip() for name in names if len(name.strip()) >= 4)
    return {needle for needle in found if needle}


def leaks(logged: Iterable[str], looked_for: set[str]) -> list[tuple[str, str]]:
    """Return (needle, line) for every log line that holds one of `looked_for`."""
    return [(needle, line[:300]) for line in logged for needle in looked_for if needle in line]
