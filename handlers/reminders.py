"""Reminders in words, and /nhacnho (/reminders): each person's choice to take them or not.

    a person's dues of the day ─► compose(ctx, dues) ─► one message: a line each, every line
                                                        ending with the command that does it
    /nhacnho ─► ask_reminders (every reminder / all but the digest, for organisers / none)
             ─► stored, confirmed

A reminder names the cell (and, to its own secretary, the alias of a person of the pipeline),
says what is due and by when, in the recipient's language. The organisers' digest is their
area's summary for the month (`handlers.summary.load_summary`): the reporting rate and the
first cells still missing, then `/chuabaocao` for the rest; reading it is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.commands import Command
from bot.core.flow import ChoiceStep, Ctx, Done, Flow, Next, Outcome
from bot.core.messages import Choice, Reply
from bot.domain.calendar import days_off
from bot.domain.reminders import Due, ReminderKind, reminder_rules
from bot.domain.summaries import missing_by_group
from bot.domain.words import fold
from bot.i18n import N_
from bot.storage.org import OrgRepository
from bot.storage.reads import ReadLog
from bot.storage.reminders import ReminderSettings, ReminderStore
from handlers.scope import organiser_units
from handlers.summary import load_summary, period_label, ratio

# What each kind is, for the administrator's dry run.
KIND_LABELS = {
    ReminderKind.REPORT: N_("monthly report"),
    ReminderKind.REPORT_AGAIN: N_("monthly report, again"),
    ReminderKind.THEMATIC: N_("thematic meeting"),
    ReminderKind.CEREMONY_OVERDUE: N_("ceremony overdue"),
    ReminderKind.CONFIRM_VOTE: N_("confirmation vote"),
    ReminderKind.PROBATION_ENDED: N_("probation ended"),
    ReminderKind.PROBATION_ENDING: N_("probation ending"),
    ReminderKind.CERTIFICATE_EXPIRING: N_("certificate expiring"),
    ReminderKind.DOSSIER_STALE: N_("dossier going stale"),
    ReminderKind.DIGEST: N_("organisers' digest"),
}

_TEXTS = {
    ReminderKind.REPORT: N_(
        "{cell}: the regular meeting report for {month} has not been sent yet; it is due by "
        "{date}."),
    ReminderKind.REPORT_AGAIN: N_(
        "{cell}: the regular meeting report for {month} is still missing; it is due by {date}."),
    ReminderKind.THEMATIC: N_(
        "{cell}: no thematic meeting has been reported for {month} yet; the quarter ends on "
        "{date}."),
    ReminderKind.CEREMONY_OVERDUE: N_(
        "{cell}, {alias}: the admission ceremony was due by {date}; hold it, or tell the upper "
        "committee why it is late."),
    ReminderKind.PROBATION_ENDED: N_(
        "{cell}, {alias}: the probation ends today, {date}; the cell's confirmation vote is "
        "due by {due}."),
    ReminderKind.PROBATION_ENDING: N_(
        "{cell}, {alias}: the probation ends on {date}; prepare the confirmation as a full "
        "member."),
    ReminderKind.CERTIFICATE_EXPIRING: N_(
        "{cell}, {alias}: the awareness course certificate is valid until {date}; the cell's "
        "admission vote must come before."),
    ReminderKind.DOSSIER_STALE: N_(
        "{cell}, {alias}: the dossier must go to the cell's vote by {date}, or be made anew."),
}
_CONFIRM_VOTE = N_(
    "{cell}, {alias}: the probation ended on {date}; the cell's confirmation vote is due by "
    "{due}.")
_CONFIRM_VOTE_LATE = N_(
    "{cell}, {alias}: the cell's confirmation vote was due by {due} and is overdue; record it "
    "once it is held.")
_COMMANDS = {
    ReminderKind.REPORT: "baocao",
    ReminderKind.REPORT_AGAIN: "baocao",
    ReminderKind.THEMATIC: "baocao",
    ReminderKind.DIGEST: "chuabaocao",
}
_PIPELINE_COMMAND = "phattrien"


# Words -----------------------------------------------------------------------------------


def command(ctx: Ctx, name: str) -> str:
    """Return "/name" in the user's language (/baocao, or /report in English)."""
    from handlers import registry

    found = registry().find(name)
    return f"/{found.name_for(ctx.t.locale) if found else name}"


def reminder_line(ctx: Ctx, due: Due) -> str:
    """Say one reminder about a cell or a person of its pipeline, ending with the command."""
    t = ctx.t
    cell = f"{due.cell.code} {due.cell.name}".strip() if due.cell else ""
    month = period_label(ctx, due.month) if due.month else ""
    values = {"cell": cell, "alias": due.alias or "", "month": month, "date": t.date(due.day),
              "due": t.date(due.deadline) if due.deadline else ""}
    if due.kind is ReminderKind.CONFIRM_VOTE:
        text = t(_CONFIRM_VOTE_LATE if due.overdue else _CONFIRM_VOTE, **values)
    else:
        text = t(_TEXTS[due.kind], **values)
    return f"• {text}\n  → {command(ctx, _COMMANDS.get(due.kind, _PIPELINE_COMMAND))}"


async def digest_text(ctx: Ctx, due: Due) -> str:
    """Say an area's reporting for the month: the rate, the first cells missing, the command."""
    assert due.unit_id is not None and due.month is not None
    t, month = ctx.t, due.month
    unit = await OrgRepository(ctx.db).get(due.unit_id)
    holidays = days_off(ctx.rules.calendar, ctx.today.year + 1)
    summary = await load_summary(ctx.db, ctx.rules, due.unit_id, month, ctx.now, holidays)
    await ReadLog(ctx.db).record(ctx.user.id, due.unit_id, "digest", ctx.now)
    totals = summary.totals
    lines = [t("{unit}, {month}: regular meeting reports {reports}, on time {on_time}.",
               unit=unit.name if unit else "", month=period_label(ctx, month),
               reports=ratio(t, totals.reports, totals.expected_reports),
               on_time=ratio(t, totals.activity.on_time, totals.expected_reports))]
    missing = [line for _, cells in missing_by_group(summary.cells) for line in cells]
    shown = reminder_rules(ctx.rules).digest_cells_shown
    arg = f"{month.year}-{month.number:02d}"
    if not missing:
        lines.append(t("Every cell has reported."))
        return "\n".join(lines) + f"\n→ {command(ctx, 'tonghop')} {arg}"
    lines.append(t.plural("{n} cell has not reported:", "{n} cells have not reported:",
                          len(missing)))
    lines += [f"• {line.cell.code} {line.cell.name}".rstrip() for line in missing[:shown]]
    if len(missing) > shown:
        lines.append(t.plural("… and {n} more", "… and {n} more", len(missing) - shown))
    return "\n".join(lines) + f"\n→ {command(ctx, 'chuabaocao')} {arg}"


async def compose(ctx: Ctx, dues: Sequence[Due]) -> list[Reply]:
    """Write one person's reminders of the day as one message, in their language."""
    parts = []
    for due in dues:
        if due.kind is ReminderKind.DIGEST:
            parts.append(await digest_text(ctx, due))
        else:
            parts.append(reminder_line(ctx, due))
    greeting = ctx.t.plural("Dear comrade, {n} reminder for you:",
                            "Dear comrade, {n} reminders for you:", len(parts))
    return [Reply("\n\n".join([greeting, *parts]))]


# /nhacnho --------------------------------------------------------------------------------

ON, NO_DIGEST, OFF = "on", "no_digest", "off"
_TYPED = {"on": ON, "bat": ON, "off": OFF, "tat": OFF}


def state_of(settings: ReminderSettings) -> str:
    if not settings.reminders:
        return OFF
    return ON if settings.digest else NO_DIGEST


_STATES = {
    ON: N_("Reminders are on."),
    NO_DIGEST: N_("Reminders are on, without the monthly digest."),
    OFF: N_("Reminders are off."),
}
_CHOSEN = {
    ON: N_("Done: you will get every reminder."),
    NO_DIGEST: N_("Done: you will get every reminder but the monthly digest."),
    OFF: N_("Done: you will get no reminders. Send /{command} to turn them on again."),
}


def _organiser(ctx: Ctx) -> bool:
    return bool(organiser_units(ctx))


async def ask_reminders(ctx: Ctx) -> str:
    current = state_of(await ReminderStore(ctx.db).settings(ctx.user.id))
    what = ctx.t(
        "The bot reminds you of reports, deadlines of recruitment and, for organisers, "
        "sends a monthly digest of your area.")
    question = ctx.t("What would you like?")
    return f"{ctx.t(_STATES[current])} {what}\n\n{question}"


def reminder_choices(ctx: Ctx) -> list[Choice]:
    choices = [Choice(ON, ctx.t("Every reminder"))]
    if _organiser(ctx):
        choices.append(Choice(NO_DIGEST, ctx.t("Every reminder but the monthly digest")))
    choices.append(Choice(OFF, ctx.t("No reminders")))
    return choices


async def received_choice(ctx: Ctx, key: str) -> Outcome:
    settings = ReminderSettings(reminders=key != OFF, digest=key == ON)
    await ReminderStore(ctx.db).choose(ctx.user.id, settings, ctx.now, also=ctx.ending)
    name = "nhacnho" if ctx.t.locale == "vi" else "reminders"
    return Done([Reply(ctx.t(_CHOSEN[key], command=name))])


async def start(ctx: Ctx, args: str) -> Outcome:
    """Start the choice; `/nhacnho tat` (or on/off/bat) chooses at once."""
    typed = _TYPED.get(fold(args).strip())
    if typed is not None:
        return await received_choice(ctx, typed)
    return Next("reminders")


FLOW = Flow("reminders", [
    ChoiceStep("reminders", ask_reminders, reminder_choices, received_choice, counted=False),
], start=start, disposable=True)

COMMANDS = [
    Command(("nhacnho", "reminders"), N_("Turn reminders on or off"), flow=FLOW),
]
