"""The map of questions (tests/flows/atlas.py) names every step, and each path arrives there."""

from __future__ import annotations

import pytest

from bot.storage.database import Database
from handlers import registry
from tests.flows.atlas import PATHS, seed_proof_world, walk
from tests.support import Clock, make_dispatcher


def every_step() -> set[tuple[str, str]]:
    flows = {c.flow.name: c.flow for c in registry().commands if c.flow is not None}
    for name in ("recruit_add", "recruit_step", "recruit_next", "recruit_undo"):
        found = registry().flow(name)
        assert found is not None
        flows[name] = found
    return {(flow.name, step.name) for flow in flows.values() for step in flow.steps}


def test_the_map_names_every_step_of_every_flow_and_nothing_else() -> None:
    # A new flow or step fails here until the map says how to reach it (and so the proofs do).
    assert set(PATHS) == every_step()


@pytest.mark.parametrize("where", sorted(PATHS), ids=[".".join(k) for k in sorted(PATHS)])
async def test_each_path_of_the_map_arrives_at_its_step(
    where: tuple[str, str], db: Database, clock: Clock
) -> None:
    proofs = await seed_proof_world(db, clock())
    shown = await walk(make_dispatcher(db, clock), db, proofs, PATHS[where])
    flow, step = where
    assert shown.token.startswith(f"{flow}.{step}."), (shown.token, shown.text)
