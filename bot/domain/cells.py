"""The size of a cell against the Party Charter: too small, led by a secretary, or a committee.

A cell needs at least three full members; from nine it elects a cell committee (chi ủy)
instead of only a secretary (DOMAIN.md §1.1, §9 item 19). The numbers live in [[cells]].
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain.rulebook import Rulebook, RulebookError


class CellSize(StrEnum):
    """How the cell's full members compare with the Charter's sizes."""

    TOO_SMALL = "too_small"  # fewer full members than a cell needs
    SECRETARY = "secretary"  # a secretary (and perhaps a deputy) leads it
    COMMITTEE = "committee"  # large enough to elect a cell committee


@dataclass(frozen=True)
class CellRules:
    """The [[cells]] rules of one era."""

    min_full_members: int
    committee_full_members: int


def cell_rules_on(rulebook: Rulebook, day: date) -> CellRules:
    """Return the cell-size rules in force on `day`."""
    values = rulebook.section("cells", on=day)
    try:
        return CellRules(int(values["min_full_members"]), int(values["committee_full_members"]))
    except KeyError as exc:
        raise RulebookError(f"rulebook section [cells] has no key {exc}") from exc


def cell_size(full_members: int, rules: CellRules) -> CellSize:
    """Classify a cell by its number of full members."""
    if full_members < rules.min_full_members:
        return CellSize.TOO_SMALL
    if full_members >= rules.committee_full_members:
        return CellSize.COMMITTEE
    return CellSize.SECRETARY
