"""Fake Telegram at the HTTP boundary: a BaseRequest that records calls and answers like the
Bot API, plus builders of raw updates (fed to `Application.process_update`).

    request = RecordingRequest()
    application = build_application(dispatcher, settings, request=request,
                                    get_updates_request=request)
    async with application:
        chat = FakeTelegram(application, request)
        await chat.send(1001, "/start CODE")
        chat.texts_to(1001)
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.config import Settings
from bot.core.dispatcher import Dispatcher
from bot.domain.org import Role
from bot.domain.rulebook import Rulebook
from bot.storage.database import Database
from bot.storage.users import UserRepository
from tests.botapi_json import (
    SENDING_METHODS,
    bot_json,
    document_message_json,
    file_json,
    message_json,
    sent_message_json,
    user_json,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
BOT_ID = 7000001
BOT_USERNAME = "SoChiBoTestBot"
TOKEN = "7000001:AAE-test_token-ShouldNeverBeLogged0"

JSONDict = dict[str, Any]


@dataclass
class Call:
    """One Bot API call: its method, parameters (objects already decoded) and uploaded files."""

    method: str
    params: JSONDict
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    url: str = ""

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[list[JSONDict]]:
        markup = self.params.get("reply_markup")
        if not isinstance(markup, dict):
            return []
        rows: list[list[JSONDict]] = markup.get("inline_keyboard", [])
        return rows

    @property
    def button_texts(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]


def bot_user() -> JSONDict:
    return bot_json(BOT_ID, BOT_USERNAME)


class RecordingRequest(BaseRequest):
    """Record every call; answer with plausible Bot API JSON; fail a method on demand."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], JSONDict] = {}  # (chat, message id) → message
        self._next_message_id = 100
        self._failures: dict[str, list[tuple[int, str]]] = {}
        self.documents: dict[str, bytes] = {}  # file id → bytes, for getFile and downloads

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def fail_next(self, method: str, status: int = 400,
                  description: str = "Bad Request: chat not found") -> None:
        """Make the next call of `method` fail with an error response."""
        self._failures.setdefault(method, []).append((status, description))

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        if "/file/bot" in url:  # a download of a file that getFile named
            self.calls.append(Call("download", {}, {}, url))
            return 200, self.documents[name]
        params: JSONDict = dict(request_data.parameters) if request_data else {}
        files: dict[str, tuple[str, bytes]] = {}
        if request_data is not None and request_data.contains_files:
            for part, value in request_data.multipart_data.items():
                filename, content = value[0], value[1]
                data = content if isinstance(content, bytes) else content.read()
                files[part] = (str(filename), data)
        self.calls.append(Call(name, params, files, url))
        pending = self._failures.get(name)
        if pending:
            status, description = pending.pop(0)
            body = {"ok": False, "error_code": status, "description": description}
            return status, json.dumps(body).encode()
        result = self.respond(name, params, files)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def respond(self, method: str, params: JSONDict, files: dict[str, tuple[str, bytes]]) -> Any:
        if method == "getMe":
            return bot_user()
        if method in SENDING_METHODS:
            self._next_message_id += 1
            message = sent_message_json(method, params, files, self._next_message_id,
                                        bot_user())
            self.messages[(int(params["chat_id"]), message["message_id"])] = message
            return message
        if method in {"editMessageText", "editMessageReplyMarkup"}:
            key = (int(params["chat_id"]), int(params["message_id"]))
            edited = copy.deepcopy(self.messages[key])
            if method == "editMessageText":
                edited["text"] = params["text"]
            if "reply_markup" in params:
                edited["reply_markup"] = params["reply_markup"]
            else:
                edited.pop("reply_markup", None)
            edited["edit_date"] = int(time.time())
            self.messages[key] = edited
            return edited
        if method == "getUpdates":
            return []
        if method == "getFile":
            return file_json(str(params["file_id"]), len(self.documents[str(params["file_id"])]))
        return True  # answerCallbackQuery, setMyCommands, deleteWebhook...

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]


def without_question_id(callback_data: str) -> str:
    """Drop the id of the asking from "flow.step.3fa9c1|key", for tests to name buttons."""
    return re.sub(r"\.[0-9a-f]{6}\|", "|", callback_data, count=1)


@asynccontextmanager
async def telegram_with(
    db: Database, clock: Callable[[], datetime], user: int, role: Role, unit_id: int
) -> AsyncIterator[FakeTelegram]:
    """Run the bot's Telegram application over a RecordingRequest, with `user` registered."""
    from bot.channels.telegram import build_application
    from handlers import registry

    settings = Settings(TOKEN, "http://127.0.0.1:9", Path(":memory:"), VN, "vi", None)
    dispatcher = Dispatcher(db, Rulebook.default(), registry(), VN, "vi", clock)
    request = RecordingRequest()
    application = build_application(dispatcher, settings, request=request,
                                    get_updates_request=request)
    users = UserRepository(db)
    await users.grant(await users.ensure("telegram", str(user), clock()), role, unit_id, clock())
    async with application:
        yield FakeTelegram(application, request)


class FakeTelegram:
    """Drive an Application with raw updates, as Telegram would send them."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any],
                 request: RecordingRequest):
        self.application = application
        self.request = request
        self._update_id = 5000
        self._incoming_id = 1

    def next_update_id(self) -> int:
        """Return the id of a new update: Telegram's ids grow, and a repeat is not applied."""
        self._update_id += 1
        return self._update_id

    async def process(self, raw: JSONDict) -> list[Call]:
        """Feed one raw update; return the calls it caused (menu upkeep aside: `calls_of`)."""
        start = len(self.request.calls)
        update = Update.de_json(raw, self.application.bot)
        await self.application.process_update(update)
        return [c for c in self.request.calls[start:] if c.method != "setMyCommands"]

    async def send(self, user_id: int, text: str, language_code: str | None = "vi",
                   chat: JSONDict | None = None) -> list[Call]:
        self._update_id += 1
        self._incoming_id += 1
        return await self.process({
            "update_id": self._update_id,
            "message": message_json(self._incoming_id, user_id, text, language_code, chat),
        })

    async def send_document(self, user_id: int, file_name: str, data: bytes,
                            language_code: str | None = "vi",
                            size: int | None = None) -> list[Call]:
        """Send a file as a document; `size` is what Telegram says (the real size if None)."""
        self._update_id += 1
        self._incoming_id += 1
        file_id = f"doc{self._incoming_id}"
        self.request.documents[file_id] = data
        message = document_message_json(self._incoming_id, user_id, file_id, file_name,
                                        len(data) if size is None else size,
                                        language_code=language_code)
        return await self.process({"update_id": self._update_id, "message": message})

    async def tap(self, user_id: int, *, data: str | None = None, label: str | None = None,
                  language_code: str | None = "vi") -> list[Call]:
        """Tap the newest button in the chat whose callback data is `data` or text is `label`."""
        message, button = self.find_button(user_id, data=data, label=label)
        return await self.tap_on(user_id, message, button, language_code)

    async def tap_on(self, user_id: int, message: JSONDict, button: JSONDict,
                     language_code: str | None = "vi") -> list[Call]:
        """Tap `button` of `message` as it was (a second tap before the first was shown)."""
        self._update_id += 1
        return await self.process({
            "update_id": self._update_id,
            "callback_query": {
                "id": f"cq{self._update_id}",
                "from": user_json(user_id, language_code),
                "chat_instance": f"ci{user_id}",
                "message": message,
                "data": button["callback_data"],
            },
        })

    def find_button(self, user_id: int, *, data: str | None = None,
                    label: str | None = None) -> tuple[JSONDict, JSONDict]:
        for (chat_id, _), message in sorted(self.request.messages.items(), reverse=True):
            if chat_id != user_id:
                continue
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            for button in (b for row in rows for b in row):
                if (data is not None and without_question_id(button["callback_data"]) == data) or (
                    label and button["text"] == label
                ):
                    return copy.deepcopy(message), button
        raise AssertionError(f"no button {data or label!r} in chat {user_id}")

    def sent_to(self, chat_id: int) -> list[Call]:
        return [c for c in self.request.calls
                if c.method in SENDING_METHODS and c.chat_id == chat_id]

    def texts_to(self, chat_id: int) -> list[str]:
        return [c.text for c in self.sent_to(chat_id)]
