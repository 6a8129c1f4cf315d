"""Bot API JSON for the updates tests send: users and messages, as Telegram shapes them."""

from __future__ import annotations

import time
from typing import Any

JSONDict = dict[str, Any]
SENDING_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})  # a new message each
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


def document_message_json(message_id: int, user_id: int, file_id: str, file_name: str,
                          size: int, mime_type: str = "text/csv",
                          language_code: str | None = "vi") -> JSONDict:
    """Return a Bot API Message carrying a document (a file sent with the paperclip)."""
    message = message_json(message_id, user_id, "", language_code)
    del message["text"]
    message["document"] = {"file_id": file_id, "file_unique_id": f"u-{file_id}",
                           "file_name": file_name, "mime_type": mime_type, "file_size": size}
    return message


def file_json(file_id: str, size: int) -> JSONDict:
    """Return the File that getFile answers: where the bytes can be downloaded from."""
    return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": size,
            "file_path": f"documents/{file_id}"}


def bot_json(bot_id: int, username: str) -> JSONDict:
    """Return the bot's own User, as getMe answers it."""
    return {"id": bot_id, "is_bot": True, "first_name": "Sổ Chi Bộ", "username": username,
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}


def sent_message_json(method: str, params: JSONDict, files: dict[str, tuple[str, bytes]],
                      message_id: int, bot: JSONDict) -> JSONDict:
    """Return the Message Telegram answers to sendMessage, sendDocument or sendPhoto."""
    chat_id = int(params["chat_id"])
    message: JSONDict = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group",
                 "first_name": NAME},
        "from": bot,
    }
    if method == "sendMessage":
        message["text"] = str(params.get("text", ""))
    elif method == "sendPhoto":  # Telegram answers with the sizes it made of the picture
        message["photo"] = [{"file_id": f"photo{message_id}", "file_unique_id": f"u{message_id}",
                             "width": 1080, "height": 1080}]
    else:
        filename = files["document"][0] if "document" in files else params.get("filename")
        message["document"] = {"file_id": f"doc{message_id}", "file_unique_id": f"u{message_id}",
                               "file_name": filename or "file"}
    if method != "sendMessage" and params.get("caption"):
        message["caption"] = params["caption"]
    if params.get("reply_markup"):
        message["reply_markup"] = params["reply_markup"]
    return message
