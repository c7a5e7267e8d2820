"""A check, on in the tests, that no file store's connection is used by two threads at once.

Why: CPython's ``sqlite3`` can crash when two threads are inside one connection at the same moment
(python/cpython#146471), whatever SQLite's threading mode, and Veil's pages hand work to reader and
writer threads, each meant to use a connection of its own. A slip (a page, a tick or a test reading
through the connection a writer thread writes through) shows up as a rare segfault in an unrelated
test, which cost a landing (sessions 16 and 17). With ``VEIL_CHECK_THREADS`` set (``tests/conftest.py``
sets it), :func:`review.store.connection.connect` opens each file store with :class:`CheckedConnection`,
which notes every statement that begins while another thread's statement runs on the same connection;
the tests fail on any note (:data:`OVERLAPS`). It sees statements as they are sent (``execute``,
``executemany``, ``executescript``), not rows fetched later through their cursors: it catches the slip,
not every way of making it. Off, connections are plain ``sqlite3.Connection``: nothing is checked and
nothing costs.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import threading
import traceback
from collections.abc import Iterator
from typing import Any

ENV = "VEIL_CHECK_THREADS"

#: Each overlap found: the two threads and where each began its statement.
OVERLAPS: list[str] = []


def connection_class() -> type[sqlite3.Connection]:
    """The class a file store's connection is opened with: :class:`CheckedConnection` when the check is on."""
    return CheckedConnection if os.environ.get(ENV) else sqlite3.Connection


class CheckedConnection(sqlite3.Connection):
    """A connection that notes a statement begun while another thread's runs on it (:data:`OVERLAPS`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard = threading.Lock()
        self._inside: dict[int, int] = {}  # thread id -> statements of that thread running now (nested: > 1)

    @contextlib.contextmanager
    def _running(self) -> Iterator[None]:
        """One statement of this thread's running on the connection: noted if another thread's runs too."""
        me = threading.get_ident()
        with self._guard:
            others = [ident for ident in self._inside if ident != me]
            self._inside[me] = self._inside.get(me, 0) + 1
        if others:
            OVERLAPS.append(_overlap(me, others[0]))
        try:
            yield
        finally:
            with self._guard:
                self._inside[me] -= 1
                if not self._inside[me]:
                    del self._inside[me]

    def execute(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        with self._running():
            return super().execute(*args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        with self._running():
            return super().executemany(*args, **kwargs)

    def executescript(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        with self._running():
            return super().executescript(*args, **kwargs)


def _overlap(second: int, first: int) -> str:
    """Which two threads overlapped, and where each began its statement (the second: here, up the stack)."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    running = sys._current_frames().get(first)
    return (f"thread {names.get(second, second)!r} began a statement on a connection while thread "
            f"{names.get(first, first)!r} ran one; the first began it here:\n"
            + "".join(traceback.format_stack(running) if running else ["(gone)\n"])
            + "and the second here:\n" + "".join(traceback.format_stack()[:-4]))
