"""Recruitment repository: pseudonymous people in a cell's pipeline and every move recorded.

A person is an alias, a birth month and year, and moves. Moves are never deleted: an undo
stamps `undone_at`, so the history shows who recorded what and when, wrong moves included.
The moves one answer writes share a batch (a ceremony also starts the probation) and an undo
takes back the latest batch. A person whose first batch is undone is withdrawn from lists.
A failed vote (below 2/3) is a batch of one row marked `failed`: kept and undoable, but not a
move, so it never changes the person's stage.

An alias names one open record of a cell (case and diacritics aside): `open_alias` holds its key
while the record is open, under a UNIQUE index, and the check and the insert share a transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.domain.pipeline import (
    TERMINAL,
    Birth,
    FailedVote,
    Move,
    Stage,
    Votes,
    alias_key,
    roll_change,
)
from bot.storage.database import Database, Rider, timestamp
from bot.storage.errors import Conflict
from bot.storage.roll import follow_step, take_back


class AliasInUse(Conflict):
    """Another open record of the cell already goes by this alias."""

    def __init__(self, alias: str):
        super().__init__(alias)
        self.alias = alias


class StaleRecord(Conflict):
    """The person was moved (or withdrawn) by someone else since the question was asked."""


class _NothingToUndo(Exception):
    """Leaves an undo's transaction without committing it (nor what rides along with it)."""


@dataclass(frozen=True)
class Recruit:
    id: int
    cell_id: int
    alias: str
    birth: Birth
    history: tuple[Move, ...]  # the moves in force, oldest first
    last_batch: int
    last_batch_moves: int  # how many moves at the end of `history` an undo takes back
    failed_votes: tuple[FailedVote, ...] = ()  # oldest first

    @property
    def stage(self) -> Stage:
        return self.history[-1].stage

    @property
    def since(self) -> date:
        return self.history[-1].on

    @property
    def before_last_batch(self) -> tuple[Move, ...]:
        """Return the history as an undo of the last batch would leave it."""
        return self.history[: len(self.history) - self.last_batch_moves]


@dataclass(frozen=True)
class Batch:
    """The moves one answer recorded, as an undo offers them."""

    recruit_id: int
    alias: str
    batch: int
    stages: tuple[Stage, ...]
    on: date
    recorded_at: datetime
    adds_person: bool  # undoing the first batch withdraws the person
    failed: bool = False  # a failed vote: undoing it leaves the stage as it is


class RecruitmentRepository:
    def __init__(self, db: Database):
        self._db = db

    async def add(
        self,
        cell_id: int,
        alias: str,
        birth: Birth,
        moves: Sequence[Move],
        user_id: int,
        now: datetime,
        also: Sequence[Rider] = (),
    ) -> int:
        """Store a new person with the moves of the stage they are entered at; return the id.

        Raise AliasInUse when an open record of the cell already goes by the alias. `also`
        rides along in the transaction (the end of the conversation that adds the person).
        """
        open_key = None if moves[-1].stage in TERMINAL else alias_key(alias)
        try:
            async with self._db.transaction(also) as conn:
                if open_key is not None and open_key in await _open_keys(conn, cell_id):
                    raise AliasInUse(alias)
                cursor = await conn.execute(
                    "INSERT INTO recruits (cell_id, alias, open_alias, birth_year, birth_month,"
                    " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (cell_id, alias, open_key, birth.year, birth.month, user_id, timestamp(now)),
                )
                inserted = await cursor.fetchone()
                assert inserted is not None
                recruit_id = int(inserted["id"])
                await _insert_moves(conn, recruit_id, 1, moves, None, user_id, now)
                await _refresh_standing(conn, recruit_id)
        except AliasInUse:
            raise
        except Conflict as clash:  # the index caught what the check could not (a lost race)
            raise AliasInUse(alias) from clash
        return recruit_id

    async def record(
        self,
        recruit_id: int,
        moves: Sequence[Move],
        user_id: int,
        now: datetime,
        expected_batch: int,
        votes: Votes | None = None,
        also: Sequence[Rider] = (),
    ) -> None:
        """Append the moves of one step, and change the cell's roll if the step does.

        Raise StaleRecord if the person changed meanwhile. `also` rides along, as in `add`.
        """
        async with self._db.transaction(also) as conn:
            last = await _last_batch(conn, recruit_id)
            if last != expected_batch or last == 0:
                raise StaleRecord(recruit_id)
            await _insert_moves(conn, recruit_id, last + 1, moves, votes, user_id, now)
            await _refresh_standing(conn, recruit_id)
            if moves[-1].stage in TERMINAL:  # a closed record frees its alias
                await conn.execute(
                    "UPDATE recruits SET open_alias = NULL WHERE id = ?", (recruit_id,)
                )
            change = roll_change(moves)
            if change:
                source, on = moves[0].stage, moves[0].on
                await follow_step(conn, recruit_id, last + 1, source, on, change, user_id, now)

    async def record_failed_vote(
        self, recruit_id: int, vote: FailedVote, user_id: int, now: datetime, expected_batch: int,
        also: Sequence[Rider] = (),
    ) -> None:
        """Keep a vote below the share as its own batch; raise StaleRecord as `record` does."""
        async with self._db.transaction(also) as conn:
            last = await _last_batch(conn, recruit_id)
            if last != expected_batch or last == 0:
                raise StaleRecord(recruit_id)
            await conn.execute(
                "INSERT INTO recruit_moves (recruit_id, batch, stage, on_date, yes_votes,"
                " eligible_voters, failed, recorded_by, recorded_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (
                    recruit_id,
                    last + 1,
                    vote.stage.value,
                    vote.on.isoformat(),
                    vote.votes.yes,
                    vote.votes.eligible,
                    user_id,
                    timestamp(now),
                ),
            )

    async def get(self, recruit_id: int) -> Recruit | None:
        found = await self._load("r.id = ?", (recruit_id,), one_cell=True)
        return found[0] if found else None

    async def of_cell(self, cell_id: int) -> list[Recruit]:
        """Return the people of a cell, open and closed, in the order they were added."""
        return await self.of_cells([cell_id])

    async def of_cells(self, cell_ids: Sequence[int]) -> list[Recruit]:
        """Return the people of several cells (a commune's summary), in the order added."""
        if not cell_ids:
            return []
        marks = ", ".join("?" for _ in cell_ids)
        return await self._load(f"r.cell_id IN ({marks})", tuple(cell_ids),
                                one_cell=len(cell_ids) == 1)

    async def alias_in_use(self, cell_id: int, alias: str) -> bool:
        """Return whether an open record of the cell goes by `alias` (case, diacritics aside)."""
        rows = await self._db.fetch_all(
            "SELECT alias FROM recruits WHERE cell_id = ? AND open_alias IS NOT NULL", (cell_id,)
        )
        return alias_key(alias) in {alias_key(row["alias"]) for row in rows}

    async def undoable(self, user_id: int, since: datetime) -> list[Batch]:
        """Return the batches `user_id` recorded after `since` that are still a person's last."""
        rows = await self._db.fetch_all(
            "SELECT m.recruit_id, r.alias, m.batch, m.stage, m.on_date, m.recorded_at, m.failed"
            " FROM recruit_moves m JOIN recruits r ON r.id = m.recruit_id"
            " WHERE m.recorded_by = ? AND m.recorded_at >= ? AND m.undone_at IS NULL"
            " AND m.batch = (SELECT MAX(batch) FROM recruit_moves"
            "   WHERE recruit_id = m.recruit_id AND undone_at IS NULL)"
            " ORDER BY m.recorded_at DESC, m.id",
            (user_id, timestamp(since)),
        )
        batches: dict[tuple[int, int], Batch] = {}
        for row in rows:
            key = (row["recruit_id"], row["batch"])
            stage = Stage(row["stage"])
            if key in batches:
                previous = batches[key]
                batches[key] = Batch(
                    previous.recruit_id,
                    previous.alias,
                    previous.batch,
                    (*previous.stages, stage),
                    previous.on,
                    previous.recorded_at,
                    previous.adds_person,
                    previous.failed,
                )
                continue
            batches[key] = Batch(
                recruit_id=row["recruit_id"],
                alias=row["alias"],
                batch=row["batch"],
                stages=(stage,),
                on=date.fromisoformat(row["on_date"]),
                recorded_at=datetime.fromisoformat(row["recorded_at"]),
                adds_person=row["batch"] == 1,  # only a last batch is undone, so 1 is live
                failed=bool(row["failed"]),
            )
        return list(batches.values())

    async def undo(
        self, recruit_id: int, batch: int, user_id: int, now: datetime, since: datetime,
        also: Sequence[Rider] = (),
    ) -> bool:
        """Take back a batch if it is still the last, by `user_id`, recorded after `since`.

        The roll change the batch made is taken back with it (see bot.storage.roll). Raise
        AliasInUse when the undo would reopen a record whose alias another open one took since.
        `also` rides along only when something is undone.
        """
        try:
            async with self._db.transaction(also) as conn:
                if await _last_batch(conn, recruit_id) != batch:
                    raise _NothingToUndo()
                cursor = await conn.execute(
                    "UPDATE recruit_moves SET undone_at = ?, undone_by = ?"
                    " WHERE recruit_id = ? AND batch = ? AND undone_at IS NULL"
                    " AND recorded_by = ? AND recorded_at >= ?",
                    (timestamp(now), user_id, recruit_id, batch, user_id, timestamp(since)),
                )
                if cursor.rowcount == 0:
                    raise _NothingToUndo()
                await take_back(conn, recruit_id, batch, now)
                await _refresh_standing(conn, recruit_id)
                await _refresh_open_alias(conn, recruit_id)
        except _NothingToUndo:
            return False
        return True

    async def _load(
        self, where: str, params: tuple[int, ...], one_cell: bool = False
    ) -> list[Recruit]:
        # One cell's people are a few rows by index; many cells' a scan, off the loop.
        read = self._db.lookup_all if one_cell else self._db.fetch_all
        rows = await read(
            "SELECT r.id, r.cell_id, r.alias, r.birth_year, r.birth_month,"
            " m.stage, m.on_date, m.received_on, m.batch, m.failed, m.yes_votes,"
            " m.eligible_voters"
            " FROM recruits r JOIN recruit_moves m ON m.recruit_id = r.id"
            f" WHERE {where} AND m.undone_at IS NULL ORDER BY r.id, m.id",
            params,
        )
        grouped: dict[int, list[aiosqlite.Row]] = {}
        for row in rows:
            grouped.setdefault(row["id"], []).append(row)
        people = []
        for rows in grouped.values():
            first, last = rows[0], rows[-1]
            moves = [m for m in rows if not m["failed"]]
            people.append(
                Recruit(
                    id=first["id"],
                    cell_id=first["cell_id"],
                    alias=first["alias"],
                    birth=Birth(first["birth_year"], first["birth_month"]),
                    history=tuple(_move(m) for m in moves),
                    last_batch=last["batch"],
                    last_batch_moves=sum(m["batch"] == last["batch"] for m in moves),
                    failed_votes=tuple(
                        FailedVote(
                            Stage(m["stage"]),
                            date.fromisoformat(m["on_date"]),
                            Votes(m["yes_votes"], m["eligible_voters"]),
                        )
                        for m in rows
                        if m["failed"]
                    ),
                )
            )
        return people


def _move(row: aiosqlite.Row) -> Move:
    received = row["received_on"]
    return Move(
        Stage(row["stage"]),
        date.fromisoformat(row["on_date"]),
        date.fromisoformat(received) if received else None,
    )


async def _open_keys(conn: aiosqlite.Connection, cell_id: int) -> set[str]:
    """Return the keys of the cell's open aliases, folded here (older rows hold lower())."""
    cursor = await conn.execute(
        "SELECT alias FROM recruits WHERE cell_id = ? AND open_alias IS NOT NULL", (cell_id,)
    )
    return {alias_key(row["alias"]) for row in await cursor.fetchall()}


async def _refresh_standing(conn: aiosqlite.Connection, recruit_id: int) -> None:
    """Keep on the person's row their latest move in force and its stage (migration 120):
    after every move and undo (a failed vote is no move)."""
    await conn.execute(
        "UPDATE recruits SET (standing_move_id, standing_stage) = ("
        "   SELECT m.id, m.stage FROM recruit_moves m"
        "   WHERE m.recruit_id = recruits.id AND m.undone_at IS NULL AND m.failed = 0"
        "   ORDER BY m.id DESC LIMIT 1) WHERE id = ?",
        (recruit_id,),
    )


async def _refresh_open_alias(conn: aiosqlite.Connection, recruit_id: int) -> None:
    """After an undo (its standing refreshed), let the record hold its alias key exactly while
    it is open."""
    cursor = await conn.execute(
        "SELECT cell_id, alias, open_alias, standing_stage AS stage FROM recruits WHERE id = ?",
        (recruit_id,),
    )
    row = await cursor.fetchone()
    if row is None:
        return
    is_open = row["stage"] is not None and Stage(row["stage"]) not in TERMINAL
    if is_open == (row["open_alias"] is not None):
        return
    key = alias_key(row["alias"]) if is_open else None
    if key is not None and key in await _open_keys(conn, row["cell_id"]):
        raise AliasInUse(row["alias"])  # reopened, but another open record took the alias
    await conn.execute("UPDATE recruits SET open_alias = ? WHERE id = ?", (key, recruit_id))


async def _last_batch(conn: aiosqlite.Connection, recruit_id: int) -> int:
    cursor = await conn.execute(
        "SELECT MAX(batch) FROM recruit_moves WHERE recruit_id = ? AND undone_at IS NULL",
        (recruit_id,),
    )
    row = await cursor.fetchone()
    return int(row[0] or 0) if row is not None else 0


async def _insert_moves(
    conn: aiosqlite.Connection,
    recruit_id: int,
    batch: int,
    moves: Sequence[Move],
    votes: Votes | None,
    user_id: int,
    now: datetime,
) -> None:
    # The counts belong to the vote itself, the first move of a batch.
    for index, move in enumerate(moves):
        counted = votes if index == 0 else None
        await conn.execute(
            "INSERT INTO recruit_moves (recruit_id, batch, stage, on_date, received_on,"
            " yes_votes, eligible_voters, recorded_by, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                recruit_id,
                batch,
                move.stage.value,
                move.on.isoformat(),
                move.received.isoformat() if move.received else None,
                counted.yes if counted else None,
                counted.eligible if counted else None,
                user_id,
                timestamp(now),
            ),
        )
