"""Meeting reports: validation codes and the judgement of one meeting by the rules of its date."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import pytest

from bot.domain.meetings import (
    ALL_TARGETS,
    MASS_ORGANISATIONS,
    Dissemination,
    MeetingKind,
    MeetingReport,
    ReportError,
    Roll,
    check_date,
    check_excused,
    check_minutes,
    check_note,
    check_present,
    check_previous_tasks,
    check_roll,
    check_tasks,
    check_topic,
    evaluate,
    expected_members,
    is_regular,
    is_thematic,
    max_report_age_days,
    parse_targets,
    rules_on,
    validate,
)
from bot.domain.rulebook import Rulebook, RulebookError
from tests.support import sample_meeting

RULES = Rulebook.default()
TODAY = date(2026, 11, 27)
HB, FF = Dissemination.HAMLET_BOARD, Dissemination.FATHERLAND_FRONT
WU, FU, VA, YU = MASS_ORGANISATIONS


def report(**changes: Any) -> MeetingReport:
    """Return a sound regular meeting of 20 expected members, changed as asked."""
    return sample_meeting(**{"tasks": 3, **changes})


def two_eras() -> Rulebook:
    """Return a test rulebook whose threshold was 80 % before 2018 and 90 % after."""
    shipped = RULES.section("meetings", on=date(2026, 1, 1))
    return Rulebook.from_mappings(
        [
            {
                "meetings": [
                    {**shipped, "effective_from": date(2012, 1, 1), "attendance_threshold": 0.8},
                    {"effective_from": date(2018, 1, 1), "attendance_threshold": 0.9},
                ]
            }
        ]
    )


def test_kinds_and_targets_have_stable_ascii_keys() -> None:
    assert [k.value for k in MeetingKind] == ["regular", "thematic", "combined"]
    assert [t.value for t in Dissemination] == [
        "hamlet_board", "fatherland_front", "womens_union", "farmers_union", "veterans",
        "youth_union",
    ]
    assert parse_targets(["youth_union", "hamlet_board"]) == frozenset({YU, HB})
    with pytest.raises(ValueError):
        parse_targets(["mass_orgs"])  # the one box of before is gone: each union by name


@pytest.mark.parametrize(
    ("full", "probationary", "exempt", "expected"),
    [
        (18, 2, 0, 20),  # everyone on roll is expected
        (18, 2, 3, 17),  # exempt members are left out of the denominator
        (0, 3, 0, 3),  # probationary members are expected too
        (2, 0, 5, 0),  # a roll that exempts more than it holds never goes negative
    ],
)
def test_expected_members_are_full_plus_probationary_minus_exempt(
    full: int, probationary: int, exempt: int, expected: int
) -> None:
    assert expected_members(full, probationary, exempt) == expected
    assert Roll(full, probationary, exempt).expected == expected


@pytest.mark.parametrize(
    ("held_on", "error"),
    [
        (TODAY, None),  # today is fine
        (date(2026, 11, 28), ReportError.DATE_IN_FUTURE),  # tomorrow has not happened
        (date(2026, 9, 26), None),  # 62 days back is the oldest accepted
        (date(2026, 9, 25), ReportError.DATE_TOO_OLD),  # 63 days back is too old
    ],
)
def test_meeting_date_is_neither_future_nor_older_than_the_limit(
    held_on: date, error: ReportError | None
) -> None:
    assert check_date(held_on, TODAY, RULES) is error


@pytest.mark.parametrize(
    ("minutes", "error"),
    [
        (9, ReportError.MINUTES_OUT_OF_RANGE),  # below the form's floor
        (10, None),  # shortest plausible sitting
        (600, None),  # longest plausible sitting
        (601, ReportError.MINUTES_OUT_OF_RANGE),  # over ten hours is a typo
    ],
)
def test_duration_is_between_10_and_600_minutes(minutes: int, error: ReportError | None) -> None:
    assert check_minutes(minutes) is error


@pytest.mark.parametrize(
    ("roll", "error"),
    [
        (Roll(18, 2, 3), None),  # an ordinary cell
        (Roll(-1, 2, 0), ReportError.ROLL_OUT_OF_RANGE),  # negative count
        (Roll(1000, 0, 0), ReportError.ROLL_OUT_OF_RANGE),  # no hamlet cell is that large
        (Roll(3, 0, 4), ReportError.EXEMPT_EXCEEDS_ROLL),  # cannot exempt more than the roll
        (Roll(3, 0, 3), ReportError.NO_EXPECTED_MEMBERS),  # nobody left to meet
    ],
)
def test_roll_counts_are_sane(roll: Roll, error: ReportError | None) -> None:
    assert check_roll(roll) is error


@pytest.mark.parametrize(
    ("present", "expected", "error"),
    [
        (0, 20, None),  # nobody came: recorded as it was
        (20, 20, None),  # everyone came
        (21, 20, ReportError.PRESENT_OUT_OF_RANGE),  # more than expected
        (-1, 20, ReportError.PRESENT_OUT_OF_RANGE),  # negative
    ],
)
def test_present_is_between_none_and_all_expected(
    present: int, expected: int, error: ReportError | None
) -> None:
    assert check_present(present, expected) is error


@pytest.mark.parametrize(
    ("excused", "present", "error"),
    [
        (0, 17, None),  # all three absences unexcused
        (3, 17, None),  # all three absences excused
        (4, 17, ReportError.EXCUSED_OUT_OF_RANGE),  # more excused than absent
        (-1, 17, ReportError.EXCUSED_OUT_OF_RANGE),  # negative
    ],
)
def test_excused_absences_are_at_most_the_absent(
    excused: int, present: int, error: ReportError | None
) -> None:
    assert check_excused(excused, 20, present) is error


@pytest.mark.parametrize(
    ("tasks", "error"),
    [
        (0, None),  # a resolution without concrete tasks is allowed, and shown
        (50, None),  # the most the form takes
        (51, ReportError.TASKS_OUT_OF_RANGE),  # more is a typo
        (-1, ReportError.TASKS_OUT_OF_RANGE),  # negative
    ],
)
def test_concrete_tasks_are_0_to_50(tasks: int, error: ReportError | None) -> None:
    assert check_tasks(tasks) is error


@pytest.mark.parametrize(
    ("topic", "error"),
    [
        ("ab", ReportError.TOPIC_LENGTH),  # too short to mean anything
        ("  ab  ", ReportError.TOPIC_LENGTH),  # spaces do not count
        ("Học tập và làm theo tư tưởng Hồ Chí Minh", None),  # an ordinary topic
        ("x" * 200, None),  # the longest accepted
        ("x" * 201, ReportError.TOPIC_LENGTH),  # too long
        ("2026", ReportError.TOPIC_NO_LETTER),  # a topic must contain a letter (issue 7)
        ("... !!", ReportError.TOPIC_NO_LETTER),  # punctuation only
        ("Đề án 06", None),  # letters and digits together are fine
    ],
)
def test_topic_is_3_to_200_characters_with_a_letter(topic: str, error: ReportError | None) -> None:
    assert check_topic(topic) is error


@pytest.mark.parametrize(
    ("note", "error"),
    [
        ("", None),  # empty is the same as skipped
        ("ấ" * 500, None),  # 500 Vietnamese characters, not bytes
        ("x" * 501, ReportError.NOTE_TOO_LONG),  # too long
    ],
)
def test_note_is_at_most_500_characters(note: str, error: ReportError | None) -> None:
    assert check_note(note) is error


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({}, ()),  # a sound report
        ({"kind": MeetingKind.THEMATIC}, (ReportError.TOPIC_MISSING,)),  # thematic needs a topic
        ({"kind": MeetingKind.COMBINED, "topic": "Chuyển đổi số"}, ()),  # combined with a topic
        ({"topic": "Chuyển đổi số"}, (ReportError.TOPIC_NOT_ALLOWED,)),  # regular has none
        ({"expected": 0, "present": 0, "excused": 0}, (ReportError.NO_EXPECTED_MEMBERS,)),
        (  # without a resolution there are no tasks and nothing to pass on
            {"resolution_adopted": False},
            (ReportError.TASKS_WITHOUT_RESOLUTION, ReportError.TARGETS_WITHOUT_RESOLUTION),
        ),
        ({"resolution_adopted": False, "tasks": 0, "disseminated_to": frozenset()}, ()),
        (  # every answer wrong is reported in form order
            {
                "held_on": date(2026, 12, 1),
                "minutes": 5,
                "present": 25,
                "excused": 1,
                "tasks": 60,
                "note": "x" * 600,
            },
            (
                ReportError.DATE_IN_FUTURE,
                ReportError.MINUTES_OUT_OF_RANGE,
                ReportError.PRESENT_OUT_OF_RANGE,
                ReportError.EXCUSED_OUT_OF_RANGE,
                ReportError.TASKS_OUT_OF_RANGE,
                ReportError.NOTE_TOO_LONG,
            ),
        ),
    ],
)
def test_a_whole_report_lists_every_problem(
    changes: dict[str, Any], errors: tuple[ReportError, ...]
) -> None:
    assert validate(report(**changes), TODAY, RULES) == errors


@pytest.mark.parametrize(
    ("present", "excused", "meets"),
    [
        (20, 0, True),  # everyone came
        (18, 2, True),  # 90 % with both absences excused
        (17, 3, False),  # exactly 85 % fails: the criterion is strictly more than 85 %
        (18, 1, False),  # 90 %, but one unexcused absence fails the criterion
        (18, 0, False),  # 90 %, two unexcused absences
        (16, 4, False),  # 80 %, all excused, still under the threshold
    ],
)
def test_attendance_criterion_is_more_than_85_percent_and_no_unexcused_absence(
    present: int, excused: int, meets: bool
) -> None:
    result = evaluate(report(present=present, excused=excused), RULES)
    assert result.meets_attendance is meets
    assert result.attendance_rate == Fraction(present, 20)


@pytest.mark.parametrize(
    ("full", "probationary", "exempt", "present", "meets"),
    [
        (20, 0, 3, 15, True),  # 15 of 17 expected is 88 %; the 3 exempt do not count
        (20, 0, 0, 15, False),  # the same 15 of a roll without exemptions is 75 %
        (18, 2, 0, 17, False),  # probationary members count: 17 of 20 is exactly 85 %
    ],
)
def test_attendance_denominator_excludes_exempt_members(
    full: int, probationary: int, exempt: int, present: int, meets: bool
) -> None:
    expected = expected_members(full, probationary, exempt)
    meeting = report(expected=expected, present=present, excused=expected - present)
    assert evaluate(meeting, RULES).meets_attendance is meets


def test_nobody_expected_gives_no_rate_and_fails() -> None:
    result = evaluate(report(expected=0, present=0, excused=0), RULES)
    assert result.attendance_rate is None
    assert not result.meets_attendance


@pytest.mark.parametrize(
    ("kind", "minutes", "held_on", "too_short"),
    [
        (MeetingKind.REGULAR, 89, date(2026, 11, 20), True),  # under 90 minutes
        (MeetingKind.REGULAR, 90, date(2026, 11, 20), False),  # exactly 90 is enough
        (MeetingKind.THEMATIC, 89, date(2026, 11, 20), True),  # thematic: 90 too
        (MeetingKind.COMBINED, 119, date(2026, 11, 20), True),  # combined needs 120 (HD 42)
        (MeetingKind.COMBINED, 120, date(2026, 11, 20), False),  # exactly 120 is enough
        (MeetingKind.COMBINED, 100, date(2024, 6, 10), False),  # before HD 42 combined: 90
    ],
)
def test_duration_below_the_minimum_of_its_kind_and_era_is_flagged(
    kind: MeetingKind, minutes: int, held_on: date, too_short: bool
) -> None:
    meeting = report(kind=kind, topic="Chuyển đổi số", minutes=minutes, held_on=held_on)
    assert evaluate(meeting, RULES).too_short is too_short


@pytest.mark.parametrize(
    ("targets", "missing"),
    [
        (ALL_TARGETS, frozenset()),  # reached everyone
        (frozenset({HB, FF}), frozenset(MASS_ORGANISATIONS)),  # mass organisations left out
        (ALL_TARGETS - {VA}, frozenset({VA})),  # one union missing: not "to all"
        (frozenset(), ALL_TARGETS),  # not disseminated yet
    ],
)
def test_dissemination_to_everyone_the_rulebook_names_is_required(
    targets: frozenset[Dissemination], missing: frozenset[Dissemination]
) -> None:
    result = evaluate(report(disseminated_to=targets), RULES)
    assert result.missing_targets == missing
    assert result.disseminated_to_all is (not missing)


@pytest.mark.parametrize(
    ("adopted", "tasks", "concrete"),
    [
        (True, 2, True),  # adopted with tasks that have an owner and a deadline
        (True, 0, False),  # adopted but too generic
        (False, 0, None),  # no resolution: not counted either way (as /tonghop counts)
    ],
)
def test_concrete_tasks_are_judged_only_for_an_adopted_resolution(
    adopted: bool, tasks: int, concrete: bool | None
) -> None:
    result = evaluate(report(resolution_adopted=adopted, tasks=tasks), RULES)
    assert result.has_concrete_tasks is concrete


@pytest.mark.parametrize(
    ("present", "below"),
    [
        (14, False),  # 70 % is a valid sitting
        (13, True),  # 65 % is under two thirds: validity is doubtful
    ],
)
def test_attendance_under_two_thirds_is_flagged(present: int, below: bool) -> None:
    result = evaluate(report(present=present, excused=20 - present), RULES)
    assert result.below_valid_share is below


@pytest.mark.parametrize(
    ("held_on", "present", "meets"),
    [
        (date(2016, 5, 10), 17, True),  # 85 % beats the 80 % threshold of 2016
        (date(2017, 12, 31), 17, True),  # last day of the old era
        (date(2018, 1, 1), 17, False),  # first day of the 90 % era
        (date(2026, 5, 10), 19, True),  # 95 % beats 90 %
    ],
)
def test_a_meeting_is_judged_by_the_era_in_force_on_its_date(
    held_on: date, present: int, meets: bool
) -> None:
    meeting = report(held_on=held_on, present=present, excused=20 - present)
    assert evaluate(meeting, two_eras()).meets_attendance is meets


@pytest.mark.parametrize(
    ("kind", "regular", "thematic"),
    [
        (MeetingKind.REGULAR, True, False),  # the monthly meeting
        (MeetingKind.THEMATIC, False, True),  # does not replace the monthly meeting
        (MeetingKind.COMBINED, True, True),  # counts as both
    ],
)
def test_kinds_count_as_regular_or_thematic_by_the_rulebook(
    kind: MeetingKind, regular: bool, thematic: bool
) -> None:
    meeting = report(kind=kind)
    assert is_regular(meeting, RULES) is regular
    assert is_thematic(meeting, RULES) is thematic


def test_a_rulebook_without_a_meeting_key_is_an_error() -> None:
    broken = Rulebook.from_mappings(
        [{"meetings": [{"effective_from": date(2012, 1, 1), "attendance_threshold": 0.85}]}]
    )
    with pytest.raises(RulebookError, match="regular_kinds"):
        rules_on(broken, date(2026, 1, 1))


def test_shipped_rules_use_exact_fractions() -> None:
    rules = rules_on(RULES, date(2026, 1, 1))
    assert rules.attendance_threshold == Fraction(17, 20)
    assert max_report_age_days(RULES) == 62  # a bot policy, not a rule of an era


@pytest.mark.parametrize(("present", "expected", "warned"), [
    (8, 12, False),  # exactly two thirds: not below
    (2, 3, False),  # exactly two thirds of a small cell
    (7, 12, True),  # 58 %: below
    (13, 20, True),  # 65 %: below
])
def test_the_low_attendance_warning_is_for_strictly_below_two_thirds(
    present: int, expected: int, warned: bool
) -> None:
    meeting = report(expected=expected, present=present, excused=expected - present)
    result = evaluate(meeting, RULES)
    assert result.below_valid_share is warned


def test_without_a_resolution_nothing_is_missing_from_its_dissemination() -> None:
    meeting = report(resolution_adopted=False, tasks=0, disseminated_to=frozenset())
    result = evaluate(meeting, RULES)
    assert result.missing_targets == frozenset()
    assert result.disseminated_to_all is None  # "no resolution", not "not passed on"


# Defect 9 of issue 8: each rule applies from the text that introduced it.


@pytest.mark.parametrize(
    ("held_on", "meets", "too_short"),
    [
        # 2016 (HD 09-2012 era): no attendance criterion and no minimum duration yet
        (date(2016, 5, 10), None, False),
        (date(2018, 7, 5), None, False),  # the day before HD 12-2018
        # HD 12-HD/BTCTW (6-7-2018): more than 85 %, no unexcused absence, 90 minutes
        (date(2018, 7, 6), False, True),
        (date(2026, 5, 10), False, True),  # still in force
    ],
)
def test_the_2018_criteria_are_not_applied_to_earlier_meetings(
    held_on: date, meets: bool | None, too_short: bool
) -> None:
    meeting = report(held_on=held_on, present=17, excused=2, minutes=60)  # 85 %, 1 unexcused
    result = evaluate(meeting, RULES)
    assert result.meets_attendance is meets
    assert result.misses_attendance is (meets is False)
    assert result.too_short is too_short
    assert result.min_minutes == (None if meets is None else 90)


@pytest.mark.parametrize(
    ("held_on", "regular", "thematic", "targets"),
    [
        (date(2012, 3, 2), 1, 1, ALL_TARGETS),  # the oldest era the brief names
        (date(2026, 1, 1), 1, 1, ALL_TARGETS),  # unchanged since
    ],
)
def test_meeting_counts_and_dissemination_targets_come_from_the_rulebook(
    held_on: date, regular: int, thematic: int, targets: frozenset[Dissemination]
) -> None:
    rules = rules_on(RULES, held_on)
    assert (rules.regular_per_month, rules.thematic_per_quarter) == (regular, thematic)
    assert rules.disseminate_to == targets


@pytest.mark.parametrize(
    ("done", "total", "error"),
    [
        (None, None, None),  # skipped, or not asked
        (0, 3, None),  # none done yet
        (3, 3, None),  # all done
        (4, 3, ReportError.PREVIOUS_TASKS_OUT_OF_RANGE),  # more done than there were
        (2, None, ReportError.PREVIOUS_TASKS_OUT_OF_RANGE),  # done without a total
        (-1, 3, ReportError.PREVIOUS_TASKS_OUT_OF_RANGE),  # negative
    ],
)
def test_last_months_tasks_done_are_at_most_their_total(
    done: int | None, total: int | None, error: ReportError | None
) -> None:
    assert check_previous_tasks(done, total) is error
    fields = {"previous_tasks_done": done, "previous_tasks_total": total}
    assert (error in validate(report(**fields), TODAY, RULES)) is (error is not None)
