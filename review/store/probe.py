"""Is this existing file a Veil store? Asked without changing a byte of it.

Opening a path with :meth:`review.store.Store.open` migrates it: pointed at
another program's SQLite file (or an empty one) it would add Veil's tables
and report on them. Commands that only read an existing store ask here
first. The file is opened read-only and ``immutable`` (no locks, no
journal, no ``-wal``/``-shm`` files created beside it); only when a
``-wal`` file already sits beside it — a store in use, whose newest pages
may still be in the log — is it opened read-only through that log.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import sqlite_utils

_HEADER = b"SQLite format 3\x00"
_FIRST_STEP = ("review", "m001_core")  # every Veil store has applied it


def is_veil_store(path: Path) -> bool:
    """Whether *path* is an SQLite file with Veil's migration record (its first review step applied)."""
    try:
        with path.open("rb") as file:
            if file.read(len(_HEADER)) != _HEADER:
                return False  # empty, text, or anything else that is not SQLite
    except OSError:
        return False
    if _has_first_step(path, "mode=ro&immutable=1"):
        return True
    return _in_use(path) and _has_first_step(path, "mode=ro")


def open_read_only(path: Path) -> sqlite_utils.Database:
    """The store at *path* opened so that nothing can write to it: no migration, no lock file left behind.

    For ``veil verify``, which must report on the file as it is (opening
    it as a store would first upgrade it, and could re-create what a
    tamperer removed). A store in use is read through its ``-wal`` log.
    """
    mode = "mode=ro" if _in_use(path) else "mode=ro&immutable=1"
    return sqlite_utils.Database(sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True))


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
                                _FIRST_STEP).fetchone() is not None
    except sqlite3.DatabaseError:
        return False
