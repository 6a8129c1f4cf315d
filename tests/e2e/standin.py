"""A local Bot API stand-in: enough of Telegram for the real `python -m bot run` process.

HTTP on 127.0.0.1 (a free port), stdlib only, served from a background thread, so tests can be
plain functions. Calls go to /bot<TOKEN>/<method> (a wrong token gets 401 like Telegram);
every call is recorded. Tests queue updates as a Telegram user would cause them
(`send_text`, `tap`) and wait for what the bot sent (`wait_for_message`).

    with BotApiStandIn(TOKEN) as api:
        api.send_text(1001, "/start CODE")
        api.wait_for_message(contains="Chi bộ", chat_id=1001)

Implemented: getMe, logOut/close (true), setWebhook, deleteWebhook, getUpdates (long poll,
offsets confirm),
sendMessage, sendDocument and sendPhoto (multipart: each call keeps its uploads in `files`),
editMessageText, editMessageReplyMarkup, answerCallbackQuery, setMyCommands, getMyCommands,
deleteMyCommands; getFile and the download of a file a user sent (`send_document`) from
/file/bot<TOKEN>/<path>. Like Telegram, a chat whose user blocked the bot (`block`) answers
403, and with `limit_rate` messages beyond about 30 a second answer 429 with a retry_after
(counted in `too_many`).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message as MimeMessage
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.botapi_json import (
    NAME,
    SENDING_METHODS,
    bot_json,
    document_message_json,
    file_json,
    message_json,
    sent_message_json,
    user_json,
)
from tests.logwatch import WATCH

JSONDict = dict[str, Any]

BOT_ID = 7000002
BOT_USERNAME = "SoChiBoE2EBot"
MAX_POLL_SECONDS = 30.0
# Parameters whose values arrive JSON-encoded in a form body.
JSON_PARAMETERS = {"reply_markup", "commands", "scope", "allowed_updates", "entities",
                   "caption_entities", "link_preview_options", "reply_parameters"}
MESSAGE_METHODS = {*SENDING_METHODS, "editMessageText", "editMessageReplyMarkup"}


@dataclass(frozen=True)
class ApiCall:
    """One call the bot made: method, decoded parameters, uploaded files (name → bytes)."""

    index: int
    method: str
    params: JSONDict
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    status: int = 200  # what the stand-in answered: 429 past the flood limit, 403 blocked…
    at: float = field(default_factory=time.monotonic)  # when it came

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[JSONDict]:
        markup = self.params.get("reply_markup")
        if not isinstance(markup, dict):
            return []
        return [b for row in markup.get("inline_keyboard", []) for b in row]


class BadRequestAnswer(str):
    """An answer that becomes HTTP 400 "Bad Request: <text>"."""


class StandInTimeout(AssertionError):
    """What the test waited for did not happen in time."""


class BotApiStandIn:
    """The fake Bot API server: start it, point TELEGRAM_API_URL at `url`, then chat."""

    def __init__(self, token: str, username: str = BOT_USERNAME):
        self.token = token
        self.username = username
        self.calls: list[ApiCall] = []
        self.messages: dict[tuple[int, int], JSONDict] = {}  # (chat id, message id) → message
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}  # (scope, language) → menu
        self._updates: list[JSONDict] = []
        self.documents: dict[str, bytes] = {}  # file id → bytes of files users sent
        self._failures: dict[str, list[tuple[int, str]]] = {}  # method → errors to answer
        self.blocked: set[int] = set()  # chats whose user blocked the bot
        self._bucket: _TokenBucket | None = None  # Telegram's flood limit, when asked for
        self.too_many = 0  # messages answered 429
        self._next_update_id = 1
        self._next_message_id = 1000
        self._next_incoming_id = 1
        self._closing = False
        self._cond = threading.Condition()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The value for TELEGRAM_API_URL."""
        return f"http://127.0.0.1:{self.port}"

    # Life cycle -------------------------------------------------------------------------

    def start(self) -> BotApiStandIn:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Wake long polls, stop serving, and join every thread."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> BotApiStandIn:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    # What a Telegram user does -----------------------------------------------------------

    def push_update(self, kind: str, payload: JSONDict) -> int:
        """Queue a raw update (`kind` is "message", "callback_query"...); return its id."""
        with self._cond:
            update_id = self._next_update_id
            self._next_update_id += 1
            self._updates.append({"update_id": update_id, kind: payload})
            self._cond.notify_all()
        return update_id

    def send_text(self, user_id: int, text: str, language_code: str | None = "vi",
                  chat: JSONDict | None = None) -> int:
        """Queue a text message (or /command) from `user_id` in their private chat."""
        WATCH.sent(text, NAME)  # neither may reach the bot's log
        with self._cond:
            message_id = self._next_incoming_id
            self._next_incoming_id += 1
        return self.push_update("message", message_json(message_id, user_id, text,
                                                        language_code, chat))

    def send_document(self, user_id: int, file_name: str, data: bytes,
                      mime_type: str = "text/csv", language_code: str | None = "vi") -> int:
        """Queue a file sent by the user as a document; the bot fetches it with getFile."""
        with self._cond:
            self._next_incoming_id += 1
            file_id = f"file{self._next_incoming_id}"
            self.documents[file_id] = data
            message = document_message_json(self._next_incoming_id, user_id, file_id,
                                            file_name, len(data), mime_type, language_code)
        return self.push_update("message", message)

    def tap(self, user_id: int, callback_data: str, language_code: str | None = "vi") -> int:
        """Tap the newest button in `user_id`'s chat whose callback data is `callback_data`."""
        message = self.message_with_button(user_id, lambda b: b["callback_data"] == callback_data)
        return self._tap(user_id, message, callback_data, language_code)

    def press(self, user_id: int, label: str, language_code: str | None = "vi") -> str:
        """Tap the newest button labelled `label` (exactly, or after a ☑/☐ mark); return data."""
        def matches(button: JSONDict) -> bool:
            return bool(button["text"] == label or button["text"][2:] == label)

        message = self.message_with_button(user_id, matches)
        button = next(b for row in message["reply_markup"]["inline_keyboard"] for b in row
                      if matches(b))
        data = str(button["callback_data"])
        self._tap(user_id, message, data, language_code)
        return data

    def _tap(self, user_id: int, message: JSONDict, data: str,
             language_code: str | None) -> int:
        with self._cond:
            query_id = f"q{self._next_update_id}"
        return self.push_update("callback_query", {
            "id": query_id,
            "from": user_json(user_id, language_code),
            "chat_instance": f"ci{user_id}",
            "message": message,
            "data": data,
        })

    def message_with_button(self, chat_id: int, matches: Callable[[JSONDict], bool]) -> JSONDict:
        with self._cond:
            for (chat, _), message in sorted(self.messages.items(), reverse=True):
                markup = message.get("reply_markup") or {}
                buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
                if chat == chat_id and any(matches(b) for b in buttons):
                    return copy.deepcopy(message)
        raise AssertionError(f"no such button in chat {chat_id}; sent:\n{self.transcript()}")

    # What the bot did --------------------------------------------------------------------

    def pending_updates(self) -> list[JSONDict]:
        """Updates queued and not yet confirmed by the bot (a getUpdates offset above them)."""
        with self._cond:
            return copy.deepcopy(self._updates)

    def mark(self) -> int:
        """Return a position in the call log; waits can look only at calls after it."""
        with self._cond:
            return len(self.calls)

    def wait_for(self, predicate: Callable[[ApiCall], bool], timeout: float = 5.0,
                 since: int = 0, what: str = "a call") -> ApiCall:
        """Return the first call after `since` matching `predicate`, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for call in self.calls[since:]:
                    if predicate(call):
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StandInTimeout(
                        f"no {what} within {timeout} s; the bot sent:\n{self.transcript(since)}"
                    )
                self._cond.wait(left)

    def wait_for_message(self, contains: str = "", chat_id: int | None = None,
                         timeout: float = 5.0, since: int = 0,
                         methods: frozenset[str] = SENDING_METHODS,
                         ) -> ApiCall:
        """Wait for a sendMessage (or a document or photo) whose text contains `contains`."""
        def matches(call: ApiCall) -> bool:
            return (call.method in methods and contains in call.text
                    and (chat_id is None or call.chat_id == chat_id))

        return self.wait_for(matches, timeout, since,
                             what=f"message containing {contains!r} to {chat_id}")

    def wait_for_edit(self, contains: str = "", chat_id: int | None = None,
                      timeout: float = 5.0, since: int = 0) -> ApiCall:
        return self.wait_for_message(contains, chat_id, timeout, since,
                                     methods=frozenset({"editMessageText"}))

    def next_calls(self, since: int, timeout: float) -> list[ApiCall]:
        """Return the calls after `since`, waiting up to `timeout` for one to come."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.calls) <= since and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return self.calls[since:]

    def calls_of(self, method: str, since: int = 0) -> list[ApiCall]:
        with self._cond:
            return [c for c in self.calls[since:] if c.method == method]

    def transcript(self, since: int = 0) -> str:
        """The bot's messages and edits since `since`, one per line, for failure output."""
        lines = [f"  {c.method} → {c.chat_id}: {c.text[:200]!r}"
                 + (f" {[b['text'] for b in c.buttons]}" if c.buttons else "")
                 for c in self.calls[since:] if c.method in MESSAGE_METHODS]
        return "\n".join(lines) or "  (nothing)"

    # Serving -----------------------------------------------------------------------------

    def fail_next(self, method: str, status: int = 502, description: str = "Bad Gateway") -> None:
        """Answer the next call of `method` with an HTTP error, as a flaky proxy would."""
        with self._cond:
            self._failures.setdefault(method, []).append((status, description))

    def block(self, chat_id: int) -> None:
        """The user of `chat_id` blocks the bot: messages to them answer 403 from now on."""
        with self._cond:
            self.blocked.add(chat_id)

    def limit_rate(self, per_second: float = 30.0, burst: int = 30) -> None:
        """Answer 429 to messages beyond `per_second` (a bucket of `burst`), as Telegram does."""
        with self._cond:
            self._bucket = _TokenBucket(per_second, burst)

    def serve(self, token: str, method: str, params: JSONDict,
              files: dict[str, tuple[str, bytes]]) -> tuple[int, JSONDict]:
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        with self._cond:
            failures = self._failures.get(method)
            if failures:
                status, description = failures.pop(0)
                self._record(method, params, files, status)
                return status, {"ok": False, "error_code": status, "description": description}
            if method in MESSAGE_METHODS and self._bucket is not None and not self._bucket.take():
                self.too_many += 1
                self._record(method, params, files, 429)
                return 429, {"ok": False, "error_code": 429,
                             "description": "Too Many Requests: retry after 1",
                             "parameters": {"retry_after": 1}}
            if method in MESSAGE_METHODS and _chat(params) in self.blocked:
                self._record(method, params, files, 403)
                return 403, {"ok": False, "error_code": 403,
                             "description": "Forbidden: bot was blocked by the user"}
        if method == "getUpdates":  # recorded when asked, answered when updates come
            with self._cond:
                self._record(method, params, files)
            return 200, {"ok": True, "result": self._get_updates(params)}
        with self._cond:
            self._record(method, params, files)
            answer = self._answer(method, params, files)
        if answer is None:  # an unknown method: Telegram answers 404
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if isinstance(answer, BadRequestAnswer):
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {answer}"}
        return 200, {"ok": True, "result": answer}

    def download(self, token: str, file_id: str) -> bytes | None:
        """Return the bytes of a file a user sent (None for a wrong token or id); recorded."""
        with self._cond:
            self._record("download", {"file_id": file_id}, {})
            return self.documents.get(file_id) if token == self.token else None

    def _record(self, method: str, params: JSONDict, files: dict[str, tuple[str, bytes]],
                status: int = 200) -> None:
        self.calls.append(ApiCall(len(self.calls), method, params, files, status))
        self._cond.notify_all()

    def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), MAX_POLL_SECONDS)
        deadline = time.monotonic() + timeout
        with self._cond:
            if offset:  # confirms every update below the offset
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._closing:
                ready = [u for u in self._updates if u["update_id"] >= offset][:limit]
                left = deadline - time.monotonic()
                if ready or left <= 0:
                    return copy.deepcopy(ready)
                self._cond.wait(left)
        return []

    def _answer(self, method: str, params: JSONDict,
                files: dict[str, tuple[str, bytes]]) -> Any:
        if method == "getMe":
            return bot_json(BOT_ID, self.username)
        if method in {"deleteWebhook", "answerCallbackQuery", "logOut", "close", "setWebhook"}:
            return True
        if method in {"setMyCommands", "deleteMyCommands", "getMyCommands"}:
            scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
            key = (scope, str(params.get("language_code") or ""))
            if method == "getMyCommands":
                return self.commands.get(key, [])
            if method == "setMyCommands":
                self.commands[key] = list(params.get("commands") or [])
            else:
                self.commands.pop(key, None)
            return True
        if method == "getFile":
            file_id = str(params.get("file_id"))
            if file_id not in self.documents:
                return BadRequestAnswer("invalid file_id")
            return file_json(file_id, len(self.documents[file_id]))
        if method in SENDING_METHODS:
            return self._new_message(method, params, files)
        if method in {"editMessageText", "editMessageReplyMarkup"}:
            where = (int(params["chat_id"]), int(params["message_id"]))
            if where not in self.messages:
                return BadRequestAnswer("message to edit not found")
            edited = copy.deepcopy(self.messages[where])
            if method == "editMessageText":
                edited["text"] = params["text"]
            if params.get("reply_markup"):
                edited["reply_markup"] = params["reply_markup"]
            else:
                edited.pop("reply_markup", None)
            edited["edit_date"] = int(time.time())
            self.messages[where] = edited
            return edited
        return None

    def _new_message(self, method: str, params: JSONDict,
                     files: dict[str, tuple[str, bytes]]) -> JSONDict:
        chat_id = int(params["chat_id"])
        self._next_message_id += 1
        message = sent_message_json(method, params, files, self._next_message_id,
                                    bot_json(BOT_ID, self.username))
        self.messages[(chat_id, message["message_id"])] = message
        return message


def _chat(params: JSONDict) -> int | None:
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


class _TokenBucket:
    """`rate` tokens a second, at most `burst` saved up: Telegram's limit as bots meet it."""

    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # joined by server_close, once long polls are woken
    block_on_close = True
    request_queue_size = 128  # a bot sending to many chats at once opens many connections
    standin: BotApiStandIn

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a cancelled long poll) is not an error worth printing."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet (and the token out of it)."""

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        segments = unquote(parts.path).strip("/").split("/")
        if len(segments) == 4 and segments[0] == "file" and segments[1].startswith("bot"):
            self._download(segments[1][3:], segments[3])
            return
        if len(segments) != 2 or not segments[0].startswith("bot"):
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, method = segments[0][3:], segments[1]
        params: JSONDict = dict(parse_qsl(parts.query))
        files: dict[str, tuple[str, bytes]] = {}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        if body and content_type.startswith("application/json"):
            params.update(json.loads(body))
        elif body and content_type.startswith("multipart/form-data"):
            fields, files = parse_multipart(content_type, body)
            params.update(fields)
        elif body:
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        for name in JSON_PARAMETERS & params.keys():
            if isinstance(params[name], str):
                params[name] = json.loads(params[name])
        status, answer = self.server.standin.serve(token, method, params, files)
        self._reply(status, answer)

    def _download(self, token: str, file_id: str) -> None:
        """Serve the bytes of a file a user sent (GET /file/bot<TOKEN>/documents/<id>)."""
        data = self.server.standin.download(token, file_id)
        if data is None:
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _reply(self, status: int, answer: JSONDict) -> None:
        payload = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the bot cancelled this request (a long poll at shutdown)


Files = dict[str, tuple[str, bytes]]


def parse_multipart(content_type: str, body: bytes) -> tuple[JSONDict, Files]:
    """Split a multipart/form-data body into text fields and files."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message: MimeMessage = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: JSONDict = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        data = part.get_payload(decode=True) or b""
        if filename is not None:
            files[str(name)] = (filename, data)
        else:
            fields[str(name)] = data.decode()
    return fields, files
