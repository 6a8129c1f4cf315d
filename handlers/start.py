"""/start [CODE]: bind a chat identity to the role and unit of an invite, then greet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.core.commands import Command
from bot.core.flow import Ctx
from bot.core.messages import Reply
from bot.domain.org import Grant, Role
from bot.i18n import N_
from bot.storage.org import OrgRepository
from bot.storage.users import InviteRepository, UserRepository

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=1)


async def start(ctx: Ctx, args: str) -> Sequence[Reply]:
    """Register with a code, or explain how to get one; greet users already registered."""
    code = args.strip()
    if ctx.user.grants and not code:
        return [await greeting(ctx, ctx.user.grants[-1])]
    if not code:
        return [Reply(how_to_register(ctx))]
    invites = InviteRepository(ctx.db)
    channel, key = ctx.inbound.channel, ctx.inbound.user_key
    if await invites.recent_failures(channel, key, ctx.now, FAILURE_WINDOW) >= MAX_FAILURES:
        return [Reply(ctx.t(
            "Too many wrong codes. Please wait an hour, then try again with the code "
            "your organiser gave you."
        ))]
    status, grant = await invites.redeem(code, channel, key, ctx.now,
                                         display_name=ctx.inbound.display_name)
    if status == "mine" and grant is not None:  # the same code sent again: just greet
        return [await greeting(ctx, grant)]
    if grant is None:
        await invites.record_failure(channel, key, ctx.now)
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
    user = await UserRepository(ctx.db).find(channel, key)
    assert user is not None
    ctx.user = user
    return [await greeting(ctx, grant)]


def how_to_register(ctx: Ctx) -> str:
    return ctx.t(
        "Welcome to Sổ Chi Bộ, the reporting book of Party cells.\n"
        "To use it you need an invite code from your commune or district organiser. "
        "When you have it, send /start CODE (for example /start ABCD2345EFGH67)."
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
