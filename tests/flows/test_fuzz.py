"""Fuzzing every question of every flow, each update delivered twice (issue 16's proof).

Each case stands a user at one question of the map (tests/flows/atlas.py), then gives it
anything: text of every kind (control and invisible characters, right-to-left, emoji, 10 000
characters, SQL and format-string look-alikes, lone surrogates), its own buttons, buttons of
earlier questions, forged callback data, files, commands with arbitrary arguments (the
summaries' periods and scopes), and days passing. Every update comes twice, with its id, as
Telegram redelivers it. The bot must always answer in words and never fail; a repeat must
change nothing; what it says it saved must be saved once; the database must stay whole.

CHIBO_FUZZ_EXAMPLES=2000 runs a longer search (the default keeps CI short).
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.dispatcher import Dispatcher
from bot.core.messages import Attachment, Inbound, InboundKind, Reply
from bot.i18n import translator
from bot.storage.database import Database
from tests.flows.atlas import PATHS, PEOPLE, inbound, seed_proof_world
from tests.proofs import note
from tests.support import Clock, make_dispatcher, vn_time

EXAMPLES = int(os.environ.get("CHIBO_FUZZ_EXAMPLES", "60"))
MOVES = 14  # at most, after the path: enough to finish most flows from anywhere
APOLOGIES = tuple(translator(locale)(msgid) for locale in ("vi", "en") for msgid in (
    "Sorry, something went wrong on our side. Your earlier answers are kept; "
    "please try again in a moment, or send /cancel to start over.",
    "Saved. Something went wrong while preparing the rest of the answer; send /help to go on.",
))
REPORT_SAVED = tuple(translator(locale)("Saved. Thank you, comrade.") for locale in ("vi", "en"))
HOSTILE = [
    "'; DROP TABLE meeting_reports; --", "1 OR 1=1", "\" OR \"\"=\"", "%s%s%s%n", "{0}", "{}",
    "{cell}", "{0.__class__}", "{ctx.db}", "${7*7}", "{{7*7}}", "%(name)s", "\\x00", "NULL",
    "None", "nan", "-0", "1e9", "0x1F", "\u202eevil\u202c", "\u202e19", "שלום עולם",
    "مرحبا بالعالم", "🙂" * 50, "👨‍👩‍👧‍👦", "\x00\x01\x1b[31mđỏ\x1b[0m", "\ud800", "a\udfffb",
    "٣", "١٩", "Ⅻ", "½", "１９", "𝟗𝟓", "２０/１１", "\u200b\u200b\u200b\u200b", "\t\n\r",
    "Đ/c Nguyễn Văn Tèo vắng vì ốm", "/", "//", "/start", "/huy", "/baocao@SoChiBoBot",
    "tất cả", "all", "0", "1 3", "back", "quay lại", "skip", "bỏ qua", "hôm nay", "31/2/2026",
    "29/2/2028", "20/11", "3/2/2026", "4/1995", "95", "1h30", "2 giờ", "19", "NVA", "TL-01",
    "ML-01", "Q4/2026", "2026", "quý 5/2026", "13/2026", "9999-99",
]
COMMANDS = ["/baocao", "/report", "/tinhhinh", "/phattrien", "/tonghop", "/chuabaocao",
            "/xeploai", "/xuat", "/bieudo", "/moi", "/nhacnho", "/ngonngu", "/lienket",
            "/trogiup", "/huy", "/start"]
CSV = ("code,year,scheme,rating,members_rated,members_excellent,members_good,"
       "members_satisfactory,members_failed\n")


def long_texts() -> st.SearchStrategy[str]:
    return st.builds(lambda piece, n: (piece * n)[:10_000],
                     st.sampled_from(["x", "9", "🙂", "\u202e", "ấ", "a\u0301\u0301\u0301", " "]),
                     st.integers(min_value=4_000, max_value=10_000))


TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(codec=None), max_size=40),  # any code point, controls included
    st.text(st.characters(categories=["Nd", "No", "Zs", "Pd", "Po"]), max_size=12),
    long_texts(),
)
FILE = st.one_of(
    st.binary(max_size=3_000),
    st.builds(lambda rows: (CSV + rows).encode(), st.text(max_size=300)),
    st.just((CSV + "TL-01,2015,2015,tsvm,19,3,15,1,0\nML-01,2015,2015,tsvm,10,1,8,1,0\n")
            .encode()),
)


@dataclass
class Tally:
    """What every case did, for the run's figures, and what it promised to have saved."""

    cases: int = 0
    updates: int = 0
    repeats: int = 0
    steps: set[tuple[str, str]] = field(default_factory=set)
    reports_acknowledged: int = 0
    invites_shown: int = 0


TOTAL = Tally()


@dataclass
class Walk:
    dispatcher: Dispatcher
    db: Database
    clock: Clock
    tally: Tally
    shown: dict[str, list[Reply]] = field(default_factory=dict)  # every question, per user
    next_id: int = 1

    def last(self, user: str) -> Reply | None:
        asked = self.shown.get(user)
        return asked[-1] if asked else None


def move_for(data: st.DataObject, walk: Walk, user: str) -> Inbound:
    """Draw what `user` sends next: mostly what the question offers, often anything."""
    shown = walk.last(user)
    kind = data.draw(st.sampled_from(
        ["follow"] * 6 + ["text"] * 3 + ["stale", "forged", "command", "file", "odd", "later"]))
    if kind == "follow" and shown is not None and shown.choices:
        choice = data.draw(st.sampled_from(shown.choices))
        how = data.draw(st.sampled_from(["tap", "tap", "number", "label"]))
        if how == "tap":
            return Inbound("test", user, choice=choice.key, token=shown.token)
        typed = str(shown.choices.index(choice) + 1) if how == "number" else choice.label
        return Inbound("test", user, text=typed)
    if kind == "stale" and len(walk.shown.get(user, [])) > 1:
        earlier = data.draw(st.sampled_from(walk.shown[user][:-1]))
        if earlier.choices:
            choice = data.draw(st.sampled_from(earlier.choices))
            return Inbound("test", user, choice=choice.key, token=earlier.token)
    if kind == "forged":
        token = shown.token if shown is not None and data.draw(st.booleans()) else data.draw(
            st.text(max_size=64))
        return Inbound("test", user, choice=data.draw(st.text(max_size=64)), token=token)
    if kind == "command":
        command = data.draw(st.sampled_from(COMMANDS))
        return Inbound("test", user, text=f"{command} {data.draw(TEXT)}")
    if kind == "file":
        attachment = Attachment(data.draw(st.sampled_from(["x.csv", "x.xlsx", "", "..\\a"])),
                                data.draw(FILE), "text/csv")
        return Inbound("test", user, text=data.draw(TEXT), attachment=attachment)
    if kind == "odd":
        odd = data.draw(st.sampled_from([InboundKind.UNREADABLE, InboundKind.EDITED,
                                         InboundKind.TOO_LARGE, InboundKind.FAILED]))
        return Inbound("test", user, kind=odd)
    if kind == "later":  # the user comes back after a while (drafts expire after 14 days)
        walk.clock.set(walk.clock() + data.draw(st.sampled_from(
            [timedelta(minutes=5), timedelta(hours=2), timedelta(days=15)])))
    return Inbound("test", user, text=data.draw(TEXT))


async def conversation_row(db: Database, user: str) -> Any:
    row = await db.fetch_one(
        "SELECT c.flow, c.step, c.draft, c.version, c.ended FROM conversations c"
        " JOIN users u ON u.id = c.user_id WHERE u.channel = 'test' AND u.user_key = ?", (user,))
    return None if row is None else tuple(row)


async def counts(db: Database) -> tuple[int, ...]:
    tables = ("meeting_reports", "meeting_report_history", "recruits", "recruit_moves",
              "invites", "cell_ratings", "cell_rating_history", "user_roles", "data_reads")
    return tuple([int(await db.scalar(f"SELECT COUNT(*) FROM {t}")) for t in tables])


async def deliver_twice(walk: Walk, message: Inbound) -> None:
    """Deliver an update, then the same again: both answered, the repeat changes nothing."""
    if message.kind is InboundKind.MESSAGE:
        message = Inbound(message.channel, message.user_key, message.text, message.choice,
                          message.token, "en", message.kind, message.attachment,
                          update_id=walk.next_id)
        walk.next_id += 1
    user = message.user_key
    replies = await walk.dispatcher.handle(message)
    check(replies, message)
    walk.tally.updates += 1
    walk.tally.reports_acknowledged += sum(r.text.startswith(REPORT_SAVED) for r in replies)
    walk.tally.invites_shown += sum(r.text.startswith("/start ") for r in replies)
    asked = [r for r in replies if r.token]
    if asked:
        walk.shown.setdefault(user, []).append(asked[-1])
        flow, step, _ = asked[-1].token.split(".")
        walk.tally.steps.add((flow, step))
    if message.update_id is None:
        return
    before = (await conversation_row(walk.db, user), await counts(walk.db))
    again = await walk.dispatcher.handle(message)  # Telegram delivers it again
    check(again, message)
    walk.tally.repeats += 1
    assert (await conversation_row(walk.db, user), await counts(walk.db)) == before, message


def check(replies: list[Reply], message: Inbound) -> None:
    """Always an answer in words, never a failure, never two buttons with one key."""
    if message.kind is InboundKind.EDITED or message.kind is InboundKind.MESSAGE:
        assert replies, message
    for reply in replies:
        assert reply.text.strip(), message
        if message.kind is not InboundKind.FAILED:  # a failed send is apologised for
            assert not reply.text.startswith(APOLOGIES), (message, reply.text)
        assert len(reply.choices) == len({c.key for c in reply.choices}), reply


async def whole(db: Database, tally: Tally, reports_before: int) -> None:
    """The database is sound, nothing half saved, and what was acknowledged is there once."""
    assert await db.scalar("PRAGMA integrity_check") == "ok"
    assert not await db.fetch_all("PRAGMA foreign_key_check")
    assert not await db.scalar(
        "SELECT COUNT(*) FROM recruits r WHERE NOT EXISTS"
        " (SELECT 1 FROM recruit_moves m WHERE m.recruit_id = r.id)")  # a person, no moves
    # Each "Saved. Thank you" is one report more than were seeded, never two.
    reports = await db.scalar("SELECT COUNT(*) FROM meeting_reports")
    assert reports == reports_before + tally.reports_acknowledged
    assert await db.scalar("SELECT COUNT(*) FROM invites") == tally.invites_shown


async def run_case(data: st.DataObject, where: tuple[str, str], moves: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "fuzz.sqlite3")
        try:
            clock = Clock(vn_time(2026, 11, 27, 20, 30))
            proofs = await seed_proof_world(db, clock())
            walk = Walk(make_dispatcher(db, clock, locale="en"), db, clock, Tally())
            path = PATHS[where]
            if path.seed is not None:
                await path.seed(db, proofs)
            reports_before = int(await db.scalar("SELECT COUNT(*) FROM meeting_reports"))
            for answer in path.answers:
                await deliver_twice(walk, inbound(path.user, answer, walk.last(path.user)))
            for _ in range(moves):
                # Mostly the user at the question; now and then anyone else, at anything.
                user = path.user if data.draw(st.integers(0, 4)) else data.draw(
                    st.sampled_from(PEOPLE))
                await deliver_twice(walk, move_for(data, walk, user))
                walk.clock.set(walk.clock() + timedelta(seconds=30))
            await whole(db, walk.tally, reports_before)
        finally:
            await db.close()
    TOTAL.cases += 1
    TOTAL.updates += walk.tally.updates
    TOTAL.repeats += walk.tally.repeats
    TOTAL.steps |= walk.tally.steps


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data(), st.sampled_from(sorted(PATHS)), st.integers(min_value=1, max_value=MOVES))
def fuzz(data: st.DataObject, where: tuple[str, str], moves: int) -> None:
    asyncio.run(run_case(data, where, moves))


class Errors(logging.Handler):
    """Keep every error the bot logs: a failure it answered politely is still a failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


@pytest.mark.timeout(120 + EXAMPLES)  # about a tenth of a second a case, and room to spare
def test_anything_at_any_question_gets_an_answer_and_leaves_the_database_whole() -> None:
    errors = Errors()
    logging.getLogger().addHandler(errors)
    try:
        fuzz()
    finally:
        logging.getLogger().removeHandler(errors)
    note("fuzzing", f"{TOTAL.cases:,} cases from {len(PATHS)} questions, {TOTAL.updates:,} "
                    f"updates ({TOTAL.repeats:,} of them delivered twice), "
                    f"{len(TOTAL.steps)} questions reached (CHIBO_FUZZ_EXAMPLES={EXAMPLES})")
    assert errors.seen == []
    assert TOTAL.cases >= EXAMPLES  # hypothesis ran them all (none skipped as invalid)
