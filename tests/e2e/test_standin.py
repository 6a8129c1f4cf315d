"""The stand-in itself, driven by python-telegram-bot's real HTTP client (in-process)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, InvalidToken

from bot.channels.telegram import fetch_username
from bot.config import Settings
from tests.e2e.harness import TOKEN
from tests.e2e.standin import BOT_USERNAME, BotApiStandIn
from tests.support import VN


def bot_for(api: BotApiStandIn, token: str = TOKEN) -> Bot:
    return Bot(token, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot")


async def test_messages_documents_edits_and_updates_round_trip(api: BotApiStandIn) -> None:
    async with bot_for(api) as bot:
        assert bot.username == BOT_USERNAME
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="t.s|yes")]])
        sent = await bot.send_message(42, "Câu hỏi?", reply_markup=markup)
        await bot.send_document(42, b"PK\x03\x04xlsx", filename="báo cáo.xlsx",
                                caption="Tệp")
        api.tap(42, "t.s|yes")
        await bot.edit_message_text("Câu hỏi?\n→ Có", 42, sent.message_id)
        api.send_text(42, "xin chào")
        updates = await bot.get_updates(timeout=1)
        assert [u.callback_query.data for u in updates if u.callback_query] == ["t.s|yes"]
        assert [u.message.text for u in updates if u.message] == ["xin chào"]
        assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
        assert api.pending_updates() == []
    [document] = api.calls_of("sendDocument")
    assert document.files["document"] == ("báo cáo.xlsx", b"PK\x03\x04xlsx")
    assert document.text == "Tệp"
    [message] = api.calls_of("sendMessage")
    assert message.buttons == [{"text": "Có", "callback_data": "t.s|yes"}]
    assert api.messages[(42, sent.message_id)]["text"] == "Câu hỏi?\n→ Có"
    assert "reply_markup" not in api.messages[(42, sent.message_id)]


async def test_a_wrong_token_is_refused_like_telegram(api: BotApiStandIn) -> None:
    with pytest.raises(InvalidToken):
        async with bot_for(api, "1:wrong"):
            pass


async def test_fetch_username_asks_get_me(api: BotApiStandIn, tmp_path: Path) -> None:
    settings = Settings(TOKEN, api.url, tmp_path / "db", VN, "vi", None)
    assert await fetch_username(settings) == BOT_USERNAME
    assert await fetch_username(replace(settings, telegram_token="1:wrong")) is None
    assert await fetch_username(replace(settings, telegram_token=None)) is None


async def test_editing_an_unknown_message_is_a_bad_request(api: BotApiStandIn) -> None:
    async with bot_for(api) as bot:
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", 42, 999)
