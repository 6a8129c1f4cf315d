"""Telegram transport: python-telegram-bot updates in, Replies out, private chats only.

    message / command ──► Inbound(text) ──────────┐
    document ≤ 2 MB ──► Inbound(attachment) ───────┤
    photo, sticker… ──► Inbound(UNREADABLE) ───────┤
    edited message ──► Inbound(EDITED) ────────────┼─► port.respond ─► [Reply] ─► sendMessage,
    group message ──► Inbound(GROUP), once a group ┤     (never raises)           editMessageText,
    tap ─► port.begin: stale? ─► answer the tap ───┘                              sendDocument
             └─► Inbound(choice=key, token=token)

What every channel needs (the notices and their words, the user's language, each user's
updates in order) lives in the core; this module only speaks Telegram. A tap carries
"token|key" as callback data (Telegram allows 64 bytes); a longer token travels as a short
hash (see CallbackCodec), and a button nobody can read any more is treated like a tap on an
old question. An accepted single-choice tap is acknowledged by editing the prompt to
"question → label" without buttons; a Reply marked `edit` (a multi-select toggle) replaces the
tapped prompt's text and keyboard instead. The channel is also the Sender of the messages the
bot starts on Telegram. Updates come by long polling, or by webhook when CHIBO_WEBHOOK_URL is
set (`bot.channels.webhook`: the secret header checked, and GET /healthz).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.netutil
import tornado.web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    Document,
    Message,
    Update,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    JobQueue,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.channels.ratelimit import PriorityRateLimiter, in_background
from bot.channels.text import EMPTY_TEXT, split_text
from bot.channels.webhook import HEALTH_PATH, HealthHandler, WebhookHandler
from bot.config import ConfigError, Settings, TelegramWebhook
from bot.core import notices
from bot.core.flow import CHECKED, CONTROL_KEYS, DONE, UNCHECKED, choice_label
from bot.core.messages import MAX_FILE_BYTES, Attachment, Choice, Inbound, InboundKind, Reply
from bot.core.ordering import Lanes
from bot.core.outbound import Undeliverable, Unreachable
from bot.core.port import Port, Response
from bot.domain.org import Grant, User
from bot.i18n import translator
from bot.logsafe import hide_token_in_logs, log_failure

log = logging.getLogger(__name__)

TelegramApplication = Application[
    ExtBot[int],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]

CHANNEL = "telegram"
MAX_CALLBACK_BYTES = 64  # Bot API limit of InlineKeyboardButton.callback_data
HASH_PREFIX = "#"  # callback data that is a hash of a (token, key) pair too long to send
TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096, counted in UTF-16 code units
CAPTION_LIMIT = int(MessageLimit.CAPTION_LENGTH)  # 1024
PHOTO_TYPES = frozenset({"image/png", "image/jpeg"})  # what sendPhoto takes (up to 10 MB)
ARROW = "\n→ "
RATE_LIMIT_RETRIES = 3
BOOTSTRAP_RETRIES = 5  # deleteWebhook at start-up, tried again with PTB's back-off
CONCURRENT_UPDATES = 16  # different users at once; one user's updates stay in order
POLL_TIMEOUT = 10  # seconds a getUpdates long poll waits
START_RETRY_SECONDS = (2, 5, 10, 30, 60)  # back-off while the Bot API is unreachable at start
MENU_LANGUAGES = ("vi", "en")
CANCEL_NAMES = {"vi": "huy", "en": "cancel"}
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")  # what setMyCommands accepts
MAX_DESCRIPTION = 256
MAX_MENU_COMMANDS = 100
TOKEN_REFUSED = "TELEGRAM_BOT_TOKEN was refused by the Bot API; check the token"
MAX_DOCUMENT_BYTES = MAX_FILE_BYTES  # fetched only up to this size (getFile allows 20 MB)
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_WEBHOOK_BYTES = 1_000_000  # an update is a few kB (a document comes by getFile)


# Callback data ------------------------------------------------------------------------


class CallbackCodec:
    """Encode a (token, key) pair as callback data of at most 64 bytes, and back.

    "token|key" when it fits; else "#<hash of token>|key", read back by comparing with the
    token of the user's current question (so it survives a restart); else, for a key too long
    for that, "#<hash of both>" remembered in memory (lost by a restart: then the tap is
    treated as one on an old question).
    """

    def __init__(self, capacity: int = 10_000):
        self.capacity = capacity
        self._long: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def encode(self, token: str, key: str) -> str:
        data = f"{token}|{key}"
        if _fits(data) and "|" not in token and not data.startswith(HASH_PREFIX):
            return data
        compact = f"{HASH_PREFIX}{_digest(token, 10)}|{key}"
        if _fits(compact):
            return compact
        remembered = HASH_PREFIX + _digest(data, 24)
        self._long[remembered] = (token, key)
        self._long.move_to_end(remembered)
        while len(self._long) > self.capacity:
            self._long.popitem(last=False)
        return remembered

    def decode(self, data: str, current: str | None = None) -> tuple[str, str] | None:
        """Return (token, key), or None for data that names no question this process knows.

        `current` is the token of the user's current question, which a hashed token may name.
        """
        if not data.startswith(HASH_PREFIX):
            token, sep, key = data.partition("|")
            return (token, key) if sep else None
        hashed, sep, key = data[len(HASH_PREFIX):].partition("|")
        if not sep:
            return self._long.get(data)
        if current is not None and _digest(current, 10) == hashed:
            return (current, key)
        return None


def _fits(data: str) -> bool:
    return len(data.encode()) <= MAX_CALLBACK_BYTES


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


# Rendering ----------------------------------------------------------------------------


async def send_file(bot: Bot, chat_id: int, attachment: Attachment, caption: str | None) -> None:
    """Send a file: a picture as a photo (shown in the chat), anything else as a document."""
    if attachment.mime_type in PHOTO_TYPES:
        await bot.send_photo(chat_id, attachment.data, caption=caption,
                             filename=attachment.filename)
    else:
        await bot.send_document(chat_id, attachment.data, filename=attachment.filename,
                                caption=caption)


def utf16_length(text: str) -> int:
    """Return the length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


JSONDict = dict[str, Any]


def keyboard_json(reply: Reply, codec: CallbackCodec) -> JSONDict | None:
    """Lay the choices out as inline buttons: short labels 2 or 3 a row, long ones alone.

    As the Bot API's JSON, sent as it is (building PTB's objects for it costs as much again).
    """
    if not reply.choices:
        return None

    def button(choice: Choice) -> JSONDict:
        return {"text": choice_label(reply, choice),
                "callback_data": codec.encode(reply.token, choice.key)}

    options = [c for c in reply.choices if c.key not in CONTROL_KEYS]
    controls = [c for c in reply.choices if c.key in CONTROL_KEYS]
    widest = max((len(choice_label(reply, c)) for c in options), default=0)
    per_row = 3 if widest <= 6 else 2 if widest <= 14 else 1
    rows = [
        [button(c) for c in options[start:start + per_row]]
        for start in range(0, len(options), per_row)
    ]
    if controls:
        rows.append([button(c) for c in controls])
    return {"inline_keyboard": rows}


async def post(bot: Bot, method: str, params: JSONDict) -> Any:
    """Call the Bot API through the bot (its rate limiter, its errors) and return the JSON.

    python-telegram-bot's send_message turns Telegram's answer (the message, its keyboard
    included) into objects: a quarter of the bot's time per update, for the one message id
    it needs. `Bot._post` is the step before that, in every 22.x release.
    """
    return await bot._post(method, params)


# The channel --------------------------------------------------------------------------


class TelegramChannel:
    """Turn updates into Inbound messages and Replies into Bot API calls; run the polling."""

    name = CHANNEL

    def __init__(
        self,
        port: Port,
        settings: Settings,
        request: BaseRequest | None = None,
        get_updates_request: BaseRequest | None = None,
        rate_limited: bool = True,  # False only to measure the channel's own cost
    ):
        if settings.telegram_token is None:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
        self.port = port
        self.settings = settings
        self.codec = CallbackCodec()
        self._told_groups: set[int] = set()
        # The last message with buttons in each chat (in memory: a restart forgets, harmlessly).
        self._open_prompts: dict[int, int] = {}
        # The menu each chat was last given (locale and roles), so it is set once per change.
        self._chat_menus: dict[int, tuple[str, tuple[Grant, ...]]] = {}
        self._web: tornado.httpserver.HTTPServer | None = None  # the webhook's, when it is one
        self.application = self._build(settings.telegram_token, request, get_updates_request,
                                       rate_limited)

    def _build(
        self,
        token: str,
        request: BaseRequest | None,
        get_updates_request: BaseRequest | None,
        rate_limited: bool,
    ) -> TelegramApplication:
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(self.settings.telegram_base_url)
            .base_file_url(self.settings.telegram_file_url)
            .concurrent_updates(OneUserAtATime(CONCURRENT_UPDATES))
            .post_init(self.set_menus)
        )
        if request is not None:
            builder = builder.request(request)
        if get_updates_request is not None:
            builder = builder.get_updates_request(get_updates_request)
        if rate_limited:
            # About 30 messages a second, the users' answers before the bot's own messages.
            limiter = PriorityRateLimiter(max_retries=RATE_LIMIT_RETRIES)
            application = builder.rate_limiter(limiter).build()
        else:  # the same Application, only without waits between calls
            application = cast(TelegramApplication, builder.build())
        self.install(application)
        application.bot_data["channel"] = self
        return application

    def install(self, application: TelegramApplication) -> None:
        """Register the handlers, in order; the first that matches an update wins."""
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        edited = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE
        groups = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
        application.add_handlers([
            # Text, commands (and anything else typed) in a private chat go to the core.
            MessageHandler(private, self.received_message),
            # An edited answer is not taken back: say so, rather than keep silent.
            MessageHandler(edited, self.received_edit),
            # Taps on inline buttons; answered at once, then dispatched.
            CallbackQueryHandler(self.received_tap),
            # Groups: one polite pointer to the private chat, nothing else.
            MessageHandler(groups, self.received_group_message),
        ])
        application.add_error_handler(self.failed)

    # Updates in -------------------------------------------------------------------------

    async def received_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        attachment = await self._download(context.bot, message.document)
        kind = InboundKind.MESSAGE
        if message.document is not None and attachment is None:
            kind = InboundKind.TOO_LARGE
        elif message.text is None and attachment is None:  # a photo, sticker or voice note
            kind = InboundKind.UNREADABLE
        inbound = Inbound(CHANNEL, str(user.id), text=message.text or "",
                          language_code=user.language_code, kind=kind, attachment=attachment,
                          display_name=user.full_name, update_id=update.update_id)
        answered = self._open_prompts.pop(message.chat_id, None)
        response = await self.port.respond(inbound)
        await self.deliver(context.bot, message.chat_id, response.replies)
        if message.chat_id not in self._open_prompts:
            # Nothing newer has buttons: those of the question answered by typing would be
            # the last in the chat, so they go (after the reply). Under a newer question they
            # may stay: a tap on them is told it is late, and only then are they removed.
            await self._close_prompt(context.bot, message.chat_id, answered)
        await self.refresh_chat_menu(context.bot, message.chat_id, response)

    async def _download(self, bot: Bot, document: Document | None) -> Attachment | None:
        """Fetch a document's bytes (a ratings file); None when too large or unreachable."""
        if document is None or (document.file_size or 0) > MAX_DOCUMENT_BYTES:
            return None
        try:
            file = await bot.get_file(document.file_id)
            data = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("telegram: could not fetch a document (%s)", type(exc).__name__)
            return None
        if len(data) > MAX_DOCUMENT_BYTES:
            return None
        return Attachment(document.file_name or "file", data,
                          document.mime_type or "application/octet-stream")

    async def received_edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        response = await self.port.respond(Inbound(
            CHANNEL, str(user.id), language_code=user.language_code, kind=InboundKind.EDITED))
        await self.deliver(context.bot, message.chat_id, response.replies)

    async def received_tap(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        message = query.message if isinstance(query.message, Message) else None
        user = query.from_user
        data = query.data or ""
        turn = await self.port.begin(Inbound(CHANNEL, str(user.id),
                                             language_code=user.language_code))
        current = turn.token
        decoded = self.codec.decode(data, current)
        # A double tap, or a button of a question already answered.
        stale = decoded is None or decoded[0] != current
        try:
            # First: the spinner on the button stops at once (with a small notice if stale).
            await query.answer(turn.t(notices.STALE_TAP) if stale else None)
        except TelegramError as exc:  # e.g. "query is too old" after a restart: carry on
            log.info("telegram: could not answer a tap (%s)", type(exc).__name__)
        if message is not None and message.chat.type != ChatType.PRIVATE:
            return
        if stale:
            if message is not None:  # its buttons can only mislead now
                await self._acknowledge(context.bot, message, data, "", accepted=False)
            return
        token, key = decoded if decoded is not None else ("", "")
        response = await turn.respond(Inbound(CHANNEL, str(user.id), choice=key, token=token,
                                              language_code=user.language_code,
                                              update_id=update.update_id))
        replies = response.replies
        bot = context.bot
        if message is not None:
            if replies and replies[0].edit:  # a toggle: the prompt itself changes
                if await self._edit(bot, message, replies[0]):
                    replies = replies[1:]
                else:  # sent anew below; the old buttons must go
                    await self._acknowledge(bot, message, data, key, accepted=False)
            else:
                # Answered: the tap was on the current question and it is not asked again.
                accepted = bool(token) and all(r.token != token for r in replies)
                await self._acknowledge(bot, message, data, key, accepted)
        chat_id = message.chat_id if message is not None else user.id
        await self.deliver(bot, chat_id, replies)
        await self.refresh_chat_menu(bot, chat_id, response)

    async def received_group_message(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or chat.id in self._told_groups:
            return
        self._told_groups.add(chat.id)
        response = await self.port.respond(Inbound(
            CHANNEL, str(user.id) if user else "", kind=InboundKind.GROUP,
            language_code=user.language_code if user else None))
        await self.deliver(context.bot, chat.id, response.replies)

    async def failed(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failure (never text, names or token), then apologise in the user's language."""
        error = context.error
        kind = type(error).__name__
        if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
            log.warning("telegram: network error while handling an update (%s)", kind)
        elif isinstance(error, Forbidden):  # the user blocked the bot
            log.warning("telegram: a user cannot be reached (%s)", kind)
        else:
            log_failure(log, "telegram: handling an update failed", error or RuntimeError())
        if not isinstance(update, Update) or isinstance(error, Forbidden):
            return
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or chat.type != ChatType.PRIVATE:
            return
        # The apology, then the question again: a failed send may be why it was never seen.
        response = await self.port.respond(Inbound(
            CHANNEL, str(user.id), language_code=user.language_code, kind=InboundKind.FAILED))
        try:
            await self.deliver(context.bot, chat.id, response.replies)
        except TelegramError as exc:
            log.warning("telegram: could not send the apology (%s)", type(exc).__name__)

    # Messages the bot starts (the Sender) -----------------------------------------------

    async def send(self, user_key: str, replies: Sequence[Reply]) -> None:
        """Send `replies` to a user in their private chat (its id is the user's)."""
        if not self.application.running:
            raise Undeliverable("the Telegram channel is not running")
        try:
            with in_background():  # behind the answers to users in the rate limiter
                await self.deliver(self.application.bot, int(user_key), replies)
        except Forbidden as exc:  # blocked the bot, or never opened a chat with it
            raise Unreachable(f"telegram: {type(exc).__name__}") from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise Unreachable("telegram: chat not found") from exc
            raise

    @asynccontextmanager
    async def sending(self) -> AsyncIterator[None]:
        """Be ready to send the bot's own messages without polling (`python -m bot remind`,
        which may run beside `python -m bot run`: only one of them may take updates)."""
        assert self.settings.telegram_token is not None
        hide_token_in_logs(self.settings.telegram_token)
        application = self.application
        try:
            await application.initialize()
        except InvalidToken:
            raise ConfigError(TOKEN_REFUSED) from None
        try:
            await application.start()  # takes no updates: there is no updater running
            yield
        finally:
            if application.running:
                await application.stop()
            await application.shutdown()

    # Replies out ------------------------------------------------------------------------

    async def deliver(self, bot: Bot, chat_id: int, replies: Sequence[Reply]) -> None:
        for reply in replies:
            await self._send_one(bot, chat_id, reply)

    async def _send_one(self, bot: Bot, chat_id: int, reply: Reply) -> None:
        """Send one Reply as new messages: text (split if long, buttons last), then the file."""
        markup = keyboard_json(reply, self.codec)
        attachment = reply.attachment
        if attachment is not None and markup is None and utf16_length(reply.text) <= CAPTION_LIMIT:
            await send_file(bot, chat_id, attachment, reply.text or None)
            return
        if reply.text or markup is not None or attachment is None:
            chunks = split_text(reply.text, TEXT_LIMIT, utf16_length)
            for chunk in chunks[:-1]:
                await post(bot, "sendMessage", {"chat_id": chat_id, "text": chunk})
            sent = await post(bot, "sendMessage", {"chat_id": chat_id, "text": chunks[-1],
                                                   "reply_markup": markup})
            if markup is not None:  # its buttons go once the question is answered by typing
                self._open_prompts[chat_id] = int(sent["message_id"])
        if attachment is not None:
            await send_file(bot, chat_id, attachment, None)

    async def _close_prompt(self, bot: Bot, chat_id: int, message_id: int | None) -> None:
        """Remove the buttons of a question answered by typing."""
        if message_id is None:
            return
        try:
            await post(bot, "editMessageReplyMarkup", {"chat_id": chat_id,
                                                       "message_id": message_id})
        except BadRequest as exc:  # already edited, or too old: nothing to remove
            log.info("telegram: could not close a prompt (%s)", type(exc).__name__)

    async def _edit(self, bot: Bot, message: Message, reply: Reply) -> bool:
        """Replace the tapped prompt by `reply`; False when it cannot be (then it is sent)."""
        if reply.attachment is not None or utf16_length(reply.text) > TEXT_LIMIT:
            return False
        try:
            await post(bot, "editMessageText", {
                "chat_id": message.chat_id, "message_id": message.message_id,
                "text": reply.text or EMPTY_TEXT, "reply_markup": keyboard_json(reply, self.codec),
            })
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return True
            log.warning("telegram: could not edit a prompt (%s)", type(exc).__name__)
            return False
        return True

    async def _acknowledge(
        self, bot: Bot, message: Message, data: str, key: str, accepted: bool
    ) -> None:
        """Show the chosen answer under the question and remove its buttons."""
        label = chosen_label(message, data, key) if accepted else None
        text = message.text
        try:
            if label is not None and text is not None:
                answered = f"{text}{ARROW}{label}"
                if utf16_length(answered) <= TEXT_LIMIT:
                    await post(bot, "editMessageText", {"chat_id": message.chat_id,
                                                        "message_id": message.message_id,
                                                        "text": answered})
                    return
            if message.reply_markup is not None:
                await post(bot, "editMessageReplyMarkup", {"chat_id": message.chat_id,
                                                           "message_id": message.message_id})
        except BadRequest as exc:  # too old to edit, or already edited: nothing to fix
            log.info("telegram: could not mark a prompt answered (%s)", type(exc).__name__)

    # Menus ------------------------------------------------------------------------------

    def menu_commands(self, locale: str, user: User | None = None) -> list[BotCommand]:
        """Return the command menu in `locale` (of `user`'s roles): commands, then /cancel."""
        t = translator(locale)
        registry = self.port.registry
        shown = registry.commands if user is None else registry.available_to(user)
        pairs = [(c.name_for(locale), t(c.description)) for c in shown if c.menu]
        pairs.append((CANCEL_NAMES[locale], t("Cancel the current conversation")))
        commands = []
        for name, description in pairs:
            if not COMMAND_NAME.fullmatch(name):  # Telegram would refuse the whole menu
                log.warning("telegram: /%s cannot be in the command menu", name)
                continue
            commands.append(BotCommand(name, description[:MAX_DESCRIPTION] or name))
        return commands[:MAX_MENU_COMMANDS]

    async def refresh_chat_menu(self, bot: Bot, chat_id: int, response: Response) -> None:
        """Give a registered user a menu of just their roles' commands, in their language."""
        user = response.user
        if not user.grants:
            return
        signature = (response.locale, user.grants)
        if self._chat_menus.get(chat_id) == signature:
            return
        try:
            await bot.set_my_commands(self.menu_commands(response.locale, user),
                                      scope=BotCommandScopeChat(chat_id))
        except TelegramError as exc:  # the general menu still works
            log.warning("telegram: could not set a chat's menu (%s)", type(exc).__name__)
            return
        self._chat_menus[chat_id] = signature

    def guest_menu(self, locale: str) -> list[BotCommand]:
        """Return the menu of people not registered yet: how to register, and help.

        Registered users get a menu of their own (`refresh_chat_menu`); strangers could not
        use anything else, so showing it would only mislead them.
        """
        t = translator(locale)
        registry = self.port.registry
        shown = [registry.find("start"), registry.find("help")]
        return [BotCommand(c.name_for(locale), t(c.description)[:MAX_DESCRIPTION])
                for c in shown if c is not None]

    async def set_menus(self, application: TelegramApplication) -> None:
        """Set the strangers' menu per language; the default locale's also for all others."""
        default = self.port.default_locale
        menus: list[tuple[str, str | None]] = [(lang, lang) for lang in MENU_LANGUAGES]
        menus.append((default, None))
        try:
            for locale, language_code in menus:
                await application.bot.set_my_commands(
                    self.guest_menu(locale), scope=BotCommandScopeDefault(),
                    language_code=language_code,
                )
        except TelegramError as exc:  # a missing menu must not stop the bot
            log.warning("telegram: could not set the command menus (%s)", type(exc).__name__)

    # Running ----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Long-poll until `stop` is set (or the task is cancelled), then stop cleanly."""
        assert self.settings.telegram_token is not None
        hide_token_in_logs(self.settings.telegram_token)
        application = self.application
        if not await _initialize(application, stop):
            return
        try:
            if application.post_init is not None:
                await application.post_init(application)
            await application.start()
            if self.settings.webhook is not None:
                await self._serve_webhook(stop, self.settings.webhook)
            else:
                await self._poll(stop)
            log.info("telegram: stopping")
        finally:  # also after a failed start or a cancel: stop what runs, then shut down
            if self._web is not None:
                self._web.stop()
                await self._web.close_all_connections()
                self._web = None
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()
            log.info("telegram: stopped")


    async def _poll(self, stop: asyncio.Event) -> None:
        application = self.application
        assert application.updater is not None
        await application.updater.start_polling(
            timeout=POLL_TIMEOUT,
            allowed_updates=ALLOWED_UPDATES,
            error_callback=_polling_failed,
            bootstrap_retries=BOOTSTRAP_RETRIES,  # a passing 502 at start is no crash
        )
        log.info("telegram: polling as @%s", application.bot.username)
        await stop.wait()

    async def _serve_webhook(self, stop: asyncio.Event, webhook: TelegramWebhook) -> None:
        """Listen for Telegram's posts (and /healthz), then tell Telegram where to post.

        The webhook stays set at a stop: Telegram keeps the updates meanwhile and delivers
        them once the bot answers again (a repeat is recognised by its update id).
        """
        host, port = webhook.listen
        routes: list[Any] = [
            (re.escape(urlsplit(webhook.url).path or "/"), WebhookHandler,
             {"secret": webhook.secret, "on_event": self._accept, "header": SECRET_HEADER}),
            (re.escape(HEALTH_PATH), HealthHandler, {"healthy": self.port.healthy}),
        ]
        server = tornado.httpserver.HTTPServer(
            tornado.web.Application(routes, log_function=_log_request),
            max_body_size=MAX_WEBHOOK_BYTES)
        server.add_sockets(tornado.netutil.bind_sockets(port, host))
        self._web = server
        await self.application.bot.set_webhook(
            webhook.url, secret_token=webhook.secret, allowed_updates=ALLOWED_UPDATES,
            max_connections=CONCURRENT_UPDATES)
        log.info("telegram: receiving updates by webhook on %s:%d as @%s", host, port,
                 self.application.bot.username)
        await stop.wait()

    def _accept(self, body: Any) -> bool:
        """Queue one posted update for the Application; False when stopping (503: again)."""
        if not self.application.running:
            return False
        if isinstance(body, dict):  # anything else is no update: nothing to do
            self.application.update_queue.put_nowait(Update.de_json(body, self.application.bot))
        return True


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """Log failures only: a webhook's path is part of its secret."""
    if handler.get_status() >= 500:
        log.warning("telegram: the webhook answered %d", handler.get_status())


def chosen_label(message: Message, data: str, key: str) -> str | None:
    """Return the label of the tapped button (a multi-select's ticked options for "done")."""
    markup = message.reply_markup
    if markup is None:
        return None
    buttons = [b for row in markup.inline_keyboard for b in row]
    tapped = next((b for b in buttons if b.callback_data == data), None)
    if tapped is None:
        return None
    marked = [b.text for b in buttons if b.text.startswith((CHECKED, UNCHECKED))]
    if key == DONE and marked:  # the end of a multi-select: what was ticked
        ticked = [text.removeprefix(CHECKED) for text in marked if text.startswith(CHECKED)]
        return ", ".join(ticked) or tapped.text
    return tapped.text


# Application --------------------------------------------------------------------------


class OneUserAtATime(BaseUpdateProcessor):
    """PTB's hook for the core's Lanes: users side by side, each user's updates in order.

    PTB's own limit (which it takes first) is set far above ours, so only ours really applies.
    """

    QUEUE_LIMIT = 10_000  # PTB's semaphore: updates waiting, not updates being worked on

    def __init__(self, max_concurrent_updates: int):
        super().__init__(self.QUEUE_LIMIT)
        self._lanes = Lanes(max_concurrent_updates)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        async with self._lanes.of(None if user is None else user.id):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def build_application(
    port: Port,
    settings: Settings,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> TelegramApplication:
    """Build the PTB Application of a TelegramChannel (requests may be injected by tests)."""
    return TelegramChannel(port, settings, request, get_updates_request).application


def _polling_failed(error: TelegramError) -> None:
    """Log a failed getUpdates in one line (PTB retries with back-off)."""
    log.warning("telegram: getUpdates failed (%s); retrying", type(error).__name__)


async def _initialize(application: TelegramApplication, stop: asyncio.Event) -> bool:
    """Initialize (getMe), retrying while the Bot API is unreachable; False if stopped first."""
    for attempt in range(10_000):
        try:
            await application.initialize()
            return True
        except InvalidToken:
            raise ConfigError(TOKEN_REFUSED) from None
        except TelegramError as exc:  # NetworkError, TimedOut, a 5xx...
            delay = START_RETRY_SECONDS[min(attempt, len(START_RETRY_SECONDS) - 1)]
            log.warning("telegram: Bot API unreachable (%s); retrying in %d s",
                        type(exc).__name__, delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return False
        except TimeoutError:
            continue
    return False


async def fetch_username(settings: Settings) -> str | None:
    """Return the bot's @name from getMe, or None when the Bot API cannot tell."""
    if settings.telegram_token is None:
        return None
    bot = Bot(settings.telegram_token, base_url=settings.telegram_base_url,
              base_file_url=settings.telegram_file_url)
    try:
        async with bot:
            return bot.username
    except TelegramError as exc:
        log.warning("telegram: could not ask the bot's name (%s)", type(exc).__name__)
        return None
