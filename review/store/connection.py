"""Opening the store (a SQLite file, or a PostgreSQL server by URL) and running write transactions.

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

A store named by a ``postgresql://`` URL is a server's
(:mod:`review.store.server`): the same transactions, errors and answers,
through :class:`~review.store.server.ServerDatabase`.

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
import logging
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote

import sqlite_utils

from review.errors import StoreBusy, StoreConflict, StoreFull, StoreUnavailable
from review.store import dialect, thread_check

BUSY_TIMEOUT_MS = 10_000
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
FULL_ADVICE = "the disk holding the store is full; free some space, then try again"
READ_ONLY_ADVICE = ("the store or its folder is read-only for your account: nothing was saved; ask for write "
                    "permission, or work on a copy of your own")
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
log = logging.getLogger("review.store")
URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(location: object) -> bool:
    """Whether *location* names a PostgreSQL server store (a ``postgresql://`` URL) rather than a file."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def shown_location(location: object) -> str:
    """*location* (a store's path or URL) as it may be shown, logged or written anywhere: a URL without its password.

    One form for every place a person sees a store (messages, ``veil verify``, About, events). The URL is read
    as libpq reads it, not by ``urllib`` (which refuses some URLs libpq takes, and some that are simply
    mistyped, such as ``[::1``): the user information ends at the first ``@`` before any ``/``, and a
    ``password=`` option may also sit in the query string. Both are dropped; everything else stays as written.
    """
    text = str(location)
    if not is_url(text):
        return text
    scheme, _, rest = text.partition("://")
    user, _, rest = _credentials(rest)
    address, question, query = rest.partition("?")
    kept = [option for option in query.split("&") if not _is_password(option)] if question else []
    return f"{scheme}://{user + '@' if user else ''}{address}{'?' + '&'.join(kept) if kept else ''}"


def database_name(url: str) -> str:
    """The database a store URL names (its path), in its shown form; empty when the URL names none."""
    rest = _credentials(str(url).partition("://")[2])[2]
    address = rest.partition("?")[0]
    return address.partition("/")[2]


def passwords(url: str) -> list[str]:
    """Every password written in *url* (as written and percent-decoded), to scrub from a driver's message."""
    rest = str(url).partition("://")[2]
    found = [_credentials(rest)[1]]
    query = _credentials(rest)[2].partition("?")[2]
    found += [option.partition("=")[2] for option in query.split("&") if _is_password(option)]
    return [form for secret in found if secret for form in {secret, unquote(secret)} if form]


def scrubbed(text: str, url: str) -> str:
    """*text* (a driver's message about *url*, which may quote the URL or a token of it) with no password in it."""
    text = text.replace(url, shown_location(url))
    for secret in sorted(passwords(url), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _credentials(rest: str) -> tuple[str, str, str]:
    """(user, password, the rest) of a URL after its ``scheme://``: libpq's user information runs to an ``@``
    met before any ``/``."""
    for index, char in enumerate(rest):
        if char == "/":
            break
        if char == "@":
            user, _, password = rest[:index].partition(":")
            return user, password, rest[index + 1:]
    return "", "", rest


def _is_password(option: str) -> bool:
    return unquote(option.partition("=")[0]).strip().lower() == "password"


@contextlib.contextmanager
def driver_errors(what: str = "") -> Iterator[None]:
    """Re-raise the driver's errors as Veil's, with the original as ``__cause__``.

    Busy or locked → :class:`StoreBusy` (trying again may work); a full
    disk → :class:`StoreFull` (trying again after freeing space works); a
    broken constraint or trigger → :class:`StoreConflict`; any other
    database error (corrupt, not a database, disk I/O, read-only) →
    :class:`StoreUnavailable`. A ``ProgrammingError`` is a bug in Veil's
    SQL, not a state of the store, and passes unchanged. *what* prefixes the
    message ("… is not a Veil store"). A server's errors are mapped alike
    (:func:`review.store.server_errors.veil_error`).
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
    except Exception as exc:
        if not type(exc).__module__.startswith("psycopg"):
            raise
        from review.store.server_errors import veil_error  # a server's driver, imported only for a server store

        mapped = veil_error(exc, what)  # type: ignore[arg-type]
        if mapped is exc:
            raise
        raise mapped from exc


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


def say_if_others_can_read(path: Path) -> None:
    """Warn (never chmod: its owner may share it with a group on purpose) when others can read or write the store."""
    mode = stat.S_IMODE(path.stat().st_mode)
    open_to = " and ".join(what for what, bits in (("readable", 0o044), ("writable", 0o022)) if mode & bits)
    if open_to:
        log.warning("%s is %s by other accounts on this computer (mode %04o): it holds every decision and the "
                    "passphrase hashes; if it is not shared on purpose, run: chmod 600 %s", path, open_to, mode, path)


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


def missing_log(path: Path | str) -> str | None:
    """What to do when the store's ``-wal`` log is gone while its ``-shm`` index remains; None when it is not.

    The index outlives the log only if the log was deleted or moved under a connection (a clean close removes
    both): the newest changes went with it, and the file alone looks empty or broken.
    """
    if is_url(path):  # a server store has no log file of its own
        return None
    path = Path(path)
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


def connect(location: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed, owner-only) the store at *location* with Veil's pragmas: a ``sqlite_utils.Database``,
    or for a ``postgresql://`` URL a :class:`~review.store.server.ServerDatabase`, which offers the part of its API
    the store packages use (and is typed as one, so they are checked against that one API).

    An empty file there (``touch``) is made a store now, so it is made as private as a new one.
    """
    if is_url(location):
        from review.store.server import ServerDatabase

        return cast(sqlite_utils.Database, ServerDatabase.connect(str(location)))
    path = Path(location)
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
            str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False,
            factory=thread_check.connection_class(),
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
    db = sqlite_utils.Database(conn)
    dialect.add_sqlite_functions(db)
    return db


def finish_stopped_write(path: Path) -> None:
    """Roll back the write a stopped program left in the file (:func:`review.store.probe.left_mid_write`), as any
    SQLite connection that may write does on its first read: the file is then as its last commit left it, which
    Veil can tell its own or not."""
    with contextlib.closing(sqlite3.connect(str(path), isolation_level=None)) as conn:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()


@contextlib.contextmanager
def write_transaction(db: Any) -> Iterator[Any]:
    """One atomic write: ``BEGIN IMMEDIATE``, then commit, or roll back on error.

    Nested use becomes a savepoint (via sqlite-utils' ``atomic``), so a
    helper that writes can be called both on its own and inside a larger
    action without committing that action half-way. The driver's errors
    leave as Veil's (:func:`driver_errors`). On a server, ``BEGIN`` and the
    write lock (:meth:`~review.store.server.ServerDatabase.transaction`).
    """
    if dialect.is_server(db):
        with driver_errors(), db.transaction():
            yield db
        return
    with driver_errors():
        if in_transaction(db):
            with db.atomic():
                yield db
            return
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if in_transaction(db):
                db.conn.execute("ROLLBACK")
            raise
        else:
            try:
                db.conn.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (deferred constraint, I/O error) can leave the
                # transaction open; without this, every later "transaction" would
                # nest as a savepoint of it and never be committed.
                if in_transaction(db):
                    db.conn.execute("ROLLBACK")
                raise


def in_transaction(db: Any) -> bool:
    """Asked afresh each time: a statement that failed may have ended the transaction."""
    return bool(db.in_transaction if dialect.is_server(db) else db.conn.in_transaction)


def executemany(db: Any, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
    """Run *sql* once per row (sqlite-utils offers no ``executemany`` of its own); the cursor, whose ``rowcount``
    sums the rows each run changed."""
    return db.executemany(sql, rows) if dialect.is_server(db) else db.conn.executemany(sql, rows)


@contextlib.contextmanager
def read_snapshot(db: Any) -> Iterator[None]:
    """Reads that all see one moment of the store, however many writers commit meanwhile; writes nothing.

    SQLite: a deferred transaction (its WAL snapshot is fixed by the first
    read); a server: a read-only repeatable-read transaction. Inside a
    transaction already open on this connection, that transaction is the
    snapshot.
    """
    with driver_errors():
        if dialect.is_server(db):
            with db.snapshot():
                yield
            return
        if in_transaction(db):
            yield
            return
        db.conn.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            if in_transaction(db):
                db.conn.execute("COMMIT")


def rows_at_one_moment(db: Any, statements: Sequence[tuple[str, Any]]) -> list[list[Any]]:
    """:func:`~review.store.dialect.rows_together`, every read seeing one moment of the store (as in
    :func:`read_snapshot`): on a server the snapshot's ``BEGIN`` and ``COMMIT`` go in the reads' one round trip."""
    if dialect.is_server(db):
        return cast(list[list[Any]], db.rows_together(statements, one_moment=True))
    with read_snapshot(db):
        return dialect.rows_together(db, statements)


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
