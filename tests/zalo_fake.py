"""A fake Zalo Bot API on 127.0.0.1: what the documented and measured API does, for tests.

Stdlib HTTP, served from a background thread (like the Telegram stand-in), so the channel
tests and the end-to-end runs use the same fake. Calls go to /bot<TOKEN>/<method> with a JSON
body (query and form bodies are read too); a wrong token gets 401; every call is recorded.

    with ZaloFake(TOKEN) as zalo:
        zalo.send_text(SECRETARY, "/start CODE")       # a user writes to the bot
        zalo.wait_for_message("Chi bộ", SECRETARY)      # what the bot sent them

As the real API: `getUpdates` hands out one event per call and nothing is acknowledged; an idle
poll ends with HTTP 408; a text over 2000 characters is refused; an empty chat_id is refused
with HTTP 200 and `ok: false`; `getWebhookInfo` without a webhook is a 404; while a webhook is
set, events are POSTed to it with `X-Bot-Api-Secret-Token` (flat, as real captures show) and
`getUpdates` is refused. Tests can make the next call of a method fail (`fail_next`), cap the
messages it takes (`quota`, then 429 "Quota exceeded"), or hand an event out twice.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.logwatch import WATCH

JSONDict = dict[str, Any]

BOT_ID = "1459232241454765289"
TEXT_LIMIT = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"
SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendSticker"})


def zalo_id(number: int) -> str:
    """Return a Zalo-like id (20 hex digits) for a test's user number."""
    return f"{number:020x}"


@dataclass(frozen=True)
class ZaloCall:
    """One call the bot made: method, parameters and what the fake answered."""

    index: int
    method: str
    params: JSONDict
    status: int
    answer: JSONDict

    @property
    def chat_id(self) -> str:
        return str(self.params.get("chat_id") or "")

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def accepted(self) -> bool:
        return self.status == 200 and self.answer.get("ok") is True


@dataclass(frozen=True)
class Delivery:
    """One event POSTed to the bot's webhook, and the status the bot answered."""

    event: JSONDict
    status: int


class ZaloTimeout(AssertionError):
    """What the test waited for did not happen in time."""


class ZaloFake:
    """The fake server: start it, point ZALO_API_URL at `url`, then chat."""

    def __init__(self, token: str, poll_seconds: float = 30.0, fetch_photos: bool = False):
        self.token = token
        self.poll_seconds = poll_seconds  # the longest a getUpdates waits, whatever it asks
        self.fetch_photos = fetch_photos  # download each sendPhoto URL, as Zalo must
        self.calls: list[ZaloCall] = []
        self.deliveries: list[Delivery] = []
        self.photos: dict[str, bytes] = {}  # URL → the bytes downloaded from it
        self.quota: int | None = None  # messages taken before 429; None: no limit
        self.webhook: tuple[str, str] | None = None  # (url, secret)
        self.webhook_flat = True  # real webhooks post the event itself, not {ok, result}
        self._events: list[JSONDict] = []
        self._failures: dict[str, list[tuple[int, int, str]]] = {}
        self._message_ids = itertools.count(1)
        self._accepted = 0
        self._closing = False
        self._cond = threading.Condition()
        self._pushers: list[threading.Thread] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The value for ZALO_API_URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # Life cycle -------------------------------------------------------------------------

    def start(self) -> ZaloFake:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Wake long polls, stop serving, and join every thread."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        for pusher in list(self._pushers):
            pusher.join(timeout=5)
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> ZaloFake:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    # What a Zalo user does --------------------------------------------------------------

    def send_text(self, user: str, text: str, name: str = "Người dùng") -> JSONDict:
        """A user types `text` to the bot in a private chat; return the event."""
        return self.push(self.event("message.text.received", user, name, text=text))

    def send_sticker(self, user: str) -> JSONDict:
        return self.push(self.event("message.sticker.received", user, sticker="abc123",
                                    url="https://stickers.example/abc123.png"))

    def send_photo(self, user: str) -> JSONDict:
        return self.push(self.event("message.image.received", user, message_type="CHAT_PHOTO",
                                    photo_url="https://photos.example/1.jpg", caption=""))

    def send_unsupported(self, user: str) -> JSONDict:
        """Zalo withholds the content of a protected person's message and says so."""
        return self.push(self.event("message.unsupported.received", user))

    def event(self, name: str, user: str, display_name: str = "Người dùng",
              **message: Any) -> JSONDict:
        """Build an event as Zalo sends it (ids of 20 hex digits, dates in milliseconds)."""
        WATCH.sent(str(message.get("text") or ""), display_name)  # never to be logged
        with self._cond:
            message_id = f"{next(self._message_ids):020x}"
        return {"event_name": name, "message": {
            "from": {"id": user, "display_name": display_name, "is_bot": False},
            "chat": {"id": user, "chat_type": "PRIVATE"},
            "message_id": message_id,
            "date": int(time.time() * 1000),
            **message,
        }}

    def push(self, event: JSONDict) -> JSONDict:
        """Hand `event` to the bot: POST it to the webhook if one is set, else queue it."""
        with self._cond:
            webhook = self.webhook
            if webhook is None:
                self._events.append(copy.deepcopy(event))
                self._cond.notify_all()
                return event
        pusher = threading.Thread(target=self._deliver, args=(event, *webhook), daemon=True)
        self._pushers.append(pusher)
        pusher.start()
        return event

    def post_webhook(self, event: JSONDict | None, url: str, secret: str | None,
                     flat: bool = True) -> int:
        """POST `event` to `url` (None: an empty probe); return the HTTP status answered."""
        body = b""
        headers = {}
        if event is not None:
            payload = event if flat else {"ok": True, "result": event}
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if secret is not None:
            headers[SECRET_HEADER] = secret
        request = urllib.request.Request(url, body, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    def _deliver(self, event: JSONDict, url: str, secret: str) -> None:
        try:
            status = self.post_webhook(event, url, secret, flat=self.webhook_flat)
        except OSError:
            status = 0  # the bot did not answer at all
        with self._cond:
            self.deliveries.append(Delivery(event, status))
            self._cond.notify_all()

    # What the bot did -------------------------------------------------------------------

    def fail_next(self, method: str, code: int, description: str,
                  http_status: int | None = None) -> None:
        """Answer the next call of `method` with `ok: false` (HTTP `http_status`, else code)."""
        with self._cond:
            self._failures.setdefault(method, []).append(
                (http_status or code, code, description))

    def mark(self) -> int:
        """Return a position in the call log; waits can look only at calls after it."""
        with self._cond:
            return len(self.calls)

    def pending(self) -> int:
        """Count the events queued for getUpdates and not handed out yet."""
        with self._cond:
            return len(self._events)

    def calls_of(self, method: str, since: int = 0) -> list[ZaloCall]:
        with self._cond:
            return [c for c in self.calls[since:] if c.method == method]

    def messages_to(self, user: str, since: int = 0) -> list[ZaloCall]:
        """The messages and photos to `user` that Zalo took, in order."""
        with self._cond:
            return [c for c in self.calls[since:]
                    if c.method in SEND_METHODS and c.chat_id == user and c.accepted]

    def wait_for(self, predicate: Callable[[ZaloCall], bool], timeout: float = 5.0,
                 since: int = 0, what: str = "a call") -> ZaloCall:
        """Return the first call after `since` matching `predicate`, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for call in self.calls[since:]:
                    if predicate(call):
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ZaloTimeout(
                        f"no {what} within {timeout} s; the bot sent:\n{self.transcript(since)}")
                self._cond.wait(left)

    def wait_for_message(self, contains: str = "", user: str | None = None,
                         timeout: float = 5.0, since: int = 0) -> ZaloCall:
        """Wait for a message (or photo) Zalo took, whose text contains `contains`."""
        def matches(call: ZaloCall) -> bool:
            return (call.method in SEND_METHODS and call.accepted and contains in call.text
                    and (user is None or call.chat_id == user))

        return self.wait_for(matches, timeout, since, f"message containing {contains!r}")

    def wait_for_deliveries(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        """Wait until `count` webhook deliveries were answered; return them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.deliveries) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ZaloTimeout(f"{len(self.deliveries)} of {count} deliveries answered")
                self._cond.wait(left)
            return list(self.deliveries)

    def transcript(self, since: int = 0) -> str:
        """The bot's sends since `since`, one per line, for failure output."""
        lines = [f"  {c.method} → {c.chat_id}: {c.status} {c.text[:300]!r}"
                 for c in self.calls[since:] if c.method in SEND_METHODS]
        return "\n".join(lines) or "  (nothing)"

    # Serving ----------------------------------------------------------------------------

    def serve(self, token: str, method: str, params: JSONDict) -> tuple[int, JSONDict]:
        if token != self.token:
            return self._record(method, params, 401, _refusal(401, "Unauthorized"))
        with self._cond:
            failures = self._failures.get(method)
            if failures:
                http_status, code, description = failures.pop(0)
                return self._record(method, params, http_status, _refusal(code, description))
        if method == "getUpdates":  # answered when an event comes, recorded then
            status, answer = self._get_updates(params)
            return self._record(method, params, status, answer)
        if method == "sendPhoto" and self.fetch_photos and params.get("photo"):
            self._fetch(str(params["photo"]))
        with self._cond:
            status, answer = self._answer(method, params)
            return self._record(method, params, status, answer)

    def _record(self, method: str, params: JSONDict, status: int,
                answer: JSONDict) -> tuple[int, JSONDict]:
        with self._cond:
            self.calls.append(ZaloCall(len(self.calls), method, params, status, answer))
            self._cond.notify_all()
        return status, answer

    def _get_updates(self, params: JSONDict) -> tuple[int, JSONDict]:
        try:
            asked = float(params.get("timeout") or 30)
        except (TypeError, ValueError):
            asked = 30.0
        deadline = time.monotonic() + min(asked, self.poll_seconds)
        with self._cond:
            if self.webhook is not None:
                return 200, _refusal(400, "Bad request: a webhook is set; use deleteWebhook")
            while not self._closing:
                if self._events:
                    return 200, {"ok": True, "result": self._events.pop(0)}
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
        return 408, _refusal(408, "Request timeout")

    def _answer(self, method: str, params: JSONDict) -> tuple[int, JSONDict]:
        if method == "getMe":
            return 200, {"ok": True, "result": {
                "id": BOT_ID, "account_name": "bot.SoChiBo", "account_type": "BASIC",
                "can_join_groups": False}}
        if method == "setWebhook":
            url, secret = str(params.get("url") or ""), str(params.get("secret_token") or "")
            if not url or not 8 <= len(secret) <= 256:
                return 400, _refusal(400, "Bad request: url and secret_token are required")
            self.webhook = (url, secret)
            return 200, {"ok": True, "result": {"url": url, "updated_at": _now_ms()}}
        if method == "deleteWebhook":
            self.webhook = None
            return 200, {"ok": True, "result": {"url": "", "updated_at": _now_ms()}}
        if method == "getWebhookInfo":
            if self.webhook is None:
                return 404, {"ok": False, "description": "Not Found"}
            return 200, {"ok": True, "result": {"url": self.webhook[0], "updated_at": 1}}
        if method == "sendChatAction":
            return 200, {"ok": True}
        if method in SEND_METHODS:
            return self._send(method, params)
        return 404, _refusal(404, "Not Found")

    def _send(self, method: str, params: JSONDict) -> tuple[int, JSONDict]:
        if not str(params.get("chat_id") or ""):
            return 200, _refusal(400, "Bad request: The chat_id must not be empty")
        field = "text" if method == "sendMessage" else "caption"
        text = str(params.get(field) or "")
        if (method == "sendMessage" and not text) or len(text) > TEXT_LIMIT:
            return 400, _refusal(400, f"Bad request: {field} must be 1-{TEXT_LIMIT} characters")
        if method == "sendPhoto" and not str(params.get("photo") or "").startswith("http"):
            return 400, _refusal(400, "Bad request: photo must be a URL")
        if self.quota is not None and self._accepted >= self.quota:
            return 429, _refusal(429, "Quota exceeded")
        self._accepted += 1
        return 200, {"ok": True, "result": {
            "message_id": f"{next(self._message_ids):020x}", "date": _now_ms()}}

    def _fetch(self, url: str) -> None:
        """Download a photo's URL as Zalo would (outside the lock: the bot serves it)."""
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                data = response.read()
        except OSError:
            return
        with self._cond:
            self.photos[url] = data


def _refusal(code: int, description: str) -> JSONDict:
    return {"ok": False, "error_code": code, "description": description}


def _now_ms() -> int:
    return int(time.time() * 1000)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # joined by server_close, once long polls are woken
    block_on_close = True
    fake: ZaloFake

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
        segments = parts.path.strip("/").split("/")
        if len(segments) != 2 or not segments[0].startswith("bot"):
            self._reply(404, _refusal(404, "Not Found"))
            return
        params: JSONDict = dict(parse_qsl(parts.query))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if body and self.headers.get("Content-Type", "").startswith("application/json"):
            params.update(json.loads(body))
        elif body:
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        status, answer = self.server.fake.serve(segments[0][3:], segments[1], params)
        self._reply(status, answer)

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
