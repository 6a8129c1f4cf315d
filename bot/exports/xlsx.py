"""The workbook of a scope and period: the summary, its cells, meetings, recruitment, ratings.

    Export (the summary and the rows loaded for it, worded by `Words`)
      └► "Summary" — the /tonghop figures, the scope, the period, when it was made
         "Cells" — a row per cell: what it owed and did, recruitment, its latest rating
         "Meetings" — every meeting of the period: counts, flags, the secretary's note
         "Recruitment" — the pipeline during the period, by alias, with its next deadline
         "Ratings" — the ratings of the period's years, when there are some

Counts only: candidates appear by their alias, never a name; no absence reason exists to show.
Figures are indicators to help the cells, never an official rating.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.meetings import MeetingEvaluation, MeetingKind, MeetingReport
from bot.domain.periods import Period
from bot.domain.pipeline import (
    TERMINAL,
    Deadline,
    DeadlineKind,
    Move,
    Stage,
    ceremony_date,
)
from bot.domain.ratings import Scheme
from bot.domain.summaries import CellLine, Figures, ScopeCell, Summary, share
from bot.domain.words import NameKey, name_order
from bot.exports.tables import Column, Kind, Sheet, Value, workbook_bytes
from bot.i18n import Translator
from bot.storage.ratings import RatedCell, StoredRating

DATE_FORMATS = {"vi": "dd/mm/yyyy", "en": "yyyy-mm-dd"}
PROBATION = frozenset({Stage.CEREMONY, Stage.PROBATION})  # on probation, as the summary counts


@dataclass(frozen=True)
class MeetingRow:
    """A meeting of the period, judged by the rules of its date."""

    cell: ScopeCell
    report: MeetingReport
    regular: bool  # counts as its month's regular meeting
    thematic: bool  # counts as its quarter's thematic meeting
    evaluation: MeetingEvaluation


@dataclass(frozen=True)
class RecruitRow:
    """A person of a cell's pipeline (an alias only) and what is due next, as of today."""

    cell: ScopeCell
    alias: str
    history: tuple[Move, ...]  # the moves in force, oldest first
    deadline: Deadline | None

    @property
    def stage(self) -> Stage:
        return self.history[-1].stage

    def in_pipeline_during(self, period: Period) -> bool:
        """Tell whether the person was in the pipeline at some day of the period."""
        entered, last = self.history[0].on, self.history[-1]
        closed_before = last.stage in TERMINAL and last.on < period.first
        return entered <= period.last and not closed_before


@dataclass(frozen=True)
class Words:
    """The user's language, and the labels the handlers own."""

    t: Translator
    period: str  # the period as the user reads it ("tháng 11/2026")
    kind: Callable[[MeetingKind], str]
    stage: Callable[[Stage], str]
    deadline: Callable[[DeadlineKind], str]
    level: Callable[[Scheme, str], str]

    @property
    def date_format(self) -> str:
        return DATE_FORMATS.get(self.t.locale, DATE_FORMATS["vi"])


@dataclass(frozen=True)
class Export:
    """Everything the workbook shows, loaded for one scope and period."""

    scope: str  # the unit's name
    made_at: datetime  # aware, in the configured time zone
    summary: Summary
    meetings: Sequence[MeetingRow]
    recruits: Sequence[RecruitRow]  # everyone of the scope's cells, open or not
    ratings: Sequence[RatedCell]  # the ratings of the period's year, of the scope's cells
    latest_ratings: Mapping[int, StoredRating]  # per cell id: its latest rating

    def rated_cells(self) -> list[tuple[ScopeCell, StoredRating]]:
        """Return the period's ratings, each with its cell as the summary places it, or, for a
        cell the summary has no line for (not in the bot that year), as the ratings do."""
        cells = {line.cell.id: line.cell for line in self.summary.cells}
        return [(cells.get(x.rating.cell_id) or _rated_place(x, self.scope), x.rating)
                for x in self.ratings]


def _rated_place(rated: RatedCell, scope: str) -> ScopeCell:
    """Place a rated cell under its commune (the scope itself for a cell right under it)."""
    return ScopeCell(rated.rating.cell_id, rated.code, rated.name, 0, rated.group or scope,
                     date.min)


def workbook(export: Export, words: Words) -> bytes:
    """Return the .xlsx file of the export, in the user's language."""
    sheets = [
        summary_sheet(export, words),
        cells_sheet(export, words),
        meetings_sheet(export.meetings, words),
        recruitment_sheet(export, words),
    ]
    if export.rated_cells():
        sheets.append(ratings_sheet(export, words))
    return workbook_bytes(sheets, words.date_format)


# The summary ----------------------------------------------------------------------------


def summary_sheet(export: Export, words: Words) -> Sheet:
    t, s = words.t, export.summary
    heading: list[list[Value]] = [
        [t("Summary of {unit}, {period}", unit=export.scope, period=words.period)],
        [t("Area"), export.scope],
        [t("Period"), words.period],
        [t("Made on"), export.made_at.replace(tzinfo=None)],  # Vietnam's time: Excel has no zone
    ]
    if s.in_progress:
        heading.append([t("The period is not over: figures so far, on {date}.",
                          date=t.date(s.today))])
    if s.totals.nothing_owed:  # as /tonghop says it (C16), rather than rows of zeros alone
        heading.append([t("No cell of {unit} was expected to report for {period}: the area had "
                          "no cell using the bot then.", unit=export.scope,
                          period=words.period)])
    heading.append([t("These are indicators to help the cells, not an official rating.")])
    columns = [Column(t("Indicator")), Column(t("Count"), Kind.INTEGER),
               Column(t("Out of"), Kind.INTEGER), Column(t("Share"), Kind.PERCENT)]
    return Sheet(t("Summary"), columns, summary_rows(export, words), heading)


def summary_rows(export: Export, words: Words) -> list[list[Value]]:
    """Return the /tonghop figures as (indicator, count, out of, share) rows."""
    t, s = words.t, export.summary
    f, a, r = s.totals, s.totals.activity, s.recruitment

    def of(label: str, part: int, whole: int) -> list[Value]:
        return [label, part, whole, share(part, whole)]

    def count(label: str, n: int) -> list[Value]:
        return [label, n, None, None]

    rows = [
        count(t("Number of cells"), f.cells),
        count(t("Number of communes"), len(s.groups)),
        of(t("Regular meeting reports"), f.reports, f.expected_reports),
        count(t("Regular meeting reports missing"), f.missing),
        of(t("Received on time"), a.on_time, f.expected_reports),
        of(t("Regular meeting reports not due yet, received so far"), f.open_reported,
           f.months_open),
        count(t("Meetings held"), a.meetings),
        of(t("Attendance (present of expected)"), a.present, a.expected),
        of(t("Meetings meeting the attendance criterion"), a.met_attendance,
           a.attendance_judged),
        count(t("Meetings with an unexcused absence"), a.with_unexcused),
        count(t("Meetings shorter than the minimum for their kind"), a.too_short),
        of(t("Cells with their thematic meetings"), f.thematic_covered, f.thematic_owed),
        of(t("Cells with the thematic meetings not due yet, held so far"), f.thematic_open_held,
           f.thematic_open),
        count(t("Resolutions adopted"), a.resolutions),
        of(t("Resolutions passed on to everyone they must reach"), a.disseminated_to_all,
           a.resolutions),
        of(t("Resolutions with at least one concrete task"), a.with_tasks, a.resolutions),
        of(t("Last month's tasks done, where reported"), a.previous_tasks_done,
           a.previous_tasks_total),
        count(t("Admitted in the period"), r.admitted),
        count(t("Confirmed as full members in the period"), r.confirmed),
        count(t("On probation today"), r.in_probation),
        count(t("Probations ending within {days} days", days=t.number(r.window_days)),
              r.probations_ending_soon),
        count(t("Overdue ceremonies"), r.overdue_ceremonies),
        count(t("Overdue confirmations"), r.overdue_confirmations),
    ]
    ratings = [rating for _, rating in export.rated_cells()]
    rated = Counter((r.year, r.scheme, r.level) for r in ratings)
    years = Counter(r.year for r in ratings)
    for (year, scheme, level), cells in sorted(rated.items()):
        label = t("Cells rated “{level}” in {year}", level=words.level(scheme, level),
                  year=str(year))
        rows.append(of(label, cells, years[year]))
    return rows


# The cells ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellRecruitment:
    admitted: int = 0  # ceremonies in the period
    confirmed: int = 0  # confirmations in the period
    on_probation: int = 0  # today
    before_admission: int = 0  # open records not yet admitted, today


def recruitment_by_cell(
    recruits: Iterable[RecruitRow], period: Period
) -> dict[int, CellRecruitment]:
    """Count each cell's recruitment: the period's ceremonies and confirmations, today's
    probationers and the people still before their admission."""
    counts: dict[int, Counter[str]] = {}
    for person in recruits:
        tally = counts.setdefault(person.cell.id, Counter())
        for move in person.history:
            if period.first <= move.on <= period.last:
                tally["admitted"] += move.stage is Stage.CEREMONY
                tally["confirmed"] += move.stage is Stage.CONFIRMED
        if person.stage in PROBATION:
            tally["on_probation"] += 1
        elif person.stage not in TERMINAL and ceremony_date(person.history) is None:
            tally["before_admission"] += 1
    return {cell: CellRecruitment(c["admitted"], c["confirmed"], c["on_probation"],
                                  c["before_admission"]) for cell, c in counts.items()}


def cells_sheet(export: Export, words: Words) -> Sheet:
    t = words.t
    thematic = Counter(m.cell for m in export.meetings if m.thematic)  # per cell and stretch
    recruitment = recruitment_by_cell(export.recruits, export.summary.period)
    columns = [
        *_cell_columns(t),
        Column(t("Months owed"), Kind.INTEGER),
        Column(t("Regular reports"), Kind.INTEGER),
        Column(t("Months missing"), Kind.INTEGER),
        Column(t("Received on time"), Kind.INTEGER),
        Column(t("Reporting rate"), Kind.PERCENT),
        Column(t("Months not due yet"), Kind.INTEGER),
        Column(t("Reported before the due day"), Kind.INTEGER),
        Column(t("Meetings held"), Kind.INTEGER),
        Column(t("Present"), Kind.INTEGER),
        Column(t("Expected"), Kind.INTEGER),
        Column(t("Attendance rate"), Kind.PERCENT),
        Column(t("Meetings judged for attendance"), Kind.INTEGER),
        Column(t("Attendance criterion met"), Kind.INTEGER),
        Column(t("With an unexcused absence"), Kind.INTEGER),
        Column(t("Shorter than the minimum"), Kind.INTEGER),
        Column(t("Thematic meetings"), Kind.INTEGER),
        Column(t("Quarters owed a thematic meeting"), Kind.INTEGER),
        Column(t("A quarter without its thematic meeting"), Kind.BOOLEAN),
        Column(t("Resolutions adopted"), Kind.INTEGER),
        Column(t("Passed on to everyone"), Kind.INTEGER),
        Column(t("With a concrete task"), Kind.INTEGER),
        Column(t("Last month's tasks done"), Kind.INTEGER),
        Column(t("Last month's tasks"), Kind.INTEGER),
        Column(t("Admitted in the period"), Kind.INTEGER),
        Column(t("Confirmed in the period"), Kind.INTEGER),
        Column(t("On probation today"), Kind.INTEGER),
        Column(t("Before admission today"), Kind.INTEGER),
        Column(t("Latest rating"), Kind.TEXT),
        Column(t("Rating year"), Kind.INTEGER),
        Column(t("Score"), Kind.DECIMAL),
    ]
    rows = [
        _cell_row(line, thematic[line.cell],
                  recruitment.get(line.cell.id, CellRecruitment()),
                  export.latest_ratings.get(line.cell.id), words)
        for line in _by_place(export.summary.cells)
    ]
    return Sheet(t("Cells"), columns, rows, frozen_columns=3)


def _cell_row(line: CellLine, thematic: int, recruits: CellRecruitment,
              rating: StoredRating | None, words: Words) -> list[Value]:
    f: Figures = line.figures()
    a = line.activity
    return [
        *_place(line.cell),
        line.months_owed, a.regular_reports, line.months_missing, a.on_time, f.reporting_rate,
        line.months_open, a.not_yet_due,
        a.meetings, a.present, a.expected, f.attendance_rate, a.attendance_judged,
        a.met_attendance, a.with_unexcused, a.too_short,
        thematic, line.quarters_owed, line.thematic_missing if line.quarters_owed else None,
        a.resolutions, a.disseminated_to_all, a.with_tasks,
        a.previous_tasks_done, a.previous_tasks_total,
        recruits.admitted, recruits.confirmed, recruits.on_probation, recruits.before_admission,
        None if rating is None else words.level(rating.scheme, rating.level),
        None if rating is None else rating.year,
        None if rating is None else rating.score,
    ]


def _cell_columns(t: Translator) -> list[Column]:
    return [Column(t("Commune")), Column(t("Code")), Column(t("Cell"))]


def _place(cell: ScopeCell) -> list[Value]:
    return [cell.group_name, cell.code, cell.name]


def _by_place(lines: Iterable[CellLine]) -> list[CellLine]:
    return sorted(lines, key=lambda line: _place_order(line.cell))


def _place_order(cell: ScopeCell) -> tuple[NameKey, str, int]:
    """Sort by commune as people read names ("Long Định" before "Long Trạch"), then by code."""
    return name_order(cell.group_name), cell.code, cell.id


# The meetings ---------------------------------------------------------------------------


def meetings_sheet(meetings: Sequence[MeetingRow], words: Words) -> Sheet:
    t = words.t
    columns = [
        *_cell_columns(t),
        Column(t("Date"), Kind.DATE),
        Column(t("Kind")),
        Column(t("The month's regular meeting"), Kind.BOOLEAN),
        Column(t("Minutes"), Kind.INTEGER),
        Column(t("Expected"), Kind.INTEGER),
        Column(t("Present"), Kind.INTEGER),
        Column(t("Absent with a reason"), Kind.INTEGER),
        Column(t("Absent without a reason"), Kind.INTEGER),
        Column(t("Attendance rate"), Kind.PERCENT),
        Column(t("Attendance criterion met"), Kind.BOOLEAN),
        Column(t("Shorter than the minimum"), Kind.BOOLEAN),
        Column(t("Resolution adopted"), Kind.BOOLEAN),
        Column(t("Concrete tasks"), Kind.INTEGER),
        Column(t("Passed on to everyone"), Kind.BOOLEAN),
        Column(t("Last month's tasks done"), Kind.INTEGER),
        Column(t("Last month's tasks"), Kind.INTEGER),
        Column(t("Upper-level guest"), Kind.BOOLEAN),
        Column(t("Topic")),
        Column(t("Note")),
    ]
    kinds = {kind: words.kind(kind) for kind in MeetingKind}
    ordered = sorted(meetings, key=lambda m: (_place_order(m.cell), m.report.held_on))
    rows = [_meeting_row(m, kinds[m.report.kind]) for m in ordered]
    return Sheet(t("Meetings"), columns, rows, frozen_columns=3)


def _meeting_row(meeting: MeetingRow, kind: str) -> list[Value]:
    r, e = meeting.report, meeting.evaluation
    return [
        *_place(meeting.cell), r.held_on, kind, meeting.regular, r.minutes,
        r.expected, r.present, r.excused, r.unexcused, e.attendance_rate, e.meets_attendance,
        e.too_short, r.resolution_adopted, r.tasks if r.resolution_adopted else None,
        e.disseminated_to_all, r.previous_tasks_done, r.previous_tasks_total, r.upper_guest,
        r.topic, r.note,
    ]


# Recruitment ----------------------------------------------------------------------------


def recruitment_sheet(export: Export, words: Words) -> Sheet:
    t = words.t
    columns = [
        *_cell_columns(t),
        Column(t("Alias")),
        Column(t("Stage today")),
        Column(t("Entered the pipeline"), Kind.DATE),
        Column(t("At this stage since"), Kind.DATE),
        Column(t("Admission ceremony"), Kind.DATE),
        Column(t("Next deadline")),
        Column(t("Due"), Kind.DATE),
        Column(t("Overdue"), Kind.BOOLEAN),
    ]
    period = export.summary.period
    people = [p for p in export.recruits if p.in_pipeline_during(period)]
    people.sort(key=lambda p: (_place_order(p.cell), p.history[0].on))
    rows = [_recruit_row(p, words) for p in people]
    return Sheet(t("Recruitment"), columns, rows, frozen_columns=4)


def _recruit_row(person: RecruitRow, words: Words) -> list[Value]:
    deadline = person.deadline
    return [
        *_place(person.cell), person.alias, words.stage(person.stage), person.history[0].on,
        person.history[-1].on, ceremony_date(person.history),
        None if deadline is None else words.deadline(deadline.kind),
        None if deadline is None else deadline.due,
        None if deadline is None else deadline.overdue,
    ]


# Ratings --------------------------------------------------------------------------------


def ratings_sheet(export: Export, words: Words) -> Sheet:
    t = words.t
    columns = [
        *_cell_columns(t),
        Column(t("Year"), Kind.INTEGER),
        Column(t("Rating")),
        Column(t("Score"), Kind.DECIMAL),
        Column(t("Members rated"), Kind.INTEGER),
        Column(t("Excellent"), Kind.INTEGER),
        Column(t("Good"), Kind.INTEGER),
        Column(t("Satisfactory"), Kind.INTEGER),
        Column(t("In breach or not completing"), Kind.INTEGER),
    ]
    rated = export.rated_cells()
    rated.sort(key=lambda pair: (_place_order(pair[0]), pair[1].year))
    rows = [
        [*_place(cell), r.year, words.level(r.scheme, r.level), r.score, r.members.rated,
         r.members.excellent, r.members.good, r.members.satisfactory, r.members.failed]
        for cell, r in rated
    ]
    return Sheet(t("Ratings"), columns, rows, frozen_columns=3)

