"""/tonghop (/summary) and /chuabaocao (/missing): an organiser's area for a period.

    start ─► (one area) ──────────────► the summary, or the cells that have not reported
          └► area (organiser of several units) ─┘

A period may follow the command (2026-05, 05/2026, Q2/2026, 2026-Q2, quý 2/2026, 2026, năm 2026);
without one it is this month, or last month in the days its reports are still due. The area is
the tree of the period (a report counts for the commune of its day, and the units merged into
the organiser's count as theirs in their own days); "nay" after the period (/tonghop 2016 nay)
regroups the figures under today's units. A month not due yet is counted apart (Owing). Every
read is recorded in data_reads. Figures are indicators, never an official rating (DOMAIN.md §3.4).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from bot.core.commands import Command
from bot.core.flow import ChoiceStep, Ctx, Done, Flow, Invalid, Next, Outcome
from bot.core.messages import Choice, Reply
from bot.domain.org import Role
from bot.domain.periods import (
    Period,
    PeriodError,
    PeriodKind,
    check_period,
    default_period,
    month_start,
    parse_period,
    quarter_index,
)
from bot.domain.rulebook import Rulebook
from bot.domain.summaries import (
    CellLine,
    Figures,
    GroupLine,
    Summary,
    cell_lines,
    missing_by_group,
    month_due_on,
    owing,
    pending_by_group,
    probation_lookback,
    recruitment_figures,
    reporting_due_day,
    rule_spans,
    summarise,
    summarise_groups,
    top_and_bottom,
    without_thematic_by_group,
)
from bot.domain.tree import Merged, Tree, split_tree
from bot.i18n import N_, Translator
from bot.storage.database import Database
from bot.storage.org import OrgRepository
from bot.storage.reads import ReadLog
from bot.storage.summaries import SummaryRepository
from handlers.ratings import headline_lines
from handlers.recruitment_texts import holidays_for
from handlers.scope import organiser_units

MESSAGE_LIMIT = 4000  # one phone message (Telegram allows 4096); longer output is split
NOTES_SHOWN = 5


# Loading ---------------------------------------------------------------------------------


def tree_day(ctx: Ctx, tree: Tree) -> date | None:
    """Return the day whose tree a summary reads for every day (today's), or None: each
    day's own."""
    return ctx.today if tree is Tree.TODAY else None


async def load_summary(
    db: Database, rules: Rulebook, unit_id: int, period: Period, now: datetime,
    holidays: frozenset[date], tree: Tree = Tree.THEN, per_cell: bool = True,
) -> Summary:
    """Compute the summary of the subtree of `unit_id` for `period`, as of `now`, in the
    tree of the period (or, Tree.TODAY, today's tree for every day). Without `per_cell`,
    the same figures are added up by SQL per commune, and the summary has no cell lines
    (what /tonghop shows: a province's summary without 3,000 rows)."""
    today = now.date()
    tree_of = today if tree is Tree.TODAY else None
    spans = rule_spans(rules, period.thematic_from, period.last)
    owed = owing(period, today, rules)
    zone = now.tzinfo or UTC
    async with SummaryRepository(db).area(unit_id, period, tree_of, today) as area:
        if per_cell:
            rows = await area.cell_sums(owed, spans, zone)
        else:
            sums = await area.group_sums(owed, spans, zone)
        admitted, confirmed = await area.recruitment_counts()
        probationers, records = await area.open_records(probation_lookback(today, rules))
        notes, total = await area.latest_notes(NOTES_SHOWN)
    recruitment = recruitment_figures(
        admitted, confirmed, probationers, records, today, rules, holidays
    )
    merged = [] if tree is Tree.TODAY else [
        Merged(unit.name, on) for unit, on in await OrgRepository(db).merged_into(
            unit_id, period.first, period.last + timedelta(days=1))
    ]
    if per_cell:
        return summarise(owed, rows, recruitment, notes, total, tree, merged)
    return summarise_groups(owed, sums, recruitment, notes, total, tree, merged)


# Words -----------------------------------------------------------------------------------


def period_label(ctx: Ctx, period: Period) -> str:
    if period.kind is PeriodKind.MONTH:
        return ctx.t.month(period.first)
    if period.kind is PeriodKind.QUARTER:
        return ctx.t("Q{quarter}/{year}", quarter=period.number, year=period.year)
    return ctx.t("year {year}", year=period.year)


def ratio(t: Translator, part: int, whole: int) -> str:
    """Format "2/25 (8%)", or a dash when there is nothing to count."""
    if not whole:
        return "—"
    return f"{t.number(part)}/{t.number(whole)} ({percent(t, Fraction(part, whole))})"


def percent(t: Translator, value: Fraction | None) -> str:
    """Format a share with one decimal at most, or a dash for 0 of 0."""
    return "—" if value is None else t.percent(float(value))


def period_examples(ctx: Ctx) -> str:
    year = ctx.today.year
    return ctx.t(
        # NOTE: Vietnamese adds its own form of a quarter, "quý 2/{year}" (read in any language).
        "Type a month as {month_iso} or {month}, a quarter as Q2/{year} or {year}-Q2, or a "
        "year as {year}.",
        month_iso=ctx.today.strftime("%Y-%m"), month=ctx.today.strftime("%m/%Y"), year=year,
    )


def read_period(ctx: Ctx, args: str) -> Period | Invalid:
    """Return the period typed after the command (or the default), or why it is refused."""
    if not args.strip():
        return default_period(ctx.today, reporting_due_day(ctx.rules, ctx.today))
    period = parse_period(args)
    if period is None:
        return Invalid(ctx.t("I could not read the period “{text}”.", text=args.strip())
                       + " " + period_examples(ctx))
    if check_period(period, ctx.today) is PeriodError.FUTURE:
        return Invalid(ctx.t(
            "The period {period} has not begun yet: I can only summarise up to today.",
            period=period_label(ctx, period),
        ) + " " + period_examples(ctx))
    return period


def summary_sections(ctx: Ctx, unit_name: str, s: Summary) -> list[str]:
    """Render the summary as sections (a section is never split between messages)."""
    return [
        heading_text(ctx, unit_name, s),
        *([groups_text(ctx, s.groups, s.period)] if len(s.groups) > 1 else []),
        meetings_text(ctx, s),
        resolutions_text(ctx, s),
        recruitment_text(ctx, s),
        *([notes_text(ctx, s)] if s.notes else []),
        ctx.t("These are indicators to help the cells, not an official rating."),
    ]


def heading_line(ctx: Ctx, unit_name: str, period: Period) -> str:
    return ctx.t("Summary of {unit}, {period}", unit=unit_name, period=period_label(ctx, period))


def heading_text(ctx: Ctx, unit_name: str, s: Summary) -> str:
    t, totals = ctx.t, s.totals
    lines = [heading_line(ctx, unit_name, s.period)]
    if len(s.groups) > 1:
        lines.append(t.plural("{n} cell in {communes} communes",
                              "{n} cells in {communes} communes",
                              totals.cells, communes=t.number(len(s.groups))))
    else:
        lines.append(t.plural("{n} cell", "{n} cells", totals.cells))
    if s.in_progress:
        lines.append(t("The period is not over: figures so far, on {date}.",
                       date=t.date(s.today)))
    lines += tree_lines(ctx, unit_name, s)
    if s.entered_late:
        lines.append(t("Months before a cell entered the bot count for it only if it reported "
                       "them."))
    if totals.expected_reports or not totals.months_open:
        lines += [
            t("• Regular meeting reports: {reports}; missing: {missing}",
              reports=ratio(ctx.t, totals.reports, totals.expected_reports),
              missing=t.number(totals.missing)),
            t("• Received on time (by day {day} of the next month): {on_time}",
              day=t.number(reporting_due_day(ctx.rules, s.period.first)),
              on_time=ratio(ctx.t, totals.activity.on_time, totals.expected_reports)),
        ]
    if totals.months_open:
        lines.append(t("• Not due yet: {months}; reported so far: {reports}",
                       months=open_months_text(ctx, s.open_months),
                       reports=ratio(ctx.t, totals.open_reported, totals.months_open)))
    return "\n".join(lines)


def open_months_text(ctx: Ctx, months: Sequence[int]) -> str:
    """Name the months in progress with the day each one's report is due: "Nov 2026 (due by
    Dec 5, 2026)"."""
    return ", ".join(ctx.t("{month} (due by {date})", month=ctx.t.month(month_start(m)),
                           date=ctx.t.date(month_due_on(m, ctx.rules))) for m in months)


def tree_lines(ctx: Ctx, unit_name: str, s: Summary) -> list[str]:
    """Say which tree the figures follow: today's, or the period's with what merged since."""
    t = ctx.t
    if s.tree is Tree.TODAY:
        return [t("Grouped under today's units: each cell's figures of the whole period count "
                  "for its commune of today.")]
    lines = []
    if s.merged:
        units = ", ".join(t("{unit} (merged on {date})", unit=m.name, date=t.date(m.on))
                          for m in s.merged)
        lines.append(t("Counted as part of {unit} in their own days: {units}.",
                       unit=unit_name, units=units))
    if s.tree_changed:
        lines.append(t("The communes changed during the period: each report counts for the "
                       "commune of its month."))
    return lines


def groups_text(ctx: Ctx, groups: Sequence[GroupLine], period: Period) -> str:
    worst, best, hidden = top_and_bottom(groups)
    lines = [ctx.t("By commune, lowest reporting rate first:")]
    lines += [group_line(ctx, g, period) for g in worst]
    if hidden:
        lines.append(ctx.t.plural("… {n} commune in between is not shown",
                                  "… {n} communes in between are not shown", hidden))
    lines += [group_line(ctx, g, period) for g in best]
    return "\n".join(lines)


def group_line(ctx: Ctx, group: GroupLine, period: Period) -> str:
    f = group.figures
    commune = group_label(ctx, group, period)
    if not f.expected_reports and f.months_open:  # nothing due yet: how it fills up
        return ctx.t("• {commune}: {reports} so far, not due yet", commune=commune,
                     reports=ratio(ctx.t, f.open_reported, f.months_open))
    return ctx.t("• {commune}: {reports}, missing {missing}", commune=commune,
                 reports=ratio(ctx.t, f.reports, f.expected_reports),
                 missing=ctx.t.number(f.missing))


def group_label(ctx: Ctx, group: GroupLine, period: Period) -> str:
    """Name a commune, with the months it held its cells when that was not the whole period."""
    t = ctx.t
    began = group.starts > period.first
    ended = group.ends <= period.last
    if not (began or ended):  # most communes: no dates to format
        return group.name
    since, until = t.month(group.starts), t.month(group.ends - timedelta(days=1))
    if began and ended:
        return t("{commune} ({since} to {until})", commune=group.name, since=since, until=until)
    if began:
        return t("{commune} (from {since})", commune=group.name, since=since)
    return t("{commune} (until {until})", commune=group.name, until=until)


def meetings_text(ctx: Ctx, s: Summary) -> str:
    t, a, totals = ctx.t, s.totals.activity, s.totals
    return "\n".join([
        t("Meetings held: {count}", count=t.number(a.meetings)),
        t("• Attendance: {present} of {expected} ({rate})", present=t.number(a.present),
          expected=t.number(a.expected), rate=percent(ctx.t, totals.attendance_rate)),
        t("• Meeting the attendance criterion: {share}",
          share=ratio(ctx.t, a.met_attendance, a.attendance_judged)),
        t("• With an unexcused absence: {count}", count=t.number(a.with_unexcused)),
        t("• Shorter than the minimum for their kind: {count}", count=t.number(a.too_short)),
        thematic_line(ctx, s),
    ])


def thematic_line(ctx: Ctx, s: Summary) -> str:
    f = s.totals
    if s.period.kind is PeriodKind.MONTH:  # the month's quarter, from its start to the month
        quarter = (s.period.number - 1) // 3 + 1  # due or in progress: one of them is 0 of 0
        return ctx.t("• Cells with a thematic meeting in Q{quarter} up to this month: {share}",
                     quarter=quarter, share=ratio(ctx.t, f.thematic_covered + f.thematic_open_held,
                                                  f.thematic_owed + f.thematic_open))
    lines = []
    if f.thematic_owed or not f.thematic_open:
        lines.append(ctx.t("• Cells with a thematic meeting in every quarter: {share}",
                           share=ratio(ctx.t, f.thematic_covered, f.thematic_owed)))
    if f.thematic_open:  # the quarter in progress is judged once its last month is due
        quarters = sorted({quarter_index(month_start(m)) for m in s.open_months})
        lines.append(ctx.t("• Cells with a thematic meeting in {quarters} so far, not due yet: "
                           "{share}", quarters=", ".join(quarter_label(ctx, q) for q in quarters),
                           share=ratio(ctx.t, f.thematic_open_held, f.thematic_open)))
    return "\n".join(lines)


def quarter_label(ctx: Ctx, quarter: int) -> str:
    """Name a quarter (an index) as /tonghop's periods are named: "Q4/2026"."""
    return period_label(ctx, Period(PeriodKind.QUARTER, quarter // 4, quarter % 4 + 1))


def resolutions_text(ctx: Ctx, s: Summary) -> str:
    t, a = ctx.t, s.totals.activity
    return "\n".join([
        t("Resolutions adopted: {count}", count=t.number(a.resolutions)),
        t("• Passed on to everyone they must reach: {share}",
          share=ratio(ctx.t, a.disseminated_to_all, a.resolutions)),
        t("• With at least one concrete task: {share}",
          share=ratio(ctx.t, a.with_tasks, a.resolutions)),
        t("• Last month's tasks done, where reported: {share}",
          share=ratio(ctx.t, a.previous_tasks_done, a.previous_tasks_total)),
    ])


def recruitment_text(ctx: Ctx, s: Summary) -> str:
    t, r = ctx.t, s.recruitment
    return "\n".join([
        t("Recruitment"),
        t("• Admitted in the period: {admitted}; confirmed as full members: {confirmed}",
          admitted=t.number(r.admitted), confirmed=t.number(r.confirmed)),
        t("• On probation today: {count}; probations ending within {days} days: {ending}",
          count=t.number(r.in_probation), days=t.number(r.window_days),
          ending=t.number(r.probations_ending_soon)),
        t("• Overdue: ceremonies {ceremonies}, confirmations {confirmations}",
          ceremonies=t.number(r.overdue_ceremonies),
          confirmations=t.number(r.overdue_confirmations)),
    ])


def notes_text(ctx: Ctx, s: Summary) -> str:
    t = ctx.t
    lines = [t("Latest notes from the secretaries:")]
    lines += [f"• {t.date(n.held_on)}, {n.cell_code} {n.cell_name}: {n.text}" for n in s.notes]
    if s.more_notes:
        lines.append(t.plural("… and {n} more note", "… and {n} more notes", s.more_notes))
    return "\n".join(lines)


def missing_sections(
    ctx: Ctx, unit_name: str, period: Period, lines: Sequence[CellLine],
    names: dict[int, list[str | None]], open_months: Sequence[int] = (),
) -> list[str]:
    """Render the cells still owing a regular report (and, for a quarter, a thematic one);
    the months whose report is not due yet (`open_months`) are told apart, never missing."""
    t = ctx.t
    label = period_label(ctx, period)
    totals = Figures.of(lines)
    if totals.nothing_owed:
        return [nobody_expected(ctx, unit_name, period)]
    groups = missing_by_group(lines)
    count = len({line.cell.id for _, cells in groups for line in cells})
    sections = []
    several = len(period.months) > 1
    if count:
        sections.append(t("Cells without a regular meeting report for {period} in {unit}: "
                          "{count}", period=label, unit=unit_name,
                          count=ratio(ctx.t, count, totals.cells)))
        sections += [group_text(ctx, name, cells, names, several) for name, cells in groups]
    elif totals.months_open and totals.expected_reports:
        sections.append(t("Every cell of {unit} has reported its regular meetings due for "
                          "{period}.", unit=unit_name, period=label))
    elif not totals.months_open:
        sections.append(t("Every cell of {unit} has reported its regular meeting for {period}.",
                          unit=unit_name, period=label))
    if totals.months_open:  # the cells to remind, not missing: their reports are on time yet
        sections.append(t("Not due yet, so not missing: {months}; reported so far: {reports}",
                          months=open_months_text(ctx, open_months),
                          reports=ratio(ctx.t, totals.open_reported, totals.months_open)))
        sections += [group_text(ctx, name, cells, names, several, pending=True)
                     for name, cells in pending_by_group(lines)]
    if period.kind is PeriodKind.QUARTER:
        sections += thematic_sections(ctx, label, lines, names)
    return sections


def thematic_sections(
    ctx: Ctx, label: str, lines: Sequence[CellLine], names: dict[int, list[str | None]]
) -> list[str]:
    """Render the cells whose quarter lacked its thematic meeting, or, while the quarter's
    last report is not due, how many have held it so far."""
    totals = Figures.of(lines)
    if not totals.thematic_owed and totals.thematic_open:
        return [ctx.t("The thematic meeting of {period} is not due yet: held so far by "
                      "{share} of the cells.", period=label,
                      share=ratio(ctx.t, totals.thematic_open_held, totals.thematic_open))]
    thematic = without_thematic_by_group(lines)
    missing = sum(len(cells) for _, cells in thematic)
    return [ctx.t("Cells without a thematic meeting in {period} so far: {count}",
                  period=label, count=ratio(ctx.t, missing, totals.thematic_owed)),
            *(group_text(ctx, name, cells, names, False) for name, cells in thematic)]


def group_text(
    ctx: Ctx, name: str, cells: Sequence[CellLine], names: dict[int, list[str | None]],
    months: bool, pending: bool = False,
) -> str:
    """List a commune's cells with their secretaries and, with `months`, how many months of
    how many lack a report: those due, or (`pending`) those not due yet."""
    lines = [f"{name} ({ctx.t.number(len(cells))})"]
    for line in cells:
        cell = f"{line.cell.code} {line.cell.name}".strip()
        lacking, of = ((line.months_open - line.activity.not_yet_due, line.months_open)
                       if pending else (line.months_missing, line.months_owed))
        if months:
            cell += " " + ctx.t.plural("({missing} of {n} month)", "({missing} of {n} months)",
                                       of, missing=ctx.t.number(lacking))
        lines.append(f"• {cell} — {secretaries_text(ctx, names.get(line.cell.id, []))}")
    return "\n".join(lines)


def secretaries_text(ctx: Ctx, names: Sequence[str | None]) -> str:
    """Name the registered secretaries; those whose profile had no name are counted."""
    if not names:
        return ctx.t("no secretary registered")
    named = [n for n in names if n]
    unnamed = len(names) - len(named)
    if unnamed:
        named.append(ctx.t.plural("{n} secretary without a profile name",
                                  "{n} secretaries without a profile name", unnamed))
    return ", ".join(named)


def pack(sections: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join sections into as few messages as fit `limit`, splitting only a too long section
    (at line ends), so that no line and, where possible, no section is cut in two."""
    messages: list[str] = []
    current = ""
    for section in sections:
        for piece in _pieces(section, limit):
            joined = f"{current}\n\n{piece}" if current else piece
            if len(joined) <= limit:
                current = joined
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def _pieces(section: str, limit: int) -> list[str]:
    if len(section) <= limit:
        return [section]
    pieces, current = [], ""
    for line in section.split("\n"):
        line = line[:limit]  # a single line longer than a message: cut it, never drop it
        joined = f"{current}\n{line}" if current else line
        if len(joined) <= limit:
            current = joined
        else:
            pieces.append(current)
            current = line
    return [*pieces, current]


# The commands ----------------------------------------------------------------------------

Show = Callable[[Ctx, int, Period, Tree], Awaitable[Outcome]]


async def show_summary(ctx: Ctx, unit_id: int, period: Period, tree: Tree) -> Outcome:
    unit = await OrgRepository(ctx.db).get(unit_id)
    if unit is None:
        return Invalid(ctx.t("I cannot find your unit. Please ask your administrator."))
    summary = await load_summary(ctx.db, ctx.rules, unit_id, period, ctx.now, holidays_for(ctx),
                                 tree, per_cell=False)
    await ReadLog(ctx.db).record(ctx.user.id, unit_id, "summary", ctx.now)
    nobody = summary.totals.nothing_owed and not summary.notes and not (
        summary.recruitment.admitted or summary.recruitment.confirmed)
    sections = ([heading_line(ctx, unit.name, period), nobody_expected(ctx, unit.name, period)]
                if nobody else summary_sections(ctx, unit.name, summary))
    if period.kind is PeriodKind.YEAR:  # the ratings' headline (per commune: /xeploai)
        ratings = await headline_lines(ctx, [unit_id], period.year, communes=False,
                                       tree_of=tree_day(ctx, tree))
        if ratings:
            sections.insert(len(sections) if nobody else -1, "\n".join(ratings))
    return Done([Reply(text) for text in pack(sections)])


def nobody_expected(ctx: Ctx, unit_name: str, period: Period) -> str:
    """Say that no cell owed anything in the period (none was in the bot yet, none reported):
    rather than a page of zeros and dashes."""
    return ctx.t("No cell of {unit} was expected to report for {period}: the area had no cell "
                 "using the bot then.", unit=unit_name, period=period_label(ctx, period))


async def show_missing(ctx: Ctx, unit_id: int, period: Period, tree: Tree) -> Outcome:
    unit = await OrgRepository(ctx.db).get(unit_id)
    if unit is None:
        return Invalid(ctx.t("I cannot find your unit. Please ask your administrator."))
    spans = rule_spans(ctx.rules, period.thematic_from, period.last)
    owed = owing(period, ctx.today, ctx.rules)
    async with SummaryRepository(ctx.db).area(unit_id, period, tree_day(ctx, tree)) as area:
        rows = await area.cell_sums(owed, spans, ctx.now.tzinfo or UTC)
        names = await area.secretary_names()
    lines = cell_lines(owed, rows)
    await ReadLog(ctx.db).record(ctx.user.id, unit_id, "missing", ctx.now)
    sections = missing_sections(ctx, unit.name, period, lines, names, owed.open_months)
    return Done([Reply(text) for text in pack(sections)])


def stored_period(period: Period) -> list[int | str]:
    """Return the period as a draft keeps it (JSON values)."""
    return [period.kind.value, period.year, period.number]


def draft_period(ctx: Ctx) -> Period:
    """Return the period the draft keeps (see stored_period)."""
    kind, year, number = ctx.draft["period"]
    return Period(PeriodKind(str(kind)), int(year), int(number))


def draft_tree(ctx: Ctx) -> Tree:
    return Tree(ctx.draft.get("tree", Tree.THEN))


async def _begin(ctx: Ctx, args: str, show: Show) -> Outcome:
    typed, tree = split_tree(args)
    period = read_period(ctx, typed)
    if isinstance(period, Invalid):
        return period
    units = organiser_units(ctx)  # never empty: only organisers have the commands
    if len(units) > 1:
        ctx.draft.update(period=stored_period(period), tree=tree.value)
        return Next("area")
    return await show(ctx, units[0], period, tree)


async def area_choices(ctx: Ctx) -> list[Choice]:
    org = OrgRepository(ctx.db)
    units = [await org.get(unit_id) for unit_id in organiser_units(ctx)]
    return [Choice(str(u.id), u.name) for u in units if u is not None]


def ask_area(ctx: Ctx) -> str:
    return ctx.t("Which area?")


def area_flow(name: str, show: Show) -> Flow:
    """Return the flow of an organiser's command "[period] [nay]": shown at once for one
    area, else after the user picks which of theirs."""
    async def start(ctx: Ctx, args: str) -> Outcome:
        return await _begin(ctx, args, show)

    async def received_area(ctx: Ctx, key: str) -> Outcome:
        return await show(ctx, int(key), draft_period(ctx), draft_tree(ctx))

    return Flow(
        name,
        [ChoiceStep("area", ask_area, area_choices, received_area, counted=False)],
        start=start,
        disposable=True,  # only a choice of area: another command may replace it
    )


ORGANISERS = frozenset({Role.STAFF, Role.ADMIN})

COMMANDS = [
    Command(
        ("tonghop", "summary"),
        N_("Summary of your area: reports, meetings, recruitment"),
        roles=ORGANISERS,
        flow=area_flow("summary", show_summary),
    ),
    Command(
        ("chuabaocao", "missing"),
        N_("Cells that have not reported their regular meeting"),
        roles=ORGANISERS,
        flow=area_flow("missing", show_missing),
    ),
]
