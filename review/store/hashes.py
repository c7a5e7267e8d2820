"""SQL of content hashes: the m019 columns, what the PDQ index loads and follows, rehashing, the copies' outcomes.

m019 replaces the hand-made 64-bit ``phash`` (and its four band indexes,
which missed near copies beyond 3 bits) with what hash-sharing programmes
exchange: ``content_md5`` beside ``content_sha256`` for files, ``pdq`` (each
keyframe's PDQ as ``HEX:QUALITY``, separated by spaces: a still picture has
one, a video or an animation two) and ``pdq_quality`` (0..100; the lowest of
them, for rules). A text's ``content_sha256`` becomes the SHA-256 of its
normal form. Media items keep ``content_md5`` NULL until ``veil rehash``
reads their files again (:mod:`review.rehash`); those whose file cannot be
read keep only their SHA-256 and are listed each run.

**Gold copies have no hashes, on purpose** (``audit/store/gold.py``
``item_fields``): "Seen before" would find the original through them, and its
answer. So neither m019 nor a rehash touches an item without a SHA-256, and
the in-memory index (:mod:`review.content_index`) has nothing to find them by.

``hash_state`` holds one row: a token made when the step ran, so an index in
memory knows a fresh store behind the same address from the one it loaded.

The index follows the store by the event log, not by item or decision ids: on
PostgreSQL row-locked writers commit out of id order, but every change that
matters logs its event under the chain lock at the end of its transaction, so
event ids are in commit order (:mod:`review.store.events`). "Events since N"
of :data:`FOLLOWED` kinds name the items whose outcome or hashes to read
again: the decided items' actions are read with the events, at one moment
(:func:`followed_since`), anything else in a snapshot after (:func:`reading`).

Near-duplicate search is not SQL: the distance is a popcount in NumPy (the
same on SQLite and PostgreSQL). Counting 50,000 copies' decisions in SQL,
one index probe per copy, takes 60-300 ms on the development machine whatever
the plan; ``decisions_item_live`` makes the per-item reads that remain
(:data:`_CURRENT`) index-only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from review.media.fingerprint import text_sha256
from review.store import media_root
from review.store.bound import distinct_slices, marks
from review.store.connection import executemany, read_snapshot, rows_at_one_moment

if TYPE_CHECKING:
    from review.store import Store

_PAGE = 5_000  # texts rehashed per read in m019

#: Event kinds after which an index reads items again: new items, a changed decision (subject ``item:N``),
#: decisions imported in bulk (every outcome again), a rehash batch (its items' hashes, in the payload).
NEW_ITEMS = "items.imported"
BULK_DECISIONS = "decisions.imported"
REHASHED = "media.rehashed"
DECISION_KINDS = ("decision.made", "decision.recorded", "decision.revoked", "decision.corrected")
FOLLOWED = (NEW_ITEMS, BULK_DECISIONS, REHASHED, *DECISION_KINDS)


def m019(db: sqlite_utils.Database) -> None:
    """The schema step: MD5, PDQ and quality columns on items, the old 64-bit hash dropped, texts rehashed."""
    db.executescript(
        """
        DROP INDEX IF EXISTS items_phash_band1;
        DROP INDEX IF EXISTS items_phash_band2;
        DROP INDEX IF EXISTS items_phash_band3;
        DROP INDEX IF EXISTS items_phash_band4;
        DROP INDEX IF EXISTS items_phash;
        ALTER TABLE items DROP COLUMN phash;
        ALTER TABLE items ADD COLUMN content_md5 TEXT;
        ALTER TABLE items ADD COLUMN pdq TEXT;
        ALTER TABLE items ADD COLUMN pdq_quality INTEGER;
        CREATE INDEX items_content_md5 ON items (content_md5);
        CREATE INDEX decisions_item_live ON decisions (item_id, revokes_id, id, action);
        CREATE TABLE hash_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            token TEXT NOT NULL
        );
        """
    )
    db.execute("INSERT INTO hash_state (id, token) VALUES (1, ?)", [uuid.uuid4().hex])
    after = 0
    # Only texts that already had a SHA-256: a gold copy has none, and must keep none.
    while page := db.execute("SELECT id, text FROM items WHERE id > ? AND media_path IS NULL"
                             " AND content_sha256 IS NOT NULL ORDER BY id LIMIT ?", [after, _PAGE]).fetchall():
        executemany(db, "UPDATE items SET content_sha256 = ? WHERE id = ?",
                    [(text_sha256(text or ""), item_id) for item_id, text in page])
        after = page[-1][0]


# ------------------------------------------------------------------ what the index reads
@contextmanager
def reading(store: Store) -> Iterator[None]:
    """One snapshot for a refresh: the events read and the rows they name are of the same moment."""
    with read_snapshot(store.db):
        yield


_TOKEN = "SELECT token FROM hash_state WHERE id = 1"


def token(store: Store) -> str:
    """The store's hash token: an index built under another token must be rebuilt."""
    row = store.db.execute(_TOKEN).fetchone()
    return str(row[0]) if row else ""


def event_hash(store: Store, event_id: int) -> str:
    """The chain hash of event *event_id* ("" for none): a saved index names the event it stopped at by it, so
    a store restored from a copy, or another behind the same address, is not taken for the one it was saved of."""
    row = store.db.execute("SELECT hash FROM events WHERE id = ?", [event_id]).fetchone()
    return str(row[0]) if row else ""


@dataclass(frozen=True)
class Followed:
    """Where the store stands for an index that has read its events up to some id: its hash ``token`` (an
    index built under another must be rebuilt), its newest event id ``head`` (0 in an empty log), the
    :data:`FOLLOWED` ``events`` past that id, as (id, kind, subject) in commit order, and ``standing``: the
    current action of each item those of :data:`DECISION_KINDS` name (:func:`subject_item`) that is decided.

    Never an event's payload: on a server only leads may read it (a decision's event names its action, which a
    blind auditor must not see), and every desk follows these events."""

    token: str
    head: int
    events: list[tuple[int, str, str]]
    standing: dict[int, str]


#: The item id an event's subject names, as :func:`subject_item` reads it; NULL for any other subject (never an
#: error: anyone may log an event as themselves, and every desk reads it).
_SUBJECT_ITEM = """CAST(CASE WHEN substr(e.subject, 1, 5) = 'item:' AND length(e.subject) BETWEEN 6 AND 23
    AND ltrim(substr(e.subject, 6), '0123456789') = '' THEN substr(e.subject, 6) END AS BIGINT)"""


def subject_item(subject: str) -> int | None:
    """The item an event's subject names (``item:ID``, ID 1 to 18 ASCII digits: what a BIGINT holds), else None."""
    return _whole(subject[5:]) if subject.startswith("item:") else None


def subject_items(subject: str) -> tuple[int, int] | None:
    """The range of item ids a rehash event's subject names (``items:LOW-HIGH``, each as in :func:`subject_item`,
    LOW ≤ HIGH), else None (never an error: anyone may log an event as themselves, and every desk reads it)."""
    if not subject.startswith("items:"):
        return None
    first, _, last = subject[6:].partition("-")
    low, high = _whole(first), _whole(last)
    return (low, high) if low is not None and high is not None and low <= high else None


def _whole(digits: str) -> int | None:
    """1 to 18 ASCII digits as a number (what a BIGINT holds; ``str.isdigit`` alone accepts ``²``), else None."""
    return int(digits) if 0 < len(digits) <= 18 and digits.isascii() and digits.isdigit() else None


def followed_since(store: Store, after_id: int | None) -> Followed:
    """The store's :class:`Followed` past *after_id* (None: no events wanted, a whole load follows), read at one
    moment: on a server one round trip (its snapshot's ``BEGIN`` and ``COMMIT`` in it), which every desk's "Seen
    before" makes before each look-up; what most look-ups then need, the decided items' actions, comes with it.

    Each action is read beside its event, one index probe per decision's event since (never a plan that
    starts from the decisions: a join let a planner without statistics read every live decision)."""
    marks = ",".join("?" * len(FOLLOWED))
    decided = ",".join("?" * len(DECISION_KINDS))
    reads: list[tuple[str, list[Any] | None]] = [(_TOKEN, None), ("SELECT MAX(id) FROM events", None)]
    if after_id is not None:
        reads.append((f"""SELECT e.id, e.kind, e.subject, CASE WHEN e.kind IN ({decided}) THEN (SELECT d.action
            FROM decisions d WHERE d.item_id = {_SUBJECT_ITEM} AND {_CURRENT} LIMIT 1) END
            FROM events e WHERE e.id > ? AND e.kind IN ({marks}) ORDER BY e.id""",
                      [*DECISION_KINDS, after_id, *FOLLOWED]))
    token_rows, head_rows, *since = rows_at_one_moment(store.db, reads)
    rows = since[0] if since else []
    events = [(int(r[0]), str(r[1]), str(r[2])) for r in rows]
    standing = {item_id: str(r[3]) for r in rows if r[3] is not None and (item_id := subject_item(str(r[2])))}
    return Followed(str(token_rows[0][0]) if token_rows else "", int(head_rows[0][0] or 0), events, standing)


def item_hashes(store: Store, after_id: int, limit: int) -> list[tuple[int, str | None, str | None]]:
    """(item id, SHA-256, ``pdq`` column) of up to *limit* items past *after_id*, by id."""
    return list(store.db.execute(  # the driver's rows as they come: a million-item load makes no copies
        "SELECT id, content_sha256, pdq FROM items WHERE id > ? ORDER BY id LIMIT ?", [after_id, limit]).fetchall())


def item_hashes_between(store: Store, low: int, high: int) -> list[tuple[int, str | None, str | None]]:
    """(item id, SHA-256, ``pdq`` column) of the items with ids in [*low*, *high*]: a gap an index saw, which a
    transaction still open then may have filled since (PostgreSQL hands ids out before commit)."""
    return [(int(r[0]), r[1], r[2]) for r in store.db.execute(
        "SELECT id, content_sha256, pdq FROM items WHERE id >= ? AND id <= ? ORDER BY id", [low, high])]


def live_decisions(store: Store, after_id: int, limit: int) -> list[tuple[int, int, str]]:
    """(decision id, item id, action) of up to *limit* live decisions past *after_id* (neither revoking nor
    revoked), by id: the newest of an item's is its current decision."""
    return list(store.db.execute(  # the driver's rows as they come: a million-decision load makes no copies
        "SELECT d.id, d.item_id, d.action FROM decisions d WHERE d.id > ? AND d.revokes_id IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id) ORDER BY d.id LIMIT ?",
        [after_id, limit]).fetchall())


# ------------------------------------------------------------------ rehashing
#: Media items a rehash gives MD5 and PDQ: no MD5 yet, and a SHA-256 from their import (a gold copy has none).
_UNHASHED = "media_path IS NOT NULL AND content_md5 IS NULL AND content_sha256 IS NOT NULL"


def unhashed(store: Store, after_id: int, limit: int) -> list[tuple[int, Path, str]]:
    """(id, file, SHA-256 recorded at import) of up to *limit* media items past *after_id* with no MD5 yet."""
    rows = store.db.execute(
        f"SELECT id, media_path, content_sha256 FROM items WHERE id > ? AND {_UNHASHED} ORDER BY id LIMIT ?",
        [after_id, limit]).fetchall()
    return [(int(r[0]), Path(media_root.resolve(store.media_root, r[1])), str(r[2])) for r in rows]


def count_unhashed(store: Store) -> int:
    """How many media items still have no MD5 (what a rehash has left to do)."""
    return int(store.db.execute(f"SELECT COUNT(*) FROM items WHERE {_UNHASHED}").fetchone()[0])


def record(store: Store, actor: str, rows: Sequence[tuple[str, str | None, int | None, int]],
           unreadable: int) -> None:
    """Write one batch's (md5, pdq, quality, item id) rows and its ``media.rehashed`` event (the items it
    hashed, how many it could not read): one transaction, which the in-memory indexes follow.

    The event's subject names the batch's item ids as a range, ``items:LOW-HIGH``: on a server a moderator's
    own database role may not read events' payloads, and an index in their desk still finds what to read
    again (every item in the range: a few more than were hashed, never fewer)."""
    ids = [row[3] for row in rows]
    subject = f"items:{min(ids)}-{max(ids)}" if ids else ""
    with store.transaction():
        executemany(store.db, "UPDATE items SET content_md5 = ?, pdq = ?, pdq_quality = ? WHERE id = ?", rows)
        store.log(actor, REHASHED, subject, {"hashed": len(rows), "unreadable": unreadable, "items": ids})


# ------------------------------------------------------------------ the copies' outcomes
#: The item's current decision: its newest live decision (not a revoking row, not revoked). A correction
#: stands beside the decision it replaced, both live; the newest is the outcome.
_CURRENT = """
    d.revokes_id IS NULL
    AND d.id = (SELECT MAX(x.id) FROM decisions x
                WHERE x.item_id = d.item_id AND x.revokes_id IS NULL
                  AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = x.id))
"""


def current_actions(store: Store, item_ids: Sequence[int]) -> dict[int, str]:
    """{item id: its current decision's action} for those of *item_ids* that are decided."""
    return {item_id: str(action) for item_id, action in _current(store, item_ids, "d.action").items()}


def current_decision_ids(store: Store, item_ids: Sequence[int]) -> dict[int, int]:
    """{item id: its current decision's id} for those of *item_ids* that are decided (to ask QA about them)."""
    return {item_id: int(decision_id) for item_id, decision_id in _current(store, item_ids, "d.id").items()}


def _current(store: Store, item_ids: Sequence[int], column: str) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for chunk in distinct_slices(item_ids):
        found.update((int(item_id), value) for item_id, value in store.db.execute(
            f"SELECT d.item_id, {column} FROM decisions d WHERE d.item_id IN ({marks(chunk)}) AND {_CURRENT}", chunk))
    return found
