"""The rulebook: thresholds, deadlines and schemes with the dates they were in force.

Each Party-rule section of the TOML is a list of eras ordered by `effective_from`. An era
inherits every key of the era before it and overrides what it names, so a rule change only
lists what changed. Reports are judged by the era in force on the day they describe, not by
today's rules. Flat tables stand apart: `[calendar]` (the holiday calendar), `[policy]` and
`[reminders]` (the bot's own choices, which always apply as they stand today).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

import holidays

FLAT_SECTIONS = ("calendar", "policy", "reminders")
T = TypeVar("T")


class RulebookError(ValueError):
    """The rulebook file is unreadable or inconsistent."""


@dataclass(frozen=True)
class Era:
    effective_from: date
    values: Mapping[str, Any]


@dataclass(frozen=True)
class CalendarSettings:
    """The holiday calendar behind working days: whose holidays, from when, and corrections."""

    country: str  # ISO code the `holidays` package knows, e.g. "VN"
    first_year: int  # the oldest year whose holidays are loaded
    extra_holidays: frozenset[date]  # days off the package does not know
    removed_holidays: frozenset[date]  # days the package lists that were worked after all
    working_days: frozenset[date]  # weekend days worked to make up for a bridged holiday

    @classmethod
    def from_table(cls, values: Mapping[str, Any]) -> CalendarSettings:
        """Build the settings from the merged [calendar] table."""
        try:
            country, first_year = values["country"], values["first_year"]
        except KeyError as exc:
            raise RulebookError(f"rulebook section [calendar] has no key {exc}") from exc
        if not isinstance(country, str) or not isinstance(first_year, int):
            raise RulebookError("[calendar] country must be a code and first_year a year")
        if country not in _holiday_countries():
            raise RulebookError(f"[calendar] country {country!r} is not a country code the "
                                f"holidays package knows (Vietnam is \"VN\")")
        return cls(
            country=country,
            first_year=first_year,
            extra_holidays=_dates(values, "extra_holidays"),
            removed_holidays=_dates(values, "removed_holidays"),
            working_days=_dates(values, "working_days"),
        )


class Rulebook:
    """Look up the rules of a section as they stood on a date, and today's bot policies."""

    def __init__(self, sections: Mapping[str, list[Era]], flat: Mapping[str, Mapping[str, Any]]):
        self._sections = sections
        self._flat = flat
        self._parsed: dict[tuple[str, int, Callable[..., Any]], Any] = {}

    @cached_property
    def calendar(self) -> CalendarSettings:
        """Return the holiday calendar settings of the [calendar] table."""
        return CalendarSettings.from_table(self._flat.get("calendar", {}))

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

    def parsed(self, name: str, on: date, parse: Callable[[Mapping[str, Any]], T]) -> T:
        """Return `parse` of section `name` in force on `on`, parsed once per era.

        A rulebook never changes, and a standing asks for the same era's rules many times.
        """
        in_force = sum(era.effective_from <= on for era in self._sections.get(name, ()))
        key = (name, in_force, parse)
        if key not in self._parsed:
            self._parsed[key] = parse(self.section(name, on))
        return cast(T, self._parsed[key])

    def era_starts(self, name: str) -> list[date]:
        """Return the days on which the rules of section `name` changed, oldest first."""
        return [era.effective_from for era in self._sections.get(name, [])]

    def value(self, section: str, key: str, on: date) -> Any:
        values = self.section(section, on)
        if key not in values:
            raise RulebookError(f"rulebook section [{section}] has no key {key!r}")
        return values[key]

    def policy(self, key: str) -> Any:
        """Return a bot policy of the [policy] table (not a Party rule: it has no eras)."""
        policy = self._flat.get("policy", {})
        if key not in policy:
            raise RulebookError(f"rulebook section [policy] has no key {key!r}")
        return policy[key]

    def table(self, name: str) -> Mapping[str, Any]:
        """Return a flat table (`[reminders]`…) as merged from the shipped file and overrides."""
        return self._flat.get(name, {})

    @classmethod
    def default(cls) -> Rulebook:
        return cls.load(None)

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
        rules = cls.from_mappings(layers)
        rules.calendar  # noqa: B018  (a broken [calendar] stops the start, not a later deadline)
        return rules

    @classmethod
    def from_mappings(cls, layers: Sequence[Mapping[str, Any]]) -> Rulebook:
        """Merge layers (the shipped file first); flat tables merge key by key."""
        by_section: dict[str, dict[date, dict[str, Any]]] = {}
        flat: dict[str, dict[str, Any]] = {name: {} for name in FLAT_SECTIONS}
        for layer in layers:
            for name, body in layer.items():
                if name in FLAT_SECTIONS:
                    if not isinstance(body, Mapping):
                        raise RulebookError(f"[{name}] must be a table, not a list of eras")
                    flat[name].update(body)
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
        return cls(sections, flat)


def _parse(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulebookError(f"{origin} is not valid TOML: {exc}") from exc


@cache
def _holiday_countries() -> frozenset[str]:
    """Return the country codes (ISO alpha-2 and alpha-3) with a holiday calendar."""
    return frozenset(holidays.list_supported_countries(include_aliases=True))


def _dates(values: Mapping[str, Any], key: str) -> frozenset[date]:
    days = values.get(key, [])
    if not isinstance(days, list) or not all(isinstance(v, date) for v in days):
        raise RulebookError(f"[calendar] {key} must be a list of dates (YYYY-MM-DD)")
    return frozenset(days)
