"""Ratings against SQLite: loading at once, replacing with a history, counting for a scope."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.domain.org import CellRow
from bot.domain.ratings import Members, RatingRow, Scheme
from bot.storage.database import Database
from bot.storage.errors import NotFound
from bot.storage.org import OrgRepository
from bot.storage.ratings import RatingRepository, ScopeGroup
from tests.support import COMMUNE, DISTRICT, Clock, World

OTHER = "Xã Phước Đông"


def rating(code: str, year: int = 2015, level: str = "tsvm", line: int = 2,
           members: Members | None = None, scheme: Scheme = Scheme.Y2015,
           score: str | None = None) -> RatingRow:
    return RatingRow(line, code, year, scheme, level, members or Members(10, 1, 8, 1, 0),
                     Decimal(score) if score else None)


async def add_other_commune(db: Database) -> int:
    await OrgRepository(db).import_cells([CellRow(2, (DISTRICT, OTHER, "Chi bộ ấp Một"),
                                                  "PD-01", 10, 0, 0)])
    cell = await OrgRepository(db).by_code("PD-01")
    assert cell is not None
    return cell.id


async def test_a_file_is_saved_and_the_same_file_again_changes_nothing(
    db: Database, world: World, clock: Clock
) -> None:
    repo = RatingRepository(db)
    rows = [rating("TL-01"), rating("TL-02", level="htt", line=3)]
    first = await repo.save_all(rows, world.cell_ids, by_user=None, at=clock())
    again = await repo.save_all(rows, world.cell_ids, by_user=None, at=clock())
    assert (first.rows, first.created, first.replaced, first.unchanged) == (2, 2, 0, 0)
    assert (again.created, again.replaced, again.unchanged, again.cells) == (0, 0, 2, 2)
    assert await repo.history(world.cell_ids["TL-01"], 2015) == []
    stored = await repo.latest_of_cell(world.cell_ids["TL-02"])
    assert stored is not None and (stored.year, stored.level) == (2015, "htt")


async def test_a_later_rating_replaces_the_earlier_which_is_kept_in_the_history(
    db: Database, world: World, clock: Clock
) -> None:
    repo = RatingRepository(db)
    await repo.save_all([rating("TL-01", level="htt")], world.cell_ids, None, clock())
    later = clock() + timedelta(days=3)
    result = await repo.save_all([rating("TL-01", level="tsvm_tieu_bieu")], world.cell_ids,
                                 by_user=None, at=later)
    assert (result.created, result.replaced) == (0, 1)
    current = await repo.latest_of_cell(world.cell_ids["TL-01"])
    assert current is not None and current.level == "tsvm_tieu_bieu"
    assert current.loaded_at == later.astimezone(current.loaded_at.tzinfo)
    [old] = await repo.history(world.cell_ids["TL-01"], 2015)
    assert (old.old.level, old.replaced_at) == ("htt", later.astimezone(old.replaced_at.tzinfo))


async def test_a_score_is_kept_exactly(db: Database, world: World, clock: Clock) -> None:
    repo = RatingRepository(db)
    await repo.save_all([rating("TL-01", 2025, "htt", scheme=Scheme.Y2025, score="89.9")],
                        world.cell_ids, None, clock())
    stored = await repo.latest_of_cell(world.cell_ids["TL-01"])
    assert stored is not None and stored.score == Decimal("89.9")


async def test_a_failure_midway_saves_nothing_of_the_file(
    db: Database, world: World, clock: Clock
) -> None:
    repo = RatingRepository(db)
    ids = {**world.cell_ids, "GONE": 99_999}  # a cell deleted since the checks
    rows = [rating("TL-01"), rating("GONE", line=3)]
    with pytest.raises(NotFound):
        await repo.save_all(rows, ids, None, clock())
    assert await repo.latest_of_cell(world.cell_ids["TL-01"]) is None


async def test_the_facts_of_codes_say_which_are_cells_and_which_are_in_scope(
    db: Database, world: World
) -> None:
    await add_other_commune(db)
    commune = await OrgRepository(db).by_path([DISTRICT, COMMUNE])
    assert commune is not None
    await db.write("UPDATE org_units SET code = 'XTL' WHERE id = ?", (commune.id,))
    facts = await RatingRepository(db).cell_facts(["TL-01", "PD-01", "XTL", "NONE"],
                                                  scope=[world.commune_id])
    assert set(facts) == {"TL-01", "PD-01", "XTL"}
    assert (facts["TL-01"].in_scope, facts["PD-01"].in_scope) == (True, False)
    assert facts["TL-01"].ratable == 19  # 18 full + 2 probationary − 1 exempt
    assert (facts["XTL"].is_cell, facts["TL-01"].is_cell) == (False, True)
    everything = await RatingRepository(db).cell_facts(["PD-01"], scope=None)
    assert everything["PD-01"].in_scope


async def test_counts_for_a_district_are_grouped_by_commune(
    db: Database, world: World, clock: Clock
) -> None:
    other_cell = await add_other_commune(db)
    repo = RatingRepository(db)
    ids = {**world.cell_ids, "PD-01": other_cell}
    await repo.save_all([
        rating("TL-01", members=Members(19, 2, 15, 2, 0)),
        rating("TL-02", line=3, members=Members(12, 1, 10, 0, 1)),
        rating("PD-01", level="yeu_kem", line=4, members=Members(10, 0, 2, 5, 3)),
        rating("TL-01", 2014, "htt", line=5),  # another year: not counted
    ], ids, None, clock())
    counts = await repo.level_counts([world.district_id], 2015)
    by_key = {(c.group_id, c.level): c for c in counts}
    assert set(by_key) == {(world.commune_id, "tsvm"), (await _commune_of(db, other_cell),
                                                        "yeu_kem")}
    tan_lan = by_key[(world.commune_id, "tsvm")]
    assert (tan_lan.cells, tan_lan.members) == (2, Members(31, 3, 25, 2, 1))
    groups = await repo.scope_groups([world.district_id], 2015)
    assert groups == [ScopeGroup(await _commune_of(db, other_cell), OTHER, 1),
                      ScopeGroup(world.commune_id, COMMUNE, 2)]
    assert await repo.rated_years([world.district_id]) == [2015, 2014]


async def test_a_commune_organiser_counts_only_the_communes_cells_without_groups(
    db: Database, world: World, clock: Clock
) -> None:
    other_cell = await add_other_commune(db)
    repo = RatingRepository(db)
    ids = {**world.cell_ids, "PD-01": other_cell}
    await repo.save_all([rating("TL-01"), rating("PD-01", line=3)], ids, None, clock())
    counts = await repo.level_counts([world.commune_id], 2015)
    assert [(c.group_id, c.cells) for c in counts] == [(None, 1)]
    assert await repo.scope_groups([world.commune_id], 2015) == [ScopeGroup(None, None, 2)]
    assert await repo.level_counts([], 2015) == []  # an empty scope


async def test_overlapping_units_of_one_user_count_each_cell_once(
    db: Database, world: World, clock: Clock
) -> None:
    repo = RatingRepository(db)
    await repo.save_all([rating("TL-01"), rating("TL-02", line=3)], world.cell_ids, None,
                        clock())
    counts = await repo.level_counts([world.district_id, world.commune_id], 2015)
    assert [(c.group_id, c.cells) for c in counts] == [(world.commune_id, 2)]


async def test_the_cells_of_a_year_come_by_commune_and_name_for_the_export(
    db: Database, world: World, clock: Clock
) -> None:
    repo = RatingRepository(db)
    await repo.save_all([rating("TL-01"), rating("TL-02", level="ht", line=3)],
                        world.cell_ids, None, clock())
    cells = await repo.cells_of_year([world.district_id], 2015)
    assert [(c.code, c.group, c.rating.level) for c in cells] == [
        ("TL-02", COMMUNE, "ht"), ("TL-01", COMMUNE, "tsvm"),  # "Chợ" before "Xóm Chùa"
    ]
    assert await repo.cells_of_year([world.district_id], 2016) == []


async def _commune_of(db: Database, cell_id: int) -> int:
    cell = await OrgRepository(db).get(cell_id)
    assert cell is not None and cell.parent_id is not None
    return cell.parent_id
