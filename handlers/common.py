"""Pieces several conversations share."""

from __future__ import annotations

from bot.core.flow import Ctx
from bot.core.messages import Choice
from bot.storage.org import OrgRepository


async def own_cell_choices(ctx: Ctx) -> list[Choice]:
    """Offer the cells this user is secretary of (asked only when there is more than one)."""
    org = OrgRepository(ctx.db)
    units = [await org.get(cell_id) for cell_id in ctx.user.secretary_of]
    return [Choice(str(u.id), u.name) for u in units if u is not None]


def ask_which_cell(ctx: Ctx) -> str:
    return ctx.t("Which cell?")


async def example_cell_codes(ctx: Ctx, most: int = 3) -> str:
    """Return a few real cell codes from the user's area, for "for example …" hints."""
    org = OrgRepository(ctx.db)
    codes: list[str] = []
    for grant in ctx.user.grants:
        for cell in await org.cells_under(grant.unit_id):
            if cell.code and cell.code not in codes:
                codes.append(cell.code)
        if len(codes) >= most:
            break
    return ", ".join(sorted(codes)[:most]) or "TL-01"
