"""Render a Reply as plain text with numbered choices, for the terminal and for Zalo."""

from __future__ import annotations

from bot.core.messages import Reply


def render_plain(reply: Reply) -> str:
    """Return the text with "1. …" lines for choices (☑/☐ marks on a multi-select)."""
    lines = [reply.text]
    if reply.choices:
        lines.append("")
        for number, choice in enumerate(reply.choices, start=1):
            mark = ""
            if reply.multi and choice.key not in ("done", "back"):
                mark = "☑ " if choice.key in reply.selected else "☐ "
            prefix = f"{number}. " if reply.numbered else "• "
            lines.append(f"{prefix}{mark}{choice.label}")
    if reply.attachment is not None:
        lines.append(f"[{reply.attachment.filename}]")
    return "\n".join(lines)
