"""Pieces several conversations share."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.flow import ChoiceStep, Ctx, MaybeAwaitable, Next, Outcome, resolve
from bot.core.messages import Choice
from bot.domain.words import name_order
from bot.storage.org import OrgRepository

CELL_STEP = "cell"
WithCell = Callable[[Ctx, int], MaybeAwaitable[Outcome]]  # go on with the chosen cell's id


async def own_cell_choices(ctx: Ctx) -> list[Choice]:
    """Offer the cells this user is secretary of (asked only when there is more than one)."""
    org = OrgRepository(ctx.db)
    units = [u for cell_id in ctx.user.secretary_of if (u := await org.get(cell_id)) is not None]
    return [Choice(str(u.id), u.name) for u in sorted(units, key=lambda u: name_order(u.name))]


def ask_which_cell(ctx: Ctx) -> str:
    return ctx.t("Which cell?")


async def with_own_cell(
    ctx: Ctx, then: WithCell, otherwise: Callable[[Ctx], MaybeAwaitable[Outcome]]
) -> Outcome:
    """Go on with the secretary's only cell, ask which one when several, else `otherwise`."""
    cells = ctx.user.secretary_of
    if not cells:
        return await resolve(otherwise(ctx))
    if len(cells) == 1:
        return await resolve(then(ctx, cells[0]))
    return Next(CELL_STEP)


def which_cell_step(then: WithCell, question: Callable[[Ctx], str] = ask_which_cell) -> ChoiceStep:
    """The "which of my cells" question, for a secretary of several (see `with_own_cell`)."""

    async def chosen(ctx: Ctx, key: str) -> Outcome:
        return await resolve(then(ctx, int(key)))

    return ChoiceStep(CELL_STEP, question, own_cell_choices, chosen, counted=False)


async def example_cell_codes(ctx: Ctx, most: int = 3) -> str:
    """Return a few real cell codes from the user's area, for "for example …" hints."""
    org = OrgRepository(ctx.db)
    codes: list[str] = []
    for grant in ctx.user.grants:
        for cell in await org.cells_under(grant.unit_id, ctx.today):
            if cell.code and cell.code not in codes:
                codes.append(cell.code)
        if len(codes) >= most:
            break
    return ", ".join(sorted(codes)[:most]) or "TL-01"
