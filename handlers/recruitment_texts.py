"""Words of the recruitment conversations: stage names, date questions, deadlines, refusals.

The pipeline rules return codes (bot.domain.pipeline); this module turns them into sentences
in the user's language. The sentences several of the recruitment flows say live here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.core.flow import Ctx, DateStep, Invalid, Next, Outcome
from bot.domain.calendar import age_in_months, days_off
from bot.domain.pipeline import (
    Birth,
    Deadline,
    DeadlineKind,
    Move,
    MoveError,
    MoveWarning,
    Stage,
    ceremony_date,
    check_received,
    decision_received,
    policy_of,
    probation_end,
    rules_on,
)
from bot.i18n import N_

COMMAND_NAMES = ("phattrien", "recruit")  # /phattrien for Vietnamese users, /recruit in English

STAGE_LABELS = {
    Stage.SOURCE: N_("Candidate pool (source)"),
    Stage.SYMPATHISER: N_("Party sympathiser"),
    Stage.AWARENESS_COURSE: N_("Party awareness course"),
    Stage.DOSSIER: N_("Dossier complete"),
    Stage.CELL_VOTE_ADMIT: N_("Cell admission vote"),
    Stage.BASE_COMMITTEE_VOTE: N_("Grassroots committee vote"),
    Stage.ADMISSION_DECIDED: N_("Admission decided"),
    Stage.CEREMONY: N_("Admission ceremony"),
    Stage.PROBATION: N_("Probationary member"),
    Stage.CELL_VOTE_CONFIRM: N_("Cell confirmation vote"),
    Stage.CONFIRMED: N_("Confirmed as full member"),
    Stage.REMOVED_PROBATIONER: N_("Removed as probationer"),
    Stage.DROPPED: N_("Left the pipeline"),
}

DATE_QUESTIONS = {
    Stage.SOURCE: N_("On which date did the cell list {alias} as a candidate?"),
    Stage.SYMPATHISER: N_(
        "On which date did the cell name {alias} a sympathiser and assign a helper?"
    ),
    Stage.AWARENESS_COURSE: N_("What is the date on the awareness-course certificate of {alias}?"),
    Stage.DOSSIER: N_("On which date was the dossier of {alias} complete?"),
    Stage.CELL_VOTE_ADMIT: N_("On which date did the cell vote on admitting {alias}?"),
    Stage.BASE_COMMITTEE_VOTE: N_("On which date did the grassroots committee vote on {alias}?"),
    Stage.ADMISSION_DECIDED: N_(
        "What is the date of the committee's decision admitting {alias}? Type the date written "
        "on the decision."
    ),
    Stage.CEREMONY: N_("On which date was the admission ceremony of {alias}?"),
    # NOTE: entering a person already on probation: the probation started at the ceremony.
    Stage.PROBATION: N_(
        "On which date was the admission ceremony of {alias} (probation starts that day)?"
    ),
    Stage.CELL_VOTE_CONFIRM: N_(
        "On which date did the cell vote on confirming {alias} as a full member?"
    ),
    Stage.CONFIRMED: N_("On which date was the decision confirming {alias} as a full member?"),
    Stage.REMOVED_PROBATIONER: N_("On which date was {alias} removed as a probationary member?"),
    Stage.DROPPED: N_("On which date did {alias} leave the pipeline?"),
}


DEADLINE_TEXTS = {
    DeadlineKind.CERTIFICATE_EXPIRES: N_("certificate valid until {date}"),
    DeadlineKind.DOSSIER_STALE: N_("dossier must go to the cell's vote by {date}"),
    DeadlineKind.ADMISSION_DECISION_DUE: N_("admission decision due by {date}"),
    DeadlineKind.CEREMONY_DUE: N_("ceremony due by {date}"),
    DeadlineKind.PROBATION_ENDS: N_("probation ends on {date}"),
    DeadlineKind.CONFIRM_VOTE_DUE: N_("confirmation vote due by {date}"),
    DeadlineKind.CONFIRMATION_DECISION_DUE: N_("confirmation decision due by {date}"),
}


def months(ctx: Ctx, n: int) -> str:
    return ctx.t.plural("{n} month", "{n} months", n)


def working_days(ctx: Ctx, n: int) -> str:
    return ctx.t.plural("{n} working day", "{n} working days", n)


def hours(ctx: Ctx, n: int) -> str:
    return ctx.t.plural("{n} hour", "{n} hours", n)


def years_of_age(ctx: Ctx, n: int) -> str:
    # NOTE: an age ("17 years and 11 months old"), not a duration.
    return ctx.t.plural("{n} year", "{n} years", n)


def cancel_name(ctx: Ctx) -> str:
    return "huy" if ctx.t.locale == "vi" else "cancel"


def command_name(ctx: Ctx) -> str:
    return COMMAND_NAMES[0] if ctx.t.locale == "vi" else COMMAND_NAMES[1]


def undo_hint(ctx: Ctx) -> str:
    return ctx.t(
        "A wrong entry can be undone within {hours}: /{command}, then 4.",
        command=command_name(ctx),
        hours=hours(ctx, policy_of(ctx.rules).undo_hours),
    )


def record_gone(ctx: Ctx) -> str:
    """Say the person picked earlier is gone (undone, or moved on by another secretary)."""
    return ctx.t(
        "That record is no longer in the list. Please send /{cancel} and start again.",
        cancel=cancel_name(ctx),
    )


def received_step(name: str, decision_key: str, then: str) -> DateStep:
    """Ask the day the cell received an admission decision, after the decision's own date.

    The day is kept as `name` in the draft, checked against the date kept as `decision_key`;
    the ceremony's deadline counts from it. Asked for a decision only: unnumbered.
    """

    def ask(ctx: Ctx) -> str:
        # NOTE: asked after the decision's own date; the ceremony's deadline counts from it.
        return ctx.t(
            "On which date did the cell receive the decision on {alias}? The ceremony is due "
            "within {days} of it.",
            alias=ctx.draft["alias"],
            days=working_days(ctx, rules_on(ctx.rules, ctx.today).ceremony_working_days),
        )

    def received(ctx: Ctx, on: date) -> Outcome:
        refusal = received_refusal(ctx, date.fromisoformat(ctx.draft[decision_key]), on)
        if refusal is not None:
            return Invalid(refusal)
        ctx.draft[name] = on.isoformat()
        return Next(then)

    return DateStep(name, ask, received, counted=False)


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


def received_lines(ctx: Ctx, moves: Sequence[Move]) -> list[str]:
    """Say when the cell received an admission decision, if the moves hold one."""
    return [
        ctx.t("Received by the cell: {date}", date=ctx.t.date(m.received))
        for m in moves
        if m.received is not None
    ]


def holidays_for(ctx: Ctx) -> frozenset[date]:
    """Return the days off of the rulebook's calendar, from its first year to next year."""
    return days_off(ctx.rules.calendar, ctx.today.year + 1)


def stage_label(ctx: Ctx, stage: Stage) -> str:
    return ctx.t(STAGE_LABELS[stage])


def deadline_text(ctx: Ctx, deadline: Deadline | None) -> str:
    """Say what is due next as a phrase with its date; overdue ones say so first."""
    if deadline is None:
        return ctx.t("nothing due")
    if not deadline.overdue:
        return ctx.t(DEADLINE_TEXTS[deadline.kind], date=ctx.t.date(deadline.due))
    if deadline.kind is DeadlineKind.CERTIFICATE_EXPIRES:
        return ctx.t("OVERDUE: {what}", what=ctx.t(
            "certificate expired on {date}", date=ctx.t.date(deadline.due)
        ))
    text = ctx.t(DEADLINE_TEXTS[deadline.kind], date=ctx.t.date(deadline.due))
    if deadline.extended_to is not None:
        text = ctx.t(
            "{what} (with an extension, {date} at the latest)",
            what=text,
            date=ctx.t.date(deadline.extended_to),
        )
    return ctx.t("OVERDUE: {what}", what=text)


def error_text(
    ctx: Ctx, error: MoveError, history: Sequence[Move], on: date, birth: Birth | None = None
) -> str:
    """Turn a refusal code into a sentence that says what is expected instead."""
    rules = rules_on(ctx.rules, on)
    if error is MoveError.IN_FUTURE:
        return ctx.t(
            "{date} is in the future. Please type a date up to today.", date=ctx.t.date(on)
        )
    if error is MoveError.BEFORE_PREVIOUS:
        previous = history[-1]
        return ctx.t(
            "The previous step ({stage}) is dated {date}. Please type a date on or after it.",
            stage=stage_label(ctx, previous.stage),
            date=ctx.t.date(previous.on),
        )
    if error is MoveError.BEFORE_PROBATION_END:
        start = ceremony_date(history) or on
        end = probation_end(start, rules_on(ctx.rules, start))
        return ctx.t(
            "The probation ends on {date}; the confirmation vote must be dated on or after it.",
            date=ctx.t.date(end),
        )
    if error is MoveError.BEFORE_DECISION_RECEIVED:
        return ctx.t(
            "The cell received the admission decision on {date}; the ceremony must be on or "
            "after that day.",
            date=ctx.t.date(decision_received(history) or on),
        )
    if error is MoveError.UNDER_AGE and birth is not None:
        age = age_in_months(birth.year, birth.month, on)
        return ctx.t(
            "On {date} the person is {years} and {months} old, under the minimum of {minimum} "
            "counted in months. Please check the date or the birth month.",
            date=ctx.t.date(on),
            years=years_of_age(ctx, age // 12),
            months=months(ctx, age % 12),
            minimum=years_of_age(ctx, rules.min_age_months // 12),
        )
    if error in (MoveError.CLOSED, MoveError.NOT_ALLOWED):
        return ctx.t(
            "This step no longer fits the person's record. Please send /{cancel} and start again.",
            cancel=cancel_name(ctx),
        )
    return ctx.t("Please check the vote counts.")


def warning_text(ctx: Ctx, warning: MoveWarning, on: date) -> str:
    """Turn a warning code into a sentence; the step is still recorded."""
    rules = rules_on(ctx.rules, on)
    if warning is MoveWarning.OVER_AGE:
        return ctx.t(
            "Over {years} at the cell's vote: admission needs approval from the committee "
            "directly under the Central Committee.",
            years=ctx.t.number(rules.max_age_months // 12),
        )
    if warning is MoveWarning.CERTIFICATE_EXPIRED:
        return ctx.t(
            "The awareness-course certificate is older than {months}.",
            months=months(ctx, rules.awareness_certificate_months),
        )
    if warning is MoveWarning.DOSSIER_STALE:
        return ctx.t(
            "The dossier is older than {months}: its documents must be redone.",
            months=months(ctx, rules.dossier_stale_months),
        )
    if warning is MoveWarning.DECISION_LATE:
        return ctx.t(
            "The decision came later than {days} after the cell's vote.",
            days=working_days(ctx, rules.admission_decision_working_days),
        )
    if warning is MoveWarning.CEREMONY_LATE:
        return ctx.t(
            "The ceremony is later than {days} after the decision: report to the upper "
            "committee and get its consent.",
            days=working_days(ctx, rules.ceremony_working_days),
        )
    if warning is MoveWarning.CONFIRMATION_DECISION_LATE:
        return ctx.t(
            "The decision came later than {days} after the cell's confirmation vote; the "
            "member still counts as full from the end of the probation.",
            days=working_days(ctx, rules.confirmation_decision_working_days),
        )
    return ctx.t(
        "The confirmation vote is later than {days} after the probation ended; the member "
        "still counts as full from the end of the probation.",
        days=working_days(ctx, rules.confirm_vote_working_days),
    )


def report_failures_text(ctx: Ctx, failures: int) -> str:
    """Say that repeated failed confirmation votes go to the upper committee (§1.3)."""
    return ctx.t.plural(
        "{n} confirmation vote without the required share: the cell reports the case to the "
        "upper committee, which decides.",
        "{n} confirmation votes without the required share: the cell reports the case to the "
        "upper committee, which decides.",
        failures,
    )
