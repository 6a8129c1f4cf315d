"""/lienket (/link): one account on two channels (Telegram and Zalo), with a one-time code.

    registered chat: /lienket ──► a code, valid 30 minutes, to type in the other chat
    other chat:      /lienket CODE (or, not registered yet, /start CODE or the code alone)
                       └─► this chat joins that account: the same roles, the same unfinished
                           conversation, and the bot's own messages go to the chat used last
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.commands import Command
from bot.core.flow import Ctx
from bot.core.messages import Reply
from bot.i18n import N_
from bot.storage.links import (
    LINK_CODE_LIFETIME,
    LinkRepository,
    LinkStatus,
    format_link_code,
)
from bot.storage.users import UserRepository
from handlers import guessing
from handlers.start import greeting

LINK_NAMES = ("lienket", "link")
REFUSALS = {
    LinkStatus.UNKNOWN: N_(
        "This linking code is not valid. Please check it, or send /lienket again in your "
        "other chat for a new one."
    ),
    LinkStatus.EXPIRED: N_(
        "This linking code has expired. Send /lienket again in your other chat for a new one."
    ),
    LinkStatus.USED: N_("This linking code has already been used. Each code works once."),
    LinkStatus.CHANNEL_TAKEN: N_(
        "Your account already has a chat on this channel, so this chat cannot be linked to "
        "it. Please ask your administrator."
    ),
    LinkStatus.LINKED_ELSEWHERE: N_(
        "This chat is already linked to another account. Please ask your administrator."
    ),
}


async def link(ctx: Ctx, args: str) -> Sequence[Reply]:
    """Give a code to type in the other chat, or take the code typed here."""
    if args.strip():
        return await redeem_link_code(ctx, args)
    code = format_link_code(await LinkRepository(ctx.db).create_code(ctx.user.id, ctx.now))
    minutes = int(LINK_CODE_LIFETIME.total_seconds() // 60)
    return [Reply(ctx.t(
        "Your linking code: {code}\n"
        "In your other chat with the bot (Zalo or Telegram), send /lienket {code} within "
        "{minutes} minutes. Both chats then share your account: the same roles and the same "
        "unfinished conversation. Do not give this code to anyone.",
        code=code, minutes=ctx.t.number(minutes),
    ))]


async def redeem_link_code(ctx: Ctx, code: str) -> list[Reply]:
    """Join this chat to the account that made `code`; greet it as that account."""
    refused = await guessing.refusal(ctx)
    if refused is not None:
        return [refused]
    channel, key = ctx.inbound.channel, ctx.inbound.user_key
    result = await LinkRepository(ctx.db).redeem(code, channel, key, ctx.now)
    if result.status in REFUSALS:
        if result.status in (LinkStatus.UNKNOWN, LinkStatus.EXPIRED, LinkStatus.USED):
            await guessing.wrong_code(ctx)
        return [Reply(ctx.t(REFUSALS[result.status]))]
    user = await UserRepository(ctx.db).find(channel, key, ctx.today)
    assert user is not None, "a linked chat resolves to its account"
    ctx.user = user
    note = ctx.t("This chat is now linked to your account.")
    if result.status is LinkStatus.SAME_ACCOUNT:
        note = ctx.t("This chat is already linked to your account.")
    elif result.dropped_conversation:
        note += " " + ctx.t("The unfinished conversation of this chat was closed; your "
                            "account's own conversation goes on here.")
    if not user.grants:
        return [Reply(note)]
    hello = await greeting(ctx, user.grants[-1])
    return [Reply(f"{note}\n\n{hello.text}")]


COMMANDS = [
    Command(LINK_NAMES, N_("Link your chat on another channel (Zalo or Telegram)"),
            action=link),
]
