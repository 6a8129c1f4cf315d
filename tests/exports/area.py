"""A commune with a month of meetings, a pipeline and last year's ratings, beside another.

Xã Tân Lân (the world's TL-01 and TL-02) is the commune organiser's area; Xã Phước Đông
(PD-01) lies outside it and must never show in its files. November 2026:
- TL-01: a regular meeting on the 5th (17 of 19, one absent without a reason, a note that
  looks like a formula) and a thematic one on the 20th (19 of 19, 80 minutes: too short);
- TL-02: nothing in November (its October report lies outside the period);
- PD-01: a regular meeting.
Bạn A (TL-01) was admitted on 10 November; Bạn B (TL-02) has a complete dossier; Bạn C is
PD-01's. Ratings of 2025: TL-01 good performance (85.5 points), TL-02 excellent, PD-01 good.
Every cell is in the bot since January 2025.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.meetings import ALL_TARGETS, MeetingKind
from bot.domain.org import CellRow, Role
from bot.domain.pipeline import Birth, Move, Stage, moves_for
from bot.domain.rulebook import Rulebook
from bot.i18n import translator
from bot.storage.database import Database
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository
from bot.storage.recruitment import RecruitmentRepository
from bot.storage.users import UserRepository
from handlers.ratings import load_ratings
from tests.support import DISTRICT, World, sample_meeting

OTHER_COMMUNE = "Xã Phước Đông"
TRACKED_FROM = date(2025, 1, 1)
FORMULA_NOTE = "=1+1 đã nhắc ấp Chợ"
RATINGS = (
    "code,year,scheme,rating,members_rated,members_excellent,members_good,"
    "members_satisfactory,members_failed,score\n"
    "TL-01,2025,2025,htt,18,1,15,2,0,85.5\n"
    "TL-02,2025,2025,htxs,12,2,10,0,0,92\n"
    "PD-01,2025,2025,htt,9,0,8,1,0,80\n"
)


@dataclass(frozen=True)
class Area:
    world: World
    other_cell: int  # PD-01


async def seed_area(db: Database, now: datetime, world: World) -> Area:
    org = OrgRepository(db)
    await org.import_cells([CellRow(2, (DISTRICT, OTHER_COMMUNE, "Chi bộ ấp Bình Hòa"), "PD-01",
                                    10, 0, 0)], at=now)
    other = await org.by_code("PD-01")
    assert other is not None
    tl01, tl02 = world.cell_ids["TL-01"], world.cell_ids["TL-02"]
    for cell_id in (tl01, tl02, other.id):  # in the bot since 2025: its ratings are in scope
        await org.set_tracked_from(cell_id, TRACKED_FROM)
    meetings = MeetingRepository(db)
    await meetings.save(sample_meeting(cell_id=tl01, held_on=date(2026, 11, 5), expected=19,
                                       present=17, excused=1, note=FORMULA_NOTE),
                        regular=True, by_user=None, at=now)
    await meetings.save(sample_meeting(cell_id=tl01, held_on=date(2026, 11, 20),
                                       kind=MeetingKind.THEMATIC, topic="Học tập chuyên đề",
                                       expected=19, present=19, excused=0, minutes=80,
                                       resolution_adopted=False, tasks=0,
                                       disseminated_to=frozenset()),
                        regular=False, by_user=None, at=now)
    await meetings.save(sample_meeting(cell_id=tl02, held_on=date(2026, 10, 10), expected=12,
                                       present=12, excused=0),
                        regular=True, by_user=None, at=now)
    await meetings.save(sample_meeting(cell_id=other.id, held_on=date(2026, 11, 6), expected=10,
                                       present=9, excused=1, disseminated_to=ALL_TARGETS),
                        regular=True, by_user=None, at=now)
    users = UserRepository(db)
    secretary = await users.ensure("test", "sec-pd", now)
    await users.grant(secretary, Role.SECRETARY, other.id, now)
    recruits = RecruitmentRepository(db)
    source = [Move(Stage.SOURCE, date(2026, 1, 10))]
    first = await recruits.add(tl01, "Bạn A", Birth(2000, 5), source, secretary, now)
    await recruits.record(first, moves_for(Stage.CEREMONY, date(2026, 11, 10)), secretary, now,
                          expected_batch=1)
    await recruits.add(tl02, "Bạn B", Birth(1998, 3), [Move(Stage.DOSSIER, date(2026, 9, 1))],
                       secretary, now)
    await recruits.add(other.id, "Bạn C", Birth(1999, 7), [Move(Stage.SOURCE, date(2026, 6, 1))],
                       secretary, now)
    loaded = await load_ratings(db, Rulebook.default(), translator("en"), RATINGS.encode(),
                                scope=None, by_user=None, now=now)
    assert loaded.saved is not None, loaded.text
    return Area(world, other.id)

