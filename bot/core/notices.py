"""What the bot says about a message rather than in answer to it: one wording, every channel."""

from __future__ import annotations

from bot.i18n import N_

UNREADABLE = N_("I can only read typed text. Please type your answer.")
EDITED = N_(
    "I do not read edited messages: the first answer stands. To change it, go « Back "
    "to the question and answer it again."
)
FILE_TOO_LARGE = N_(
    "I could not take this file: it may be at most {size} MB. Please send a smaller file."
)
GROUP = N_("I only work in a private chat. Please open a chat with me and send /start there.")
# A tap on a button of a question already answered: short enough for a pop-up notice.
STALE_TAP = N_("That button belongs to an earlier question.")
STALE_TAP_THEN_CURRENT = N_(
    "That button belongs to an earlier question. Here is the current one:"
)
APOLOGY = N_(
    "Sorry, something went wrong on our side. Your earlier answers are kept; "
    "please try again in a moment, or send /cancel to start over."
)
# A Save that arrives again for a conversation already saved (nothing is saved twice).
ALREADY_SAVED = N_("This was already saved; nothing was saved twice.")
# A failure after a save was committed: saying "try again" would have it saved twice.
SAVED_THEN_FAILED = N_(
    "Saved. Something went wrong while preparing the rest of the answer; send /help to go on."
)
# An answer that came while another of the same user's was being written (two at once).
REFUSED = N_(
    "This answer came at the same time as another one and was not taken. Here is where "
    "the conversation stands:"
)
