"""Who is reminded of what today: a pure selection over cells, reports, the pipeline and users.

    months_needed(today, rulebook) ─► the months whose cell lines storage loads
    select(today, rulebook, holidays, months, people, recipients) ─► [Due]
    by_recipient(dues) ─► each person's reminders of the day, for one message

What goes out, and when (the rulebook's `[reminders]`, days in local time):

    REPORT            day 25 of M: a cell with no regular meeting report for M (on time until
                      day 5 of M+1, the [[reporting]] due day)
    REPORT_AGAIN      day 3 of M+1: the same cells, if still missing, until the due day
    THEMATIC          day 15 of a quarter's last month: a cell with no thematic meeting in it
    DIGEST            day 6 of M+1: each organiser, their area's reporting for M
    PROBATION_ENDING  30 days before a probation ends        PROBATION_ENDED  on the day
    CONFIRM_VOTE      every 7 days after that, while no confirmation vote is recorded
    CEREMONY_OVERDUE  once, when the ceremony is past its 30 working days
    CERTIFICATE_EXPIRING  within 60 days of the awareness certificate's expiry (before the vote)
    DOSSIER_STALE     within 30 days of the dossier growing too old for the cell's vote

A reminder of a set day may still go up to `late_days` after it (the bot was not running on
the day); the pipeline's go once in their window. A Due's key (kind, recipient, subject,
period) is what the ledger sends once. Whether a cell owes a month is the summaries' rule
(`bot.domain.summaries.cell_lines`); the pipeline's dates are the pipeline's functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from bot.domain.periods import (
    Period,
    PeriodKind,
    month_end,
    month_index,
    month_of,
    report_due,
)
from bot.domain.pipeline import (
    Move,
    Stage,
    ceremony_date,
    ceremony_due,
    certificate_expiry,
    confirm_vote_due,
    current_stage,
    date_of,
    decision_received,
    dossier_stale_date,
    probation_end,
    rules_on,
)
from bot.domain.rulebook import Rulebook, RulebookError
from bot.domain.summaries import CellLine, reporting_due_day

LAST_SET_DAY = 28  # a set day must exist in every month
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ReminderKind(StrEnum):
    """What a reminder is about; the order is the order within one message."""

    REPORT = "report"
    REPORT_AGAIN = "report_again"
    THEMATIC = "thematic"
    CEREMONY_OVERDUE = "ceremony_overdue"
    CONFIRM_VOTE = "confirm_vote"
    PROBATION_ENDED = "probation_ended"
    PROBATION_ENDING = "probation_ending"
    CERTIFICATE_EXPIRING = "certificate_expiring"
    DOSSIER_STALE = "dossier_stale"
    DIGEST = "digest"


_ORDER = {kind: i for i, kind in enumerate(ReminderKind)}


@dataclass(frozen=True)
class ReminderRules:
    """The rulebook's [reminders]: the bot's own schedule (no eras)."""

    round_time: time
    quiet_from: time
    quiet_until: time
    late_days: int
    monthly_report_day: int
    monthly_report_again_day: int
    thematic_day: int
    digest_day: int
    digest_cells_shown: int
    probation_ending_days: int
    confirm_vote_every_days: int
    certificate_expiring_days: int
    dossier_stale_days: int

    @classmethod
    def from_table(cls, values: Mapping[str, Any]) -> ReminderRules:
        """Build the rules from the [reminders] table; raise RulebookError naming a bad key."""
        found: dict[str, Any] = {}
        for field in fields(cls):
            if field.name not in values:
                raise RulebookError(f"rulebook section [reminders] has no key {field.name!r}")
            value = values[field.name]
            if field.type == "time":
                found[field.name] = _clock_time(field.name, value)
            else:
                found[field.name] = _count(field.name, value)
        rules = cls(**found)
        if rules.quiet(rules.round_time):
            raise RulebookError("[reminders] round_time falls in the quiet hours")
        return rules

    def quiet(self, moment: time) -> bool:
        """Tell whether `moment` (local) is in the quiet hours, which may span midnight."""
        start, end = self.quiet_from, self.quiet_until
        if start <= end:
            return start <= moment < end
        return moment >= start or moment < end


_SET_DAYS = ("monthly_report_day", "monthly_report_again_day", "thematic_day", "digest_day")


def _clock_time(name: str, value: Any) -> time:
    match = _TIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise RulebookError(f"[reminders] {name} must be a time of day as \"HH:MM\"")
    return time(int(match.group(1)), int(match.group(2)))


def _count(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RulebookError(f"[reminders] {name} must be a whole number, 0 or more")
    if name in _SET_DAYS and not 1 <= value <= LAST_SET_DAY:
        raise RulebookError(f"[reminders] {name} must be a day from 1 to {LAST_SET_DAY}")
    if name in ("confirm_vote_every_days", "digest_cells_shown") and value < 1:
        raise RulebookError(f"[reminders] {name} must be 1 or more")
    return value


def reminder_rules(rulebook: Rulebook) -> ReminderRules:
    """Return the rulebook's reminder schedule (RulebookError when it is broken)."""
    return ReminderRules.from_table(rulebook.table("reminders"))


# What selection reads -------------------------------------------------------------------


class CellRef(NamedTuple):
    id: int
    code: str
    name: str


class Person(NamedTuple):
    """One open record of the pipeline, under the alias its cell's secretary chose."""

    id: int
    cell: CellRef
    alias: str
    history: tuple[Move, ...]


@dataclass(frozen=True)
class Recipient:
    """A registered user as reminders see them."""

    user_id: int
    cells: frozenset[int] = frozenset()  # the cells they are secretary of
    units: tuple[int, ...] = ()  # the units they organise (staff or admin)
    reminders: bool = True  # /nhacnho off stops every reminder
    digest: bool = True  # an organiser may stop the digest alone
    reachable: bool = True  # False: their chat refused the bot's last message (blocked)


@dataclass(frozen=True)
class Due:
    """One reminder for one person; `key` is what the ledger sends once."""

    kind: ReminderKind
    user_id: int
    subject: str  # "cell:7", "recruit:3", "unit:2"
    period: str  # what recurs for the subject: a month, a quarter, a deadline (and its week)
    day: date  # the date the text names: due by, ends on, valid until
    deadline: date | None = None  # the confirmation vote's due day, after a probation ends
    cell: CellRef | None = None
    alias: str | None = None
    unit_id: int | None = None
    month: Period | None = None  # the month reported (or digested), or the thematic quarter
    overdue: bool = False

    @property
    def key(self) -> tuple[str, int, str, str]:
        return (self.kind.value, self.user_id, self.subject, self.period)


# Windows ---------------------------------------------------------------------------------


def _set_day(today: date, day: int) -> date:
    return today.replace(day=day)


def _within(today: date, first: date, last: date) -> bool:
    return first <= today <= last


def _report_window(today: date, rules: ReminderRules) -> bool:
    first = _set_day(today, rules.monthly_report_day)
    return _within(today, first, min(first + timedelta(days=rules.late_days),
                                     month_end(month_index(today))))


def _previous_month(today: date) -> Period:
    return month_of(today.replace(day=1) - timedelta(days=1))


def _again_window(today: date, rules: ReminderRules, due: date) -> bool:
    first = _set_day(today, rules.monthly_report_again_day)
    return _within(today, first, min(first + timedelta(days=rules.late_days), due))


def _thematic_window(today: date, rules: ReminderRules) -> bool:
    if today.month % 3:
        return False
    first = _set_day(today, rules.thematic_day)
    return _within(today, first, min(first + timedelta(days=rules.late_days),
                                     month_end(month_index(today))))


def _digest_window(today: date, rules: ReminderRules) -> bool:
    first = _set_day(today, rules.digest_day)
    return _within(today, first, first + timedelta(days=rules.late_days))


def _report_due(month: Period, rulebook: Rulebook) -> date:
    return report_due(month.months[0], reporting_due_day(rulebook, month.first))


def months_needed(today: date, rulebook: Rulebook) -> list[Period]:
    """Return the months whose cell lines `select` reads today (none on most days)."""
    rules = reminder_rules(rulebook)
    needed = []
    if _report_window(today, rules) or _thematic_window(today, rules):
        needed.append(month_of(today))
    previous = _previous_month(today)
    if _again_window(today, rules, _report_due(previous, rulebook)):
        needed.append(previous)
    return needed


# Selection -------------------------------------------------------------------------------


def select(
    today: date,
    rulebook: Rulebook,
    holidays: Set[date],
    months: Mapping[Period, Sequence[CellLine]],
    people: Iterable[Person],
    recipients: Iterable[Recipient],
) -> list[Due]:
    """Return today's reminders for those who take them, in message order per person.

    `months` holds the cell lines of each month of `months_needed` (what each cell owes and
    did); `people` the open records of the pipeline; `recipients` every registered user.
    """
    rules = reminder_rules(rulebook)
    listening = [r for r in recipients if r.reminders and r.reachable]
    secretaries: dict[int, list[int]] = {}
    for recipient in listening:
        for cell_id in recipient.cells:
            secretaries.setdefault(cell_id, []).append(recipient.user_id)
    found: list[Due] = []
    for cell_due in _cell_reminders(today, rulebook, rules, months):
        assert cell_due.cell is not None
        found += [_to(cell_due, user) for user in secretaries.get(cell_due.cell.id, [])]
    for person in people:
        for person_due in _person_reminders(today, rulebook, holidays, rules, person):
            found += [_to(person_due, user) for user in secretaries.get(person.cell.id, [])]
    if _digest_window(today, rules):
        month = _previous_month(today)
        for recipient in listening:
            if recipient.digest:
                found += [Due(ReminderKind.DIGEST, recipient.user_id, f"unit:{unit}",
                              _label(month), month.last, unit_id=unit, month=month)
                          for unit in recipient.units]
    return sorted(found, key=_message_order)


def _to(due: Due, user_id: int) -> Due:
    return Due(due.kind, user_id, due.subject, due.period, due.day, due.deadline, due.cell,
               due.alias, due.unit_id, due.month, due.overdue)


def _message_order(due: Due) -> tuple[int, int, str, str, str]:
    code = due.cell.code if due.cell else ""
    return (due.user_id, _ORDER[due.kind], code, due.alias or "", due.subject)


def _label(period: Period) -> str:
    if period.kind is PeriodKind.QUARTER:
        return f"{period.year}-Q{period.number}"
    return f"{period.year}-{period.number:02d}"


def _cell_reminders(
    today: date, rulebook: Rulebook, rules: ReminderRules,
    months: Mapping[Period, Sequence[CellLine]],
) -> Iterable[Due]:
    """Yield the reminders about cells' meetings (recipient 0: one per secretary follows)."""
    this_month, previous = month_of(today), _previous_month(today)
    if _report_window(today, rules):
        due = _report_due(this_month, rulebook)
        yield from _missing(months.get(this_month, ()), ReminderKind.REPORT, this_month, due)
    previous_due = _report_due(previous, rulebook)
    if _again_window(today, rules, previous_due):
        yield from _missing(months.get(previous, ()), ReminderKind.REPORT_AGAIN, previous,
                            previous_due)
    if _thematic_window(today, rules):
        quarter = Period(PeriodKind.QUARTER, today.year, (today.month - 1) // 3 + 1)
        for line in months.get(this_month, ()):
            if line.thematic_to_hold:
                yield Due(ReminderKind.THEMATIC, 0, f"cell:{line.cell.id}", _label(quarter),
                          quarter.last, cell=_ref(line), month=quarter)


def _missing(
    lines: Iterable[CellLine], kind: ReminderKind, month: Period, due: date
) -> Iterable[Due]:
    for line in lines:
        if line.months_to_report > 0:  # not yet due: the reminder comes before the due day
            yield Due(kind, 0, f"cell:{line.cell.id}", _label(month), due, cell=_ref(line),
                      month=month)


def _ref(line: CellLine) -> CellRef:
    return CellRef(line.cell.id, line.cell.code, line.cell.name)


def _person_reminders(
    today: date, rulebook: Rulebook, holidays: Set[date], rules: ReminderRules, person: Person
) -> Iterable[Due]:
    """Yield the reminders about one person of the pipeline (recipient 0, as above)."""
    history = person.history
    stage = current_stage(history)

    def due(kind: ReminderKind, period: str, day: date, deadline: date | None = None,
            overdue: bool = False) -> Due:
        return Due(kind, 0, f"recruit:{person.id}", period, day, deadline, person.cell,
                   person.alias, overdue=overdue)

    if stage in (Stage.CEREMONY, Stage.PROBATION):
        start = ceremony_date(history) or history[-1].on
        end = probation_end(start, rules_on(rulebook, start))
        vote_due = confirm_vote_due(start, rulebook, holidays)
        if end - timedelta(days=rules.probation_ending_days) <= today < end:
            yield due(ReminderKind.PROBATION_ENDING, end.isoformat(), end)
        if end <= today <= end + timedelta(days=rules.late_days):
            yield due(ReminderKind.PROBATION_ENDED, end.isoformat(), end, vote_due)
        every = rules.confirm_vote_every_days
        weeks = (today - end).days // every
        if weeks >= 1 and (today - end).days - weeks * every <= rules.late_days:
            yield due(ReminderKind.CONFIRM_VOTE, f"{end.isoformat()}+{weeks}", end, vote_due,
                      overdue=today > vote_due)
    if stage is Stage.ADMISSION_DECIDED:
        received = decision_received(history) or history[-1].on
        ceremony = ceremony_due(received, rulebook, holidays)
        if today > ceremony:
            yield due(ReminderKind.CEREMONY_OVERDUE, ceremony.isoformat(), ceremony,
                      overdue=True)
    certificate = date_of(history, Stage.AWARENESS_COURSE)
    if stage in (Stage.AWARENESS_COURSE, Stage.DOSSIER) and certificate is not None:
        expiry = certificate_expiry(certificate, rulebook)
        if expiry - timedelta(days=rules.certificate_expiring_days) <= today <= expiry:
            yield due(ReminderKind.CERTIFICATE_EXPIRING, expiry.isoformat(), expiry)
    dossier = date_of(history, Stage.DOSSIER)
    if stage is Stage.DOSSIER and dossier is not None:
        stale = dossier_stale_date(dossier, rulebook)
        if stale - timedelta(days=rules.dossier_stale_days) <= today <= stale:
            yield due(ReminderKind.DOSSIER_STALE, stale.isoformat(), stale)


def by_recipient(dues: Iterable[Due]) -> dict[int, list[Due]]:
    """Group the reminders per person, keeping their order (one message each)."""
    grouped: dict[int, list[Due]] = {}
    for due in dues:
        grouped.setdefault(due.user_id, []).append(due)
    return grouped


# When the rounds run ---------------------------------------------------------------------


def next_round(now: datetime, done_today: bool, rules: ReminderRules) -> datetime:
    """Return when the scheduled round should start: `now` when today's is due or missed.

    A round missed earlier today (the bot started late) runs at once, unless the quiet hours
    have begun; then it waits for tomorrow's, whose late days still cover today's reminders.
    """
    today_at = datetime.combine(now.date(), rules.round_time, tzinfo=now.tzinfo)
    if not done_today:
        if now < today_at:
            return today_at
        if not rules.quiet(now.timetz().replace(tzinfo=None)):
            return now
    return datetime.combine(now.date() + timedelta(days=1), rules.round_time,
                            tzinfo=now.tzinfo)


def may_send(now: datetime, rules: ReminderRules, by_hand: bool) -> bool:
    """Tell whether a reminder may go out now: never in the quiet hours unless run by hand."""
    return by_hand or not rules.quiet(now.timetz().replace(tzinfo=None))
