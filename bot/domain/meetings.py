"""Cell meetings: the report of one meeting, its validation, and its judgement by the rulebook.

A meeting is judged by the [[meetings]] era in force on the day it was held, so a 2016 report
keeps the verdict it had in 2016. Validation returns error codes; the handler words them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum, StrEnum
from fractions import Fraction
from typing import Any

from bot.domain.rulebook import Rulebook, RulebookError

# Input bounds of the report form: sanity limits, not Party rules, so they are not in the rulebook.
MIN_MINUTES = 10
MAX_MINUTES = 600
MAX_TASKS = 50
MIN_TOPIC_CHARS = 3
MAX_TOPIC_CHARS = 200
MAX_NOTE_CHARS = 500
MAX_ROLL = 999


class MeetingKind(StrEnum):
    """What kind of sitting was held; the values are stable storage and callback keys."""

    REGULAR = "regular"  # sinh hoạt thường kỳ
    THEMATIC = "thematic"  # sinh hoạt chuyên đề
    COMBINED = "combined"  # thường kỳ kết hợp chuyên đề in one sitting


class Dissemination(StrEnum):
    """Who the cell passed its resolution on to; stable storage and callback keys."""

    HAMLET_BOARD = "hamlet_board"  # ban nhân dân ấp / khu phố
    FATHERLAND_FRONT = "fatherland_front"  # ban công tác Mặt trận ấp / khu phố
    WOMENS_UNION = "womens_union"  # chi hội Phụ nữ
    FARMERS_UNION = "farmers_union"  # chi hội Nông dân
    VETERANS = "veterans"  # chi hội Cựu chiến binh
    YOUTH_UNION = "youth_union"  # chi đoàn Thanh niên


# The four mass organisations (đoàn thể) that one "mass organisations" box stood for before.
MASS_ORGANISATIONS = (
    Dissemination.WOMENS_UNION,
    Dissemination.FARMERS_UNION,
    Dissemination.VETERANS,
    Dissemination.YOUTH_UNION,
)


ALL_TARGETS: frozenset[Dissemination] = frozenset(Dissemination)


class ReportError(Enum):
    """Why an answer of the report form is not acceptable."""

    DATE_IN_FUTURE = "date_in_future"
    DATE_TOO_OLD = "date_too_old"
    MINUTES_OUT_OF_RANGE = "minutes_out_of_range"
    ROLL_OUT_OF_RANGE = "roll_out_of_range"
    EXEMPT_EXCEEDS_ROLL = "exempt_exceeds_roll"
    NO_EXPECTED_MEMBERS = "no_expected_members"
    PRESENT_OUT_OF_RANGE = "present_out_of_range"
    EXCUSED_OUT_OF_RANGE = "excused_out_of_range"
    TASKS_OUT_OF_RANGE = "tasks_out_of_range"
    TASKS_WITHOUT_RESOLUTION = "tasks_without_resolution"
    PREVIOUS_TASKS_OUT_OF_RANGE = "previous_tasks_out_of_range"
    TOPIC_MISSING = "topic_missing"
    TOPIC_LENGTH = "topic_length"
    TOPIC_NOT_ALLOWED = "topic_not_allowed"
    TOPIC_NO_LETTER = "topic_no_letter"
    TARGETS_WITHOUT_RESOLUTION = "targets_without_resolution"
    NOTE_TOO_LONG = "note_too_long"


@dataclass(frozen=True)
class Roll:
    """The cell's members on roll: full, probationary, and exempt from meetings."""

    full: int
    probationary: int
    exempt: int

    @property
    def expected(self) -> int:
        """Return how many members are expected at a meeting."""
        return expected_members(self.full, self.probationary, self.exempt)


def exempt_exceeds_roll(full: int, probationary: int, exempt: int) -> bool:
    """Tell whether more members are exempt from meetings than are on the roll at all."""
    return exempt > full + probationary


def expected_members(full: int, probationary: int, exempt: int) -> int:
    """Return full + probationary − exempt: exempt members are not expected (HD 12-2018)."""
    return max(0, full + probationary - exempt)


@dataclass(frozen=True)
class MeetingReport:
    """One meeting as the secretary reported it; counts only, no names."""

    cell_id: int
    held_on: date
    kind: MeetingKind
    topic: str | None
    minutes: int
    expected: int  # snapshot of the roll on the day, so later roll changes keep old rates
    present: int
    excused: int
    resolution_adopted: bool
    tasks: int  # tasks with a named owner and a deadline
    disseminated_to: frozenset[Dissemination]
    note: str | None = None
    # The district's optional fields (DOMAIN.md §4.1); None where the secretary skipped them.
    previous_tasks_done: int | None = None  # of the previous month's resolution…
    previous_tasks_total: int | None = None  # …out of its concrete tasks
    upper_guest: bool | None = None  # a member of the upper-level committee attended

    @property
    def absent(self) -> int:
        """Return how many expected members did not attend."""
        return max(0, self.expected - self.present)

    @property
    def unexcused(self) -> int:
        """Return how many expected members were absent without a reason."""
        return max(0, self.absent - self.excused)


@dataclass(frozen=True)
class MeetingRules:
    """The [[meetings]] rules of one era, typed; None where the era sets no such rule."""

    attendance_threshold: Fraction | None  # None: no attendance criterion in this era
    unexcused_absence_fails: bool
    min_minutes_regular: int | None  # None: no minimum duration in this era
    min_minutes_thematic: int | None
    min_minutes_combined: int | None
    regular_kinds: frozenset[MeetingKind]
    thematic_kinds: frozenset[MeetingKind]
    regular_per_month: int
    thematic_per_quarter: int
    disseminate_to: frozenset[Dissemination]  # whom "disseminated to all" means
    valid_attendance_share: Fraction

    @classmethod
    def from_section(cls, values: Mapping[str, Any]) -> MeetingRules:
        """Build the rules from a merged [[meetings]] era."""
        try:
            regular = _optional_int(values, "min_minutes_regular")
            threshold = values.get("attendance_threshold")
            return cls(
                # Through str so that 0.85 becomes exactly 17/20: exactly 85 % must fail.
                attendance_threshold=None if threshold is None else Fraction(str(threshold)),
                unexcused_absence_fails=bool(values.get("unexcused_absence_fails", False)),
                min_minutes_regular=regular,
                min_minutes_thematic=_optional_int(values, "min_minutes_thematic", regular),
                min_minutes_combined=_optional_int(values, "min_minutes_combined", regular),
                regular_kinds=frozenset(MeetingKind(k) for k in values["regular_kinds"]),
                thematic_kinds=frozenset(MeetingKind(k) for k in values["thematic_kinds"]),
                regular_per_month=int(values["regular_per_month"]),
                thematic_per_quarter=int(values["thematic_per_quarter"]),
                disseminate_to=parse_targets(values["disseminate_to"]),
                valid_attendance_share=Fraction(str(values["valid_attendance_share"])),
            )
        except KeyError as exc:
            raise RulebookError(f"rulebook section [meetings] has no key {exc}") from exc
        except ValueError as exc:
            raise RulebookError(f"rulebook section [meetings] is invalid: {exc}") from exc

    def min_minutes(self, kind: MeetingKind) -> int | None:
        """Return the minimum duration of a meeting of this kind, None when there is none."""
        if kind is MeetingKind.COMBINED:
            return self.min_minutes_combined
        if kind is MeetingKind.THEMATIC:
            return self.min_minutes_thematic
        return self.min_minutes_regular


def _optional_int(values: Mapping[str, Any], key: str, default: int | None = None) -> int | None:
    value = values.get(key, default)
    return None if value is None else int(value)


def rules_on(rulebook: Rulebook, day: date) -> MeetingRules:
    """Return the meeting rules in force on `day`."""
    return rulebook.parsed("meetings", day, MeetingRules.from_section)


def is_regular(report: MeetingReport, rulebook: Rulebook) -> bool:
    """Tell whether the report counts as the month's regular meeting under its era."""
    return kind_is_regular(report.kind, report.held_on, rulebook)


def kind_is_regular(kind: MeetingKind, held_on: date, rulebook: Rulebook) -> bool:
    """Tell whether a meeting of this kind held that day counts as the month's regular one."""
    return kind in rules_on(rulebook, held_on).regular_kinds


def is_thematic(report: MeetingReport, rulebook: Rulebook) -> bool:
    """Tell whether the report counts as the quarter's thematic meeting under its era."""
    return report.kind in rules_on(rulebook, report.held_on).thematic_kinds


# Validation, one helper per answer so the conversation can check each step as it comes.


def check_date(held_on: date, today: date, rulebook: Rulebook) -> ReportError | None:
    """Check that the meeting is not in the future nor older than the reporting limit."""
    if held_on > today:
        return ReportError.DATE_IN_FUTURE
    if (today - held_on).days > max_report_age_days(rulebook):
        return ReportError.DATE_TOO_OLD
    return None


def max_report_age_days(rulebook: Rulebook) -> int:
    """Return how many days back a meeting may be reported (a bot policy, not a Party rule)."""
    return int(rulebook.policy("max_report_age_days"))


def check_minutes(minutes: int) -> ReportError | None:
    """Check that the duration is a plausible number of minutes."""
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        return ReportError.MINUTES_OUT_OF_RANGE
    return None


def check_roll(roll: Roll) -> ReportError | None:
    """Check that the counts of the roll are sane and leave someone to expect."""
    if not all(0 <= n <= MAX_ROLL for n in (roll.full, roll.probationary, roll.exempt)):
        return ReportError.ROLL_OUT_OF_RANGE
    if exempt_exceeds_roll(roll.full, roll.probationary, roll.exempt):
        return ReportError.EXEMPT_EXCEEDS_ROLL
    if roll.expected == 0:
        return ReportError.NO_EXPECTED_MEMBERS
    return None


def check_present(present: int, expected: int) -> ReportError | None:
    """Check that between none and all of the expected members attended."""
    if not 0 <= present <= expected:
        return ReportError.PRESENT_OUT_OF_RANGE
    return None


def check_excused(excused: int, expected: int, present: int) -> ReportError | None:
    """Check that no more members were excused than were absent."""
    if not 0 <= excused <= expected - present:
        return ReportError.EXCUSED_OUT_OF_RANGE
    return None


def check_tasks(tasks: int) -> ReportError | None:
    """Check the number of concrete tasks."""
    if not 0 <= tasks <= MAX_TASKS:
        return ReportError.TASKS_OUT_OF_RANGE
    return None


def check_previous_tasks(done: int | None, total: int | None) -> ReportError | None:
    """Check last month's tasks done out of total: both given, at most all done, or neither."""
    if done is None and total is None:
        return None
    if done is None or total is None or not 0 <= done <= total <= MAX_TASKS:
        return ReportError.PREVIOUS_TASKS_OUT_OF_RANGE
    return None


def check_topic(topic: str) -> ReportError | None:
    """Check a thematic topic: its length without surrounding spaces, and at least a letter."""
    if not MIN_TOPIC_CHARS <= len(topic.strip()) <= MAX_TOPIC_CHARS:
        return ReportError.TOPIC_LENGTH
    if not any(c.isalpha() for c in topic):
        return ReportError.TOPIC_NO_LETTER
    return None


def check_note(note: str) -> ReportError | None:
    """Check the length of the optional note."""
    if len(note.strip()) > MAX_NOTE_CHARS:
        return ReportError.NOTE_TOO_LONG
    return None


def needs_topic(kind: MeetingKind) -> bool:
    """Tell whether a meeting of this kind must name its topic."""
    return kind in (MeetingKind.THEMATIC, MeetingKind.COMBINED)


def validate(report: MeetingReport, today: date, rulebook: Rulebook) -> tuple[ReportError, ...]:
    """Return every problem of a whole report, in form order; empty when it can be saved."""
    errors: list[ReportError | None] = [check_date(report.held_on, today, rulebook)]
    if needs_topic(report.kind):
        topic = report.topic
        errors.append(ReportError.TOPIC_MISSING if topic is None else check_topic(topic))
    elif report.topic is not None:
        errors.append(ReportError.TOPIC_NOT_ALLOWED)
    errors.append(check_minutes(report.minutes))
    if report.expected <= 0:
        errors.append(ReportError.NO_EXPECTED_MEMBERS)
    errors.append(check_present(report.present, report.expected))
    errors.append(check_excused(report.excused, report.expected, report.present))
    errors.append(check_previous_tasks(report.previous_tasks_done, report.previous_tasks_total))
    errors.append(check_tasks(report.tasks))
    if report.tasks and not report.resolution_adopted:
        errors.append(ReportError.TASKS_WITHOUT_RESOLUTION)
    if report.disseminated_to and not report.resolution_adopted:
        errors.append(ReportError.TARGETS_WITHOUT_RESOLUTION)
    if report.note is not None:
        errors.append(check_note(report.note))
    return tuple(e for e in errors if e is not None)


# Judgement of one meeting.


@dataclass(frozen=True)
class MeetingEvaluation:
    """Indicators of one meeting under the rules of its date; never an official rating."""

    attendance_rate: Fraction | None  # present / expected; None when nobody was expected
    unexcused: int
    # > threshold and, where the era says so, no unexcused absence; None: no criterion then
    meets_attendance: bool | None
    below_valid_share: bool  # so few attended that the sitting's validity is doubtful
    min_minutes: int | None  # None: the era sets no minimum duration
    too_short: bool
    resolution_adopted: bool
    missing_targets: frozenset[Dissemination]  # empty when there was no resolution to pass on
    # None without a resolution: its tasks are counted among resolutions, as the summaries do
    has_concrete_tasks: bool | None

    @property
    def disseminated_to_all(self) -> bool | None:
        """Tell whether the resolution reached everyone it must; None without a resolution."""
        return not self.missing_targets if self.resolution_adopted else None

    @property
    def misses_attendance(self) -> bool:
        """Tell whether a criterion in force was missed (a flag for the secretary)."""
        return self.meets_attendance is False


def attendance_rate(present: int, expected: int) -> Fraction | None:
    """Return present / expected, or None when nobody was expected."""
    return Fraction(present, expected) if expected > 0 else None


def evaluate(report: MeetingReport, rulebook: Rulebook) -> MeetingEvaluation:
    """Judge one meeting by the rules in force on the day it was held."""
    return evaluate_with(report, rules_on(rulebook, report.held_on))


def evaluate_with(report: MeetingReport, rules: MeetingRules) -> MeetingEvaluation:
    """Judge one meeting by the given rules."""
    rate = attendance_rate(report.present, report.expected)
    meets: bool | None = None
    if rules.attendance_threshold is not None:
        above = rate is not None and rate > rules.attendance_threshold
        meets = above and (report.unexcused == 0 or not rules.unexcused_absence_fails)
    minimum = rules.min_minutes(report.kind)
    adopted = report.resolution_adopted
    return MeetingEvaluation(
        attendance_rate=rate,
        unexcused=report.unexcused,
        meets_attendance=meets,
        below_valid_share=rate is None or rate < rules.valid_attendance_share,
        min_minutes=minimum,
        too_short=minimum is not None and report.minutes < minimum,
        resolution_adopted=adopted,
        missing_targets=rules.disseminate_to - report.disseminated_to if adopted else frozenset(),
        has_concrete_tasks=report.tasks > 0 if adopted else None,
    )


def parse_targets(keys: Iterable[str]) -> frozenset[Dissemination]:
    """Return the dissemination targets named by their stable keys; unknown keys are errors."""
    return frozenset(Dissemination(k) for k in keys)
