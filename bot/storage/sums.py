"""Each cell's meetings summed per month (`cell_month_sums`) and per year (`cell_year_sums`),
kept as reports are written.

Triggers (migrations 110, 130) add and take away a report's judgement in the transaction of every
write to meeting_reports, whatever the write path. They judge each meeting by the rules of its
own date and its month's deadline, as the bot wrote them into `sums_rules` and
`sums_deadlines`: the *judging*, made from the rulebook and the time zone. The summaries must
read sums judged as they would judge them, so:

- a Dispatcher marks its database with its judging (`judge_with`); `sync` writes it and
  rebuilds every sum when its fingerprint is not the stored one (another rulebook or zone, a
  database never judged): at the bot's start, and before each summary (a lookup when in sync);
- every read checks, in its own snapshot, that the stored judging of its days and months is
  the one it was given (`check`), and refuses stale sums (`StaleSums`); a read without a
  Dispatcher's judging (storage alone) judges the sums by its own period's rules
  (`sync_window`).

A later migration that changes how a meeting is judged (the view) must clear `sums_judged`:
the next sync then rebuilds the sums.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cached_property
from typing import Any
from weakref import WeakKeyDictionary

from bot.domain.meetings import MeetingKind, MeetingRules
from bot.domain.periods import FIRST_YEAR, LAST_YEAR, month_start
from bot.domain.rulebook import Rulebook
from bot.domain.summaries import RuleSpan, month_due_on, rule_spans
from bot.storage.database import Database, Params, Row, timestamp
from bot.storage.errors import StorageError
from bot.storage.meetings import _TARGET_COLUMNS as TARGET_COLUMNS

# What the summaries add up, per cell and month (the columns of cell_month_sums after its key).
SUMS = ("regular", "on_time", "meetings", "present", "expected", "attendance_judged",
        "met_attendance", "with_unexcused", "too_short", "resolutions", "disseminated_to_all",
        "with_tasks", "previous_tasks_done", "previous_tasks_total", "thematic")
_RULE_COLUMNS = ("kind", "first", "last", "threshold_num", "threshold_den", "unexcused_fails",
                 "min_minutes", "thematic", *TARGET_COLUMNS.values())
# Deadlines are written for every month a summary may ask for (a typed period's years, and
# the December before, whose thematic quarter a period never reaches back to, but whose
# report a January one may still mention).
_FIRST_MONTH, _LAST_MONTH = (FIRST_YEAR - 1) * 12, LAST_YEAR * 12 + 11


class StaleSums(StorageError):
    """The stored sums were judged with other rules or deadlines than the read's."""


Fetch = Callable[[str, Params], Awaitable[Sequence[Row]]]


@dataclass(frozen=True)
class Era:
    """The judging rules of the days `first` to `last` (inclusive): a value row per kind."""

    first: date
    last: date
    rules: tuple[tuple[Any, ...], ...]  # per MeetingKind, in order: _RULE_COLUMNS[3:]


def era_rules(rules: MeetingRules) -> tuple[tuple[Any, ...], ...]:
    """Return what the sums judge by in one era's meeting rules, per kind of meeting."""
    threshold = rules.attendance_threshold
    targets = tuple(int(t in rules.disseminate_to) for t in TARGET_COLUMNS)
    return tuple(
        (None if threshold is None else threshold.numerator,
         None if threshold is None else threshold.denominator,
         int(rules.unexcused_absence_fails), rules.min_minutes(kind) or 0,
         int(kind in rules.thematic_kinds), *targets)
        for kind in MeetingKind)


def merged(eras: Iterable[Era]) -> tuple[Era, ...]:
    """Return the eras with neighbours that judge alike made one."""
    out: list[Era] = []
    for era in eras:
        if out and out[-1].rules == era.rules and out[-1].last + timedelta(days=1) == era.first:
            out[-1] = Era(out[-1].first, era.last, era.rules)
        else:
            out.append(era)
    return tuple(out)


def clipped(eras: Iterable[Era], first: date, last: date) -> tuple[Era, ...]:
    """Return the eras cut to the days `first` to `last`."""
    return merged(Era(max(e.first, first), min(e.last, last), e.rules)
                  for e in eras if e.last >= first and e.first <= last)


def month_key(month: int) -> str:
    """Return the stored key ('YYYY-MM') of a month index."""
    return month_start(month).strftime("%Y-%m")


def moment_after(day: date, zone: tzinfo) -> str:
    """Return the stored timestamp of the first moment after `day` ends in `zone`."""
    return timestamp(datetime.combine(day + timedelta(days=1), time(), tzinfo=zone))


@dataclass(frozen=True)
class Judging:
    """Rules for every day (eras from date.min to date.max) and deadlines per month."""

    eras: tuple[Era, ...]
    deadlines: Mapping[str, str]  # 'YYYY-MM' -> the first moment its report is late

    @classmethod
    def of(cls, rulebook: Rulebook, zone: tzinfo) -> Judging:
        """Return the judging of a rulebook's [[meetings]] eras and its due days in `zone`."""
        spans = rule_spans(rulebook, date.min, date.max)
        deadlines = {month_key(m): moment_after(month_due_on(m, rulebook), zone)
                     for m in range(_FIRST_MONTH, _LAST_MONTH + 1)}
        return cls(_eras(spans), deadlines)

    @classmethod
    def of_period(cls, spans: Sequence[RuleSpan], due: Mapping[int, date],
                  zone: tzinfo) -> Judging:
        """Return the judging a read gives: its spans' rules (the first and last stretched
        to all days before and after) and the deadlines of its months."""
        stretched = [RuleSpan(date.min, spans[0].last, spans[0].rules), *spans[1:]]
        stretched[-1] = RuleSpan(stretched[-1].first, date.max, stretched[-1].rules)
        return cls(_eras(stretched),
                   {month_key(m): moment_after(day, zone) for m, day in due.items()})

    @cached_property
    def fingerprint(self) -> str:
        text = repr(([(e.first, e.last, e.rules) for e in self.eras],
                     sorted(self.deadlines.items())))
        return hashlib.sha256(text.encode()).hexdigest()

    def rule_rows(self) -> list[tuple[Any, ...]]:
        return [(kind.value, era.first.isoformat(), era.last.isoformat(), *values)
                for era in self.eras for kind, values in zip(MeetingKind, era.rules, strict=True)]


def _eras(spans: Iterable[RuleSpan]) -> tuple[Era, ...]:
    return merged(Era(s.first, s.last, era_rules(s.rules)) for s in spans)


@dataclass(frozen=True)
class Window:
    """What a read judges by: its days' rules and its months' deadlines."""

    first: date
    last: date
    judging: Judging

    @classmethod
    def of(cls, spans: Sequence[RuleSpan], due: Mapping[int, date], zone: tzinfo) -> Window:
        return cls(spans[0].first, spans[-1].last, Judging.of_period(spans, due, zone))

    async def agrees(self, fetch: Fetch) -> bool:
        """Tell whether the stored judging of the window's days and months is its own."""
        first, last = self.first.isoformat(), self.last.isoformat()
        rows = await fetch(
            f"SELECT {', '.join(_RULE_COLUMNS)} FROM sums_rules WHERE last >= ? AND first <= ?"
            " ORDER BY first, kind", (first, last))
        months = sorted(self.judging.deadlines)
        stored = await fetch(
            "SELECT month, deadline FROM sums_deadlines WHERE month BETWEEN ? AND ?",
            (months[0], months[-1]))
        given = {m: d for m, d in (tuple(r) for r in stored) if m in self.judging.deadlines}
        return (given == dict(self.judging.deadlines)
                and clipped(_stored_eras(rows), self.first, self.last)
                == clipped(self.judging.eras, self.first, self.last))


def _stored_eras(rows: Iterable[Row]) -> list[Era]:
    """Return the eras of sums_rules rows (ordered by first day, then kind)."""
    by_era: dict[tuple[str, str], dict[str, tuple[Any, ...]]] = {}
    for row in rows:
        values = tuple(row)
        by_era.setdefault((values[1], values[2]), {})[values[0]] = values[3:]
    return [Era(date.fromisoformat(first), date.fromisoformat(last),
                tuple(kinds[k.value] for k in MeetingKind))
            for (first, last), kinds in by_era.items() if len(kinds) == len(MeetingKind)]


# Judging the sums --------------------------------------------------------------------------

_REBUILD = f"""INSERT INTO cell_month_sums (cell_id, month, {', '.join(SUMS)})
    SELECT cell_id, month, {', '.join(f'SUM({c})' for c in SUMS)} FROM judged_meetings
    GROUP BY cell_id, month"""
# The years added up from the months, the thematic meetings per quarter (months 01-03…).
_QUARTERS = ("<= '03'", "BETWEEN '04' AND '06'", "BETWEEN '07' AND '09'", ">= '10'")
_REBUILD_YEARS = f"""INSERT INTO cell_year_sums
    SELECT cell_id, substr(month, 1, 4), {', '.join(f'SUM({c})' for c in SUMS[:-1])},
        {', '.join(f"SUM(CASE WHEN substr(month, 6, 2) {q} THEN thematic ELSE 0 END)"
                   for q in _QUARTERS)}
    FROM cell_month_sums GROUP BY cell_id, substr(month, 1, 4)"""


async def rejudge(db: Database, judging: Judging) -> None:
    """Write the judging and rebuild every sum by it (one pass over the reports)."""
    rules = judging.rule_rows()
    marks = ", ".join("?" for _ in _RULE_COLUMNS)
    async with db.transaction() as conn:
        cursor = await conn.execute("SELECT fingerprint FROM sums_judged")
        if (await cursor.fetchone() or [None])[0] == judging.fingerprint:
            return  # another task or process did it meanwhile
        for table in ("sums_rules", "sums_deadlines", "sums_judged", "cell_month_sums",
                      "cell_year_sums"):
            await conn.execute(f"DELETE FROM {table}")
        await conn.executemany(
            f"INSERT INTO sums_rules ({', '.join(_RULE_COLUMNS)}) VALUES ({marks})", rules)
        await conn.executemany("INSERT INTO sums_deadlines (month, deadline) VALUES (?, ?)",
                               judging.deadlines.items())
        await conn.execute(_REBUILD)
        await conn.execute(_REBUILD_YEARS)
        await conn.execute("INSERT INTO sums_judged (id, fingerprint) VALUES (1, ?)",
                           (judging.fingerprint,))


async def judged_with(db: Database) -> str | None:
    """Return the fingerprint of the judging the stored sums were made with, if any."""
    row = await db.lookup("SELECT fingerprint FROM sums_judged")
    return None if row is None else str(row[0])


async def sync_window(db: Database, window: Window) -> None:
    """Judge the sums by the window's own rules if the stored ones differ there (a read
    without a Dispatcher's judging)."""
    if not await window.agrees(db.lookup_all):
        await rejudge(db, window.judging)


async def check(fetch: Fetch, window: Window) -> None:
    """Refuse to read sums judged otherwise than the window says (in the read's snapshot)."""
    if not await window.agrees(fetch):
        raise StaleSums("the summaries' sums were judged by other rules: sync them first")


# The Dispatcher's judging of its database ---------------------------------------------------


class _Judge:
    def __init__(self, rulebook: Rulebook, zone: tzinfo):
        self.rulebook = rulebook
        self.zone = zone

    @cached_property
    def judging(self) -> Judging:  # made at the first summary: about 5 ms
        return Judging.of(self.rulebook, self.zone)


_JUDGES: WeakKeyDictionary[Database, _Judge] = WeakKeyDictionary()


def judge_with(db: Database, rulebook: Rulebook, zone: tzinfo) -> None:
    """Have the sums of `db` judged by this rulebook in this zone (by `sync`)."""
    _JUDGES[db] = _Judge(rulebook, zone)


def judged(db: Database) -> bool:
    """Tell whether a judging is set for `db` (a Dispatcher's)."""
    return db in _JUDGES


async def sync(db: Database) -> bool:
    """Rebuild the sums by the database's judging if they were made otherwise; return
    whether they were."""
    judge = _JUDGES.get(db)
    if judge is None or await judged_with(db) == judge.judging.fingerprint:
        return False
    await rejudge(db, judge.judging)
    return True
