"""Veil's own errors: what the front ends catch, instead of a driver's or a library's.

Every error a person may be told about derives from :class:`VeilError`, so a
page or a command catches one type and shows its message. Store modules turn
the database driver's errors into the ``Store*`` kinds below; nothing above
them ever sees ``sqlite3`` (or, later, ``psycopg``).
"""

from __future__ import annotations


class VeilError(Exception):
    """A problem worth telling the user about in one sentence (its message)."""


class NotAllowed(VeilError, PermissionError):
    """The signed-in person's roles do not allow this (also a ``PermissionError``)."""


class StoreError(VeilError):
    """The store could not do what was asked."""


class StoreBusy(StoreError):
    """Another writer held the store longer than the busy timeout; trying again may work."""


class StoreConflict(StoreError):
    """The change breaks a rule of the data (a duplicate, a missing row, an append-only table)."""


class StoreUnavailable(StoreError):
    """The store cannot be read or written at all: missing, corrupt, read-only, disk full."""


class StoreFull(StoreUnavailable):
    """The disk holding the store has no room left: the write was rolled back whole; once space is freed, it can be
    made again (a page keeps the person's decision on screen for that)."""
