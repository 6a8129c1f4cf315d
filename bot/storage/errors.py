"""The storage's own errors: what repositories raise instead of a database driver's."""

from __future__ import annotations


class StorageError(Exception):
    """The database could not do what was asked (locked too long, disk full, a bug in SQL)."""


class Conflict(StorageError):
    """A write clashes with what is stored: a uniqueness rule, or a change made meanwhile."""


class NotFound(StorageError):
    """A row the operation needs does not exist (any more)."""


class Stale(StorageError):
    """The row changed since it was read (another writer came first): the write is refused.

    Not a Conflict: nothing clashes with the data itself, and a caller that handles a
    Conflict (a month already reported) must not take this for one.
    """
