"""/tinhhinh (/standing): the cell's latest meeting and its year so far, as indicators.

    start ─► (one cell, or a code typed after the command) ─► standing
          └► ask_cell (secretary of several cells) ─► standing

Also shown right after a meeting report is saved. Never an official rating (DOMAIN.md §3.4).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from bot.core.commands import Command
from bot.core.flow import (
    Ctx,
    Done,
    Flow,
    Invalid,
    Next,
    Outcome,
    PagedChoiceStep,
)
from bot.core.messages import Choice, Reply
from bot.domain.cells import CellSize, cell_rules_on
from bot.domain.meetings import (
    Dissemination,
    MeetingEvaluation,
    MeetingKind,
    MeetingReport,
    MeetingRules,
    evaluate,
    is_thematic,
    rules_on,
)
from bot.domain.org import OrgUnit, Role
from bot.domain.standing import (
    CellStanding,
    LatestMeeting,
    PeriodStanding,
    Share,
    cell_standing,
    period_standing,
    shows_past_year,
    whole_year,
)
from bot.domain.summaries import month_due_on
from bot.domain.words import name_order
from bot.i18n import N_
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository
from bot.storage.reads import ReadLog
from handlers.common import example_cell_codes, which_cell_step, with_own_cell
from handlers.finding import (
    MATCH_STEP,
    FindStep,
    cells_within,
    match_step,
    offer,
    search,
    units_above,
)
from handlers.scope import organiser_units
from handlers.sections import standing_sections

# Labels of kinds and targets, shared with the report flow (which imports this module).
KIND_LABELS = {
    MeetingKind.REGULAR: N_("Regular"),
    MeetingKind.THEMATIC: N_("Thematic"),
    MeetingKind.COMBINED: N_("Regular and thematic together"),
}
TARGET_LABELS = {
    Dissemination.HAMLET_BOARD: N_("Hamlet board"),
    # NOTE: at hamlet level the Front is its work committee, "Ban Công tác Mặt trận ấp/khu phố".
    Dissemination.FATHERLAND_FRONT: N_("Hamlet Front work committee"),
    Dissemination.WOMENS_UNION: N_("Women's Union"),
    Dissemination.FARMERS_UNION: N_("Farmers' Union"),
    Dissemination.VETERANS: N_("Veterans' Association"),
    Dissemination.YOUTH_UNION: N_("Youth Union"),
}


async def standing_text(ctx: Ctx, cell: OrgUnit) -> str:
    """Render the standing of `cell` in the user's language, with the other features' parts."""
    standing = await cell_standing_of(ctx, cell)
    parent = None if cell.parent_id is None else await OrgRepository(ctx.db).get(cell.parent_id)
    parts = [ctx.t(
        "Standing of {cell}, {commune}, on {date}",
        cell=cell.name,
        commune="" if parent is None else parent.name,
        date=ctx.t.date(ctx.today),
    )]
    size = size_text(ctx, standing)
    if size:
        parts.append(size)
    if standing.latest is None and cell.id in ctx.user.secretary_of:
        parts.append(ctx.t("No meeting has been reported yet. Send /baocao to report one."))
    elif standing.latest is None:  # an organiser reading someone else's cell
        parts.append(ctx.t("No meeting has been reported yet."))
    else:
        parts.append(latest_text(ctx, standing.latest))
    if cell.id not in ctx.user.secretary_of:  # what the secretary wrote for the organisers
        notes = await notes_text(ctx, cell)
        if notes:
            parts.append(notes)
    parts.append(period_text(ctx, standing.year))
    if standing.past_year is not None:
        parts.append(period_text(ctx, standing.past_year))
    for section in standing_sections():
        text = await section(ctx, cell)
        if text:
            parts.append(text)
    parts.append(ctx.t("These are indicators to help the cell, not an official rating."))
    return "\n\n".join(parts)


async def cell_standing_of(ctx: Ctx, cell: OrgUnit) -> CellStanding:
    """Load the cell's reports and compute its standing today."""
    repo = MeetingRepository(ctx.db)
    years = [ctx.today.year - 1, ctx.today.year] if shows_past_year(ctx.today, ctx.rules) else [
        ctx.today.year
    ]
    reports = [r for year in years for r in await repo.for_year(cell.id, year)]
    latest = await repo.latest(cell.id)
    if latest is not None and latest.report.held_on.year not in years:
        reports.insert(0, latest.report)  # an older meeting is still "the latest"
    since = await OrgRepository(ctx.db).tracked_from(cell.id)
    return cell_standing(
        cell.id, reports, ctx.today, ctx.rules, cell.full_members, tracked_since=since
    )


async def notes_text(ctx: Ctx, cell: OrgUnit) -> str | None:
    """Return the secretary's latest notes (the "for the commune" ones), newest first."""
    notes = await MeetingRepository(ctx.db).latest_notes(cell.id)
    if not notes:
        return None
    lines = [ctx.t("Notes from the secretary:")]
    lines += [f"• {ctx.t.date(day)}: {note}" for day, note in notes]
    return "\n".join(lines)


def percent(ctx: Ctx, share: Fraction | None) -> str:
    """Format a share as a percentage, or a dash when there is nothing to divide."""
    return "—" if share is None else ctx.t.percent(float(share))


def share_text(ctx: Ctx, share: Share) -> str:
    """Write a share as "k/n (p %)", or a dash when there is nothing to divide."""
    if share.value is None:
        return "—"
    return f"{ctx.t.number(share.part)}/{ctx.t.number(share.whole)} ({percent(ctx, share.value)})"


def size_text(ctx: Ctx, standing: CellStanding) -> str | None:
    """Warn about a cell below the Charter's size; note the cell committee of a large one."""
    rules = cell_rules_on(ctx.rules, ctx.today)
    full = standing.full_members
    if standing.size is CellSize.TOO_SMALL:
        return ctx.t.plural(
            "⚠ The cell has {n} full member on its roll; a cell needs at least {least} "
            "(Party Charter, Art. 24). Please check the roll with your organiser.",
            "⚠ The cell has {n} full members on its roll; a cell needs at least {least} "
            "(Party Charter, Art. 24). Please check the roll with your organiser.",
            full,
            least=ctx.t.number(rules.min_full_members),
        )
    if standing.size is CellSize.COMMITTEE:
        return ctx.t(
            "• {full} full members: from {least}, the cell elects a cell committee.",
            full=ctx.t.number(full),
            least=ctx.t.number(rules.committee_full_members),
        )
    return None


def latest_text(ctx: Ctx, latest: LatestMeeting) -> str:
    t, report = ctx.t, latest.report
    head = t(
        "Latest meeting: {kind}, {date}",
        date=t.date(report.held_on),
        kind=t(KIND_LABELS[report.kind]),
    )
    return "\n".join([head, *meeting_lines(ctx, latest.report, latest.evaluation)])


def meeting_lines(ctx: Ctx, report: MeetingReport, result: MeetingEvaluation) -> list[str]:
    """Return the lines of one meeting's indicators, each flag under its figure."""
    t = ctx.t
    lines = [attendance_line(ctx, report), *attendance_flags(ctx, report, result)]
    if report.upper_guest is not None:
        lines.append(t("• Upper-level guest: {answer}",
                       answer=yes_no_text(ctx, report.upper_guest)))
    if report.previous_tasks_done is not None and report.previous_tasks_total:
        lines.append(t(
            "• Last month's tasks done: {share}",
            share=share_text(ctx, Share(report.previous_tasks_done, report.previous_tasks_total)),
        ))
    lines.append(t.plural("• Duration: {n} minute", "• Duration: {n} minutes", report.minutes))
    lines += duration_flags(ctx, result)
    if not report.resolution_adopted:  # nothing to pass on, so no dissemination line
        lines.append(t("• No resolution adopted"))
        return lines
    if result.disseminated_to_all:
        lines.append(t("• Resolution passed on to everyone it must reach"))
    else:
        lines += dissemination_flags(ctx, result)
    lines.append(t(
        "• Concrete tasks (person in charge and deadline): {count}",
        count=t.number(report.tasks),
    ))
    return lines


def attendance_line(ctx: Ctx, report: MeetingReport) -> str:
    return ctx.t(
        "• Attendance: {share}", share=share_text(ctx, Share(report.present, report.expected))
    )


def attendance_flags(ctx: Ctx, report: MeetingReport, result: MeetingEvaluation) -> list[str]:
    """Return the attendance warnings and the criterion's verdict, as the standing shows them."""
    t = ctx.t
    rules = rules_on(ctx.rules, report.held_on)
    lines = [low_attendance_warning(ctx, rules)] if result.below_valid_share else []
    if rules.attendance_threshold is None:  # no criterion in this meeting's era
        return lines
    threshold = t.percent(float(rules.attendance_threshold))
    if result.meets_attendance:
        return [*lines, t(
            "  ✓ meets the attendance criterion (more than {threshold}, no unexcused absence)",
            threshold=threshold,
        )]
    reasons = []
    rate = result.attendance_rate
    if rate is None or rate <= rules.attendance_threshold:
        reasons.append(t("attendance not above {threshold}", threshold=threshold))
    if result.unexcused and rules.unexcused_absence_fails:
        reasons.append(t.plural(
            "{n} unexcused absence", "{n} unexcused absences", result.unexcused
        ))
    return [*lines, t(
        "  ✗ does not meet the attendance criterion: {reasons}", reasons="; ".join(reasons)
    )]


def duration_flags(ctx: Ctx, result: MeetingEvaluation) -> list[str]:
    if not result.too_short or result.min_minutes is None:
        return []
    return [ctx.t.plural(
        "  ⚠ shorter than the {n} minute required",
        "  ⚠ shorter than the {n} minutes required",
        result.min_minutes,
    )]


def dissemination_flags(ctx: Ctx, result: MeetingEvaluation) -> list[str]:
    if not result.missing_targets:
        return []
    missing = ", ".join(
        ctx.t(TARGET_LABELS[x]) for x in Dissemination if x in result.missing_targets
    )
    return [ctx.t("• ⚠ Resolution not yet passed on to: {missing}", missing=missing)]


def yes_no_text(ctx: Ctx, answer: bool | None) -> str:
    """Word a yes/no answer, or say it was skipped."""
    if answer is None:
        return ctx.t("not said")
    return ctx.t("Yes") if answer else ctx.t("No")


def low_attendance_warning(ctx: Ctx, rules: MeetingRules) -> str:
    """Warn that so few attended that the count, or the meeting's validity, needs a check."""
    return ctx.t(
        "  ⚠ fewer than {share} of the expected members attended: please check the number",
        share=ctx.t.percent(float(rules.valid_attendance_share)),
    )


def period_heading(ctx: Ctx, s: PeriodStanding) -> str:
    """Name the year, and since when the cell is tracked when that is after January."""
    t = ctx.t
    if 1 < s.tracked_from <= 12:
        since = t.month(date(s.period.year, s.tracked_from, 1))
        if s.ended:
            return t(
                "{year}, from {month}, when the cell started using the bot:",
                year=str(s.period.year),
                month=since,
            )
        return t("From {month}, when the cell started using the bot:", month=since)
    if s.ended:
        return t("Last year ({year}):", year=str(s.period.year))
    return t("This year so far ({year}):", year=str(s.period.year))


def period_text(ctx: Ctx, s: PeriodStanding) -> str:
    t = ctx.t
    lines = [period_heading(ctx, s), *months_lines(ctx, s), *thematic_lines(ctx, s)]
    if not s.meetings:
        return "\n".join(lines)
    lines += [
        t("• Average attendance: {rate}", rate=percent(ctx, s.attendance_rate)),
        t(
            "• Meetings that met the attendance criterion: {share}",
            share=share_text(ctx, s.meeting_attendance),
        ),
        t(
            "• Resolutions passed on to everyone they must reach: {share}",
            share=share_text(ctx, s.disseminated_to_all),
        ),
        t(
            "• Resolutions with at least one concrete task: {share}",
            share=share_text(ctx, s.with_concrete_tasks),
        ),
    ]
    if s.previous_tasks_done.whole:
        lines.append(t(
            "• Last month's tasks done: {share}", share=share_text(ctx, s.previous_tasks_done)
        ))
    if s.with_upper_guest.whole:
        lines.append(t(
            "• Meetings with an upper-level guest: {share}",
            share=share_text(ctx, s.with_upper_guest),
        ))
    return "\n".join(lines)


def months_lines(ctx: Ctx, s: PeriodStanding) -> list[str]:
    """Return the months held of the due ones, the missing ones, and this month's report."""
    t = ctx.t
    lines = []
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
        months = ", ".join(t.month(date(s.period.year, m, 1)) for m in s.missing_months)
        lines.append(t("  ⚠ no regular meeting reported for: {months}", months=months))
    if s.reported_early:
        months = ", ".join(t.month(date(s.period.year, m, 1)) for m in s.reported_early)
        lines.append(t("• Reported before the due day: {months}", months=months))
    for month in s.months_pending:
        if month == s.current_month:
            lines.append(t("• This month's regular meeting is not reported yet."))
        else:  # the month just ended, in the days its report is still on time
            lines.append(t("• The regular meeting of {month} is not reported yet: it is due by "
                           "{date}.", month=t.month(date(s.period.year, month, 1)),
                           date=t.date(month_due_on(s.period.year * 12 + month - 1,
                                                    ctx.rules))))
    return lines


def thematic_lines(ctx: Ctx, s: PeriodStanding) -> list[str]:
    """Return this quarter's thematic meetings and the ended quarters without one."""
    t = ctx.t
    lines = []
    if s.current_quarter is not None:
        lines.append(
            t(
                "• Thematic meetings this quarter (quarter {quarter}): {count}, at least "
                "{expected} expected",
                quarter=t.number(s.current_quarter),
                count=t.number(s.thematic_this_quarter),
                expected=t.number(s.thematic_expected),
            )
        )
    if s.quarters_without_thematic:
        quarters = ", ".join(t.number(q) for q in s.quarters_without_thematic)
        lines.append(t("  ⚠ quarters without a thematic meeting: {quarters}", quarters=quarters))
    return lines


async def saved_text(ctx: Ctx, cell: OrgUnit, report: MeetingReport) -> str:
    """Return what a saved report changed, short for a phone: this meeting's attendance and
    flags, and the months held of its year; the whole standing is one command away."""
    t = ctx.t
    result = evaluate(report, ctx.rules)
    meeting = [
        t("This meeting ({date}):", date=t.date(report.held_on)),
        attendance_line(ctx, report),
        *attendance_flags(ctx, report, result),
        *duration_flags(ctx, result),
        *dissemination_flags(ctx, result),
    ]
    year = await year_of(ctx, cell, report.held_on.year)
    lines = [*months_lines(ctx, year)]
    if is_thematic(report, ctx.rules):
        lines += thematic_lines(ctx, year)
    more = t("The whole standing: /{command}", command=COMMANDS[0].name_for(t.locale))
    return "\n\n".join(["\n".join(meeting), "\n".join([period_heading(ctx, year), *lines]), more])


async def year_of(ctx: Ctx, cell: OrgUnit, year: int) -> PeriodStanding:
    """Compute one year of the cell's standing, as far as today."""
    repo = MeetingRepository(ctx.db)
    since = await OrgRepository(ctx.db).tracked_from(cell.id)
    return period_standing(cell.id, await repo.for_year(cell.id, year),
                           whole_year(year), ctx.today, ctx.rules, tracked_since=since)


# The command: the secretary's own cell, or a cell an organiser names or picks --------------


async def start(ctx: Ctx, args: str) -> Outcome:
    """Show the cell named after the command (code or name), the secretary's cell, or let an
    organiser pick a commune and then one of its cells."""
    if args:
        return await find(ctx, args)
    return await with_own_cell(ctx, show_id, browse)


async def find(ctx: Ctx, typed: str) -> Outcome:
    """Find the cells in the user's scope by code, by a part of their name, or by a path."""
    matches = await search(ctx, await cells_in_scope(ctx), typed)
    if not matches:
        return Invalid(ctx.t(
            "I found no cell with the code or name {typed} in your area.", typed=typed.strip()
        ))
    if len(matches) == 1:
        return await show(ctx, matches[0])
    offer(ctx, matches)
    return Next(MATCH_STEP)


async def cells_in_scope(ctx: Ctx) -> list[OrgUnit]:
    """Return the cells the user may read: their own, and every cell under their grants."""
    org = OrgRepository(ctx.db)
    found = {c.id: c for c in await cells_within(ctx, organiser_units(ctx))}
    for cell_id in ctx.user.secretary_of:
        cell = await org.get(cell_id)
        if cell is not None:
            found[cell.id] = cell
    return sorted(found.values(), key=lambda c: (name_order(c.name), c.id))


async def browse(ctx: Ctx) -> Outcome:
    """Offer the communes of the organiser's scope, or the cells when there is one commune."""
    communes = await commune_choices(ctx)
    if not communes:
        return Invalid(ctx.t("There are no cells in your area yet."))
    if len(communes) == 1:
        ctx.draft["commune"] = int(communes[0].key)
        return Next("commune_cell")
    return Next("commune")


async def commune_choices(ctx: Ctx) -> list[Choice]:
    cells = await cells_in_scope(ctx)
    parents = await units_above(ctx, cells)
    communes = {c.parent_id for c in cells}
    ordered = sorted((p for p in parents.values() if p.id in communes),
                     key=lambda p: (name_order(p.name), p.id))
    return [Choice(str(p.id), p.name) for p in ordered]


def received_commune(ctx: Ctx, key: str) -> Outcome:
    ctx.draft["commune"] = int(key)
    return Next("commune_cell")


async def commune_cell_choices(ctx: Ctx) -> list[Choice]:
    commune = int(ctx.draft["commune"])
    cells = [c for c in await cells_in_scope(ctx) if c.parent_id == commune]
    return [Choice(str(c.id), f"{c.name} ({c.code})" if c.code else c.name) for c in cells]


async def received_cell_id(ctx: Ctx, key: str) -> Outcome:
    return await show_id(ctx, int(key))


async def how_to_name_a_cell(ctx: Ctx) -> str:
    """Say how an organiser names a cell, with real codes of their area."""
    examples = await example_cell_codes(ctx)
    return ctx.t(
        "To see one cell at once, send /{command} with its code or a part of its name, for "
        "example /{command} {code}. Codes in your area include {codes}.",
        command=COMMANDS[0].name_for(ctx.t.locale),
        code=examples.split(", ")[0],
        codes=examples,
    )


async def show_id(ctx: Ctx, cell_id: int) -> Outcome:
    cell = await OrgRepository(ctx.db).get(cell_id)
    if cell is None:
        return Invalid(ctx.t("I cannot find your cell. Please ask your organiser."))
    return await show(ctx, cell)


async def show(ctx: Ctx, cell: OrgUnit) -> Outcome:
    if cell.id not in ctx.user.secretary_of:  # an organiser reading a cell: kept for audit
        await ReadLog(ctx.db).record(ctx.user.id, cell.id, "standing", ctx.now)
    return Done([Reply(await standing_text(ctx, cell))])


async def ask_commune(ctx: Ctx) -> str:
    return ctx.t("Which commune?") + "\n" + await how_to_name_a_cell(ctx)


def ask_commune_cell(ctx: Ctx) -> str:
    return ctx.t("Which cell?")


FLOW = Flow(
    "standing",
    [
        which_cell_step(show_id),
        # A cell's code or name typed instead of a commune finds the cell, as after /tinhhinh.
        FindStep("commune", ask_commune, commune_choices, received_commune, counted=False,
                 find=find),
        PagedChoiceStep("commune_cell", ask_commune_cell, commune_cell_choices,
                        received_cell_id, counted=False),
        match_step(received_cell_id),
    ],
    start=start,
    disposable=True,  # only choices of a cell: another command may replace them
)

COMMANDS = [
    Command(
        ("tinhhinh", "standing"),
        N_("See the cell's standing"),
        roles=frozenset({Role.SECRETARY, Role.STAFF, Role.ADMIN}),
        flow=FLOW,
    ),
]
