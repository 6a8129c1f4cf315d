"""Telegram transport: python-telegram-bot updates in, Replies out, private chats only.

    message / command ──► Inbound(text) ──┐
                                          ├─► dispatcher.handle ──► [Reply] ──► sendMessage,
    tap (callback query) ─► answer it ────┘       (never raises)               editMessageText,
      └─► Inbound(choice=key, token=token)                                     sendDocument

A tap carries "token|key" as callback data (Telegram allows 64 bytes); a longer token travels
as a short hash (see CallbackCodec), and a button nobody can read any more is treated like a tap
on an old question (the dispatcher shows the current one). An accepted single-choice tap is
acknowledged by editing the prompt to "question → label" without buttons; a Reply marked
`edit` (a multi-select toggle) replaces the tapped prompt's text and keyboard instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import signal
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Sequence
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
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

from bot.app import App
from bot.config import ConfigError, Settings
from bot.core.commands import Registry
from bot.core.messages import Choice, Inbound, Reply
from bot.domain.org import Grant, User
from bot.i18n import Translator, choose_locale, translator
from bot.logsafe import log_failure

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
CONTROL_KEYS = ("done", "back")  # no ☑/☐ mark; laid out on their own last row
CHECKED, UNCHECKED = "☑ ", "☐ "
ARROW = "\n→ "
EMPTY_TEXT = "…"  # Telegram refuses an empty message
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


def utf16_length(text: str) -> int:
    """Return the length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut a long text into messages of at most `limit`, at line ends or spaces if possible."""
    chunks: list[str] = []
    rest = text
    while utf16_length(rest) > limit:
        cut = _longest_prefix(rest, limit)
        window = rest[:cut]
        for separator in ("\n\n", "\n", " "):
            at = window.rfind(separator)
            if at > cut // 2:
                cut = at + len(separator)
                break
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    chunks.append(rest.rstrip() if chunks else rest)
    return [chunk for chunk in chunks if chunk.strip()] or [EMPTY_TEXT]


def _longest_prefix(text: str, limit: int) -> int:
    """Return how many characters of `text` fit in `limit` UTF-16 code units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def button_label(reply: Reply, choice: Choice) -> str:
    if reply.multi and choice.key not in CONTROL_KEYS:
        return (CHECKED if choice.key in reply.selected else UNCHECKED) + choice.label
    return choice.label


def keyboard(reply: Reply, codec: CallbackCodec) -> InlineKeyboardMarkup | None:
    """Lay the choices out as inline buttons: short labels 2 or 3 a row, long ones alone."""
    if not reply.choices:
        return None

    def button(choice: Choice) -> InlineKeyboardButton:
        data = codec.encode(reply.token, choice.key)
        return InlineKeyboardButton(button_label(reply, choice), callback_data=data)

    options = [c for c in reply.choices if c.key not in CONTROL_KEYS]
    controls = [c for c in reply.choices if c.key in CONTROL_KEYS]
    widest = max((len(button_label(reply, c)) for c in options), default=0)
    per_row = 3 if widest <= 6 else 2 if widest <= 14 else 1
    rows = [
        [button(c) for c in options[start:start + per_row]]
        for start in range(0, len(options), per_row)
    ]
    if controls:
        rows.append([button(c) for c in controls])
    return InlineKeyboardMarkup(rows)


# Logging ------------------------------------------------------------------------------


class RedactToken(logging.Filter):
    """Replace the bot token wherever it would reach a log line (message or traceback)."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg = message.replace(self.token, "<token>")
            record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<token>")
        return True


def hide_token_in_logs(token: str) -> None:
    """Filter every root handler, and keep httpx (which logs request URLs) at WARNING."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactToken) for f in handler.filters):
            handler.addFilter(RedactToken(token))


# The channel --------------------------------------------------------------------------


class TelegramChannel:
    """Turn updates into Inbound messages and Replies into Bot API calls."""

    def __init__(self, app: App):
        self.app = app
        self.codec = CallbackCodec()
        self._told_groups: set[int] = set()
        # The last message with buttons in each chat (in memory: a restart forgets, harmlessly).
        self._open_prompts: dict[int, int] = {}
        # The menu each chat was last given (locale and roles), so it is set once per change.
        self._chat_menus: dict[int, tuple[str, tuple[Grant, ...]]] = {}

    @property
    def registry(self) -> Registry:
        return self.app.dispatcher.registry

    def install(self, application: TelegramApplication) -> None:
        """Register the handlers, in order; the first that matches an update wins."""
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        edited = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE
        groups = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
        application.add_handlers([
            # Text, commands (and anything else typed) in a private chat go to the dispatcher.
            MessageHandler(private, self.received_message),
            # An edited answer is not taken back: say so, rather than keep silent.
            MessageHandler(edited, self.received_edit),
            # Taps on inline buttons; answered at once, then dispatched.
            CallbackQueryHandler(self.received_tap),
            # Groups: one polite pointer to the private chat, nothing else.
            MessageHandler(groups, self.received_group_message),
        ])
        application.add_error_handler(self.failed)

    async def received_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        inbound = Inbound(CHANNEL, str(user.id), text=message.text or "",
                          language_code=user.language_code, display_name=user.full_name)
        await self._close_open_prompt(context.bot, message.chat_id)
        if message.text is None:  # a photo, sticker or voice note: nothing the bot can read
            t = await self._translator_for(user.id, user.language_code)
            notice = Reply(t("I can only read typed text. Please type your answer."))
            replies = [notice, *await self.app.dispatcher.repeat_question(inbound)]
        else:
            replies = await self.app.dispatcher.handle(inbound)
        await self.deliver(context.bot, message.chat_id, replies)
        await self.refresh_chat_menu(context.bot, message.chat_id, str(user.id),
                                     user.language_code)

    async def received_edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        t = await self._translator_for(user.id, user.language_code)
        await context.bot.send_message(message.chat_id, t(
            "I do not read edited messages: the first answer stands. To change it, go « Back "
            "to the question and answer it again."
        ))

    async def received_tap(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        message = query.message if isinstance(query.message, Message) else None
        user = query.from_user
        data = query.data or ""
        current = await self._current_token(str(user.id))
        decoded = self.codec.decode(data, current)
        stale = decoded is None or decoded[0] != current
        notice = None
        if stale:  # a double tap, or a button of a question already answered
            t = await self._translator_for(user.id, user.language_code)
            notice = t("That button belongs to an earlier question.")
        try:
            # First: the spinner on the button stops at once (with a small notice if stale).
            await query.answer(notice)
        except TelegramError as exc:  # e.g. "query is too old" after a restart: carry on
            log.info("telegram: could not answer a tap (%s)", type(exc).__name__)
        if message is not None and message.chat.type != ChatType.PRIVATE:
            return
        if stale:
            if message is not None:  # its buttons can only mislead now
                await self._acknowledge(context.bot, message, data, "", accepted=False)
            return
        # An unreadable button still reaches the dispatcher, which shows the current question.
        token, key = decoded if decoded is not None else ("", "")
        inbound = Inbound(CHANNEL, str(user.id), choice=key, token=token,
                          language_code=user.language_code)
        replies = await self.app.dispatcher.handle(inbound)
        bot = context.bot
        if message is not None:
            if replies and replies[0].edit:  # a toggle: the prompt itself changes
                if await self._edit(bot, message, replies[0]):
                    replies = replies[1:]
                else:  # sent anew below; the old buttons must go
                    await self._acknowledge(bot, message, data, key, accepted=False)
            else:
                # Answered: the tap was on the current question and it is not asked again.
                accepted = (decoded is not None and bool(token) and token == current
                            and all(r.token != token for r in replies))
                await self._acknowledge(bot, message, data, key, accepted)
        chat_id = message.chat_id if message is not None else user.id
        await self.deliver(bot, chat_id, replies)
        await self.refresh_chat_menu(bot, chat_id, str(user.id), user.language_code)

    async def received_group_message(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        chat = update.effective_chat
        if chat is None or chat.id in self._told_groups:
            return
        self._told_groups.add(chat.id)
        user = update.effective_user
        t = translator(choose_locale(None, user.language_code if user else None,
                                     self.app.settings.locale))
        await context.bot.send_message(chat.id, t(
            "I only work in a private chat. Please open a chat with me and send /start there."
        ))

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
        t = await self._translator_for(user.id, user.language_code)
        apology = Reply(t(
            "Sorry, something went wrong on our side. Your earlier answers are kept; "
            "please try again in a moment, or send /cancel to start over."
        ))
        try:
            # The question again: a failed send may be why the user never saw it.
            inbound = Inbound(CHANNEL, str(user.id), language_code=user.language_code)
            question = await self.app.dispatcher.repeat_question(inbound)
        except Exception as exc:  # the database may be what failed
            log.warning("telegram: could not find the question again (%s)", type(exc).__name__)
            question = []
        try:
            await self.deliver(context.bot, chat.id, [apology, *question])
        except TelegramError as exc:
            log.warning("telegram: could not send the apology (%s)", type(exc).__name__)

    # Rendering --------------------------------------------------------------------------

    async def deliver(self, bot: Bot, chat_id: int, replies: Sequence[Reply]) -> None:
        for reply in replies:
            await self.send(bot, chat_id, reply)

    async def send(self, bot: Bot, chat_id: int, reply: Reply) -> None:
        """Send one Reply as new messages: text (split if long, buttons last), then the file."""
        markup = keyboard(reply, self.codec)
        attachment = reply.attachment
        if attachment is not None and markup is None and utf16_length(reply.text) <= CAPTION_LIMIT:
            await bot.send_document(chat_id, attachment.data, filename=attachment.filename,
                                    caption=reply.text or None)
            return
        if reply.text or markup is not None or attachment is None:
            chunks = split_text(reply.text)
            for chunk in chunks[:-1]:
                await bot.send_message(chat_id, chunk)
            sent = await bot.send_message(chat_id, chunks[-1], reply_markup=markup)
            if markup is not None:  # its buttons go once the question is answered by typing
                self._open_prompts[chat_id] = sent.message_id
        if attachment is not None:
            await bot.send_document(chat_id, attachment.data, filename=attachment.filename)

    async def _close_open_prompt(self, bot: Bot, chat_id: int) -> None:
        """Remove the buttons of the last question, answered now by typing."""
        message_id = self._open_prompts.pop(chat_id, None)
        if message_id is None:
            return
        try:
            await bot.edit_message_reply_markup(chat_id, message_id)
        except BadRequest as exc:  # already edited, or too old: nothing to remove
            log.info("telegram: could not close a prompt (%s)", type(exc).__name__)

    async def _edit(self, bot: Bot, message: Message, reply: Reply) -> bool:
        """Replace the tapped prompt by `reply`; False when it cannot be (then it is sent)."""
        if reply.attachment is not None or utf16_length(reply.text) > TEXT_LIMIT:
            return False
        try:
            await bot.edit_message_text(reply.text or EMPTY_TEXT, message.chat_id,
                                        message.message_id,
                                        reply_markup=keyboard(reply, self.codec))
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
                    await bot.edit_message_text(answered, message.chat_id, message.message_id)
                    return
            if message.reply_markup is not None:
                await bot.edit_message_reply_markup(message.chat_id, message.message_id)
        except BadRequest as exc:  # too old to edit, or already edited: nothing to fix
            log.info("telegram: could not mark a prompt answered (%s)", type(exc).__name__)

    async def _current_token(self, user_key: str) -> str | None:
        """Return the token of the question the user is at (to tell an old tap from an answer)."""
        return await self.app.dispatcher.current_token(CHANNEL, user_key)

    async def _translator_for(self, user_id: int, language_code: str | None) -> Translator:
        default = self.app.settings.locale
        try:
            user = await self.app.dispatcher.users.find(CHANNEL, str(user_id))
        except Exception:  # the database may be why we are here
            user = None
        return translator(choose_locale(user.locale if user else None, language_code, default))

    # Menus ------------------------------------------------------------------------------

    def menu_commands(self, locale: str, user: User | None = None) -> list[BotCommand]:
        """Return the command menu in `locale` (of `user`'s roles): commands, then /cancel."""
        t = translator(locale)
        shown = self.registry.commands if user is None else self.registry.available_to(user)
        pairs = [(c.name_for(locale), t(c.description)) for c in shown if c.menu]
        pairs.append((CANCEL_NAMES[locale], t("Cancel the current conversation")))
        commands = []
        for name, description in pairs:
            if not COMMAND_NAME.fullmatch(name):  # Telegram would refuse the whole menu
                log.warning("telegram: /%s cannot be in the command menu", name)
                continue
            commands.append(BotCommand(name, description[:MAX_DESCRIPTION] or name))
        return commands[:MAX_MENU_COMMANDS]

    async def refresh_chat_menu(
        self, bot: Bot, chat_id: int, user_key: str, language_code: str | None
    ) -> None:
        """Give a registered user a menu of just their roles' commands, in their language."""
        user = await self.app.dispatcher.users.find(CHANNEL, user_key)
        if user is None or not user.grants:
            return
        locale = choose_locale(user.locale, language_code, self.app.settings.locale)
        signature = (locale, user.grants)
        if self._chat_menus.get(chat_id) == signature:
            return
        try:
            await bot.set_my_commands(self.menu_commands(locale, user),
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
        shown = [self.registry.find("start"), self.registry.find("help")]
        return [BotCommand(c.name_for(locale), t(c.description)[:MAX_DESCRIPTION])
                for c in shown if c is not None]

    async def set_menus(self, application: TelegramApplication) -> None:
        """Set the strangers' menu per language; the default locale's also for all others."""
        default = self.app.settings.locale
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
    if key == "done" and marked:  # the end of a multi-select: what was ticked
        ticked = [text.removeprefix(CHECKED) for text in marked if text.startswith(CHECKED)]
        return ", ".join(ticked) or tapped.text
    return tapped.text


# Application --------------------------------------------------------------------------


class OneUserAtATime(BaseUpdateProcessor):
    """Handle different users' updates side by side, and each user's in the order sent.

    A slow reply to one secretary (a weak network, a large file) then holds up nobody else,
    while one user's answers still reach their conversation one after the other. The user's
    turn is awaited before a working slot: the other way round, one user's burst of queued
    updates would hold every slot while waiting, and everybody would wait behind them. PTB's
    own limit (which it takes first) is set far above ours, so only ours really applies.
    """

    QUEUE_LIMIT = 10_000  # PTB's semaphore: updates waiting, not updates being worked on

    def __init__(self, max_concurrent_updates: int):
        super().__init__(self.QUEUE_LIMIT)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._queued: Counter[int] = Counter()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            async with self._slots:
                await coroutine
            return
        self._queued[user.id] += 1
        try:
            async with self._locks.setdefault(user.id, asyncio.Lock()), self._slots:
                await coroutine
        finally:
            self._queued[user.id] -= 1
            if not self._queued[user.id]:  # nobody waits: forget the lock
                del self._queued[user.id], self._locks[user.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def build_application(
    app: App,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> TelegramApplication:
    """Build the PTB Application for `app` (requests may be injected by tests)."""
    settings = app.settings
    if settings.telegram_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
    channel = TelegramChannel(app)
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_file_url)
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .concurrent_updates(OneUserAtATime(CONCURRENT_UPDATES))
        .post_init(channel.set_menus)
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    application = builder.build()
    channel.install(application)
    application.bot_data["channel"] = channel
    return application


async def run_telegram(app: App) -> None:
    """Long-poll until SIGINT or SIGTERM, then stop cleanly."""
    token = app.settings.telegram_token
    if token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
    hide_token_in_logs(token)
    application = build_application(app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        if not await _initialize(application, stop):
            return
        try:
            if application.post_init is not None:
                await application.post_init(application)
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(
                timeout=POLL_TIMEOUT,
                allowed_updates=[Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY],
                error_callback=_polling_failed,
                bootstrap_retries=BOOTSTRAP_RETRIES,  # a passing 502 at start is no crash
            )
            log.info("telegram: polling as @%s", application.bot.username)
            await stop.wait()
            log.info("telegram: stopping")
        finally:  # also after a failed start: stop what runs before shutting down
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()
        log.info("telegram: stopped")
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


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
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN was refused by the Bot API; check the token"
            ) from None
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
