"""A PostgreSQL store's connection, offering the part of ``sqlite_utils.Database`` the store packages use.

Why a wrapper and not a second store: the store modules' SQL is written
once (the shared dialect) and run through ``db.execute``; on a server,
:class:`ServerDatabase` spells each statement for PostgreSQL
(:func:`review.store.dialect.postgres`, cached) and hands it to psycopg 3,
which passes the connection string to libpq unchanged (``PGPASSFILE``,
``sslmode``, service files all work). Nothing above the store packages
learns which database it has.

Phase 1 of team mode keeps SQLite's transaction semantics exactly: reads
run in autocommit; a write transaction is ``BEGIN`` followed at once by
``pg_advisory_xact_lock`` on Veil's key (:data:`WRITE_LOCK`), so one write
runs at a time, as ``BEGIN IMMEDIATE`` makes it on a file, and the domain's
read-check-write code stays correct unchanged. Waiting for it is bounded
like SQLite's busy timeout (``lock_timeout``), after which the write is
:class:`~review.errors.StoreBusy`.

Result values are typed as SQLite gives them: PostgreSQL's ``numeric``
(what ``SUM`` of integers and ``AVG`` answer) comes back as an ``int`` when
whole and a ``float`` otherwise, never a ``Decimal``.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Loader

from review.errors import StoreBusy, StoreConflict, StoreFull, StoreUnavailable
from review.store import dialect
from review.store.connection import scrubbed, shown_location

#: The advisory lock every write transaction takes: one writer at a time (phase 1). "Veil" in ASCII.
WRITE_LOCK = 0x5665696C
BUSY_TIMEOUT = "10s"
FULL_ADVICE = "the server's disk is full; ask its administrator to free some space, then try again"
Params = Sequence[Any] | Mapping[str, Any] | None


class _NumericLoader(Loader):
    """``numeric`` as SQLite would give it: an ``int`` when whole, else a ``float``."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        try:
            return int(text)
        except ValueError:
            return float(text)


class _Table:
    def __init__(self, db: ServerDatabase, name: str) -> None:
        self.db, self.name = db, name

    def exists(self) -> bool:
        found = self.db.execute("SELECT to_regclass(?) IS NOT NULL", [self.name]).fetchone()
        return bool(found and found[0])


class ServerDatabase:
    """One psycopg connection (autocommit; transactions begun by :meth:`transaction`) in sqlite-utils' shape.

    A connection the server or the network dropped is opened again (same URL, same settings) by the next
    statement or transaction that begins outside any transaction, so the "try again" Veil says after a lost
    connection is true. Never inside one: the statements after a lost one would then run, half a
    transaction, on a fresh connection in autocommit.
    """

    is_server = True

    def __init__(self, conn: psycopg.Connection[Any], url: str, *, read_only: bool = False) -> None:
        self.conn = conn
        self.url = url
        self.read_only = read_only
        self._savepoints = itertools.count(1)
        self._depth = 0  # transactions and snapshots open through this object (not the driver's view of them)

    @classmethod
    def connect(cls, url: str, *, read_only: bool = False) -> ServerDatabase:
        """Connect to the store at *url*; *read_only*: the server refuses every write on this connection."""
        return cls(_connected(url, read_only), url, read_only=read_only)

    def _live(self) -> psycopg.Connection[Any]:
        """The connection, opened again first if it was lost while no transaction was open through it."""
        if self.conn.closed and self._depth == 0:
            self.conn = _connected(self.url, self.read_only)
        return self.conn

    def __getitem__(self, table: str) -> _Table:
        return _Table(self, table)

    @property
    def in_transaction(self) -> bool:
        """A transaction is open on the connection (a lost connection has none: the server rolled it back)."""
        return not self.conn.closed and self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def execute(self, sql: str, params: Params = None) -> psycopg.Cursor[Any]:
        """Run one statement of the shared dialect; a cursor with ``fetchone``/``fetchall``/iteration/``rowcount``."""
        *before, last = dialect.server_statements(sql)
        with _mapped():
            conn = self._live()
            for statement in before:  # a trigger's function, created before the trigger
                conn.execute(statement, ())
            return conn.execute(last, _bound(params))

    def executemany(self, sql: str, rows: Iterable[Params]) -> psycopg.Cursor[Any]:
        """Run *sql* once per row; ``rowcount`` is the sum of the rows each changed."""
        with _mapped():
            cursor = self._live().cursor()
            cursor.executemany(dialect.postgres(sql), [_bound(row) for row in rows])
            return cursor

    def executescript(self, script: str) -> None:
        for statement in dialect.statements(script):
            self.execute(statement)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[ServerDatabase]:
        """One write: ``BEGIN`` + the write lock, commit or roll back; nested, a savepoint."""
        if self.in_transaction:
            name = f"veil_{next(self._savepoints)}"
            self.conn.execute(f"SAVEPOINT {name}")
            try:
                yield self
            except BaseException:
                if self.in_transaction:
                    self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    self.conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            self.conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        with _mapped():
            self._live().execute("BEGIN")
        self._depth += 1
        try:
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
            yield self
        except BaseException:
            self._end("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self._end("ROLLBACK")
            raise
        finally:
            self._depth = 0

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[ServerDatabase]:
        """A read-only transaction whose reads all see one moment, like SQLite's deferred read transaction."""
        if self.in_transaction:
            yield self
            return
        with _mapped():
            self._live().execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        self._depth += 1
        try:
            yield self
        finally:
            self._end("COMMIT")

    def _end(self, verb: str) -> None:
        """End the transaction if one is still open (a lost connection or failed COMMIT may have ended it)."""
        self._depth = 0
        if self.in_transaction:
            with contextlib.suppress(psycopg.OperationalError):
                self.conn.execute(verb)

    def close(self) -> None:
        self.conn.close()


def _connected(url: str, read_only: bool) -> psycopg.Connection[Any]:
    """A new autocommit connection to *url* with Veil's settings; its errors as Veil's, worded with the URL's
    shown form and never holding its password (libpq quotes a URL it cannot read, password included)."""
    where = f"cannot open the store at {shown_location(url)}"
    try:
        conn = psycopg.connect(url, autocommit=True, application_name="veil")
        conn.adapters.register_loader("numeric", _NumericLoader)
        conn.execute(f"SET lock_timeout = '{BUSY_TIMEOUT}'")
        if read_only:
            conn.execute("SET default_transaction_read_only = on")
    except psycopg.Error as exc:
        mapped = veil_error(exc, where)
        if type(exc) is psycopg.OperationalError:  # refused or unreachable: libpq gives no code to tell which
            mapped = StoreUnavailable(_message(where, _said(exc), "check the URL, the account and its password, "
                                               "and that the server is running; then try again"))
        if mapped is exc:  # libpq could not read the URL itself
            mapped = StoreUnavailable(f"{where}: the URL is not one PostgreSQL can read ({_said(exc)}); its form is "
                                      "postgresql://user@host:port/database?option=value, with any special "
                                      "character percent-encoded")
        raise type(mapped)(scrubbed(str(mapped), url)) from None  # the driver's own error may quote the password
    return conn


@contextlib.contextmanager
def _mapped() -> Iterator[None]:
    """The driver's errors as Veil's (:func:`veil_error`) for every statement, reads in autocommit included."""
    try:
        yield
    except psycopg.Error as exc:
        mapped = veil_error(exc)
        if mapped is exc:
            raise
        raise mapped from exc


def _bound(params: Params) -> Sequence[Any] | Mapping[str, Any]:
    """Always parameters (an empty list for none): psycopg then reads ``%%`` as ``%`` in every statement alike."""
    if params is None:
        return ()
    return params if isinstance(params, Mapping) else list(params)


SERVER_READ_ONLY_ADVICE = ("your database account may not write this on the store's server: nothing was saved; ask "
                           "the server's administrator for write permission")


def veil_error(exc: psycopg.Error, what: str = "") -> Exception:
    """The Veil error for a psycopg error (to raise from it), or *exc* itself for a bug in Veil's SQL.

    A broken constraint, or a trigger's refusal (``RAISE EXCEPTION``, as
    SQLite's ``RAISE(ABORT)``) → :class:`StoreConflict`. Waiting too long
    for the write lock or a row lock, a serialization failure or a deadlock
    → :class:`StoreBusy`: nothing was written and trying again works. A full
    disk → :class:`StoreFull`. A read-only transaction or a missing grant → :class:`StoreUnavailable` saying
    nothing was saved and whom to ask. A connection that failed or was lost, the
    server shutting down, or any other server error →
    :class:`StoreUnavailable`: not ``StoreBusy``, because a write whose
    connection broke during ``COMMIT`` may have been saved, so retrying it
    blindly could do it twice; the person sees the state and decides.
    """
    text = _said(exc)
    full = f"{what}: {FULL_ADVICE}" if what else FULL_ADVICE
    if isinstance(exc, pg_errors.DiskFull):
        return StoreFull(full)
    if isinstance(exc, pg_errors.IntegrityError | pg_errors.RaiseException):
        return StoreConflict(_message(what, text))
    if isinstance(exc, pg_errors.LockNotAvailable | pg_errors.SerializationFailure | pg_errors.DeadlockDetected
                  | pg_errors.QueryCanceled):
        return StoreBusy(_message(what, text, "another Veil is writing to the store; try again"))
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction | pg_errors.InsufficientPrivilege):
        return StoreUnavailable(_message(what, text, SERVER_READ_ONLY_ADVICE))
    if isinstance(exc, psycopg.ProgrammingError):
        return exc
    if isinstance(exc, psycopg.OperationalError):
        return StoreUnavailable(_message(what, text, "the store's server cannot be reached; check the connection "
                                         "and that the server is running, then try again"))
    return StoreUnavailable(_message(what, text))


def _said(exc: psycopg.Error) -> str:
    """The server's own words (its primary message), else the driver's."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None)
    return str(primary) if primary else str(exc).strip()


def _message(what: str, text: str, advice: str = "") -> str:
    text = f"{what}: {text}" if what else text
    return f"{text} ({advice})" if advice else text
