"""The recruitment repository against SQLite :memory:."""

import sqlite3
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from bot.domain.pipeline import Birth, FailedVote, Move, Stage, Votes, moves_for
from bot.storage.database import Database
from bot.storage.errors import Conflict
from bot.storage.recruitment import AliasInUse, RecruitmentRepository, StaleRecord
from bot.storage.users import UserRepository
from tests.support import World

NOW = datetime(2025, 11, 20, 9, 30, tzinfo=UTC)
DAY = timedelta(days=1)
BIRTH = Birth(1995, 4)


# The seeded rows by id: cells TL-01 and TL-02, users sec-1 and sec-2 (checked in `repo`).
CELL, OTHER, A, B = 3, 4, 1, 2


@pytest.fixture
async def repo(db: Database, world: World) -> RecruitmentRepository:
    users = UserRepository(db)
    seeded = [await users.find("test", key) for key in ("sec-1", "sec-2")]
    ids = [world.cell_ids["TL-01"], world.cell_ids["TL-02"], *(u.id for u in seeded if u)]
    assert ids == [CELL, OTHER, A, B], "the seeded world changed: update the ids above"
    return RecruitmentRepository(db)


async def test_a_person_added_comes_back_with_alias_birth_and_first_move(
    repo: RecruitmentRepository,
) -> None:
    person = await repo.add(CELL, "NVA", BIRTH, [Move(Stage.SOURCE, date(2025, 3, 1))], A, NOW)
    found = await repo.get(person)
    assert found is not None
    assert (found.alias, found.birth, found.cell_id) == ("NVA", BIRTH, CELL)
    assert found.history == (Move(Stage.SOURCE, date(2025, 3, 1)),)
    assert (found.stage, found.since, found.last_batch) == (Stage.SOURCE, date(2025, 3, 1), 1)


async def test_recorded_moves_append_to_the_history_in_order(
    repo: RecruitmentRepository, db: Database
) -> None:
    person = await repo.add(CELL, "NVA", BIRTH, [Move(Stage.DOSSIER, date(2025, 3, 1))], A, NOW)
    vote = Move(Stage.CELL_VOTE_ADMIT, date(2025, 4, 2))
    await repo.record(person, [vote], A, NOW, expected_batch=1, votes=Votes(6, 8))
    found = await repo.get(person)
    assert found is not None and found.history[-1] == vote and found.last_batch == 2
    counts = await db.fetch_one(
        "SELECT yes_votes, eligible_voters, recorded_by FROM recruit_moves WHERE batch = 2"
    )
    assert counts is not None and tuple(counts) == (6, 8, A)


async def test_a_ceremony_and_its_probation_are_one_batch(repo: RecruitmentRepository) -> None:
    decided = Move(Stage.ADMISSION_DECIDED, date(2025, 5, 2))
    person = await repo.add(CELL, "TTB", BIRTH, [decided], A, NOW)
    await repo.record(person, moves_for(Stage.CEREMONY, date(2025, 5, 19)), A, NOW, 1)
    found = await repo.get(person)
    assert found is not None
    assert [m.stage for m in found.history] == [
        Stage.ADMISSION_DECIDED,
        Stage.CEREMONY,
        Stage.PROBATION,
    ]
    batches = await repo.undoable(A, NOW - DAY)
    assert batches[0].stages == (Stage.CEREMONY, Stage.PROBATION)
    assert found.last_batch_moves == 2 and found.before_last_batch == (decided,)


async def test_recording_against_a_stale_view_is_refused(repo: RecruitmentRepository) -> None:
    person = await repo.add(CELL, "NVA", BIRTH, [Move(Stage.SOURCE, date(2025, 3, 1))], A, NOW)
    await repo.record(person, [Move(Stage.SYMPATHISER, date(2025, 4, 1))], B, NOW, 1)
    with pytest.raises(StaleRecord):
        await repo.record(person, [Move(Stage.DROPPED, date(2025, 4, 1))], A, NOW, 1)


async def test_lists_keep_cells_apart_and_keep_the_order_added(
    repo: RecruitmentRepository,
) -> None:
    first = await repo.add(CELL, "AA", BIRTH, [Move(Stage.SOURCE, date(2025, 1, 1))], A, NOW)
    await repo.add(OTHER, "BB", BIRTH, [Move(Stage.SOURCE, date(2025, 1, 1))], B, NOW)
    second = await repo.add(CELL, "CC", BIRTH, [Move(Stage.SOURCE, date(2025, 1, 1))], A, NOW)
    assert [r.id for r in await repo.of_cell(CELL)] == [first, second]
    assert [r.alias for r in await repo.of_cells([CELL, OTHER])] == ["AA", "BB", "CC"]
    assert await repo.of_cells([]) == []


async def test_alias_in_use_ignores_case_and_other_cells(repo: RecruitmentRepository) -> None:
    await repo.add(CELL, "Anh Ba", BIRTH, [Move(Stage.SOURCE, date(2025, 1, 1))], A, NOW)
    assert await repo.alias_in_use(CELL, "anh ba")
    assert not await repo.alias_in_use(OTHER, "Anh Ba")


async def test_the_author_undoes_the_last_step_and_the_history_keeps_it(
    repo: RecruitmentRepository, db: Database
) -> None:
    person = await repo.add(CELL, "NVA", BIRTH, [Move(Stage.SOURCE, date(2025, 3, 1))], A, NOW)
    await repo.record(person, [Move(Stage.DROPPED, date(2025, 4, 1))], A, NOW, 1)
    assert await repo.undo(person, 2, A, NOW + timedelta(hours=2), NOW - DAY)
    found = await repo.get(person)
    assert found is not None and found.stage is Stage.SOURCE and found.last_batch == 1
    kept = await db.scalar("SELECT COUNT(*) FROM recruit_moves WHERE undone_at IS NOT NULL")
    assert kept == 1
    # the step can then be recorded again
    await repo.record(person, [Move(Stage.SYMPATHISER, date(2025, 4, 1))], A, NOW, 1)


@pytest.mark.parametrize(
    ("user", "since", "batch", "expected"),
    [
        # the author, within the window, the last batch
        (A, NOW - DAY, 2, True),
        # someone else
        (B, NOW - DAY, 2, False),
        # recorded before the window opened
        (A, NOW + timedelta(minutes=1), 2, False),
        # not the last batch
        (A, NOW - DAY, 1, False),
    ],
)
async def test_undo_is_for_the_author_within_the_window_and_the_last_batch_only(
    repo: RecruitmentRepository, user: int, since: datetime, batch: int, expected: bool
) -> None:
    person = await repo.add(CELL, "NVA", BIRTH, [Move(Stage.SOURCE, date(2025, 3, 1))], A, NOW)
    await repo.record(person, [Move(Stage.SYMPATHISER, date(2025, 4, 1))], A, NOW, 1)
    assert await repo.undo(person, batch, user, NOW, since) is expected


async def test_undoing_the_first_batch_withdraws_the_person(repo: RecruitmentRepository) -> None:
    person = await repo.add(CELL, "NVA", BIRTH, [Move(Stage.SOURCE, date(2025, 3, 1))], A, NOW)
    [batch] = await repo.undoable(A, NOW - DAY)
    assert batch.adds_person and batch.alias == "NVA"
    assert await repo.undo(person, batch.batch, A, NOW, NOW - DAY)
    assert await repo.get(person) is None
    assert await repo.of_cell(CELL) == []
    assert not await repo.alias_in_use(CELL, "NVA")
    with pytest.raises(StaleRecord):
        await repo.record(person, [Move(Stage.SYMPATHISER, date(2025, 4, 1))], A, NOW, 0)


async def test_undoable_lists_only_the_users_own_recent_last_batches(
    repo: RecruitmentRepository,
) -> None:
    old = NOW - 2 * DAY
    kept = await repo.add(CELL, "Old", BIRTH, [Move(Stage.SOURCE, date(2025, 3, 1))], A, old)
    mine = await repo.add(CELL, "Mine", BIRTH, [Move(Stage.SOURCE, date(2025, 3, 1))], A, NOW)
    await repo.add(CELL, "Theirs", BIRTH, [Move(Stage.SOURCE, date(2025, 3, 1))], B, NOW)
    await repo.record(kept, [Move(Stage.SYMPATHISER, date(2025, 4, 1))], B, NOW, 1)
    await repo.record(mine, [Move(Stage.SYMPATHISER, date(2025, 4, 2))], A, NOW + DAY / 2, 1)
    batches = await repo.undoable(A, NOW - DAY / 2)
    assert [(b.alias, b.batch, b.stages, b.adds_person) for b in batches] == [
        ("Mine", 2, (Stage.SYMPATHISER,), False)
    ]
    assert batches[0].on == date(2025, 4, 2)
    assert batches[0].recorded_at == NOW + DAY / 2


async def test_a_failed_vote_is_kept_as_its_own_batch_and_leaves_the_stage(
    repo: RecruitmentRepository,
) -> None:
    person = await repo.add(CELL, "NVA", BIRTH, [Move(Stage.DOSSIER, date(2025, 3, 1))], A, NOW)
    vote = FailedVote(Stage.CELL_VOTE_ADMIT, date(2025, 4, 2), Votes(5, 8))
    await repo.record_failed_vote(person, vote, A, NOW, expected_batch=1)
    found = await repo.get(person)
    assert found is not None
    assert (found.stage, found.failed_votes, found.last_batch) == (Stage.DOSSIER, (vote,), 2)
    assert found.last_batch_moves == 0 and found.before_last_batch == found.history
    [batch] = await repo.undoable(A, NOW - DAY)
    assert (batch.batch, batch.stages, batch.failed) == (2, (Stage.CELL_VOTE_ADMIT,), True)
    # a stale view cannot add a vote either
    with pytest.raises(StaleRecord):
        await repo.record_failed_vote(person, vote, A, NOW, expected_batch=1)
    # the next step follows the failed vote's batch, and an undo takes the vote back
    assert await repo.undo(person, 2, A, NOW, NOW - DAY)
    again = await repo.get(person)
    assert again is not None and again.failed_votes == () and again.stage is Stage.DOSSIER


async def test_an_admission_decision_keeps_its_date_and_the_day_it_was_received(
    repo: RecruitmentRepository,
) -> None:
    decided = Move(Stage.ADMISSION_DECIDED, date(2025, 5, 26), date(2025, 6, 9))
    person = await repo.add(CELL, "NVA", BIRTH, [decided], A, NOW)
    found = await repo.get(person)
    assert found is not None and found.history == (decided,)


def database_at_version(path: Path, version: int) -> sqlite3.Connection:
    """Build a database file as an older release left it: migrations up to `version` only."""
    conn = sqlite3.connect(path, isolation_level=None)
    folder = resources.files("bot.storage.migrations")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql") and int(entry.name[:3]) <= version:
            conn.executescript(entry.read_text(encoding="utf-8"))
    conn.execute(f"PRAGMA user_version = {version}")
    return conn


async def test_decisions_stored_before_the_day_received_existed_keep_that_day(
    tmp_path: Path,
) -> None:
    # migration 020: the one date kept before was the day the cell received the decision
    old = database_at_version(tmp_path / "old.sqlite3", 5)
    old.executescript(
        "INSERT INTO org_units (id, kind, name) VALUES (1, 'cell', 'C');"
        "INSERT INTO users (id, channel, user_key, created_at) VALUES (1, 't', 'u', 'x');"
        "INSERT INTO recruits (id, cell_id, alias, birth_year, birth_month, created_by,"
        " created_at) VALUES (1, 1, 'NVA', 1995, 4, 1, 'x');"
        "INSERT INTO recruit_moves (recruit_id, batch, stage, on_date, recorded_by, recorded_at)"
        " VALUES (1, 1, 'ADMISSION_DECIDED', '2025-06-09', 1, 'x');"
    )
    old.close()
    upgraded = await Database.open(tmp_path / "old.sqlite3")
    try:
        found = await RecruitmentRepository(upgraded).get(1)
        assert found is not None and found.failed_votes == ()
        assert found.history == (
            Move(Stage.ADMISSION_DECIDED, date(2025, 6, 9), date(2025, 6, 9)),
        )
    finally:
        await upgraded.close()


async def test_an_open_alias_is_unique_in_its_cell_whatever_its_case_and_diacritics(
    repo: RecruitmentRepository,
) -> None:
    await repo.add(CELL, "Chú Tư", BIRTH, [Move(Stage.SOURCE, date(2025, 1, 1))], A, NOW)
    for same in ("chu tu", "CHÚ TƯ", "Chu  Tu"):
        with pytest.raises(AliasInUse):
            await repo.add(CELL, same, BIRTH, [Move(Stage.SOURCE, date(2025, 1, 1))], A, NOW)
    # another cell may use it
    await repo.add(OTHER, "chu tu", BIRTH, [Move(Stage.SOURCE, date(2025, 1, 1))], B, NOW)
    assert [r.alias for r in await repo.of_cell(CELL)] == ["Chú Tư"]


async def test_the_database_itself_refuses_a_second_open_record_with_the_same_alias(
    repo: RecruitmentRepository, db: Database
) -> None:
    await repo.add(CELL, "NVA", BIRTH, [Move(Stage.SOURCE, date(2025, 1, 1))], A, NOW)
    with pytest.raises(Conflict):
        await db.write(
            "INSERT INTO recruits (cell_id, alias, open_alias, birth_year, birth_month,"
            " created_by, created_at) VALUES (?, 'NVA', 'nva', 1995, 4, ?, 'x')",
            (CELL, A),
        )


async def test_a_closed_or_withdrawn_record_frees_its_alias(repo: RecruitmentRepository) -> None:
    dropped = await repo.add(CELL, "NVA", BIRTH, [Move(Stage.SOURCE, date(2025, 1, 1))], A, NOW)
    await repo.record(dropped, [Move(Stage.DROPPED, date(2025, 2, 1))], A, NOW, 1)
    again = await repo.add(CELL, "NVA", BIRTH, [Move(Stage.SOURCE, date(2025, 3, 1))], A, NOW)
    assert await repo.undo(again, 1, A, NOW, NOW - DAY)  # withdrawn
    assert not await repo.alias_in_use(CELL, "nva")
    await repo.add(CELL, "nva", BIRTH, [Move(Stage.SOURCE, date(2025, 3, 1))], A, NOW)
    # undoing the drop would reopen a second "NVA": refused, and nothing changes
    with pytest.raises(AliasInUse):
        await repo.undo(dropped, 2, A, NOW, NOW - DAY)
    found = await repo.get(dropped)
    assert found is not None and found.stage is Stage.DROPPED


async def test_an_undone_closing_step_takes_the_alias_back(repo: RecruitmentRepository) -> None:
    person = await repo.add(CELL, "NVA", BIRTH, [Move(Stage.SOURCE, date(2025, 1, 1))], A, NOW)
    await repo.record(person, [Move(Stage.DROPPED, date(2025, 2, 1))], A, NOW, 1)
    assert await repo.undo(person, 2, A, NOW, NOW - DAY)
    with pytest.raises(AliasInUse):
        await repo.add(CELL, "NVA", BIRTH, [Move(Stage.SOURCE, date(2025, 3, 1))], A, NOW)


async def test_open_aliases_shared_before_the_constraint_keep_the_oldest_one_guarded(
    tmp_path: Path,
) -> None:
    # migration 022 on a database an older release left with a clash and a closed record
    old = database_at_version(tmp_path / "old.sqlite3", 21)
    old.executescript(
        "INSERT INTO org_units (id, kind, name) VALUES (1, 'cell', 'C');"
        "INSERT INTO users (id, channel, user_key, created_at) VALUES (1, 't', 'u', 'x');"
        "INSERT INTO recruits (id, cell_id, alias, birth_year, birth_month, created_by,"
        " created_at) VALUES (1, 1, 'NVA', 1995, 4, 1, 'x'), (2, 1, 'nva', 1995, 4, 1, 'x'),"
        " (3, 1, 'TTB', 1995, 4, 1, 'x');"
        "INSERT INTO recruit_moves (recruit_id, batch, stage, on_date, recorded_by, recorded_at)"
        " VALUES (1, 1, 'SOURCE', '2025-01-01', 1, 'x'), (2, 1, 'SOURCE', '2025-01-01', 1, 'x'),"
        " (3, 1, 'SOURCE', '2025-01-01', 1, 'x'), (3, 2, 'DROPPED', '2025-02-01', 1, 'x');"
    )
    old.close()
    upgraded = await Database.open(tmp_path / "old.sqlite3")
    try:
        keys = await upgraded.fetch_all("SELECT id, open_alias FROM recruits ORDER BY id")
        assert [tuple(row) for row in keys] == [(1, "nva"), (2, None), (3, None)]
        repo = RecruitmentRepository(upgraded)
        assert await repo.alias_in_use(1, "Nva") and not await repo.alias_in_use(1, "TTB")
    finally:
        await upgraded.close()


FRESH_STANDING = """SELECT r.id, (
        SELECT m.id FROM recruit_moves m
        WHERE m.recruit_id = r.id AND m.undone_at IS NULL AND m.failed = 0
        ORDER BY m.id DESC LIMIT 1) AS move_id
    FROM recruits r ORDER BY r.id"""


async def standings(db: Database) -> list[tuple[int, int | None, str | None]]:
    """Each person's standing as kept on their row: (id, move id, stage)."""
    rows = await db.fetch_all(
        "SELECT id, standing_move_id, standing_stage FROM recruits ORDER BY id")
    return [(r[0], r[1], r[2]) for r in rows]


async def assert_standings_are_fresh(db: Database, repo: RecruitmentRepository) -> None:
    """The kept standing is the latest move in force, the stage the repository reads."""
    fresh = {r["id"]: r["move_id"] for r in await db.fetch_all(FRESH_STANDING)}
    for recruit_id, move_id, stage in await standings(db):
        assert move_id == fresh[recruit_id]
        found = await repo.get(recruit_id)
        assert stage == (found.stage.value if found and found.history else None)


async def test_each_persons_standing_is_kept_through_moves_failed_votes_and_undos(
    repo: RecruitmentRepository, db: Database
) -> None:
    voted = await repo.add(CELL, "NVA", BIRTH, [Move(Stage.DOSSIER, date(2025, 3, 1))], A, NOW)
    await assert_standings_are_fresh(db, repo)
    await repo.record(voted, [Move(Stage.CELL_VOTE_ADMIT, date(2025, 4, 2))], A, NOW, 1,
                      votes=Votes(6, 8))
    before = await standings(db)
    # a vote below the share is no move: the person stays where they stood
    await repo.record_failed_vote(
        voted, FailedVote(Stage.BASE_COMMITTEE_VOTE, date(2025, 5, 2), Votes(3, 8)), A, NOW, 2)
    assert await standings(db) == before and before[0][2] == "CELL_VOTE_ADMIT"
    await repo.record(voted, [Move(Stage.BASE_COMMITTEE_VOTE, date(2025, 6, 2))], A, NOW, 3,
                      votes=Votes(7, 8))
    await repo.record(voted, list(moves_for(Stage.CEREMONY, date(2025, 7, 1))), A, NOW, 4)
    assert (await standings(db))[0][2] == "PROBATION"
    assert await repo.undo(voted, 5, A, NOW, NOW - DAY)  # the ceremony's batch, both moves
    assert (await standings(db))[0][2] == "BASE_COMMITTEE_VOTE"
    withdrawn = await repo.add(CELL, "TTB", BIRTH, [Move(Stage.SOURCE, date(2025, 1, 1))], A,
                               NOW)
    closed = await repo.add(OTHER, "LVC", BIRTH, [Move(Stage.CONFIRMED, date(2024, 5, 4))], B,
                            NOW)
    assert await repo.undo(withdrawn, 1, A, NOW, NOW - DAY)  # nothing in force: no standing
    await assert_standings_are_fresh(db, repo)
    assert [s[2] for s in await standings(db)] == ["BASE_COMMITTEE_VOTE", None, "CONFIRMED"]
    assert [s[0] for s in await standings(db)] == [voted, withdrawn, closed]


async def test_the_standing_of_people_stored_before_it_was_kept_is_their_latest_move(
    tmp_path: Path,
) -> None:
    # migration 120 on a database an older release left: an undone step, a failed vote, a
    # person withdrawn (their only batch undone)
    old = database_at_version(tmp_path / "old.sqlite3", 119)
    old.executescript(
        "INSERT INTO org_units (id, kind, name) VALUES (1, 'cell', 'C');"
        "INSERT INTO users (id, channel, user_key, created_at) VALUES (1, 't', 'u', 'x');"
        "INSERT INTO recruits (id, cell_id, alias, birth_year, birth_month, created_by,"
        " created_at) VALUES (1, 1, 'NVA', 1995, 4, 1, 'x'), (2, 1, 'TTB', 1995, 4, 1, 'x');"
        "INSERT INTO recruit_moves (id, recruit_id, batch, stage, on_date, recorded_by,"
        " recorded_at, undone_at, failed) VALUES"
        " (1, 1, 1, 'DOSSIER', '2025-01-01', 1, 'x', NULL, 0),"
        " (2, 1, 2, 'CELL_VOTE_ADMIT', '2025-02-01', 1, 'x', NULL, 0),"
        " (3, 1, 3, 'BASE_COMMITTEE_VOTE', '2025-03-01', 1, 'x', NULL, 1),"
        " (4, 1, 3, 'BASE_COMMITTEE_VOTE', '2025-04-01', 1, 'x', 'y', 0),"
        " (5, 2, 1, 'SOURCE', '2025-01-01', 1, 'x', 'y', 0);"
    )
    old.close()
    upgraded = await Database.open(tmp_path / "old.sqlite3")
    try:
        assert await standings(upgraded) == [(1, 2, "CELL_VOTE_ADMIT"), (2, None, None)]
    finally:
        await upgraded.close()
