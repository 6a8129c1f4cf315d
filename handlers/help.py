"""/help (/trogiup): the commands this user's roles allow, in their language."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.commands import Command
from bot.core.flow import Ctx
from bot.core.messages import Reply
from bot.i18n import N_
from handlers.common import example_cell_codes


def command_lines(ctx: Ctx) -> str:
    from handlers import registry

    lines = []
    for command in registry().available_to(ctx.user):
        lines.append(f"/{command.name_for(ctx.t.locale)} — {ctx.t(command.description)}")
    cancel = "huy" if ctx.t.locale == "vi" else "cancel"
    lines.append(f"/{cancel} — " + ctx.t("Cancel the current conversation"))
    return "\n".join(lines)


async def tips(ctx: Ctx) -> list[str]:
    """Return how to answer, and for organisers how to name a cell (one of their area)."""
    from handlers import registry

    lines = [
        ctx.hint(
            N_("In a conversation, tap a button or type its number; /cancel stops it."),
            N_("In a conversation, type the number of a choice or its label; /cancel stops it."),
        ),
        ctx.hint(
            N_("Where a number is asked, the buttons show the number itself: typing 1 means 1, "
               "not the first button."),
            N_("Where a number is asked, the choices are the numbers themselves: typing 1 "
               "means 1, not the first choice."),
        ),
    ]
    standing = registry().find("tinhhinh")
    if ctx.user.is_staff and standing is not None:
        lines.append(ctx.t(
            "To see a cell, send /{command} with a cell's code or a part of its name (for "
            "example /{command} {code}), or /{command} alone to pick a commune, then a cell.",
            command=standing.name_for(ctx.t.locale), code=await example_cell_codes(ctx, 1),
        ))
    return lines


async def show_help(ctx: Ctx, args: str) -> Sequence[Reply]:
    return [Reply(
        ctx.t("Sổ Chi Bộ helps your cell report meetings and recruitment.") + "\n\n"
        + command_lines(ctx) + "\n\n" + "\n".join(await tips(ctx))
    )]


COMMANDS = [
    Command(("trogiup", "help"), N_("Show this help"), action=show_help),
]
