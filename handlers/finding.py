"""Finding cells and units as people type them: one search for /tinhhinh and /moi.

    typed ─► a code ("tl-01")  ─┐
          └► words of the name ("xa tan lan", "Tân Lân"), or of a path
             ("Huyen Can Duoc/Xa Tan Lan": the unit's own name last) ─► by commune, then name

Case and diacritics do not matter. Several found are offered as a numbered list (`MATCH_STEP`),
each with the unit above it: two communes may each have an "Ấp 1".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.flow import (
    Answer,
    Ctx,
    MaybeAwaitable,
    Outcome,
    PagedChoiceStep,
    Then,
    contains_words,
    resolve,
    typed_key,
)
from bot.core.messages import Choice
from bot.domain.org import OrgUnit
from bot.domain.words import NameKey, name_order
from bot.storage.org import OrgRepository

MATCHES = "matches"  # draft key: the ids of the units found, in the order offered
MATCH_STEP = "match"
MAX_DEPTH = 12  # no tree is deeper: a loop in bad data ends here


async def cells_within(ctx: Ctx, unit_ids: Iterable[int]) -> list[OrgUnit]:
    """Return today's cells under any of the units, each once, by name."""
    org = OrgRepository(ctx.db)
    found: dict[int, OrgUnit] = {}
    for unit_id in unit_ids:
        found.update((c.id, c) for c in await org.cells_under(unit_id, ctx.today))
    return sorted(found.values(), key=lambda c: (name_order(c.name), c.id))


async def units_above(ctx: Ctx, units: Iterable[OrgUnit]) -> dict[int, OrgUnit]:
    """Return every unit above the given ones (their communes, districts…), by id."""
    org = OrgRepository(ctx.db)
    found: dict[int, OrgUnit] = {}
    wanted = {u.parent_id for u in units if u.parent_id is not None}
    while wanted:
        unit = await org.get(wanted.pop())
        if unit is not None:
            found[unit.id] = unit
            if unit.parent_id is not None and unit.parent_id not in found:
                wanted.add(unit.parent_id)
    return found


def path_of(unit: OrgUnit, above: Mapping[int, OrgUnit]) -> list[OrgUnit]:
    """Return the units from the top down to `unit` (itself last)."""
    path = [unit]
    while (parent := _parent(path[0], above)) is not None and len(path) < MAX_DEPTH:
        path.insert(0, parent)
    return path


def place_order(unit: OrgUnit, above: Mapping[int, OrgUnit]) -> tuple[NameKey, NameKey, int]:
    """Sort key: by the unit above (the commune of a cell), then by name."""
    parent = _parent(unit, above)
    return name_order("" if parent is None else parent.name), name_order(unit.name), unit.id


def _parent(unit: OrgUnit, above: Mapping[int, OrgUnit]) -> OrgUnit | None:
    return None if unit.parent_id is None else above.get(unit.parent_id)


async def search(ctx: Ctx, units: Sequence[OrgUnit], typed: str) -> list[OrgUnit]:
    """Return the units that `typed` names, by place: its code, else the words of its name
    (the last part of a path, whose earlier parts name units above it, in order)."""
    code = typed.strip().upper()
    found = [u for u in units if u.code is not None and u.code == code]
    parts = [part for part in typed.split("/") if part.strip()]
    if not found and parts:
        *upper, own = parts
        found = [u for u in units if contains_words(u.name, own)]
        if upper:
            above = await units_above(ctx, found)
            found = [u for u in found if _below_named(path_of(u, above)[:-1], upper)]
    above = await units_above(ctx, found)
    return sorted(found, key=lambda u: place_order(u, above))


def _below_named(path: list[OrgUnit], names: list[str]) -> bool:
    """Tell whether each name typed is in a unit of `path`, in the order typed."""
    units = iter(path)
    return all(any(contains_words(u.name, name) for u in units) for name in names)


def labelled(unit: OrgUnit, above: Mapping[int, OrgUnit]) -> str:
    """Name a unit with the unit above it: "Chi bộ ấp Chợ (Xã Mỹ Lệ)"."""
    parent = _parent(unit, above)
    return unit.name if parent is None else f"{unit.name} ({parent.name})"


async def match_choices(ctx: Ctx) -> list[Choice]:
    """Offer the units found, in the order found, each with the unit above it."""
    org = OrgRepository(ctx.db)
    units = [u for i in ctx.draft.get(MATCHES, []) if (u := await org.get(int(i))) is not None]
    above = await units_above(ctx, units)
    return [Choice(str(u.id), labelled(u, above)) for u in units]


def offer(ctx: Ctx, found: Sequence[OrgUnit]) -> None:
    """Keep the units found, to be offered by the match step."""
    ctx.draft[MATCHES] = [u.id for u in found]


async def ask_match(ctx: Ctx) -> str:
    org = OrgRepository(ctx.db)
    ids = ctx.draft.get(MATCHES, [])
    cells = [u for i in ids if (u := await org.get(int(i))) is not None and u.kind == "cell"]
    if len(cells) == len(ids):
        return ctx.t.plural("{n} cell matches. Which one?", "{n} cells match. Which one?",
                            len(ids))
    return ctx.t.plural("{n} unit matches. Which one?", "{n} units match. Which one?", len(ids))


def match_step(then: Then[str]) -> PagedChoiceStep:
    """The numbered list of the units found; `then` takes the chosen one's id (a string)."""
    return PagedChoiceStep(MATCH_STEP, ask_match, match_choices, then, counted=False)


@dataclass
class FindStep(PagedChoiceStep):
    """Pick one of many options, or type what to look for: text that names no option (by its
    number or the words of its label) goes to `find`, which searches further."""

    find: Callable[[Ctx, str], MaybeAwaitable[Outcome]] = field(kw_only=True)

    async def receive(self, ctx: Ctx, answer: Answer) -> Outcome:
        if answer.key is None and answer.text:
            key = await typed_key(ctx, answer.text, self.options)
            if key is None:
                ctx.draft.pop(self._page_key, None)
                return await resolve(self.find(ctx, answer.text))
            answer = Answer(answer.text, key)
        return await super().receive(ctx, answer)
