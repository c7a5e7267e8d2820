"""A PostgreSQL store's errors, said as Veil's: which mean the server cannot be reached (tried again), which a
person must act on, and what each says.

Why apart from :mod:`review.store.server`: the connection's transactions and how the driver's errors read are
two jobs; the app (``ui.operations``), the replay of a unit of work (:mod:`.replay`) and the store's error
mapping (:func:`review.store.connection.driver_errors`) need the second alone.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import psycopg
from psycopg import errors as pg_errors

from review.errors import StoreBusy, StoreConflict, StoreFull, StoreUnavailable

#: What libpq or the server says when it cannot be reached now (refused, silent, restarting, gone): tried again.
#: Anything else that stops a connection (a refused sign-in, a missing database, ``pg_hba.conf``) is said.
_UNREACHABLE = re.compile(
    r"connection refused|timeout expired|timed out|server closed the connection|the database system is "
    r"(starting up|shutting down|in recovery mode|not yet accepting)|could not connect to server|no such file or "
    r"directory|could not translate host name|network is unreachable|no route to host|connection reset|"
    r"terminating connection|the connection is (closed|lost)|ssl syscall|consuming input failed|"
    r"server conn crashed|too many connections|could not receive data|could not send data", re.IGNORECASE)
_REFUSED_SIGN_IN = re.compile(r"authentication failed|not permitted to log in|does not exist|pg_hba\.conf|"
                              r"no password supplied|password|permission denied|certificate", re.IGNORECASE)
LOST = "the connection to the store's server was lost; Veil is opening it again (try again in a moment)"
FULL_ADVICE = "the server's disk is full; ask its administrator to free some space, then try again"


class ServerUnreachable(StoreUnavailable):
    """The store's server cannot be reached now (refused, restarting, the network or the connection lost) and
    nothing of the write was committed: the app keeps its item and tries again until the server is back."""


class SaveUncertain(StoreUnavailable):
    """The connection was lost during ``COMMIT``: the server may or may not have stored the write, so it is not
    run again by itself (the person sees what is stored and decides; a claim-guarded decision pressed again is
    refused if the first one landed)."""


def connect_failure(where: str, exc: psycopg.OperationalError) -> StoreUnavailable:
    """A connection that failed: :class:`ServerUnreachable` when the server cannot be reached now (tried again),
    else a :class:`StoreUnavailable` saying what to do (a sign-in the server refused, a missing database)."""
    text = said(exc)
    if "not permitted to log in" in text:
        return StoreUnavailable(message(where, text, "this account may no longer sign in to the store: it may have "
                                        "been deactivated; ask your lead"))
    if _UNREACHABLE.search(text) and not _REFUSED_SIGN_IN.search(text):
        return ServerUnreachable(message(where, text, "the store's server cannot be reached; check the network "
                                         "and that the server is running"))
    return StoreUnavailable(message(where, text, "check the URL, the account and its password, and that the "
                                    "database exists; then try again"))


@contextlib.contextmanager
def mapped() -> Iterator[None]:
    """The driver's errors as Veil's (:func:`veil_error`) for every statement, reads in autocommit included."""
    try:
        yield
    except psycopg.Error as exc:
        veil = veil_error(exc)
        if veil is exc:
            raise
        raise veil from exc


SERVER_READ_ONLY_ADVICE = ("your database account may not write this on the store's server: nothing was saved; ask "
                           "the server's administrator for write permission")


NOT_YOURS_ADVICE = ("your database role may not do this on the store's server (the server keeps Veil's roles); "
                    "nothing was changed. If you should be able to, ask a lead or the server's administrator")


def veil_error(exc: psycopg.Error, what: str = "") -> Exception:
    """The Veil error for a psycopg error (to raise from it), or *exc* itself for a bug in Veil's SQL.

    A broken constraint, or a trigger's refusal (``RAISE EXCEPTION``, as
    SQLite's ``RAISE(ABORT)``) → :class:`StoreConflict`. Waiting too long
    for the write lock or a row lock, a serialization failure or a deadlock
    → :class:`StoreBusy`: nothing was written and trying again works. A full
    disk → :class:`StoreFull`. A read-only transaction or a missing grant → :class:`StoreUnavailable` saying
    nothing was saved and whom to ask. A connection that failed or was lost, the
    server shutting down → :class:`ServerUnreachable` (a ``StoreUnavailable``:
    not ``StoreBusy``, which is retried blindly; the app's runner tries it
    again only while nothing of it was committed, and a connection lost
    during ``COMMIT`` is :class:`SaveUncertain`, never retried); any other
    server error → :class:`StoreUnavailable`.
    """
    text = said(exc)
    full = f"{what}: {FULL_ADVICE}" if what else FULL_ADVICE
    if isinstance(exc, pg_errors.DiskFull):
        return StoreFull(full)
    if isinstance(exc, pg_errors.IntegrityError | pg_errors.RaiseException):
        return StoreConflict(message(what, text))
    if isinstance(exc, pg_errors.LockNotAvailable | pg_errors.SerializationFailure | pg_errors.DeadlockDetected
                  | pg_errors.QueryCanceled):
        return StoreBusy(message(what, text, "another Veil is writing to the store; try again"))
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
        return StoreUnavailable(message(what, text, SERVER_READ_ONLY_ADVICE))
    if isinstance(exc, pg_errors.InsufficientPrivilege):  # reads too: the server keeps Veil's roles (team mode)
        return StoreUnavailable(message(what, text, NOT_YOURS_ADVICE))
    if isinstance(exc, psycopg.ProgrammingError):
        return exc
    if isinstance(exc, psycopg.OperationalError) and _unreachable(exc):
        return ServerUnreachable(message(what, text, "the store's server cannot be reached; check the connection "
                                                     "and that the server is running, then try again"))
    return StoreUnavailable(message(what, text))


#: The server's codes for a connection it ended or will not take now (class 08, shutting down, starting up).
_GONE_CODES = ("08", "57P01", "57P02", "57P03")


def _unreachable(exc: psycopg.OperationalError) -> bool:
    """Whether *exc* says the server cannot be reached now: its code says so, or, code-less (libpq's own), its
    words do. Not every operational error: libpq also refuses a statement itself ("number of parameters must
    be between 0 and 65535"), which trying again on a new connection cannot mend."""
    code = exc.sqlstate
    if code is not None:
        return code.startswith(_GONE_CODES)
    return bool(_UNREACHABLE.search(said(exc)))


def replayable(exc: BaseException) -> bool:
    """Whether *exc* is a row-locking conflict the server resolved by rolling the transaction back (a deadlock,
    a serialization failure): nothing was written, and the unit of work may be run again at once, whole."""
    cause = exc.__cause__ if isinstance(exc, StoreBusy) else exc
    return isinstance(cause, pg_errors.DeadlockDetected | pg_errors.SerializationFailure)


def said(exc: psycopg.Error) -> str:
    """The server's own words (its primary message), else the driver's."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None)
    return str(primary) if primary else str(exc).strip()


def message(what: str, text: str, advice: str = "") -> str:
    """*text* after what was being done (*what*), and the advice after it in brackets."""
    text = f"{what}: {text}" if what else text
    return f"{text} ({advice})" if advice else text
