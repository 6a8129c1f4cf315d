"""The org tree through time, as values: which tree a summary reads, merge files, stretches.

Units live from `valid_from` (included) to `valid_to` (excluded); a cell's parent is kept per
period, and a merged unit names the unit it became (DOMAIN.md §5.4). A summary reads each
day's own tree (`Tree.THEN`), or today's tree for every day (`Tree.TODAY`: old figures
regrouped under today's units, for a trend across a merger). Within a month the tree of the
month's end counts: a cell moved on the 15th reports the whole month to its new unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from bot.domain.org import N_, OrgCsvError, parse_file_day, table_columns
from bot.domain.periods import month_index, quarter_index
from bot.domain.words import fold


class Tree(StrEnum):
    THEN = "then"  # each day's own tree: a report rolls up to the unit of its day
    TODAY = "today"  # today's tree for every day of the period


# Words after a period that ask for today's tree: "/tonghop 2016 nay".
TODAY_WORDS = ("nay", "hien nay", "hom nay", "bay gio", "today", "now")


def split_tree(args: str) -> tuple[str, Tree]:
    """Take a trailing "nay" (today's tree) off a command's arguments."""
    folded = fold(args)
    for word in sorted(TODAY_WORDS, key=len, reverse=True):
        if folded == word or folded.endswith(" " + word):
            words = args.split()
            return " ".join(words[: len(words) - len(word.split())]), Tree.TODAY
    return args, Tree.THEN


class Merged(NamedTuple):
    """A unit merged into the scope, read as part of it in its own days."""

    name: str
    on: date  # the day it merged


def month_stretch(starts: date, ends: date) -> range:
    """Return the month indexes of a stretch [starts, ends) of days, by the month-end rule."""
    return range(month_index(starts), month_index(ends))


def quarter_stretch(starts: date, ends: date) -> range:
    """Return the quarter indexes the months of a stretch [starts, ends) touch."""
    if ends <= starts:
        return range(0)
    return range(quarter_index(starts), quarter_index(ends - timedelta(days=1)) + 1)


def overlap(first: range, second: range) -> range:
    """Return the indexes two ranges (of step 1) share."""
    return range(max(first.start, second.start), min(first.stop, second.stop))


# Merge files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeRow:
    """A line of a merge file: the unit at `old` became the unit at `new` on `on`."""

    line: int
    old: tuple[str, ...]  # names from the root
    new: tuple[str, ...]
    on: date


MERGE_HEADER = ("old_path", "new_path", "on_date")


def split_path(text: str) -> tuple[str, ...]:
    """Split "Huyện Cần Đước/Xã Tân Lân" into its names."""
    return tuple(part.strip() for part in text.split("/"))


def parse_merge_rows(rows: Sequence[Sequence[str]]) -> list[MergeRow]:
    """Check a whole merge table (header first, any column order); raise at the first bad line.

    A unit merges on one day, into one unit or (a split) several; never into itself or a unit
    inside it.
    """
    merges: list[MergeRow] = []
    days: dict[tuple[str, ...], date] = {}
    pairs: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
    for line, value in table_columns(rows, MERGE_HEADER):
        old, new = split_path(value["old_path"]), split_path(value["new_path"])
        if not all(old) or not all(new):
            raise OrgCsvError(line, N_("a path is names from the root, separated by /"))
        on = parse_file_day(value["on_date"])
        if on is None:
            raise OrgCsvError(line, N_("on_date must be a day such as 2025-07-01 or 1/7/2025"))
        if new[: len(old)] == old:
            raise OrgCsvError(line, N_("a unit cannot merge into itself or a unit inside it"))
        if (old, new) in pairs:
            raise OrgCsvError(line, N_("the same merge is already on line {other}"),
                              other=pairs[old, new])
        if days.setdefault(old, on) != on:
            raise OrgCsvError(line, N_("this unit merges on another day on an earlier line"))
        pairs[old, new] = line
        merges.append(MergeRow(line, old, new, on))
    if not merges:
        raise OrgCsvError(2, N_("the file has no merges"))
    return merges
