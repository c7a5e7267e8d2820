"""A PostgreSQL store's connection, offering the part of ``sqlite_utils.Database`` the store packages use.

Why a wrapper and not a second store: the store modules' SQL is written
once (the shared dialect) and run through ``db.execute``; on a server,
:class:`ServerDatabase` spells each statement for PostgreSQL
(:func:`review.store.dialect.postgres`, cached) and hands it to psycopg 3,
which passes the connection string to libpq unchanged (``PGPASSFILE``,
``sslmode``, service files all work). Nothing above the store packages
learns which database it has.

Transactions keep SQLite's semantics where the domain relies on them:
reads run in autocommit; an ordinary write transaction is ``BEGIN``
followed at once by ``pg_advisory_xact_lock`` on Veil's key
(:data:`WRITE_LOCK`), taken EXCLUSIVELY, so it runs alone, as ``BEGIN
IMMEDIATE`` makes it on a file, and the read-check-write code of a lead's
or an import's write stays correct unchanged. The hot path of a site —
claim, renew, give back, decide — opens its transactions ``row_locked``:
they take the same key SHARED, so they run beside each other (never beside
an exclusive writer, which waits for them and which they queue behind),
and each locks the rows its guards check (``FOR UPDATE``, a claim's ``FOR
UPDATE SKIP LOCKED``: :mod:`review.store.leases`); the event chain's append
takes a short lock of its own (:mod:`review.store.events`). Waiting for a
lock is bounded like SQLite's busy timeout (``lock_timeout``), after which
the write is :class:`~review.errors.StoreBusy`; a deadlock between row
locks is ``StoreBusy`` too, and :func:`review.store.replay.replayed` runs
the unit of work again (:func:`replayable`).

A connection the server dropped (a restart, the network) is opened again,
once, by the next statement that cannot have changed anything: a ``BEGIN``,
or a read in autocommit. A connection lost during ``COMMIT`` is
:class:`SaveUncertain`: the write may have been stored, so nothing retries
it blindly. Only one thread reopens it at a time, never while a transaction
is open through it (a transaction keeps the connection it began on), and
once the app's writer thread has claimed it (:meth:`ServerDatabase.reconnect_only_here`)
no other thread does: the GUI thread's reads then fail at once as
:class:`ServerUnreachable` instead of waiting for a connect. Connecting
gives up after :data:`CONNECT_DEFAULTS`' timeout, and TCP keepalives and a
user timeout notice a host that went silent, unless the URL (or libpq's
environment) says otherwise. Only a server that cannot be reached is
``ServerUnreachable`` (tried again by the app); a refused sign-in, a
missing database or a rule of ``pg_hba.conf`` is a ``StoreUnavailable``
said to the person, since trying again cannot help
(:mod:`review.store.server_errors` says which is which).

A write whose result nobody reads before the commit may be deferred
(:meth:`ServerDatabase.execute_deferred`): sent with the ``COMMIT`` in one
message, so the locks it takes are held only while the server runs it.

Result values are typed as SQLite gives them: PostgreSQL's ``numeric``
(what ``SUM`` of integers and ``AVG`` answer) comes back as an ``int`` when
whole and a ``float`` otherwise, never a ``Decimal``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg.adapt import Loader

from review.errors import StoreUnavailable
from review.store import dialect
from review.store.connection import scrubbed, shown_location
from review.store.server_errors import (
    LOST,
    SaveUncertain,
    ServerUnreachable,
    connect_failure,
    mapped,
    message,
    said,
    veil_error,
)

#: The advisory lock every write transaction takes: exclusively (one such writer at a time), or shared by the hot
#: path's row-locked transactions. "Veil" in ASCII.
WRITE_LOCK = 0x5665696C
#: Durable before "saved", but never waiting for the disk while holding a lock: a write transaction commits with
#: ``synchronous_commit`` off (its locks — the write lock, the event chain's, its rows — go at once, so the next
#: writer does not queue behind this one's WAL flush), then this one-statement transaction, which writes a few
#: bytes of WAL (a transactional logical message: no table, no row lock) and so commits synchronously, flushes
#: the WAL up to and past that commit, sharing the flush with every writer committing meanwhile (PostgreSQL's
#: group commit). Only then does the caller hear it was stored; a connection
#: lost before the flush is answered is ``SaveUncertain``, as one lost during ``COMMIT``. (Other sessions may read
#: the rows for the milliseconds before the flush; a crash in them loses those rows and every later commit alike,
#: none of which was reported stored.)
_FLUSHED = "SELECT pg_logical_emit_message(true, 'veil', '')"
BUSY_TIMEOUT = "10s"
#: libpq settings every connection gets unless its URL (or the matching ``PG…`` variable) sets them: give up
#: connecting after 5 s; notice a silent peer through keepalives (idle 10 s, then 3 probes 5 s apart) and unsent
#: data left unacknowledged for 20 s. Without them a host that accepts TCP and never answers holds a call forever.
CONNECT_DEFAULTS = {"connect_timeout": "5", "keepalives": "1", "keepalives_idle": "10", "keepalives_interval": "5",
                    "keepalives_count": "3", "tcp_user_timeout": "20000"}
_ENVIRONMENT = {"connect_timeout": "PGCONNECT_TIMEOUT"}
_CHANGES = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)
#: How long a thread that may not reopen the connection waits for another to finish beginning a transaction.
_BEGIN_WAIT_S = 0.2
#: A read-only transaction whose reads all see one moment (:meth:`ServerDatabase.snapshot`).
_SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
Params = Sequence[Any] | Mapping[str, Any] | None
T = TypeVar("T")


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
        self._exclusive = False  # the open write transaction holds the write lock exclusively
        self._deferred: list[tuple[str, Sequence[Any] | Mapping[str, Any], dialect.Deferred]] = []  # see below
        self._reopening = threading.RLock()  # held while the connection is replaced or a transaction begins on it
        self._reopener: int | None = None  # the one thread that may reopen a lost connection (None: any)
        #: A read sent with every row-locked transaction's ``BEGIN`` (the store sets it: the serving rules'
        #: counter, which every claim and decision reads first), so it costs no round trip of its own: the
        #: transaction's first statement, if it is exactly this read, is answered from it (``_at_begin``).
        self.read_at_begin: str | None = None
        self._at_begin: tuple[str, psycopg.Cursor[Any]] | None = None

    @classmethod
    def connect(cls, url: str, *, read_only: bool = False) -> ServerDatabase:
        """Connect to the store at *url*; *read_only*: the server refuses every write on this connection."""
        return cls(_connected(url, read_only), url, read_only=read_only)

    def reconnect_only_here(self, here: bool = True) -> None:
        """From now on only the calling thread reopens a lost connection (*here* False: any thread again).

        The app's writer thread claims it: a read on the GUI thread (the wellbeing tick) then fails at once while
        the server is away, never waiting for a connect, and never replaces the connection under the writer.
        """
        self._reopener = threading.get_ident() if here else None

    def _live(self) -> psycopg.Connection[Any]:
        """The connection, opened again first if it was lost while no transaction was open through it.

        Opened again only by the thread allowed to (:meth:`reconnect_only_here`), one at a time; any other thread
        meets a lost connection as :class:`ServerUnreachable` at once.
        """
        if not self.conn.closed:
            return self.conn
        if not self._may_reopen():
            raise ServerUnreachable(LOST)
        with self._reopening:
            if self.conn.closed and self._depth == 0:
                self.conn = _connected(self.url, self.read_only)
            return self.conn

    def _may_reopen(self) -> bool:
        return self._reopener is None or self._reopener == threading.get_ident()

    @contextlib.contextmanager
    def _beginning(self) -> Iterator[None]:
        """Held while a transaction begins (and waits for the write lock) and is counted, so no thread replaces the
        connection under it. A thread that may not reopen a lost connection waits for it only a moment (the
        writer may be connecting); on a live one it waits as it would for the connection itself."""
        bounded = not self._may_reopen() and self.conn.closed
        if not self._reopening.acquire(timeout=_BEGIN_WAIT_S if bounded else -1):
            raise ServerUnreachable(LOST)
        try:
            yield
        finally:
            self._reopening.release()

    def __getitem__(self, table: str) -> _Table:
        return _Table(self, table)

    @property
    def in_transaction(self) -> bool:
        """A transaction is open on the connection (a lost connection has none: the server rolled it back)."""
        return not self.conn.closed and self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def execute(self, sql: str, params: Params = None) -> psycopg.Cursor[Any]:
        """Run one statement of the shared dialect; a cursor with ``fetchone``/``fetchall``/iteration/``rowcount``.

        A read in autocommit that finds the connection lost runs once more on a new one: it changed nothing.
        """
        if self._at_begin is not None:
            (first, rows), self._at_begin = self._at_begin, None
            if sql == first and params is None:
                return rows
        *before, last = dialect.server_statements(sql)
        with mapped():
            if not before and self._depth == 0 and _reads_only(last):
                return self._again_if_lost(lambda conn: conn.execute(last, _bound(params)))
            with self._after_deferred() as conn:
                for statement in before:  # a trigger's function, created before the trigger
                    conn.execute(statement, ())
                return conn.execute(last, _bound(params))

    def execute_deferred(self, sql: str, params: Params = None) -> dialect.Deferred:
        """Run *sql*, a write inside the open transaction, with the transaction's next round trip: the next
        statement's, or the ``COMMIT``'s; its first row is the :class:`~review.store.dialect.Deferred`'s once
        sent.

        Why: a decision's last writes lock rows every desk writes (a queue's counts, the event chain). Sent
        one trip at a time, each lock would be held while the reply travels to the client and the next
        statement back, on a loaded site a scheduler's slice or more; sent with the ``COMMIT``, they are taken
        and let go while the server runs them. Order is kept: whatever runs next on this connection sends the
        deferred statements first, in the same trip, so a later read sees them. Their errors are that trip's.
        """
        if not self.in_transaction:
            raise RuntimeError("execute_deferred runs inside a write transaction")
        self._at_begin = None
        deferred = dialect.Deferred()
        self._deferred.append((dialect.postgres(sql), _bound(params), deferred))
        return deferred

    @contextlib.contextmanager
    def _after_deferred(self, *, pipelined: bool = False) -> Iterator[psycopg.Connection[Any]]:
        """The live connection, for statements sent after the deferred ones (:meth:`execute_deferred`): with
        some waiting, or *pipelined*, all go in one pipeline, in order, whose results arrive when the block
        ends. (The one pipeline: a pipeline opened inside another sends what the outer one holds first, a trip
        of its own.)"""
        conn = self._live()
        self._at_begin = None  # another statement came first: the read at BEGIN may be out of date by now
        if not (self._deferred or pipelined):
            yield conn
            return
        waiting, self._deferred = self._deferred, []
        with conn.pipeline():
            for statement, bound, deferred in waiting:
                deferred.sent(conn.execute(statement, bound))
            yield conn

    def executemany(self, sql: str, rows: Iterable[Params]) -> psycopg.Cursor[Any]:
        """Run *sql* once per row; ``rowcount`` is the sum of the rows each changed."""
        with mapped(), self._after_deferred() as conn:
            cursor = conn.cursor()
            cursor.executemany(dialect.postgres(sql), [_bound(row) for row in rows])
            return cursor

    def first_after_lock(self, key: int, sql: str, params: Params = None) -> Any:
        """The first row *sql* gives once the transaction holds the advisory lock *key*, both sent in one round
        trip (a pipeline: the server takes the statement's snapshot after the lock is granted). For the event
        chain's append, made while other writers wait for that lock (:mod:`review.store.events`)."""
        with mapped(), self._after_deferred(pipelined=True) as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [key])
            cursor = conn.execute(dialect.postgres(sql), _bound(params))
        return cursor.fetchone()

    def rows_together(self, statements: Sequence[tuple[str, Params]], *,
                      one_moment: bool = False) -> list[list[tuple[Any, ...]]]:
        """Each read's rows, all sent in one round trip (a pipeline): a page's many small independent reads cost
        one trip to the server rather than one each. Outside a transaction, read again on a new connection if
        the old one turns out lost (reads change nothing); *one_moment*: in a read-only snapshot of their own,
        begun and ended in the same trip (inside a transaction, that transaction is their snapshot)."""
        def sent(conn: psycopg.Connection[Any]) -> list[psycopg.Cursor[Any]]:
            return [conn.cursor().execute(dialect.postgres(sql), _bound(params)) for sql, params in statements]

        def run(conn: psycopg.Connection[Any]) -> list[psycopg.Cursor[Any]]:
            try:
                with conn.pipeline():
                    if one_moment:
                        conn.execute(_SNAPSHOT)
                    cursors = sent(conn)
                    if one_moment:
                        conn.execute("COMMIT")
                return cursors
            except psycopg.Error:
                if one_moment and not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")  # a read failed: its snapshot ends here, not at the next statement
                raise

        with mapped():
            if self._depth == 0:
                cursors = self._again_if_lost(run)
            else:
                with self._after_deferred(pipelined=True) as conn:
                    cursors = sent(conn)
            return [cursor.fetchall() for cursor in cursors]

    def executescript(self, script: str) -> None:
        for statement in dialect.statements(script):
            self.execute(statement)

    def _again_if_lost(self, run: Callable[[psycopg.Connection[Any]], T]) -> T:
        """*run* on the live connection; if that connection turns out lost (a server restart, the network), on a
        new one, once. Only for what changes nothing (a ``BEGIN``, a read in autocommit)."""
        conn = self._live()
        try:
            return run(conn)
        except psycopg.OperationalError:
            if not conn.closed or self._depth:
                raise
        return run(self._live())

    @contextlib.contextmanager
    def transaction(self, *, row_locked: bool = False) -> Iterator[ServerDatabase]:
        """One write: ``BEGIN`` + the write lock, commit or roll back; nested, a savepoint.

        *row_locked*: the transaction locks every row its guards check, so it takes the write lock shared and
        runs beside other such transactions (see the module). A plain transaction nested in a row-locked one
        takes the lock exclusively first: the code inside relies on running alone.
        """
        if self.in_transaction:
            if not row_locked and not self._exclusive:
                self._send("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
                self._exclusive = True
            name = f"veil_{next(self._savepoints)}"
            self._send(f"SAVEPOINT {name}")  # what is deferred goes first: it belongs before the savepoint
            try:
                yield self
            except BaseException:
                if self.in_transaction:
                    self._deferred.clear()  # deferred inside the savepoint, undone with it
                    self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    self.conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            self._send(f"RELEASE SAVEPOINT {name}")
            return
        lock = "pg_advisory_xact_lock_shared" if row_locked else "pg_advisory_xact_lock"
        first = self.read_at_begin if row_locked else None
        with mapped(), self._beginning():  # begun, locked and counted at once: nothing replaces the connection
            rows = self._again_if_lost(lambda conn: _begun(conn, lock, first))
            self._depth += 1
        self._at_begin = (first, rows) if first is not None and rows is not None else None
        self._exclusive = not row_locked
        try:
            yield self
        except BaseException:
            self._end("ROLLBACK")
            raise
        try:
            self._commit()
        except psycopg.OperationalError as exc:
            self._end("ROLLBACK")
            if not self.conn.closed:
                raise
            raise SaveUncertain(message("", said(exc), "the connection to the store's server was lost while "
                                         "saving: this may or may not have been saved; look before doing it "
                                         "again")) from exc
        except BaseException:
            self._end("ROLLBACK")
            raise
        finally:
            self._depth = 0
            self._at_begin = None

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[ServerDatabase]:
        """A read-only transaction whose reads all see one moment, like SQLite's deferred read transaction."""
        if self.in_transaction:
            yield self
            return
        with mapped(), self._beginning():
            self._again_if_lost(lambda conn: conn.execute(_SNAPSHOT))
            self._depth += 1
        try:
            yield self
        finally:
            self._end("COMMIT")

    def _commit(self) -> None:
        """``COMMIT``, then the flush it waits for, after the statements deferred (:meth:`execute_deferred`): one
        round trip, and one message. Why one message: a pipeline sends each statement as it is made, and the
        server runs each as it arrives; a deferred lock would then be held while the client makes the next
        statement (on a loaded desk, a slice of the scheduler's). Sent whole, the server runs them all at once.
        Their parameters are bound by the driver (its client-side binding), since one message of several
        statements cannot carry parameters; each gives its :class:`~review.store.dialect.Deferred` its row."""
        waiting, self._deferred = self._deferred, []
        if not waiting:
            with self.conn.pipeline():
                self.conn.execute("COMMIT")
                self.conn.execute(_FLUSHED)
            return
        bind = psycopg.ClientCursor(self.conn)
        cursor = self.conn.execute("; ".join([*(bind.mogrify(statement, bound) for statement, bound, _ in waiting),
                                              "COMMIT", _FLUSHED]))
        for _, _, deferred in waiting:
            deferred.got(cursor.fetchone() if cursor.description is not None else None)
            cursor.nextset()

    def _send(self, statement: str, params: Sequence[Any] | None = None) -> None:
        """One statement of the connection's own (a lock, a savepoint), after what is deferred."""
        with self._after_deferred() as conn:
            conn.execute(statement, params)

    def _end(self, verb: str) -> None:
        """End the transaction if one is still open (a lost connection or failed COMMIT may have ended it); what
        is deferred is never sent."""
        self._depth = 0
        self._deferred.clear()
        self._at_begin = None
        if self.in_transaction:
            with contextlib.suppress(psycopg.OperationalError):
                self.conn.execute(verb)

    def close(self) -> None:
        self.conn.close()


def _begun(conn: psycopg.Connection[Any], lock: str, first: str | None = None) -> psycopg.Cursor[Any] | None:
    """``BEGIN`` and Veil's write lock (:data:`WRITE_LOCK`, by the function *lock*), and the read *first* once the
    lock is held (its cursor; None without one), sent in one round trip: a site's claim and decision are each one
    short transaction, and every round trip costs the server and the client CPU (a claim + decision made 32 of
    them). If the lock is refused (its timeout), the transaction it began is rolled back before the error goes
    up: nothing is left open on the connection."""
    try:
        with conn.pipeline():
            conn.execute("BEGIN")
            conn.execute(f"SELECT {lock}(%s), set_config('synchronous_commit', 'off', true)", [WRITE_LOCK])
            return conn.execute(dialect.postgres(first)) if first is not None else None
    except psycopg.Error:
        if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            with contextlib.suppress(psycopg.OperationalError):
                conn.execute("ROLLBACK")
        raise


def _connected(url: str, read_only: bool) -> psycopg.Connection[Any]:
    """A new autocommit connection to *url* with Veil's settings; its errors as Veil's, worded with the URL's
    shown form and never holding its password (libpq quotes a URL it cannot read, password included)."""
    where = f"cannot open the store at {shown_location(url)}"
    try:
        conninfo = psycopg.conninfo.make_conninfo(url, **_connect_defaults(url))
        conn = psycopg.connect(conninfo, autocommit=True, application_name="veil")
        conn.adapters.register_loader("numeric", _NumericLoader)
        conn.execute(f"SET lock_timeout = '{BUSY_TIMEOUT}'")
        if read_only:
            conn.execute("SET default_transaction_read_only = on")
    except psycopg.Error as exc:
        veil = veil_error(exc, where)
        if type(exc) is psycopg.OperationalError:  # libpq gives no code to tell a server away from a refusal
            veil = connect_failure(where, exc)
        if veil is exc:  # libpq could not read the URL itself
            veil = StoreUnavailable(f"{where}: the URL is not one PostgreSQL can read ({said(exc)}); its form is "
                                    "postgresql://user@host:port/database?option=value, with any special "
                                    "character percent-encoded")
        raise type(veil)(scrubbed(str(veil), url)) from None  # the driver's own error may quote the password
    return conn


def _connect_defaults(url: str) -> dict[str, str]:
    """:data:`CONNECT_DEFAULTS` the URL (or the environment) does not set itself."""
    try:
        given = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return {}  # psycopg.connect says what is wrong with the URL
    return {key: value for key, value in CONNECT_DEFAULTS.items()
            if key not in given and _ENVIRONMENT.get(key, "-") not in os.environ}


def _reads_only(statement: str) -> bool:
    """Whether *statement* only reads (a ``SELECT``, or a ``WITH`` whose parts change nothing), so running it again
    on a new connection after the old one was lost cannot act twice."""
    first = statement.split(None, 1)[0].upper() if statement.strip() else ""
    return first == "SELECT" or (first == "WITH" and not _CHANGES.search(statement))


def _bound(params: Params) -> Sequence[Any] | Mapping[str, Any]:
    """Always parameters (an empty list for none): psycopg then reads ``%%`` as ``%`` in every statement alike."""
    if params is None:
        return ()
    return params if isinstance(params, Mapping) else list(params)


