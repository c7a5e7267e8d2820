"""Is this existing file a Veil store? Asked without changing a byte of it.

Opening a path with :meth:`review.store.Store.open` migrates it: pointed at
another program's SQLite file (or an empty one) it would add Veil's tables
and report on them. Commands that only read an existing store ask here
first. The file is opened read-only and ``immutable`` (no locks, no
journal, no ``-wal``/``-shm`` files created beside it); only when a
``-wal`` file already sits beside it — a store in use, whose newest pages
may still be in the log — is it opened read-only through that log. A file
a stopped program left in the middle of a write is not read at all: that
is said (:func:`left_mid_write`).

A server store (a ``postgresql://`` URL) is asked the same over a
connection whose transactions are all read-only.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from review.errors import StoreError, StoreUnavailable
from review.store import dialect
from review.store.connection import driver_errors, is_url
from review.store.steps import FIRST_STEP

_HEADER = b"SQLite format 3\x00"


def is_veil_store(path: Path | str) -> bool:
    """Whether *path* is an SQLite file (or a server database) with Veil's migration record (its first review step
    applied). A server that cannot be reached raises :class:`StoreUnavailable` saying why: "not a Veil store"
    would be the wrong thing to tell."""
    if is_url(path):
        return _server_has_first_step(str(path))
    path = Path(path)
    try:
        with path.open("rb") as file:
            if file.read(len(_HEADER)) != _HEADER:
                return False  # empty, text, or anything else that is not SQLite
    except OSError:
        return False
    if left_mid_write(path):
        raise StoreUnavailable(f"{path} was left in the middle of a write by a program that stopped (the write's "
                               "undo is in the -journal file beside it): open it once with Veil, which rolls that "
                               "write back, then run this again")
    if _has_first_step(path, "mode=ro&immutable=1"):
        return True
    return _in_use(path) and _has_first_step(path, "mode=ro")


def left_mid_write(path: Path) -> bool:
    """A non-empty ``-journal`` file beside the store: a program stopped in the middle of a write in rollback-journal
    mode (``veil demo``'s bulk load), so the file holds half-written pages until a connection that may write opens
    it (SQLite rolls the write back then: :func:`review.store.connection.finish_stopped_write`). Read-only and
    immutable, the half-written pages would be read as they are."""
    journal = path.with_name(path.name + "-journal")
    return journal.exists() and journal.stat().st_size > 0


def open_read_only(path: Path | str) -> Any:
    """The store at *path* opened so that nothing can write to it: no migration, no lock file left behind.

    For ``veil verify``, which must report on the file as it is (opening
    it as a store would first upgrade it, and could re-create what a
    tamperer removed). A store in use is read through its ``-wal`` log.
    """
    if is_url(path):
        return _read_only_server(str(path))
    path = Path(path)
    mode = "mode=ro" if _in_use(path) else "mode=ro&immutable=1"
    db = sqlite_utils.Database(sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True))
    dialect.add_sqlite_functions(db)
    return db


def _in_use(path: Path) -> bool:
    """A ``-wal`` file beside the store: another connection may hold its newest pages there."""
    return path.with_name(path.name + "-wal").exists()


def _has_first_step(path: Path, mode: str) -> bool:
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)) as conn:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
                            ).fetchone() is None:
                return False
            return conn.execute("SELECT 1 FROM _sqlite_migrations WHERE migration_set = ? AND name = ?",
                                FIRST_STEP).fetchone() is not None
    except sqlite3.DatabaseError:
        return False


def _read_only_server(url: str) -> Any:
    """A server store's connection on which every transaction is read-only: the server refuses any write."""
    from review.store.server import ServerDatabase  # a server's driver, imported only for a server store

    return ServerDatabase.connect(url, read_only=True)


def _server_has_first_step(url: str) -> bool:
    db = _read_only_server(url)
    try:
        with driver_errors():
            if not db["_sqlite_migrations"].exists():
                return False
            return db.execute("SELECT 1 FROM _sqlite_migrations WHERE migration_set = ? AND name = ?",
                              FIRST_STEP).fetchone() is not None
    except StoreError:
        return False
    finally:
        db.close()
