"""/start [CODE]: bind a chat identity to the role and unit of an invite, then greet."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.commands import Command
from bot.core.flow import Ctx
from bot.core.messages import Reply
from bot.domain.org import Grant, Role
from bot.i18n import N_
from bot.storage.links import looks_like_link_code
from bot.storage.org import OrgRepository
from bot.storage.users import InviteRepository, UserRepository
from handlers import guessing

# A word that can only be a code: an invite (14 characters) or a linking code ("ABCD-EFGH").
CODE_ALONE = re.compile(r"[A-Za-z0-9]{4}-?[A-Za-z0-9]{4,16}")


async def start(ctx: Ctx, args: str) -> Sequence[Reply]:
    """Register with a code, or explain how to get one; greet users already registered."""
    code = typed_code(ctx, args)
    if ctx.user.grants and not code:
        return [await greeting(ctx, ctx.user.grants[-1])]
    if not code:
        return [Reply(how_to_register(ctx))]
    if looks_like_link_code(code):  # a code from /lienket in the person's other chat
        from handlers.link import redeem_link_code  # late: link imports this module

        return await redeem_link_code(ctx, code)
    refused = await guessing.refusal(ctx)
    if refused is not None:
        return [refused]
    channel, key = ctx.inbound.channel, ctx.inbound.user_key
    status, grant = await InviteRepository(ctx.db).redeem(
        code, channel, key, ctx.now, display_name=ctx.inbound.display_name)
    if status == "mine" and grant is not None:  # the same code sent again: just greet
        return [await greeting(ctx, grant)]
    if grant is None:
        await guessing.wrong_code(ctx)
        messages = {
            "expired": ctx.t(
                "This invite code has expired. Please ask your organiser for a new one."
            ),
            "used": ctx.t("This invite code has already been used. Each code works once; "
                          "please ask your organiser for a new one."),
        }
        return [Reply(messages.get(status) or ctx.t(
            "This invite code is not valid. Please check it and send /start CODE again."
        ))]
    user = await UserRepository(ctx.db).find(channel, key, ctx.today)
    assert user is not None
    ctx.user = user
    return [await greeting(ctx, grant)]


def typed_code(ctx: Ctx, args: str) -> str:
    """Return the code given: /start CODE, a guest's /lienket CODE, or a code typed alone.

    A guest's every message comes here (with no arguments), so a code typed without a
    command, as Zalo users do, registers too.
    """
    if args.strip():
        return args.strip()
    command = ctx.inbound.command
    if command is not None:
        name, rest = command
        return rest if name in ("lienket", "link") else ""
    text = ctx.inbound.text.strip()
    return text if CODE_ALONE.fullmatch(text) else ""


def how_to_register(ctx: Ctx) -> str:
    return ctx.t(
        "Welcome to Sổ Chi Bộ, the reporting book of Party cells.\n"
        "To use it you need an invite code from your commune or district organiser. "
        "When you have it, send /start CODE (for example /start ABCD2345EFGH67)."
    ) + "\n" + ctx.t(
        "Already using the bot on Telegram or Zalo? Send /lienket there, then type the "
        "code it gives you here."
    )


async def greeting(ctx: Ctx, grant: Grant) -> Reply:
    """Greet by role, naming the cell or unit and the commands to use next."""
    unit = await OrgRepository(ctx.db).get(grant.unit_id)
    unit_name = unit.name if unit else "?"
    if grant.role is Role.SECRETARY:
        intro = ctx.t("Hello, secretary of {unit}.", unit=unit_name)
    elif grant.role is Role.STAFF:
        intro = ctx.t("Hello, organiser of {unit}.", unit=unit_name)
    else:
        intro = ctx.t("Hello, administrator of {unit}.", unit=unit_name)
    from handlers.help import command_lines  # late: help imports the registry

    return Reply(intro + "\n\n" + ctx.t("You can use:") + "\n" + command_lines(ctx))


COMMANDS = [
    Command(("start",), N_("Register with an invite code"), action=start, menu=False),
]
