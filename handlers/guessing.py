"""Wrong codes (invites, linking): a limit for each chat, and one for all chats together.

    a code typed ─► this chat's wrong codes this hour ≥ 5?  ─► "wait an hour"
                 ─► every chat's together ≥ [policy]?        ─► "codes are not checked now"
                 ─► checked; wrong: counted ─► the count for all reaches the limit:
                                               the administrators are warned (once an hour)

Someone guessing from many chats passes the limit of each; the limit for all stops them, at
the price of newcomers waiting up to an hour, which is why the administrators are told.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core.flow import Ctx
from bot.core.messages import Reply
from bot.storage.users import InviteRepository, UserRepository

log = logging.getLogger(__name__)

MAX_FAILURES = 5  # wrong codes one chat may type in an hour
FAILURE_WINDOW = timedelta(hours=1)


def limit_for_all(ctx: Ctx) -> int:
    return int(ctx.rules.policy("invite_guesses_per_hour"))


async def refusal(ctx: Ctx) -> Reply | None:
    """Refuse to check a code while this chat, or all chats together, guessed too often."""
    invites = InviteRepository(ctx.db)
    channel, key = ctx.inbound.channel, ctx.inbound.user_key
    if await invites.recent_failures(channel, key, ctx.now, FAILURE_WINDOW) >= MAX_FAILURES:
        return Reply(too_many_failures(ctx))
    failures, _ = await invites.failures_everywhere(ctx.now, FAILURE_WINDOW)
    if failures >= limit_for_all(ctx):
        return Reply(ctx.t(
            "Too many wrong codes have been tried on the bot in the last hour, so no code is "
            "checked for now. Please try again in an hour with the code your organiser gave "
            "you."
        ))
    return None


def too_many_failures(ctx: Ctx) -> str:
    return ctx.t(
        "Too many wrong codes. Please wait an hour, then try again with the code "
        "your organiser gave you."
    )


async def wrong_code(ctx: Ctx) -> None:
    """Count a wrong code; warn the administrators when all chats together reach the limit."""
    invites = InviteRepository(ctx.db)
    await invites.record_failure(ctx.inbound.channel, ctx.inbound.user_key, ctx.now)
    failures, chats = await invites.failures_everywhere(ctx.now, FAILURE_WINDOW)
    if failures < limit_for_all(ctx):
        return
    if not await invites.claim_alarm(ctx.now, FAILURE_WINDOW, failures, chats):
        return  # warned within the hour already
    admins = await UserRepository(ctx.db).administrators()
    told = 0
    for admin, app_locale in admins:
        told += await ctx.tell(admin, app_locale, lambda them: [warning(them, failures, chats)])
    log.warning("codes are being guessed: %d wrong codes from %d chats within the hour; codes "
                "refused for all meanwhile; %d of %d administrators warned",
                failures, chats, told, len(admins))


def warning(ctx: Ctx, failures: int, chats: int) -> Reply:
    """Warn an administrator that codes are being guessed (counts only, never who)."""
    return Reply(ctx.t(
        "Warning: {failures} wrong invite or linking codes were typed within the last hour, "
        "from {chats} chats: someone may be guessing codes. The bot checks no code for now "
        "(newcomers with a good code wait too) until fewer than {limit} wrong codes fall within "
        "an hour. Codes already used are not affected.",
        failures=ctx.t.number(failures), chats=ctx.t.number(chats),
        limit=ctx.t.number(limit_for_all(ctx)),
    ))
