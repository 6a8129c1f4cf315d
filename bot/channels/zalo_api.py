"""A small async client of the Zalo Bot API, on httpx: every answer checked, the token secret.

    POST {api_url}/bot{token}/{method}  (JSON body)  ──►  {"ok", "result", "description",
                                                             "error_code"}

Zalo answers some errors with HTTP 200 and `ok: false`, so `ok` decides, not the status. An
idle long poll ends with HTTP 408: that is "no update", not an error. Failures that did not
reach Zalo (no connection), 5xx and 429 ("quota exceeded") are tried again after exponential,
capped, jittered delays; a timeout after the request was sent is not (a message could arrive
twice). Every error's text has the token cut out, and no error chains an httpx exception
(whose text may hold the URL, and so the token).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

REQUEST_SECONDS = 15.0  # any call but a long poll
POLL_MARGIN_SECONDS = 10.0  # a long poll may take its timeout plus this before we give up
SEND_ATTEMPTS = 3
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
NO_UPDATE = 408  # an idle long poll
REDACTED = "<token>"
JSONDict = dict[str, Any]


class ZaloError(Exception):
    """The Bot API refused a call, or could not be reached (`status` None)."""

    def __init__(self, method: str, status: int | None, description: str):
        where = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"zalo {method}: {where}: {description}")
        self.method = method
        self.status = status
        self.description = description

    @property
    def transient(self) -> bool:
        """Tell whether trying again later may succeed."""
        return self.status in RETRIED_STATUSES


class ZaloUnauthorized(ZaloError):
    """The token was refused (reset in Zalo Bot Creator, or mistyped)."""


class ZaloQuotaExceeded(ZaloError):
    """429: the plan's quota is used up (the free plan: 3 000 messages a month)."""


class ZaloUnreachable(ZaloError):
    """No answer from the Bot API; `sent` tells whether the request may have reached it."""

    def __init__(self, method: str, description: str, sent: bool):
        super().__init__(method, None, description)
        self.sent = sent

    @property
    def transient(self) -> bool:
        return True


@dataclass(frozen=True)
class BotInfo:
    id: str
    account_name: str
    account_type: str


@dataclass(frozen=True)
class SentMessage:
    message_id: str
    date: int  # epoch milliseconds


@dataclass(frozen=True)
class WebhookInfo:
    url: str  # "" when none is set
    updated_at: int  # epoch milliseconds


class Backoff:
    """Delays that double from `base` up to `cap` seconds, each drawn from its upper half.

    The jitter keeps many clients (or one bot's polls and sends) from retrying in step; the
    lower bound keeps a retry from coming at once.
    """

    def __init__(self, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None):
        self.base = base
        self.cap = cap
        self._rng = rng or random.Random()

    def delay(self, attempt: int) -> float:
        """Return the pause before try number `attempt + 1` (attempt counts from 0)."""
        ceiling: float = min(self.cap, self.base * 2.0 ** min(attempt, 32))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)


class ZaloBotApi:
    """The Bot API methods the bot uses; one httpx client, closed by `aclose`."""

    def __init__(
        self,
        token: str,
        api_url: str,
        *,
        http: httpx.AsyncClient | None = None,
        backoff: Backoff | None = None,
        attempts: int = SEND_ATTEMPTS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self._token = token
        self._base = f"{api_url.rstrip('/')}/bot{token}/"
        self._http = http or httpx.AsyncClient(timeout=REQUEST_SECONDS)
        self._backoff = backoff or Backoff(0.5, 8.0)
        self._attempts = attempts
        self._sleep = sleep

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ZaloBotApi:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, value: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.aclose()

    def redact(self, text: str) -> str:
        """Return `text` with the token (plain or URL-encoded) replaced by <token>."""
        for secret in {self._token, quote(self._token, safe=""), quote(self._token)}:
            text = text.replace(secret, REDACTED)
        return text

    # Methods ----------------------------------------------------------------------------

    async def get_me(self) -> BotInfo:
        result = await self.call("getMe")
        return BotInfo(str(result.get("id", "")), str(result.get("account_name", "")),
                       str(result.get("account_type", "")))

    async def get_updates(self, wait: int) -> JSONDict | None:
        """Wait up to `wait` seconds (Zalo's `timeout`) for one update; None when none came."""
        try:
            result = await self.call("getUpdates", {"timeout": str(wait)}, attempts=1,
                                     seconds=wait + POLL_MARGIN_SECONDS)
        except ZaloError as error:
            if error.status == NO_UPDATE:
                return None
            raise
        return result if isinstance(result, dict) and result else None

    async def send_message(self, chat_id: str, text: str) -> SentMessage:
        return _sent(await self.call("sendMessage", {"chat_id": chat_id, "text": text}))

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> SentMessage:
        params = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        return _sent(await self.call("sendPhoto", params))

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action}, attempts=1)

    async def set_webhook(self, url: str, secret_token: str) -> WebhookInfo:
        return _webhook(await self.call("setWebhook", {"url": url, "secret_token": secret_token}))

    async def delete_webhook(self) -> WebhookInfo:
        return _webhook(await self.call("deleteWebhook"))

    async def get_webhook_info(self) -> WebhookInfo:
        """Return the webhook set; its url is "" when none is (Zalo then answers 404)."""
        try:
            return _webhook(await self.call("getWebhookInfo"))
        except ZaloError as error:
            if error.status == 404:
                return WebhookInfo("", 0)
            raise

    # Calls ------------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        params: Mapping[str, str] | None = None,
        *,
        attempts: int | None = None,
        seconds: float = REQUEST_SECONDS,
    ) -> Any:
        """Call `method` and return its `result`; retry what may succeed later, then raise."""
        tries = self._attempts if attempts is None else attempts
        for attempt in range(tries):
            try:
                return await self._call_once(method, params or {}, seconds)
            except ZaloUnreachable as error:
                if error.sent or attempt + 1 >= tries:
                    raise
            except ZaloError as error:
                if not error.transient or attempt + 1 >= tries:
                    raise
            await self._sleep(self._backoff.delay(attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _call_once(self, method: str, params: Mapping[str, str], seconds: float) -> Any:
        try:
            response = await self._http.post(self._base + method, json=dict(params),
                                             timeout=seconds)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ZaloUnreachable(method, self._describe(exc), sent=False) from None
        except httpx.HTTPError as exc:  # read timeout, connection dropped: maybe delivered
            raise ZaloUnreachable(method, self._describe(exc), sent=True) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise self._error(method, response.status_code, "the answer is not a JSON object")
        if body.get("ok") is True and response.is_success:
            return body.get("result")
        code = body.get("error_code")
        status = code if isinstance(code, int) and code >= 400 else response.status_code
        if status < 400:  # ok:false with HTTP 200 and no error code
            status = 400
        raise self._error(method, status, str(body.get("description") or "no description"))

    def _error(self, method: str, status: int, description: str) -> ZaloError:
        kind = {401: ZaloUnauthorized, 429: ZaloQuotaExceeded}.get(status, ZaloError)
        return kind(method, status, self.redact(description))

    def _describe(self, exc: httpx.HTTPError) -> str:
        return self.redact(f"{type(exc).__name__}: {exc}")


def _sent(result: Any) -> SentMessage:
    result = result if isinstance(result, dict) else {}
    return SentMessage(str(result.get("message_id", "")), int(result.get("date") or 0))


def _webhook(result: Any) -> WebhookInfo:
    result = result if isinstance(result, dict) else {}
    return WebhookInfo(str(result.get("url") or ""), int(result.get("updated_at") or 0))
