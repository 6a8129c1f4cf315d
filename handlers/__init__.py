"""Conversations and commands, written against bot.core; one module per family."""

from __future__ import annotations

from functools import cache

from bot.core.commands import Registry


@cache
def registry() -> Registry:
    """Return every command in /help and menu order (imports here keep handlers decoupled)."""
    from handlers import (
        admin,
        export,
        help,
        language,
        link,
        meeting_report,
        ratings,
        recruitment,
        reminders,
        standing,
        start,
        summary,
    )

    # The everyday tasks first: this is the order of /help and of the Telegram menu.
    return Registry([
        *start.COMMANDS,  # /start CODE: registration; also what guests get
        *meeting_report.COMMANDS,  # /baocao: a secretary reports a cell meeting
        *standing.COMMANDS,  # /tinhhinh: a cell's indicators, for its secretary and organisers
        *recruitment.COMMANDS,  # /phattrien: a cell's recruitment pipeline, secretaries only
        *summary.COMMANDS,  # /tonghop, /chuabaocao: an organiser's area for a period
        *ratings.COMMANDS,  # /xeploai: load the annual ratings, read a year's headline
        *export.COMMANDS,  # /xuat, /bieudo: the area's workbook and chart, as files
        *admin.COMMANDS,  # /moi: invites, admins only
        *reminders.COMMANDS,  # /nhacnho: reminders on or off (organisers: the digest alone)
        *language.COMMANDS,  # /ngonngu: Tiếng Việt or English
        *link.COMMANDS,  # /lienket: one account on Telegram and Zalo
        *help.COMMANDS,  # /help: the commands of the user's roles
    ], handed_over=[
        *recruitment.HANDED_OVER,  # /phattrien's tasks, each a flow of its own
    ])
