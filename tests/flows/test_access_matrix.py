"""Who may do what: every command and every button, for every kind of user (issue 16).

The commands come from the registry and the buttons from the map of every question
(tests/flows/atlas.py), so a new command or question cannot escape the matrix: it fails here
until the table below says who may use it. The table is written out by hand, from the roles
the brief gives each command, not read from the code it checks.
"""

from __future__ import annotations

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.flow import NumberStep
from bot.core.messages import Inbound, Reply
from bot.storage.database import Database
from handlers import registry
from tests.flows.atlas import PATHS, Proofs, seed_proof_world, walk
from tests.support import Clock, make_dispatcher

# The access matrix's people (tests/flows/atlas.py has the world).
STRANGER, SEC_A, SEC_B = "stranger", "sec-1", "sec-b"
COMMUNE_A, OTHER_COMMUNE, DISTRICT, ADMIN = "commune-staff", "staff-2", "staff", "admin"
MATRIX = (STRANGER, SEC_A, SEC_B, COMMUNE_A, OTHER_COMMUNE, DISTRICT, ADMIN)
SECRETARIES = {SEC_A, SEC_B}
ORGANISERS = {COMMUNE_A, OTHER_COMMUNE, DISTRICT, ADMIN}
REGISTERED = SECRETARIES | ORGANISERS

# Who may use each command (by its Vietnamese name); the stranger is told how to register.
ALLOWED: dict[str, set[str]] = {
    "start": REGISTERED,  # a greeting (the stranger: how to register, which is its answer)
    "baocao": SECRETARIES,
    "tinhhinh": REGISTERED,
    "phattrien": SECRETARIES,
    "tonghop": ORGANISERS,
    "chuabaocao": ORGANISERS,
    "xeploai": ORGANISERS,
    "xuat": ORGANISERS,
    "bieudo": REGISTERED,
    "moi": {ADMIN},
    "nhacnho": REGISTERED,
    "ngonngu": REGISTERED,
    "lienket": REGISTERED,
    "trogiup": REGISTERED,
}
# Who may read cell A (TL-01, Chi bộ ấp Xóm Chùa) by naming it.
READS_CELL_A = {SEC_A, COMMUNE_A, DISTRICT, ADMIN}
NAMED_CELL_A = {
    "/tinhhinh TL-01": READS_CELL_A,
    "/tinhhinh xom chua": READS_CELL_A,
    "/bieudo TL-01": READS_CELL_A - {SEC_A},  # a secretary's chart is /bieudo alone
}
CELL_A = "Xóm Chùa"
# What each may never see: the names of cells, communes and people outside their scope.
FOREIGN = {
    STRANGER: ("Xóm Chùa", "Chi bộ ấp Chợ", "Mỹ Thạnh", "Tân Lân", "Mỹ Lệ", "TL-0", "ML-01",
               "Cần Đước"),
    SEC_A: ("Chi bộ ấp Chợ", "TL-02", "Mỹ Thạnh", "ML-01", "Mỹ Lệ", "TBX", "MLQ"),
    SEC_B: ("Xóm Chùa", "TL-01", "Mỹ Thạnh", "ML-01", "Mỹ Lệ", "LTC", "DOS", "MLQ"),
    COMMUNE_A: ("Mỹ Thạnh", "ML-01", "Mỹ Lệ", "MLQ"),
    OTHER_COMMUNE: ("Xóm Chùa", "Chi bộ ấp Chợ", "TL-01", "TL-02", "Tân Lân", "LTC", "TBX"),
    DISTRICT: (),
    ADMIN: (),
}
REFUSED = ("This command is not available for your role.",)
REGISTER = "you need an invite code"
APOLOGY = "Sorry, something went wrong"
# The tables the bot writes; a refused tap changes none of them.
TABLES = ("meeting_reports", "meeting_report_history", "recruits", "recruit_moves", "invites",
          "cell_ratings", "data_reads", "user_roles", "reminder_settings", "user_links")


@pytest.fixture
async def proofs(db: Database, clock: Clock) -> Proofs:
    return await seed_proof_world(db, clock())


@pytest.fixture
def bot(db: Database, clock: Clock, proofs: Proofs) -> Dispatcher:
    return make_dispatcher(db, clock, locale="en")


def joined(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def ask(bot: Dispatcher, user: str, text: str) -> str:
    """Send `text` as `user`, then cancel whatever it started; return the answer."""
    answer = joined(await bot.handle(Inbound("test", user, text=text, language_code="en")))
    await bot.handle(Inbound("test", user, text="/huy", language_code="en"))
    assert answer.strip() and APOLOGY not in answer, (user, text, answer)
    return answer


def assert_no_foreign(user: str, text: str, what: str) -> None:
    leaked = [name for name in FOREIGN[user] if name in text]
    assert not leaked, f"{user} saw {leaked} after {what}:\n{text}"


async def snapshot(db: Database) -> dict[str, int]:
    counts = {table: int(await db.scalar(f"SELECT COUNT(*) FROM {table}")) for table in TABLES}
    counts["undone"] = int(await db.scalar(
        "SELECT COUNT(*) FROM recruit_moves WHERE undone_at IS NOT NULL"))
    counts["locales"] = int(await db.scalar("SELECT COUNT(*) FROM users WHERE locale IS NOT NULL"))
    return counts


def test_the_table_names_every_command_of_the_registry() -> None:
    # A new command fails here until the table says who may use it.
    assert set(ALLOWED) == {command.names[0] for command in registry().commands}


@pytest.mark.parametrize("name", sorted(ALLOWED))
async def test_every_command_is_allowed_or_refused_as_the_table_says(
    name: str, bot: Dispatcher
) -> None:
    command = registry().find(name)
    assert command is not None
    for user in MATRIX:
        for alias in command.names:  # the Vietnamese name and the English one alike
            answer = await ask(bot, user, f"/{alias}")
            assert_no_foreign(user, answer, f"/{alias}")
            if user == STRANGER:
                assert REGISTER in answer, answer
                continue
            refused = any(r in answer for r in REFUSED)
            assert refused == (user not in ALLOWED[name]), (user, alias, answer)


@pytest.mark.parametrize("text", sorted(NAMED_CELL_A))
async def test_a_cell_named_outside_ones_scope_is_not_shown(
    text: str, bot: Dispatcher, db: Database
) -> None:
    for user in MATRIX:
        before = await snapshot(db)
        answer = await ask(bot, user, text)
        assert (CELL_A in answer) == (user in NAMED_CELL_A[text]), (user, answer)
        typed = text.partition(" ")[2]
        assert_no_foreign(user, answer.replace(typed, ""), text)  # beyond the words typed
        if user not in NAMED_CELL_A[text]:
            assert await snapshot(db) == before  # not even a read recorded


def foreign_keys(proofs: Proofs) -> list[str]:
    """Keys naming objects of every cell: units, cells, people, undo batches; and junk."""
    world = proofs.world
    units = [world.district_id, world.commune_id, *world.cell_ids.values(),
             proofs.other_commune_id, proofs.other_cell_id]
    people = list(proofs.people.values())
    return [*map(str, units), *map(str, people), *(f"{p}.{b}" for p in people for b in (1, 2)),
            "0", "-1", "99999999999999999999", "x" * 64, "save", "yes", "all", "done"]


CHOICE_STEPS = sorted(PATHS)


@pytest.mark.parametrize("where", CHOICE_STEPS, ids=[".".join(k) for k in CHOICE_STEPS])
async def test_every_button_is_refused_to_everyone_else_and_forged_keys_to_its_owner(
    where: tuple[str, str], bot: Dispatcher, db: Database, proofs: Proofs
) -> None:
    path = PATHS[where]
    shown = await walk(bot, db, proofs, path)
    flow, step = where
    before = await snapshot(db)
    # Everyone else taps this question's buttons, as forged callback data would.
    for user in MATRIX:
        if user == path.user:
            continue
        for choice in shown.choices:
            tap = Inbound("test", user, choice=choice.key, token=shown.token,
                          language_code="en")
            answer = joined(await bot.handle(tap))
            assert APOLOGY not in answer and answer.strip()
            assert_no_foreign(user, answer, f"a tap on {shown.token}")
    assert await snapshot(db) == before
    # Its own user taps keys the question did not offer: another cell's objects, junk.
    offered = {c.key for c in shown.choices}
    found = registry().flow(flow)
    assert found is not None
    numbers = isinstance(found.step(step), NumberStep)  # a number tapped is a number typed
    for key in foreign_keys(proofs):
        if key in offered or (numbers and key.lstrip("-").isdigit()):
            continue
        forged = Inbound("test", path.user, choice=key, token=shown.token, language_code="en")
        replies = await bot.handle(forged)
        assert replies[-1].token.startswith(f"{flow}.{step}."), (key, joined(replies))
        assert APOLOGY not in joined(replies)
        if path.user in FOREIGN:
            assert_no_foreign(path.user, joined(replies), f"the forged key {key}")
    assert await snapshot(db) == before
