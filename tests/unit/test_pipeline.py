"""The recruitment pipeline (DOMAIN.md §2 and §9 items 1–6, 10–12)."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import vietnam_holidays
from bot.domain.pipeline import (
    ENTRY_STAGES,
    PATH,
    TERMINAL,
    VOTE_STAGES,
    AgeCheck,
    AliasProblem,
    Birth,
    Deadline,
    DeadlineKind,
    FailedVote,
    Move,
    MoveError,
    MoveWarning,
    RollChange,
    Stage,
    Status,
    Votes,
    alias_problem,
    allowed_moves,
    applicable_change,
    check_age,
    check_date,
    check_eligible,
    check_move,
    check_received,
    check_votes,
    eligible_voters,
    failures_pending,
    first_admissible_month,
    list_order,
    moves_for,
    must_report_failures,
    next_deadline,
    official_date,
    parse_roll_formula,
    policy_of,
    required_yes_votes,
    roll_change,
    rules_on,
    sponsor_qualifies,
    summarise,
    too_young_at_entry,
)
from bot.domain.rulebook import Rulebook, RulebookError

RB = Rulebook.default()
RULES = rules_on(RB, date(2025, 9, 1))
NONE: frozenset[date] = frozenset()
VN = vietnam_holidays(range(2016, 2028))
ADULT = Birth(1990, 5)
S = Stage


def history(*moves: tuple[Stage, date]) -> list[Move]:
    return [Move(stage, on) for stage, on in moves]


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- moves ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        # the first stage moves on to sympathiser or leaves the pool
        (S.SOURCE, (S.SYMPATHISER, S.DROPPED)),
        # an admission decision without a ceremony can still be dropped
        (S.ADMISSION_DECIDED, (S.CEREMONY, S.DROPPED)),
        # a ceremony makes a probationary member: removal, not dropping
        (S.CEREMONY, (S.PROBATION, S.REMOVED_PROBATIONER)),
        # a probationer is voted on or removed
        (S.PROBATION, (S.CELL_VOTE_CONFIRM, S.REMOVED_PROBATIONER)),
        # the committee may still refuse after the cell's confirmation vote
        (S.CELL_VOTE_CONFIRM, (S.CONFIRMED, S.REMOVED_PROBATIONER)),
        # nothing follows confirmation
        (S.CONFIRMED, ()),
        # nothing follows an exit
        (S.DROPPED, ()),
        # nothing follows a removal
        (S.REMOVED_PROBATIONER, ()),
    ],
)
def test_allowed_moves_are_the_next_stage_first_then_the_exits(
    stage: Stage, expected: tuple[Stage, ...]
) -> None:
    assert allowed_moves(stage) == expected


def test_every_open_stage_allows_exactly_one_exit_after_the_next_stage() -> None:
    for stage, following in pairwise(PATH):
        moves = allowed_moves(stage)
        assert moves[0] is following and len(moves) == 2


def test_recording_a_ceremony_starts_the_probation_the_same_day() -> None:
    day = d("2025-03-15")
    assert moves_for(S.CEREMONY, day) == (Move(S.CEREMONY, day), Move(S.PROBATION, day))
    assert moves_for(S.DOSSIER, day) == (Move(S.DOSSIER, day),)


def test_entry_stages_start_at_source_and_skip_ceremony_and_confirmation() -> None:
    assert ENTRY_STAGES[0] is S.SOURCE
    assert S.CEREMONY not in ENTRY_STAGES and S.CONFIRMED not in ENTRY_STAGES
    assert S.PROBATION in ENTRY_STAGES


def test_vote_stages_are_the_two_cell_votes_and_the_committee_vote() -> None:
    assert {S.CELL_VOTE_ADMIT, S.BASE_COMMITTEE_VOTE, S.CELL_VOTE_CONFIRM} == VOTE_STAGES


# --- votes, age, sponsors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("eligible", "required"),
    [
        # §9.6: 8 eligible: 16/3 = 5.33 rounds up to 6
        (8, 6),
        # §9.6: 9 eligible: exactly 6
        (9, 6),
        # the smallest cell: 3 full members need 2
        (3, 2),
        # 10 eligible: 20/3 = 6.67 rounds up to 7
        (10, 7),
        # 1 eligible needs that one vote
        (1, 1),
        # 30 eligible need exactly 20
        (30, 20),
    ],
)
def test_required_yes_votes_is_two_thirds_rounded_up(eligible: int, required: int) -> None:
    assert required_yes_votes(eligible, RULES) == required


@given(st.integers(min_value=1, max_value=10_000))
def test_required_yes_votes_is_the_least_count_reaching_two_thirds(eligible: int) -> None:
    required = required_yes_votes(eligible, RULES)
    assert 3 * required >= 2 * eligible > 3 * (required - 1)


@pytest.mark.parametrize(
    ("yes", "eligible", "expected"),
    [
        # §9.6: 6 of 8 passes
        (6, 8, None),
        # §9.6: 5 of 8 falls short
        (5, 8, MoveError.TOO_FEW_YES_VOTES),
        # §9.6: 6 of 9 passes
        (6, 9, None),
        # unanimous
        (9, 9, None),
        # more yes votes than voters is a typo
        (10, 9, MoveError.YES_EXCEEDS_ELIGIBLE),
        # nobody eligible cannot vote
        (0, 0, MoveError.NO_ELIGIBLE_VOTERS),
    ],
)
def test_check_votes_refuses_below_two_thirds(
    yes: int, eligible: int, expected: MoveError | None
) -> None:
    assert check_votes(Votes(yes, eligible), RULES) == expected


@pytest.mark.parametrize(
    ("full", "probationary", "exempt", "expected"),
    [
        # §9.9: an exempt member counts only if present, so the one-tap default leaves them out
        (18, 2, 1, 17),
        # §9.7: probationary members never vote
        (10, 5, 0, 10),
        # a roll with more exempt than full members offers nobody rather than a negative count
        (2, 1, 3, 0),
    ],
)
def test_the_default_eligible_count_is_the_full_members_less_the_exempt(
    full: int, probationary: int, exempt: int, expected: int
) -> None:
    assert eligible_voters(full, probationary, exempt, RULES) == expected


@pytest.mark.parametrize(
    ("eligible", "full_on_roll", "expected"),
    [
        # every full member present, exempt ones included
        (18, 18, None),
        # §9.7: more eligible than full members means probationers were counted
        (19, 18, MoveError.ELIGIBLE_EXCEEDS_ROLL),
        # nobody eligible
        (0, 18, MoveError.NO_ELIGIBLE_VOTERS),
    ],
)
def test_an_eligible_count_above_the_full_members_is_refused(
    eligible: int, full_on_roll: int, expected: MoveError | None
) -> None:
    assert check_eligible(eligible, full_on_roll) == expected


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        # the shipped formula
        ("full - exempt", ((1, "full"), (-1, "exempt"))),
        # spaces do not matter
        ("full-exempt", ((1, "full"), (-1, "exempt"))),
        # a single count
        ("full", ((1, "full"),)),
    ],
)
def test_the_eligible_voter_formula_is_a_signed_sum_of_roll_counts(
    formula: str, expected: tuple[tuple[int, str], ...]
) -> None:
    assert parse_roll_formula(formula) == expected


@pytest.mark.parametrize(
    "formula",
    [
        # an unknown count
        "full - guests",
        # two counts without a sign between them
        "full exempt",
        # nothing at all
        "",
        # a number is not a roll count
        "full - 2",
    ],
)
def test_a_malformed_eligible_voter_formula_is_refused(formula: str) -> None:
    with pytest.raises(RulebookError):
        parse_roll_formula(formula)


@pytest.mark.parametrize(
    ("birth", "vote", "expected"),
    [
        # §9.10: 18 years minus one month is rejected
        (Birth(2007, 11), d("2025-10-28"), AgeCheck.UNDER_AGE),
        # §9.10: a full 18 years in months passes
        (Birth(2007, 11), d("2025-11-03"), AgeCheck.OK),
        # exactly 60 full years is still within the rule
        (Birth(1965, 4), d("2025-04-10"), AgeCheck.OK),
        # §9.10: over 60 warns that higher approval is needed
        (Birth(1965, 3), d("2025-04-10"), AgeCheck.OVER_AGE),
    ],
)
def test_check_age_counts_full_months_at_the_cell_vote(
    birth: Birth, vote: date, expected: AgeCheck
) -> None:
    assert check_age(birth, vote, RULES) is expected


@pytest.mark.parametrize(
    ("full_member", "months", "expected"),
    [
        # §9.12: a full member who has known the applicant 12 months
        (True, 12, True),
        # §9.12: eleven months is not enough
        (True, 11, False),
        # §9.12: a probationary member cannot sponsor
        (False, 36, False),
    ],
)
def test_sponsor_must_be_a_full_member_of_twelve_months(
    full_member: bool, months: int, expected: bool
) -> None:
    assert sponsor_qualifies(full_member, months, RULES) is expected


# --- move checks ----------------------------------------------------------------------------

TODAY = d("2025-11-20")
AT_DOSSIER = history(
    (S.SOURCE, d("2024-01-10")),
    (S.SYMPATHISER, d("2024-03-10")),
    (S.AWARENESS_COURSE, d("2024-06-14")),
    (S.DOSSIER, d("2025-02-03")),
)
ON_PROBATION = history((S.ADMISSION_DECIDED, d("2024-12-02")), (S.CEREMONY, d("2025-01-06")))
ON_PROBATION.append(Move(S.PROBATION, d("2025-01-06")))


@pytest.mark.parametrize(
    ("moves", "target", "on", "birth", "expected"),
    [
        # a date on or after the previous move and not in the future is fine
        (AT_DOSSIER, S.CELL_VOTE_ADMIT, d("2025-10-07"), ADULT, ()),
        # the same day as the previous move is fine
        (AT_DOSSIER, S.CELL_VOTE_ADMIT, d("2025-02-03"), ADULT, ()),
        # before the previous move
        (AT_DOSSIER, S.CELL_VOTE_ADMIT, d("2025-02-02"), ADULT, (MoveError.BEFORE_PREVIOUS,)),
        # tomorrow is in the future
        (AT_DOSSIER, S.DROPPED, TODAY + timedelta(days=1), ADULT, (MoveError.IN_FUTURE,)),
        # §9.10: the cell vote of a 17-year-11-month applicant
        (AT_DOSSIER, S.CELL_VOTE_ADMIT, d("2025-10-07"), Birth(2007, 11), (MoveError.UNDER_AGE,)),
        # the age only matters at the cell's admission vote
        (AT_DOSSIER, S.DROPPED, d("2025-10-07"), Birth(2007, 11), ()),
        # a future date before the probation end gives both reasons
        (
            ON_PROBATION,
            S.CELL_VOTE_CONFIRM,
            d("2026-01-05"),
            ADULT,
            (MoveError.IN_FUTURE, MoveError.BEFORE_PROBATION_END),
        ),
    ],
)
def test_check_date_returns_every_reason_a_date_is_refused(
    moves: list[Move], target: Stage, on: date, birth: Birth, expected: tuple[MoveError, ...]
) -> None:
    assert check_date(moves, target, on, TODAY, birth, RB) == expected


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        # one day before the twelve months end
        (d("2026-01-05"), (MoveError.BEFORE_PROBATION_END,)),
        # on the day the twelve months end
        (d("2026-01-06"), ()),
    ],
)
def test_confirmation_vote_must_be_dated_from_the_probation_end(
    on: date, expected: tuple[MoveError, ...]
) -> None:
    assert check_date(ON_PROBATION, S.CELL_VOTE_CONFIRM, on, d("2026-03-01"), ADULT, RB) == (
        expected
    )


@pytest.mark.parametrize(
    ("moves", "target", "votes", "errors", "warnings"),
    [
        # a regular admission vote: 6 of 8
        (AT_DOSSIER, S.CELL_VOTE_ADMIT, Votes(6, 8), (), ()),
        # 5 of 8 is refused
        (AT_DOSSIER, S.CELL_VOTE_ADMIT, Votes(5, 8), (MoveError.TOO_FEW_YES_VOTES,), ()),
        # a vote stage without counts
        (AT_DOSSIER, S.CELL_VOTE_ADMIT, None, (MoveError.VOTES_MISSING,), ()),
        # skipping a stage
        (AT_DOSSIER, S.ADMISSION_DECIDED, None, (MoveError.NOT_ALLOWED,), ()),
        # going back
        (AT_DOSSIER, S.SYMPATHISER, None, (MoveError.NOT_ALLOWED,), ()),
        # a person not yet admitted is dropped, not removed
        (AT_DOSSIER, S.REMOVED_PROBATIONER, None, (MoveError.NOT_ALLOWED,), ()),
        # nothing after an exit
        (
            [*AT_DOSSIER, Move(S.DROPPED, d("2025-03-01"))],
            S.CELL_VOTE_ADMIT,
            Votes(8, 8),
            (MoveError.CLOSED,),
            (),
        ),
    ],
)
def test_check_move_checks_the_target_the_date_and_the_votes(
    moves: list[Move],
    target: Stage,
    votes: Votes | None,
    errors: tuple[MoveError, ...],
    warnings: tuple[MoveWarning, ...],
) -> None:
    result = check_move(moves, target, d("2025-10-07"), TODAY, ADULT, RB, NONE, votes)
    assert (result.errors, result.warnings) == (errors, warnings)
    assert result.ok is (not errors)


@pytest.mark.parametrize(
    ("moves", "target", "on", "birth", "expected"),
    [
        # §9.10: over 60 at the cell vote warns
        (AT_DOSSIER, S.CELL_VOTE_ADMIT, d("2025-10-07"), Birth(1965, 3), (MoveWarning.OVER_AGE,)),
        # §9.11: the certificate of 14 Jun 2024 is still valid in 2029-06
        (AT_DOSSIER, S.CELL_VOTE_ADMIT, d("2025-10-07"), ADULT, ()),
        # the dossier of 3 Feb 2025 has gone stale by 4 Feb 2026
        (
            AT_DOSSIER,
            S.CELL_VOTE_ADMIT,
            d("2026-02-04"),
            ADULT,
            (MoveWarning.DOSSIER_STALE,),
        ),
        # §9.4: a ceremony 31 working days after the decision is late
        (
            history((S.ADMISSION_DECIDED, d("2025-09-08"))),
            S.CEREMONY,
            d("2025-10-21"),
            ADULT,
            (MoveWarning.CEREMONY_LATE,),
        ),
        # §9.4: the 30th working day is still on time
        (history((S.ADMISSION_DECIDED, d("2025-09-08"))), S.CEREMONY, d("2025-10-20"), ADULT, ()),
        # §9.3: a confirmation vote on the 31st working day after the probation end is late
        (
            ON_PROBATION,
            S.CELL_VOTE_CONFIRM,
            d("2026-02-18"),
            ADULT,
            (MoveWarning.CONFIRM_VOTE_LATE,),
        ),
        # §9.5, issue 8 defect 4: a confirmation decision 31 working days after the vote
        (
            [*ON_PROBATION, Move(S.CELL_VOTE_CONFIRM, d("2026-01-12"))],
            S.CONFIRMED,
            d("2026-02-24"),
            ADULT,
            (MoveWarning.CONFIRMATION_DECISION_LATE,),
        ),
        # the 30th working day is still on time
        (
            [*ON_PROBATION, Move(S.CELL_VOTE_CONFIRM, d("2026-01-12"))],
            S.CONFIRMED,
            d("2026-02-23"),
            ADULT,
            (),
        ),
        # §9.5: a decision on the 61st working day after the cell vote is late
        (
            history(
                (S.CELL_VOTE_ADMIT, d("2025-03-03")), (S.BASE_COMMITTEE_VOTE, d("2025-03-20"))
            ),
            S.ADMISSION_DECIDED,
            d("2025-05-27"),
            ADULT,
            (MoveWarning.DECISION_LATE,),
        ),
    ],
)
def test_warnings_flag_late_or_unusual_moves_without_refusing_them(
    moves: list[Move], target: Stage, on: date, birth: Birth, expected: tuple[MoveWarning, ...]
) -> None:
    votes = Votes(8, 8) if target in VOTE_STAGES else None
    result = check_move(moves, target, on, d("2026-06-01"), birth, RB, NONE, votes)
    assert result.errors == ()
    assert result.warnings == expected


def test_certificate_older_than_sixty_months_warns_at_the_cell_vote() -> None:
    moves = history((S.AWARENESS_COURSE, d("2020-06-10")), (S.DOSSIER, d("2025-01-06")))
    result = check_move(
        moves, S.CELL_VOTE_ADMIT, d("2025-06-11"), TODAY, ADULT, RB, NONE, Votes(6, 8)
    )
    assert result.warnings == (MoveWarning.CERTIFICATE_EXPIRED,)


# --- failed votes ---------------------------------------------------------------------------


def failed(stage: Stage, on: str, yes: int = 5, eligible: int = 9) -> FailedVote:
    return FailedVote(stage, d(on), Votes(yes, eligible))


def test_a_vote_below_two_thirds_is_a_failed_vote_not_an_error_to_fix() -> None:
    # §9.6: 5 of 8 falls short; the dates are fine, so the vote is kept as a failed vote
    short = check_move(AT_DOSSIER, S.CELL_VOTE_ADMIT, d("2025-10-07"), TODAY, ADULT, RB, NONE,
                       Votes(5, 8))
    assert short.failed_vote and not short.ok
    # a vote dated before the dossier is an error to fix, even when it also falls short
    early = check_move(AT_DOSSIER, S.CELL_VOTE_ADMIT, d("2025-01-07"), TODAY, ADULT, RB, NONE,
                       Votes(5, 8))
    assert not early.failed_vote
    # a vote that passes is not a failed vote
    passed = check_move(AT_DOSSIER, S.CELL_VOTE_ADMIT, d("2025-10-07"), TODAY, ADULT, RB, NONE,
                        Votes(6, 8))
    assert passed.ok and not passed.failed_vote


@pytest.mark.parametrize(
    ("moves", "votes", "expected"),
    [
        # two failed confirmation votes of a probationer
        (
            ON_PROBATION,
            [failed(S.CELL_VOTE_CONFIRM, "2026-01-10"), failed(S.CELL_VOTE_CONFIRM, "2026-02-10")],
            2,
        ),
        # failed admission votes do not count towards the confirmation
        (ON_PROBATION, [failed(S.CELL_VOTE_ADMIT, "2024-10-01")], 0),
        # once the vote passed, nothing is pending any more
        (
            [*ON_PROBATION, Move(S.CELL_VOTE_CONFIRM, d("2026-03-01"))],
            [failed(S.CELL_VOTE_CONFIRM, "2026-01-10")],
            0,
        ),
        # a dossier waiting for its cell vote
        (AT_DOSSIER, [failed(S.CELL_VOTE_ADMIT, "2025-03-01")], 1),
    ],
)
def test_failures_pending_counts_the_failed_votes_on_the_next_step(
    moves: list[Move], votes: list[FailedVote], expected: int
) -> None:
    assert failures_pending(moves, votes) == expected


@pytest.mark.parametrize(
    ("stage", "failures", "expected"),
    [
        # §1.3: the third failed confirmation vote goes to the upper committee
        (S.CELL_VOTE_CONFIRM, 3, True),
        # two are not yet enough
        (S.CELL_VOTE_CONFIRM, 2, False),
        # the rule is stated for confirmation: admission votes are only counted
        (S.CELL_VOTE_ADMIT, 3, False),
    ],
)
def test_three_failed_confirmation_votes_must_be_reported(
    stage: Stage, failures: int, expected: bool
) -> None:
    assert must_report_failures(stage, failures, RULES) is expected


# --- admission decisions: decided, then received --------------------------------------------


DECIDED = [
    Move(S.CELL_VOTE_ADMIT, d("2025-03-03")),
    Move(S.BASE_COMMITTEE_VOTE, d("2025-03-20")),
    # decided on the 60th working day, received by the cell two weeks later
    Move(S.ADMISSION_DECIDED, d("2025-05-26"), d("2025-06-09")),
]


def test_a_decision_received_late_is_not_a_late_decision() -> None:
    # §9.5: the 60 working days run to the committee's decision, not to its arrival
    result = check_move(DECIDED[:2], S.ADMISSION_DECIDED, d("2025-05-26"), TODAY, ADULT, RB, NONE)
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("moves", "today", "expected"),
    [
        # §9.4: the ceremony is due 30 working days after the cell received the decision
        (DECIDED, d("2025-06-10"), Deadline(DeadlineKind.CEREMONY_DUE, d("2025-07-21"), False)),
        # a decision recorded without its day of arrival counts from its own date
        (
            [Move(S.ADMISSION_DECIDED, d("2025-09-08"))],
            d("2025-09-10"),
            Deadline(DeadlineKind.CEREMONY_DUE, d("2025-10-20"), False),
        ),
    ],
)
def test_the_ceremony_deadline_runs_from_the_day_the_decision_was_received(
    moves: list[Move], today: date, expected: Deadline
) -> None:
    assert next_deadline(moves, today, RB, NONE) == expected


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        # a ceremony between the decision and its arrival
        (d("2025-06-02"), (MoveError.BEFORE_DECISION_RECEIVED,)),
        # the day it arrived
        (d("2025-06-09"), ()),
        # before the decision itself is the usual order error
        (d("2025-05-01"), (MoveError.BEFORE_PREVIOUS,)),
    ],
)
def test_a_ceremony_cannot_precede_the_arrival_of_the_decision(
    on: date, expected: tuple[MoveError, ...]
) -> None:
    assert check_date(DECIDED, S.CEREMONY, on, TODAY, ADULT, RB) == expected


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # the same day as the decision
        (d("2025-05-26"), None),
        # before the decision was taken
        (d("2025-05-25"), MoveError.RECEIVED_BEFORE_DECISION),
        # in the future
        (TODAY + timedelta(days=1), MoveError.IN_FUTURE),
    ],
)
def test_the_day_received_is_between_the_decision_and_today(
    received: date, expected: MoveError | None
) -> None:
    assert check_received(d("2025-05-26"), received, TODAY) == expected


def test_recording_a_decision_keeps_both_of_its_dates() -> None:
    assert moves_for(S.ADMISSION_DECIDED, d("2025-05-26"), d("2025-06-09")) == (
        Move(S.ADMISSION_DECIDED, d("2025-05-26"), d("2025-06-09")),
    )
    # without a day received, the decision's own date stands in
    assert moves_for(S.ADMISSION_DECIDED, d("2025-05-26")) == (
        Move(S.ADMISSION_DECIDED, d("2025-05-26"), d("2025-05-26")),
    )


# --- the roll -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        # a ceremony adds one probationary member
        (S.CEREMONY, RollChange(0, 1)),
        # a confirmation moves one probationary member to full
        (S.CONFIRMED, RollChange(1, -1)),
        # a removal takes one probationary member off
        (S.REMOVED_PROBATIONER, RollChange(0, -1)),
        # the confirmation vote alone changes nothing yet
        (S.CELL_VOTE_CONFIRM, RollChange(0, 0)),
        # dropping a non-member changes nothing
        (S.DROPPED, RollChange(0, 0)),
    ],
)
def test_the_roll_follows_the_pipeline(target: Stage, expected: RollChange) -> None:
    assert roll_change(moves_for(target, d("2025-06-09"))) == expected


@pytest.mark.parametrize(
    ("full", "probationary", "change", "expected"),
    [
        # the usual confirmation
        (10, 2, RollChange(1, -1), RollChange(1, -1)),
        # a roll that never listed the probationer still gains the full member
        (10, 0, RollChange(1, -1), RollChange(1, 0)),
        # a removal from an empty probationary count changes nothing
        (10, 0, RollChange(0, -1), RollChange(0, 0)),
    ],
)
def test_a_roll_change_never_takes_a_count_below_zero(
    full: int, probationary: int, change: RollChange, expected: RollChange
) -> None:
    assert applicable_change(full, probationary, change) == expected


# --- entry ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        # initials
        ("NVA", None),
        # a nickname of two words
        ("Chú Tư", None),
        # a pseudonymous code with digits
        ("C07-P03", None),
        # three capitalised words read as a Vietnamese full name
        ("Nguyễn Văn An", AliasProblem.FULL_NAME),
        # four as well
        ("Trần Thị Bích Ngọc", AliasProblem.FULL_NAME),
        # a date of birth
        ("NVA 12/3/1995", AliasProblem.DATE),
        # a month and year
        ("Út 04/1995", AliasProblem.DATE),
        # an ISO date
        ("1995-03-12", AliasProblem.DATE),
        # a number alone
        ("123", AliasProblem.NUMBER),
        # an ID card or phone number anywhere
        ("An 0912345678", AliasProblem.ID_NUMBER),
    ],
)
def test_an_alias_that_could_identify_the_person_is_refused(
    alias: str, expected: AliasProblem | None
) -> None:
    assert alias_problem(alias) == expected


@pytest.mark.parametrize(
    ("birth", "today", "expected"),
    [
        # 15 years and 11 months at entry
        (Birth(2010, 12), d("2026-11-27"), True),
        # 16 full years
        (Birth(2010, 11), d("2026-11-27"), False),
    ],
)
def test_a_person_under_16_at_entry_is_warned_about(
    birth: Birth, today: date, expected: bool
) -> None:
    assert too_young_at_entry(birth, today, policy_of(RB)) is expected


def test_the_first_admissible_month_is_18_full_years_after_the_birth_month() -> None:
    # §9.10: counted in months
    assert first_admissible_month(Birth(2010, 12), RULES) == d("2028-12-01")


# --- deadlines ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moves", "today", "holidays", "expected"),
    [
        # no deadline while in the source pool
        (history((S.SOURCE, d("2025-01-10"))), TODAY, NONE, None),
        # §9.11: the certificate expires 60 months after its date
        (
            history((S.AWARENESS_COURSE, d("2024-06-14"))),
            TODAY,
            NONE,
            Deadline(DeadlineKind.CERTIFICATE_EXPIRES, d("2029-06-14"), False),
        ),
        # a dossier goes stale 12 months on without a cell vote
        (AT_DOSSIER, TODAY, NONE, Deadline(DeadlineKind.DOSSIER_STALE, d("2026-02-03"), False)),
        # ... and is overdue the day after
        (
            AT_DOSSIER,
            d("2026-02-04"),
            NONE,
            Deadline(DeadlineKind.DOSSIER_STALE, d("2026-02-03"), True),
        ),
        # a certificate expiring before the dossier goes stale comes first
        (
            history((S.AWARENESS_COURSE, d("2020-12-01")), (S.DOSSIER, d("2025-09-01"))),
            TODAY,
            NONE,
            Deadline(DeadlineKind.CERTIFICATE_EXPIRES, d("2025-12-01"), False),
        ),
        # §9.5: the decision is due 60 working days after the cell's vote, 30 more at most
        (
            history((S.CELL_VOTE_ADMIT, d("2025-03-03"))),
            d("2025-04-01"),
            NONE,
            Deadline(DeadlineKind.ADMISSION_DECISION_DUE, d("2025-05-26"), False, d("2025-07-07")),
        ),
        # the committee's vote does not move that deadline; Vietnamese holidays do (four days
        # off, and Saturday 26-4-2025 worked to make up for 2-5-2025)
        (
            history(
                (S.CELL_VOTE_ADMIT, d("2025-03-03")), (S.BASE_COMMITTEE_VOTE, d("2025-03-20"))
            ),
            d("2025-06-02"),
            VN,
            Deadline(DeadlineKind.ADMISSION_DECISION_DUE, d("2025-05-29"), True, d("2025-07-10")),
        ),
        # §9.4 and §9.26: the ceremony is due 30 working days after the decision
        (
            history((S.ADMISSION_DECIDED, d("2025-09-08"))),
            d("2025-10-20"),
            VN,
            Deadline(DeadlineKind.CEREMONY_DUE, d("2025-10-20"), False),
        ),
        # §9.26: with Hùng Kings Day the ceremony is due a day later
        (
            history((S.ADMISSION_DECIDED, d("2025-03-03"))),
            d("2025-04-15"),
            VN,
            Deadline(DeadlineKind.CEREMONY_DUE, d("2025-04-15"), False),
        ),
        # §9.1: probation ends 12 months after the ceremony
        (
            ON_PROBATION,
            TODAY,
            NONE,
            Deadline(DeadlineKind.PROBATION_ENDS, d("2026-01-06"), False),
        ),
        # §9.3: then the confirmation vote is due 30 working days later
        (
            ON_PROBATION,
            d("2026-01-07"),
            NONE,
            Deadline(DeadlineKind.CONFIRM_VOTE_DUE, d("2026-02-17"), False),
        ),
        # §9.3: and overdue the day after
        (
            ON_PROBATION,
            d("2026-02-18"),
            NONE,
            Deadline(DeadlineKind.CONFIRM_VOTE_DUE, d("2026-02-17"), True),
        ),
        # a probationer entered without a ceremony counts from the probation date (clamped)
        (
            history((S.PROBATION, d("2024-02-29"))),
            d("2024-06-01"),
            NONE,
            Deadline(DeadlineKind.PROBATION_ENDS, d("2025-02-28"), False),
        ),
        # §9.5: the confirmation decision is due 30 working days after the vote, 30 more at most
        (
            [*ON_PROBATION, Move(S.CELL_VOTE_CONFIRM, d("2026-01-12"))],
            d("2026-01-12"),
            NONE,
            Deadline(
                DeadlineKind.CONFIRMATION_DECISION_DUE, d("2026-02-23"), False, d("2026-04-06")
            ),
        ),
        # nothing is due once confirmed
        (
            [
                *ON_PROBATION,
                Move(S.CELL_VOTE_CONFIRM, d("2026-01-12")),
                Move(S.CONFIRMED, d("2026-02-02")),
            ],
            d("2026-02-03"),
            NONE,
            None,
        ),
    ],
)
def test_next_deadline_follows_the_current_stage(
    moves: list[Move], today: date, holidays: frozenset[date], expected: Deadline | None
) -> None:
    assert next_deadline(moves, today, RB, holidays) == expected


def test_official_date_is_the_probation_end_even_when_the_vote_is_late() -> None:
    # §9.2: ceremony 6 Jan 2025, vote three months late, decision later still
    moves = [
        *ON_PROBATION,
        Move(S.CELL_VOTE_CONFIRM, d("2026-04-20")),
        Move(S.CONFIRMED, d("2026-06-15")),
    ]
    assert official_date(moves, RB) == d("2026-01-06")
    assert official_date(ON_PROBATION, RB) is None


# --- lists and summaries --------------------------------------------------------------------


def test_list_order_puts_overdue_first_then_by_due_date_then_no_deadline() -> None:
    overdue = Status(
        S.DOSSIER, d("2024-01-01"), Deadline(DeadlineKind.DOSSIER_STALE, d("2025-01-01"), True)
    )
    soon = Status(
        S.PROBATION, d("2025-01-01"), Deadline(DeadlineKind.PROBATION_ENDS, d("2026-01-01"), False)
    )
    later = Status(
        S.AWARENESS_COURSE,
        d("2025-01-01"),
        Deadline(DeadlineKind.CERTIFICATE_EXPIRES, d("2030-01-01"), False),
    )
    idle = Status(S.SOURCE, d("2025-05-01"), None)
    assert sorted([idle, later, soon, overdue], key=list_order) == [overdue, soon, later, idle]


def test_summarise_counts_stages_admissions_probations_ending_and_overdue() -> None:
    today = d("2025-12-15")
    people = [
        history((S.SOURCE, d("2025-01-10"))),
        # ceremony this year, probation ends in under 30 days
        history((S.CEREMONY, d("2025-01-06")), (S.PROBATION, d("2025-01-06"))),
        # ceremony last year, confirmed this year: not admitted this year
        history(
            (S.PROBATION, d("2024-05-02")),
            (S.CELL_VOTE_CONFIRM, d("2025-05-05")),
            (S.CONFIRMED, d("2025-06-01")),
        ),
        # overdue: stale dossier
        history((S.DOSSIER, d("2024-10-01"))),
        # dropped people are counted under their exit, with no deadline
        history((S.SOURCE, d("2025-01-10")), (S.DROPPED, d("2025-02-01"))),
    ]
    summary = summarise(people, today, RB, NONE)
    assert summary.by_stage[S.SOURCE] == 1
    assert summary.by_stage[S.PROBATION] == 1
    assert summary.by_stage[S.DOSSIER] == 1
    assert summary.by_stage[S.CONFIRMED] == 1
    assert summary.by_stage[S.DROPPED] == 1
    assert summary.by_stage[S.CEREMONY] == 0
    assert (summary.admitted_this_year, summary.probations_ending_soon, summary.overdue) == (
        1,
        1,
        1,
    )


@given(
    st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=400)), max_size=14),
    st.dates(min_value=date(2016, 1, 1), max_value=date(2026, 1, 1)),
)
def test_any_walk_of_allowed_moves_is_accepted_and_always_has_a_status(
    walk: list[tuple[bool, int]], start: date
) -> None:
    # Each step takes the next stage (True) or the exit (False), some days after the last.
    # Confirmation votes wait for the probation end, as the check requires.
    today = date(2060, 1, 1)  # later than any walk can reach
    moves = [Move(S.SOURCE, start)]
    for forward, gap in walk:
        options = allowed_moves(moves[-1].stage)
        if not options:
            break
        target = options[0] if forward else options[-1]
        on = moves[-1].on + timedelta(days=gap)
        if target is S.CELL_VOTE_CONFIRM:
            on = max(on, moves[-1].on + timedelta(days=366))
        result = check_move(moves, target, on, today, ADULT, RB, VN, Votes(9, 9))
        assert result.ok, (target, result.errors)
        moves.extend(moves_for(target, on))
    summary = summarise([moves], today, RB, VN)
    assert sum(summary.by_stage.values()) == 1
    deadline = next_deadline(moves, today, RB, VN)
    assert (deadline is None) == (moves[-1].stage in (S.SOURCE, S.SYMPATHISER, *TERMINAL))
