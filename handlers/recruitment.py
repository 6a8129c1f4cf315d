"""/phattrien (/recruit): keep the cell's recruitment pipeline up to date from a phone.

    [cell, if several] ─► menu ─┬─ 1 add  ─► recruitment_add   (its own flow)
                                ├─ 2 step ─► recruitment_step  ─► another step, or done
                                ├─ 3 list: open records, overdue first (then the end)
                                └─ 4 undo ─► recruitment_undo

The menu hands the chosen cell over to the flow of each task (bot.core.flow.Handover); each
task numbers its own questions. The rules themselves live in bot.domain.pipeline; these modules
ask, translate the codes they return, and store through the recruitment repository.
"""

from __future__ import annotations

from bot.core.commands import Command
from bot.core.flow import ChoiceStep, Ctx, Done, Flow, Handover, Invalid, Next, Outcome
from bot.core.messages import Choice, Reply
from bot.domain.org import Role
from bot.i18n import N_
from bot.storage.org import OrgRepository
from handlers import recruitment_add, recruitment_step, recruitment_undo
from handlers.common import which_cell_step, with_own_cell
from handlers.recruitment_texts import COMMAND_NAMES
from handlers.recruitment_view import pipeline_text

MENU = {
    "add": N_("Add a person"),
    "step": N_("Record a step"),
    "list": N_("List the pipeline"),
    "undo": N_("Undo a step I recorded"),
}


async def begin(ctx: Ctx, args: str) -> Outcome:
    return await with_own_cell(ctx, use_cell, lambda ctx: Invalid(
        ctx.t("This command is for cell secretaries.")))


def use_cell(ctx: Ctx, cell_id: int) -> Outcome:
    ctx.draft["cell"] = cell_id
    return Next("menu")


async def ask_menu(ctx: Ctx) -> str:
    cell = await OrgRepository(ctx.db).get(ctx.draft["cell"])
    return ctx.t("Recruitment of {cell}. What do you want to do?", cell=cell.name if cell else "")


def menu_choices(ctx: Ctx) -> list[Choice]:
    return [Choice(key, ctx.t(label)) for key, label in MENU.items()]


async def received_menu(ctx: Ctx, key: str) -> Outcome:
    cell = {"cell": ctx.draft["cell"]}
    if key == "add":
        return Handover(recruitment_add.NAME, cell)
    if key == "list":
        return Done([Reply(await pipeline_text(ctx, ctx.draft["cell"]))])
    # Said here, so that the menu stays for another choice.
    if key == "step":
        if not await recruitment_step.open_people(ctx, ctx.draft["cell"]):
            return Invalid(recruitment_step.nobody_open(ctx))
        return Handover(recruitment_step.NAME, cell)
    if not await recruitment_undo.undoable(ctx):
        return Invalid(recruitment_undo.nothing_to_undo(ctx))
    return Handover(recruitment_undo.NAME, cell)


# A mere choice of cell and task: another command simply replaces it.
FLOW = Flow(
    "recruit",
    [
        which_cell_step(use_cell),
        ChoiceStep("menu", ask_menu, menu_choices, received_menu, counted=False),
    ],
    start=begin,
    disposable=True,
)

# The flows the menu (and a recorded step) hand over to.
HANDED_OVER = [
    recruitment_add.FLOW,
    recruitment_step.FLOW,
    recruitment_step.NEXT_FLOW,
    recruitment_undo.FLOW,
]

COMMANDS = [
    Command(
        COMMAND_NAMES,
        N_("Recruitment: add a person, record a step, list"),
        roles=frozenset({Role.SECRETARY}),
        flow=FLOW,
    ),
]
