"""Who is reminded of what on a day (issue 14): monthly reports, thematic meetings, the digest,
the pipeline's deadlines with holidays, opt-outs, and when rounds may run."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.periods import Period, PeriodKind, month_of
from bot.domain.pipeline import Move, Stage
from bot.domain.reminders import (
    CellRef,
    Person,
    Recipient,
    ReminderKind,
    ReminderRules,
    by_recipient,
    may_send,
    months_needed,
    next_round,
    reminder_rules,
    select,
)
from bot.domain.rulebook import Rulebook, RulebookError
from bot.domain.summaries import CellActivity, CellLine, CellSums, ScopeCell, cell_lines, owing

RULES = Rulebook.default()
VN = ZoneInfo("Asia/Ho_Chi_Minh")
LONG_AGO = date(2020, 1, 1)
CELL = CellRef(7, "TA-01", "Chi bộ ấp Một")
SECRETARY = Recipient(1, cells=frozenset({CELL.id}))
ORGANISER = Recipient(9, units=(5,))
NO_HOLIDAYS: frozenset[date] = frozenset()
K = ReminderKind


def lines(today: date, month: Period, reports: int = 0, thematic: int = 0,
          tracked: date = LONG_AGO) -> list[CellLine]:
    """The cell's line for `month` as the summaries compute it, as seen on `today`."""
    cell = ScopeCell(CELL.id, CELL.code, CELL.name, 3, "Xã Một", tracked)
    owed = owing(month, today, RULES)
    in_progress = reports if owed.open_months else 0  # as storage counts them
    activity = CellActivity(regular_reports=reports, on_time=reports, not_yet_due=in_progress)
    return list(cell_lines(owed, [CellSums(cell, activity, (thematic,))]))


def month(year: int, number: int) -> Period:
    return Period(PeriodKind.MONTH, year, number)


def cell_dues(today: date, reports: int = 0, thematic: int = 0,
              tracked: date = LONG_AGO) -> list[tuple[ReminderKind, str, date]]:
    """Select with the cell's line for every month the day needs; (kind, period, day)."""
    months = {m: lines(today, m, reports, thematic, tracked)
              for m in months_needed(today, RULES)}
    return [(d.kind, d.period, d.day) for d in select(today, RULES, NO_HOLIDAYS, months, (),
                                                        [SECRETARY])]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # Day 25 of November: the month's report is due by 5 December.
        (date(2026, 11, 25), [(K.REPORT, "2026-11", date(2026, 12, 5))]),
        # The day before: nothing yet.
        (date(2026, 11, 24), []),
        # Three days late (the bot was down on the 25th): still sent.
        (date(2026, 11, 28), [(K.REPORT, "2026-11", date(2026, 12, 5))]),
        # Four days late: no longer.
        (date(2026, 11, 29), []),
        # Day 25 of December: due in the new year.
        (date(2026, 12, 25), [(K.REPORT, "2026-12", date(2027, 1, 5))]),
        # Day 3 of December: November's report, again, still due by the 5th.
        (date(2026, 12, 3), [(K.REPORT_AGAIN, "2026-11", date(2026, 12, 5))]),
        # Day 3 of January: December's, across the year end.
        (date(2027, 1, 3), [(K.REPORT_AGAIN, "2026-12", date(2027, 1, 5))]),
        # The due day itself is the last day of the second reminder…
        (date(2027, 1, 5), [(K.REPORT_AGAIN, "2026-12", date(2027, 1, 5))]),
        # …and after it nothing more is said (the organisers' digest takes over).
        (date(2027, 1, 6), []),
        # Days 1 and 2: nothing.
        (date(2027, 1, 2), []),
        # A short month: February's 25th.
        (date(2027, 2, 25), [(K.REPORT, "2027-02", date(2027, 3, 5))]),
    ],
)
def test_a_cell_without_its_regular_report_is_reminded_on_day_25_and_day_3(
    today: date, expected: list[tuple[ReminderKind, str, date]]
) -> None:
    assert cell_dues(today) == expected


@pytest.mark.parametrize(
    "today",
    [
        date(2026, 11, 25),  # reported on day 24: nothing on day 25
        date(2026, 12, 3),  # reported November's: nothing on day 3 either
        date(2027, 1, 3),  # reported December's: nothing at the year's start
    ],
)
def test_a_cell_that_reported_is_not_reminded(today: date) -> None:
    assert cell_dues(today, reports=1) == []


@pytest.mark.parametrize(
    ("today", "tracked", "expected"),
    [
        # Entered the bot on 10 December: owes December, reminded on the 25th.
        (date(2026, 12, 25), date(2026, 12, 10), [K.REPORT]),
        # Entered on 2 January: owes nothing for December, so no reminder on the 3rd.
        (date(2027, 1, 3), date(2027, 1, 2), []),
    ],
)
def test_a_cell_owes_reports_only_from_the_month_it_entered_the_bot(
    today: date, tracked: date, expected: list[ReminderKind]
) -> None:
    assert [kind for kind, _, _ in cell_dues(today, tracked=tracked)] == expected


@pytest.mark.parametrize(
    ("today", "thematic", "expected"),
    [
        # Day 15 of December: no thematic meeting in Q4 yet; the quarter ends on 31/12.
        (date(2026, 12, 15), 0, [(K.THEMATIC, "2026-Q4", date(2026, 12, 31))]),
        # One held in the quarter: nothing.
        (date(2026, 12, 15), 1, []),
        # Day 15 of March: the first quarter, ending on 31/3.
        (date(2027, 3, 15), 0, [(K.THEMATIC, "2027-Q1", date(2027, 3, 31))]),
        # Day 15 of November is not a quarter's last month.
        (date(2026, 11, 15), 0, []),
        # Three days late is still in time, four is not.
        (date(2026, 12, 18), 0, [(K.THEMATIC, "2026-Q4", date(2026, 12, 31))]),
        (date(2026, 12, 19), 0, []),
    ],
)
def test_a_cell_without_a_thematic_meeting_is_reminded_in_the_quarters_last_month(
    today: date, thematic: int, expected: list[tuple[ReminderKind, str, date]]
) -> None:
    assert cell_dues(today, reports=1, thematic=thematic) == expected


def test_on_day_25_of_a_quarters_last_month_only_the_report_is_reminded() -> None:
    # 25 December: the report reminder; the thematic window (15–18) has closed.
    assert cell_dues(date(2026, 12, 25)) == [(K.REPORT, "2026-12", date(2027, 1, 5))]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # Day 6 of December: November's digest.
        (date(2026, 12, 6), ["2026-11"]),
        # Day 6 of January: December's, across the year end.
        (date(2027, 1, 6), ["2026-12"]),
        # Day 5: not yet; day 10: too late (three late days end on the 9th).
        (date(2026, 12, 5), []),
        (date(2026, 12, 10), []),
    ],
)
def test_organisers_get_the_digest_of_last_month_on_day_6(
    today: date, expected: list[str]
) -> None:
    dues = select(today, RULES, NO_HOLIDAYS, {}, (), [ORGANISER])
    assert [(d.kind, d.period, d.unit_id) for d in dues] == [(K.DIGEST, p, 5) for p in expected]


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        (ORGANISER, [K.DIGEST]),  # everything on
        (Recipient(9, units=(5,), digest=False), []),  # the digest alone turned off
        (Recipient(9, units=(5,), reminders=False), []),  # every reminder off
        (Recipient(9, units=(5,), reachable=False), []),  # blocked the bot: skipped
    ],
)
def test_organisers_may_turn_off_the_digest_alone(
    recipient: Recipient, expected: list[ReminderKind]
) -> None:
    assert [d.kind for d in select(date(2026, 12, 6), RULES, NO_HOLIDAYS, {}, (),
                                   [recipient])] == expected


def person(*moves: tuple[Stage, date], received: date | None = None) -> Person:
    history = tuple(Move(stage, on, received if stage is Stage.ADMISSION_DECIDED else None)
                    for stage, on in moves)
    return Person(30, CELL, "Chị Hoa", history)


def person_dues(today: date, who: Person,
                holidays: frozenset[date] = NO_HOLIDAYS) -> list[tuple[Any, ...]]:
    return [(d.kind, d.period, d.day, d.deadline, d.overdue)
            for d in select(today, RULES, holidays, {}, [who], [SECRETARY])]


# Admitted on 20 October 2025: probation ends on 20 October 2026 (a Tuesday); the cell's vote
# is due 30 working days later: 1 December 2026 with no holidays.
ON_PROBATION = person((Stage.CEREMONY, date(2025, 10, 20)), (Stage.PROBATION, date(2025, 10, 20)))
END = date(2026, 10, 20)
VOTE_DUE = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # 30 days before the end.
        (date(2026, 9, 20), [(K.PROBATION_ENDING, "2026-10-20", END, None, False)]),
        # 31 days before: not yet.
        (date(2026, 9, 19), []),
        # Entered late, 10 days before the end: still told once (the ledger keeps it once).
        (date(2026, 10, 10), [(K.PROBATION_ENDING, "2026-10-20", END, None, False)]),
        # On the day it ends: the vote is due by 1 December.
        (END, [(K.PROBATION_ENDED, "2026-10-20", END, VOTE_DUE, False)]),
        # A week later, and each week after: the vote, not yet late.
        (date(2026, 10, 27), [(K.CONFIRM_VOTE, "2026-10-20+1", END, VOTE_DUE, False)]),
        (date(2026, 11, 24), [(K.CONFIRM_VOTE, "2026-10-20+5", END, VOTE_DUE, False)]),
        # Between the weeks (and past the late days): nothing.
        (date(2026, 10, 31), []),
        # Seven weeks after the end the vote is overdue: still weekly, marked overdue.
        (date(2026, 12, 8), [(K.CONFIRM_VOTE, "2026-10-20+7", END, VOTE_DUE, True)]),
    ],
)
def test_a_probation_is_reminded_30_days_before_on_the_day_and_weekly_after(
    today: date, expected: list[tuple[Any, ...]]
) -> None:
    assert person_dues(today, ON_PROBATION) == expected


def test_a_recorded_confirmation_vote_ends_the_weekly_reminders() -> None:
    voted = person((Stage.CEREMONY, date(2025, 10, 20)), (Stage.PROBATION, date(2025, 10, 20)),
                   (Stage.CELL_VOTE_CONFIRM, date(2026, 11, 2)))
    assert person_dues(date(2026, 12, 8), voted) == []


# DOMAIN.md §9.26: 30 working days after Monday 2025-03-03 is 2025-04-14, or 2025-04-15 with
# Hùng Kings Day (Monday 2025-04-07) off.
HUNG_KINGS = frozenset({date(2025, 4, 7)})
MARCH_3 = date(2025, 3, 3)


@pytest.mark.parametrize(
    ("today", "holidays", "expected"),
    [
        # No holiday: due on 14 April, so overdue on the 15th.
        (date(2025, 4, 15), NO_HOLIDAYS,
         [(K.CEREMONY_OVERDUE, "2025-04-14", date(2025, 4, 14), None, True)]),
        # Hùng Kings Day off: due on the 15th, not yet overdue that day…
        (date(2025, 4, 15), HUNG_KINGS, []),
        # …overdue the next.
        (date(2025, 4, 16), HUNG_KINGS,
         [(K.CEREMONY_OVERDUE, "2025-04-15", date(2025, 4, 15), None, True)]),
    ],
)
def test_an_overdue_ceremony_counts_working_days_from_the_decision_received(
    today: date, holidays: frozenset[date], expected: list[tuple[Any, ...]]
) -> None:
    decided = person((Stage.ADMISSION_DECIDED, date(2025, 2, 27)), received=MARCH_3)
    assert person_dues(today, decided, holidays) == expected


@pytest.mark.parametrize(
    ("holidays", "due", "overdue"),
    [
        (NO_HOLIDAYS, date(2025, 4, 14), True),  # due the 14th: late on the 15th
        (HUNG_KINGS, date(2025, 4, 15), False),  # a holiday between: due the 15th itself
    ],
)
def test_the_confirmation_vote_due_day_skips_holidays(
    holidays: frozenset[date], due: date, overdue: bool
) -> None:
    # Probation from 3 March 2024 ends on 3 March 2025; 15 April is six weeks and a day on.
    ended = person((Stage.CEREMONY, date(2024, 3, 3)), (Stage.PROBATION, date(2024, 3, 3)))
    assert person_dues(date(2025, 4, 15), ended, holidays) == [
        (K.CONFIRM_VOTE, "2025-03-03+6", MARCH_3, due, overdue)]


# Certificate of 15 June 2021: valid 60 months, until 15 June 2026.
CERTIFIED = person((Stage.SYMPATHISER, date(2021, 1, 4)),
                   (Stage.AWARENESS_COURSE, date(2021, 6, 15)))
EXPIRY = date(2026, 6, 15)


@pytest.mark.parametrize(
    ("today", "who", "expected"),
    [
        # 60 days before the expiry.
        (date(2026, 4, 16), CERTIFIED,
         [(K.CERTIFICATE_EXPIRING, "2026-06-15", EXPIRY, None, False)]),
        # 61 days before: not yet; the day after: expired, no longer "expiring".
        (date(2026, 4, 15), CERTIFIED, []),
        (date(2026, 6, 16), CERTIFIED, []),
        # Past the cell's vote the certificate has done its work.
        (date(2026, 5, 1), person((Stage.AWARENESS_COURSE, date(2021, 6, 15)),
                                  (Stage.DOSSIER, date(2025, 10, 1)),
                                  (Stage.CELL_VOTE_ADMIT, date(2026, 3, 2))), []),
    ],
)
def test_an_awareness_certificate_expiring_within_60_days_is_reminded(
    today: date, who: Person, expected: list[tuple[Any, ...]]
) -> None:
    assert person_dues(today, who) == expected


def test_a_dossier_and_its_certificate_may_both_be_running_out() -> None:
    # Dossier of 1 December 2025 goes stale on 1 December 2026; certificate of 10 January
    # 2022 expires on 10 January 2027.
    both = person((Stage.AWARENESS_COURSE, date(2022, 1, 10)), (Stage.DOSSIER, date(2025, 12, 1)))
    assert person_dues(date(2026, 11, 12), both) == [
        (K.CERTIFICATE_EXPIRING, "2027-01-10", date(2027, 1, 10), None, False),
        (K.DOSSIER_STALE, "2026-12-01", date(2026, 12, 1), None, False),
    ]
    # 31 days before the dossier goes stale: neither window is open.
    assert person_dues(date(2026, 10, 31), both) == []


def test_several_reminders_for_one_person_on_one_day_go_together_and_each_secretary_gets_them(
) -> None:
    other = Recipient(2, cells=frozenset({CELL.id}))
    muted = Recipient(3, cells=frozenset({CELL.id}), reminders=False)
    today = date(2026, 9, 20)  # the probation's 30 days, and nothing about reports
    decided = Person(31, CELL, "Anh Ba", (Move(Stage.ADMISSION_DECIDED, date(2026, 6, 1)),))
    dues = select(today, RULES, NO_HOLIDAYS, {}, [ON_PROBATION, decided],
                  [SECRETARY, other, muted])
    grouped = by_recipient(dues)
    assert list(grouped) == [1, 2]  # the muted secretary gets nothing
    for user_id, theirs in grouped.items():
        # An overdue ceremony comes before a probation ending; each names the alias.
        assert [(d.kind, d.alias) for d in theirs] == [
            (K.CEREMONY_OVERDUE, "Anh Ba"), (K.PROBATION_ENDING, "Chị Hoa")]
        assert {d.user_id for d in theirs} == {user_id}
    assert len({d.key for d in dues}) == len(dues) == 4


def test_reminder_keys_name_kind_recipient_subject_and_period() -> None:
    (due,) = select(date(2026, 11, 25), RULES, NO_HOLIDAYS,
                    {month(2026, 11): lines(date(2026, 11, 25), month(2026, 11))}, (),
                    [SECRETARY])
    assert due.key == ("report", 1, "cell:7", "2026-11")
    assert due.cell == CELL and due.month == month_of(date(2026, 11, 1))


def test_only_the_months_a_day_reminds_of_are_loaded() -> None:
    assert months_needed(date(2026, 11, 10), RULES) == []
    assert months_needed(date(2026, 11, 25), RULES) == [month(2026, 11)]
    assert months_needed(date(2026, 12, 3), RULES) == [month(2026, 11)]
    assert months_needed(date(2026, 12, 15), RULES) == [month(2026, 12)]  # thematic


# When rounds run, and the quiet hours ---------------------------------------------------

SCHEDULE = reminder_rules(RULES)


def at(hour: int, minute: int = 0, day: int = 25) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=VN)


@pytest.mark.parametrize(
    ("now", "done_today", "expected"),
    [
        (at(7, 59), False, at(8)),  # before the round: wait for 08:00
        (at(6, 30), False, at(8)),  # in the quiet hours: the same
        (at(8), False, at(8)),  # on time
        (at(10, 30), False, at(10, 30)),  # started late: today's missed round runs now
        (at(10, 30), True, at(8, day=26)),  # done: tomorrow's
        (at(19, 59), False, at(19, 59)),  # a minute before the quiet hours: still today
        (at(20), False, at(8, day=26)),  # quiet: tomorrow's (its late days cover today)
        (at(23, 30), False, at(8, day=26)),
    ],
)
def test_the_round_runs_at_eight_and_at_start_up_for_a_missed_day(
    now: datetime, done_today: bool, expected: datetime
) -> None:
    assert next_round(now, done_today, SCHEDULE) == expected


@pytest.mark.parametrize(
    ("moment", "by_hand", "allowed"),
    [
        (at(7), False, True),  # the quiet hours end at 07:00
        (at(6, 59), False, False),
        (at(19, 59), False, True),
        (at(20), False, False),  # and begin at 20:00
        (at(2), False, False),
        (at(23), True, True),  # an administrator running it by hand
    ],
)
def test_nothing_is_sent_in_the_quiet_hours_unless_run_by_hand(
    moment: datetime, by_hand: bool, allowed: bool
) -> None:
    assert may_send(moment, SCHEDULE, by_hand) is allowed


def table(**changes: Any) -> dict[str, Any]:
    values = dict(RULES.table("reminders"))
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"digest_day": None}, "no key 'digest_day'"),  # a key left out
        ({"round_time": "8h"}, "HH:MM"),  # not a time
        ({"monthly_report_day": 30}, "from 1 to 28"),  # not in every month
        ({"late_days": -1}, "0 or more"),
        ({"confirm_vote_every_days": 0}, "1 or more"),
        ({"round_time": "21:00"}, "quiet hours"),  # a round that could never send
    ],
)
def test_a_broken_reminders_table_is_refused_with_the_key_named(
    changes: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(RulebookError, match=complaint):
        ReminderRules.from_table(table(**changes))


def test_the_shipped_schedule_is_the_issues() -> None:
    assert (SCHEDULE.round_time, SCHEDULE.quiet_from, SCHEDULE.quiet_until) == (
        time(8), time(20), time(7))
    assert (SCHEDULE.monthly_report_day, SCHEDULE.monthly_report_again_day,
            SCHEDULE.thematic_day, SCHEDULE.digest_day) == (25, 3, 15, 6)
    assert (SCHEDULE.probation_ending_days, SCHEDULE.confirm_vote_every_days,
            SCHEDULE.certificate_expiring_days, SCHEDULE.dossier_stale_days) == (30, 7, 60, 30)
