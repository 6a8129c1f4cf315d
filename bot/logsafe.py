"""Logs that keep secrets: failures by type and place only, tokens redacted.

An exception's message may quote what a user typed; a URL may carry a bot token.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

FRAMES = 8  # the innermost frames say where; more only lengthens the line


def log_failure(logger: logging.Logger, what: str, error: BaseException) -> None:
    """Log `what` failed, with the error's type and innermost frames, never its message."""
    frames = traceback.extract_tb(error.__traceback__)[-FRAMES:]
    where = " < ".join(
        f"{Path(frame.filename).name}:{frame.lineno} {frame.name}" for frame in reversed(frames)
    )
    logger.error("%s: %s at %s", what, type(error).__name__, where or "?")


class RedactToken(logging.Filter):
    """Replace a secret (a bot token) wherever it would reach a log line, tracebacks too."""

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
        if not any(isinstance(f, RedactToken) and f.token == token for f in handler.filters):
            handler.addFilter(RedactToken(token))
