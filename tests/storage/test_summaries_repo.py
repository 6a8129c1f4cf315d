"""Per-cell summary sums in SQLite: they agree with the domain's judgement of each meeting."""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.meetings import Dissemination, MeetingKind, MeetingReport, evaluate, is_thematic
from bot.domain.org import CellRow, Role
from bot.domain.periods import Period, PeriodKind, quarter_index
from bot.domain.pipeline import Birth, Move, Stage
from bot.domain.rulebook import Rulebook
from bot.domain.summaries import CellActivity, CellSums, owing, rule_spans
from bot.storage.database import Database, _migrations
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository
from bot.storage.recruitment import RecruitmentRepository
from bot.storage.summaries import (
    _LATEST_NOTES,
    _OPEN_RECORDS,
    _RECRUITMENT_COUNTS,
    _TEMP_TABLES,
    SummaryRepository,
)
from bot.storage.users import InviteRepository, UserRepository
from tests.support import COMMUNE, DISTRICT, VN, World, sample_meeting, vn_time

RULES = Rulebook.default()
BIRTH = Birth(1995, 4)


LATER = date(2030, 1, 1)  # every month of the periods below is due by then


async def sums_of(
    db: Database, unit_id: int, period: Period, today: date = LATER
) -> dict[int, CellSums]:
    spans = rule_spans(RULES, period.thematic_from, period.last)
    rows = await SummaryRepository(db).cell_sums(unit_id, owing(period, today, RULES), spans, VN)
    return {row.cell.id: row for row in rows}


async def sums(
    db: Database, unit_id: int, period: Period, today: date = LATER
) -> dict[int, CellActivity]:
    return {cell_id: row.activity
            for cell_id, row in (await sums_of(db, unit_id, period, today)).items()}


@pytest.mark.parametrize(
    "quarter",
    [
        Period(PeriodKind.QUARTER, 2018, 3),  # HD 12-2018 (6 July) brings the criterion
        Period(PeriodKind.QUARTER, 2025, 4),  # HD 42-2025 (28 October): 120 min combined
    ],
)
async def test_the_sql_sums_agree_with_judging_each_meeting_in_python(
    db: Database, world: World, quarter: Period
) -> None:
    """Random meetings across a rule change, judged by SQL and by the domain alike."""
    org = OrgRepository(db)
    for cell_id in world.cell_ids.values():
        await org.set_tracked_from(cell_id, date(quarter.year, 1, 1))
    rng = random.Random(10)
    repo = MeetingRepository(db)
    saved: list[tuple[MeetingReport, bool]] = []
    year = quarter.year
    for cell_id in world.cell_ids.values():
        for month in (quarter.first.month, quarter.first.month + 1, quarter.first.month + 2):
            for kind in MeetingKind:
                if rng.random() < 0.3:
                    continue
                expected = rng.randint(5, 30)
                present = rng.randint(0, expected)
                done = rng.choice([None, 0, 1, 2])
                report = sample_meeting(
                    cell_id=cell_id, held_on=date(year, month, rng.randint(1, 28)), kind=kind,
                    previous_tasks_done=done,
                    previous_tasks_total=None if done is None else done + rng.randint(0, 2),
                    topic=None if kind is MeetingKind.REGULAR else "Chủ đề",
                    minutes=rng.choice([60, 90, 100, 120, 150]), expected=expected,
                    present=present, excused=rng.randint(0, expected - present),
                    resolution_adopted=(adopted := rng.random() < 0.8),
                    tasks=rng.randint(0, 3) if adopted else 0,
                    disseminated_to=frozenset(t for t in Dissemination if rng.random() < 0.7),
                )
                regular = kind is not MeetingKind.THEMATIC and month not in {
                    r.held_on.month for r, was_regular in saved
                    if was_regular and r.cell_id == cell_id
                }
                await repo.save(report, regular=regular, by_user=None,
                                at=vn_time(year, quarter.last.month, quarter.last.day))
                saved.append((report, regular))
    rows = await sums_of(db, world.district_id, quarter)
    got = {cell_id: row.activity for cell_id, row in rows.items()}
    for cell_id in world.cell_ids.values():
        own = [(r, regular) for r, regular in saved if r.cell_id == cell_id]
        judged = [evaluate(r, RULES) for r, _ in own]
        reports = [r for r, _ in own]
        assert got[cell_id] == CellActivity(
            regular_reports=sum(regular for _, regular in own),
            on_time=sum(regular and r.held_on.month == quarter.last.month for r, regular in own),
            meetings=len(own),
            present=sum(r.present for r in reports),
            expected=sum(r.expected for r in reports),
            attendance_judged=sum(e.meets_attendance is not None for e in judged),
            met_attendance=sum(bool(e.meets_attendance) for e in judged),
            with_unexcused=sum(e.unexcused > 0 for e in judged),
            too_short=sum(e.too_short for e in judged),
            resolutions=sum(r.resolution_adopted for r in reports),
            disseminated_to_all=sum(bool(e.disseminated_to_all) for e in judged),
            with_tasks=sum(bool(e.has_concrete_tasks) for e in judged),
            previous_tasks_done=sum(r.previous_tasks_done or 0 for r in reports),
            previous_tasks_total=sum(r.previous_tasks_total or 0 for r in reports
                                     if r.previous_tasks_done is not None),
        ), cell_id
        thematic = [quarter_index(r.held_on) for r in reports if is_thematic(r, RULES)]
        assert rows[cell_id].thematic == (thematic.count(quarter_index(quarter.first)),)


async def test_a_report_is_on_time_up_to_the_end_of_the_fifth_in_vietnam(
    db: Database, world: World
) -> None:
    repo = MeetingRepository(db)
    tl01, tl02 = world.cell_ids["TL-01"], world.cell_ids["TL-02"]
    for cell_id in (tl01, tl02):
        await OrgRepository(db).set_tracked_from(cell_id, date(2026, 1, 1))
    # 23:59 on 5 December in Vietnam is still on time; 00:01 on the 6th is late.
    await repo.save(sample_meeting(cell_id=tl01, held_on=date(2026, 11, 20)), regular=True,
                    by_user=None, at=vn_time(2026, 12, 5, 23, 59))
    await repo.save(sample_meeting(cell_id=tl02, held_on=date(2026, 11, 20)), regular=True,
                    by_user=None, at=vn_time(2026, 12, 6, 0, 1))
    got = await sums(db, world.commune_id, Period(PeriodKind.MONTH, 2026, 11))
    assert (got[tl01].on_time, got[tl02].on_time) == (1, 0)
    assert got[tl01].regular_reports == got[tl02].regular_reports == 1


async def test_a_correction_after_the_due_day_keeps_the_report_on_time(
    db: Database, world: World
) -> None:
    repo = MeetingRepository(db)
    cell_id = world.cell_ids["TL-01"]
    report = sample_meeting(cell_id=cell_id, held_on=date(2026, 11, 20))
    report_id = await repo.save(report, regular=True, by_user=None, at=vn_time(2026, 11, 21))
    await repo.replace(report_id, report, regular=True, by_user=None, at=vn_time(2026, 12, 20))
    got = await sums(db, world.commune_id, Period(PeriodKind.MONTH, 2026, 11))
    assert got[cell_id].on_time == 1


async def test_reports_before_the_month_a_cell_entered_the_bot_count_in_their_month(
    db: Database, world: World
) -> None:
    """The world's cells entered on 27 November 2026; an October meeting reported counts as
    owed and met, in the year and in October alike (never invisible in its own month)."""
    repo = MeetingRepository(db)
    cell_id = world.cell_ids["TL-01"]
    await repo.save(sample_meeting(cell_id=cell_id, held_on=date(2026, 10, 10)), regular=True,
                    by_user=None, at=vn_time(2026, 11, 27))
    for period in (Period(PeriodKind.YEAR, 2026), Period(PeriodKind.MONTH, 2026, 10)):
        got = await sums(db, world.commune_id, period)
        activity = got[cell_id]
        assert (activity.meetings, activity.regular_reports, activity.before_tracking) == (
            1, 1, 1)
        assert activity.on_time == 1  # the cell could not report it by then: never late
    october = await sums(db, world.commune_id, Period(PeriodKind.MONTH, 2026, 10))
    assert set(october) == {cell_id}  # TL-02 was not in the bot in October, nor reported
    september = await sums(db, world.commune_id, Period(PeriodKind.MONTH, 2026, 9))
    assert september == {}


async def test_a_month_in_progress_counts_its_reports_apart(db: Database, world: World) -> None:
    cell_id = world.cell_ids["TL-01"]
    await MeetingRepository(db).save(sample_meeting(cell_id=cell_id, held_on=date(2026, 11, 20)),
                                     regular=True, by_user=None, at=vn_time(2026, 11, 27))
    november = Period(PeriodKind.MONTH, 2026, 11)
    in_progress = await sums(db, world.commune_id, november, today=date(2026, 12, 5))
    assert (in_progress[cell_id].regular_reports, in_progress[cell_id].not_yet_due) == (0, 1)
    due = await sums(db, world.commune_id, november, today=date(2026, 12, 6))
    assert (due[cell_id].regular_reports, due[cell_id].not_yet_due) == (1, 0)


async def test_a_month_counts_its_own_meetings_and_its_quarter_so_far_for_thematic_ones(
    db: Database, world: World
) -> None:
    cell_id = world.cell_ids["TL-01"]
    await OrgRepository(db).set_tracked_from(cell_id, date(2026, 1, 1))
    await MeetingRepository(db).save(
        sample_meeting(cell_id=cell_id, held_on=date(2026, 10, 8), kind=MeetingKind.COMBINED,
                       topic="Chủ đề"),
        regular=True, by_user=None, at=vn_time(2026, 10, 9),
    )
    november = await sums_of(db, world.commune_id, Period(PeriodKind.MONTH, 2026, 11))
    assert november[cell_id].activity == CellActivity()  # October's meeting is not November's
    assert november[cell_id].thematic == (1,)  # but it is Q4's thematic meeting


async def test_a_months_thematic_count_adds_its_own_meetings_to_its_quarters_earlier_ones(
    db: Database, world: World
) -> None:
    cell_id = world.cell_ids["TL-01"]
    await OrgRepository(db).set_tracked_from(cell_id, date(2026, 1, 1))
    meetings = MeetingRepository(db)
    for held_on, kind in ((date(2026, 10, 8), MeetingKind.COMBINED),
                          (date(2026, 11, 8), MeetingKind.REGULAR),
                          (date(2026, 11, 20), MeetingKind.THEMATIC)):
        await meetings.save(
            sample_meeting(cell_id=cell_id, held_on=held_on, kind=kind,
                           topic=None if kind is MeetingKind.REGULAR else "Chủ đề"),
            regular=kind is not MeetingKind.THEMATIC, by_user=None, at=vn_time(2026, 12, 1))
    november = await sums_of(db, world.commune_id, Period(PeriodKind.MONTH, 2026, 11))
    assert november[cell_id].activity.meetings == 2
    assert november[cell_id].thematic == (2,)  # November's own, and October's


async def test_the_scope_is_the_subtree_and_never_another_commune(
    db: Database, world: World
) -> None:
    org = OrgRepository(db)
    await org.import_cells([CellRow(2, (DISTRICT, "Xã Phước Đông", "Ấp 1"), "PD-01", 9, 0, 0)],
                           at=vn_time(2026, 11, 1))
    period = Period(PeriodKind.MONTH, 2026, 11)
    commune = await SummaryRepository(db).cells_in_scope(world.commune_id, period)
    district = await SummaryRepository(db).cells_in_scope(world.district_id, period)
    assert [c.code for c in commune] == ["TL-01", "TL-02"]
    assert [c.code for c in district] == ["PD-01", "TL-01", "TL-02"]
    assert {c.group_name for c in commune} == {COMMUNE}
    assert set(await sums(db, world.commune_id, period)) == {c.id for c in commune}


async def test_the_latest_notes_come_newest_first_with_the_count_of_all(
    db: Database, world: World
) -> None:
    repo = MeetingRepository(db)
    cell_id = world.cell_ids["TL-02"]
    for day in range(1, 8):
        await repo.save(sample_meeting(cell_id=cell_id, held_on=date(2026, 11, day),
                                       kind=MeetingKind.THEMATIC, topic="Chủ đề",
                                       note=f"Ghi chú {day}"),
                        regular=False, by_user=None, at=vn_time(2026, 11, 27))
    await repo.save(sample_meeting(cell_id=cell_id, held_on=date(2026, 11, 20), note=None),
                    regular=True, by_user=None, at=vn_time(2026, 11, 27))
    notes, total = await SummaryRepository(db).latest_notes(
        world.district_id, Period(PeriodKind.MONTH, 2026, 11), 5)
    assert [n.text for n in notes] == [f"Ghi chú {d}" for d in (7, 6, 5, 4, 3)]
    assert total == 7 and notes[0].cell_code == "TL-02"


async def test_recruitment_counts_the_period_and_today_of_the_scope(
    db: Database, world: World
) -> None:
    users = UserRepository(db)
    by = await users.ensure("test", "sec-1", vn_time(2026, 1, 1))
    repo = RecruitmentRepository(db)
    now = vn_time(2026, 11, 27)
    cell_id = world.cell_ids["TL-01"]
    await repo.add(cell_id, "Anh Ba", BIRTH, [Move(Stage.CEREMONY, date(2026, 3, 2)),
                                                 Move(Stage.PROBATION, date(2026, 3, 2))],
                   by, now)
    await repo.add(cell_id, "Chị Tư", BIRTH, [Move(Stage.CONFIRMED, date(2026, 5, 4))], by, now)
    await repo.add(cell_id, "Út", BIRTH, [Move(Stage.ADMISSION_DECIDED, date(2026, 9, 1))],
                   by, now)
    summaries = SummaryRepository(db)
    year = Period(PeriodKind.YEAR, 2026)
    assert await summaries.recruitment_counts(world.commune_id, year) == (1, 1)
    assert await summaries.recruitment_counts(
        world.commune_id, Period(PeriodKind.MONTH, 2026, 11)) == (0, 0)
    probationers, records = await summaries.open_records(
        world.commune_id, date(2026, 11, 27), admitted_by=date(2026, 3, 2))
    assert probationers == 1
    assert sorted((r.stage, r.ceremony) for r in records) == [
        (Stage.ADMISSION_DECIDED, None), (Stage.PROBATION, date(2026, 3, 2)),
    ]
    _, later = await summaries.open_records(
        world.commune_id, date(2026, 11, 27), admitted_by=date(2026, 3, 1))
    assert [r.stage for r in later] == [Stage.ADMISSION_DECIDED]  # probation ends too late


async def plan_of(db: Database, sql: str) -> str:
    """Return the query plan of an area's query, its steps joined by " / "."""
    values = {"first": "2026-01-01", "last": "2026-12-31", "most": 5, "admitted_by": "2026-01-01"}
    params = {name: value for name, value in values.items() if f":{name}" in sql}
    async with db.snapshot(_TEMP_TABLES) as reader:
        plan = await reader.fetch_all(f"EXPLAIN QUERY PLAN {sql}", params)
    return " / ".join(row["detail"] for row in plan)


async def test_todays_people_with_a_deadline_are_found_by_the_index_on_their_standing(
    db: Database, world: World
) -> None:
    steps = await plan_of(db, _OPEN_RECORDS)
    assert "recruits_standing" in steps and not re.search(r"\bSCAN p\b", steps), steps
    # each one's ceremony among their own steps (an index by stage would read everyone's)
    assert "SEARCH c USING COVERING INDEX recruit_moves_standing (recruit_id=?" in steps, steps


async def test_the_periods_ceremonies_and_confirmations_are_found_by_their_day(
    db: Database, world: World
) -> None:
    steps = await plan_of(db, _RECRUITMENT_COUNTS)
    assert "INDEX recruit_moves_admissions (on_date>? AND on_date<?)" in steps, steps
    assert "SCAN m USING COVERING INDEX" not in steps, steps


async def test_the_latest_notes_come_in_order_and_their_count_off_one_index(
    db: Database, world: World
) -> None:
    steps = await plan_of(db, _LATEST_NOTES)
    assert "SEARCH r USING INDEX meeting_reports_noted" in steps, steps
    # the count's only column read is the index's own (the report's row is never sought)
    assert "SEARCH r USING INDEX meeting_reports_notes_by_cell" in steps, steps
    assert "TEMP B-TREE FOR ORDER BY" not in steps, steps  # no sorting every note


async def test_probationers_whose_probation_ends_too_late_still_count_as_probationers(
    db: Database, world: World
) -> None:
    by = await UserRepository(db).ensure("test", "sec-1", vn_time(2026, 1, 1))
    repo = RecruitmentRepository(db)
    for alias, day in (("Anh Ba", date(2026, 3, 2)), ("Chị Tư", date(2026, 6, 1))):
        await repo.add(world.cell_ids["TL-01"], alias, BIRTH,
                       [Move(Stage.CEREMONY, day), Move(Stage.PROBATION, day)], by,
                       vn_time(2026, 11, 27))
    summaries = SummaryRepository(db)
    # no record left to look at, and both counted all the same
    assert await summaries.open_records(
        world.commune_id, date(2026, 11, 27), admitted_by=date(2026, 3, 1)) == (2, [])
    assert await summaries.open_records(
        world.cell_ids["TL-02"], date(2026, 11, 27), admitted_by=date(2026, 3, 1)) == (0, [])
    count, [record] = await summaries.open_records(
        world.commune_id, date(2026, 11, 27), admitted_by=date(2026, 5, 31))
    assert (count, record.stage, record.ceremony) == (2, Stage.PROBATION, date(2026, 3, 2))


async def test_secretaries_profile_names_are_kept_at_registration(
    db: Database, world: World
) -> None:
    invites = InviteRepository(db)
    now = vn_time(2026, 11, 28)  # after the world's own secretaries
    code = await invites.create(Role.SECRETARY, world.cell_ids["TL-02"], now, days=7)
    await invites.redeem(code, "telegram", "42", now, display_name="  Nguyễn   Văn An ")
    names = await SummaryRepository(db).secretary_names(
        world.commune_id, Period(PeriodKind.MONTH, 2026, 11))
    assert names[world.cell_ids["TL-02"]] == [None, "Nguyễn Văn An"]  # sec-2 has no name
    assert names[world.cell_ids["TL-01"]] == [None, None]


def test_the_migration_tracks_existing_cells_from_their_earliest_trace(tmp_path: Path) -> None:
    """A database from before the summaries: cells get their first meeting or first grant."""
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for number, sql in _migrations():
        if number < 30:
            conn.executescript(sql)
            conn.execute(f"PRAGMA user_version = {number}")
    conn.executescript("""
        INSERT INTO org_units (id, parent_id, kind, name) VALUES (1, NULL, 'unit', 'H');
        INSERT INTO org_units (id, parent_id, kind, name, code) VALUES
            (2, 1, 'cell', 'A', 'A-1'), (3, 1, 'cell', 'B', 'B-1'), (4, 1, 'cell', 'C', 'C-1');
        INSERT INTO users (id, channel, user_key, created_at)
            VALUES (1, 't', 'u', '2026-01-01T00:00:00+00:00');
        -- 30 April 20:00 UTC is already 1 May in Vietnam.
        INSERT INTO user_roles VALUES (1, 'secretary', 3, '2026-04-30T20:00:00+00:00');
        INSERT INTO meeting_reports (cell_id, held_on, kind, minutes, expected, present,
            excused, resolution_adopted, tasks, to_hamlet_board, to_fatherland_front,
            reported_at)
            VALUES (2, '2025-03-09', 'regular', 90, 10, 9, 1, 1, 1, 1, 1,
                    '2025-03-10T01:00:00+00:00');
        INSERT INTO user_roles VALUES (1, 'secretary', 2, '2026-02-01T00:00:00+00:00');
    """)
    conn.commit()
    conn.close()

    async def migrate() -> dict[str, str]:
        db = await Database.open(path)
        rows = await db.fetch_all("SELECT code, tracked_from FROM org_units WHERE kind = 'cell'")
        received = await db.scalar("SELECT received_at FROM meeting_reports")
        await db.close()
        return {**{r["code"]: r["tracked_from"] for r in rows}, "received": received}

    got = asyncio.run(migrate())
    assert got["A-1"] == "2025-03-09"  # its first meeting, before its secretary
    assert got["B-1"] == "2026-05-01"  # its secretary's grant, on Vietnam's calendar
    today = (datetime.now(VN)).date()
    assert date.fromisoformat(got["C-1"]) in (today, today - timedelta(days=1))  # no trace
    assert got["received"] == "2025-03-10T01:00:00+00:00"


async def test_the_shells_user_is_a_registered_secretary_only_in_the_demo(
    db: Database, world: World
) -> None:
    """On a real database the one at the terminal is not the cell's secretary (nor reminded)."""
    from bot.storage.marks import DatabaseMarks
    from bot.storage.reminders import ReminderStore

    users = UserRepository(db)
    now = vn_time(2026, 11, 28)
    shell = await users.ensure("console", "shell-secretary-TL-02", now)
    await users.grant(shell, Role.SECRETARY, world.cell_ids["TL-02"], now)
    month = Period(PeriodKind.MONTH, 2026, 11)
    names = await SummaryRepository(db).secretary_names(world.commune_id, month)
    assert names[world.cell_ids["TL-02"]] == [None]  # sec-2 only
    assert shell not in [c.user_id for c in await ReminderStore(db).contacts()]
    assert ("console", "shell-secretary-TL-02") not in await users.secretaries_of(
        world.cell_ids["TL-02"])
    await DatabaseMarks(db).mark_demo(now)  # the demo's terminal users are its people
    names = await SummaryRepository(db).secretary_names(world.commune_id, month)
    assert names[world.cell_ids["TL-02"]] == [None, None]
    assert shell in [c.user_id for c in await ReminderStore(db).contacts()]
