"""Who may read what: a secretary their own cells, an organiser the subtree of their unit.

The standing and the summaries both ask here, so the rule lives in one place.
"""

from __future__ import annotations

from bot.core.flow import Ctx
from bot.domain.org import OrgUnit, Role
from bot.storage.org import OrgRepository

ORGANISER_ROLES = (Role.STAFF, Role.ADMIN)


def organiser_units(ctx: Ctx) -> list[int]:
    """Return the units whose subtree the user reads as an organiser, in grant order."""
    units: list[int] = []
    for grant in ctx.user.grants:
        if grant.role in ORGANISER_ROLES and grant.unit_id not in units:
            units.append(grant.unit_id)
    return units


async def may_see(ctx: Ctx, unit: OrgUnit) -> bool:
    """Tell whether the user is the cell's secretary or an organiser above (or of) the unit."""
    if unit.id in ctx.user.secretary_of:
        return True
    return await OrgRepository(ctx.db).is_within_any(unit.id, organiser_units(ctx), ctx.today)
