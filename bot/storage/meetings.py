"""Meeting reports: save, find the month's regular report, replace it with an audit trail."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import aiosqlite

from bot.domain.meetings import (
    MASS_ORGANISATIONS,
    Dissemination,
    MeetingKind,
    MeetingReport,
    Roll,
)
from bot.storage.database import Database, Rider, Row, timestamp
from bot.storage.errors import Conflict, NotFound

# Column of each dissemination target: plain flags keep district summaries simple SQL.
_TARGET_COLUMNS = {
    Dissemination.HAMLET_BOARD: "to_hamlet_board",
    Dissemination.FATHERLAND_FRONT: "to_fatherland_front",
    Dissemination.WOMENS_UNION: "to_womens_union",
    Dissemination.FARMERS_UNION: "to_farmers_union",
    Dissemination.VETERANS: "to_veterans",
    Dissemination.YOUTH_UNION: "to_youth_union",
}
_COLUMNS = (
    "id, cell_id, held_on, kind, regular_month, topic, minutes, expected, present, excused,"
    f" resolution_adopted, tasks, {', '.join(_TARGET_COLUMNS.values())}, note,"
    " previous_tasks_done, previous_tasks_total, upper_guest, reported_by, reported_at"
)


class MonthAlreadyReported(Conflict):
    """The cell already has a regular meeting report for that month."""

    def __init__(self, existing: StoredReport):
        super().__init__(f"cell {existing.report.cell_id} already reported {existing.month}")
        self.existing = existing


@dataclass(frozen=True)
class StoredReport:
    """A saved report with who saved it and when."""

    id: int
    report: MeetingReport
    regular: bool  # counts as its month's regular meeting
    reported_by: int | None
    reported_at: datetime

    @property
    def month(self) -> str:
        """Return the month of the meeting as YYYY-MM."""
        return self.report.held_on.strftime("%Y-%m")


@dataclass(frozen=True)
class ReplacedVersion:
    """An earlier version of a report: who replaced it, when, and what it said."""

    report_id: int
    replaced_by: int | None
    replaced_at: datetime
    old: StoredReport


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _values(
    report: MeetingReport, regular: bool, by_user: int | None, at: datetime
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "cell_id": report.cell_id,
        "held_on": report.held_on.isoformat(),
        "kind": report.kind.value,
        "regular_month": _month(report.held_on) if regular else None,
        "topic": report.topic,
        "minutes": report.minutes,
        "expected": report.expected,
        "present": report.present,
        "excused": report.excused,
        "resolution_adopted": int(report.resolution_adopted),
        "tasks": report.tasks,
        "note": report.note,
        "previous_tasks_done": report.previous_tasks_done,
        "previous_tasks_total": report.previous_tasks_total,
        "upper_guest": None if report.upper_guest is None else int(report.upper_guest),
        "reported_by": by_user,
        "reported_at": timestamp(at),
    }
    for target, column in _TARGET_COLUMNS.items():
        values[column] = int(target in report.disseminated_to)
    return values


def _stored(row: aiosqlite.Row | dict[str, Any]) -> StoredReport:
    if isinstance(row, dict) and "to_mass_orgs" in row:  # a version saved before migration 010
        row = _before_010(row)
    guest = row["upper_guest"]
    report = MeetingReport(
        cell_id=row["cell_id"],
        held_on=date.fromisoformat(row["held_on"]),
        kind=MeetingKind(row["kind"]),
        topic=row["topic"],
        minutes=row["minutes"],
        expected=row["expected"],
        present=row["present"],
        excused=row["excused"],
        resolution_adopted=bool(row["resolution_adopted"]),
        tasks=row["tasks"],
        disseminated_to=_targets(tuple(row[column] for column in _TARGET_COLUMNS.values())),
        note=row["note"],
        previous_tasks_done=row["previous_tasks_done"],
        previous_tasks_total=row["previous_tasks_total"],
        upper_guest=None if guest is None else bool(guest),
    )
    return StoredReport(
        id=row["id"],
        report=report,
        regular=row["regular_month"] is not None,
        reported_by=row["reported_by"],
        reported_at=datetime.fromisoformat(row["reported_at"]),
    )


@cache  # 2**6 sets at most, shared by every report read
def _targets(flags: tuple[int, ...]) -> frozenset[Dissemination]:
    """Return the bodies a report passed its resolution on to, from its target columns."""
    return frozenset(t for t, flag in zip(_TARGET_COLUMNS, flags, strict=True) if flag)


def _before_010(old: dict[str, Any]) -> dict[str, Any]:
    """Read an old version kept in the history as migration 010 read the rows themselves."""
    row = {k: v for k, v in old.items() if k != "to_mass_orgs"}
    for target in MASS_ORGANISATIONS:
        row[_TARGET_COLUMNS[target]] = old["to_mass_orgs"]
    return {"previous_tasks_done": None, "previous_tasks_total": None, "upper_guest": None, **row}


class MeetingRepository:
    """The meeting reports of every cell."""

    def __init__(self, db: Database):
        self._db = db

    async def save(
        self,
        report: MeetingReport,
        *,
        regular: bool,
        by_user: int | None,
        at: datetime,
        roll: Roll | None = None,
        also: Sequence[Rider] = (),
    ) -> int:
        """Save a new report (and the corrected roll, if any); return its id.

        Raise MonthAlreadyReported when `regular` and the month already has its report; the
        riders (the end of the conversation) are committed with it, or it is refused (Stale).
        """
        if regular and (existing := await self.regular_of_month(report.cell_id, report.held_on)):
            raise MonthAlreadyReported(existing)
        # First arrival: a later replace() keeps it, so a correction does not make it late.
        values = {**_values(report, regular, by_user, at), "received_at": timestamp(at)}
        columns = ", ".join(values)
        placeholders = ", ".join(f":{c}" for c in values)
        insert = f"INSERT INTO meeting_reports ({columns}) VALUES ({placeholders}) RETURNING id"
        inserted: Row | None
        try:
            if roll is None:  # one statement (and its riders), written at once
                [inserted] = await self._db.write(insert, values, also)
            else:
                async with self._db.transaction(also) as conn:
                    cursor = await conn.execute(insert, values)
                    inserted = await cursor.fetchone()
                    await _set_roll(conn, report.cell_id, roll, at.date())
        except Conflict:
            # Someone saved the month between our check and our insert.
            existing = await self.regular_of_month(report.cell_id, report.held_on)
            if regular and existing is not None:
                raise MonthAlreadyReported(existing) from None
            raise
        assert inserted is not None
        return int(inserted["id"])

    async def replace(
        self,
        report_id: int,
        report: MeetingReport,
        *,
        regular: bool,
        by_user: int | None,
        at: datetime,
        roll: Roll | None = None,
        also: Sequence[Rider] = (),
    ) -> None:
        """Overwrite a report, keeping its old values, the replacer and the time in history."""
        values = _values(report, regular, by_user, at)
        assignments = ", ".join(f"{c} = :{c}" for c in values)
        async with self._db.transaction(also) as conn:
            cursor = await conn.execute(
                f"SELECT {_COLUMNS} FROM meeting_reports WHERE id = ?", (report_id,)
            )
            old = await cursor.fetchone()
            if old is None:
                raise NotFound(f"no meeting report {report_id}")
            await conn.execute(
                "INSERT INTO meeting_report_history (report_id, replaced_by, replaced_at,"
                " old_values) VALUES (?, ?, ?, ?)",
                (report_id, by_user, timestamp(at), json.dumps(dict(old), ensure_ascii=False)),
            )
            await conn.execute(
                f"UPDATE meeting_reports SET {assignments} WHERE id = :id",
                {**values, "id": report_id},
            )
            if roll is not None:
                await _set_roll(conn, report.cell_id, roll, at.date())

    async def regular_of_month(self, cell_id: int, day: date) -> StoredReport | None:
        """Return the regular meeting report of the cell for the month of `day`, if any."""
        row = await self._db.lookup(
            f"SELECT {_COLUMNS} FROM meeting_reports WHERE cell_id = ? AND regular_month = ?",
            (cell_id, _month(day)),
        )
        return None if row is None else _stored(row)

    async def get(self, report_id: int) -> StoredReport | None:
        """Return one report by id."""
        row = await self._db.lookup(
            f"SELECT {_COLUMNS} FROM meeting_reports WHERE id = ?", (report_id,)
        )
        return None if row is None else _stored(row)

    async def for_year(self, cell_id: int, year: int) -> list[MeetingReport]:
        """Return the cell's current reports of a year, in the order they were last saved."""
        stored = await self.between([cell_id], date(year, 1, 1), date(year, 12, 31))
        return [s.report for s in stored]

    async def latest(self, cell_id: int) -> StoredReport | None:
        """Return the cell's most recent meeting: by its date, then by when it was saved.

        A replaced report keeps its id, so the id says nothing about when it was saved.
        """
        row = await self._db.lookup(
            f"SELECT {_COLUMNS} FROM meeting_reports WHERE cell_id = ?"
            " ORDER BY held_on DESC, reported_at DESC, id DESC LIMIT 1",
            (cell_id,),
        )
        return None if row is None else _stored(row)

    async def latest_notes(self, cell_id: int, most: int = 3) -> list[tuple[date, str]]:
        """Return the notes of the cell's latest reports that have one, newest first."""
        rows = await self._db.fetch_all(
            "SELECT held_on, note FROM meeting_reports WHERE cell_id = ? AND note IS NOT NULL"
            " ORDER BY held_on DESC, reported_at DESC, id DESC LIMIT ?",
            (cell_id, most),
        )
        return [(date.fromisoformat(r["held_on"]), r["note"]) for r in rows]

    async def between(
        self, cell_ids: Sequence[int], first: date, last: date
    ) -> list[StoredReport]:
        """Return the current reports of the cells held from `first` to `last` inclusive,
        in the order they were (last) saved."""
        if not cell_ids:
            return []
        marks = ", ".join("?" for _ in cell_ids)
        # One cell's reports are a few rows by index; many cells' a scan, off the loop.
        read = self._db.lookup_all if len(cell_ids) == 1 else self._db.fetch_all
        rows = await read(
            f"SELECT {_COLUMNS} FROM meeting_reports WHERE cell_id IN ({marks})"
            " AND held_on BETWEEN ? AND ? ORDER BY reported_at, id",
            (*cell_ids, first.isoformat(), last.isoformat()),
        )
        return [_stored(r) for r in rows]

    async def history(self, report_id: int) -> list[ReplacedVersion]:
        """Return the replaced versions of a report, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT report_id, replaced_by, replaced_at, old_values FROM meeting_report_history"
            " WHERE report_id = ? ORDER BY id",
            (report_id,),
        )
        return [
            ReplacedVersion(
                report_id=r["report_id"],
                replaced_by=r["replaced_by"],
                replaced_at=datetime.fromisoformat(r["replaced_at"]),
                old=_stored(json.loads(r["old_values"])),
            )
            for r in rows
        ]

    async def update_roll(self, cell_id: int, roll: Roll, on: date) -> None:
        """Correct the cell's roll (full, probationary, exempt members) as of the day `on`."""
        async with self._db.transaction() as conn:
            await _set_roll(conn, cell_id, roll, on)


async def _set_roll(conn: aiosqlite.Connection, cell_id: int, roll: Roll, on: date) -> None:
    """Set the roll as the secretary corrected it on `on`: the steps before are in it."""
    cursor = await conn.execute(
        "UPDATE org_units SET full_members = ?, probationary_members = ?, exempt_members = ?,"
        " roll_set_on = ? WHERE id = ? AND kind = 'cell'",
        (roll.full, roll.probationary, roll.exempt, on.isoformat(), cell_id),
    )
    if cursor.rowcount != 1:
        raise NotFound(f"no cell {cell_id}")
