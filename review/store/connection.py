"""Opening the SQLite store and running write transactions.

The connection is in driver autocommit mode (``isolation_level=None``) so
that Veil, not the ``sqlite3`` module, decides where transactions begin:
every user action is exactly one ``BEGIN IMMEDIATE … COMMIT``. ``IMMEDIATE``
takes the write lock up front, so two processes never both read "free" and
then both write (the classic double-claim); the busy timeout makes the
second one wait its turn instead of failing.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Iterator

import sqlite_utils

from review.errors import StoreError

BUSY_TIMEOUT_MS = 10_000


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the store at *path* with Veil's pragmas."""
    path = Path(path)
    if path.exists() and not path.is_file():
        raise StoreError(f"{path} is not a file")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(
            str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a Veil store: {exc}") from exc
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One atomic write: ``BEGIN IMMEDIATE``, then commit, or roll back on error.

    Nested use becomes a savepoint (via sqlite-utils' ``atomic``), so a
    helper that writes can be called both on its own and inside a larger
    action without committing that action half-way.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        try:
            db.conn.execute("COMMIT")
        except BaseException:
            # A failed COMMIT (deferred constraint, I/O error) can leave the
            # transaction open; without this, every later "transaction" would
            # nest as a savepoint of it and never be committed.
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise


def backup(db: sqlite_utils.Database, target: Path) -> Path:
    """Copy the live store to *target* with SQLite's online backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(str(target))) as dest:
        db.conn.backup(dest)
    return target
