"""Zalo transport: Zalo Bot API events in, Replies out as plain text (Zalo has no buttons).

    getUpdates (one event a call) ─┐                    ┌─ each user in order, users side by
    webhook POST (secret checked) ─┴─► event ─► lane ───┤  side; an event seen before (kept
                                                        └─ in SQLite) is dropped
        ─► Inbound ─► port.respond ─► [Reply] ─► "1. …" lines, split at 2000 characters,
                                                 a picture by URL (sendPhoto), counted a month

Choices become numbered lines in the same message and are answered by typing the number or
the label; a multi-select by typing its numbers ("1 3"), as its question says. Photos,
stickers, voice notes and the messages Zalo withholds (`message.unsupported.received`) get
the core's "type your answer" notice. A file goes out with sendPhoto when it is a picture and
ZALO_FILES_URL is set (Zalo fetches it from the bot), as a download link when it is another
file, and otherwise as a sentence saying where to get it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.channels.text import render_plain, split_text
from bot.channels.zalo_api import (
    Backoff,
    ZaloBotApi,
    ZaloError,
    ZaloQuotaExceeded,
    ZaloUnauthorized,
)
from bot.channels.zalo_web import FILE_LIFETIME_SECONDS, FileShelf, ZaloWeb
from bot.config import ConfigError, ZaloSettings
from bot.core.messages import Attachment, Inbound, InboundKind, Reply
from bot.core.ordering import Lanes
from bot.core.outbound import Undeliverable, Unreachable
from bot.core.port import Port
from bot.i18n import N_, Translator, translator
from bot.logsafe import hide_token_in_logs, log_failure
from bot.storage.zalo import ZaloLedger

log = logging.getLogger(__name__)

CHANNEL = "zalo"
TEXT_LIMIT = 2000  # sendMessage text and sendPhoto caption, in characters
POLL_SECONDS = 30  # how long a getUpdates waits (Zalo's default)
CONCURRENT_UPDATES = 16  # different users at once; one user's events stay in order
DRAIN_SECONDS = 10.0  # at a stop, how long answers under way may take to go out
START_BACKOFF = Backoff(2, 60)  # while the Bot API is unreachable at start-up
POLL_BACKOFF = Backoff(1, 60)  # after a failed getUpdates
QUOTA_BACKOFF = Backoff(60, 900)  # after a 429 "quota exceeded"
WARN_AT = 0.8  # of the monthly quota: time to tell the operator
# A chat Zalo refuses for good: no such chat (400, 404), or the user blocked the bot (403).
UNREACHABLE_STATUSES = frozenset({400, 403, 404})
PHOTO_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
TEXT_EVENT = "message.text.received"
FILE_LINK = N_("The file {name} can be downloaded for {hours} hours: {url}")
FILE_ELSEWHERE = N_(
    "The file {name} cannot be sent over Zalo. Please get it on Telegram or from your "
    "administrator."
)
FILE_BY_COMMAND = N_(
    "The file {name} cannot be sent over Zalo. Please send {command} on Telegram to get it, "
    "or ask your administrator."
)


# Events in ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ZaloEvent:
    """A message event, read defensively (field names differ between docs and payloads)."""

    name: str
    message_id: str
    user_key: str  # from.id
    chat_id: str  # where to answer: the user in a private chat, else the group
    group: bool
    text: str
    display_name: str | None  # the profile name, kept at registration only


def parse_event(body: Any) -> ZaloEvent | None:
    """Read a getUpdates result or a webhook body, wrapped in {ok, result} or flat.

    Return None for anything that is not a message from a person.
    """
    if isinstance(body, dict) and isinstance(body.get("result"), dict):
        body = body["result"]
    if not isinstance(body, dict):
        return None
    name, message = body.get("event_name"), body.get("message")
    if not isinstance(name, str) or not name.startswith("message.") \
            or not isinstance(message, dict):
        return None
    sender, chat = _mapping(message.get("from")), _mapping(message.get("chat"))
    user_key = str(sender.get("id") or chat.get("id") or "")
    if not user_key or sender.get("is_bot") is True:
        return None
    chat_type = str(chat.get("chat_type") or "PRIVATE").upper()
    text = message.get("text")
    return ZaloEvent(
        name=name,
        message_id=str(message.get("message_id") or ""),
        user_key=user_key,
        chat_id=str(chat.get("id") or user_key),
        group=chat_type != "PRIVATE",
        text=text if isinstance(text, str) else "",
        display_name=str(sender.get("display_name") or "") or None,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def inbound_of(event: ZaloEvent) -> Inbound:
    """Turn an event into the core's Inbound (Zalo tells no language)."""
    if event.group:
        kind = InboundKind.GROUP
    elif event.name == TEXT_EVENT:
        kind = InboundKind.MESSAGE
    else:  # a photo, sticker, voice note, or content Zalo withheld: nothing to read
        kind = InboundKind.UNREADABLE
    text = event.text if kind is InboundKind.MESSAGE else ""
    return Inbound(CHANNEL, event.user_key, text=text, kind=kind,
                   display_name=event.display_name)


# Replies out --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One Bot API message: a text, or a picture (by URL) with an optional caption."""

    text: str
    photo_url: str | None = None


def outgoing(reply: Reply, t: Translator, shelf: FileShelf | None) -> list[Outgoing]:
    """Cut a Reply into Zalo messages, in order; a picture carries the text if it fits."""
    text = render_plain(replace(reply, attachment=None))  # the choices as "1. …" lines
    attachment = reply.attachment
    photo_url = None
    if attachment is not None:
        photo_url, note = _file_note(attachment, t, shelf)
        if note:
            text = f"{text}\n\n{note}" if text.strip() else note
    chunks = split_text(text, TEXT_LIMIT) if text.strip() else []
    messages = [Outgoing(chunk) for chunk in chunks]
    if photo_url is not None:
        if len(messages) == 1:  # the text rides along as the caption
            return [Outgoing(messages[0].text, photo_url)]
        messages.append(Outgoing("", photo_url))
    return messages


def _file_note(attachment: Attachment, t: Translator,
               shelf: FileShelf | None) -> tuple[str | None, str]:
    """Return (photo URL, sentence to add) for a file: a picture, a link, or where to ask."""
    if shelf is None and attachment.command:  # the command that makes it, to type elsewhere
        return None, t(FILE_BY_COMMAND, name=attachment.filename, command=attachment.command)
    if shelf is None:
        return None, t(FILE_ELSEWHERE, name=attachment.filename)
    url = shelf.put(attachment)
    if attachment.mime_type in PHOTO_TYPES:
        return url, ""
    hours = t.number(FILE_LIFETIME_SECONDS // 3600)
    return None, t(FILE_LINK, name=attachment.filename, hours=hours, url=url)


# The channel --------------------------------------------------------------------------


class ZaloChannel:
    """Poll (or take webhook posts), answer through the core, and carry the bot's messages."""

    name = CHANNEL

    def __init__(
        self,
        port: Port,
        settings: ZaloSettings,
        ledger: ZaloLedger,
        clock: Callable[[], datetime],
        api: ZaloBotApi | None = None,
    ):
        self.port = port
        self.settings = settings
        self.ledger = ledger
        self._clock = clock
        self.api = api or ZaloBotApi(settings.token, settings.api_url)
        self.shelf = FileShelf(settings.files_url) if settings.files_url else None
        self.web: ZaloWeb | None = None
        if settings.serves_http:
            self.web = ZaloWeb(settings.listen, self.accept, settings.webhook_url,
                               settings.webhook_secret, self.shelf)
        self.lanes = Lanes(CONCURRENT_UPDATES)
        self.running = False
        self._handling: set[asyncio.Task[None]] = set()

    @property
    def polling(self) -> bool:
        return self.settings.webhook_url is None

    # Running ----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set; raise ConfigError when Zalo refuses the settings."""
        hide_token_in_logs(self.settings.token)
        try:
            if not await _retrying(stop, self._check_token):
                return
            self.running = True
            if self.web is not None:
                await self.web.start()
            if not await _retrying(stop, self._choose_mode):
                return
            await self.ledger.forget_old_events(self._clock())  # once a start is often enough
            await self._report_usage()
            await self._serve(stop)
        finally:
            self.running = False  # no more events are taken: the webhook answers 503
            await self._drain()
            if self.web is not None:
                await self.web.stop()
            await self.api.aclose()
            log.info("zalo: stopped")

    @asynccontextmanager
    async def sending(self) -> AsyncIterator[None]:
        """Be ready to send the bot's own messages without taking updates (`python -m bot
        remind`, which may run beside `python -m bot run`)."""
        hide_token_in_logs(self.settings.token)
        try:
            await self._check_token()
            self.running = True
            yield
        finally:
            self.running = False
            await self.api.aclose()

    async def _check_token(self) -> None:
        """Ask getMe: the token and the API address are right, or the setting is named."""
        try:
            me = await self.api.get_me()
        except ZaloUnauthorized:
            raise ConfigError(
                "ZALO_BOT_TOKEN was refused by the Zalo Bot API; check the token") from None
        except ZaloError as error:
            if error.transient:
                raise
            raise ConfigError(f"ZALO_API_URL or ZALO_BOT_TOKEN: Zalo answered getMe with "
                              f"{_describe(error)}") from None
        log.info("zalo: connected as %s", me.account_name or me.id)

    async def _choose_mode(self) -> None:
        """Set the webhook, or make sure none is set so that getUpdates works."""
        if not self.polling:
            assert self.settings.webhook_url and self.settings.webhook_secret
            try:
                await self.api.set_webhook(self.settings.webhook_url,
                                           self.settings.webhook_secret)
            except ZaloError as error:
                if error.transient:
                    raise
                raise ConfigError(
                    f"ZALO_WEBHOOK_URL was refused by Zalo ({_describe(error)})") from None
            log.info("zalo: receiving updates by webhook")
            return
        try:
            if (await self.api.get_webhook_info()).url:
                await self.api.delete_webhook()  # a webhook left from an earlier set-up
                log.info("zalo: removed the webhook, to poll instead")
        except ZaloError as error:
            if error.transient:
                raise
            log.warning("zalo: could not check for a webhook (%s)", _describe(error))
        log.info("zalo: polling for updates")

    async def _serve(self, stop: asyncio.Event) -> None:
        """Wait for `stop`; meanwhile poll, when polling. A poll that fails for good raises."""
        if not self.polling:
            await stop.wait()
            return
        poller = asyncio.create_task(self._poll(stop), name="zalo-poll")
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({poller, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (poller, stopping):
                task.cancel()
            await asyncio.gather(poller, stopping, return_exceptions=True)
        if poller.done() and not poller.cancelled():
            poller.result()  # raises what ended the polling (a token reset meanwhile)

    async def _poll(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                body = await self.api.get_updates(POLL_SECONDS)
            except ZaloUnauthorized:
                raise ConfigError("ZALO_BOT_TOKEN was refused by the Zalo Bot API while "
                                  "polling; it may have been reset") from None
            except ZaloError as error:
                quota = isinstance(error, ZaloQuotaExceeded)
                delay = (QUOTA_BACKOFF if quota else POLL_BACKOFF).delay(failures)
                failures += 1
                log.warning("zalo: getUpdates failed (%s); retrying in %.0f s",
                            _describe(error), delay)
                await _stopped_within(stop, delay)
                continue
            failures = 0
            if body is not None:
                self.accept(body)

    def accept(self, body: Any) -> bool:
        """Take one update (from a poll or the webhook) and answer it in the background.

        Return False when stopping: the update is not taken, so Zalo may deliver it again.
        """
        if not self.running:
            return False
        event = parse_event(body)
        if event is None:
            return True  # not a message: nothing to answer
        task = asyncio.create_task(self._handle(event))
        self._handling.add(task)
        task.add_done_callback(self._handling.discard)
        return True

    async def _drain(self) -> None:
        """Let answers under way go out, for a little while, then cancel what is left."""
        if not self._handling:
            return
        _, late = await asyncio.wait(set(self._handling), timeout=DRAIN_SECONDS)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    # Answering --------------------------------------------------------------------------

    async def _handle(self, event: ZaloEvent) -> None:
        """Answer one event in its user's turn; a duplicate (a redelivery) is dropped."""
        async with self.lanes.of(event.user_key):
            inbound = inbound_of(event)
            try:
                if event.message_id and not await self.ledger.claim(
                        event.name, event.message_id, self._clock()):
                    log.info("zalo: an event already handled came again; ignored")
                    return
            except Exception as error:  # the database: do not risk applying it twice
                log_failure(log, "zalo: could not record an event", error)
                inbound = Inbound(CHANNEL, event.user_key, kind=InboundKind.FAILED)
            response = await self.port.respond(inbound)
            await self._answer(event, response.replies, translator(response.locale))

    async def _answer(self, event: ZaloEvent, replies: Sequence[Reply], t: Translator) -> None:
        try:
            await self.deliver(event.chat_id, replies, t)
            return
        except ZaloQuotaExceeded:
            log.error("zalo: Zalo refused an answer: the quota is used up (%d messages a "
                      "month on the plan, ZALO_MONTHLY_MESSAGES); answers stop until it renews",
                      self.settings.monthly_messages)
            return
        except ZaloError as error:
            log.warning("zalo: an answer could not be sent (%s)", _describe(error))
            if event.group:
                return
        failed = Inbound(CHANNEL, event.user_key, kind=InboundKind.FAILED)
        apology = await self.port.respond(failed)  # sorry, and the question again
        try:
            await self.deliver(event.chat_id, apology.replies, translator(apology.locale))
        except ZaloError as error:
            log.warning("zalo: the apology could not be sent either (%s)", _describe(error))

    async def send(self, user_key: str, replies: Sequence[Reply]) -> None:
        """Send the bot's own messages (reminders) to a user, after what they are being sent."""
        if not self.running:
            raise Undeliverable("the Zalo channel is not running")
        turn = await self.port.begin(Inbound(CHANNEL, user_key, kind=InboundKind.NOTHING))
        async with self.lanes.of(user_key):
            try:
                await self.deliver(user_key, replies, turn.t)
            except ZaloError as error:
                if error.status in UNREACHABLE_STATUSES:
                    raise Unreachable(f"zalo: {_describe(error)}") from None
                raise

    async def deliver(self, chat_id: str, replies: Sequence[Reply], t: Translator) -> None:
        """Send each Reply as one or more Zalo messages, in order, counting each one."""
        for reply in replies:
            for message in outgoing(reply, t, self.shelf):
                if message.photo_url is not None:
                    await self.api.send_photo(chat_id, message.photo_url, message.text)
                else:
                    await self.api.send_message(chat_id, message.text)
                await self._count_sent()

    # The monthly quota ------------------------------------------------------------------

    def _month(self) -> str:
        return self._clock().strftime("%Y-%m")

    async def _count_sent(self) -> None:
        """Count a message sent; tell the operator as the month's quota comes near."""
        try:
            total = await self.ledger.count_sent(self._month())
        except Exception as error:  # counting must never stop an answer
            log_failure(log, "zalo: could not count a message sent", error)
            return
        quota = self.settings.monthly_messages
        if total == max(1, int(quota * WARN_AT)):
            log.warning("zalo: %d of the %d messages of this month's quota are used",
                        total, quota)
        elif total == quota:
            log.error("zalo: this month's quota of %d messages is used up; Zalo may refuse "
                      "further messages until next month", quota)

    async def _report_usage(self) -> None:
        sent = await self.ledger.sent_in(self._month())
        log.info("zalo: %d of %d messages sent this month", sent, self.settings.monthly_messages)


def _describe(error: ZaloError) -> str:
    """Name a Zalo error for a log line: its status and Zalo's words (the token is cut out)."""
    status = "no answer" if error.status is None else f"HTTP {error.status}"
    return f"{type(error).__name__}, {status}: {error.description[:120]}"


async def _retrying(stop: asyncio.Event, step: Callable[[], Awaitable[None]]) -> bool:
    """Run a start-up step, again while the Bot API is unavailable; False if stopped first."""
    attempt = 0
    while True:
        try:
            await step()
            return True
        except ZaloError as error:
            if not error.transient:
                raise
            delay = START_BACKOFF.delay(attempt)
            attempt += 1
            log.warning("zalo: Bot API unavailable (%s); retrying in %.0f s",
                        _describe(error), delay)
        if await _stopped_within(stop, delay):
            return False


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to `seconds`; True if `stop` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True
