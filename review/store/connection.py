"""Opening the SQLite store and running write transactions.

The connection is in driver autocommit mode (``isolation_level=None``) so
that Veil, not the ``sqlite3`` module, decides where transactions begin:
every user action is exactly one ``BEGIN IMMEDIATE … COMMIT``. ``IMMEDIATE``
takes the write lock up front, so two processes never both read "free" and
then both write (the classic double-claim); the busy timeout makes the
second one wait its turn instead of failing.

Whatever the driver raises while connecting or inside a write transaction
leaves this module as one of Veil's own errors (:func:`driver_errors`), so
nothing above the store packages knows which database it talks to.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from review.errors import StoreBusy, StoreConflict, StoreUnavailable

BUSY_TIMEOUT_MS = 10_000
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


@contextlib.contextmanager
def driver_errors(what: str = "") -> Iterator[None]:
    """Re-raise the driver's errors as Veil's, with the original as ``__cause__``.

    Busy or locked → :class:`StoreBusy` (trying again may work); a broken
    constraint or trigger → :class:`StoreConflict`; any other database
    error (corrupt, not a database, disk I/O, read-only) →
    :class:`StoreUnavailable`. A ``ProgrammingError`` is a bug in Veil's
    SQL, not a state of the store, and passes unchanged. *what* prefixes the
    message ("… is not a Veil store").
    """
    try:
        yield
    except sqlite3.ProgrammingError:
        raise
    except sqlite3.IntegrityError as exc:
        raise StoreConflict(_message(what, exc)) from exc
    except sqlite3.OperationalError as exc:
        if _is_busy(exc):
            raise StoreBusy(_message(what, exc, "another program is writing to the store; try again")) from exc
        raise StoreUnavailable(_message(what, exc)) from exc
    except sqlite3.DatabaseError as exc:
        raise StoreUnavailable(_message(what, exc)) from exc


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _BUSY_CODES  # extended codes keep the primary code in the low byte
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _message(what: str, exc: BaseException, advice: str = "") -> str:
    text = f"{what}: {exc}" if what else str(exc)
    return f"{text} ({advice})" if advice else text


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the store at *path* with Veil's pragmas."""
    path = Path(path)
    if path.exists() and not path.is_file():
        raise StoreUnavailable(f"{path} is not a file")
    path.parent.mkdir(parents=True, exist_ok=True)
    with driver_errors(f"{path} is not a Veil store"):
        conn = sqlite3.connect(
            str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One atomic write: ``BEGIN IMMEDIATE``, then commit, or roll back on error.

    Nested use becomes a savepoint (via sqlite-utils' ``atomic``), so a
    helper that writes can be called both on its own and inside a larger
    action without committing that action half-way. The driver's errors
    leave as Veil's (:func:`driver_errors`).
    """
    with driver_errors():
        if _in_transaction(db):
            with db.atomic():
                yield db
            return
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if _in_transaction(db):
                db.conn.execute("ROLLBACK")
            raise
        else:
            try:
                db.conn.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (deferred constraint, I/O error) can leave the
                # transaction open; without this, every later "transaction" would
                # nest as a savepoint of it and never be committed.
                if _in_transaction(db):
                    db.conn.execute("ROLLBACK")
                raise


def _in_transaction(db: sqlite_utils.Database) -> bool:
    """Asked afresh each time: a statement that failed may have ended the transaction."""
    return db.conn.in_transaction


def backup(db: sqlite_utils.Database, target: Path) -> Path:
    """Copy the live store to *target* with SQLite's online backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(str(target))) as dest:
        db.conn.backup(dest)
    return target
