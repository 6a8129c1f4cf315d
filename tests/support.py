"""Test harness: an in-memory chat transport, a fixed clock, a small seeded org."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.dispatcher import Dispatcher
from bot.core.messages import Attachment, Inbound, Reply
from bot.core.outbound import Undeliverable, Unreachable
from bot.domain.meetings import ALL_TARGETS, MeetingKind, MeetingReport
from bot.domain.org import CellRow, Role
from bot.domain.rulebook import Rulebook
from bot.storage.database import Database
from bot.storage.org import OrgRepository
from bot.storage.users import UserRepository
from handlers import registry

VN = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock:
    """A settable clock: tests move time on with `set` and never sleep."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment


def vn_time(year: int, month: int, day: int, hour: int = 20, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


def make_dispatcher(db: Database, clock: Clock, locale: str = "vi") -> Dispatcher:
    return Dispatcher(db, Rulebook.default(), registry(), VN, locale, clock)


@dataclass
class Chat:
    """One user's chat with the bot through the dispatcher, as a transport would see it."""

    dispatcher: Dispatcher
    user_key: str
    channel: str = "test"
    language_code: str | None = None
    replies: list[Reply] = field(default_factory=list)

    async def send(self, text: str) -> list[Reply]:
        inbound = Inbound(self.channel, self.user_key, text=text,
                          language_code=self.language_code)
        return await self._deliver(inbound)

    async def send_file(self, filename: str, data: bytes, mime_type: str = "text/csv",
                        caption: str = "") -> list[Reply]:
        """Send a document, as a channel passes one on."""
        inbound = Inbound(self.channel, self.user_key, text=caption,
                          language_code=self.language_code,
                          attachment=Attachment(filename, data, mime_type))
        return await self._deliver(inbound)

    async def tap(self, key: str) -> list[Reply]:
        """Tap the choice `key` on the last prompt that had choices."""
        prompt = next((r for r in reversed(self.replies) if r.choices), None)
        assert prompt is not None, "no prompt with buttons to tap"
        assert key in {c.key for c in prompt.choices}, f"{key!r} not in {prompt.choices}"
        inbound = Inbound(self.channel, self.user_key, choice=key, token=prompt.token,
                          language_code=self.language_code)
        return await self._deliver(inbound)

    async def _deliver(self, inbound: Inbound) -> list[Reply]:
        replies = await self.dispatcher.handle(inbound)
        self.replies.extend(replies)
        return replies

    @property
    def last(self) -> Reply:
        return self.replies[-1]

    @property
    def last_text(self) -> str:
        return self.replies[-1].text


class RecordingSender:
    """A channel's Sender that records each message; some chats refuse, some fail once."""

    def __init__(self, name: str = "test"):
        self.name = name
        self.sent: list[tuple[str, str]] = []  # (user key, text)
        self.blocked: set[str] = set()
        self.failing: set[str] = set()  # fail the next send to these, once

    async def send(self, user_key: str, replies: Sequence[Reply]) -> None:
        if user_key in self.blocked:
            raise Unreachable("blocked the bot")
        if user_key in self.failing:
            self.failing.discard(user_key)
            raise Undeliverable("the channel is not running")
        self.sent.extend((user_key, reply.text) for reply in replies)

    def to(self, user_key: str) -> list[str]:
        return [text for key, text in self.sent if key == user_key]


@dataclass(frozen=True)
class World:
    """Ids of a small seeded org: one district, one commune, two cells."""

    district_id: int
    commune_id: int
    cell_ids: dict[str, int]


DISTRICT = "Huyện Cần Đước"
COMMUNE = "Xã Tân Lân"


async def seed_world(db: Database, now: datetime) -> World:
    """Create two cells and users: sec-1 (TL-01), sec-2 (TL-01 and TL-02), staff, admin."""
    org = OrgRepository(db)
    await org.import_cells([
        CellRow(2, (DISTRICT, COMMUNE, "Chi bộ ấp Xóm Chùa"), "TL-01", 18, 2, 1),
        CellRow(3, (DISTRICT, COMMUNE, "Chi bộ ấp Chợ"), "TL-02", 12, 0, 0),
    ], at=now)
    district = await org.by_path([DISTRICT])
    commune = await org.by_path([DISTRICT, COMMUNE])
    cells = {code: (await org.by_code(code)) for code in ("TL-01", "TL-02")}
    assert district and commune and all(cells.values())
    cell_ids = {code: unit.id for code, unit in cells.items() if unit}
    users = UserRepository(db)
    grants = [
        ("sec-1", Role.SECRETARY, cell_ids["TL-01"]),
        ("sec-2", Role.SECRETARY, cell_ids["TL-01"]),
        ("sec-2", Role.SECRETARY, cell_ids["TL-02"]),
        ("staff", Role.STAFF, district.id),
        ("commune-staff", Role.STAFF, commune.id),
        ("admin", Role.ADMIN, district.id),
    ]
    for key, role, unit_id in grants:
        user_id = await users.ensure("test", key, now)
        await users.grant(user_id, role, unit_id, now)
    return World(district.id, commune.id, cell_ids)


async def user_id(db: Database, key: str, channel: str = "test") -> int:
    """Return the id of a seeded user ("sec-1", "staff"…)."""
    user = await UserRepository(db).find(channel, key)
    assert user is not None
    return user.id


def sample_meeting(**changes: Any) -> MeetingReport:
    """Return a sound regular meeting of 20 expected members; tests change what they test."""
    base = MeetingReport(
        cell_id=7,
        held_on=date(2026, 11, 20),
        kind=MeetingKind.REGULAR,
        topic=None,
        minutes=95,
        expected=20,
        present=19,
        excused=1,
        resolution_adopted=True,
        tasks=2,
        disseminated_to=ALL_TARGETS,
        note=None,
    )
    return replace(base, **changes)
