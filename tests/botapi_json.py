"""Bot API JSON for the updates tests send: users and messages, as Telegram shapes them."""

from __future__ import annotations

import time
from typing import Any

JSONDict = dict[str, Any]
NAME = "Nguyễn Văn A"  # a name on purpose: tests check it never reaches a log


def user_json(user_id: int, language_code: str | None = "vi") -> JSONDict:
    user: JSONDict = {"id": user_id, "is_bot": False, "first_name": NAME}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def message_json(message_id: int, user_id: int, text: str, language_code: str | None = "vi",
                 chat: JSONDict | None = None) -> JSONDict:
    """Return a Bot API Message from `user_id`, in their private chat unless `chat` is given."""
    message: JSONDict = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat or {"id": user_id, "type": "private", "first_name": NAME},
        "from": user_json(user_id, language_code),
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split(" ")[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return message
