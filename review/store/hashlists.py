"""SQL of hash lists: the lists, their entries, the matches recorded at intake, and the m023 step that makes them.

A hash list (a "bank" in Meta's Hasher-Matcher-Actioner) is a named set of
signals another platform or the team itself shared: PDQ hashes, MD5 and
SHA-256 of files, and SHA-256 of texts' normal forms (signal type ``text``).
``hash_lists`` holds one row per list (its action, labels, whether that
action is automated, whether PDQ entries also match turned and mirrored
pictures, its version: 1 when made, one more for each import into it);
``hash_list_entries`` one row per distinct signal of a list (``UNIQUE``, so
a duplicate line is counted, never stored twice), with the version that
added it. An import writes its entries in short transactions, under the
next version, and publishes them at the end by raising the list's
``version`` in one more (with its event): matching reads only entries of a
published version (``e.version <= l.version``), so the store's write lock is
never held for a whole million-line file and a half-written import is never
seen. One import runs into a list at a time: it holds the list's
``import_token`` (a random number, also written on each entry it adds) and
``import_seen_at`` (moved by each chunk), publishes or drops only the rows
of its own token, and a second import is refused until the first is done or
stale (:mod:`review.known.lists` says how long). A list made by an import
still running has version 0 and is shown nowhere. List ids are never
reused (``hash_list_state.last_list_id`` hands them out; SQLite would reuse a
deleted highest id, and events name lists by id). ``list_matches`` one row per item and entry it matched at intake,
with the distance in bits (0 for exact signals). ``hash_list_state`` counts
changes to lists and removals of entries (moved only when entries were
deleted), so an in-memory PDQ index of the entries
(:mod:`review.known.list_index`) knows with one row read whether it is
stale, and whether entries it holds have gone. Each change a person makes logs one ``hashlist.*`` event in the same
transaction (:mod:`review.known.lists` says which).

Exact signals are matched in SQL (the entries' unique index leads with the
signal type and signal, so each item's probe is an index look-up, one
statement per chunk of items; ``hash_list_entries_list`` serves a list's
counts and its removal); PDQ in
memory, as "Seen before" is (a popcount is the same on SQLite and
PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlite_utils

from review.store import reads
from review.store.bound import marks, slices
from review.store.connection import executemany

if TYPE_CHECKING:
    from review.store import Store

SIGNAL_TYPES = ("pdq", "md5", "sha256", "text")


def m023(db: sqlite_utils.Database) -> None:
    """The schema step: hash lists, their entries, the matches recorded at intake and the change counter."""
    db.executescript(
        """
        CREATE TABLE hash_lists (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE CHECK (name != ''),
            action TEXT,
            labels TEXT NOT NULL DEFAULT '[]',
            automated INTEGER NOT NULL DEFAULT 0 CHECK (automated IN (0, 1)),
            dihedral INTEGER NOT NULL DEFAULT 0 CHECK (dihedral IN (0, 1)),
            version INTEGER NOT NULL CHECK (version >= 0),
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            changed_by TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            import_token INTEGER,
            import_by TEXT,
            import_seen_at TEXT,
            CHECK (automated = 0 OR action IS NOT NULL)
        );
        CREATE TABLE hash_list_entries (
            id INTEGER PRIMARY KEY,
            list_id INTEGER NOT NULL REFERENCES hash_lists(id),
            signal_type TEXT NOT NULL CHECK (signal_type IN ('pdq', 'md5', 'sha256', 'text')),
            signal TEXT NOT NULL,
            tag TEXT,
            note TEXT,
            version INTEGER NOT NULL,
            import_token INTEGER NOT NULL,
            UNIQUE (signal_type, signal, list_id)
        );
        CREATE INDEX hash_list_entries_list ON hash_list_entries (list_id, signal_type);
        CREATE TABLE list_matches (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            entry_id INTEGER NOT NULL REFERENCES hash_list_entries(id),
            list_id INTEGER NOT NULL REFERENCES hash_lists(id),
            distance INTEGER NOT NULL CHECK (distance >= 0),
            matched_at TEXT NOT NULL,
            UNIQUE (item_id, entry_id)
        );
        CREATE INDEX list_matches_list ON list_matches (list_id, item_id);
        CREATE TABLE hash_list_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            changes INTEGER NOT NULL,
            removals INTEGER NOT NULL,
            last_list_id INTEGER NOT NULL
        );
        """
    )
    db.execute("INSERT INTO hash_list_state (id, changes, removals, last_list_id) VALUES (1, 0, 0, 0)")


@dataclass(frozen=True)
class ListRow:
    """One list as stored, with its entries counted per signal type."""

    id: int
    name: str
    action: str | None
    labels: tuple[str, ...]
    automated: bool
    dihedral: bool
    version: int
    created_by: str
    created_at: str
    changed_by: str
    changed_at: str
    entries: dict[str, int]


_LIST_COLUMNS = ("id, name, action, labels, automated, dihedral, version, created_by, created_at, changed_by,"
                 " changed_at")


#: An entry is in its list once the version that added it is published.
_PUBLISHED = "e.version <= l.version"


def lists(store: Store) -> list[ListRow]:
    """Every published list by name, with its published entries per signal type (two statements)."""
    counts: dict[int, dict[str, int]] = {}
    for list_id, signal_type, n in store.db.execute(
            "SELECT e.list_id, e.signal_type, COUNT(*) FROM hash_list_entries e JOIN hash_lists l ON l.id = e.list_id"
            f" WHERE {_PUBLISHED} GROUP BY e.list_id, e.signal_type"):
        counts.setdefault(int(list_id), {})[str(signal_type)] = int(n)
    rows = store.db.execute(f"SELECT {_LIST_COLUMNS} FROM hash_lists WHERE version > 0 ORDER BY name, id").fetchall()
    return [_list_row(row, counts.get(int(row[0]), {})) for row in rows]


def list_named(store: Store, name: str, *, unpublished: bool = False) -> ListRow | None:
    """The published list called *name* (*unpublished*: also one an import is still making), or None."""
    row = store.db.execute(f"SELECT {_LIST_COLUMNS} FROM hash_lists WHERE name = ?", [name]).fetchone()
    if row is None or (not unpublished and not row[6]):
        return None
    counts = {str(t): int(n) for t, n in store.db.execute(
        "SELECT e.signal_type, COUNT(*) FROM hash_list_entries e JOIN hash_lists l ON l.id = e.list_id"
        f" WHERE e.list_id = ? AND {_PUBLISHED} GROUP BY e.signal_type", [row[0]])}
    return _list_row(row, counts)


def _list_row(row: Sequence[Any], entries: dict[str, int]) -> ListRow:
    return ListRow(int(row[0]), str(row[1]), row[2], tuple(json.loads(row[3] or "[]")), bool(row[4]), bool(row[5]),
                   int(row[6]), str(row[7]), str(row[8]), str(row[9]), str(row[10]),
                   {t: entries[t] for t in SIGNAL_TYPES if t in entries})


def changes(store: Store) -> tuple[int, int]:
    """(changes, removals): how many times the lists have changed, and entries been removed (the in-memory
    index's staleness check: one row)."""
    row = store.db.execute("SELECT changes, removals FROM hash_list_state WHERE id = 1").fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _changed(store: Store, *, removed: bool = False) -> None:
    """Move the change counter; the removal counter only when *removed* (entries were deleted: every process
    rebuilds its PDQ index then, so an import that deleted nothing must not move it)."""
    store.db.execute("UPDATE hash_list_state SET changes = changes + 1, removals = removals + ? WHERE id = 1",
                     [int(removed)])


# ------------------------------------------------------------------ changes (inside the caller's transaction)
@dataclass(frozen=True)
class Settings:
    """What a list does with a match: its action and labels (None: only show the match), whether that action is
    decided without a person, whether PDQ entries also match turned and mirrored pictures."""

    action: str | None
    labels: tuple[str, ...]
    automated: bool
    dihedral: bool

    def as_json(self) -> dict[str, Any]:
        return {"action": self.action, "labels": list(self.labels), "automated": self.automated,
                "dihedral": self.dihedral}


def create_list(store: Store, name: str, settings: Settings, *, actor: str, token: int) -> int:
    """A new list at version 0 (not published: its import, holding *token*, publishes version 1); its id, one
    never given before (the state row hands ids out, so a removed list's id is not reused)."""
    now = store.now()
    action, labels, automated, dihedral = settings.action, settings.labels, settings.automated, settings.dihedral
    given = store.db.execute("UPDATE hash_list_state SET last_list_id = last_list_id + 1 WHERE id = 1"
                             " RETURNING last_list_id").fetchone()
    row = store.db.execute(
        "INSERT INTO hash_lists (id, name, action, labels, automated, dihedral, version, created_by, created_at,"
        " changed_by, changed_at, import_token, import_by, import_seen_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [int(given[0]), name, action, json.dumps(list(labels)), int(automated), int(dihedral), actor, now, actor,
         now, token, actor, now]).fetchone()
    _changed(store)
    return int(row[0])


@dataclass(frozen=True)
class Unfinished:
    """An import under way (or one whose process died) into a list: its token, who started it, its last chunk."""

    list_id: int
    name: str
    token: int
    by: str
    seen_at: str


def unfinished(store: Store, list_id: int | None = None) -> list[Unfinished]:
    """The imports not yet published or dropped (of *list_id*, or every list), by list id."""
    narrow, params = ("", []) if list_id is None else (" AND id = ?", [list_id])
    return [Unfinished(int(r[0]), str(r[1]), int(r[2]), str(r[3]), str(r[4])) for r in store.db.execute(
        "SELECT id, name, import_token, import_by, import_seen_at FROM hash_lists WHERE import_token IS NOT NULL"
        f"{narrow} ORDER BY id", params)]


def begin_import(store: Store, list_id: int, token: int, *, actor: str) -> None:
    """*token*'s import now runs into the existing list (the caller has made sure no other does)."""
    store.db.execute("UPDATE hash_lists SET import_token = ?, import_by = ?, import_seen_at = ? WHERE id = ?",
                     [token, actor, store.now(), list_id])


def still_importing(store: Store, list_id: int, token: int) -> bool:
    """Whether *token*'s import still holds the list; if so its last-seen time moves to now (it is not stale)."""
    return bool(store.db.execute("UPDATE hash_lists SET import_seen_at = ? WHERE id = ? AND import_token = ?",
                                 [store.now(), list_id, token]).rowcount)


def publish(store: Store, list_id: int, settings: Settings, *, version: int, token: int, actor: str) -> bool:
    """Publish *token*'s import: the list's settings, and *version*, which makes the entries written under it
    part of the list. False (nothing changed) when the import no longer holds the list."""
    action, labels, automated, dihedral = settings.action, settings.labels, settings.automated, settings.dihedral
    done = store.db.execute(
        "UPDATE hash_lists SET action = ?, labels = ?, automated = ?, dihedral = ?, version = ?, changed_by = ?,"
        " changed_at = ?, import_token = NULL, import_by = NULL, import_seen_at = NULL"
        " WHERE id = ? AND import_token = ?",
        [action, json.dumps(list(labels)), int(automated), int(dihedral), version, actor, store.now(), list_id,
         token]).rowcount
    if done:
        _changed(store)
    return bool(done)


def add_entries(store: Store, list_id: int, version: int, token: int,
                entries: Iterable[tuple[str, str, str | None, str | None]]) -> int:
    """Add (signal type, signal, tag, note) entries under *token*'s import; an entry the list already has is left
    as it is. How many were new."""
    rows = [(list_id, signal_type, signal, tag, note, version, token) for signal_type, signal, tag, note in entries]
    if not rows:
        return 0
    return int(executemany(
        store.db, "INSERT INTO hash_list_entries (list_id, signal_type, signal, tag, note, version, import_token)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (signal_type, signal, list_id) DO NOTHING", rows).rowcount)


def rename_list(store: Store, list_id: int, new_name: str, *, actor: str) -> None:
    store.db.execute("UPDATE hash_lists SET name = ?, changed_by = ?, changed_at = ? WHERE id = ?",
                     [new_name, actor, store.now(), list_id])
    _changed(store)


def remove_list(store: Store, list_id: int) -> int:
    """Delete a list, its entries and the matches recorded against it; how many matches went with it."""
    gone = store.db.execute("DELETE FROM list_matches WHERE list_id = ?", [list_id]).rowcount
    entries = store.db.execute("DELETE FROM hash_list_entries WHERE list_id = ?", [list_id]).rowcount
    store.db.execute("DELETE FROM hash_lists WHERE id = ?", [list_id])
    _changed(store, removed=bool(entries))
    return int(gone or 0)


def drop_import(store: Store, list_id: int, token: int) -> None:
    """Delete what *token*'s import wrote but never published (it failed, or its process died), and let go of
    the list (deleted too while it has no published version). Another import's rows are left alone."""
    entries = store.db.execute("DELETE FROM hash_list_entries WHERE list_id = ? AND import_token = ? AND version >"
                               " (SELECT l.version FROM hash_lists l WHERE l.id = ?)",
                               [list_id, token, list_id]).rowcount
    store.db.execute("DELETE FROM hash_lists WHERE id = ? AND version = 0 AND import_token = ?", [list_id, token])
    store.db.execute("UPDATE hash_lists SET import_token = NULL, import_by = NULL, import_seen_at = NULL"
                     " WHERE id = ? AND import_token = ?", [list_id, token])
    _changed(store, removed=bool(entries))


# ------------------------------------------------------------------ what the in-memory index loads
def pdq_entries(store: Store, after_id: int, through_id: int) -> list[tuple[int, int, int, str]]:
    """(entry id, list id, version, hex) of the PDQ entries with ids in (*after_id*, *through_id*], by id.

    A range of ids, every signal type read and the PDQ kept here: asked for PDQ entries "past N", SQLite walks
    the signal index and sorts every PDQ entry for each batch (75 s to load a million)."""
    return [(int(r[0]), int(r[1]), int(r[2]), str(r[4])) for r in store.db.execute(
        "SELECT id, list_id, version, signal_type, signal FROM hash_list_entries WHERE id > ? AND id <= ?"
        " ORDER BY id", [after_id, through_id]) if r[3] == "pdq"]


def pdq_entry_count(store: Store) -> int:
    """How many PDQ entries the lists hold (the in-memory index's arrays are sized by it)."""
    return int(store.db.execute("SELECT COUNT(*) FROM hash_list_entries WHERE signal_type = 'pdq'").fetchone()[0])


def last_entry_id(store: Store) -> int:
    row = store.db.execute("SELECT MAX(id) FROM hash_list_entries").fetchone()
    return int(row[0] or 0)


# ------------------------------------------------------------------ matching items
def exact_matches(store: Store, low: int, high: int, *, list_id: int | None = None,
                  since_version: int = 0) -> list[tuple[int, int, int]]:
    """(item id, entry id, list id) of every exact match of the items with ids in [*low*, *high*]: a file's MD5
    or SHA-256, a text's normal-form SHA-256 (one statement; each item probes the signal index). *list_id* and
    *since_version* narrow it to one list's entries from that version on (matching existing items)."""
    narrow = "" if list_id is None else " AND e.list_id = ? AND e.version >= ?"
    extra: list[int] = [] if list_id is None else [list_id, since_version]
    # CROSS JOIN: SQLite then keeps the chunk's items as the outer loop (it would otherwise walk every entry of
    # the signal type and probe items by hash: a second per chunk at a million entries); PostgreSQL plans an
    # inner join either way.
    sql = " UNION ALL ".join(
        f"SELECT i.id, e.id, e.list_id FROM items i CROSS JOIN hash_list_entries e JOIN hash_lists l"
        f" ON l.id = e.list_id WHERE e.signal_type = '{kind}' AND e.signal = i.{column} AND i.id >= ? AND i.id <= ?"
        f" AND {where} AND {_PUBLISHED}{narrow}"
        for kind, column, where in (("md5", "content_md5", "i.media_path IS NOT NULL"),
                                    ("sha256", "content_sha256", "i.media_path IS NOT NULL"),
                                    ("text", "content_sha256", "i.media_path IS NULL")))
    params: list[int] = []
    for _ in range(3):
        params.extend([low, high, *extra])
    return [(int(r[0]), int(r[1]), int(r[2])) for r in store.db.execute(sql, params)]


def item_pictures(store: Store, low: int, high: int) -> list[tuple[int, str | None, str | None, str | None,
                                                                   str | None]]:
    """(item id, ``pdq`` column, media path, media type, file SHA-256) of the items with ids in [*low*, *high*] that
    have a PDQ."""
    return [(int(r[0]), r[1], r[2], r[3], r[4]) for r in store.db.execute(
        "SELECT id, pdq, media_path, media_type, content_sha256 FROM items WHERE id >= ? AND id <= ?"
        " AND pdq IS NOT NULL ORDER BY id", [low, high])]


def pending_ids(store: Store, after_id: int, limit: int) -> list[int]:
    """Ids of up to *limit* pending items past *after_id* (matching a new list against the store's queues)."""
    return [int(r[0]) for r in store.db.execute(
        "SELECT id FROM items WHERE id > ? AND state = 'pending' ORDER BY id LIMIT ?", [after_id, limit])]


def count_pending(store: Store) -> int:
    return int(store.db.execute("SELECT COUNT(*) FROM items WHERE state = 'pending'").fetchone()[0])


def record_matches(store: Store, rows: Sequence[tuple[int, int, int, int]]) -> int:
    """Keep (item id, entry id, list id, distance) matches; one already kept is left. How many were new."""
    if not rows:
        return 0
    now = store.now()
    return int(executemany(
        store.db, "INSERT INTO list_matches (item_id, entry_id, list_id, distance, matched_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (item_id, entry_id) DO NOTHING", [(*row, now) for row in rows]).rowcount)


def recorded_matches(store: Store, low: int, high: int) -> list[tuple[int, int, int, int]]:
    """(item id, entry id, list id, distance) of the matches recorded for items with ids in [*low*, *high*]."""
    return [(int(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in store.db.execute(
        "SELECT item_id, entry_id, list_id, distance FROM list_matches WHERE item_id >= ? AND item_id <= ?"
        " ORDER BY item_id, entry_id", [low, high])]


def matches_of(store: Store, item_ids: Sequence[int]) -> list[tuple[int, str, str, int, str | None, str | None]]:
    """(item id, list name, signal type, distance, tag, list action) of every match of *item_ids*, nearest first."""
    found: list[tuple[int, str, str, int, str | None, str | None]] = []
    ids = sorted(set(item_ids))
    for chunk in slices(ids):
        found.extend(_match(r) for r in store.db.execute(
            _MATCHES.format(ids=marks(chunk)) + " ORDER BY m.item_id, m.distance, l.name, m.id", chunk))
    return found


def matches_read(item_id: int) -> reads.Read[list[tuple[str, str, int, str | None, str | None]]]:
    """(list name, signal type, distance, tag, list action) of every match of one item, nearest first: a look-up
    that may share a round trip."""
    return reads.one(_MATCHES.format(ids="?") + " ORDER BY m.distance, l.name, m.id", [item_id],
                     lambda rows: [_match(r)[1:] for r in rows])


_MATCHES = """SELECT m.item_id, l.name, e.signal_type, m.distance, e.tag, l.action FROM list_matches m
JOIN hash_list_entries e ON e.id = m.entry_id JOIN hash_lists l ON l.id = m.list_id WHERE m.item_id IN ({ids})"""


def _match(row: Sequence[Any]) -> tuple[int, str, str, int, str | None, str | None]:
    return int(row[0]), str(row[1]), str(row[2]), int(row[3]), row[4], row[5]


def exact_lookup(store: Store, signal_type: str, signal: str) -> list[tuple[str, str | None, str | None]]:
    """(list name, tag, action) of every entry with this exact signal (``veil match``)."""
    return [(str(r[0]), r[1], r[2]) for r in store.db.execute(
        "SELECT l.name, e.tag, l.action FROM hash_list_entries e JOIN hash_lists l ON l.id = e.list_id"
        f" WHERE e.signal_type = ? AND e.signal = ? AND {_PUBLISHED} ORDER BY l.name, e.id", [signal_type, signal])]


def pdq_entry_facts(store: Store, entry_ids: Sequence[int]) -> dict[int, tuple[str, str | None, str | None]]:
    """{entry id: (list name, tag, list action)} of those of *entry_ids* that exist (``veil match``)."""
    found: dict[int, tuple[str, str | None, str | None]] = {}
    ids = sorted(set(entry_ids))
    for chunk in slices(ids):
        found.update((int(r[0]), (str(r[1]), r[2], r[3])) for r in store.db.execute(
            "SELECT e.id, l.name, e.tag, l.action FROM hash_list_entries e JOIN hash_lists l ON l.id = e.list_id"
            f" WHERE e.id IN ({marks(chunk)}) AND {_PUBLISHED}", chunk))
    return found


# ------------------------------------------------------------------ export
def decided_with(store: Store, action: str, after_id: int, limit: int) -> list[tuple[int, str | None, str | None,
                                                                                     str | None, str | None]]:
    """(item id, media path, SHA-256, MD5, ``pdq`` column) of up to *limit* items past *after_id* whose current
    decision is *action*, by id (what a team shares as its own list)."""
    return [(int(r[0]), r[1], r[2], r[3], r[4]) for r in store.db.execute(
        "SELECT i.id, i.media_path, i.content_sha256, i.content_md5, i.pdq FROM items i JOIN decisions d"
        " ON d.item_id = i.id WHERE i.id > ? AND d.action = ? AND d.revokes_id IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id)"
        " AND d.id = (SELECT MAX(x.id) FROM decisions x WHERE x.item_id = d.item_id AND x.revokes_id IS NULL"
        "   AND NOT EXISTS (SELECT 1 FROM decisions y WHERE y.revokes_id = x.id))"
        " AND i.content_sha256 IS NOT NULL ORDER BY i.id LIMIT ?", [after_id, action, limit])]
