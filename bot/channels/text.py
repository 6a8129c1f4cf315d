"""Text for channels without buttons (the terminal, Zalo): numbered choices, long texts cut.

A Reply becomes "1. …" lines (☑/☐ on a multi-select); a text longer than a channel allows is
cut at line ends or spaces, measured the channel's way (Telegram: UTF-16 code units, Zalo:
characters).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.flow import choice_label
from bot.core.messages import Reply

EMPTY_TEXT = "…"  # platforms refuse an empty message


def render_plain(reply: Reply) -> str:
    """Return the text with "1. …" lines for choices (☑/☐ marks on a multi-select)."""
    lines = [reply.text]
    if reply.choices:
        lines.append("")
        for number, choice in enumerate(reply.choices, start=1):
            prefix = f"{number}. " if reply.numbered else "• "
            lines.append(prefix + choice_label(reply, choice))
    if reply.attachment is not None:
        lines.append(f"[{reply.attachment.filename}]")
    return "\n".join(lines)


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Cut a long text into messages of at most `limit`, at line ends or spaces if possible.

    `measure` gives a text's length as the channel counts it; it must add up over characters.
    """
    chunks: list[str] = []
    rest = text
    while measure(rest) > limit:
        cut = _longest_prefix(rest, limit, measure)
        window = rest[:cut]
        for separator in ("\n\n", "\n", " "):
            at = window.rfind(separator)
            if at > cut // 2:
                cut = at + len(separator)
                break
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    chunks.append(rest.rstrip() if chunks else rest)
    return [chunk for chunk in chunks if chunk.strip()] or [EMPTY_TEXT]


def _longest_prefix(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """Return how many characters of `text` fit in `limit` (at least one: always progress)."""
    used = 0
    for index, char in enumerate(text):
        used += measure(char)
        if used > limit:
            return max(index, 1)
    return len(text)
