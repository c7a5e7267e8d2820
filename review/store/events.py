"""The append-only, hash-chained event log.

Each row stores the SHA-256 of the row before it (``prev_hash``) and its own
``hash`` over that link and its content. Editing, deleting or inserting a row
anywhere breaks the chain from that row on, and :func:`verify_chain` names the
first row that no longer fits. Triggers refuse UPDATE and DELETE as well;
the chain is what catches a tamperer who drops the triggers first.

It stays ONE ordered chain when writers run side by side (a server store's
row-locked hot path): on a server each append takes the chain's own
transaction-level lock (:data:`CHAIN_LOCK`) and, in the same round trip,
reads the head and inserts the next row (the server hashes it exactly as
:func:`row_hash` does), so appends happen one writer at a time; the lock is
held until that writer commits, so the next append reads its row as the
head. The hot path (a claim, a decision) appends its event last and
deferred (:func:`append_deferred`): the lock, the append and the write
that names the event (the lease's claim, the lease's end) are sent with
the ``COMMIT``, so the lock is held while the server runs them, never
across a trip to the client. On a file, ``BEGIN IMMEDIATE`` already makes
writers take turns.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

import sqlite_utils

from review.store import dialect
from review.store.connection import in_transaction

GENESIS = "0" * 64
#: The advisory lock a server store's append holds from reading the head until its transaction ends ("Vchn").
CHAIN_LOCK = 0x5663686E


def canonical_json(value: Any) -> str:
    """Stable JSON (sorted keys, no spaces, UTF-8 kept) for hashing and storage."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(prev_hash: str, row_id: int, at: str, actor: str, kind: str, subject: str, payload: str) -> str:
    material = canonical_json([prev_hash, row_id, at, actor, kind, subject, payload])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def append(
    db: sqlite_utils.Database,
    *,
    at: str,
    actor: str,
    kind: str,
    subject: str = "",
    payload: dict[str, Any] | None = None,
) -> int:
    """Append one event; call inside the write transaction of the change it records."""
    if not in_transaction(db):
        raise RuntimeError("events.append must run inside the change's write transaction")
    if dialect.is_server(db):
        return int(_server_append(db, "SELECT :event", {}, at=at, actor=actor, kind=kind, subject=subject,
                                  payload=payload)[0])
    body = canonical_json(payload or {})
    last = db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    row_id, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    digest = row_hash(prev, row_id, at, actor, kind, subject, body)
    db.execute(
        "INSERT INTO events (id, at, actor, kind, subject, payload, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [row_id, at, actor, kind, subject, body, prev, digest],
    )
    return row_id


def append_deferred(
    db: sqlite_utils.Database,
    then: str,
    params: Mapping[str, Any],
    *,
    at: str,
    actor: str,
    kind: str,
    subject: str = "",
    payload: dict[str, Any] | None = None,
) -> dialect.Deferred:
    """Append one event, then run *then*, a write that names the new event's id ``:event`` (its other values
    named in *params*: a lease's claim, a lease's end), both deferred to the transaction's next round trip (on a
    server: the ``COMMIT``'s if nothing follows; :func:`review.store.dialect.execute_deferred`) with the chain's
    lock just before them; *then*'s first row is the result's, once sent.

    Why: on a server every append holds the chain's lock until its transaction ends, and every desk of a site
    appends. Deferred, the lock is held while the server runs the append, what follows it and the commit, never
    across a trip to a client and back. A write deferred before it runs ahead of the lock and keeps its rows
    locked while the transaction waits for the chain; one that other desks write too (a decision's move of its
    queue's counts, :func:`review.store.items.close`) goes after it. On a file both run now.
    """
    if not in_transaction(db):
        raise RuntimeError("events.append_deferred must run inside the change's write transaction")
    if not dialect.is_server(db):
        event = append(db, at=at, actor=actor, kind=kind, subject=subject, payload=payload)
        return dialect.Deferred.holding(db.execute(then, {**params, "event": event}).fetchone())
    server: Any = db  # a ServerDatabase
    server.execute_deferred("SELECT pg_advisory_xact_lock(?)", [CHAIN_LOCK])
    return cast(dialect.Deferred, server.execute_deferred(*_server_statement(
        then, params, at=at, actor=actor, kind=kind, subject=subject, payload=payload)))


def _server_append(db: sqlite_utils.Database, then: str, params: Mapping[str, Any], *, at: str, actor: str,
                   kind: str, subject: str, payload: dict[str, Any] | None) -> Any:
    """A server's append and *then* in one statement, sent with the chain lock (one round trip, no pause in
    between); *then*'s first row (:func:`append` asks for the event's id)."""
    server: Any = db  # a ServerDatabase
    return server.first_after_lock(CHAIN_LOCK, *_server_statement(then, params, at=at, actor=actor, kind=kind,
                                                                  subject=subject, payload=payload))


def _server_statement(then: str, params: Mapping[str, Any], *, at: str, actor: str, kind: str, subject: str,
                      payload: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """A server's append and *then* as one statement (the event inserted in a ``WITH``) and its parameters."""
    body = canonical_json(payload or {})
    values = {"at": at, "actor": actor, "kind": kind, "subject": subject, "payload": body, "genesis": GENESIS,
              "rest": canonical_json([at, actor, kind, subject, body])[1:-1]}  # the hashed list after the link
    if not set(params).isdisjoint(values):
        raise ValueError(f"append_deferred: {sorted(set(params) & set(values))} are the event's own names")
    return _SERVER_APPEND + then.replace(":event", "(SELECT id FROM appended)"), {**values, **params}


#: A server's append, as a ``WITH`` ahead of the statement that follows it (:func:`_server_append`): the head is
#: read once the chain lock is held, and the row's hash is :func:`row_hash`'s, computed by the server over the same
#: canonical JSON (the prev hash is hex and the id a number, so only the rest, escaped by Python, is bound).
_SERVER_APPEND = """
WITH appended AS (
INSERT INTO events (id, at, actor, kind, subject, payload, prev_hash, hash)
SELECT COALESCE(h.id, 0) + 1, :at, :actor, :kind, :subject, :payload, COALESCE(h.hash, :genesis),
       encode(sha256(convert_to('["' || COALESCE(h.hash, :genesis) || '",' || CAST(COALESCE(h.id, 0) + 1 AS TEXT)
                                || ',' || :rest || ']', 'UTF8')), 'hex')
FROM (SELECT 1) AS one LEFT JOIN (SELECT id, hash FROM events ORDER BY id DESC LIMIT 1) AS h ON TRUE
RETURNING id)
"""


@dataclass(frozen=True)
class Head:
    """The log's last event: its number and hash (an anchor a report or a person can keep)."""

    events: int
    hash: str


def head(db: sqlite_utils.Database) -> Head:
    """The last event's id and hash (0 and the genesis hash for an empty log).

    Whoever keeps this pair can later prove, with ``veil verify --expect
    N:HASH``, that nothing up to event N was rewritten, truncated or
    recomputed: the hash of event N covers every event before it.
    """
    last = db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return Head(int(last[0]), str(last[1])) if last else Head(0, GENESIS)


@dataclass(frozen=True)
class ChainBreak:
    row_id: int
    reason: str


def verify_chain(db: sqlite_utils.Database) -> tuple[int, ChainBreak | None]:
    """Walk the whole log; return (rows checked, first break or None)."""
    for checked, broken in chain_breaks(db):
        return checked, broken
    return int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0]), None


def chain_breaks(db: sqlite_utils.Database) -> Iterator[tuple[int, ChainBreak]]:
    """Every row that does not fit the chain, with how many rows came before it, streaming the log once.

    After a break the walk goes on from the row's stored hash, so each
    edited, removed or inserted row is named, not only the first.
    """
    prev = GENESIS
    position = 0
    cursor = db.execute("SELECT id, at, actor, kind, subject, payload, prev_hash, hash FROM events ORDER BY id")
    for row_id, at, actor, kind, subject, payload, prev_hash, stored in cursor:
        if prev_hash != prev:
            yield position, ChainBreak(
                row_id, "its prev_hash does not match the row before it (a row was removed or inserted)"
            )
        elif not all(isinstance(v, str) for v in (at, actor, kind, subject, payload)):
            yield position, ChainBreak(row_id, "it holds a value that is not text (the row was written behind "
                                               "Veil's back)")
        elif row_hash(prev_hash, row_id, at, actor, kind, subject, payload) != stored:
            yield position, ChainBreak(row_id, "its content does not match its hash (the row was edited)")
        prev = stored
        position += 1
