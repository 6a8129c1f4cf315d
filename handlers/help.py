"""/help (/trogiup): the commands this user's roles allow, in their language."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.commands import Command
from bot.core.flow import Ctx
from bot.core.messages import Reply
from bot.i18n import N_


def command_lines(ctx: Ctx) -> str:
    from handlers import registry

    lines = []
    for command in registry().available_to(ctx.user):
        lines.append(f"/{command.name_for(ctx.t.locale)} — {ctx.t(command.description)}")
    cancel = "huy" if ctx.t.locale == "vi" else "cancel"
    lines.append(f"/{cancel} — " + ctx.t("Cancel the current conversation"))
    return "\n".join(lines)


async def show_help(ctx: Ctx, args: str) -> Sequence[Reply]:
    return [Reply(
        ctx.t("Sổ Chi Bộ helps your cell report meetings and recruitment.") + "\n\n"
        + command_lines(ctx) + "\n\n"
        + ctx.t("In a conversation, tap a button or type its number; /cancel stops it.")
    )]


COMMANDS = [
    Command(("trogiup", "help"), N_("Show this help"), action=show_help),
]
