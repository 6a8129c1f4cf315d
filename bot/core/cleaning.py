"""Clean what people type, once, where it enters the core: what is stored is what was seen.

    NFC ─► ANSI escapes out ─► control characters out (a line break stays, a tab is a space)
        ─► format characters out (bidi overrides such as U+202E, zero-width spaces and joiners,
           the BOM, soft hyphens) ─► lone surrogates out ─► at most two combining marks a letter

Lengths are counted in visible characters (`visible_length`): combining marks ride on their
letter, so "Zalgo" text and invisible padding cannot pass a minimum or dodge a maximum.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from bot.core.messages import Inbound

# CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), a lone two-character escape, C1's CSI.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?"
                   r"|\x9b[0-?]*[ -/]*[@-~]?")
# Control characters but \n, the format characters (Unicode category Cf), and surrogates.
_INVISIBLE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_TOO_MANY_MARKS = re.compile(f"([{_COMBINING}]{{2}})[{_COMBINING}]+")
_MARK = re.compile(f"[{_COMBINING}]")


def clean_text(text: str) -> str:
    """Return `text` as it reads: NFC, without escapes, control or invisible characters."""
    if text.isascii() and text.isprintable():  # the common case, in a few hundred ns
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _ANSI.sub("", text)
    text = _INVISIBLE.sub("", text)  # before NFC: a lone surrogate cannot be normalised
    text = unicodedata.normalize("NFC", text)
    return _TOO_MANY_MARKS.sub(r"\1", text)


def visible_length(text: str) -> int:
    """Count the characters a reader sees: combining marks belong to their letter."""
    if text.isascii():
        return len(text)
    return len(text) - len(_MARK.findall(text))


def cleaned(inbound: Inbound) -> Inbound:
    """Return `inbound` with its text, tapped key and display name cleaned."""
    text, choice, name = inbound.text, inbound.choice, inbound.display_name
    new_text = clean_text(text)
    new_choice = None if choice is None else clean_text(choice)
    new_name = None if name is None else clean_text(name)
    if new_text == text and new_choice == choice and new_name == name:
        return inbound
    return replace(inbound, text=new_text, choice=new_choice, display_name=new_name)
