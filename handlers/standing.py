"""/tinhhinh (/standing): the cell's latest meeting and its year so far, as indicators.

    start ─► (one cell, or a code typed after the command) ─► standing
          └► ask_cell (secretary of several cells) ─► standing

Also shown right after a meeting report is saved. Never an official rating (DOMAIN.md §3.4).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from bot.core.commands import Command
from bot.core.flow import ChoiceStep, Ctx, Done, Flow, Invalid, Next, Outcome
from bot.core.messages import Reply
from bot.domain.meetings import Dissemination, MeetingKind, MeetingRules, rules_on
from bot.domain.org import OrgUnit, Role
from bot.domain.standing import LatestMeeting, YearStanding, year_standing
from bot.i18n import N_
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository
from bot.storage.reads import ReadLog
from handlers.common import ask_which_cell, example_cell_codes, own_cell_choices
from handlers.scope import may_see
from handlers.sections import standing_sections

# Labels of kinds and targets, shared with the report flow (which imports this module).
KIND_LABELS = {
    MeetingKind.REGULAR: N_("Regular"),
    MeetingKind.THEMATIC: N_("Thematic"),
    MeetingKind.COMBINED: N_("Regular and thematic together"),
}
TARGET_LABELS = {
    Dissemination.HAMLET_BOARD: N_("Hamlet board"),
    Dissemination.FATHERLAND_FRONT: N_("Fatherland Front"),
    Dissemination.MASS_ORGS: N_("Mass organisations"),
}


async def standing_text(ctx: Ctx, cell: OrgUnit) -> str:
    """Render the standing of `cell` in the user's language, with the other features' parts."""
    repo = MeetingRepository(ctx.db)
    reports = await repo.for_year(cell.id, ctx.today.year)
    latest = await repo.latest(cell.id)
    if latest is not None and latest.report.held_on.year != ctx.today.year:
        reports.insert(0, latest.report)  # last year's meeting is still "the latest"
    since = await OrgRepository(ctx.db).tracked_from(cell.id)
    standing = year_standing(cell.id, reports, ctx.today, ctx.rules, tracked_since=since)
    parts = [ctx.t("Standing of {cell} on {date}", cell=cell.name, date=ctx.t.date(ctx.today))]
    if standing.latest is None and cell.id in ctx.user.secretary_of:
        parts.append(ctx.t("No meeting has been reported yet. Send /baocao to report one."))
    elif standing.latest is None:  # an organiser reading someone else's cell
        parts.append(ctx.t("No meeting has been reported yet."))
    else:
        parts.append(latest_text(ctx, standing.latest))
    parts.append(year_text(ctx, standing))
    for section in standing_sections():
        text = await section(ctx, cell)
        if text:
            parts.append(text)
    parts.append(ctx.t("These are indicators to help the cell, not an official rating."))
    return "\n\n".join(parts)


def percent(ctx: Ctx, share: Fraction | None) -> str:
    """Format a share as a percentage, or a dash when there is nothing to divide."""
    return "—" if share is None else ctx.t.percent(float(share))


def latest_text(ctx: Ctx, latest: LatestMeeting) -> str:
    t, report, result = ctx.t, latest.report, latest.evaluation
    rules = rules_on(ctx.rules, report.held_on)
    lines = [
        t(
            "Latest meeting: {kind}, {date}",
            date=t.date(report.held_on),
            kind=t(KIND_LABELS[report.kind]),
        ),
        t(
            "• Attendance: {present} of {expected} ({rate})",
            present=t.number(report.present),
            expected=t.number(report.expected),
            rate=percent(ctx, result.attendance_rate),
        ),
    ]
    if result.below_valid_share:
        lines.append(low_attendance_warning(ctx, rules))
    threshold = t.percent(float(rules.attendance_threshold))
    if result.meets_attendance:
        lines.append(
            t(
                "  ✓ meets the attendance criterion (more than {threshold}, no unexcused absence)",
                threshold=threshold,
            )
        )
    else:
        reasons = []
        if result.attendance_rate is None or result.attendance_rate <= rules.attendance_threshold:
            reasons.append(t("attendance not above {threshold}", threshold=threshold))
        if result.unexcused and rules.unexcused_absence_fails:
            reasons.append(t("unexcused absences: {count}", count=t.number(result.unexcused)))
        lines.append(
            t("  ✗ does not meet the attendance criterion: {reasons}", reasons="; ".join(reasons))
        )
    lines.append(t("• Duration: {minutes} minutes", minutes=t.number(report.minutes)))
    if result.too_short:
        lines.append(
            t(
                "  ⚠ shorter than the {minimum} minutes required",
                minimum=t.number(result.min_minutes),
            )
        )
    if not report.resolution_adopted:  # nothing to pass on, so no dissemination line
        lines.append(t("• No resolution adopted"))
    elif result.disseminated_to_all:
        lines.append(
            t("• Resolution passed on to the hamlet board, the Front and the mass organisations")
        )
    else:
        missing = ", ".join(
            t(TARGET_LABELS[x]) for x in Dissemination if x in result.missing_targets
        )
        lines.append(t("• ⚠ Resolution not yet passed on to: {missing}", missing=missing))
    if report.resolution_adopted:
        lines.append(
            t(
                "• Concrete tasks (person in charge and deadline): {count}",
                count=t.number(report.tasks),
            )
        )
    return "\n".join(lines)


def low_attendance_warning(ctx: Ctx, rules: MeetingRules) -> str:
    """Warn that so few attended that the count, or the meeting's validity, needs a check."""
    return ctx.t(
        "  ⚠ fewer than {share} of the expected members attended: please check the number",
        share=ctx.t.percent(float(rules.valid_attendance_share)),
    )


def year_text(ctx: Ctx, s: YearStanding) -> str:
    t = ctx.t
    lines = [t("This year so far ({year}):", year=str(s.year))]
    if s.months_due:  # "0 of 0 months" says nothing to a cell that has just started
        lines.append(
            t.plural(
                "• Regular meetings: {held} of {n} month",
                "• Regular meetings: {held} of {n} months",
                s.months_due,
                held=t.number(len(s.months_with_regular)),
            )
        )
    if s.missing_months:
        months = ", ".join(t.month(date(s.year, m, 1)) for m in s.missing_months)
        lines.append(t("  ⚠ no regular meeting reported for: {months}", months=months))
    if not s.current_month_reported:
        lines.append(t("• This month's regular meeting is not reported yet."))
    lines.append(
        t(
            "• Thematic meetings this quarter (quarter {quarter}): {count}, at least "
            "{expected} expected",
            quarter=t.number(s.quarter),
            count=t.number(s.thematic_this_quarter),
            expected=t.number(s.thematic_expected),
        )
    )
    if s.quarters_without_thematic:
        quarters = ", ".join(t.number(q) for q in s.quarters_without_thematic)
        lines.append(t("  ⚠ quarters without a thematic meeting: {quarters}", quarters=quarters))
    lines += [
        t("• Average attendance: {rate}", rate=percent(ctx, s.attendance_rate)),
        t(
            "• Meetings meeting the attendance criterion: {share}",
            share=percent(ctx, s.share_meeting_attendance),
        ),
        t(
            "• Resolutions passed on to all three: {share}",
            share=percent(ctx, s.share_disseminated_to_all),
        ),
    ]
    if s.meetings:
        lines.append(t(
            "• Meetings with at least one concrete task: {count} of {meetings}",
            count=t.number(s.with_concrete_tasks),
            meetings=t.number(s.meetings),
        ))
    return "\n".join(lines)


# The command -------------------------------------------------------------------------------


async def start(ctx: Ctx, args: str) -> Outcome:
    """Show the standing of the cell named after the command, or of the secretary's cell."""
    org = OrgRepository(ctx.db)
    if args:
        cell = await org.by_code(args)
        if cell is None or cell.kind != "cell" or not await may_see(ctx, cell):
            return Invalid(
                ctx.t(
                    "I found no cell with the code {code} in your area.", code=args.strip().upper()
                )
            )
        return await show(ctx, cell)
    cells = ctx.user.secretary_of
    if len(cells) > 1:
        return Next("cell")
    if not cells:
        examples = await example_cell_codes(ctx)
        return Invalid(ctx.t(
            "Type the code of the cell after the command, for example /{command} {code}. "
            "Codes in your area include {codes}.",
            command=COMMANDS[0].name_for(ctx.t.locale),
            code=examples.split(", ")[0],
            codes=examples,
        ))
    return await show_id(ctx, cells[0])


async def show_id(ctx: Ctx, cell_id: int) -> Outcome:
    cell = await OrgRepository(ctx.db).get(cell_id)
    if cell is None:
        return Invalid(ctx.t("I cannot find your cell. Please ask your organiser."))
    return await show(ctx, cell)


async def show(ctx: Ctx, cell: OrgUnit) -> Outcome:
    if cell.id not in ctx.user.secretary_of:  # an organiser reading a cell: kept for audit
        await ReadLog(ctx.db).record(ctx.user.id, cell.id, "standing", ctx.now)
    return Done([Reply(await standing_text(ctx, cell))])


async def received_cell(ctx: Ctx, key: str) -> Outcome:
    return await show_id(ctx, int(key))


FLOW = Flow(
    "standing",
    [
        ChoiceStep(
            "cell", ask_which_cell, own_cell_choices, received_cell, counted=False
        )
    ],
    start=start,
    disposable=True,  # only a choice of cell: another command may replace it
)

COMMANDS = [
    Command(
        ("tinhhinh", "standing"),
        N_("See the cell's standing"),
        roles=frozenset({Role.SECRETARY, Role.STAFF, Role.ADMIN}),
        flow=FLOW,
    ),
]
