"""/xuat (/export): the area's workbook; /bieudo (/chart): its rates as a picture.

    /xuat [period] ─► (area, for an organiser of several) ─► "preparing…" ─► the .xlsx
    /bieudo [period]       ─► reporting and attendance per commune (or per cell of a commune)
    /bieudo nam 2026       ─► the area month by month
    /bieudo CODE [period]  ─► one cell's months of the year (a secretary: their own cell)

Periods are typed as for /tonghop, "nay" after one too (/xuat 2016 nay: today's units). The
figures are the summaries' (handlers.summary load_summary), so the cells of an area in a period
are whatever the summaries say they are: the org tree of the period, or of today.
Files are built in a thread (off the event loop); every organiser's export and chart is
recorded in data_reads. The same workbook comes from `python -m bot export`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from bot.core.commands import Command
from bot.core.flow import ChoiceStep, Ctx, Done, Flow, Invalid, Next, Outcome
from bot.core.messages import MAX_SENT_FILE_BYTES, Attachment, Reply
from bot.domain.calendar import days_off
from bot.domain.meetings import evaluate_with, rules_on
from bot.domain.org import OrgUnit, Role
from bot.domain.periods import Period, PeriodKind, month_of, month_start
from bot.domain.pipeline import DeadlineKind, next_deadline
from bot.domain.rulebook import Rulebook
from bot.domain.summaries import CellLine, GroupLine, ScopeCell, Summary, by_group, top_and_bottom
from bot.domain.tree import Tree, split_tree
from bot.domain.words import fold
from bot.exports import file_name, period_slug
from bot.exports.charts import Chart, Row, Threshold, chart_png
from bot.exports.xlsx import Export, MeetingRow, RecruitRow, Words, workbook
from bot.i18n import N_
from bot.storage.meetings import MeetingRepository, StoredReport
from bot.storage.org import OrgRepository
from bot.storage.ratings import RatedCell, RatingRepository, StoredRating
from bot.storage.reads import ReadLog
from bot.storage.recruitment import Recruit, RecruitmentRepository
from handlers.common import which_cell_step, with_own_cell
from handlers.ratings import level_label
from handlers.recruitment_texts import STAGE_LABELS
from handlers.scope import may_see, organiser_units
from handlers.standing import KIND_LABELS
from handlers.summary import (
    area_choices,
    area_flow,
    ask_area,
    draft_period,
    draft_tree,
    load_summary,
    period_label,
    read_period,
    stored_period,
    tree_day,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = "image/png"
CHUNK = 200  # cells a query: the event loop gets a turn between chunks of a province
EXPORT_NAMES = ("xuat", "export")
CHART_NAMES = ("bieudo", "chart")
YEAR_WORDS = ("nam", "year")  # "/bieudo nam 2026": the year month by month
# NOTE: words of file names, written without diacritics ("tonghop-xa-tan-lan-2026-11.xlsx").
WORKBOOK_WORD = N_("summary")
CHART_WORD = N_("chart")
DEADLINE_NAMES = {
    DeadlineKind.CERTIFICATE_EXPIRES: N_("Awareness certificate expires"),
    DeadlineKind.DOSSIER_STALE: N_("Dossier goes stale"),
    DeadlineKind.ADMISSION_DECISION_DUE: N_("Admission decision due"),
    DeadlineKind.CEREMONY_DUE: N_("Admission ceremony due"),
    DeadlineKind.PROBATION_ENDS: N_("Probation ends"),
    DeadlineKind.CONFIRM_VOTE_DUE: N_("Confirmation vote due"),
    DeadlineKind.CONFIRMATION_DECISION_DUE: N_("Confirmation decision due"),
}


# The workbook ---------------------------------------------------------------------------


def words_for(ctx: Ctx, period: Period, tree: Tree = Tree.THEN) -> Words:
    t = ctx.t
    label = period_label(ctx, period)
    if tree is Tree.TODAY:
        label = t("{period}, grouped under today's units", period=label)
    return Words(
        t=t,
        period=label,
        kind=lambda kind: t(KIND_LABELS[kind]),
        stage=lambda stage: t(STAGE_LABELS[stage]),
        deadline=lambda kind: t(DEADLINE_NAMES[kind]),
        level=lambda scheme, level: level_label(t, scheme, level),
    )


@dataclass(frozen=True)
class Loaded:
    """What the database gives for a workbook; turned into its rows in the thread."""

    unit: OrgUnit
    summary: Summary
    reports: list[StoredReport]
    people: list[Recruit]
    ratings: list[RatedCell]  # the period's year
    latest: dict[int, StoredRating]  # per cell: its latest rating up to the period's year


async def load_export(
    ctx: Ctx, unit: OrgUnit, period: Period, tree: Tree = Tree.THEN
) -> Loaded:
    """Load the summary of the unit's subtree and the rows behind it, for the workbook."""
    summary = await load_summary(ctx.db, ctx.rules, unit.id, period, ctx.now, _holidays(ctx),
                                 tree)
    ids = sorted(line.cell.id for line in summary.cells)
    meetings, recruits = MeetingRepository(ctx.db), RecruitmentRepository(ctx.db)
    reports, people = [], []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        reports += await meetings.between(chunk, period.first, period.last)
        people += await recruits.of_cells(chunk)
    ratings = RatingRepository(ctx.db)
    regrouped = tree_day(ctx, tree)
    rated = await ratings.cells_of_year([unit.id], period.year, regrouped)  # one year a period
    latest = await latest_ratings(ratings, unit, period, set(ids), regrouped)
    return Loaded(unit, summary, reports, people, rated, latest)


async def latest_ratings(
    ratings: RatingRepository, unit: OrgUnit, period: Period, cells: set[int],
    tree_of: date | None = None,
) -> dict[int, StoredRating]:
    """Return each cell's rating of its latest rated year up to the period's."""
    latest: dict[int, StoredRating] = {}
    for year in await ratings.rated_years([unit.id]):  # latest first
        if year > period.last.year:
            continue
        for rated in await ratings.cells_of_year([unit.id], year, tree_of):
            if rated.rating.cell_id in cells:
                latest.setdefault(rated.rating.cell_id, rated.rating)
        if len(latest) == len(cells):
            break
    return latest


def assemble(loaded: Loaded, rulebook: Rulebook, now: datetime,
             holidays: frozenset[date]) -> Export:
    """Judge each meeting by the rules of its day and find each person's next deadline."""
    stretches: dict[int, list[ScopeCell]] = {}  # a cell moved in the period has several
    for line in loaded.summary.cells:
        stretches.setdefault(line.cell.id, []).append(line.cell)
    cells = {cell_id: max(found, key=lambda c: c.ends) for cell_id, found in stretches.items()}
    rules_of = cache(lambda day: rules_on(rulebook, day))  # looked up once a day
    meetings = []
    for stored in loaded.reports:
        report, rules = stored.report, rules_of(stored.report.held_on)
        cell = next((c for c in stretches[report.cell_id] if c.starts <= report.held_on < c.ends),
                    cells[report.cell_id])  # under the commune of its day
        meetings.append(MeetingRow(cell, report, stored.regular,
                                   report.kind in rules.thematic_kinds,
                                   evaluate_with(report, rules)))
    recruits = [
        RecruitRow(cells[p.cell_id], p.alias, p.history,
                   next_deadline(p.history, now.date(), rulebook, holidays))
        for p in loaded.people if p.history
    ]
    return Export(loaded.unit.name, now, loaded.summary, meetings, recruits, loaded.ratings,
                  loaded.latest)


def build_workbook(loaded: Loaded, ctx: Ctx, words: Words) -> bytes:
    """Assemble the rows and write the workbook: CPU work, run in a thread."""
    return workbook(assemble(loaded, ctx.rules, ctx.now, _holidays(ctx)), words)


async def workbook_file(
    ctx: Ctx, unit: OrgUnit, period: Period, tree: Tree = Tree.THEN
) -> Attachment:
    """Build the workbook of the unit and period in a thread; return it as a file."""
    loaded = await load_export(ctx, unit, period, tree)
    data = await asyncio.to_thread(build_workbook, loaded, ctx, words_for(ctx, period, tree))
    slug, args = _for_tree(tree, period_slug(period), period_slug(period))
    name = file_name(ctx.t(WORKBOOK_WORD), unit.name, slug, extension="xlsx")
    return Attachment(name, data, XLSX, command=_command(ctx, EXPORT_NAMES, args))


def _for_tree(tree: Tree, slug: str, args: str) -> tuple[str, str]:
    """Return a file's period slug and the command's arguments, marked for today's tree."""
    return (f"{slug}-nay", f"{args} nay") if tree is Tree.TODAY else (slug, args)


def _command(ctx: Ctx, names: Sequence[str], args: str) -> str:
    """Write the chat command that makes a file again, as the user would type it."""
    return f"/{names[0] if ctx.t.locale == 'vi' else names[1]} {args}".strip()


def _holidays(ctx: Ctx) -> frozenset[date]:
    return days_off(ctx.rules.calendar, ctx.today.year + 1)


async def send_workbook(
    ctx: Ctx, unit_id: int, period: Period, tree: Tree = Tree.THEN
) -> Outcome:
    unit = await OrgRepository(ctx.db).get(unit_id)
    if unit is None:
        return Invalid(ctx.t("I cannot find your unit. Please ask your administrator."))
    label = period_label(ctx, period)
    await ctx.say([Reply(ctx.t("Preparing the file for {unit}, {period}…", unit=unit.name,
                               period=label))])
    attachment = await workbook_file(ctx, unit, period, tree)
    await ReadLog(ctx.db).record(ctx.user.id, unit.id, "export", ctx.now)
    if len(attachment.data) > MAX_SENT_FILE_BYTES:
        return Done([Reply(ctx.t(
            "The file for {unit}, {period} is too large to send in the chat. Please choose a "
            "smaller area or a shorter period.", unit=unit.name, period=label))])
    return Done([Reply(ctx.t("Summary of {unit}, {period}", unit=unit.name, period=label),
                       attachment=attachment)])


# The chart ------------------------------------------------------------------------------


def thresholds(ctx: Ctx, period: Period) -> list[Threshold]:
    """Return the attendance thresholds of the rules in force at the period's end (or today)."""
    rules = rules_on(ctx.rules, min(period.last, ctx.today))
    lines = []
    if rules.attendance_threshold is not None:
        lines.append(Threshold(rules.attendance_threshold, ctx.t(
            "Attendance criterion: more than {share}",
            share=ctx.t.percent(float(rules.attendance_threshold)))))
    lines.append(Threshold(rules.valid_attendance_share, ctx.t(
        "Below {share}: too few attended", share=ctx.t.percent(
            float(rules.valid_attendance_share), places=0))))
    return lines


def unit_rows(ctx: Ctx, summary: Summary) -> tuple[list[Row], str]:
    """Return a row per commune (per cell for one commune), lowest reporting rate first."""
    groups = list(summary.groups)
    per_cell = len(groups) <= 1
    if per_cell:
        groups = by_group(_as_own_group(line) for line in summary.cells)
    worst, best, hidden = top_and_bottom(groups)
    rows = [_unit_row(g) for g in worst]
    if hidden:
        rows.append(Row(ctx.t.plural("… {n} cell in between", "… {n} cells in between", hidden)
                        if per_cell else
                        ctx.t.plural("… {n} commune in between", "… {n} communes in between",
                                     hidden), gap=True))
    rows += [_unit_row(g) for g in best]
    subtitle = (ctx.t("By cell, lowest reporting rate first") if per_cell
                else ctx.t("By commune, lowest reporting rate first"))
    return rows, subtitle


def _as_own_group(line: CellLine) -> CellLine:
    """Make a cell its own group, so that cells are ordered the way communes are."""
    cell = line.cell._replace(group_id=line.cell.id, group_name=line.cell.name)
    return line._replace(cell=cell)


def _unit_row(group: GroupLine) -> Row:
    return Row(group.name, group.figures.rate_so_far, group.figures.attendance_rate)


async def month_rows(
    ctx: Ctx, unit_id: int, year: int, tree: Tree = Tree.THEN
) -> list[Row]:
    """Return a row per month of the year up to this one that the unit owed reports for."""
    rows = []
    for month in range(year * 12, min(year * 12 + 12, ctx.today.year * 12 + ctx.today.month)):
        period = month_of(month_start(month))
        summary = await load_summary(ctx.db, ctx.rules, unit_id, period, ctx.now,
                                     _holidays(ctx), tree, per_cell=False)
        totals = summary.totals
        if not (totals.expected_reports or totals.months_open):  # before its cells entered
            continue
        label = ctx.t.month(period.first)
        if totals.activity.meetings:
            rows.append(Row(label, totals.rate_so_far, totals.attendance_rate))
        else:
            rows.append(Row(label, note=ctx.t("no meeting reported")))
    return rows


async def chart_of(
    ctx: Ctx, unit: OrgUnit, period: Period, by_month: bool, tree: Tree = Tree.THEN
) -> Chart:
    """Load the unit's chart: per commune or cell for the period, or month by month for its
    year (always, for one cell)."""
    one_cell = unit.kind == "cell"
    if by_month or one_cell:
        period = Period(PeriodKind.YEAR, period.year)
        rows = await month_rows(ctx, unit.id, period.year, tree)
        subtitle = ctx.t("Month by month")
    else:
        summary = await load_summary(ctx.db, ctx.rules, unit.id, period, ctx.now,
                                     _holidays(ctx), tree)
        rows, subtitle = unit_rows(ctx, summary)
    if tree is Tree.TODAY:
        subtitle = ctx.t("{subtitle}, grouped under today's units", subtitle=subtitle)
    return Chart(
        title=ctx.t("Reporting and attendance: {unit}, {period}", unit=unit.name,
                    period=period_label(ctx, period)),
        subtitle=subtitle,
        rows=rows,
        attendance_label=ctx.t("Attendance rate"),
        reporting_label=None if one_cell else ctx.t("Reporting rate"),
        thresholds=thresholds(ctx, period),
        percent=lambda share: ctx.t.percent(share, places=0),
    )


async def chart_file(ctx: Ctx, unit: OrgUnit, chart: Chart, period: Period,
                     by_month: bool, tree: Tree = Tree.THEN) -> Attachment:
    """Draw the chart in a thread; return it as a picture named after the unit and period."""
    data = await asyncio.to_thread(chart_png, chart)
    if unit.kind == "cell":
        slug, args = str(period.year), f"{unit.code} {period.year}"
    elif by_month:
        slug, args = str(period.year), f"{YEAR_WORDS[0]} {period.year}"
    else:
        slug = args = period_slug(period)
    slug, args = _for_tree(tree, slug, args)
    name = file_name(ctx.t(CHART_WORD), unit.name, slug, extension="png")
    return Attachment(name, data, PNG, command=_command(ctx, CHART_NAMES, args))


async def send_chart(
    ctx: Ctx, unit_id: int, period: Period, by_month: bool, tree: Tree = Tree.THEN
) -> Outcome:
    unit = await OrgRepository(ctx.db).get(unit_id)
    if unit is None:
        return Invalid(ctx.t("I cannot find your unit. Please ask your administrator."))
    await ctx.say([Reply(ctx.t("Preparing the chart for {unit}…", unit=unit.name))])
    chart = await chart_of(ctx, unit, period, by_month, tree)
    if unit.id not in ctx.user.secretary_of:  # an organiser's read, kept for audit
        await ReadLog(ctx.db).record(ctx.user.id, unit.id, "chart", ctx.now)
    if not chart.rows:
        return Done([Reply(ctx.t(
            "There is nothing to draw for {unit}, {period}: its cells were not in the bot yet.",
            unit=unit.name, period=period_label(ctx, period)))])
    attachment = await chart_file(ctx, unit, chart, period, by_month, tree)
    return Done([Reply(ctx.t("Reporting and attendance of {unit}", unit=unit.name),
                       attachment=attachment)])


# The commands ---------------------------------------------------------------------------


async def start_chart(ctx: Ctx, args: str) -> Outcome:
    """Read "[CODE] [nam] [period] [nay]" and draw the chart it asks for."""
    typed, tree = split_tree(args)
    words = typed.split()
    cell = None
    if words and organiser_units(ctx):
        found = await OrgRepository(ctx.db).by_code(words[0])
        if found is not None and found.kind == "cell":
            if not await may_see(ctx, found):
                return Invalid(ctx.t("I found no cell with the code {code} in your area.",
                                     code=words[0].upper()))
            cell, words = found, words[1:]
    by_month = bool(words) and fold(words[0]) in YEAR_WORDS
    if by_month:
        words = words[1:]
    period = read_period(ctx, " ".join(words))
    if isinstance(period, Invalid):
        return period
    if by_month and period.kind is not PeriodKind.YEAR and words:
        return Invalid(ctx.t("After “{word}”, type a year, for example {example}.",
                             word=YEAR_WORDS[0] if ctx.t.locale == "vi" else YEAR_WORDS[1],
                             example=f"{YEAR_WORDS[0]} {ctx.today.year}"))
    ctx.draft.update(period=stored_period(period), by_month=by_month, tree=tree.value)
    if cell is not None:
        return await send_chart(ctx, cell.id, period, by_month, tree)
    units = organiser_units(ctx)
    if not units:  # a secretary: their own cell's months
        return await with_own_cell(ctx, chart_cell, lambda c: Invalid(c.t(
            "This command is not available for your role.")))
    if len(units) > 1:
        return Next("area")
    return await send_chart(ctx, units[0], period, by_month, tree)


async def chart_cell(ctx: Ctx, cell_id: int) -> Outcome:
    return await send_chart(ctx, cell_id, draft_period(ctx), False, draft_tree(ctx))


async def chart_area(ctx: Ctx, key: str) -> Outcome:
    return await send_chart(ctx, int(key), draft_period(ctx), bool(ctx.draft["by_month"]),
                            draft_tree(ctx))


EXPORT_FLOW = area_flow("export", send_workbook)
CHART_FLOW = Flow(
    "chart",
    [ChoiceStep("area", ask_area, area_choices, chart_area, counted=False),
     which_cell_step(chart_cell)],
    start=start_chart,
    disposable=True,
)

COMMANDS = [
    Command(EXPORT_NAMES, N_("Excel file of your area: summary, cells, meetings, recruitment"),
            roles=frozenset({Role.STAFF, Role.ADMIN}), flow=EXPORT_FLOW),
    Command(CHART_NAMES, N_("Chart of reporting and attendance"),
            roles=frozenset({Role.SECRETARY, Role.STAFF, Role.ADMIN}), flow=CHART_FLOW),
]

