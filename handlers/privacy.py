"""A question asked when typed text seems to name a person: write it again, or keep it.

    [field] ─► seems to name someone ─► [field_name] ─► write again ─► [field]
                                                  └─► keep it (a false guess) ─► then
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.flow import ChoiceStep, Ctx, MaybeAwaitable, Next, Outcome, resolve
from bot.core.messages import Choice
from bot.domain.privacy import name_in

PENDING = "_unsure_text"  # the text waiting for the secretary's word
FOUND = "_unsure_name"


def check_names(ctx: Ctx, field: str, text: str | None) -> Outcome | None:
    """Ask about `text` when it seems to name someone (None: nothing to ask, go on)."""
    found = None if text is None else name_in(text)
    if found is None or ctx.draft.get(PENDING) == text:
        ctx.draft.pop(PENDING, None)
        ctx.draft.pop(FOUND, None)
        return None
    ctx.draft[PENDING], ctx.draft[FOUND] = text, found
    return Next(f"{field}_name", force=True)


def name_step(field: str, keep: Callable[[Ctx, str], MaybeAwaitable[Outcome]]) -> ChoiceStep:
    """Return the step that asks whether to keep `field`'s text; `keep` takes it on."""

    def ask(ctx: Ctx) -> str:
        return ctx.t(
            "This seems to name a person: «{name}». Organisers read it, so please write no "
            "names of people, no absence reasons and no ID numbers.",
            name=ctx.draft.get(FOUND, ""),
        )

    def choices(ctx: Ctx) -> list[Choice]:
        return [Choice("rewrite", ctx.t("Write it again")),
                Choice("keep", ctx.t("Keep it: it names nobody"))]

    async def received(ctx: Ctx, key: str) -> Outcome:
        if key == "rewrite":
            return Next(field, force=True)
        text = str(ctx.draft.pop(PENDING, ""))
        ctx.draft.pop(FOUND, None)
        return await resolve(keep(ctx, text))

    return ChoiceStep(f"{field}_name", ask, choices, received, counted=False)
