"""Add a person to the cell's pipeline (handed over from the /phattrien menu).

    alias ─► birth ─► entry_stage ─► entry_date ─┬──────────────────► review ─► saved
                                                 └─ (a decision) received ┘

Only pseudonymous records are kept (DOMAIN.md §7): an alias, the birth month and year for the
age check, and dates.
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict, cast

from bot.core.flow import (
    ChoiceStep,
    Ctx,
    DateStep,
    Done,
    Flow,
    Invalid,
    Next,
    Outcome,
    ReviewStep,
    TextStep,
)
from bot.core.messages import Choice, Reply
from bot.core.parsing import parse_month_year
from bot.domain.pipeline import (
    ENTRY_STAGES,
    AliasProblem,
    Birth,
    Move,
    Stage,
    alias_problem,
    check_date,
    first_admissible_month,
    moves_for,
    policy_of,
    rules_on,
    status,
    too_young_at_entry,
    warnings_for,
)
from bot.i18n import N_
from bot.storage.recruitment import AliasInUse, RecruitmentRepository
from handlers.recruitment_texts import (
    DATE_QUESTIONS,
    deadline_text,
    error_text,
    holidays_for,
    received_lines,
    received_step,
    stage_label,
    undo_hint,
    warning_text,
)
from handlers.recruitment_view import saved_again

NAME = "recruit_add"
MAX_AGE_YEARS = 100  # a birth year further back is a typo


class EntryDraft(TypedDict, total=False):
    """What the questions have answered so far (JSON, as the conversation keeps it)."""

    cell: int  # handed over by the menu
    alias: str
    birth: list[int]  # [year, month]
    entry_stage: str  # a Stage
    entry_date: str  # ISO dates
    entry_received: str  # an admission decision only: the day the cell received it


def answers(ctx: Ctx) -> EntryDraft:
    return cast(EntryDraft, ctx.draft)


def birth_of(ctx: Ctx) -> Birth:
    year, month = answers(ctx)["birth"]
    return Birth(int(year), int(month))


def stage_of(ctx: Ctx) -> Stage:
    return Stage(answers(ctx)["entry_stage"])


def day_of(ctx: Ctx) -> date:
    return date.fromisoformat(answers(ctx)["entry_date"])


def entry_moves(ctx: Ctx) -> tuple[Move, ...]:
    """Return the moves the new record starts with."""
    received = answers(ctx).get("entry_received")
    day_received = date.fromisoformat(received) if received else None
    return moves_for(stage_of(ctx), day_of(ctx), day_received)


def begin(ctx: Ctx, args: str) -> Outcome:
    return Next("alias")


# --- alias and birth ------------------------------------------------------------------------


def ask_alias(ctx: Ctx) -> str:
    return ctx.t(
        "Type a short alias for the person, 2 to 40 characters: initials such as NVA or a "
        "nickname.\nPrivacy: no full names, no ID numbers, no family or dossier content. "
        "Only the alias, the birth month and year, and dates are kept."
    )


def alias_taken(ctx: Ctx, alias: str) -> str:
    return ctx.t(
        "{alias} is already used in this cell. Please type a different alias.", alias=alias
    )


def initials(alias: str) -> str:
    """Suggest the initials of what looks like a full name: "Nguyễn Văn An" → "NVA"."""
    return "".join(word[0] for word in alias.split()).upper()


def privacy_refusal(ctx: Ctx, alias: str, problem: AliasProblem) -> str:
    """Say politely why an alias could identify the person, and what to type instead."""
    if problem is AliasProblem.FULL_NAME:
        return ctx.t(
            "\"{alias}\" looks like a full name, and no full names are kept. Please type "
            "initials such as {initials}, or a nickname.",
            alias=alias,
            initials=initials(alias),
        )
    if problem is AliasProblem.DATE:
        return ctx.t(
            "An alias must not contain a date: with it the person could be recognised. The "
            "birth month and year are asked next. Please type initials or a nickname."
        )
    if problem is AliasProblem.NUMBER:
        return ctx.t(
            "A number alone may be an ID and says nothing to the cell. Please type initials or "
            "a nickname."
        )
    return ctx.t(
        "An alias must not contain an ID or phone number. Please type initials or a nickname."
    )


async def received_alias(ctx: Ctx, alias: str | None) -> Outcome:
    alias = alias or ""
    problem = alias_problem(alias)
    if problem is not None:
        return Invalid(privacy_refusal(ctx, alias, problem))
    if await RecruitmentRepository(ctx.db).alias_in_use(answers(ctx)["cell"], alias):
        return Invalid(alias_taken(ctx, alias))
    answers(ctx)["alias"] = alias
    return Next("birth")


def ask_birth(ctx: Ctx) -> str:
    return ctx.t(
        "Month and year of birth of {alias}, as mm/yyyy (for example 04/1995). It is only "
        "used for the age check at the cell's vote.",
        alias=answers(ctx)["alias"],
    )


def received_birth(ctx: Ctx, text: str | None) -> Outcome:
    parsed = parse_month_year(text or "")
    expected = ctx.t("Please type the month and year of birth as mm/yyyy, for example 04/1995.")
    if parsed is None:
        return Invalid(expected)
    year, month = parsed
    if (year, month) > (ctx.today.year, ctx.today.month):
        return Invalid(ctx.t("That month is in the future.") + " " + expected)
    if year < ctx.today.year - MAX_AGE_YEARS:
        return Invalid(ctx.t("Please check the year.") + " " + expected)
    answers(ctx)["birth"] = [year, month]
    return Next("entry_stage")


# --- the stage and its dates ----------------------------------------------------------------


def ask_entry_stage(ctx: Ctx) -> str:
    return ctx.t("At which stage is {alias} now?", alias=answers(ctx)["alias"])


def entry_stage_choices(ctx: Ctx) -> list[Choice]:
    return [Choice(stage.value, stage_label(ctx, stage)) for stage in ENTRY_STAGES]


def received_entry_stage(ctx: Ctx, key: str) -> Outcome:
    answers(ctx)["entry_stage"] = key
    # The date's meaning and checks depend on the stage: ask it again even when editing.
    return Next("entry_date", force=True)


def ask_entry_date(ctx: Ctx) -> str:
    return ctx.t(DATE_QUESTIONS[stage_of(ctx)], alias=answers(ctx)["alias"])


def entry_refusal(ctx: Ctx, on: date) -> str | None:
    """Return why the entry stage cannot be dated `on`, or None."""
    birth = birth_of(ctx)
    if on < date(birth.year, birth.month, 1):
        return ctx.t("That date is before the month of birth. Please type the date of the stage.")
    errors = check_date([], stage_of(ctx), on, ctx.today, birth, ctx.rules)
    return error_text(ctx, errors[0], [], on, birth) if errors else None


def received_entry_date(ctx: Ctx, on: date) -> Outcome:
    refusal = entry_refusal(ctx, on)
    if refusal is not None:
        return Invalid(refusal)
    answers(ctx)["entry_date"] = on.isoformat()
    if stage_of(ctx) is Stage.ADMISSION_DECIDED:
        return Next("entry_received", force=True)  # must not be before the (new) decision date
    answers(ctx).pop("entry_received", None)
    return Next("add_review")


# --- review and save ------------------------------------------------------------------------


def add_summary(ctx: Ctx) -> str:
    stage, on, birth = stage_of(ctx), day_of(ctx), birth_of(ctx)
    moves = list(entry_moves(ctx))
    deadline = status(moves, ctx.today, ctx.rules, holidays_for(ctx)).deadline
    lines = [
        ctx.t("Please check the new record:"),
        ctx.t("Alias: {alias}", alias=answers(ctx)["alias"]),
        ctx.t("Born: {month}", month=ctx.t.month(date(birth.year, birth.month, 1))),
        ctx.t("Stage: {stage}, since {date}", stage=stage_label(ctx, stage), date=ctx.t.date(on)),
        *received_lines(ctx, moves),
        ctx.t("Next: {deadline}", deadline=deadline_text(ctx, deadline)),
    ]
    warnings = warnings_for([], stage, on, birth, ctx.rules, holidays_for(ctx))
    lines += ["⚠ " + warning_text(ctx, w, on) for w in warnings]
    if too_young_at_entry(birth, ctx.today, policy_of(ctx.rules)):
        lines.append("⚠ " + young_warning(ctx, birth))
    return "\n".join(lines)


def young_warning(ctx: Ctx, birth: Birth) -> str:
    """Warn that someone under the policy's age cannot be admitted for years yet."""
    rules = rules_on(ctx.rules, ctx.today)
    return ctx.t(
        "{alias} is under {young}: the cell cannot vote on admitting them before {month}, when "
        "they are {adult} (counted in months).",
        alias=answers(ctx)["alias"],
        young=ctx.t.number(policy_of(ctx.rules).young_entry_years),
        adult=ctx.t.number(rules.min_age_months // 12),
        month=ctx.t.month(first_admissible_month(birth, rules)),
    )


def add_fields(ctx: Ctx) -> list[tuple[str, str]]:
    fields = [
        ("alias", ctx.t("Alias")),
        ("birth", ctx.t("Month and year of birth")),
        ("entry_stage", ctx.t("Stage")),
        ("entry_date", ctx.t("Date of the stage")),
    ]
    if stage_of(ctx) is Stage.ADMISSION_DECIDED:
        fields.append(("entry_received", ctx.t("Day the cell received the decision")))
    return fields


async def save_person(ctx: Ctx) -> Outcome:
    draft, on = answers(ctx), day_of(ctx)
    refusal = entry_refusal(ctx, on)
    if refusal is not None:
        return Invalid(refusal)
    moves = entry_moves(ctx)
    try:
        await RecruitmentRepository(ctx.db).add(
            draft["cell"], draft["alias"], birth_of(ctx), moves, ctx.user.id, ctx.now,
            also=ctx.ending,  # the conversation ends with the save
        )
    except AliasInUse:  # taken since the alias was typed
        return Invalid(
            ctx.t("{alias} is already used in this cell. Please edit the alias.",
                  alias=draft["alias"])
        )
    deadline = status(list(moves), ctx.today, ctx.rules, holidays_for(ctx)).deadline
    lines = [
        ctx.t(
            "Saved: {alias}, {stage} since {date}.",
            alias=draft["alias"],
            stage=stage_label(ctx, stage_of(ctx)),
            date=ctx.t.date(on),
        ),
        ctx.t("Next: {deadline}", deadline=deadline_text(ctx, deadline)),
        undo_hint(ctx),
    ]
    return Done([Reply("\n".join(lines))])


FLOW = Flow(
    NAME,
    [
        TextStep("alias", ask_alias, received_alias, min_length=2, max_length=40),
        TextStep("birth", ask_birth, received_birth, max_length=20),
        ChoiceStep("entry_stage", ask_entry_stage, entry_stage_choices, received_entry_stage),
        DateStep("entry_date", ask_entry_date, received_entry_date),
        received_step("entry_received", "entry_date", then="add_review"),
        ReviewStep("add_review", add_summary, add_fields, save_person),
    ],
    start=begin,
    recap=("cell",),
    saved_again=saved_again(N_("This person is already saved; they were not added twice.")),
)
