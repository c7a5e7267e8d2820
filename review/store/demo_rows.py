"""Many synthetic rows at once, for a demo workspace of any size: items, past decisions with their events, exposure.

``veil demo --items 5000000`` must build at 50,000 items/s (issue 22 §1); the per-row writers
(``Store.add_items``' dict rows, ``decisions.record_past``: a transaction, three statements and an
event each) are ten times too slow for that. Here the caller hands prepared tuples, in the columns'
order, and each function writes them with one ``executemany`` inside the caller's transaction.
Nothing is skipped: the append-only guards see each row, the items' queue counts and complaint rows
are written per statement (:mod:`review.store.item_inserts`), and each decision gets its own
``decision.recorded`` event with exactly the payload ``record_past`` writes
(:func:`review.store.decisions.facts`), so ``veil verify`` reconciles the rows like any other. On a
file the events' hash chain is computed here in one pass (:func:`_chained`, byte for byte
:func:`review.store.events.row_hash`'s); a server store appends them one by one through
``Store.log`` (its chain lock: slower, and correct). The history import writes its past decisions
through :func:`add_past_decisions` too.

A big demo on a file is one :func:`bulk_load`: one transaction in which the secondary indexes of
the tables it fills, and their per-row counting triggers, are set aside and made again at the end
(the summaries recounted from the decisions, as ``veil verify`` recounts them). SQLite then sorts
each index once instead of inserting millions of keys one by one (4x less CPU for the items at
100 k), and writes the rows once, to the file, under a rollback journal without syncing, instead
of twice through the WAL. Nobody sees the store without its indexes: the change is one
transaction, which a failure or a kill rolls back (a kill: the next open finds the journal), to
the base workspace it started from.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from json.encoder import encode_basestring  # the C encoder json.dumps uses (ensure_ascii=False)
from typing import TYPE_CHECKING, Any

from review.store import dialect, events, item_inserts, summaries
from review.store.connection import executemany
from review.store.decisions import CLIENT_VERSION, note_digest
from review.store.hashes import NEW_ITEMS

if TYPE_CHECKING:
    from review.store import Store

#: The item columns a prepared item row holds, in order.
ITEM_COLUMNS = ("external_id", "queue_id", "kind", "media_path", "media_type", "text", "metadata", "author",
                "severity", "priority", "content_sha256", "content_md5", "pdq", "pdq_quality", "received_at", "due_at",
                "state", "created_at")
_ADD_ITEMS = (f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))})")

#: A past decision: (item id, user id, user name, queue id, queue name, action, labels, note, decided_at,
#: shown_at, handle_ms, source); labels a tuple of label ids.
PastDecision = tuple[int, int, str, int, str, str, tuple[str, ...], str, str, str | None, int | None, str]

#: An exposure row, in the table's columns: (user id, item id, session, day, started_at, ended_at, blurred_ms,
#: revealed_ms, region_ms, video_ms, severity, category); its day is the start's.
ExposureRow = tuple[int, int, str, str, str, str, int, int, int, int, str | None, str]

#: The page cache a bulk load runs with on a file (KiB): the unique key of the items and the counts kept beside
#: them are written at a few hundred places each, which SQLite's default 2 MB cache cannot keep; the same cache
#: sorts each index made again at the end without spilling (64 MB: the demo's memory, whatever its size).
BULK_CACHE_KIB = 64 * 1024

#: The tables whose secondary indexes a bulk load on a file sets aside and makes again once its rows are in.
_INDEXED = ("items", "decisions", "exposure")
#: The per-row counting triggers it sets aside: the decision summaries' (recounted from the decisions at the end
#: instead) and the items' insert trigger (which a bulk insert pauses anyway: :func:`item_inserts.insert_new` counts
#: each statement's rows; set aside, each row is spared asking whether it is paused).
_COUNTING_TRIGGERS = ("decisions_summaries", "items_counted")


class BulkLoad:
    """A bulk load under way: :meth:`chunk` writes one chunk of it."""

    def __init__(self, store: Store, *, whole: bool) -> None:
        self.store, self.whole = store, whole

    def chunk(self, write: Callable[[], None]) -> None:
        """Run *write* (a chunk's rows): inside the load's one transaction on a file, as its own on a server."""
        if self.whole:
            write()
            return
        with self.store.transaction():
            write()


@contextlib.contextmanager
def bulk_load(store: Store) -> Iterator[BulkLoad]:
    """A bulk load of new rows into *store* (the module says how a file's is made fast), whose chunks are written
    through the :class:`BulkLoad` yielded: on a file all in one transaction, on a server each in its own.

    A server store sizes its own buffers and keeps its indexes (its chunks commit one by one, as an import's).
    """
    if dialect.is_server(store.db):
        yield BulkLoad(store, whole=False)
        return
    with _unsynced(store), store.transaction():
        aside = _set_aside(store)
        yield BulkLoad(store, whole=True)
        _put_back(store, aside)


@contextlib.contextmanager
def _unsynced(store: Store) -> Iterator[None]:
    """Connection settings for a file's bulk load, Veil's own after it (as every open sets them).

    A rollback journal when the store is this connection's alone, else the WAL as it is: the WAL writes each new
    page twice (the log, then the checkpoint), a rollback journal only the few pages the load changes (a fifth
    less CPU at 200 k items, half the writes). No syncing (a lost machine loses a demo being built, never one
    built: the store's syncing is back before the load returns). A bigger cache; two threads to sort indexes.

    A build killed half-way leaves the journal beside the store, which the next open rolls back (any command
    that opens it as a store, the app); ``veil verify``'s read-only probe does not roll back, so until then it
    reads the half-written file.
    """
    db = store.db.conn
    before = db.execute("PRAGMA cache_size").fetchone()[0]
    with contextlib.suppress(sqlite3.OperationalError):  # another connection has the file open: the WAL stays
        db.execute("PRAGMA journal_mode = DELETE")
    db.execute("PRAGMA synchronous = OFF")
    db.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    db.execute("PRAGMA threads = 2")
    try:
        yield
    finally:
        db.execute("PRAGMA threads = 0")
        db.execute(f"PRAGMA cache_size = {int(before)}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")


def _set_aside(store: Store) -> list[str]:
    """Inside the load's transaction: drop the secondary indexes of :data:`_INDEXED` and the
    :data:`_COUNTING_TRIGGERS`; the statements that make them again (as stored: the schema check compares them)."""
    aside = store.db.execute(
        f"SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND ((type = 'index' AND tbl_name IN"
        f" ({', '.join('?' * len(_INDEXED))})) OR (type = 'trigger' AND name IN"
        f" ({', '.join('?' * len(_COUNTING_TRIGGERS))}))) ORDER BY name",
        [*_INDEXED, *_COUNTING_TRIGGERS]).fetchall()
    for kind, name, _ in aside:
        store.db.execute(f"DROP {kind.upper()} {name}")
    return [sql for _, _, sql in aside]


def _put_back(store: Store, aside: list[str]) -> None:
    """Inside the load's transaction: the summaries recounted from the decisions as the trigger would have kept
    them (``veil verify``'s recount), then the indexes and the trigger made again."""
    for table, (keys, counts, recount) in summaries.SUMMARIES.items():
        store.db.execute(f"DELETE FROM {table}")
        store.db.execute(f"INSERT INTO {table} ({', '.join(keys + counts)}) {recount}")
    for sql in aside:
        store.db.execute(sql)


def add_items(store: Store, rows: Sequence[Sequence[Any]], *, actor: str, source: str) -> list[int]:
    """Insert prepared item rows (:data:`ITEM_COLUMNS`' order) and their ``items.imported`` event, inside the
    caller's transaction; the new items' ids, in row order (ids are handed out in insert order, and nobody else
    writes items while the transaction holds the write lock)."""
    before, added = item_inserts.insert_new(store, _ADD_ITEMS, rows)
    store.log(actor, NEW_ITEMS, source, {"rows": len(rows), "added": added})
    return _ids_after(store, "items", before)


def _ids_after(store: Store, table: str, before: int) -> list[int]:
    """The ids above *before* in *table*, in order: the rows a statement just added (read, not counted from
    *before*: a server's sequence may have skipped numbers a rolled-back transaction took)."""
    return [int(row_id) for (row_id,) in store.db.execute(f"SELECT id FROM {table} WHERE id > ? ORDER BY id",
                                                          [before])]


def add_past_decisions(store: Store, rows: Sequence[PastDecision]) -> None:
    """Insert past decisions on items already ``decided`` and each one's ``decision.recorded`` event, inside the
    caller's transaction; no lease is involved (the items were never claimed)."""
    (before,) = store.db.execute("SELECT COALESCE(MAX(id), 0) FROM decisions").fetchone()
    executemany(
        store.db,
        "INSERT INTO decisions (item_id, user_id, queue_id, action, labels, note, shown_at, decided_at, handle_ms,"
        " revealed_ms, client_version, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        [(item, user, queue, action, _row_labels(tuple(labels)), note, shown, decided, handle, CLIENT_VERSION, source)
         for item, user, _, queue, _, action, labels, note, decided, shown, handle, source in rows],
    )
    ids = _ids_after(store, "decisions", int(before))
    if dialect.is_server(store.db):
        for decision, (item, _, actor, _, queue, action, labels, note, decided, shown, handle, source) in zip(
                ids, rows, strict=True):
            store.log(actor, "decision.recorded", f"item:{item}", json.loads(
                _payload(decision, action, tuple(labels), source, queue, decided, handle, shown, note)))
        return
    _append_events(store, "decision.recorded", [
        (actor, f"item:{item}", _payload(decision, action, tuple(labels), source, queue, decided, handle, shown,
                                          note))
        for decision, (item, _, actor, _, queue, action, labels, note, decided, shown, handle, source)
        in zip(ids, rows, strict=True)])


@functools.lru_cache(maxsize=4096)
def _row_labels(labels: tuple[str, ...]) -> str:
    """The ``labels`` column as ``record_past`` writes it (a few distinct sets: made once each)."""
    return json.dumps(list(labels))


@functools.lru_cache(maxsize=4096)
def _json(value: Any) -> str:
    """*value* as canonical JSON (:func:`review.store.events.canonical_json`), for the few distinct values a bulk
    load repeats (actions, queue names, label sets, sources, notes' digests)."""
    return events.canonical_json(list(value) if isinstance(value, tuple) else value)


def _payload(decision: int, action: str, labels: tuple[str, ...], source: str, queue: str, decided: str,
             handle: int | None, shown: str | None, note: str) -> str:
    """A past decision's event payload as canonical JSON, written out in its sorted keys' order: the text
    ``canonical_json`` makes of ``record_past``'s payload (a test holds the two equal), at a sixth of the cost of
    sorting and encoding a dict per decision."""
    return (f'{{"action":{_json(action)},"decided_at":{encode_basestring(decided)},"decision":{decision},'
            f'"handle_ms":{"null" if handle is None else int(handle)},"labels":{_json(labels)},'
            f'"note_sha256":{_json(note_digest(note)) if note else _EMPTY_NOTE},"queue":{_json(queue)},'
            f'"revealed_ms":0,"shown_at":{"null" if shown is None else encode_basestring(shown)},'
            f'"source":{_json(source)}}}')


_EMPTY_NOTE = encode_basestring(note_digest(""))


def _append_events(store: Store, kind: str, bodies: Sequence[tuple[str, str, str]]) -> None:
    """Append one event per (actor, subject, canonical JSON payload), chained exactly as
    :func:`review.store.events.append` chains them, with one statement (a file store: the transaction's write lock
    keeps the head ours)."""
    at = store.now()
    head = events.head(store.db)
    executemany(store.db, "INSERT INTO events (id, at, actor, kind, subject, payload, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _chained(head.events, head.hash, at, kind, bodies))
    store.mark_changed(kind.split(".", 1)[0])


def _chained(last: int, prev: str, at: str, kind: str,
             bodies: Sequence[tuple[str, str, str]]) -> list[tuple[int, str, str, str, str, str, str, str]]:
    """The event rows after event *last* (hash *prev*): :func:`review.store.events.row_hash`'s material, the
    canonical JSON of ``[prev, id, at, actor, kind, subject, payload]``, written out (its strings escaped by the
    encoder ``json.dumps`` uses), then hashed."""
    rows = []
    middle = f",{encode_basestring(at)},"
    after_actor = f",{encode_basestring(kind)},"
    sha256 = hashlib.sha256
    for row_id, (actor, subject, body) in enumerate(bodies, last + 1):
        material = (f'["{prev}",{row_id}{middle}{_json(actor)}{after_actor}{encode_basestring(subject)},'
                    f"{encode_basestring(body)}]")
        digest = sha256(material.encode("utf-8")).hexdigest()
        rows.append((row_id, at, actor, kind, subject, body, prev, digest))
        prev = digest
    return rows


def add_exposure(store: Store, rows: Sequence[ExposureRow]) -> None:
    """Insert exposure rows (what each decider saw, no reveal regions) inside the caller's transaction; like
    ``review.store.wellbeing.add_exposure``, no event."""
    executemany(
        store.db,
        "INSERT INTO exposure (user_id, item_id, session_id, day, started_at, ended_at, blurred_ms, revealed_ms,"
        " region_ms, video_ms, severity, category) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    store.mark_changed("wellbeing")
