"""/moi (/invite): admins create one-time invite codes for their own subtree.

    ask_role ──► ask_target (cell code, or unit code or path) ──► code and link
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.commands import Command
from bot.core.flow import ChoiceStep, Ctx, Done, Flow, Invalid, Next, Outcome, TextStep
from bot.core.messages import Choice, Reply
from bot.domain.org import Role
from bot.i18n import N_
from bot.storage.org import OrgRepository
from bot.storage.users import InviteRepository
from handlers.common import example_cell_codes

INVITE_DAYS = 7
ROLE_LABELS = {
    Role.SECRETARY: N_("Cell secretary"),
    Role.STAFF: N_("Organiser (reads summaries)"),
    Role.ADMIN: N_("Administrator (can also invite)"),
}


def role_choices(ctx: Ctx) -> list[Choice]:
    return [Choice(role.value, ctx.t(label)) for role, label in ROLE_LABELS.items()]


def received_role(ctx: Ctx, role: str) -> Outcome:
    ctx.draft["role"] = role
    return Next("target")


async def ask_target(ctx: Ctx) -> str:
    if ctx.draft.get("role") == Role.SECRETARY:
        return ctx.t("Type the code of the cell (for example {codes}).",
                     codes=await example_cell_codes(ctx))
    return ctx.t("Type the code or the path of the unit (for example Huyện Cần Đước/Xã Tân Lân).")


async def received_target(ctx: Ctx, target: str | None) -> Outcome:
    role = Role(ctx.draft["role"])
    org = OrgRepository(ctx.db)
    unit = await org.find(target or "")
    if unit is None:
        return Invalid(ctx.t(
            "I found no unit with that code or path. Please check and type it again."
        ))
    if role is Role.SECRETARY and unit.kind != "cell":
        return Invalid(ctx.t(
            "A secretary invite needs a cell code. Please type the code of a cell."
        ))
    admin_units = [g.unit_id for g in ctx.user.grants if g.role is Role.ADMIN]
    if not await org.is_within_any(unit.id, admin_units, ctx.today):
        return Invalid(ctx.t("That unit is outside your area. Please type a unit you administer."))
    code = await InviteRepository(ctx.db).create(role, unit.id, ctx.now, INVITE_DAYS,
                                                 also=ctx.ending)
    expires = ctx.t.date(ctx.today + timedelta(days=INVITE_DAYS))
    return Done([
        Reply(ctx.t(
            "Invite for {role} of {unit}, valid until {date}. The person sends this to the bot:",
            role=ctx.t(ROLE_LABELS[role]), unit=unit.name, date=expires,
        )),
        Reply(f"/start {code}"),
    ])


async def saved_again(ctx: Ctx) -> list[Reply]:
    """Answer the unit typed again after the invite was made: no second code."""
    return [Reply(ctx.t(
        "This invite was already made; it was not made twice. Its code cannot be shown again "
        "(the bot keeps only a fingerprint of it): if you did not receive it, send /{command} "
        "for a new one.", command=COMMANDS[0].name_for(ctx.t.locale),
    ))]


FLOW = Flow("invite", [
    ChoiceStep("role", lambda ctx: ctx.t("Whom do you want to invite?"), role_choices,
               received_role),
    TextStep("target", ask_target, received_target, min_length=1, max_length=200),
], saved_again=saved_again)

COMMANDS = [
    Command(("moi", "invite"), N_("Invite a secretary or an organiser"),
            roles=frozenset({Role.ADMIN}), flow=FLOW),
]
