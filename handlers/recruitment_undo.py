"""Undo a step one recorded oneself, within the policy's window (handed over from the menu).

    undo (which step) ─► undo_confirm ─► undone (the roll change goes back with it)
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.flow import ChoiceStep, Ctx, Done, Flow, Next, Outcome
from bot.core.messages import Choice, Reply
from bot.domain.pipeline import policy_of
from bot.i18n import N_
from bot.storage.recruitment import AliasInUse, RecruitmentRepository
from handlers.recruitment_texts import hours, record_gone, stage_label
from handlers.recruitment_view import saved_again

NAME = "recruit_undo"


def undo_since(ctx: Ctx) -> timedelta:
    return timedelta(hours=policy_of(ctx.rules).undo_hours)


def picked(ctx: Ctx) -> tuple[int, int]:
    """Return the (record, batch) chosen to undo."""
    recruit_id, batch = (int(part) for part in ctx.draft["undo"].split("."))
    return recruit_id, batch


async def undoable(ctx: Ctx) -> list[Choice]:
    """Return the user's own recent last steps in this cell, newest first, as choices."""
    repo = RecruitmentRepository(ctx.db)
    mine = {p.id for p in await repo.of_cell(ctx.draft["cell"])}
    choices = []
    for batch in await repo.undoable(ctx.user.id, ctx.now - undo_since(ctx)):
        if batch.recruit_id not in mine:
            continue
        template = (
            N_("{alias}: added ({stages}, {date})") if batch.adds_person
            else N_("{alias}: {stages}, not passed ({date})") if batch.failed
            else "{alias}: {stages} ({date})"  # nothing to translate
        )
        stages = " + ".join(stage_label(ctx, s) for s in batch.stages)
        label = ctx.t(template, alias=batch.alias, stages=stages, date=ctx.t.date(batch.on))
        choices.append(Choice(f"{batch.recruit_id}.{batch.batch}", label))
    return choices


def nothing_to_undo(ctx: Ctx) -> str:
    return ctx.t(
        "You have recorded nothing in the last {hours} that can still be undone.",
        hours=hours(ctx, policy_of(ctx.rules).undo_hours),
    )


async def begin(ctx: Ctx, args: str) -> Outcome:
    if not await undoable(ctx):
        return Done([Reply(nothing_to_undo(ctx))])
    return Next("undo")


def ask_undo(ctx: Ctx) -> str:
    return ctx.t("Which step do you want to undo?")


def received_undo(ctx: Ctx, key: str) -> Outcome:
    ctx.draft["undo"] = key
    return Next("undo_confirm")


async def ask_undo_confirm(ctx: Ctx) -> str:
    recruit_id, batch = picked(ctx)
    person = await RecruitmentRepository(ctx.db).get(recruit_id)
    if person is None:
        return record_gone(ctx)
    if batch == 1:
        return ctx.t("Undo adding {alias}? The record leaves the list.", alias=person.alias)
    if person.last_batch_moves == 0:  # the last batch is a failed vote, not a move
        return ctx.t(
            "Undo the failed vote of {alias} ({date})? The record stays at {stage}.",
            alias=person.alias,
            date=ctx.t.date(person.failed_votes[-1].on),
            stage=stage_label(ctx, person.stage),
        )
    previous = person.before_last_batch[-1]
    return ctx.t(
        "Undo the last step of {alias}? The record goes back to {stage} ({date}).",
        alias=person.alias,
        stage=stage_label(ctx, previous.stage),
        date=ctx.t.date(previous.on),
    )


def undo_confirm_choices(ctx: Ctx) -> list[Choice]:
    return [Choice("yes", ctx.t("Undo it")), Choice("no", ctx.t("Keep it"))]


async def received_undo_confirm(ctx: Ctx, key: str) -> Outcome:
    if key == "no":
        return Done([Reply(ctx.t("Kept. Nothing was changed."))])
    recruit_id, batch = picked(ctx)
    repo, since = RecruitmentRepository(ctx.db), ctx.now - undo_since(ctx)
    try:
        undone = await repo.undo(recruit_id, batch, ctx.user.id, ctx.now, since,
                                 also=ctx.ending)
    except AliasInUse as taken:
        return Done([Reply(ctx.t(
            "That step cannot be undone: it would bring back {alias}, and another open record "
            "of the cell now goes by that alias. Nothing was changed.",
            alias=taken.alias,
        ))])
    if not undone:
        return Done([Reply(ctx.t(
            "That step can no longer be undone: a later step was recorded, or its {hours} for "
            "an undo are over. Nothing was changed.",
            hours=hours(ctx, policy_of(ctx.rules).undo_hours),
        ))])
    person = await repo.get(recruit_id)
    if person is None:
        return Done([Reply(ctx.t("Undone. The record has left the list."))])
    return Done([Reply(ctx.t(
        "Undone. {alias} is back at {stage} since {date}.",
        alias=person.alias,
        stage=stage_label(ctx, person.stage),
        date=ctx.t.date(person.since),
    ))])


FLOW = Flow(
    NAME,
    [
        ChoiceStep("undo", ask_undo, undoable, received_undo, counted=False),
        ChoiceStep(
            "undo_confirm", ask_undo_confirm, undo_confirm_choices, received_undo_confirm,
            counted=False,
        ),
    ],
    start=begin,
    recap=("cell",),
    saved_again=saved_again(N_("This step is already undone; it was not undone twice.")),
)
