"""The org tree through time against SQLite: the tree of a day, imports that move and close
from a day, merge files, and roles that end with their unit."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.demo import DISTRICT as DEMO_DISTRICT
from bot.demo import PROVINCE as DEMO_PROVINCE
from bot.demo import seed_demo
from bot.domain.org import CellRow, OrgCsvError, Role
from bot.domain.tree import MergeRow
from bot.storage.database import Database
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository
from bot.storage.users import UserRepository
from tests.support import sample_meeting, vn_time

DISTRICT, PROVINCE = "Huyện Cần Đước", "Tỉnh Tây Ninh"
TAN_LAN, PHUOC_DONG = "Xã Tân Lân", "Xã Phước Đông"
MERGED = date(2025, 7, 1)
EVE, DAY_AFTER = date(2025, 6, 30), date(2025, 7, 2)
NOW = vn_time(2026, 11, 27)

OLD = [
    CellRow(2, (DISTRICT, TAN_LAN, "Chi bộ ấp Chợ"), "TL-01", 12, 0, 0, date(2016, 1, 1)),
    CellRow(3, (DISTRICT, PHUOC_DONG, "Chi bộ ấp Một"), "PD-01", 10, 0, 0, date(2016, 1, 1)),
]
NEW = [replace(c, path=(PROVINCE, TAN_LAN, c.path[2]), valid_from=MERGED) for c in OLD]
MERGES = [
    MergeRow(2, (DISTRICT, TAN_LAN), (PROVINCE, TAN_LAN), MERGED),
    MergeRow(3, (DISTRICT, PHUOC_DONG), (PROVINCE, TAN_LAN), MERGED),
    MergeRow(4, (DISTRICT,), (PROVINCE,), MERGED),
]


async def unit_id(org: OrgRepository, *path: str) -> int:
    unit = await org.by_path(path)
    assert unit is not None, path
    return unit.id


async def merged_world(db: Database) -> OrgRepository:
    """Two communes of the district until June 2025, one xã of the province from July."""
    org = OrgRepository(db)
    await org.import_cells(OLD, at=NOW)
    await org.import_cells(NEW, at=NOW)
    await org.merge(MERGES)
    return org


async def codes_under(org: OrgRepository, on: date, *path: str) -> dict[str, str]:
    """Return {code: name of its parent that day} for the cells under the unit at `path`."""
    parents = {}
    for cell in await org.cells_under(await unit_id(org, *path), on):
        assert cell.code is not None and cell.parent_id is not None
        parent = await org.get(cell.parent_id)
        assert parent is not None
        parents[cell.code] = parent.name
    return parents


async def test_the_cells_under_a_unit_are_its_tree_of_the_day(db: Database) -> None:
    org = await merged_world(db)
    # The eve of the merger: the district and its two communes.
    assert await codes_under(org, EVE, DISTRICT) == {"TL-01": TAN_LAN, "PD-01": PHUOC_DONG}
    assert await codes_under(org, EVE, DISTRICT, PHUOC_DONG) == {"PD-01": PHUOC_DONG}
    # The merger's day and after: the district is gone, its cells are in the new xã.
    for day in (MERGED, DAY_AFTER):
        assert await codes_under(org, day, DISTRICT) == {}
        assert await codes_under(org, day, DISTRICT, PHUOC_DONG) == {}
        assert await codes_under(org, day, PROVINCE) == {"TL-01": TAN_LAN, "PD-01": TAN_LAN}
    new_xa = await unit_id(org, PROVINCE, TAN_LAN)
    assert {c.parent_id for c in await org.cells_under(new_xa, MERGED)} == {new_xa}


async def test_the_units_merged_into_a_unit_count_as_it_in_their_own_days(
    db: Database,
) -> None:
    org = await merged_world(db)
    # Before the merger the province's area was the district: what merged into it.
    assert await codes_under(org, EVE, PROVINCE) == {"TL-01": TAN_LAN, "PD-01": PHUOC_DONG}
    assert await codes_under(org, EVE, PROVINCE, TAN_LAN) == {"TL-01": TAN_LAN,
                                                             "PD-01": PHUOC_DONG}
    cell = await org.by_code("PD-01")
    assert cell is not None
    province = await unit_id(org, PROVINCE)
    district = await unit_id(org, DISTRICT)
    assert await org.is_within_any(cell.id, [province], EVE)
    assert await org.is_within_any(cell.id, [province], DAY_AFTER)
    assert await org.is_within_any(cell.id, [district], EVE)
    assert not await org.is_within_any(cell.id, [district], MERGED)  # closed that day
    merged = await org.merged_into(province, date(2016, 1, 1), date(2017, 1, 1))
    assert [(u.name, on) for u, on in merged] == [(DISTRICT, MERGED)]
    assert await org.merged_into(province, date(2026, 1, 1), date(2027, 1, 1)) == []


async def test_the_top_units_are_those_of_the_day_a_closed_district_no_longer_one(
    db: Database,
) -> None:
    org = await merged_world(db)
    assert [name for _, name in await org.roots_on(EVE)] == [DISTRICT, PROVINCE]
    assert [name for _, name in await org.roots_on(MERGED)] == [PROVINCE]  # closed that day


async def test_a_cell_keeps_its_id_and_its_reports_across_the_merger(db: Database) -> None:
    org = OrgRepository(db)
    await org.import_cells(OLD, at=NOW)
    before = await org.by_code("PD-01")
    assert before is not None
    meetings = MeetingRepository(db)
    await meetings.save(sample_meeting(cell_id=before.id, held_on=date(2016, 5, 10)),
                        regular=True, by_user=None, at=NOW)
    await org.import_cells(NEW, at=NOW)
    await org.merge(MERGES)
    after = await org.by_code("PD-01")
    assert after is not None and after.id == before.id
    assert await org.path_names(after.id) == [PROVINCE, TAN_LAN, "Chi bộ ấp Một"]
    assert len(await meetings.for_year(after.id, 2016)) == 1
    closed = await org.by_path([DISTRICT, PHUOC_DONG])
    assert closed is not None and closed.valid_to == MERGED  # closed, never deleted
    assert [(s.name, on) for s, on in await org.successors(closed.id)] == [(TAN_LAN, MERGED)]


async def test_a_reimported_cell_moves_from_its_valid_from_and_not_before(
    db: Database,
) -> None:
    org = OrgRepository(db)
    await org.import_cells(OLD, at=NOW)
    moved = replace(OLD[1], path=(DISTRICT, TAN_LAN, "Chi bộ ấp Một"), valid_from=date(2026, 3, 1))
    result = await org.import_cells([OLD[0], moved], at=NOW)
    assert result.moved == ("PD-01",)
    assert await codes_under(org, date(2026, 2, 28), DISTRICT, PHUOC_DONG) == {
        "PD-01": PHUOC_DONG}
    assert await codes_under(org, date(2026, 3, 1), DISTRICT, TAN_LAN) == {
        "TL-01": TAN_LAN, "PD-01": TAN_LAN}
    again = await org.import_cells([OLD[0], moved], at=NOW)  # the same file: nothing moves
    assert again.moved == ()


async def test_a_file_cannot_change_the_tree_before_a_later_move(db: Database) -> None:
    org = await merged_world(db)
    back = replace(OLD[1], valid_from=date(2024, 1, 1))  # under the old commune in 2024: true
    await org.import_cells([back], at=NOW)  # it was there then: nothing to change
    elsewhere = replace(OLD[1], path=(DISTRICT, TAN_LAN, "Chi bộ ấp Một"))
    with pytest.raises(OrgCsvError, match="later place"):
        await org.import_cells([replace(elsewhere, valid_from=date(2024, 1, 1))], at=NOW)
    assert await codes_under(org, DAY_AFTER, PROVINCE, TAN_LAN) == {"TL-01": TAN_LAN,
                                                                   "PD-01": TAN_LAN}


async def test_an_import_closes_what_it_no_longer_names_and_deletes_nothing(
    db: Database,
) -> None:
    org = OrgRepository(db)
    await org.import_cells(OLD, at=NOW)
    result = await org.import_cells([replace(OLD[0], valid_from=date(2026, 9, 1))], at=NOW,
                                    close_unnamed=True)
    assert result.on == date(2026, 9, 1)
    assert {(c.name, c.code) for c in result.closed} == {(PHUOC_DONG, None),
                                                         ("Chi bộ ấp Một", "PD-01")}
    cell = await org.by_code("PD-01")
    assert cell is not None and cell.valid_to == date(2026, 9, 1)
    assert await codes_under(org, date(2026, 8, 31), DISTRICT) == {"TL-01": TAN_LAN,
                                                                  "PD-01": PHUOC_DONG}
    assert await codes_under(org, date(2026, 9, 1), DISTRICT) == {"TL-01": TAN_LAN}
    named_again = await org.import_cells([OLD[0], replace(OLD[1], valid_from=date(2026, 10, 1))],
                                         at=NOW, close_unnamed=True)
    assert named_again.closed == ()  # named again: open again from its day
    assert await codes_under(org, date(2026, 10, 1), DISTRICT) == {"TL-01": TAN_LAN,
                                                                  "PD-01": PHUOC_DONG}
    assert await codes_under(org, date(2026, 9, 15), DISTRICT) == {"TL-01": TAN_LAN}


async def test_an_import_of_the_new_tree_alone_closes_the_old_one(db: Database) -> None:
    org = OrgRepository(db)
    await org.import_cells(OLD, at=NOW)
    result = await org.import_cells(NEW, at=NOW, close_unnamed=True)
    assert set(result.moved) == {"TL-01", "PD-01"}
    assert {c.name for c in result.closed} == {DISTRICT, TAN_LAN, PHUOC_DONG}
    district = await org.by_path([DISTRICT])
    assert district is not None and district.valid_to == MERGED


async def test_a_merge_moves_the_cells_under_the_one_unit_merged_into(db: Database) -> None:
    org = OrgRepository(db)
    await org.import_cells(OLD, at=NOW)
    result = await org.merge(MERGES)  # no import of the new tree: the merge places the cells
    assert (result.closed, result.moved, result.unplaced) == (3, 2, ())
    assert set(result.created) == {PROVINCE, f"{PROVINCE}/{TAN_LAN}"}
    assert await codes_under(org, MERGED, PROVINCE) == {"TL-01": TAN_LAN, "PD-01": TAN_LAN}
    assert await codes_under(org, EVE, DISTRICT) == {"TL-01": TAN_LAN, "PD-01": PHUOC_DONG}
    again = await org.merge(MERGES)  # the same file again changes nothing
    assert (again.moved, again.created) == (0, ())
    assert await codes_under(org, MERGED, PROVINCE) == {"TL-01": TAN_LAN, "PD-01": TAN_LAN}


async def test_a_unit_split_in_two_leaves_its_cells_to_place(db: Database) -> None:
    org = OrgRepository(db)
    await org.import_cells(OLD, at=NOW)
    split = [MergeRow(2, (DISTRICT, PHUOC_DONG), (DISTRICT, TAN_LAN), MERGED),
             MergeRow(3, (DISTRICT, PHUOC_DONG), (DISTRICT, "Xã Mới"), MERGED)]
    result = await org.merge(split)
    assert result.unplaced == ("Chi bộ ấp Một",)
    assert await codes_under(org, MERGED, DISTRICT) == {"TL-01": TAN_LAN}


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (MergeRow(2, (DISTRICT, "Xã Không Có"), (PROVINCE,), MERGED), "no unit has the path"),
        (MergeRow(2, (DISTRICT, TAN_LAN, "Chi bộ ấp Chợ"), (DISTRICT, PHUOC_DONG), MERGED),
         "a cell merges into a cell"),
        (MergeRow(2, (DISTRICT, TAN_LAN, "Chi bộ ấp Chợ"), (DISTRICT, TAN_LAN, "Chi bộ Mới"),
                  MERGED), "import it first"),
    ],
)
async def test_a_merge_that_cannot_be_done_changes_nothing(
    db: Database, row: MergeRow, problem: str
) -> None:
    org = OrgRepository(db)
    await org.import_cells(OLD, at=NOW)
    with pytest.raises(OrgCsvError, match=problem):
        await org.merge([MERGES[1], row])  # the good line before it is not kept either
    commune = await org.by_path([DISTRICT, PHUOC_DONG])
    assert commune is not None and commune.valid_to is None
    assert await org.by_path([PROVINCE]) is None


async def test_merged_cells_of_the_same_name_under_one_unit_are_refused(db: Database) -> None:
    org = OrgRepository(db)
    twins = [replace(OLD[0], path=(DISTRICT, TAN_LAN, "Chi bộ ấp 1")),
             replace(OLD[1], path=(DISTRICT, PHUOC_DONG, "Chi bộ ấp 1"))]
    await org.import_cells(twins, at=NOW)
    with pytest.raises(OrgCsvError, match="beside another"):
        await org.merge(MERGES)


async def test_roles_end_with_their_unit_and_an_administrator_can_move_them(
    db: Database,
) -> None:
    org = await merged_world(db)
    users = UserRepository(db)
    user_id = await users.ensure("test", "organiser", NOW)
    old = await unit_id(org, DISTRICT, PHUOC_DONG)
    await users.grant(user_id, Role.STAFF, old, NOW)
    on_eve = await users.find("test", "organiser", EVE)
    assert on_eve is not None and [g.unit_id for g in on_eve.grants] == [old]
    after = await users.find("test", "organiser", MERGED)
    assert after is not None and after.grants == ()
    assert [(g.role, g.unit_id, g.told) for g in after.ended] == [(Role.STAFF, old, False)]
    await users.mark_told_closed(user_id, [old], NOW)
    told = await users.find("test", "organiser", MERGED)
    assert told is not None and told.ended[0].told
    new = await unit_id(org, PROVINCE, TAN_LAN)
    assert await users.move_roles(old, new, [Role.STAFF, Role.ADMIN], NOW) == 1
    moved = await users.find("test", "organiser", MERGED)
    assert moved is not None and [g.unit_id for g in moved.grants] == [new] and not moved.ended


async def test_the_demo_has_17_communes_until_the_merger_and_6_xa_after(db: Database) -> None:
    """DOMAIN.md §9.25, as the demo district stores it."""
    await seed_demo(db, NOW, reports=False)
    org = OrgRepository(db)
    district = await unit_id(org, DEMO_DISTRICT)
    province = await unit_id(org, DEMO_PROVINCE)
    before = await org.cells_under(district, EVE)
    after = await org.cells_under(province, MERGED)
    assert len({c.parent_id for c in before}) == 17 and len(before) == 102
    assert len({c.parent_id for c in after}) == 6
    assert {c.id for c in after} == {c.id for c in before}  # the same cells, ids kept
    for commune_id in {c.parent_id for c in before}:
        assert commune_id is not None
        assert len(await org.successors(commune_id)) == 1  # each into exactly one xã
