"""A map of every question the bot can ask: who reaches it, and by which answers.

The proofs (fuzzing, the access matrix) need to stand at every step of every flow; walking at
random reaches the deep ones too rarely. Each entry of PATHS is a user, the answers that lead
to the step from nothing, and what the database must hold first. `tests/flows/test_atlas.py`
checks that the map names every step the registry has and that each path arrives.

The world: the support module's district (TL-01, TL-02 in Xã Tân Lân) and a second commune,
Xã Mỹ Lệ (ML-01); the people of the access matrix:

    stranger        not registered
    sec-1           secretary of TL-01 (cell A)        sec-b   secretary of TL-02 (cell B)
    sec-2           secretary of TL-01 and TL-02
    commune-staff   staff of Xã Tân Lân (A's commune)  staff-2 staff of Xã Mỹ Lệ
    two-areas       staff of both communes             staff   staff of the district
    admin           administrator of the district
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from bot.core.dispatcher import Dispatcher
from bot.core.messages import Inbound, Reply
from bot.domain.meetings import MeetingKind
from bot.domain.org import CellRow, Role
from bot.domain.pipeline import Birth, Stage, moves_for
from bot.storage.database import Database
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository
from bot.storage.recruitment import RecruitmentRepository
from bot.storage.users import UserRepository
from tests.support import COMMUNE, DISTRICT, World, sample_meeting, seed_world, vn_time

OTHER_COMMUNE = "Xã Mỹ Lệ"
PEOPLE = ("stranger", "sec-1", "sec-b", "sec-2", "commune-staff", "staff-2", "two-areas",
          "staff", "admin")


@dataclass(frozen=True)
class Proofs:
    """The seeded world's ids, with the second commune and the pipeline people."""

    world: World
    other_commune_id: int
    other_cell_id: int  # ML-01
    people: dict[str, int]  # alias → id (TL-01: LTC, DOS, BCV, PRO; TL-02: TBX; ML-01: MLQ)


async def seed_proof_world(db: Database, now: datetime) -> Proofs:
    """Seed the world above, with a pipeline at every kind of stage and last month reported."""
    world = await seed_world(db, now)
    org = OrgRepository(db)
    await org.import_cells([CellRow(4, (DISTRICT, OTHER_COMMUNE, "Chi bộ ấp Mỹ Thạnh"),
                                    "ML-01", 10, 1, 0)], at=now)
    other = await org.by_path([DISTRICT, OTHER_COMMUNE])
    cell = await org.by_code("ML-01")
    tan_lan = await org.by_path([DISTRICT, COMMUNE])
    assert other is not None and cell is not None and tan_lan is not None
    users = UserRepository(db)
    for key, role, unit_id in [
        ("sec-b", Role.SECRETARY, world.cell_ids["TL-02"]),
        ("staff-2", Role.STAFF, other.id),
        ("two-areas", Role.STAFF, tan_lan.id),
        ("two-areas", Role.STAFF, other.id),
        ("ml-sec", Role.SECRETARY, cell.id),
    ]:
        await users.grant(await users.ensure("test", key, now), role, unit_id, now)
    people = {}
    march = date(2026, 3, 2)
    for alias, cell_id, stage, key in [
        ("LTC", world.cell_ids["TL-01"], Stage.SOURCE, "sec-1"),
        ("DOS", world.cell_ids["TL-01"], Stage.DOSSIER, "sec-1"),
        ("BCV", world.cell_ids["TL-01"], Stage.BASE_COMMITTEE_VOTE, "sec-1"),
        ("PRO", world.cell_ids["TL-01"], Stage.PROBATION, "sec-1"),
        ("TBX", world.cell_ids["TL-02"], Stage.SOURCE, "sec-b"),
        ("MLQ", cell.id, Stage.SOURCE, "ml-sec"),
    ]:
        author = await users.find("test", key)
        assert author is not None
        moves = moves_for(stage, date(2025, 11, 3) if stage is Stage.PROBATION else march)
        people[alias] = await RecruitmentRepository(db).add(
            cell_id, alias, Birth(1990, 6), moves, author.id, vn_time(2026, 3, 2))
    # October reported with two tasks: November's report asks whether they were done.
    sec = await users.find("test", "sec-1")
    assert sec is not None
    october = replace(sample_meeting(), cell_id=world.cell_ids["TL-01"],
                      held_on=date(2026, 10, 20), expected=19, present=19, excused=0)
    await MeetingRepository(db).save(october, regular=True, by_user=sec.id,
                                     at=vn_time(2026, 10, 20))
    return Proofs(world, other.id, cell.id, people)


async def november_reported(db: Database, proofs: Proofs) -> None:
    """TL-01's regular meeting of November is already reported (the report asks to replace)."""
    sec = await UserRepository(db).find("test", "sec-1")
    assert sec is not None
    report = replace(sample_meeting(), cell_id=proofs.world.cell_ids["TL-01"],
                     held_on=date(2026, 11, 6), kind=MeetingKind.REGULAR, expected=19,
                     present=18, excused=1)
    await MeetingRepository(db).save(report, regular=True, by_user=sec.id,
                                     at=vn_time(2026, 11, 6))


async def a_step_of_today(db: Database, proofs: Proofs) -> None:
    """sec-1 recorded a step of LTC a moment ago: it can be undone."""
    repo = RecruitmentRepository(db)
    person = await repo.get(proofs.people["LTC"])
    sec = await UserRepository(db).find("test", "sec-1")
    assert person is not None and sec is not None
    await repo.record(person.id, moves_for(Stage.SYMPATHISER, date(2026, 11, 20)), sec.id,
                      vn_time(2026, 11, 27, 20, 0), person.last_batch)


Seeding = Callable[[Database, Proofs], Awaitable[None]]


@dataclass(frozen=True)
class Path:
    user: str
    answers: tuple[str, ...]  # typed text, or "tap:KEY" on the last question's buttons
    seed: Seeding | None = None


# A regular meeting of TL-01 (19 expected, all present, last month's tasks partly done), up
# to its resolution adopted: the number of tasks is asked next.
TO_TASKS = ("/baocao", "20/11", "1", "95", "19", "2", "2", "tap:yes")
NAMING = "Đ/c Nguyễn Văn Tèo vắng"

PATHS: dict[tuple[str, str], Path] = {
    ("meeting_report", "cell"): Path("sec-2", ("/baocao",)),
    ("meeting_report", "date"): Path("sec-1", ("/baocao",)),
    ("meeting_report", "kind"): Path("sec-1", ("/baocao", "20/11")),
    ("meeting_report", "replace"): Path("sec-1", ("/baocao", "20/11", "1"), november_reported),
    ("meeting_report", "topic"): Path("sec-1", ("/baocao", "20/11", "2")),
    ("meeting_report", "topic_name"): Path("sec-1", ("/baocao", "20/11", "2", NAMING)),
    ("meeting_report", "minutes"): Path("sec-1", ("/baocao", "20/11", "1")),
    ("meeting_report", "present"): Path("sec-1", ("/baocao", "20/11", "1", "95")),
    ("meeting_report", "roll_full"): Path("sec-1", ("/baocao", "20/11", "1", "95", "tap:roll")),
    ("meeting_report", "roll_probationary"): Path(
        "sec-1", ("/baocao", "20/11", "1", "95", "tap:roll", "18")),
    ("meeting_report", "roll_exempt"): Path(
        "sec-1", ("/baocao", "20/11", "1", "95", "tap:roll", "18", "2")),
    ("meeting_report", "excused"): Path("sec-1", ("/baocao", "20/11", "1", "95", "17")),
    ("meeting_report", "guest"): Path("sec-1", ("/baocao", "20/11", "1", "95", "19")),
    ("meeting_report", "previous_tasks"): Path(
        "sec-1", ("/baocao", "20/11", "1", "95", "19", "2")),
    ("meeting_report", "resolution"): Path(
        "sec-1", ("/baocao", "20/11", "1", "95", "19", "2", "2")),
    ("meeting_report", "tasks"): Path("sec-1", TO_TASKS),
    ("meeting_report", "dissemination"): Path("sec-1", (*TO_TASKS, "2")),
    ("meeting_report", "note"): Path("sec-1", (*TO_TASKS, "2", "all")),
    ("meeting_report", "note_name"): Path("sec-1", (*TO_TASKS, "2", "all", NAMING)),
    ("meeting_report", "review"): Path("sec-1", (*TO_TASKS, "2", "all", "tap:skip")),
    ("standing", "cell"): Path("sec-2", ("/tinhhinh",)),
    ("standing", "commune"): Path("staff", ("/tinhhinh",)),
    ("standing", "commune_cell"): Path("commune-staff", ("/tinhhinh",)),
    ("standing", "match"): Path("staff", ("/tinhhinh Chi bộ ấp",)),
    ("recruit", "cell"): Path("sec-2", ("/phattrien",)),
    ("recruit", "menu"): Path("sec-1", ("/phattrien",)),
    ("recruit_add", "alias"): Path("sec-1", ("/phattrien", "1")),
    ("recruit_add", "birth"): Path("sec-1", ("/phattrien", "1", "NVA")),
    ("recruit_add", "entry_stage"): Path("sec-1", ("/phattrien", "1", "NVA", "4/1995")),
    ("recruit_add", "entry_date"): Path("sec-1", ("/phattrien", "1", "NVA", "4/1995", "1")),
    ("recruit_add", "entry_received"): Path(
        "sec-1", ("/phattrien", "1", "NVA", "4/1995", "tap:ADMISSION_DECIDED", "3/11/2026")),
    ("recruit_add", "add_review"): Path(
        "sec-1", ("/phattrien", "1", "NVA", "4/1995", "1", "3/2/2026")),
    ("recruit_step", "person"): Path("sec-1", ("/phattrien", "2")),
    ("recruit_step", "move"): Path("sec-1", ("/phattrien", "2", "LTC")),
    ("recruit_step", "move_date"): Path("sec-1", ("/phattrien", "2", "LTC", "1")),
    ("recruit_step", "move_received"): Path(
        "sec-1", ("/phattrien", "2", "BCV", "1", "10/11/2026")),
    ("recruit_step", "eligible"): Path("sec-1", ("/phattrien", "2", "DOS", "1", "10/11/2026")),
    ("recruit_step", "yes"): Path(
        "sec-1", ("/phattrien", "2", "DOS", "1", "10/11/2026", "17")),
    ("recruit_step", "step_review"): Path(
        "sec-1", ("/phattrien", "2", "LTC", "1", "10/11/2026")),
    ("recruit_next", "after_step"): Path(
        "sec-1", ("/phattrien", "2", "LTC", "1", "10/11/2026", "1")),
    ("recruit_undo", "undo"): Path("sec-1", ("/phattrien", "4"), a_step_of_today),
    ("recruit_undo", "undo_confirm"): Path("sec-1", ("/phattrien", "4", "1"), a_step_of_today),
    ("summary", "area"): Path("two-areas", ("/tonghop",)),
    ("missing", "area"): Path("two-areas", ("/chuabaocao",)),
    ("ratings", "file"): Path("staff", ("/xeploai",)),
    ("export", "area"): Path("two-areas", ("/xuat",)),
    ("chart", "area"): Path("two-areas", ("/bieudo",)),
    ("chart", "cell"): Path("sec-2", ("/bieudo",)),
    ("invite", "role"): Path("admin", ("/moi",)),
    ("invite", "target"): Path("admin", ("/moi", "1")),
    ("invite", "match"): Path("admin", ("/moi", "1", "Chi bộ ấp")),
    ("reminders", "reminders"): Path("sec-1", ("/nhacnho",)),
    ("language", "language"): Path("sec-1", ("/ngonngu",)),
}


def inbound(user: str, answer: str, shown: Reply | None, update_id: int | None = None,
            language_code: str | None = "en") -> Inbound:
    """Turn a path's answer into what a channel would pass on: a tap on `shown`, or text."""
    if answer.startswith("tap:"):
        assert shown is not None and shown.choices, f"nothing to tap for {answer}"
        key = answer.removeprefix("tap:")
        assert key in {c.key for c in shown.choices}, (key, shown)
        return Inbound("test", user, choice=key, token=shown.token,
                       language_code=language_code, update_id=update_id)
    return Inbound("test", user, text=answer, language_code=language_code,
                   update_id=update_id)


async def walk(dispatcher: Dispatcher, db: Database, proofs: Proofs, path: Path) -> Reply:
    """Seed what the path needs and give its answers; return the last question asked."""
    if path.seed is not None:
        await path.seed(db, proofs)
    shown: Reply | None = None
    for answer in path.answers:
        replies = await dispatcher.handle(inbound(path.user, answer, shown))
        shown = replies[-1]
    assert shown is not None
    return shown
