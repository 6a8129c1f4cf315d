"""What flows in from a channel and what goes back out, in no platform's terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.words import fold


@dataclass(frozen=True)
class Choice:
    key: str  # stable ASCII key: what a tap carries (Telegram allows 64 bytes of callback data)
    label: str  # translated text shown to the user


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    mime_type: str  # "image/…": a channel shows it as a picture where it can
    # The chat command that makes this file ("/xuat 2026-11"): a channel that cannot send
    # files names it, so the user knows where else to ask for it.
    command: str = ""


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()
    multi: bool = False  # taps toggle options; a "done" choice ends the selection
    selected: frozenset[str] = frozenset()
    token: str = ""  # names the question, so a tap on an old prompt can be recognised
    attachment: Attachment | None = None
    edit: bool = False  # a channel that can edit may update the tapped prompt instead
    numbered: bool = True  # typed digits pick a choice (False: digits are the answer itself)


MAX_FILE_BYTES = 2_000_000  # a file a user sends (a province's ratings are about 1 MB)
MAX_SENT_FILE_BYTES = 50_000_000  # a file the bot sends: the Bot API's limit for documents


class InboundKind(StrEnum):
    """What arrived, as far as the core cares; a channel maps its platform's updates to it."""

    MESSAGE = "message"  # typed text, a command or a tapped choice
    UNREADABLE = "unreadable"  # a photo, sticker or voice note: the question is asked again
    EDITED = "edited"  # an edited message: the first answer stands
    GROUP = "group"  # anything in a group chat: the bot works in private chats only
    TOO_LARGE = "too_large"  # a file over MAX_FILE_BYTES: not taken, the question again
    FAILED = "failed"  # the channel failed to deliver the last answer: apologise, ask again
    NOTHING = "nothing"  # no message at all: the bot speaks first (a reminder)


# Channels that show choices as numbered lines (bot/channels/text.py): nothing to tap there.
TEXT_ONLY_CHANNELS = frozenset({"zalo", "console"})


@dataclass(frozen=True)
class Inbound:
    channel: str  # "telegram", "zalo", "console"
    user_key: str  # the platform's id of the user, as text
    text: str = ""
    choice: str | None = None  # key of a tapped choice
    token: str = ""  # token of the reply whose choice was tapped
    language_code: str | None = None  # the app's language, e.g. "vi" or "en-US"
    kind: InboundKind = InboundKind.MESSAGE
    attachment: Attachment | None = None  # a file sent as a document (size-limited by channel)
    display_name: str | None = None  # profile name: stored at registration only, never logged
    # The platform's id of this update when it grows with each update (Telegram's update_id):
    # one not above the last applied is a redelivery, answered but not applied again.
    update_id: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def buttons(self) -> bool:
        """Tell whether the user sees buttons to tap, so a hint may say "tap"."""
        return self.channel not in TEXT_ONLY_CHANNELS

    @property
    def command(self) -> tuple[str, str] | None:
        """Return (name, argument text) when the text is a /command, else None."""
        text = self.text.strip()
        if self.kind is not InboundKind.MESSAGE or self.choice is not None:
            return None
        if not text.startswith("/"):
            return None
        head, _, rest = text[1:].partition(" ")
        # "/help@SoChiBoBot" in a group-style mention; "/hủy" typed with its accents is /huy.
        name = fold(head.split("@")[0])
        return (name, rest.strip()) if name else None
