"""Why a cell's roll moved: the changes recruitment steps and org imports made to its counts.

The counts live in `org_units`; `roll_changes` keeps one row per change with its source and
date. A ceremony, a confirmation or a removal changes the roll in the same transaction as the
step (`follow_step`), unless it is dated before the roll was last set as a whole (by an import
or the secretary's correction: the person is counted there already), and an undo of the step
takes it back (`take_back`) unless an org import has reset the cell's counts since: the
administrator's figures stand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.domain.pipeline import RollChange, Stage, applicable_change, moves_roll
from bot.storage.database import Database, timestamp

IMPORT = "IMPORT"  # the source of a change made by `org import`


@dataclass(frozen=True)
class RollEntry:
    """One change of a cell's roll, as the secretary is shown it."""

    source: str  # a Stage value, or IMPORT
    on: date
    full: int
    probationary: int
    exempt: int
    alias: str | None  # the person of a recruitment step


class RollChanges:
    def __init__(self, db: Database):
        self._db = db

    async def since_last_report(self, cell_id: int) -> list[RollEntry]:
        """Return the cell's changes recorded after its last saved meeting report, oldest first."""
        rows = await self._db.lookup_all(
            "SELECT c.source, c.on_date, c.full_delta, c.probationary_delta, c.exempt_delta,"
            " r.alias FROM roll_changes c LEFT JOIN recruits r ON r.id = c.recruit_id"
            " WHERE c.cell_id = ? AND c.undone_at IS NULL AND c.recorded_at > COALESCE("
            "   (SELECT MAX(reported_at) FROM meeting_reports WHERE cell_id = ?), '')"
            " ORDER BY c.id",
            (cell_id, cell_id),
        )
        return [
            RollEntry(
                row["source"],
                date.fromisoformat(row["on_date"]),
                row["full_delta"],
                row["probationary_delta"],
                row["exempt_delta"],
                row["alias"],
            )
            for row in rows
        ]


async def follow_step(
    conn: aiosqlite.Connection,
    recruit_id: int,
    batch: int,
    source: Stage,
    on: date,
    change: RollChange,
    user_id: int,
    now: datetime,
) -> None:
    """Apply a step's change to the person's cell roll and keep it (inside the step's write).

    A step dated before the roll was last set as a whole (an import, the secretary's
    correction) is in those counts already: the roll stays as it was set.
    """
    cursor = await conn.execute(
        "SELECT o.id, o.full_members, o.probationary_members, o.roll_set_on FROM org_units o"
        " JOIN recruits r ON r.cell_id = o.id WHERE r.id = ?",
        (recruit_id,),
    )
    cell = await cursor.fetchone()
    if cell is None or not moves_roll(on, _day(cell["roll_set_on"])):
        return
    applied = applicable_change(cell["full_members"], cell["probationary_members"], change)
    if not applied:
        return
    await _shift(conn, cell["id"], applied)
    await conn.execute(
        "INSERT INTO roll_changes (cell_id, source, recruit_id, batch, on_date, full_delta,"
        " probationary_delta, exempt_delta, recorded_by, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        (
            cell["id"],
            source.value,
            recruit_id,
            batch,
            on.isoformat(),
            applied.full,
            applied.probationary,
            user_id,
            timestamp(now),
        ),
    )


async def take_back(
    conn: aiosqlite.Connection, recruit_id: int, batch: int, now: datetime
) -> None:
    """Reverse the roll change of an undone step, unless an import has reset the roll since."""
    cursor = await conn.execute(
        "SELECT c.id, c.cell_id, c.full_delta, c.probationary_delta, o.full_members,"
        " o.probationary_members, EXISTS (SELECT 1 FROM roll_changes later"
        "   WHERE later.cell_id = c.cell_id AND later.source = ? AND later.id > c.id) AS reset"
        " FROM roll_changes c JOIN org_units o ON o.id = c.cell_id"
        " WHERE c.recruit_id = ? AND c.batch = ? AND c.undone_at IS NULL",
        (IMPORT, recruit_id, batch),
    )
    change = await cursor.fetchone()
    if change is None:
        return
    await conn.execute(
        "UPDATE roll_changes SET undone_at = ? WHERE id = ?", (timestamp(now), change["id"])
    )
    if change["reset"]:
        return
    back = RollChange(-change["full_delta"], -change["probationary_delta"])
    await _shift(
        conn,
        change["cell_id"],
        applicable_change(change["full_members"], change["probationary_members"], back),
    )


async def record_import(
    conn: aiosqlite.Connection,
    cell_id: int,
    before: tuple[int, int, int],
    after: tuple[int, int, int],
    now: datetime,
) -> None:
    """Keep the counts an org import set for a cell (inside the import's write)."""
    full, probationary, exempt = (new - old for new, old in zip(after, before, strict=True))
    await conn.execute(
        "INSERT INTO roll_changes (cell_id, source, on_date, full_delta, probationary_delta,"
        " exempt_delta, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (cell_id, IMPORT, now.date().isoformat(), full, probationary, exempt, timestamp(now)),
    )


async def _shift(conn: aiosqlite.Connection, cell_id: int, change: RollChange) -> None:
    await conn.execute(
        "UPDATE org_units SET full_members = full_members + ?,"
        " probationary_members = probationary_members + ? WHERE id = ?",
        (change.full, change.probationary, cell_id),
    )


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
