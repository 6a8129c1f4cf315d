"""The rulebook: thresholds, deadlines and schemes with the dates they were in force.

Each section of the TOML is a list of eras ordered by `effective_from`. An era inherits every
key of the era before it and overrides what it names, so a rule change only lists what changed.
Reports are judged by the era in force on the day they describe, not by today's rules.

`[policy]` is apart from the Party's rules: the bot's own choices (how long an undo stays
open, what "ending soon" means). It is one table with no eras.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any


class RulebookError(ValueError):
    """The rulebook file is unreadable or inconsistent."""


@dataclass(frozen=True)
class Era:
    effective_from: date
    values: Mapping[str, Any]


class Rulebook:
    """Look up the rules of a section as they stood on a date."""

    def __init__(
        self,
        sections: Mapping[str, list[Era]],
        extra_holidays: frozenset[date],
        policy: Mapping[str, Any] | None = None,
    ):
        self._sections = sections
        self.extra_holidays = extra_holidays
        self._policy = dict(policy or {})

    def section(self, name: str, on: date) -> Mapping[str, Any]:
        """Return the merged values of section `name` in force on `on`."""
        eras = self._sections.get(name)
        if not eras:
            raise RulebookError(f"rulebook has no section [{name}]")
        merged: dict[str, Any] = {}
        for era in eras:
            if era.effective_from > on:
                break
            merged.update(era.values)
        if not merged:
            merged.update(eras[0].values)  # before the first era: the oldest rules we know
        return merged

    def era_starts(self, name: str) -> list[date]:
        """Return the days on which the rules of section `name` changed, oldest first."""
        return [era.effective_from for era in self._sections.get(name, [])]

    def value(self, section: str, key: str, on: date) -> Any:
        values = self.section(section, on)
        if key not in values:
            raise RulebookError(f"rulebook section [{section}] has no key {key!r}")
        return values[key]

    def policy(self, key: str) -> Any:
        """Return one of the bot's own policies (not a Party rule, so without eras)."""
        if key not in self._policy:
            raise RulebookError(f"rulebook section [policy] has no key {key!r}")
        return self._policy[key]

    @classmethod
    def default(cls) -> Rulebook:
        text = resources.files("bot").joinpath("rules.toml").read_text(encoding="utf-8")
        return cls.from_mappings([_parse(text, "bot/rules.toml")])

    @classmethod
    def load(cls, override: Path | None = None) -> Rulebook:
        """Return the shipped rules, with the eras of `override` added or replacing same dates."""
        text = resources.files("bot").joinpath("rules.toml").read_text(encoding="utf-8")
        layers = [_parse(text, "bot/rules.toml")]
        if override is not None:
            try:
                layers.append(_parse(override.read_text(encoding="utf-8"), str(override)))
            except OSError as exc:
                raise RulebookError(f"cannot read rulebook {override}: {exc.strerror}") from exc
        return cls.from_mappings(layers)

    @classmethod
    def from_mappings(cls, layers: Sequence[Mapping[str, Any]]) -> Rulebook:
        by_section: dict[str, dict[date, dict[str, Any]]] = {}
        holidays: set[date] = set()
        policy: dict[str, Any] = {}
        for layer in layers:
            for name, body in layer.items():
                if name == "policy":
                    if not isinstance(body, dict):
                        raise RulebookError("[policy] must be one table, not a list of eras")
                    policy.update(body)
                    continue
                if name == "calendar":
                    holidays.update(_dates(body.get("extra_holidays", []), "extra_holidays"))
                    continue
                if not isinstance(body, list):
                    raise RulebookError(f"[{name}] must be a list of eras ([[{name}]])")
                for era in body:
                    start = era.get("effective_from")
                    if not isinstance(start, date):
                        raise RulebookError(f"every [[{name}]] needs effective_from = YYYY-MM-DD")
                    values = {k: v for k, v in era.items() if k != "effective_from"}
                    by_section.setdefault(name, {}).setdefault(start, {}).update(values)
        sections = {
            name: [Era(start, eras[start]) for start in sorted(eras)]
            for name, eras in by_section.items()
        }
        return cls(sections, frozenset(holidays), policy)


def _parse(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulebookError(f"{origin} is not valid TOML: {exc}") from exc


def _dates(values: Any, key: str) -> list[date]:
    if not isinstance(values, list) or not all(isinstance(v, date) for v in values):
        raise RulebookError(f"{key} must be a list of dates (YYYY-MM-DD)")
    return list(values)
