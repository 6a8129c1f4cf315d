"""Log failures by type and place only: an exception's message may quote what a user typed."""

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
