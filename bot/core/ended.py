"""Roles on units closed since: the holder is told once, at their next message, why.

A role is bound to a unit, not to a level (DOMAIN.md §5.4). When the unit is merged away or is
no longer in the org file, the role gives no access any more (bot.storage.users leaves it out
of the user's grants); an administrator may move it to the new unit (`python -m bot role
move`). Someone left with no role at all is told at every message, since nothing else works.
"""

from __future__ import annotations

from bot.core.flow import Ctx
from bot.core.messages import Reply
from bot.domain.org import Role
from bot.i18n import N_
from bot.storage.org import OrgRepository
from bot.storage.users import UserRepository

ROLE_NAMES = {
    Role.SECRETARY: N_("cell secretary"),
    Role.STAFF: N_("organiser"),
    Role.ADMIN: N_("administrator"),
}


async def ended_roles_notice(ctx: Ctx) -> list[Reply]:
    """Say which of the user's roles ended with their unit, and where the unit went."""
    user = ctx.user
    untold = [g for g in user.ended if not g.told or not user.grants]
    if not untold:
        return []
    org = OrgRepository(ctx.db)
    lines = []
    for grant in untold:
        unit = await org.get(grant.unit_id)
        if unit is None or unit.valid_to is None:
            continue
        role = ctx.t(ROLE_NAMES[grant.role])
        successors = await org.successors(unit.id)
        if successors:
            names = ", ".join(s.name for s, _ in successors)
            lines.append(ctx.t(
                "{unit} was merged into {successors} on {date}. Your access as {role} of "
                "{unit} ended with it: ask an administrator to move you to {successors} "
                "(python -m bot role move).",
                unit=unit.name, successors=names, date=ctx.t.date(successors[0][1]), role=role,
            ))
        else:
            lines.append(ctx.t(
                "{unit} was closed on {date}: it is no longer in the org tree. Your access as "
                "{role} of {unit} ended with it; ask an administrator for a new invite if you "
                "should go on.", unit=unit.name, date=ctx.t.date(unit.valid_to), role=role,
            ))
    told = [g.unit_id for g in untold if not g.told]
    if told:
        await UserRepository(ctx.db).mark_told_closed(user.id, told, ctx.now)
    return [Reply("\n\n".join(lines))] if lines else []
