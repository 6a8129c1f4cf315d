"""/phattrien (/recruit): keep the cell's recruitment pipeline up to date from a phone.

    [cell, if several] ─► menu ─┬─ 1 add:  alias ─► birth ─► entry_stage ─► entry_date ─► review
                                ├─ 2 step: person ─► move ─► move_date ─┬───────────► review
                                │                    (vote stages) eligible ─► yes ─┤
                                │                    (a decision) received ─────────┘
                                ├─ 3 list: open records, overdue first (then the end)
                                └─ 4 undo: undo ─► undo_confirm

Only pseudonymous records are kept (DOMAIN.md §7): an alias, the birth month and year for the
age check, and dates. The rules themselves live in bot.domain.pipeline; this module asks,
translates the codes it returns, and stores through the recruitment repository.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from bot.core.commands import Command
from bot.core.flow import (
    ChoiceStep,
    Ctx,
    DateStep,
    Done,
    Flow,
    Invalid,
    Next,
    NumberStep,
    Outcome,
    ReviewStep,
    TextStep,
)
from bot.core.messages import Choice, Reply
from bot.core.parsing import parse_month_year
from bot.domain.org import Role
from bot.domain.pipeline import (
    ENTRY_STAGES,
    VOTE_STAGES,
    Birth,
    FailedVote,
    Move,
    MoveError,
    Stage,
    Votes,
    allowed_moves,
    check_date,
    check_eligible,
    check_move,
    check_received,
    eligible_voters,
    failures_pending,
    list_order,
    moves_for,
    must_report_failures,
    official_date,
    policy_of,
    required_yes_votes,
    rules_on,
    status,
    warnings_for,
)
from bot.i18n import N_
from bot.storage.org import OrgRepository
from bot.storage.recruitment import Recruit, RecruitmentRepository, StaleRecord
from handlers.common import which_cell_step, with_own_cell
from handlers.recruitment_texts import (
    DATE_QUESTIONS,
    RECEIVED_QUESTION,
    cancel_name,
    deadline_text,
    error_text,
    holidays_for,
    report_failures_text,
    stage_label,
    warning_text,
)
from handlers.recruitment_view import pipeline_lines

MAX_AGE_YEARS = 100  # a birth year further back is a typo
# A run of digits this long looks like an ID card or phone number, never an alias.
ID_LIKE = re.compile(r"\d{6,}")

MENU = {
    "add": N_("Add a person"),
    "step": N_("Record a step"),
    "list": N_("List the pipeline"),
    "undo": N_("Undo a step I recorded"),
}


# --- shared helpers -------------------------------------------------------------------------


def command_name(ctx: Ctx) -> str:
    return COMMANDS[0].name_for(ctx.t.locale)


def draft_birth(ctx: Ctx) -> Birth:
    year, month = ctx.draft["birth"]
    return Birth(int(year), int(month))


def draft_day(ctx: Ctx, key: str) -> date:
    return date.fromisoformat(ctx.draft[key])


def repository(ctx: Ctx) -> RecruitmentRepository:
    return RecruitmentRepository(ctx.db)


async def draft_person(ctx: Ctx) -> Recruit | None:
    """Return the person picked in this conversation, if still in the secretary's cell."""
    person = await repository(ctx).get(int(ctx.draft["person"]))
    if person is None or person.cell_id != ctx.draft["cell"]:
        return None
    return person


# --- start, cell and menu -------------------------------------------------------------------


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
    # A new pass through the menu starts from a clean draft (the cell stays).
    for stale in list(ctx.draft):
        if stale != "cell":
            ctx.draft.pop(stale)
    if key == "add":
        return Next("alias")
    if key == "list":
        return Done([Reply(await pipeline_list(ctx))])
    if key == "step":
        if not await open_people(ctx):
            return Invalid(
                ctx.t(
                    "Nobody in this cell's pipeline is open for a next step. "
                    "Choose 1 to add a person."
                )
            )
        return Next("person")
    if not await undoable(ctx):
        return Invalid(
            ctx.t(
                "You have recorded nothing in the last {hours} hours that can still be undone.",
                hours=ctx.t.number(policy_of(ctx.rules).undo_hours),
            )
        )
    return Next("undo")


# --- 1: add a person ------------------------------------------------------------------------


def ask_alias(ctx: Ctx) -> str:
    return ctx.t(
        "Type a short alias for the person, 2 to 40 characters: initials such as NVA or a "
        "nickname.\nPrivacy: no full names, no ID numbers, no family or dossier content. "
        "Only the alias, the birth month and year, and dates are kept."
    )


async def received_alias(ctx: Ctx, alias: str | None) -> Outcome:
    alias = alias or ""
    if ID_LIKE.search(alias):
        return Invalid(
            ctx.t(
                "An alias must not contain an ID or phone number. Please type initials or a "
                "nickname."
            )
        )
    if await repository(ctx).alias_in_use(ctx.draft["cell"], alias):
        return Invalid(
            ctx.t(
                "{alias} is already used in this cell. Please type a different alias.", alias=alias
            )
        )
    ctx.draft["alias"] = alias
    return Next("birth")


def ask_birth(ctx: Ctx) -> str:
    return ctx.t(
        "Month and year of birth of {alias}, as mm/yyyy (for example 04/1995). It is only "
        "used for the age check at the cell's vote.",
        alias=ctx.draft["alias"],
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
    ctx.draft["birth"] = [year, month]
    return Next("entry_stage")


def ask_entry_stage(ctx: Ctx) -> str:
    return ctx.t("At which stage is {alias} now?", alias=ctx.draft["alias"])


def entry_stage_choices(ctx: Ctx) -> list[Choice]:
    return [Choice(stage.value, stage_label(ctx, stage)) for stage in ENTRY_STAGES]


def received_entry_stage(ctx: Ctx, key: str) -> Outcome:
    ctx.draft["entry_stage"] = key
    # The date's meaning and checks depend on the stage: ask it again even when editing.
    return Next("entry_date", force=True)


def ask_entry_date(ctx: Ctx) -> str:
    stage = Stage(ctx.draft["entry_stage"])
    return ctx.t(DATE_QUESTIONS[stage], alias=ctx.draft["alias"])


def entry_refusal(ctx: Ctx, on: date) -> str | None:
    """Return why the entry stage cannot be dated `on`, or None."""
    stage, birth = Stage(ctx.draft["entry_stage"]), draft_birth(ctx)
    if on < date(birth.year, birth.month, 1):
        return ctx.t("That date is before the month of birth. Please type the date of the stage.")
    errors = check_date([], stage, on, ctx.today, birth, ctx.rules)
    return error_text(ctx, errors[0], [], on, birth) if errors else None


def received_entry_date(ctx: Ctx, on: date) -> Outcome:
    refusal = entry_refusal(ctx, on)
    if refusal is not None:
        return Invalid(refusal)
    ctx.draft["entry_date"] = on.isoformat()
    if Stage(ctx.draft["entry_stage"]) is Stage.ADMISSION_DECIDED:
        return Next("entry_received", force=True)  # must not be before the (new) decision date
    ctx.draft.pop("entry_received", None)
    return Next("add_review")


def ask_received(ctx: Ctx) -> str:
    return ctx.t(
        RECEIVED_QUESTION,
        alias=ctx.draft["alias"],
        days=ctx.t.number(rules_on(ctx.rules, ctx.today).ceremony_working_days),
    )


def received_refusal(ctx: Ctx, decision: date, received: date) -> str | None:
    """Return why the cell cannot have received a decision dated `decision` on `received`."""
    error = check_received(decision, received, ctx.today)
    if error is None:
        return None
    if error is MoveError.IN_FUTURE:
        return error_text(ctx, error, [], received)
    return ctx.t(
        "The decision is dated {date}; the cell cannot have received it earlier. Please type "
        "the day it arrived.",
        date=ctx.t.date(decision),
    )


def received_entry_received(ctx: Ctx, on: date) -> Outcome:
    refusal = received_refusal(ctx, draft_day(ctx, "entry_date"), on)
    if refusal is not None:
        return Invalid(refusal)
    ctx.draft["entry_received"] = on.isoformat()
    return Next("add_review")


def entry_moves(ctx: Ctx) -> tuple[Move, ...]:
    """Return the moves the new record starts with, from the draft."""
    received = ctx.draft.get("entry_received")
    return moves_for(
        Stage(ctx.draft["entry_stage"]),
        draft_day(ctx, "entry_date"),
        date.fromisoformat(received) if received else None,
    )


def add_summary(ctx: Ctx) -> str:
    stage, on, birth = (
        Stage(ctx.draft["entry_stage"]),
        draft_day(ctx, "entry_date"),
        draft_birth(ctx),
    )
    moves = list(entry_moves(ctx))
    lines = [
        ctx.t("Please check the new record:"),
        ctx.t("Alias: {alias}", alias=ctx.draft["alias"]),
        ctx.t("Born: {month}", month=ctx.t.month(date(birth.year, birth.month, 1))),
        ctx.t("Stage: {stage}, since {date}", stage=stage_label(ctx, stage), date=ctx.t.date(on)),
        *received_lines(ctx, moves),
        ctx.t(
            "Next: {deadline}",
            deadline=deadline_text(
                ctx, status(moves, ctx.today, ctx.rules, holidays_for(ctx)).deadline
            ),
        ),
    ]
    warnings = warnings_for([], stage, on, birth, ctx.rules, holidays_for(ctx))
    lines += ["⚠ " + warning_text(ctx, w, on) for w in warnings]
    return "\n".join(lines)


def received_lines(ctx: Ctx, moves: Sequence[Move]) -> list[str]:
    """Say when the cell received an admission decision, if the moves hold one."""
    return [
        ctx.t("Received by the cell: {date}", date=ctx.t.date(m.received))
        for m in moves
        if m.received is not None
    ]


def add_fields(ctx: Ctx) -> list[tuple[str, str]]:
    return [
        ("alias", ctx.t("Alias")),
        ("birth", ctx.t("Month and year of birth")),
        ("entry_stage", ctx.t("Stage")),
        ("entry_date", ctx.t("Date of the stage")),
        *(
            [("entry_received", ctx.t("Day the cell received the decision"))]
            if Stage(ctx.draft["entry_stage"]) is Stage.ADMISSION_DECIDED
            else []
        ),
    ]


async def save_person(ctx: Ctx) -> Outcome:
    alias, on = ctx.draft["alias"], draft_day(ctx, "entry_date")
    refusal = entry_refusal(ctx, on)
    if refusal is not None:
        return Invalid(refusal)
    repo = repository(ctx)
    if await repo.alias_in_use(ctx.draft["cell"], alias):
        return Invalid(
            ctx.t("{alias} is already used in this cell. Please edit the alias.", alias=alias)
        )
    stage = Stage(ctx.draft["entry_stage"])
    moves = entry_moves(ctx)
    await repo.add(ctx.draft["cell"], alias, draft_birth(ctx), moves, ctx.user.id, ctx.now)
    deadline = status(list(moves), ctx.today, ctx.rules, holidays_for(ctx)).deadline
    lines = [
        ctx.t(
            "Saved: {alias}, {stage} since {date}.",
            alias=alias,
            stage=stage_label(ctx, stage),
            date=ctx.t.date(on),
        ),
        ctx.t("Next: {deadline}", deadline=deadline_text(ctx, deadline)),
        undo_hint(ctx),
    ]
    return Done([Reply("\n".join(lines))])


def undo_hint(ctx: Ctx) -> str:
    return ctx.t(
        "A wrong entry can be undone within {hours} hours: /{command}, then 4.",
        command=command_name(ctx),
        hours=ctx.t.number(policy_of(ctx.rules).undo_hours),
    )


# --- 2: record a step -----------------------------------------------------------------------


async def open_people(ctx: Ctx) -> list[Recruit]:
    """Return the cell's open records, overdue first, then by what is due next."""
    holidays = holidays_for(ctx)
    people = [
        p for p in await repository(ctx).of_cell(ctx.draft["cell"]) if allowed_moves(p.stage)
    ]
    return sorted(
        people, key=lambda p: list_order(status(p.history, ctx.today, ctx.rules, holidays))
    )


def ask_person(ctx: Ctx) -> str:
    return ctx.t("Whose step do you want to record?")


async def person_choices(ctx: Ctx) -> list[Choice]:
    return [
        Choice(str(p.id), f"{p.alias} — {stage_label(ctx, p.stage)}")
        for p in await open_people(ctx)
    ]


async def received_person(ctx: Ctx, key: str) -> Outcome:
    person = await repository(ctx).get(int(key))
    if person is None:
        return Invalid(ctx.t("That record is no longer in the list. Please pick another."))
    for answer in ("target", "move_date", "move_received", "yes", "eligible"):
        ctx.draft.pop(answer, None)
    ctx.draft["person"] = person.id
    ctx.draft["alias"] = person.alias
    ctx.draft["batch"] = person.last_batch
    cell = await OrgRepository(ctx.db).get(person.cell_id)
    ctx.draft["roll"] = {  # the eligible count is offered from it, and checked against it
        "full": cell.full_members if cell else 0,
        "probationary": cell.probationary_members if cell else 0,
        "exempt": cell.exempt_members if cell else 0,
    }
    # The moves on offer depend on the person's stage: ask the move again even when editing.
    return Next("move", force=True)


def record_gone(ctx: Ctx) -> str:
    """Say the person picked earlier is gone (undone, or moved on by another secretary)."""
    return ctx.t(
        "That record is no longer in the list. Please send /{cancel} and start again.",
        cancel=cancel_name(ctx),
    )


async def ask_move(ctx: Ctx) -> str:
    person = await draft_person(ctx)
    if person is None:
        return record_gone(ctx)
    return ctx.t(
        "{alias} is at: {stage} since {date}. Which step follows?",
        alias=person.alias,
        stage=stage_label(ctx, person.stage),
        date=ctx.t.date(person.since),
    )


async def move_choices(ctx: Ctx) -> list[Choice]:
    person = await draft_person(ctx)
    if person is None:
        return []
    return [Choice(s.value, stage_label(ctx, s)) for s in allowed_moves(person.stage)]


def received_move(ctx: Ctx, key: str) -> Outcome:
    ctx.draft["target"] = key
    for answer in ("move_received", "yes", "eligible"):
        ctx.draft.pop(answer, None)
    return Next("move_date", force=True)


def ask_move_date(ctx: Ctx) -> str:
    return ctx.t(DATE_QUESTIONS[Stage(ctx.draft["target"])], alias=ctx.draft["alias"])


async def received_move_date(ctx: Ctx, on: date) -> Outcome:
    person = await draft_person(ctx)
    if person is None:
        return Invalid(record_gone(ctx))
    target = Stage(ctx.draft["target"])
    errors = check_date(person.history, target, on, ctx.today, person.birth, ctx.rules)
    if errors:
        return Invalid(error_text(ctx, errors[0], person.history, on, person.birth))
    ctx.draft["move_date"] = on.isoformat()
    if target is Stage.ADMISSION_DECIDED:
        return Next("move_received", force=True)  # must not be before the (new) decision date
    if target in VOTE_STAGES and "yes" not in ctx.draft:
        return Next("eligible", force=True)
    return Next("step_review")


def received_move_received(ctx: Ctx, on: date) -> Outcome:
    refusal = received_refusal(ctx, draft_day(ctx, "move_date"), on)
    if refusal is not None:
        return Invalid(refusal)
    ctx.draft["move_received"] = on.isoformat()
    return Next("step_review")


def committee_vote(ctx: Ctx) -> bool:
    return Stage(ctx.draft["target"]) is Stage.BASE_COMMITTEE_VOTE


def draft_roll_full(ctx: Ctx) -> int:
    return int(ctx.draft["roll"]["full"])


def ask_eligible(ctx: Ctx) -> str:
    if committee_vote(ctx):
        return ctx.t("How many members does the grassroots committee have?")
    return ctx.t(
        "How many full members were eligible to vote? Probationary members do not vote; "
        "exempt members count only if present. The roll has {full} full members, {exempt} "
        "of them exempt.",
        full=ctx.t.number(draft_roll_full(ctx)),
        exempt=ctx.t.number(int(ctx.draft["roll"]["exempt"])),
    )


def eligible_quick(ctx: Ctx) -> Sequence[int]:
    if committee_vote(ctx):
        return ()
    roll = ctx.draft["roll"]
    rules = rules_on(ctx.rules, draft_day(ctx, "move_date"))
    default = eligible_voters(roll["full"], roll["probationary"], roll["exempt"], rules)
    return (default,) if default else ()


def received_eligible(ctx: Ctx, eligible: int) -> Outcome:
    if not committee_vote(ctx) and check_eligible(eligible, draft_roll_full(ctx)) is not None:
        return Invalid(
            ctx.t(
                "The roll has {full} full members, so at most {full} can be eligible (only full "
                "members vote). Please type the eligible count again; if the roll is out of date, "
                "correct it in the next meeting report.",
                full=ctx.t.number(draft_roll_full(ctx)),
            )
        )
    ctx.draft["eligible"] = eligible
    ctx.draft.pop("yes", None)
    return Next("yes", force=True)


def ask_yes(ctx: Ctx) -> str:
    eligible = ctx.t.number(int(ctx.draft["eligible"]))
    if committee_vote(ctx):
        return ctx.t(
            "How many of the {eligible} committee members voted yes?", eligible=eligible
        )
    return ctx.t("How many of the {eligible} eligible full members voted yes?", eligible=eligible)


def received_yes(ctx: Ctx, yes: int) -> Outcome:
    eligible = int(ctx.draft["eligible"])
    if yes > eligible:
        return Invalid(
            ctx.t(
                "{yes} yes votes cannot be more than {eligible} eligible members. Type the yes "
                "votes again, or tap « Back to correct the eligible count.",
                yes=ctx.t.number(yes),
                eligible=ctx.t.number(eligible),
            )
        )
    ctx.draft["yes"] = yes
    return Next("step_review")


def vote_arithmetic(ctx: Ctx, votes: Votes, on: date) -> str:
    """Show the yes votes a vote needs, with the arithmetic."""
    rules = rules_on(ctx.rules, on)
    exact = votes.eligible * rules.vote_share_numerator / rules.vote_share_denominator
    return ctx.t(
        "{yes} yes of {eligible} eligible; at least {numerator}/{denominator} are needed: "
        "{numerator} × {eligible} ÷ {denominator} = {exact}, rounded up to {required}.",
        yes=ctx.t.number(votes.yes),
        eligible=ctx.t.number(votes.eligible),
        numerator=ctx.t.number(rules.vote_share_numerator),
        denominator=ctx.t.number(rules.vote_share_denominator),
        exact=ctx.t.number(round(exact, 2)),
        required=ctx.t.number(required_yes_votes(votes.eligible, rules)),
    )


def draft_votes(ctx: Ctx) -> Votes | None:
    if "yes" not in ctx.draft:
        return None
    return Votes(int(ctx.draft["yes"]), int(ctx.draft["eligible"]))


def draft_moves(ctx: Ctx) -> tuple[Move, ...]:
    """Return the moves the step writes, from the draft."""
    received = ctx.draft.get("move_received")
    return moves_for(
        Stage(ctx.draft["target"]),
        draft_day(ctx, "move_date"),
        date.fromisoformat(received) if received else None,
    )


def failure_lines(ctx: Ctx, person: Recruit, target: Stage, failures: int) -> list[str]:
    """Say what a failed vote means: the person stays, and at the third the case goes up."""
    lines = [
        ctx.t(
            "{alias} stays at {stage}. Failed votes on this step so far: {count}.",
            alias=person.alias,
            stage=stage_label(ctx, person.stage),
            count=ctx.t.number(failures),
        )
    ]
    rules = rules_on(ctx.rules, draft_day(ctx, "move_date"))
    if must_report_failures(target, failures, rules):
        lines.append("⚠ " + report_failures_text(ctx, failures))
    return lines


async def step_summary(ctx: Ctx) -> str:
    person = await draft_person(ctx)
    if person is None:
        return record_gone(ctx)
    target, on = Stage(ctx.draft["target"]), draft_day(ctx, "move_date")
    votes = draft_votes(ctx)
    check = check_move(
        person.history, target, on, ctx.today, person.birth, ctx.rules, holidays_for(ctx), votes
    )
    lines = [
        ctx.t("Please check the step:"),
        f"{person.alias}: {stage_label(ctx, person.stage)} → {stage_label(ctx, target)}",
        ctx.t("Date of the step: {date}", date=ctx.t.date(on)),
        *received_lines(ctx, draft_moves(ctx)),
    ]
    if votes is not None and check.failed_vote:
        lines.append(ctx.t("Not passed: {arithmetic}", arithmetic=vote_arithmetic(ctx, votes, on)))
        lines.append(ctx.t("Saving keeps the failed vote; the record does not move on."))
        failures = failures_pending(person.history, person.failed_votes) + 1
        lines += failure_lines(ctx, person, target, failures)
    elif votes is not None:
        required = required_yes_votes(votes.eligible, rules_on(ctx.rules, on))
        lines.append(
            ctx.t(
                "Votes: {yes} yes of {eligible} eligible (at least {required} needed)",
                yes=ctx.t.number(votes.yes),
                eligible=ctx.t.number(votes.eligible),
                required=ctx.t.number(required),
            )
        )
    if target is Stage.CEREMONY:
        lines.append(ctx.t("The probation starts the same day."))
    lines += ["⚠ " + warning_text(ctx, w, on) for w in check.warnings]
    return "\n".join(lines)


def step_fields(ctx: Ctx) -> list[tuple[str, str]]:
    fields = [
        ("person", ctx.t("Person")),
        ("move", ctx.t("Step")),
        ("move_date", ctx.t("Date of the step")),
    ]
    target = Stage(ctx.draft.get("target", Stage.SOURCE))
    if target is Stage.ADMISSION_DECIDED:
        fields.append(("move_received", ctx.t("Day the cell received the decision")))
    if target in VOTE_STAGES:
        fields += [("eligible", ctx.t("Eligible members")), ("yes", ctx.t("Yes votes"))]
    return fields


async def save_step(ctx: Ctx) -> Outcome:
    person = await draft_person(ctx)
    changed = ctx.t(
        "This record was changed by someone else in the meantime. Nothing was saved; please "
        "send /{command} and start again.",
        command=command_name(ctx),
    )
    if person is None or person.last_batch != ctx.draft["batch"]:
        return Done([Reply(changed)])
    target, on = Stage(ctx.draft["target"]), draft_day(ctx, "move_date")
    holidays = holidays_for(ctx)
    votes = draft_votes(ctx)
    check = check_move(
        person.history, target, on, ctx.today, person.birth, ctx.rules, holidays, votes
    )
    if check.failed_vote and votes is not None:
        try:
            await repository(ctx).record_failed_vote(
                person.id, FailedVote(target, on, votes), ctx.user.id, ctx.now, person.last_batch
            )
        except StaleRecord:
            return Done([Reply(changed)])
        failures = failures_pending(person.history, person.failed_votes) + 1
        lines = [
            ctx.t(
                "Kept: the vote of {date} did not pass ({arithmetic})",
                date=ctx.t.date(on),
                arithmetic=vote_arithmetic(ctx, votes, on),
            ),
            *failure_lines(ctx, person, target, failures),
            undo_hint(ctx),
        ]
        return Done([Reply("\n".join(lines))])
    if not check.ok:
        return Invalid(error_text(ctx, check.errors[0], person.history, on, person.birth))
    moves = draft_moves(ctx)
    try:
        await repository(ctx).record(
            person.id,
            moves,
            ctx.user.id,
            ctx.now,
            expected_batch=person.last_batch,
            votes=votes,
        )
    except StaleRecord:
        return Done([Reply(changed)])
    history = [*person.history, *moves]
    official = official_date(history, ctx.rules)
    if official is not None:  # the decision's date is not the membership's (DOMAIN §9.2)
        lines = [
            ctx.t(
                "Saved: the decision of {date} confirms {alias} as a full member.",
                alias=person.alias,
                date=ctx.t.date(on),
            ),
            ctx.t(
                "Full member as of {date}, the end of the probation.",
                date=ctx.t.date(official),
            ),
        ]
    else:
        lines = [
            ctx.t(
                "Saved: {alias}, {stage} since {date}.",
                alias=person.alias,
                stage=stage_label(ctx, history[-1].stage),
                date=ctx.t.date(on),
            )
        ]
        if allowed_moves(history[-1].stage):
            deadline = status(history, ctx.today, ctx.rules, holidays).deadline
            lines.append(ctx.t("Next: {deadline}", deadline=deadline_text(ctx, deadline)))
    lines.append(undo_hint(ctx))
    return Done([Reply("\n".join(lines))])


# --- 3: list --------------------------------------------------------------------------------


async def pipeline_list(ctx: Ctx) -> str:
    people, lines = await pipeline_lines(ctx, ctx.draft["cell"])
    if not lines:
        return ctx.t(
            "Nobody is in this cell's pipeline yet. Send /{command} and choose 1 to add a person.",
            command=command_name(ctx),
        )
    closed = len(people) - len(lines)
    text = ctx.t("Recruitment pipeline (overdue first):") + "\n" + "\n".join(lines)
    if closed:
        text += "\n" + ctx.t(
            "Closed records (confirmed or left): {count}", count=ctx.t.number(closed)
        )
    return text


# --- 4: undo --------------------------------------------------------------------------------


async def undoable(ctx: Ctx) -> list[Choice]:
    """Return the user's own recent last steps in this cell, newest first, as choices."""
    hours = policy_of(ctx.rules).undo_hours
    repo = repository(ctx)
    mine = {p.id for p in await repo.of_cell(ctx.draft["cell"])}
    choices = []
    for batch in await repo.undoable(ctx.user.id, ctx.now - timedelta(hours=hours)):
        if batch.recruit_id not in mine:
            continue
        stages = " + ".join(stage_label(ctx, s) for s in batch.stages)
        label = f"{batch.alias}: {stages} ({ctx.t.date(batch.on)})"
        if batch.failed:
            label = ctx.t(
                "{alias}: {stage}, not passed ({date})",
                alias=batch.alias,
                stage=stages,
                date=ctx.t.date(batch.on),
            )
        if batch.adds_person:
            label = ctx.t(
                "{alias}: added ({stages}, {date})",
                alias=batch.alias,
                stages=stages,
                date=ctx.t.date(batch.on),
            )
        choices.append(Choice(f"{batch.recruit_id}.{batch.batch}", label))
    return choices


def ask_undo(ctx: Ctx) -> str:
    return ctx.t("Which step do you want to undo?")


def received_undo(ctx: Ctx, key: str) -> Outcome:
    ctx.draft["undo"] = key
    return Next("undo_confirm")


async def ask_undo_confirm(ctx: Ctx) -> str:
    recruit_id, batch = (int(part) for part in ctx.draft["undo"].split("."))
    person = await repository(ctx).get(recruit_id)
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
    recruit_id, batch = (int(part) for part in ctx.draft["undo"].split("."))
    hours = policy_of(ctx.rules).undo_hours
    repo = repository(ctx)
    undone = await repo.undo(
        recruit_id, batch, ctx.user.id, ctx.now, ctx.now - timedelta(hours=hours)
    )
    if not undone:
        return Done(
            [
                Reply(
                    ctx.t(
                        "That step can no longer be undone: a later step was recorded, or more "
                        "than {hours} hours have passed. Nothing was changed.",
                        hours=ctx.t.number(hours),
                    )
                )
            ]
        )
    person = await repo.get(recruit_id)
    if person is None:
        return Done([Reply(ctx.t("Undone. The record has left the list."))])
    return Done(
        [
            Reply(
                ctx.t(
                    "Undone. {alias} is back at {stage} since {date}.",
                    alias=person.alias,
                    stage=stage_label(ctx, person.stage),
                    date=ctx.t.date(person.since),
                )
            )
        ]
    )


# --- the standing's section -----------------------------------------------------------------


# --- the flow -------------------------------------------------------------------------------


FLOW = Flow(
    "recruit",
    [
        which_cell_step(use_cell),
        ChoiceStep("menu", ask_menu, menu_choices, received_menu, counted=False),
        TextStep("alias", ask_alias, received_alias, min_length=2, max_length=40),
        TextStep("birth", ask_birth, received_birth, max_length=20),
        ChoiceStep(
            "entry_stage",
            ask_entry_stage,
            entry_stage_choices,
            received_entry_stage,
        ),
        DateStep("entry_date", ask_entry_date, received_entry_date),
        # Asked for an admission decision only: unnumbered, so "(4/5)" never jumps.
        DateStep("entry_received", ask_received, received_entry_received, counted=False),
        ReviewStep("add_review", add_summary, add_fields, save_person),
        ChoiceStep("person", ask_person, person_choices, received_person),
        ChoiceStep("move", ask_move, move_choices, received_move),
        DateStep("move_date", ask_move_date, received_move_date),
        # Asked for some steps only: unnumbered, so "(3/4)" never jumps.
        DateStep("move_received", ask_received, received_move_received, counted=False),
        NumberStep(
            "eligible",
            ask_eligible,
            lambda ctx: (1, 9999),
            received_eligible,
            quick=eligible_quick,
            counted=False,
        ),
        NumberStep("yes", ask_yes, lambda ctx: (0, 9999), received_yes, counted=False),
        ReviewStep("step_review", step_summary, step_fields, save_step),
        ChoiceStep("undo", ask_undo, undoable, received_undo, counted=False),
        ChoiceStep(
            "undo_confirm",
            ask_undo_confirm,
            undo_confirm_choices,
            received_undo_confirm,
            counted=False,
        ),
    ],
    start=begin,
    branches=[
        ["alias", "birth", "entry_stage", "entry_date", "entry_received", "add_review"],
        ["person", "move", "move_date", "move_received", "step_review"],
    ],
)

COMMANDS = [
    Command(
        ("phattrien", "recruit"),
        N_("Recruitment: add a person, record a step, list"),
        roles=frozenset({Role.SECRETARY}),
        flow=FLOW,
    ),
]
