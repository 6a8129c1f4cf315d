"""Zalo as the reminders' Sender: ready to send without polling (`remind` beside `run`), and a
chat Zalo refuses (blocked, gone) is Unreachable, which marks the user; other errors are not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_api import ZaloError
from bot.config import ConfigError, ZaloSettings
from bot.core.messages import Reply
from bot.core.outbound import Undeliverable, Unreachable
from bot.storage.database import Database
from bot.storage.zalo import ZaloLedger
from tests.support import Clock, World, make_dispatcher
from tests.zalo_fake import ZaloFake, zalo_id

TOKEN = "1459232241454765289:ZaloRemindersSecret-NeverInLogs"
SECRETARY = zalo_id(301)


@pytest.fixture
def fake() -> Iterator[ZaloFake]:
    with ZaloFake(TOKEN, poll_seconds=0.2) as server:
        yield server


def channel_on(fake: ZaloFake, db: Database, clock: Clock, token: str = TOKEN) -> ZaloChannel:
    return ZaloChannel(make_dispatcher(db, clock), ZaloSettings(token, fake.url), ZaloLedger(db),
                       clock)


async def test_a_channel_opened_for_sending_sends_without_polling(
    fake: ZaloFake, db: Database, clock: Clock, world: World
) -> None:
    channel = channel_on(fake, db, clock)
    mark = fake.mark()
    async with channel.sending():
        await channel.send(SECRETARY, [Reply("Nhắc việc: báo cáo tháng 11")])
    assert [c.params.get("text") for c in fake.calls_of("sendMessage", mark)] == [
        "Nhắc việc: báo cáo tháng 11"]
    assert fake.calls_of("getUpdates", mark) == []  # the running bot's updates stay its own
    with pytest.raises(Undeliverable):  # closed again
        await channel.send(SECRETARY, [Reply("Nhắc việc")])


@pytest.mark.parametrize(
    ("code", "refused"),
    [
        (403, True),  # the user blocked the bot
        (404, True),  # no such chat
        (500, False),  # Zalo's trouble, not the user's: tried again at the next round
    ],
)
async def test_a_chat_zalo_refuses_is_unreachable_and_its_trouble_is_not(
    fake: ZaloFake, db: Database, clock: Clock, world: World, code: int, refused: bool
) -> None:
    channel = channel_on(fake, db, clock)
    async with channel.sending():
        for _ in range(3):  # a 5xx is tried again by the client: fail every try
            fake.fail_next("sendMessage", code, "refused")
        with pytest.raises((Undeliverable, ZaloError)) as failure:
            await channel.send(SECRETARY, [Reply("Nhắc việc")])
    assert isinstance(failure.value, Unreachable) is refused


async def test_a_refused_token_is_named_when_opening_for_sending(
    fake: ZaloFake, db: Database, clock: Clock
) -> None:
    channel = channel_on(fake, db, clock, token="1459232241454765289:wrong")
    with pytest.raises(ConfigError, match="ZALO_BOT_TOKEN"):
        async with channel.sending():
            pass
