"""Opening the SQLite store and running write transactions.

The connection is in driver autocommit mode (``isolation_level=None``) so
that Veil, not the ``sqlite3`` module, decides where transactions begin:
every user action is exactly one ``BEGIN IMMEDIATE … COMMIT``. ``IMMEDIATE``
takes the write lock up front, so two processes never both read "free" and
then both write (the classic double-claim); the busy timeout makes the
second one wait its turn instead of failing.

Whatever the driver raises while connecting or inside a write transaction
leaves this module as one of Veil's own errors (:func:`driver_errors`), so
nothing above the store packages knows which database it talks to, in words
that say what to do: a full disk is :class:`~review.errors.StoreFull`, and a
store that cannot be opened says why — a folder it cannot write, a file it
may not read, a deleted ``-wal`` log (:func:`why_unopenable`) — instead of
SQLite's symptom ("unable to open database file", "disk I/O error").

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

from review.errors import StoreBusy, StoreConflict, StoreFull, StoreUnavailable

BUSY_TIMEOUT_MS = 10_000
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
FULL_ADVICE = "the disk holding the store is full; free some space, then try again"
READ_ONLY_ADVICE = ("the store or its folder is read-only for your account: nothing was saved; ask for write "
                    "permission, or work on a copy of your own")
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


@contextlib.contextmanager
def driver_errors(what: str = "") -> Iterator[None]:
    """Re-raise the driver's errors as Veil's, with the original as ``__cause__``.

    Busy or locked → :class:`StoreBusy` (trying again may work); a full
    disk → :class:`StoreFull` (trying again after freeing space works); a
    broken constraint or trigger → :class:`StoreConflict`; any other
    database error (corrupt, not a database, disk I/O, read-only) →
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
        if _is_full(exc):
            raise StoreFull(f"{what}: {FULL_ADVICE}" if what else FULL_ADVICE) from exc
        if _primary_code(exc) == sqlite3.SQLITE_READONLY:
            raise StoreUnavailable(_message(what, exc, READ_ONLY_ADVICE)) from exc
        raise StoreUnavailable(_message(what, exc)) from exc
    except sqlite3.DatabaseError as exc:
        if _is_full(exc):
            raise StoreFull(f"{what}: {FULL_ADVICE}" if what else FULL_ADVICE) from exc
        raise StoreUnavailable(_message(what, exc)) from exc


def _is_busy(exc: sqlite3.DatabaseError) -> bool:
    code = _primary_code(exc)
    if code is not None:
        return code in _BUSY_CODES
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _is_full(exc: sqlite3.DatabaseError) -> bool:
    code = _primary_code(exc)
    return code == sqlite3.SQLITE_FULL if code is not None else "disk is full" in str(exc).lower()


def _primary_code(exc: sqlite3.DatabaseError) -> int | None:
    """SQLite's primary result code of *exc* (extended codes keep it in the low byte); None if the driver gave none."""
    code: int | None = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


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


def why_unopenable(path: Path) -> str | None:
    """What is really wrong with the place of the store at *path*, and what to do, when the driver cannot open
    or use it; None when the place looks right (the driver's own words then stand).

    SQLite names only the symptom ("unable to open database file", "disk I/O error"): a store in WAL mode needs
    to create ``-wal`` and ``-shm`` files beside itself, so a folder it cannot write fails like a missing file,
    and a ``-wal`` log deleted under a running Veil (its ``-shm`` index still counting on it) fails as I/O.
    """
    folder, wal, shm = path.parent, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
    if not folder.is_dir():
        return f"cannot open {path}: the folder {folder} does not exist (check the path, or create the folder)"
    if not os.access(folder, os.W_OK | os.X_OK):
        return (f"cannot open {path}: your account cannot write in its folder {folder}, where the store keeps its "
                f"{wal.name} and {shm.name} files; give your account write permission on {folder}, or copy the "
                "store to a folder you can write, and try again")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return (f"cannot open {path}: your account may not read and write it; ask its owner for read and write "
                "permission, or open a copy of your own")
    return missing_log(path)


def missing_log(path: Path) -> str | None:
    """What to do when the store's ``-wal`` log is gone while its ``-shm`` index remains; None when it is not.

    The index outlives the log only if the log was deleted or moved under a connection (a clean close removes
    both): the newest changes went with it, and the file alone looks empty or broken.
    """
    wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
    if not shm.exists() or (wal.exists() and wal.stat().st_size > 0):
        return None
    return (f"cannot open {path}: its write-ahead log {wal.name}, which holds the newest changes, is missing "
            "(deleted or moved while the store was open); close every Veil using this store and put the file "
            "back, or restore the store from a backup. Veil changes nothing until then")


@contextlib.contextmanager
def opening(path: Path) -> Iterator[None]:
    """:func:`driver_errors` for opening the store at *path*: an open that fails says what is really wrong
    (:func:`why_unopenable`), else that the file is not a Veil store."""
    try:
        with driver_errors(f"{path} is not a Veil store"):
            yield
    except (StoreBusy, StoreConflict):
        raise
    except StoreUnavailable as exc:
        why = why_unopenable(path)
        if why is None:
            raise
        raise StoreUnavailable(why) from exc.__cause__


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
    with opening(path):
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
