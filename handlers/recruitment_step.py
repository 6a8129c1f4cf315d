"""Record a person's next step (handed over from the /phattrien menu), then offer another.

    person ─► move ─► move_date ─┬──────────────────────────► review ─► saved ─► next
                                 ├─ (vote stages) eligible ─► yes ─┤       another ─┘ │ done
                                 └─ (a decision) received ─────────┘          (person)

A vote below 2/3 is kept as a failed vote: the review says so, and saving records it while the
person stays at their stage (bot.domain.pipeline).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypedDict, cast

from bot.core.flow import (
    Answer,
    ChoiceStep,
    Ctx,
    DateStep,
    Done,
    Flow,
    Handover,
    Invalid,
    Next,
    NumberStep,
    Outcome,
    ReviewStep,
)
from bot.core.messages import Choice, Reply
from bot.domain.pipeline import (
    VOTE_STAGES,
    FailedVote,
    Move,
    Stage,
    Votes,
    alias_key,
    allowed_moves,
    check_date,
    check_eligible,
    check_move,
    eligible_voters,
    failures_pending,
    list_order,
    moves_for,
    must_report_failures,
    official_date,
    required_yes_votes,
    rules_on,
    status,
)
from bot.i18n import N_
from bot.storage.org import OrgRepository
from bot.storage.recruitment import Recruit, RecruitmentRepository, StaleRecord
from handlers.recruitment_texts import (
    DATE_QUESTIONS,
    command_name,
    deadline_text,
    error_text,
    holidays_for,
    received_lines,
    received_step,
    record_gone,
    report_failures_text,
    stage_label,
    undo_hint,
    warning_text,
)
from handlers.recruitment_view import saved_again

NAME = "recruit_step"
NEXT = "recruit_next"


class StepDraft(TypedDict, total=False):
    """What the questions have answered so far (JSON, as the conversation keeps it)."""

    cell: int  # handed over by the menu
    person: int  # the record picked
    alias: str
    batch: int  # the record's last batch when picked: another one means it changed meanwhile
    roll: dict[str, int]  # the cell's full, probationary and exempt members, for the votes
    target: str  # the Stage recorded
    move_date: str  # ISO dates
    move_received: str  # an admission decision only: the day the cell received it
    eligible: int
    yes: int


def answers(ctx: Ctx) -> StepDraft:
    return cast(StepDraft, ctx.draft)


def target_of(ctx: Ctx) -> Stage:
    return Stage(answers(ctx)["target"])


def day_of(ctx: Ctx) -> date:
    return date.fromisoformat(answers(ctx)["move_date"])


def votes_of(ctx: Ctx) -> Votes | None:
    draft = answers(ctx)
    if "yes" not in draft:
        return None
    return Votes(draft["yes"], draft["eligible"])


def step_moves(ctx: Ctx) -> tuple[Move, ...]:
    """Return the moves the step writes."""
    received = answers(ctx).get("move_received")
    day_received = date.fromisoformat(received) if received else None
    return moves_for(target_of(ctx), day_of(ctx), day_received)


async def picked(ctx: Ctx) -> Recruit | None:
    """Return the person picked in this conversation, if still in the secretary's cell."""
    person = await RecruitmentRepository(ctx.db).get(answers(ctx)["person"])
    if person is None or person.cell_id != answers(ctx)["cell"]:
        return None
    return person


async def open_people(ctx: Ctx, cell_id: int) -> list[Recruit]:
    """Return the cell's open records, overdue first, then by what is due next."""
    holidays = holidays_for(ctx)
    people = await RecruitmentRepository(ctx.db).of_cell(cell_id)
    people = [p for p in people if allowed_moves(p.stage)]
    return sorted(
        people, key=lambda p: list_order(status(p.history, ctx.today, ctx.rules, holidays))
    )


def nobody_open(ctx: Ctx) -> str:
    return ctx.t(
        "Nobody in this cell's pipeline is open for a next step. Choose 1 to add a person."
    )


async def begin(ctx: Ctx, args: str) -> Outcome:
    if not await open_people(ctx, answers(ctx)["cell"]):
        return Done([Reply(nobody_open(ctx))])
    return Next("person")


# --- person and move ------------------------------------------------------------------------


def ask_person(ctx: Ctx) -> str:
    return ctx.hint(
        N_("Whose step do you want to record? Tap the person, or type the alias."),
        N_("Whose step do you want to record? Type the person's number or alias."),
    )


@dataclass
class PersonStep(ChoiceStep):
    """A person is picked by tap, number or label, or by typing the alias alone."""

    async def receive(self, ctx: Ctx, answer: Answer) -> Outcome:
        typed = alias_key(answer.text)
        if answer.key is not None or not typed or typed.isdigit():
            return await super().receive(ctx, answer)
        people = await open_people(ctx, answers(ctx)["cell"])
        found = [p for p in people if alias_key(p.alias) == typed]  # case, diacritics aside
        if len(found) == 1:
            return await received_person(ctx, str(found[0].id))
        return Invalid(ctx.hint(
            N_("No open record goes by \"{typed}\". Please tap the person, or type the alias "
               "or the number."),
            N_("No open record goes by \"{typed}\". Please type the person's number or alias."),
            typed=answer.text.strip()))


async def person_choices(ctx: Ctx) -> list[Choice]:
    return [
        Choice(str(p.id), f"{p.alias} — {stage_label(ctx, p.stage)}")
        for p in await open_people(ctx, answers(ctx)["cell"])
    ]


async def received_person(ctx: Ctx, key: str) -> Outcome:
    person = await RecruitmentRepository(ctx.db).get(int(key))
    if person is None:
        return Invalid(ctx.t("That record is no longer in the list. Please pick another."))
    for answer in ("target", "move_date", "move_received", "yes", "eligible"):
        ctx.draft.pop(answer, None)
    draft = answers(ctx)
    draft["person"], draft["alias"], draft["batch"] = person.id, person.alias, person.last_batch
    cell = await OrgRepository(ctx.db).get(person.cell_id)
    draft["roll"] = {  # the eligible count is offered from it, and checked against it
        "full": cell.full_members if cell else 0,
        "probationary": cell.probationary_members if cell else 0,
        "exempt": cell.exempt_members if cell else 0,
    }
    # The moves on offer depend on the person's stage: ask the move again even when editing.
    return Next("move", force=True)


async def ask_move(ctx: Ctx) -> str:
    person = await picked(ctx)
    if person is None:
        return record_gone(ctx)
    return ctx.t(
        "{alias} is at: {stage} since {date}. Which step follows?",
        alias=person.alias,
        stage=stage_label(ctx, person.stage),
        date=ctx.t.date(person.since),
    )


async def move_choices(ctx: Ctx) -> list[Choice]:
    person = await picked(ctx)
    if person is None:
        return []
    return [Choice(s.value, stage_label(ctx, s)) for s in allowed_moves(person.stage)]


def received_move(ctx: Ctx, key: str) -> Outcome:
    for answer in ("move_received", "yes", "eligible"):
        ctx.draft.pop(answer, None)
    answers(ctx)["target"] = key
    return Next("move_date", force=True)


# --- dates ----------------------------------------------------------------------------------


def ask_move_date(ctx: Ctx) -> str:
    return ctx.t(DATE_QUESTIONS[target_of(ctx)], alias=answers(ctx)["alias"])


async def received_move_date(ctx: Ctx, on: date) -> Outcome:
    person = await picked(ctx)
    if person is None:
        return Invalid(record_gone(ctx))
    target = target_of(ctx)
    errors = check_date(person.history, target, on, ctx.today, person.birth, ctx.rules)
    if errors:
        return Invalid(error_text(ctx, errors[0], person.history, on, person.birth))
    answers(ctx)["move_date"] = on.isoformat()
    if target is Stage.ADMISSION_DECIDED:
        return Next("move_received", force=True)  # must not be before the (new) decision date
    if target in VOTE_STAGES and "yes" not in answers(ctx):
        return Next("eligible", force=True)
    return Next("step_review")


# --- votes: the eligible count first, so that the yes votes are checked against it ----------


def committee_vote(ctx: Ctx) -> bool:
    return target_of(ctx) is Stage.BASE_COMMITTEE_VOTE


def full_on_roll(ctx: Ctx) -> int:
    return answers(ctx)["roll"]["full"]


def ask_eligible(ctx: Ctx) -> str:
    if committee_vote(ctx):
        return ctx.t("How many members does the grassroots committee have?")
    return ctx.t(
        "How many full members were eligible to vote? Probationary members do not vote; "
        "exempt members count only if present. The roll has {full} full members, {exempt} "
        "of them exempt.",
        full=ctx.t.number(full_on_roll(ctx)),
        exempt=ctx.t.number(answers(ctx)["roll"]["exempt"]),
    )


def eligible_quick(ctx: Ctx) -> Sequence[int]:
    if committee_vote(ctx):
        return ()
    roll = answers(ctx)["roll"]
    rules = rules_on(ctx.rules, day_of(ctx))
    default = eligible_voters(roll["full"], roll["probationary"], roll["exempt"], rules)
    return (default,) if default else ()


def received_eligible(ctx: Ctx, eligible: int) -> Outcome:
    if not committee_vote(ctx) and check_eligible(eligible, full_on_roll(ctx)) is not None:
        return Invalid(
            ctx.t(
                "The roll has {full} full members, so at most {full} can be eligible (only full "
                "members vote). Please type the eligible count again; if the roll is out of date, "
                "correct it in the next meeting report.",
                full=ctx.t.number(full_on_roll(ctx)),
            )
        )
    answers(ctx)["eligible"] = eligible
    answers(ctx).pop("yes", None)
    return Next("yes", force=True)


def ask_yes(ctx: Ctx) -> str:
    eligible = ctx.t.number(answers(ctx)["eligible"])
    if committee_vote(ctx):
        return ctx.t("How many of the {eligible} committee members voted yes?", eligible=eligible)
    return ctx.t("How many of the {eligible} eligible full members voted yes?", eligible=eligible)


def received_yes(ctx: Ctx, yes: int) -> Outcome:
    eligible = answers(ctx)["eligible"]
    if yes > eligible:
        return Invalid(
            ctx.t(
                "{yes} yes votes cannot be more than {eligible} eligible members. Type the yes "
                "votes again, or choose « Back to correct the eligible count.",
                yes=ctx.t.number(yes),
                eligible=ctx.t.number(eligible),
            )
        )
    answers(ctx)["yes"] = yes
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


def failure_lines(ctx: Ctx, person: Recruit, failures: int) -> list[str]:
    """Say what a failed vote means: the person stays, and at the third the case goes up."""
    lines = [
        ctx.t(
            "{alias} stays at {stage}. Failed votes on this step so far: {count}.",
            alias=person.alias,
            stage=stage_label(ctx, person.stage),
            count=ctx.t.number(failures),
        )
    ]
    if must_report_failures(target_of(ctx), failures, rules_on(ctx.rules, day_of(ctx))):
        lines.append("⚠ " + report_failures_text(ctx, failures))
    return lines


# --- review and save ------------------------------------------------------------------------


async def step_summary(ctx: Ctx) -> str:
    person = await picked(ctx)
    if person is None:
        return record_gone(ctx)
    target, on, votes = target_of(ctx), day_of(ctx), votes_of(ctx)
    check = check_move(
        person.history, target, on, ctx.today, person.birth, ctx.rules, holidays_for(ctx), votes
    )
    lines = [
        ctx.t("Please check the step:"),
        f"{person.alias}: {stage_label(ctx, person.stage)} → {stage_label(ctx, target)}",
        ctx.t("Date of the step: {date}", date=ctx.t.date(on)),
        *received_lines(ctx, step_moves(ctx)),
    ]
    if votes is not None and check.failed_vote:
        lines.append(ctx.t("Not passed: {arithmetic}", arithmetic=vote_arithmetic(ctx, votes, on)))
        lines.append(ctx.t("Saving keeps the failed vote; the record does not move on."))
        failures = failures_pending(person.history, person.failed_votes) + 1
        lines += failure_lines(ctx, person, failures)
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
    target = target_of(ctx) if "target" in answers(ctx) else None
    if target is Stage.ADMISSION_DECIDED:
        fields.append(("move_received", ctx.t("Day the cell received the decision")))
    if target in VOTE_STAGES:
        fields += [("eligible", ctx.t("Eligible members")), ("yes", ctx.t("Yes votes"))]
    return fields


def saved_lines(ctx: Ctx, person: Recruit, moves: Sequence[Move]) -> list[str]:
    """Say what the saved step changed and what is due next."""
    history = [*person.history, *moves]
    official = official_date(history, ctx.rules)
    if official is not None:  # the decision's date is not the membership's (DOMAIN §9.2)
        return [
            ctx.t(
                "Saved: the decision of {date} confirms {alias} as a full member.",
                alias=person.alias,
                date=ctx.t.date(moves[0].on),
            ),
            ctx.t(
                "Full member as of {date}, the end of the probation.", date=ctx.t.date(official)
            ),
        ]
    lines = [
        ctx.t(
            "Saved: {alias}, {stage} since {date}.",
            alias=person.alias,
            stage=stage_label(ctx, history[-1].stage),
            date=ctx.t.date(moves[0].on),
        )
    ]
    if allowed_moves(history[-1].stage):
        deadline = status(history, ctx.today, ctx.rules, holidays_for(ctx)).deadline
        lines.append(ctx.t("Next: {deadline}", deadline=deadline_text(ctx, deadline)))
    return lines


async def save_step(ctx: Ctx) -> Outcome:
    person = await picked(ctx)
    changed = ctx.t(
        "This record was changed by someone else in the meantime. Nothing was saved; please "
        "send /{command} and start again.",
        command=command_name(ctx),
    )
    if person is None or person.last_batch != answers(ctx)["batch"]:
        return Done([Reply(changed)])
    target, on, votes = target_of(ctx), day_of(ctx), votes_of(ctx)
    check = check_move(
        person.history, target, on, ctx.today, person.birth, ctx.rules, holidays_for(ctx), votes
    )
    if not check.ok and not (check.failed_vote and votes is not None):
        return Invalid(error_text(ctx, check.errors[0], person.history, on, person.birth))
    repo = RecruitmentRepository(ctx.db)
    try:
        if votes is not None and check.failed_vote:
            vote = FailedVote(target, on, votes)
            await repo.record_failed_vote(person.id, vote, ctx.user.id, ctx.now, person.last_batch,
                                          also=ctx.ending)
            failures = failures_pending(person.history, person.failed_votes) + 1
            lines = [
                ctx.t(
                    "Kept: the vote of {date} did not pass. {arithmetic}",
                    date=ctx.t.date(on),
                    arithmetic=vote_arithmetic(ctx, votes, on),
                ),
                *failure_lines(ctx, person, failures),
            ]
        else:
            moves = step_moves(ctx)
            await repo.record(person.id, moves, ctx.user.id, ctx.now, person.last_batch, votes,
                              also=ctx.ending)
            lines = saved_lines(ctx, person, moves)
    except StaleRecord:
        return Done([Reply(changed)])
    lines.append(undo_hint(ctx))
    return Handover(NEXT, {"cell": answers(ctx)["cell"], "saved": "\n".join(lines)})


FLOW = Flow(
    NAME,
    [
        PersonStep("person", ask_person, person_choices, received_person),
        ChoiceStep("move", ask_move, move_choices, received_move),
        DateStep("move_date", ask_move_date, received_move_date),
        # Asked for some steps only: unnumbered, so "(3/4)" never jumps.
        received_step("move_received", "move_date", then="step_review"),
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
    ],
    start=begin,
    recap=("cell",),
    saved_again=saved_again(N_("This step is already saved; it was not recorded twice.")),
)


# --- after a step: another, or done ---------------------------------------------------------


def ask_next(ctx: Ctx) -> str:
    """Say what was saved (handed over by the step), then offer another step."""
    saved = str(ctx.draft.get("saved", ""))
    return f"{saved}\n\n" + ctx.t("Record another step?")


def next_choices(ctx: Ctx) -> list[Choice]:
    return [
        Choice("another", ctx.t("Record another step")),
        Choice("done", ctx.t("Done")),
    ]


def received_next(ctx: Ctx, key: str) -> Outcome:
    if key == "another":
        return Handover(NAME, {"cell": answers(ctx)["cell"]})
    return Done([Reply(ctx.t("Done. Send /{command} when there is more to record.",
                             command=command_name(ctx)))])


# Only a choice is at stake: another command simply replaces it.
NEXT_FLOW = Flow(
    NEXT,
    [ChoiceStep("after_step", ask_next, next_choices, received_next, counted=False)],
    disposable=True,
)
