"""What flows in from a channel and what goes back out, in no platform's terms."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Choice:
    key: str  # stable ASCII key: what a tap carries (Telegram allows 64 bytes of callback data)
    label: str  # translated text shown to the user


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    mime_type: str


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


@dataclass(frozen=True)
class Inbound:
    channel: str  # "telegram", "zalo", "console"
    user_key: str  # the platform's id of the user, as text
    text: str = ""
    choice: str | None = None  # key of a tapped choice
    token: str = ""  # token of the reply whose choice was tapped
    language_code: str | None = None  # the app's language, e.g. "vi" or "en-US"
    display_name: str | None = None  # profile name: stored at registration only, never logged
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def command(self) -> tuple[str, str] | None:
        """Return (name, argument text) when the text is a /command, else None."""
        text = self.text.strip()
        if not text.startswith("/") or self.choice is not None:
            return None
        head, _, rest = text[1:].partition(" ")
        name = head.split("@")[0].lower()  # "/help@SoChiBoBot" in a group-style mention
        return (name, rest.strip()) if name else None
