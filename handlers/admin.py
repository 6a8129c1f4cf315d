"""/moi (/invite): admins create one-time invite codes for their own subtree.

    ask_role ──► ask_target ──► code and link
                 secretary: a cell's code or name typed; organiser: a unit tapped, or its
                 code, name or path typed ("xa tan lan", "Huyen Can Duoc/Xa Tan Lan")
                     └► several found ──► match (numbered) ──► code and link
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.commands import Command
from bot.core.flow import ChoiceStep, Ctx, Done, Flow, Invalid, Next, Outcome
from bot.core.messages import Choice, Reply
from bot.domain.org import OrgUnit, Role
from bot.i18n import N_
from bot.storage.org import OrgRepository
from bot.storage.users import InviteRepository
from handlers.common import example_cell_codes
from handlers.finding import (
    MATCH_STEP,
    FindStep,
    cells_within,
    match_step,
    offer,
    path_of,
    place_order,
    search,
    units_above,
)

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


def admin_roots(ctx: Ctx) -> list[int]:
    """Return the units the user administers (they invite within their subtrees)."""
    return [g.unit_id for g in ctx.user.grants if g.role is Role.ADMIN]


async def organiser_units(ctx: Ctx) -> list[OrgUnit]:
    """Return the units an organiser may be invited to: the admin's own, and every unit
    between them and their cells (the communes), by place."""
    roots = admin_roots(ctx)
    org = OrgRepository(ctx.db)
    own = [u for unit_id in roots if (u := await org.get(unit_id)) is not None]
    cells = await cells_within(ctx, roots)
    above = await units_above(ctx, cells)
    found: dict[int, OrgUnit] = {}
    for cell in cells:
        path = path_of(cell, above)[:-1]
        start = next((i for i, unit in enumerate(path) if unit.id in roots), len(path))
        found.update((unit.id, unit) for unit in path[start + 1:])
    below = sorted(found.values(), key=lambda u: place_order(u, above))
    return own + [u for u in below if u.id not in roots]


async def target_choices(ctx: Ctx) -> list[Choice]:
    """Offer the admin's units to an organiser's invite; a cell is typed (there are many)."""
    if ctx.draft.get("role") == Role.SECRETARY:
        return []
    return [Choice(str(u.id), u.name) for u in await organiser_units(ctx)]


async def ask_target(ctx: Ctx) -> str:
    if ctx.draft.get("role") == Role.SECRETARY:
        return ctx.t("Type the code of the cell or a part of its name (for example {codes}).",
                     codes=await example_cell_codes(ctx))
    units = await organiser_units(ctx)
    org = OrgRepository(ctx.db)
    example = "/".join(await org.path_names(units[-1].id)) if units else ""
    return ctx.hint(
        N_("Which unit? Tap it, or type its code, a part of its name or its path (for example "
           "{path})."),
        N_("Which unit? Type its number, its code, a part of its name or its path (for "
           "example {path})."),
        path=example)


async def find_target(ctx: Ctx, typed: str) -> Outcome:
    """Find the unit typed: exactly (code, path, name), else by its words within the area."""
    unit = await OrgRepository(ctx.db).find(typed)
    if unit is not None:
        return await invite(ctx, unit)
    secretary = ctx.draft.get("role") == Role.SECRETARY
    units = await cells_within(ctx, admin_roots(ctx)) if secretary else await organiser_units(
        ctx)
    found = await search(ctx, units, typed)
    if len(found) == 1:
        return await invite(ctx, found[0])
    if found:
        offer(ctx, found)
        return Next(MATCH_STEP)
    if secretary:
        return Invalid(ctx.t(
            "I found no cell with the code or name {typed} in your area.", typed=typed.strip()
        ))
    return Invalid(ctx.t(
        "I found no unit with the code, name or path {typed} in your area.", typed=typed.strip()
    ))


async def received_unit(ctx: Ctx, key: str) -> Outcome:
    unit = await OrgRepository(ctx.db).get(int(key))
    if unit is None:  # removed meanwhile
        return Invalid(ctx.t("I found no unit with that code or path. Please check and type it "
                             "again."))
    return await invite(ctx, unit)


async def invite(ctx: Ctx, unit: OrgUnit) -> Outcome:
    """Make the invite to `unit`, if it fits the role and lies in the admin's area."""
    role = Role(ctx.draft["role"])
    if role is Role.SECRETARY and unit.kind != "cell":
        return Invalid(ctx.t(
            "A secretary invite needs a cell code. Please type the code of a cell."
        ))
    org = OrgRepository(ctx.db)
    if not await org.is_within_any(unit.id, admin_roots(ctx), ctx.today):
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
    FindStep("target", ask_target, target_choices, received_unit, find=find_target),
    match_step(received_unit),
], saved_again=saved_again)

COMMANDS = [
    Command(("moi", "invite"), N_("Invite a secretary or an organiser"),
            roles=frozenset({Role.ADMIN}), flow=FLOW),
]
