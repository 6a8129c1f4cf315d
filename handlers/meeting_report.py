"""/baocao (/report): a secretary reports a cell meeting, then sees the cell's standing.

    [cell]* ─► date ─► kind ─► [replace]† ─► [topic]‡ ─► minutes ─► present ⇄ [roll…]
      ─► [excused]§ ─► guest ─► [previous tasks]# ─► resolution ─► [tasks ─► dissemination]¶
      ─► note ─► review
    review: Save ─► (month taken and not confirmed: replace) ─► saved + what changed
            Edit ─► one field ─► review          Cancel ─► nothing saved

    * only for the secretary of several cells    † the month already has a regular report
    ‡ thematic or combined only                  § only when someone was absent
    # only when last month's regular report had concrete tasks
    ¶ only when the resolution was adopted

Steps in brackets are not counted in the "(n/m)" position, so the count never jumps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.core.commands import Command
from bot.core.flow import (
    SKIP,
    Answer,
    ChoiceStep,
    Ctx,
    DateStep,
    Done,
    Flow,
    Invalid,
    MultiChoiceStep,
    Next,
    NumberStep,
    Outcome,
    ReviewStep,
    TextStep,
)
from bot.core.matching import fold
from bot.core.messages import Choice, Reply
from bot.core.parsing import parse_minutes, typed_example
from bot.domain.meetings import (
    MASS_ORGANISATIONS,
    MAX_MINUTES,
    MAX_NOTE_CHARS,
    MAX_ROLL,
    MAX_TASKS,
    MAX_TOPIC_CHARS,
    MIN_MINUTES,
    MIN_TOPIC_CHARS,
    Dissemination,
    MeetingKind,
    MeetingReport,
    ReportError,
    Roll,
    check_date,
    check_roll,
    check_topic,
    evaluate,
    is_regular,
    kind_is_regular,
    max_report_age_days,
    needs_topic,
    parse_targets,
    validate,
)
from bot.domain.org import Role
from bot.domain.standing import Share
from bot.i18n import N_
from bot.storage.meetings import MeetingRepository, MonthAlreadyReported
from bot.storage.org import OrgRepository
from handlers.common import which_cell_step, with_own_cell
from handlers.privacy import check_names, name_step
from handlers.recruitment_roll import roll_news
from handlers.standing import (
    KIND_LABELS,
    TARGET_LABELS,
    attendance_flags,
    dissemination_flags,
    duration_flags,
    saved_text,
    share_text,
    standing_text,
    yes_no_text,
)

ROLL_STEPS = ("roll_full", "roll_probationary", "roll_exempt")
# Typed ways to reach the roll correction at the attendance question ("sửa", "correct"…).
ROLL_WORDS = ("sua", "correct", "roll", "danh sach")
# NOTE: the word a secretary types to correct the roll; it must start like one of ROLL_WORDS.
ROLL_WORD = N_("correct")


# The draft, read back as values -------------------------------------------------------------


def roll_of(ctx: Ctx) -> Roll:
    """Return the roll in the draft: the cell's, or as the secretary corrected it."""
    roll = ctx.draft["roll"]
    return Roll(roll["full"], roll["probationary"], roll["exempt"])


def held_on(ctx: Ctx) -> date:
    return date.fromisoformat(ctx.draft["held_on"])


def kind_of(ctx: Ctx) -> MeetingKind:
    return MeetingKind(ctx.draft["kind"])


def draft_report(ctx: Ctx) -> MeetingReport:
    """Build the report from a complete draft."""
    d = ctx.draft
    expected = roll_of(ctx).expected
    present = int(d["present"])
    adopted = bool(d["adopted"])
    done = d.get("previous_done") if d.get("previous_total") else None
    return MeetingReport(
        cell_id=int(d["cell_id"]),
        held_on=held_on(ctx),
        kind=kind_of(ctx),
        topic=d.get("topic") if needs_topic(kind_of(ctx)) else None,
        minutes=int(d["minutes"]),
        expected=expected,
        present=present,
        excused=int(d.get("excused") or 0) if present < expected else 0,
        resolution_adopted=adopted,
        tasks=int(d.get("tasks") or 0) if adopted else 0,
        disseminated_to=draft_targets(d["targets"]) if adopted else frozenset(),
        note=d.get("note"),
        previous_tasks_done=done,
        previous_tasks_total=None if done is None else int(d["previous_total"]),
        upper_guest=d.get("upper_guest"),
    )


def draft_targets(keys: list[str]) -> frozenset[Dissemination]:
    """Read the targets of a draft; one begun before migration 010 may say "mass_orgs"."""
    unions = [t.value for t in MASS_ORGANISATIONS]
    return parse_targets(k for key in keys for k in (unions if key == "mass_orgs" else [key]))


def complete(ctx: Ctx) -> bool:
    """Tell whether every question up to the review has been answered."""
    return "targets" in ctx.draft and "note" in ctx.draft


# Starting: which cell --------------------------------------------------------------------------


async def start(ctx: Ctx, args: str) -> Outcome:
    """Begin with the only cell of the secretary, or ask which one."""
    return await with_own_cell(ctx, use_cell, lambda ctx: Invalid(
        ctx.t("Only a cell secretary can report a meeting.")))


async def use_cell(ctx: Ctx, cell_id: int) -> Outcome:
    cell = await OrgRepository(ctx.db).get(cell_id)
    if cell is None:
        return Invalid(ctx.t("I cannot find your cell. Please ask your organiser."))
    ctx.draft["cell_id"] = cell.id
    ctx.draft["cell_name"] = cell.name
    parent = None if cell.parent_id is None else await OrgRepository(ctx.db).get(cell.parent_id)
    ctx.draft["parent_name"] = "" if parent is None else parent.name
    ctx.draft["roll"] = ctx.draft["cell_roll"] = {
        "full": cell.full_members,
        "probationary": cell.probationary_members,
        "exempt": cell.exempt_members,
    }
    return Next("date")


# Date, kind and the month's earlier report -----------------------------------------------------


def ask_date(ctx: Ctx) -> str:
    return ctx.t(
        "On which day was the meeting of {cell} held? Choose a day or type the date "
        "(for example {example}).",
        cell=ctx.draft.get("cell_name", ""),
        example=typed_example(ctx.today),
    )


async def received_date(ctx: Ctx, day: date) -> Outcome:
    error = check_date(day, ctx.today, ctx.rules)
    if error is ReportError.DATE_IN_FUTURE:
        return Invalid(
            ctx.t(
                "{date} has not come yet. Please type the day the meeting was held.",
                date=ctx.t.date(day),
            )
        )
    if error is ReportError.DATE_TOO_OLD:
        days = max_report_age_days(ctx.rules)
        return Invalid(ctx.t.plural(
            "A meeting can be reported up to {n} day after it was held. Please type a date "
            "from {first} on, or tell {committee}.",
            "A meeting can be reported up to {n} days after it was held. Please type a date "
            "from {first} on, or tell {committee}.",
            days,
            first=ctx.t.date(ctx.today - timedelta(days=days)),
            committee=parent_committee(ctx),
        ))
    ctx.draft["held_on"] = day.isoformat()
    if "kind" in ctx.draft:  # the date was edited: the month may already have its report
        await refresh_previous(ctx)
        taken = await month_taken(ctx)
        if taken:
            return Next("replace", force=True)
    return Next("kind")


def kind_choices(ctx: Ctx) -> list[Choice]:
    return [Choice(kind.value, ctx.t(label)) for kind, label in KIND_LABELS.items()]


async def received_kind(ctx: Ctx, key: str) -> Outcome:
    ctx.draft["kind"] = key
    if "previous_total" in ctx.draft:  # edited: a thematic meeting reviews no earlier tasks
        await refresh_previous(ctx)
    if await month_taken(ctx):
        return Next("replace", force=True)
    return after_kind(ctx)


def after_kind(ctx: Ctx) -> Outcome:
    if needs_topic(kind_of(ctx)):
        return Next("topic", force=not ctx.draft.get("topic"))
    return Next("minutes")


async def month_taken(ctx: Ctx) -> bool:
    """Tell whether another regular report of the month exists and replacing is not agreed."""
    if not kind_is_regular(kind_of(ctx), held_on(ctx), ctx.rules):
        ctx.draft.pop("replace_id", None)  # a thematic meeting replaces nothing
        return False
    repo = MeetingRepository(ctx.db)
    existing = await repo.regular_of_month(int(ctx.draft["cell_id"]), held_on(ctx))
    if existing is None:
        ctx.draft.pop("replace_id", None)
        return False
    ctx.draft["existing_id"] = existing.id
    ctx.draft["existing_day"] = existing.report.held_on.isoformat()
    return ctx.draft.get("replace_id") != existing.id


def ask_replace(ctx: Ctx) -> str:
    return ctx.t(
        "{cell} already has a regular meeting report for {month} (meeting of {date}). "
        "Replace it with this one? The earlier report is kept in the history.",
        cell=ctx.draft.get("cell_name", ""),
        month=ctx.t.month(held_on(ctx)),
        date=ctx.t.date(date.fromisoformat(ctx.draft["existing_day"])),
    )


def replace_choices(ctx: Ctx) -> list[Choice]:
    return [
        Choice("replace", ctx.t("Replace the earlier report")),
        Choice("cancel", ctx.t("Cancel, keep the earlier report")),
    ]


def received_replace(ctx: Ctx, key: str) -> Outcome:
    if key == "cancel" and complete(ctx):
        # Asked after an edit of the date or kind: keep the answers, let them change it back.
        return Next("review")
    if key == "cancel":
        return Done([Reply(ctx.t("Cancelled. The earlier report is kept; nothing was saved."))])
    ctx.draft["replace_id"] = ctx.draft["existing_id"]
    if complete(ctx):  # asked again at saving time: straight back to the review
        return Next("review")
    return after_kind(ctx)


def ask_topic(ctx: Ctx) -> str:
    return ctx.t(
        "What was the topic of the thematic meeting? ({low} to {high} characters, no names "
        "of people)",
        low=ctx.t.number(MIN_TOPIC_CHARS),
        high=ctx.t.number(MAX_TOPIC_CHARS),
    )


def received_topic(ctx: Ctx, topic: str | None) -> Outcome:
    if topic is not None and check_topic(topic) is ReportError.TOPIC_NO_LETTER:
        return Invalid(ctx.t("A topic is words: please type what the meeting was about."))
    return check_names(ctx, "topic", topic) or kept_topic(ctx, topic)


def kept_topic(ctx: Ctx, topic: str | None) -> Outcome:
    ctx.draft["topic"] = topic
    return Next("minutes")


# Duration and attendance -----------------------------------------------------------------------


def ask_minutes(ctx: Ctx) -> str:
    return ctx.hint(
        N_("How long did the meeting last? Type the minutes (95) or the hours (2 hours, 1h30), "
           "or tap a button: each shows the minutes themselves."),
        N_("How long did the meeting last? Type the minutes (95) or the hours (2 hours, 1h30); "
           "the choices below are minutes too."),
    )


def minutes_refused(ctx: Ctx, minutes: int) -> str | None:
    """Say why a typed duration is refused; a small number was probably meant as hours."""
    if minutes >= MIN_MINUTES:
        return None
    return ctx.t.plural(
        "{n} minute is too short for a meeting. Type the minutes (95) or the hours with their "
        "unit (2 hours, 2h, 1h30).",
        "{n} minutes is too short for a meeting. Type the minutes (95) or the hours with their "
        "unit (2 hours, 2h, 1h30).",
        minutes,
    )


def received_minutes(ctx: Ctx, minutes: int) -> Outcome:
    ctx.draft["minutes"] = minutes
    return Next("present")


@dataclass
class PresentStep(NumberStep):
    """How many attended; one more choice lets the secretary correct the roll first."""

    async def prompt(self, ctx: Ctx) -> Reply:
        reply = await super().prompt(ctx)
        return Reply(reply.text, (*reply.choices, Choice("roll", ctx.t("Correct the roll"))))

    async def receive(self, ctx: Ctx, answer: Answer) -> Outcome:
        typed = fold(answer.text)
        if answer.key == "roll" or typed.startswith(ROLL_WORDS):
            return Next(ROLL_STEPS[0], force=True)
        if roll_of(ctx).expected == 0:  # an empty roll: nobody could have been expected
            return Invalid(ctx.hint(
                N_("The roll has no members to expect. Tap Correct the roll, or type "
                   "\"{word}\", first."),
                N_("The roll has no members to expect. Type \"{word}\" to correct the roll "
                   "first."),
                word=ctx.t(ROLL_WORD)))
        outcome = await super().receive(ctx, answer)
        if not isinstance(outcome, Invalid):
            return outcome
        expected = roll_of(ctx).expected
        typed_number = self.parse(answer.key or answer.text)
        if typed_number is not None and typed_number > expected:
            return Invalid(ctx.t.plural(
                "{present} is more than the {n} member expected. Members exempt from meetings "
                "who attend are not counted: the attendance rate leaves them out. If the roll "
                "is wrong, type \"{word}\".",
                "{present} is more than the {n} members expected. Members exempt from meetings "
                "who attend are not counted: the attendance rate leaves them out. If the roll "
                "is wrong, type \"{word}\".",
                expected,
                present=ctx.t.number(typed_number),
                word=ctx.t(ROLL_WORD),
            ))
        return Invalid(ctx.t(
            "Please type how many members attended: a number from 0 to {expected}. "
            "To correct the roll, type \"{word}\".",
            expected=ctx.t.number(expected),
            word=ctx.t(ROLL_WORD),
        ))


async def ask_present(ctx: Ctx) -> str:
    roll = roll_of(ctx)
    question = ctx.t(
        "How many members attended? Expected: {expected} ({full} full + {probationary} "
        "probationary − {exempt} exempt from meetings). If the roll is wrong, correct it first.",
        expected=ctx.t.number(roll.expected),
        full=ctx.t.number(roll.full),
        probationary=ctx.t.number(roll.probationary),
        exempt=ctx.t.number(roll.exempt),
    )
    # Recruitment's changes to the roll since the last report (owned by handlers/recruitment*).
    news = await roll_news(ctx, int(ctx.draft["cell_id"]))
    return question if news is None else f"{news}\n\n{question}"


def present_bounds(ctx: Ctx) -> tuple[int, int]:
    return 0, roll_of(ctx).expected


def present_quick(ctx: Ctx) -> list[int]:
    return [roll_of(ctx).expected]


def received_present(ctx: Ctx, present: int) -> Outcome:
    changed = ctx.draft.get("present") != present
    ctx.draft["present"] = present
    absent = roll_of(ctx).expected - present
    if absent == 0:
        ctx.draft["excused"] = 0
        return Next("guest")
    # Other absentees, other reasons: ask again even while editing from the review.
    return Next("excused", force=changed or "excused" not in ctx.draft)


ROLL_QUESTIONS = {
    "roll_full": N_("Correcting the roll: how many full members does the cell have?"),
    "roll_probationary": N_("How many probationary members?"),
    "roll_exempt": N_("How many members are exempt from Party activities and meetings?"),
}


def roll_step(name: str) -> NumberStep:
    field = name.removeprefix("roll_")

    def ask(ctx: Ctx) -> str:
        return ctx.t(ROLL_QUESTIONS[name])

    def quick(ctx: Ctx) -> list[int]:
        return [int(ctx.draft["roll"][field])]  # a tap keeps the current number

    def received(ctx: Ctx, value: int) -> Outcome:
        proposed = dict(ctx.draft.get("roll_new") or ctx.draft["roll"])
        proposed[field] = value
        ctx.draft["roll_new"] = proposed
        if name != ROLL_STEPS[-1]:
            return Next(ROLL_STEPS[ROLL_STEPS.index(name) + 1], force=True)
        roll = Roll(proposed["full"], proposed["probationary"], proposed["exempt"])
        if check_roll(roll) is not None:
            ctx.draft.pop("roll_new")
            return Invalid(
                ctx.t(
                    "With {full} full and {probationary} probationary members, at most {most} can "
                    "be exempt and at least one member must be expected. Please type the number "
                    "of exempt members again.",
                    full=ctx.t.number(roll.full),
                    probationary=ctx.t.number(roll.probationary),
                    most=ctx.t.number(max(0, roll.full + roll.probationary - 1)),
                )
            )
        ctx.draft["roll"] = ctx.draft.pop("roll_new")
        ctx.draft["roll_changed"] = ctx.draft["roll"] != ctx.draft["cell_roll"]
        ctx.draft.pop("present", None)  # the count was against the old roll
        return Next("present", force=True)

    return NumberStep(name, ask, lambda ctx: (0, MAX_ROLL), received, quick=quick, counted=False)


def ask_excused(ctx: Ctx) -> str:
    absent = roll_of(ctx).expected - int(ctx.draft["present"])
    return ctx.t.plural(
        "{n} member was absent. Did they have a reason the cell accepted (excused)? Answer "
        "1 if so, 0 if not (unexcused).",
        "{n} members were absent. How many of them had a reason the cell accepted "
        "(excused)? The others count as unexcused.",
        absent,
    )


def excused_bounds(ctx: Ctx) -> tuple[int, int]:
    return 0, roll_of(ctx).expected - int(ctx.draft["present"])


def excused_quick(ctx: Ctx) -> list[int]:
    absent = excused_bounds(ctx)[1]
    return [0, absent] if absent else [0]


def received_excused(ctx: Ctx, excused: int) -> Outcome:
    ctx.draft["excused"] = excused
    return Next("guest")


# The upper-level guest and last month's tasks (the district's fields, each skippable) -----


def ask_guest(ctx: Ctx) -> str:
    return ctx.t("Did a member of the upper-level Party committee attend the meeting?")


def guest_choices(ctx: Ctx) -> list[Choice]:
    return [*yes_no(ctx), Choice(SKIP, ctx.t("Skip"))]


async def received_guest(ctx: Ctx, key: str) -> Outcome:
    ctx.draft["upper_guest"] = {"yes": True, "no": False}.get(key)
    await refresh_previous(ctx)
    if ctx.draft["previous_total"]:
        return Next("previous_tasks")
    return Next("resolution")


async def previous_total(ctx: Ctx) -> int:
    """Return the concrete tasks of last month's regular report; 0 when there is nothing to ask.

    Only a regular meeting reviews last month's resolution (DOMAIN.md §1.2, part 4).
    """
    if not kind_is_regular(kind_of(ctx), held_on(ctx), ctx.rules):
        return 0
    last_month = held_on(ctx).replace(day=1) - timedelta(days=1)
    previous = await MeetingRepository(ctx.db).regular_of_month(int(ctx.draft["cell_id"]),
                                                                last_month)
    if previous is None or not previous.report.resolution_adopted:
        return 0
    return previous.report.tasks


async def refresh_previous(ctx: Ctx) -> None:
    """Look up last month's tasks again; an answer about other tasks is dropped."""
    total = await previous_total(ctx)
    if ctx.draft.get("previous_total") != total:
        ctx.draft["previous_total"] = total
        ctx.draft["previous_done"] = None


def ask_previous_tasks(ctx: Ctx) -> str:
    return ctx.t.plural(
        "Last month's resolution had {n} concrete task. How many of them are done? "
        "Type or choose the number done, or Skip.",
        "Last month's resolution had {n} concrete tasks. How many of them are done? "
        "Type or choose the number done, or Skip.",
        int(ctx.draft["previous_total"]),
    )


def received_previous_tasks(ctx: Ctx, done: int) -> Outcome:
    ctx.draft["previous_done"] = done
    return Next("resolution")


def skipped_previous_tasks(ctx: Ctx) -> Outcome:
    ctx.draft["previous_done"] = None
    return Next("resolution")


# Resolution, tasks, dissemination, note -------------------------------------------------------


def yes_no(ctx: Ctx) -> list[Choice]:
    return [Choice("yes", ctx.t("Yes")), Choice("no", ctx.t("No"))]


def received_resolution(ctx: Ctx, key: str) -> Outcome:
    adopted = key == "yes"
    ctx.draft["adopted"] = adopted
    if not adopted:  # no resolution: no tasks in it, nothing to pass on
        ctx.draft["tasks"] = 0
        ctx.draft["targets"] = []
        ctx.draft.pop("tasks_asked", None)
        return Next("note")
    # Changed to "yes" from the review: the tasks were never asked, so ask them now.
    return Next("tasks", force=not ctx.draft.get("tasks_asked"))


def ask_tasks(ctx: Ctx) -> str:
    return ctx.t(
        "How many tasks in the resolution have a named person in charge and a deadline? "
        "(0 to {most})",
        most=ctx.t.number(MAX_TASKS),
    )


def received_tasks(ctx: Ctx, tasks: int) -> Outcome:
    first_time = not ctx.draft.get("tasks_asked")
    ctx.draft["tasks"] = tasks
    ctx.draft["tasks_asked"] = True
    return Next("dissemination", force=first_time)  # after "yes" from the review: ask it too


def target_choices(ctx: Ctx) -> list[Choice]:
    return [Choice(t.value, ctx.t(label)) for t, label in TARGET_LABELS.items()]


def ask_dissemination(ctx: Ctx) -> str:
    return ctx.hint(
        N_("Who has the resolution been passed on to? Tap each, then Done; or type the numbers "
           '(for example 1 3), "all", or 0 if not yet.'),
        N_("Who has the resolution been passed on to? Type the numbers (for example 1 3), "
           '"all", or 0 if not yet.'),
    )


def received_dissemination(ctx: Ctx, keys: list[str]) -> Outcome:
    ctx.draft["targets"] = keys
    return Next("note")


# The committee a hamlet cell's note goes to, named after the cell's parent unit.
COMMITTEES = (
    ("thi tran", N_("the township Party committee")),
    ("phuong", N_("the ward Party committee")),
    ("xa", N_("the commune Party committee")),
)
UPPER_COMMITTEE = N_("the upper-level Party committee")


def parent_committee(ctx: Ctx) -> str:
    """Name the committee above the cell: "Đảng ủy thị trấn" for a town's cell, not "xã"."""
    parent = fold(ctx.draft.get("parent_name", ""))
    label = next((name for prefix, name in COMMITTEES if parent.startswith(prefix + " ")),
                 UPPER_COMMITTEE)
    return ctx.t(label)


def ask_note(ctx: Ctx) -> str:
    return ctx.t(
        "Anything to tell {committee}? Type a short note (up to {most} characters) or "
        "choose Skip. Please write no names of people, no absence reasons and no ID numbers.",
        committee=parent_committee(ctx),
        most=ctx.t.number(MAX_NOTE_CHARS),
    )


def received_note(ctx: Ctx, note: str | None) -> Outcome:
    return check_names(ctx, "note", note) or kept_note(ctx, note)


def kept_note(ctx: Ctx, note: str | None) -> Outcome:
    ctx.draft["note"] = note
    return Next("review")


# Review and save -------------------------------------------------------------------------------


def summary(ctx: Ctx) -> str:
    report = draft_report(ctx)
    t = ctx.t
    lines = [
        t("Please check the report before saving:"),
        t("Cell: {cell}", cell=ctx.draft.get("cell_name", "")),
        t("Date: {date}", date=t.date(report.held_on)),
        t("Kind: {kind}", kind=t(KIND_LABELS[report.kind])),
    ]
    if report.topic:
        lines.append(t("Topic: {topic}", topic=report.topic))
    result = evaluate(report, ctx.rules)  # flag here all the standing will flag
    lines.append(t.plural("Duration: {n} minute", "Duration: {n} minutes", report.minutes))
    lines += duration_flags(ctx, result)
    if ctx.draft.get("roll_changed"):
        roll = roll_of(ctx)
        lines.append(
            t(
                "Roll (corrected): {full} full, {probationary} probationary, {exempt} exempt",
                full=t.number(roll.full),
                probationary=t.number(roll.probationary),
                exempt=t.number(roll.exempt),
            )
        )
    lines.append(
        t("Present: {share}", share=share_text(ctx, Share(report.present, report.expected)))
    )
    lines += attendance_flags(ctx, report, result)
    if report.absent:
        lines.append(
            t(
                "Absent: {excused} excused, {unexcused} unexcused",
                excused=t.number(report.excused),
                unexcused=t.number(report.unexcused),
            )
        )
    lines.append(t("Upper-level guest: {answer}", answer=yes_no_text(ctx, report.upper_guest)))
    if ctx.draft.get("previous_total"):
        done = report.previous_tasks_done
        lines.append(t(
            "Last month's tasks done: {share}",
            share=t("not said") if done is None else share_text(
                ctx, Share(done, int(ctx.draft["previous_total"]))
            ),
        ))
    answer = t("Yes") if report.resolution_adopted else t("No")
    lines.append(t("Resolution adopted: {answer}", answer=answer))
    if report.resolution_adopted:
        lines.append(t("Concrete tasks: {tasks}", tasks=t.number(report.tasks)))
        lines.append(
            t("Passed on to: {targets}", targets=targets_text(ctx, report.disseminated_to))
        )
        if report.disseminated_to:  # "nobody yet" says it already
            lines += dissemination_flags(ctx, result)
    if report.note:
        lines.append(t("Note: {note}", note=report.note))
    if ctx.draft.get("replace_id"):
        lines.append(
            t(
                "This replaces the earlier report of {month}.",
                month=ctx.t.month(report.held_on),
            )
        )
    return "\n".join(lines)


def targets_text(ctx: Ctx, targets: frozenset[Dissemination]) -> str:
    if not targets:
        return ctx.t("nobody yet")
    return ", ".join(ctx.t(TARGET_LABELS[t]) for t in Dissemination if t in targets)


def edit_fields(ctx: Ctx) -> list[tuple[str, str]]:
    t = ctx.t
    fields = [("date", t("Date")), ("kind", t("Kind"))]
    if needs_topic(kind_of(ctx)):
        fields.append(("topic", t("Topic")))
    fields += [("minutes", t("Duration")), ("present", t("Present"))]
    if roll_of(ctx).expected > int(ctx.draft["present"]):
        fields.append(("excused", t("Excused absences")))
    fields.append(("guest", t("Upper-level guest")))
    if ctx.draft.get("previous_total"):
        fields.append(("previous_tasks", t("Last month's tasks done")))
    fields.append(("resolution", t("Resolution adopted")))
    if ctx.draft.get("adopted"):
        fields += [("tasks", t("Concrete tasks")), ("dissemination", t("Passed on to"))]
    fields.append(("note", t("Note")))
    return fields


async def save(ctx: Ctx) -> Outcome:
    """Save (or replace) the report; answer with what it changed in the cell's standing."""
    report = draft_report(ctx)
    errors = validate(report, ctx.today, ctx.rules)
    if ReportError.DATE_TOO_OLD in errors:  # the draft waited for days before being saved
        return Invalid(ctx.t.plural(
            "This report can no longer be saved as it is: the meeting date is more than {n} "
            "day ago. Choose Edit to change it, or Cancel.",
            "This report can no longer be saved as it is: the meeting date is more than {n} "
            "days ago. Choose Edit to change it, or Cancel.",
            max_report_age_days(ctx.rules),
        ))
    if errors:
        return Invalid(ctx.t("Some answers do not fit together. Choose Edit to check them."))
    repo = MeetingRepository(ctx.db)
    regular = is_regular(report, ctx.rules)
    roll = roll_of(ctx) if ctx.draft.get("roll_changed") else None
    existing = await repo.regular_of_month(report.cell_id, report.held_on) if regular else None
    saved: dict[str, Any] = {
        "regular": regular,
        "by_user": ctx.user.id,
        "at": ctx.now,
        "roll": roll,
        "also": ctx.ending,  # the conversation ends with the save, in its transaction
    }
    if existing is not None and ctx.draft.get("replace_id") == existing.id:
        await repo.replace(existing.id, report, **saved)
        done = ctx.t(
            "Saved. The earlier report of {month} was replaced and kept in the history.",
            month=ctx.t.month(report.held_on),
        )
    elif existing is not None:
        return await ask_replace_at_save(ctx, existing.id, existing.report.held_on)
    else:
        try:
            await repo.save(report, **saved)
        except MonthAlreadyReported as taken:  # someone saved the month a moment ago
            return await ask_replace_at_save(ctx, taken.existing.id, taken.existing.report.held_on)
        done = ctx.t("Saved. Thank you, comrade.")
    cell = await OrgRepository(ctx.db).get(report.cell_id)
    if cell is None:
        return Done([Reply(done)])
    return Done([Reply(f"{done}\n\n{await saved_text(ctx, cell, report)}")])


async def saved_again(ctx: Ctx) -> list[Reply]:
    """Answer a Save that came again after the report was saved: its cell's standing."""
    done = ctx.t("This report is already saved; it was not saved twice.")
    cell = await OrgRepository(ctx.db).get(int(ctx.draft["cell_id"]))
    if cell is None:
        return [Reply(done)]
    return [Reply(f"{done}\n\n{await standing_text(ctx, cell)}")]


async def ask_replace_at_save(ctx: Ctx, existing_id: int, existing_day: date) -> Outcome:
    ctx.draft["existing_id"] = existing_id
    ctx.draft["existing_day"] = existing_day.isoformat()
    ctx.draft.pop("replace_id", None)
    return Next("replace")


FLOW = Flow(
    "meeting_report",
    [
        which_cell_step(use_cell, lambda ctx: ctx.t("Which cell is this report for?")),
        DateStep("date", ask_date, received_date),
        ChoiceStep(
            "kind", lambda ctx: ctx.t("What kind of meeting was it?"), kind_choices, received_kind
        ),
        ChoiceStep("replace", ask_replace, replace_choices, received_replace, counted=False),
        TextStep(
            "topic",
            ask_topic,
            received_topic,
            min_length=MIN_TOPIC_CHARS,
            max_length=MAX_TOPIC_CHARS,
            counted=False,
        ),
        name_step("topic", kept_topic),
        NumberStep(
            "minutes",
            ask_minutes,
            lambda ctx: (MIN_MINUTES, MAX_MINUTES),
            received_minutes,
            quick=lambda ctx: [90, 120],
            parse=parse_minutes,
            refused=minutes_refused,
        ),
        PresentStep("present", ask_present, present_bounds, received_present, quick=present_quick),
        *(roll_step(name) for name in ROLL_STEPS),
        NumberStep(
            "excused",
            ask_excused,
            excused_bounds,
            received_excused,
            quick=excused_quick,
            counted=False,
        ),
        ChoiceStep("guest", ask_guest, guest_choices, received_guest),
        NumberStep(
            "previous_tasks",
            ask_previous_tasks,
            lambda ctx: (0, int(ctx.draft["previous_total"])),
            received_previous_tasks,
            quick=lambda ctx: [int(ctx.draft["previous_total"])],
            counted=False,
            skipped=skipped_previous_tasks,
        ),
        ChoiceStep(
            "resolution",
            lambda ctx: ctx.t("Did the cell adopt a resolution (or conclusion)?"),
            yes_no,
            received_resolution,
        ),
        NumberStep(
            "tasks",
            ask_tasks,
            lambda ctx: (0, MAX_TASKS),
            received_tasks,
            quick=lambda ctx: [0, 1, 2, 3],
            counted=False,
        ),
        MultiChoiceStep(
            "dissemination",
            ask_dissemination,
            target_choices,
            received_dissemination,
            counted=False,
            answered=lambda ctx: [t.value for t in draft_targets(ctx.draft.get("targets", []))],
        ),
        TextStep(
            "note",
            ask_note,
            received_note,
            min_length=1,
            max_length=MAX_NOTE_CHARS,
            skippable=True,
        ),
        name_step("note", kept_note),
        ReviewStep("review", summary, edit_fields, save),
    ],
    start=start,
    recap=("cell_id",),
    saved_again=saved_again,
)

COMMANDS = [
    Command(
        ("baocao", "report"),
        N_("Report a cell meeting"),
        roles=frozenset({Role.SECRETARY}),
        flow=FLOW,
    ),
]
