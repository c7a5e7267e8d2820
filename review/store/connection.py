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

A store holds every decision, the passphrase hashes and the pseudonym
secret, so what Veil creates is its owner's alone, whatever the umask: the
store file and its backups 0600 (SQLite gives the -wal and -shm files the
mode of the store file), the folders it makes for them 0700. A file that
was already there keeps the permissions its owner gave it (a team may
share one with a group on purpose); ``Store.open`` says when others can
read it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from review.errors import StoreBusy, StoreConflict, StoreUnavailable

BUSY_TIMEOUT_MS = 10_000
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


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


def private_folder(folder: Path) -> None:
    """Create *folder* and its missing parents owner-only (0700) whatever the umask; existing ones stay as they are."""
    missing = []
    for level in (folder, *folder.parents):
        if level.exists():
            break
        missing.append(level)
    for level in reversed(missing):
        try:
            level.mkdir(mode=PRIVATE_FOLDER)
        except FileExistsError:
            continue  # made meanwhile by another process, which made it as it wanted
        os.chmod(level, PRIVATE_FOLDER)  # the umask can only take bits away; the owner needs all three


def private_file(path: Path) -> bool:
    """Create *path* empty and owner-only (0600) whatever the umask; False when it was already there (untouched)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        return False
    os.chmod(path, PRIVATE_FILE)
    return True


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed, owner-only) the store at *path* with Veil's pragmas.

    An empty file there (``touch``) is made a store now, so it is made as private as a new one.
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        raise StoreUnavailable(f"{path} is not a file")
    try:
        private_folder(path.parent)
        if not private_file(path) and path.stat().st_size == 0:
            with contextlib.suppress(PermissionError):  # someone else's empty file: theirs; Store.open says so
                os.chmod(path, PRIVATE_FILE)
    except OSError as exc:  # a read-only or missing place: said like any store that cannot be opened
        raise StoreUnavailable(f"cannot create the store at {path}: {exc.strerror or exc}") from exc
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
    """Copy the live store to a new file *target* (owner-only, like a new store) with SQLite's online backup API.

    *target* is created exclusively (``O_EXCL``, which also refuses a symlink, dangling or not): a file
    already there is refused untouched (:class:`StoreUnavailable`), so a backup never overwrites, or
    re-permissions, a file someone else put there, nor writes through a link to one.
    """
    try:
        private_folder(target.parent)
        created = private_file(target)
    except OSError as exc:
        raise StoreUnavailable(f"cannot create the backup {target}: {exc.strerror or exc}") from exc
    if not created:
        raise StoreUnavailable(f"cannot back up the store to {target}: a file is already there (a backup is only "
                               "written to a new file; move that one away and try again)")
    with contextlib.closing(sqlite3.connect(str(target))) as dest:
        db.conn.backup(dest)
    return target
