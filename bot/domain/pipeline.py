"""The new-member pipeline: stages, allowed moves, vote and age checks, deadlines, summaries.

Stages follow DOMAIN.md §2.2. A person's history is the list of moves (stage, date) in the order
they were recorded; the last move is the current stage.

    SOURCE → SYMPATHISER → AWARENESS_COURSE → DOSSIER → CELL_VOTE_ADMIT → BASE_COMMITTEE_VOTE
      → ADMISSION_DECIDED → CEREMONY → PROBATION → CELL_VOTE_CONFIRM → CONFIRMED
    DROPPED             from SOURCE … ADMISSION_DECIDED (not yet a member)
    REMOVED_PROBATIONER from CEREMONY, PROBATION, CELL_VOTE_CONFIRM (a probationary member)

Ceremony and probation: probation starts on the ceremony day, so recording CEREMONY records
PROBATION on the same date as well (`moves_for`); nobody stays "at" CEREMONY. PROBATION stays a
stage so that counts per stage show probationers, and a person already on probation can be
entered directly at PROBATION with the ceremony date. The ceremony date of a history is the date
of its CEREMONY move, or of its PROBATION move when the ceremony was not recorded.

An admission decision has two dates: the committee's (the 60 working days after the cell's vote
run to it) and the day the cell received it (the 30 working days to the ceremony run from it).
A vote below 2/3 is not a move: it is kept as a failed vote and the person stays where they are.
The roll follows the pipeline: a ceremony adds a probationary member, a confirmation makes one
full, a removal takes one off (`roll_change`).

Every threshold comes from the rulebook era in force on the date of the event that starts it
(the vote date for votes, the ceremony date for the probation, and so on). Checks return codes;
the handler turns them into sentences.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.calendar import add_months, add_working_days, age_in_months
from bot.domain.rulebook import Rulebook, RulebookError
from bot.domain.words import fold


class Stage(StrEnum):
    SOURCE = "SOURCE"
    SYMPATHISER = "SYMPATHISER"
    AWARENESS_COURSE = "AWARENESS_COURSE"
    DOSSIER = "DOSSIER"
    CELL_VOTE_ADMIT = "CELL_VOTE_ADMIT"
    BASE_COMMITTEE_VOTE = "BASE_COMMITTEE_VOTE"
    ADMISSION_DECIDED = "ADMISSION_DECIDED"
    CEREMONY = "CEREMONY"
    PROBATION = "PROBATION"
    CELL_VOTE_CONFIRM = "CELL_VOTE_CONFIRM"
    CONFIRMED = "CONFIRMED"
    REMOVED_PROBATIONER = "REMOVED_PROBATIONER"
    DROPPED = "DROPPED"


PATH: tuple[Stage, ...] = (
    Stage.SOURCE,
    Stage.SYMPATHISER,
    Stage.AWARENESS_COURSE,
    Stage.DOSSIER,
    Stage.CELL_VOTE_ADMIT,
    Stage.BASE_COMMITTEE_VOTE,
    Stage.ADMISSION_DECIDED,
    Stage.CEREMONY,
    Stage.PROBATION,
    Stage.CELL_VOTE_CONFIRM,
    Stage.CONFIRMED,
)
EXITS: tuple[Stage, ...] = (Stage.REMOVED_PROBATIONER, Stage.DROPPED)
VOTE_STAGES: frozenset[Stage] = frozenset(
    {Stage.CELL_VOTE_ADMIT, Stage.BASE_COMMITTEE_VOTE, Stage.CELL_VOTE_CONFIRM}
)
TERMINAL: frozenset[Stage] = frozenset({Stage.CONFIRMED, *EXITS})
MEMBER_STAGES: frozenset[Stage] = frozenset(
    {Stage.CEREMONY, Stage.PROBATION, Stage.CELL_VOTE_CONFIRM}
)
# Nobody is "at" the ceremony (probation starts the same day), and a confirmed member has left
# the pipeline, so neither is offered when entering a person.
ENTRY_STAGES: tuple[Stage, ...] = tuple(
    s for s in PATH if s not in (Stage.CEREMONY, Stage.CONFIRMED)
)


@dataclass(frozen=True)
class Move:
    stage: Stage
    on: date
    received: date | None = None  # an admission decision: the day the cell received it


ROLL_COUNTS = ("full", "probationary", "exempt")
_FORMULA_TERM = re.compile(r"\s*([+-]?)\s*([a-z]+)\s*")


def parse_roll_formula(text: str) -> tuple[tuple[int, str], ...]:
    """Parse "full - exempt" into signed roll counts; raise RulebookError on anything else."""
    terms: list[tuple[int, str]] = []
    position = 0
    while position < len(text):
        match = _FORMULA_TERM.match(text, position)
        sign = match.group(1) if match else ""
        if match is None or match.group(2) not in ROLL_COUNTS or (terms and not sign):
            raise RulebookError(
                f"eligible_voters must be a sum of {', '.join(ROLL_COUNTS)}: {text!r}"
            )
        terms.append((-1 if sign == "-" else 1, match.group(2)))
        position = match.end()
    if not terms:
        raise RulebookError("eligible_voters is empty")
    return tuple(terms)


@dataclass(frozen=True)
class RecruitmentRules:
    min_age_months: int
    max_age_months: int
    awareness_certificate_months: int
    dossier_stale_months: int
    admission_decision_working_days: int
    decision_extension_working_days: int
    ceremony_working_days: int
    probation_months: int
    confirm_vote_working_days: int
    confirmation_decision_working_days: int
    vote_share_numerator: int
    vote_share_denominator: int
    sponsor_months: int
    failed_confirmation_votes_report: int
    eligible_voters: tuple[tuple[int, str], ...]  # signed roll counts: full − exempt

    @classmethod
    def from_section(cls, values: Mapping[str, Any]) -> RecruitmentRules:
        """Build the rules from a rulebook [[recruitment]] section."""
        try:
            numbers = {
                name: int(values[name]) for name in cls.__dataclass_fields__
                if name != "eligible_voters"
            }
            return cls(**numbers, eligible_voters=parse_roll_formula(values["eligible_voters"]))
        except KeyError as exc:
            raise RulebookError(f"rulebook section [recruitment] has no key {exc}") from exc


def rules_on(rulebook: Rulebook, on: date) -> RecruitmentRules:
    """Return the recruitment rules in force on `on`."""
    return rulebook.parsed("recruitment", on, RecruitmentRules.from_section)


@dataclass(frozen=True)
class RecruitmentPolicy:
    """The bot's own choices about recruitment (rulebook [policy]), not Party rules."""

    undo_hours: int
    probation_ending_soon_days: int
    young_entry_years: int


def policy_of(rulebook: Rulebook) -> RecruitmentPolicy:
    """Return the recruitment policies of the rulebook."""
    return RecruitmentPolicy(
        **{name: int(rulebook.policy(name)) for name in RecruitmentPolicy.__dataclass_fields__}
    )


# --- moves ----------------------------------------------------------------------------------


def next_stage(stage: Stage) -> Stage | None:
    """Return the stage after `stage` on the path, or None at the end or after an exit."""
    if stage in TERMINAL:
        return None
    return PATH[PATH.index(stage) + 1]


def exits_from(stage: Stage) -> tuple[Stage, ...]:
    """Return the exits open from `stage`: removal for probationers, dropping before that."""
    if stage in TERMINAL:
        return ()
    if stage in MEMBER_STAGES:
        return (Stage.REMOVED_PROBATIONER,)
    return (Stage.DROPPED,)


def allowed_moves(stage: Stage) -> tuple[Stage, ...]:
    """Return the moves open from `stage`: the next stage first, then the exits."""
    following = next_stage(stage)
    return ((following,) if following else ()) + exits_from(stage)


def moves_for(target: Stage, on: date, received: date | None = None) -> tuple[Move, ...]:
    """Return the moves that recording `target` on `on` writes (a ceremony starts probation).

    `received` is the day the cell received an admission decision dated `on`.
    """
    if target is Stage.CEREMONY:
        return (Move(Stage.CEREMONY, on), Move(Stage.PROBATION, on))
    if target is Stage.ADMISSION_DECIDED:
        return (Move(target, on, received or on),)
    return (Move(target, on),)


def current_stage(history: Sequence[Move]) -> Stage:
    """Return the stage of the last move."""
    if not history:
        raise ValueError("a person has at least one move")
    return history[-1].stage


def is_open(history: Sequence[Move]) -> bool:
    """Return whether the person is still in the pipeline."""
    return current_stage(history) not in TERMINAL


def date_of(history: Sequence[Move], stage: Stage) -> date | None:
    """Return the date of the last move to `stage`, if any."""
    for move in reversed(history):
        if move.stage is stage:
            return move.on
    return None


def decision_received(history: Sequence[Move]) -> date | None:
    """Return the day the cell received the admission decision (its date if not recorded)."""
    for move in reversed(history):
        if move.stage is Stage.ADMISSION_DECIDED:
            return move.received or move.on
    return None


def ceremony_date(history: Sequence[Move]) -> date | None:
    """Return the day probation started: the ceremony, or the probation entry without one."""
    return date_of(history, Stage.CEREMONY) or date_of(history, Stage.PROBATION)


def probation_end(ceremony: date, rules: RecruitmentRules) -> date:
    """Return the day the probation ends: the ceremony plus the probation months, clamped."""
    return add_months(ceremony, rules.probation_months)


def official_date(history: Sequence[Move], rulebook: Rulebook) -> date | None:
    """Return the day a confirmed member counts as full: the probation end, even if late."""
    start = ceremony_date(history)
    if current_stage(history) is not Stage.CONFIRMED or start is None:
        return None
    return probation_end(start, rules_on(rulebook, start))


# --- checks ---------------------------------------------------------------------------------


class MoveError(StrEnum):
    CLOSED = "closed"  # confirmed or exited: nothing follows
    NOT_ALLOWED = "not_allowed"  # neither the next stage nor an open exit
    BEFORE_PREVIOUS = "before_previous"
    BEFORE_DECISION_RECEIVED = "before_decision_received"  # a ceremony before the decision came
    RECEIVED_BEFORE_DECISION = "received_before_decision"
    IN_FUTURE = "in_future"
    BEFORE_PROBATION_END = "before_probation_end"  # confirmation voted before 12 months end
    UNDER_AGE = "under_age"
    VOTES_MISSING = "votes_missing"
    NO_ELIGIBLE_VOTERS = "no_eligible_voters"
    ELIGIBLE_EXCEEDS_ROLL = "eligible_exceeds_roll"  # more eligible than full members on roll
    YES_EXCEEDS_ELIGIBLE = "yes_exceeds_eligible"
    TOO_FEW_YES_VOTES = "too_few_yes_votes"  # not a move: recorded as a failed vote


class MoveWarning(StrEnum):
    OVER_AGE = "over_age"  # needs approval above the usual admitting committee
    CERTIFICATE_EXPIRED = "certificate_expired"
    DOSSIER_STALE = "dossier_stale"
    DECISION_LATE = "decision_late"
    CEREMONY_LATE = "ceremony_late"  # the upper committee must be told and consent
    CONFIRM_VOTE_LATE = "confirm_vote_late"
    CONFIRMATION_DECISION_LATE = "confirmation_decision_late"


class AgeCheck(StrEnum):
    OK = "ok"
    UNDER_AGE = "under_age"
    OVER_AGE = "over_age"


@dataclass(frozen=True)
class Birth:
    year: int
    month: int


@dataclass(frozen=True)
class Votes:
    yes: int
    eligible: int


@dataclass(frozen=True)
class FailedVote:
    """A vote below the required share: kept, while the person stays at their stage."""

    stage: Stage  # the stage the vote was about
    on: date
    votes: Votes


@dataclass(frozen=True)
class MoveCheck:
    errors: tuple[MoveError, ...]
    warnings: tuple[MoveWarning, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def failed_vote(self) -> bool:
        """Tell whether the only thing wrong is a vote below the share: a failed vote to keep."""
        return self.errors == (MoveError.TOO_FEW_YES_VOTES,)


def required_yes_votes(eligible: int, rules: RecruitmentRules) -> int:
    """Return the yes votes needed: the rulebook share (2/3) of the eligible, rounded up."""
    return -(-eligible * rules.vote_share_numerator // rules.vote_share_denominator)


def eligible_voters(full: int, probationary: int, exempt: int, rules: RecruitmentRules) -> int:
    """Return the eligible count a roll suggests: the rulebook formula (full − exempt)."""
    counts = {"full": full, "probationary": probationary, "exempt": exempt}
    return max(0, sum(sign * counts[name] for sign, name in rules.eligible_voters))


def check_eligible(eligible: int, full_on_roll: int) -> MoveError | None:
    """Return why a cell's eligible count cannot be right: only full members vote."""
    if eligible < 1:
        return MoveError.NO_ELIGIBLE_VOTERS
    if eligible > full_on_roll:
        return MoveError.ELIGIBLE_EXCEEDS_ROLL
    return None


def check_votes(votes: Votes, rules: RecruitmentRules) -> MoveError | None:
    """Return why a vote does not admit or confirm, or None when it passes."""
    if votes.eligible < 1:
        return MoveError.NO_ELIGIBLE_VOTERS
    if votes.yes > votes.eligible:
        return MoveError.YES_EXCEEDS_ELIGIBLE
    if votes.yes < required_yes_votes(votes.eligible, rules):
        return MoveError.TOO_FEW_YES_VOTES
    return None


def check_age(birth: Birth, on: date, rules: RecruitmentRules) -> AgeCheck:
    """Return the age verdict at the cell's vote, counted in full months."""
    months = age_in_months(birth.year, birth.month, on)
    if months < rules.min_age_months:
        return AgeCheck.UNDER_AGE
    if months > rules.max_age_months:
        return AgeCheck.OVER_AGE
    return AgeCheck.OK


def sponsor_qualifies(full_member: bool, months_together: int, rules: RecruitmentRules) -> bool:
    """Return whether a member may sponsor: full, and known to the applicant long enough."""
    return full_member and months_together >= rules.sponsor_months


def check_target(history: Sequence[Move], target: Stage) -> MoveError | None:
    """Return why `target` cannot follow the current stage, or None."""
    stage = current_stage(history)
    if stage in TERMINAL:
        return MoveError.CLOSED
    if target not in allowed_moves(stage):
        return MoveError.NOT_ALLOWED
    return None


def check_date(
    history: Sequence[Move],
    target: Stage,
    on: date,
    today: date,
    birth: Birth,
    rulebook: Rulebook,
) -> tuple[MoveError, ...]:
    """Return why `target` cannot be dated `on`: order, future, age, probation not over."""
    errors: list[MoveError] = []
    if on > today:
        errors.append(MoveError.IN_FUTURE)
    if history and on < history[-1].on:
        errors.append(MoveError.BEFORE_PREVIOUS)
    received = decision_received(history) if target is Stage.CEREMONY else None
    if received is not None and history[-1].on <= on < received:
        errors.append(MoveError.BEFORE_DECISION_RECEIVED)
    rules = rules_on(rulebook, on)
    if target is Stage.CELL_VOTE_ADMIT and check_age(birth, on, rules) is AgeCheck.UNDER_AGE:
        errors.append(MoveError.UNDER_AGE)
    start = ceremony_date(history)
    if (
        target is Stage.CELL_VOTE_CONFIRM
        and start is not None
        and on < probation_end(start, rules_on(rulebook, start))
    ):
        errors.append(MoveError.BEFORE_PROBATION_END)
    return tuple(errors)


def check_received(decision: date, received: date, today: date) -> MoveError | None:
    """Return why the cell cannot have received a decision dated `decision` on `received`."""
    if received > today:
        return MoveError.IN_FUTURE
    if received < decision:
        return MoveError.RECEIVED_BEFORE_DECISION
    return None


def warnings_for(
    history: Sequence[Move],
    target: Stage,
    on: date,
    birth: Birth,
    rulebook: Rulebook,
    holidays: Set[date],
) -> tuple[MoveWarning, ...]:
    """Return what is late or unusual about recording `target` on `on`, without refusing it."""
    found: list[MoveWarning] = []
    if target is Stage.CELL_VOTE_ADMIT:
        rules = rules_on(rulebook, on)
        if check_age(birth, on, rules) is AgeCheck.OVER_AGE:
            found.append(MoveWarning.OVER_AGE)
        certificate = date_of(history, Stage.AWARENESS_COURSE)
        if certificate and on > certificate_expiry(certificate, rulebook):
            found.append(MoveWarning.CERTIFICATE_EXPIRED)
        dossier = date_of(history, Stage.DOSSIER)
        if dossier and on > dossier_stale_date(dossier, rulebook):
            found.append(MoveWarning.DOSSIER_STALE)
    late = {
        Stage.ADMISSION_DECIDED: MoveWarning.DECISION_LATE,
        Stage.CEREMONY: MoveWarning.CEREMONY_LATE,
        Stage.CELL_VOTE_CONFIRM: MoveWarning.CONFIRM_VOTE_LATE,
        Stage.CONFIRMED: MoveWarning.CONFIRMATION_DECISION_LATE,
    }
    if target in late and history:
        due = next_deadline(history, on, rulebook, holidays)
        if due is not None and due.kind in _ACTION_DUE and on > due.due:
            found.append(late[target])
    return tuple(found)


def check_move(
    history: Sequence[Move],
    target: Stage,
    on: date,
    today: date,
    birth: Birth,
    rulebook: Rulebook,
    holidays: Set[date],
    votes: Votes | None = None,
) -> MoveCheck:
    """Check a whole move: target, date, and for vote stages the counts."""
    target_error = check_target(history, target)
    if target_error is not None:
        return MoveCheck((target_error,), ())
    errors = list(check_date(history, target, on, today, birth, rulebook))
    if target in VOTE_STAGES:
        vote_error = (
            MoveError.VOTES_MISSING
            if votes is None
            else check_votes(votes, rules_on(rulebook, on))
        )
        if vote_error is not None:
            errors.append(vote_error)
    return MoveCheck(tuple(errors), warnings_for(history, target, on, birth, rulebook, holidays))


def failures_pending(history: Sequence[Move], failed: Sequence[FailedVote]) -> int:
    """Return how many votes on the person's next stage have failed so far."""
    following = next_stage(current_stage(history))
    if following not in VOTE_STAGES:
        return 0
    return sum(1 for vote in failed if vote.stage is following)


def must_report_failures(stage: Stage, failures: int, rules: RecruitmentRules) -> bool:
    """Tell whether so many failed confirmation votes go to the upper committee (§1.3)."""
    return stage is Stage.CELL_VOTE_CONFIRM and failures >= rules.failed_confirmation_votes_report


# --- entry ----------------------------------------------------------------------------------


class AliasProblem(StrEnum):
    ID_NUMBER = "id_number"  # six digits or more: an ID card or a phone number
    DATE = "date"
    NUMBER = "number"  # digits alone say nothing to the secretary and may be an ID
    FULL_NAME = "full_name"  # three capitalised words read as a Vietnamese full name


_ID_LIKE = re.compile(r"\d{6,}")
# Day/month, month/year or a whole date; a digit glued to a letter (C07-P03) is a code.
_DATE_LIKE = re.compile(r"(?<![^\W\d_])\d{1,4}\s?[/.-]\s?\d{1,4}(?:\s?[/.-]\s?\d{1,4})?(?!\d)")
_NUMBER_ALONE = re.compile(r"[\d\s.,#+-]+")
FULL_NAME_WORDS = 3


def alias_problem(alias: str) -> AliasProblem | None:
    """Return why an alias could identify the person (DOMAIN.md §7), or None when it is fine."""
    if _ID_LIKE.search(alias):
        return AliasProblem.ID_NUMBER
    if _DATE_LIKE.search(alias):
        return AliasProblem.DATE
    if _NUMBER_ALONE.fullmatch(alias):
        return AliasProblem.NUMBER
    if sum(1 for word in alias.split() if word[0].isupper()) >= FULL_NAME_WORDS:
        return AliasProblem.FULL_NAME
    return None


def alias_key(alias: str) -> str:
    """Return what makes two aliases the same in a cell: case and diacritics do not count."""
    return fold(alias)


def first_admissible_month(birth: Birth, rules: RecruitmentRules) -> date:
    """Return the first month the cell may vote on admitting the person (age counted in months)."""
    return add_months(date(birth.year, birth.month, 1), rules.min_age_months)


def too_young_at_entry(birth: Birth, today: date, policy: RecruitmentPolicy) -> bool:
    """Tell whether someone entered today is under the policy's age (a warning, not a refusal)."""
    return age_in_months(birth.year, birth.month, today) < policy.young_entry_years * 12


# --- the roll -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollChange:
    """What a step changes on the cell's roll: full and probationary members."""

    full: int
    probationary: int

    def __bool__(self) -> bool:
        return bool(self.full or self.probationary)


_ROLL_CHANGES = {
    Stage.CEREMONY: RollChange(0, 1),  # a new probationary member
    Stage.CONFIRMED: RollChange(1, -1),  # a probationary member becomes full
    Stage.REMOVED_PROBATIONER: RollChange(0, -1),
}


def roll_change(moves: Iterable[Move]) -> RollChange:
    """Return how the moves of one step change the roll (entering a person changes nothing)."""
    changes = [_ROLL_CHANGES[m.stage] for m in moves if m.stage in _ROLL_CHANGES]
    return RollChange(sum(c.full for c in changes), sum(c.probationary for c in changes))


def moves_roll(step_on: date, roll_set_on: date | None) -> bool:
    """Tell whether a step dated `step_on` changes the roll: not when the roll was set as a
    whole (an import, the secretary's correction) after that day, counting its person already.
    """
    return roll_set_on is None or step_on >= roll_set_on


def applicable_change(full: int, probationary: int, change: RollChange) -> RollChange:
    """Return the part of `change` the roll can take: no count goes below zero.

    A roll that already left someone out (a confirmation with no probationer on the roll)
    changes only where it can, and that applied change is what an undo takes back.
    """
    return RollChange(max(change.full, -full), max(change.probationary, -probationary))


# --- deadlines ------------------------------------------------------------------------------


class DeadlineKind(StrEnum):
    CERTIFICATE_EXPIRES = "certificate_expires"
    DOSSIER_STALE = "dossier_stale"
    ADMISSION_DECISION_DUE = "admission_decision_due"
    CEREMONY_DUE = "ceremony_due"
    PROBATION_ENDS = "probation_ends"  # not an action: the confirmation vote is due after it
    CONFIRM_VOTE_DUE = "confirm_vote_due"
    CONFIRMATION_DECISION_DUE = "confirmation_decision_due"


_ACTION_DUE = frozenset(
    {
        DeadlineKind.ADMISSION_DECISION_DUE,
        DeadlineKind.CEREMONY_DUE,
        DeadlineKind.CONFIRM_VOTE_DUE,
        DeadlineKind.CONFIRMATION_DECISION_DUE,
    }
)


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    due: date  # the last day that is still on time
    overdue: bool
    extended_to: date | None = None  # decisions only: the latest day with the extension


def certificate_expiry(certificate: date, rulebook: Rulebook) -> date:
    """Return the last day the awareness-course certificate is valid."""
    return add_months(certificate, rules_on(rulebook, certificate).awareness_certificate_months)


def dossier_stale_date(dossier: date, rulebook: Rulebook) -> date:
    """Return the last day the dossier documents may go to a cell vote."""
    return add_months(dossier, rules_on(rulebook, dossier).dossier_stale_months)


def admission_decision_due(cell_vote: date, rulebook: Rulebook, holidays: Set[date]) -> date:
    """Return the day the admission decision is due after the cell's vote."""
    days = rules_on(rulebook, cell_vote).admission_decision_working_days
    return add_working_days(cell_vote, days, holidays)


def ceremony_due(received: date, rulebook: Rulebook, holidays: Set[date]) -> date:
    """Return the day the ceremony is due after the cell received the decision."""
    return add_working_days(received, rules_on(rulebook, received).ceremony_working_days, holidays)


def confirm_vote_due(ceremony: date, rulebook: Rulebook, holidays: Set[date]) -> date:
    """Return the day the cell's confirmation vote is due after the probation ends."""
    end = probation_end(ceremony, rules_on(rulebook, ceremony))
    return add_working_days(end, rules_on(rulebook, end).confirm_vote_working_days, holidays)


def confirmation_decision_due(vote: date, rulebook: Rulebook, holidays: Set[date]) -> date:
    """Return the day the confirmation decision is due after the cell's vote."""
    days = rules_on(rulebook, vote).confirmation_decision_working_days
    return add_working_days(vote, days, holidays)


def next_deadline(
    history: Sequence[Move], today: date, rulebook: Rulebook, holidays: Set[date]
) -> Deadline | None:
    """Return the next deadline of a person at `today`, or None when nothing is due."""
    due = _next_due(history, today, rulebook, holidays)
    if due is None:
        return None
    kind, day = due
    overdue = kind is not DeadlineKind.PROBATION_ENDS and today > day
    if kind is DeadlineKind.ADMISSION_DECISION_DUE:
        vote = date_of(history, Stage.CELL_VOTE_ADMIT) or history[-1].on
        return Deadline(kind, day, overdue, extension_end(vote, day, rulebook, holidays))
    if kind is DeadlineKind.CONFIRMATION_DECISION_DUE:
        return Deadline(kind, day, overdue, extension_end(history[-1].on, day, rulebook, holidays))
    return Deadline(kind, day, overdue)


def extension_end(vote: date, due: date, rulebook: Rulebook, holidays: Set[date]) -> date:
    """Return the last day a decision may come with the longest extension allowed."""
    days = rules_on(rulebook, vote).decision_extension_working_days
    return add_working_days(due, days, holidays)


def _next_due(
    history: Sequence[Move], today: date, rulebook: Rulebook, holidays: Set[date]
) -> tuple[DeadlineKind, date] | None:
    stage, since = history[-1].stage, history[-1].on
    certificate = date_of(history, Stage.AWARENESS_COURSE)
    if stage is Stage.AWARENESS_COURSE:
        return DeadlineKind.CERTIFICATE_EXPIRES, certificate_expiry(since, rulebook)
    if stage is Stage.DOSSIER:
        options = [(DeadlineKind.DOSSIER_STALE, dossier_stale_date(since, rulebook))]
        if certificate is not None:
            options.append(
                (DeadlineKind.CERTIFICATE_EXPIRES, certificate_expiry(certificate, rulebook))
            )
        return min(options, key=lambda option: option[1])
    if stage in (Stage.CELL_VOTE_ADMIT, Stage.BASE_COMMITTEE_VOTE):
        # Entered at the committee's vote: its date stands in for the unknown cell vote.
        cell_vote = date_of(history, Stage.CELL_VOTE_ADMIT) or since
        return (
            DeadlineKind.ADMISSION_DECISION_DUE,
            admission_decision_due(cell_vote, rulebook, holidays),
        )
    if stage is Stage.ADMISSION_DECIDED:
        received = decision_received(history) or since
        return DeadlineKind.CEREMONY_DUE, ceremony_due(received, rulebook, holidays)
    if stage in (Stage.CEREMONY, Stage.PROBATION):
        start = ceremony_date(history) or since
        end = probation_end(start, rules_on(rulebook, start))
        if today <= end:
            return DeadlineKind.PROBATION_ENDS, end
        return DeadlineKind.CONFIRM_VOTE_DUE, confirm_vote_due(start, rulebook, holidays)
    if stage is Stage.CELL_VOTE_CONFIRM:
        return (
            DeadlineKind.CONFIRMATION_DECISION_DUE,
            confirmation_decision_due(since, rulebook, holidays),
        )
    return None


# --- lists and summaries --------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    stage: Stage
    since: date
    deadline: Deadline | None


def status(
    history: Sequence[Move], today: date, rulebook: Rulebook, holidays: Set[date]
) -> Status:
    """Return where a person stands at `today` and what is due next."""
    last = history[-1]
    return Status(last.stage, last.on, next_deadline(history, today, rulebook, holidays))


def list_order(item: Status) -> tuple[int, date, int]:
    """Sort key for the list: overdue first, then by due date, those with no deadline last."""
    if item.deadline is None:
        return (2, item.since, PATH.index(item.stage) if item.stage in PATH else len(PATH))
    return (0 if item.deadline.overdue else 1, item.deadline.due, 0)


@dataclass(frozen=True)
class Summary:
    by_stage: Mapping[Stage, int]  # records by current stage, every stage listed
    admitted_this_year: int  # ceremonies held in the calendar year of `today`
    probations_ending_soon: int  # probation ends within the rulebook window from `today`
    overdue: int


def summarise(
    histories: Iterable[Sequence[Move]], today: date, rulebook: Rulebook, holidays: Set[date]
) -> Summary:
    """Summarise a cell's (or a commune's) pipeline at `today`."""
    counts: Counter[Stage] = Counter()
    admitted = ending_soon = overdue = 0
    horizon = today + timedelta(days=policy_of(rulebook).probation_ending_soon_days)
    for history in histories:
        if not history:
            continue
        start = ceremony_date(history)
        if start is not None and start.year == today.year:
            admitted += 1
        counts[current_stage(history)] += 1
        deadline = next_deadline(history, today, rulebook, holidays)
        if deadline is None:
            continue
        if deadline.overdue:
            overdue += 1
        if deadline.kind is DeadlineKind.PROBATION_ENDS and deadline.due <= horizon:
            ending_soon += 1
    by_stage = {stage: counts[stage] for stage in Stage}
    return Summary(by_stage, admitted, ending_soon, overdue)
