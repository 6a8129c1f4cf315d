"""The roll's changes since the cell's last report, shown at the meeting report's roll question.

A ceremony, a confirmation or a removal moves the cell's counts (bot.storage.roll); the
secretary sees each change with its source and date before counting who attended.
"""

from __future__ import annotations

from bot.core.flow import Ctx
from bot.domain.pipeline import Stage
from bot.i18n import N_
from bot.storage.roll import IMPORT, RollChanges, RollEntry
from handlers.recruitment_texts import stage_label

COUNT_LABELS = (
    ("full", N_("full members {change}")),
    ("probationary", N_("probationary {change}")),
    ("exempt", N_("exempt {change}")),
)


def signed(ctx: Ctx, n: int) -> str:
    return ("+" if n > 0 else "−") + ctx.t.number(abs(n))


def entry_line(ctx: Ctx, entry: RollEntry) -> str:
    """Say what one change did to the counts, and why."""
    changes = ", ".join(
        ctx.t(label, change=signed(ctx, getattr(entry, count)))
        for count, label in COUNT_LABELS
        if getattr(entry, count)
    )
    if entry.source == IMPORT:
        return ctx.t(
            "{date}, org import by the administrator: {changes}",
            date=ctx.t.date(entry.on),
            changes=changes,
        )
    return ctx.t(
        "{date}, {step} of {alias}: {changes}",
        date=ctx.t.date(entry.on),
        step=stage_label(ctx, Stage(entry.source)),
        alias=entry.alias or "",
        changes=changes,
    )


async def roll_news(ctx: Ctx, cell_id: int) -> str | None:
    """Return the changes to the cell's roll since its last saved report, or None."""
    entries = await RollChanges(ctx.db).since_last_report(cell_id)
    if not entries:
        return None
    lines = [ctx.t("The roll changed since the last report:")]
    lines += ["• " + entry_line(ctx, entry) for entry in entries]
    return "\n".join(lines)
