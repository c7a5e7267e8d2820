"""The importer's SQL: bulk look-ups of items and decisions a manifest names, its writes, and its scratch file.

A manifest may name hundreds of thousands of rows, so every look-up here
takes a list and binds it in chunks (``IN (?, ?, …)``, at most
:data:`CHUNK` values a statement) instead of one query per row. The SQL is
the dialect SQLite and PostgreSQL share. :func:`all_or_nothing` is one
transaction for a manifest with history rows (every row type's rows in it).

No manifest is held in memory: its checked rows wait on disk in a
:class:`Scratch` file (memory stays flat whatever the number of rows). An
item manifest's rows are written in chunks of :data:`WRITE_CHUNK_ROWS`, one
short transaction each with :func:`yield_writer` between them, so a
moderator's decision waits for one chunk, never for the whole import (10 s
of busy timeout used to run out behind a 500,000-row import). History rows
(past decisions and audits) are matched against indexes in the same file
and read back from it in chunks too, inside their one transaction.
"""

from __future__ import annotations

import json
import marshal
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from review.store import import_rows, media_root, server_media
from review.store.bound import distinct_slices, marks

if TYPE_CHECKING:
    from review.store import Store

T = TypeVar("T")

def all_or_nothing(store: Store, write: Callable[[], T]) -> T:
    """Run a bulk load (an import with history rows, the demo workspace) as one write transaction: all rows or none."""
    with store.transaction():
        return write()


#: Item rows written in one transaction: ~0.1 s of holding the write lock on a laptop …
WRITE_CHUNK_ROWS = 5_000
#: … or fewer, when their rows add up to this many bytes (long texts: memory and lock time stay small).
WRITE_CHUNK_BYTES = 4_000_000

#: The pause between two chunks. SQLite's busy handler polls (1, 2, 5 … up to 100 ms apart), never queues, so a
#: writer that begins its next chunk at once could win every time; with a pause a quarter of a chunk's length, each
#: poll of a waiting decision finds the lock free with a chance of about 1 in 5, so out of the ~100 polls of a 10 s
#: busy timeout one succeeds (the chance that none does is ~1e-10), at ~2.5 s over a 1,000,000-row import.
WRITER_PAUSE_S = 0.025


def yield_writer() -> None:
    """Between two chunks of a long write: leave the write lock free for a moment, for whoever waits for it."""
    time.sleep(WRITER_PAUSE_S)


class Scratch:
    """An import's own throw-away SQLite file: the manifest's item keys, the rows to write, media checked, problems.

    In a private temporary folder (0700, removed by :meth:`close`), with no
    journal and no syncing (nothing in it outlives the import), and a page
    cache of :data:`CACHE_KIB`: whatever the manifest's size, the import's
    memory is this cache plus one chunk of rows. One table holds every item
    row's (id, queue) and line, so a duplicate is found in the file without
    keeping a million keys in a dict; another, appended in manifest order,
    the rows to write; a third every line's problems with its row as read
    (a million bad rows are a million rows on disk, not in memory). History
    rows (past decisions and audits) wait here too, with what matching them
    needs: the first line of each key that must not repeat, and the
    decisions an audit row may score, indexed by (item, moderator, line), so
    a history import's memory is a chunk of rows too. Nothing here touches
    the store.
    """

    CACHE_KIB = 16_384
    #: History rows written to the file together as they are read (a few hundred KB at most).
    HISTORY_BATCH = 1_000
    #: Item keys checked for duplicates together (:meth:`note_key`).
    KEY_BATCH = 1_000

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="veil-import-"))
        self.db = sqlite3.connect(self.folder / "scratch.db", isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", f"cache_size = -{self.CACHE_KIB}",
                       "temp_store = FILE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("CREATE TABLE keys (line INTEGER PRIMARY KEY, external_id TEXT NOT NULL, queue TEXT NOT NULL,"
                        " UNIQUE (external_id, queue))")
        self.db.execute("CREATE TABLE rows (line INTEGER PRIMARY KEY, queue TEXT NOT NULL, body BLOB NOT NULL)")
        self.db.execute("CREATE TABLE media (path TEXT PRIMARY KEY, outcome TEXT NOT NULL)")
        self.db.execute("CREATE TABLE problems (line INTEGER PRIMARY KEY, kind TEXT, reasons TEXT NOT NULL,"
                        " row BLOB NOT NULL, item TEXT)")
        self.db.execute("CREATE INDEX problems_item ON problems (kind, item, line)")
        # History rows: as checked, then (resolved) to write, with the decision each became; the first line of each
        # key a row type must not repeat; and the decisions an audit row may score (stored, or rows of this file).
        self.db.execute("CREATE TABLE history (line INTEGER PRIMARY KEY, kind TEXT NOT NULL, body BLOB NOT NULL)")
        self.db.execute("CREATE INDEX history_kind ON history (kind, line)")
        self.db.execute("CREATE TABLE to_write (line INTEGER PRIMARY KEY, kind TEXT NOT NULL, who TEXT NOT NULL,"
                        " body BLOB NOT NULL, written_id INTEGER)")
        self.db.execute("CREATE INDEX to_write_kind ON to_write (kind, line)")
        self.db.execute("CREATE TABLE firsts (kind TEXT NOT NULL, key TEXT NOT NULL, line INTEGER NOT NULL,"
                        " PRIMARY KEY (kind, key)) WITHOUT ROWID")
        self.db.execute("CREATE TABLE known (id INTEGER PRIMARY KEY, queue TEXT NOT NULL, external_id TEXT NOT NULL,"
                        " moderator TEXT NOT NULL, position INTEGER NOT NULL, store_id INTEGER UNIQUE,"
                        " live INTEGER NOT NULL, decided_at TEXT NOT NULL)")
        self.db.execute("CREATE INDEX known_key ON known (queue, external_id, moderator, position)")
        self.any_problems = False  # no look-up per row while the manifest has no problem (the usual case)
        self._history_batch: list[tuple[int, str, bytes]] = []
        self._key_batch: list[tuple[int, str, str]] = []
        self._duplicates: list[tuple[int, int, str, str]] = []
        self.db.execute("BEGIN")  # one transaction for the whole import, never committed: the file is thrown away

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def note_key(self, external_id: str, queue: str, line: int) -> None:
        """An item row's (id, queue), to be checked against the earlier lines' with the next :data:`KEY_BATCH`
        (one statement for them all: a statement per row was a third of a text import's time)."""
        self._key_batch.append((line, external_id, queue))
        if len(self._key_batch) >= self.KEY_BATCH:
            self._flush_keys()

    def duplicates(self) -> list[tuple[int, int, str, str]]:
        """(line, first line, id, queue) of the item rows noted since the last call whose (id, queue) an earlier
        line has, in line order."""
        self._flush_keys()
        found, self._duplicates = self._duplicates, []
        return found

    def _flush_keys(self) -> None:
        batch = self._key_batch
        if not batch:
            return
        added = self.db.executemany("INSERT INTO keys (line, external_id, queue) VALUES (?, ?, ?)"
                                    " ON CONFLICT (external_id, queue) DO NOTHING", batch).rowcount
        if added < len(batch):  # a key seen before (rare): which lines are not the first
            for line, external_id, queue in batch:
                (first,) = self.db.execute("SELECT line FROM keys WHERE external_id = ? AND queue = ?",
                                           [external_id, queue]).fetchone()
                if first != line:
                    self._duplicates.append((line, int(first), external_id, queue))
        batch.clear()

    def lines_of(self, external_ids: Iterable[str]) -> Iterator[tuple[str, str, int]]:
        """(id, queue, line) of the manifest's item rows with one of *external_ids* (the first line of each key)."""
        self._flush_keys()
        for chunk in distinct_slices(external_ids):
            yield from self.db.execute(
                f"SELECT external_id, queue, line FROM keys WHERE external_id IN ({marks(chunk)})", chunk)

    def keep(self, rows: Iterable[tuple[int, str, import_rows.ItemRow]]) -> None:
        """Keep these checked rows (line, queue, :data:`~review.store.import_rows.ItemRow`) until they are written.

        Kept as ``marshal`` bytes (JSON values only; about twice as fast as JSON both ways, a few seconds
        of a million-row import), and never read from any file but this private one. A row is kept as it will
        be inserted (metadata already JSON), so writing it costs no second pass over its fields.
        """
        self.db.executemany("INSERT INTO rows (line, queue, body) VALUES (?, ?, ?)",
                            ((line, queue, marshal.dumps(row)) for line, queue, row in rows))

    def kept(self) -> Iterator[list[tuple[str, import_rows.ItemRow]]]:
        """The kept rows as (queue, row), in manifest order, in chunks of :data:`WRITE_CHUNK_ROWS` or
        :data:`WRITE_CHUNK_BYTES`, whichever comes first."""
        for chunk in self._paged("rows", "queue", ""):
            yield [(queue, row) for _, queue, row in chunk]

    def _paged(self, table: str, column: str, where: str, *params: Any) -> Iterator[list[tuple[int, Any, Any]]]:
        """(line, *column*, body decoded) of *table*'s rows (matching *where*), in line order, in chunks as
        :meth:`kept`. Each chunk is its own query, so the caller may write to the file between chunks."""
        after = 0
        while True:
            chunk: list[tuple[int, Any, Any]] = []
            size = 0
            for line, value, body in self.db.execute(
                    f"SELECT line, {column}, body FROM {table} WHERE line > ? {where} ORDER BY line LIMIT ?",
                    [after, *params, WRITE_CHUNK_ROWS]):
                chunk.append((line, value, marshal.loads(body)))
                size += len(body)
                if size >= WRITE_CHUNK_BYTES:
                    break
            if not chunk:
                return
            after = chunk[-1][0]
            yield chunk

    def add_problem(self, line: int, kind: str | None, reason: str, row: Any) -> None:
        """One reason *line* (a row of type *kind*, None if it was no row) cannot be imported.

        Joined to the reasons the line already has; the row kept is the one given first. The item a history
        row names (its ``item`` field) is indexed, for :meth:`problem_rows`.
        """
        item = row.get("item") if isinstance(row, dict) else None
        self.db.execute("INSERT INTO problems (line, kind, reasons, row, item) VALUES (?, ?, ?, ?, ?)"
                        " ON CONFLICT (line) DO UPDATE SET reasons = reasons || '; ' || excluded.reasons",
                        [line, kind, reason, marshal.dumps(row), None if item is None else str(item)])
        self.any_problems = True

    def has_problem(self, line: int) -> bool:
        found = self.any_problems and self.db.execute("SELECT 1 FROM problems WHERE line = ?", [line]).fetchone()
        return bool(found)

    def problem_counts(self) -> dict[str | None, int]:
        """Lines with problems, by row type (None: lines that were no row)."""
        return dict(self.db.execute("SELECT kind, COUNT(*) FROM problems GROUP BY kind"))

    def problems(self) -> Iterator[tuple[int, str, Any]]:
        """(line, reasons, row as read) of every line with problems, in line order (for a rejects file)."""
        for line, reasons, body in self.db.execute("SELECT line, reasons, row FROM problems ORDER BY line"):
            yield line, reasons, marshal.loads(body)

    def first_problems(self, limit: int) -> Iterator[tuple[int, str, str]]:
        """(line, reasons, excerpt of the row) of the first *limit* lines with problems, each at most
        :data:`MAX_REASON_CHARS` and :data:`MAX_EXCERPT_CHARS` long: what a report lists, whatever the rows
        (a line may be 4 MiB, and a reason may quote a value of it)."""
        for line, reasons, body in self.db.execute("SELECT line, reasons, row FROM problems ORDER BY line LIMIT ?",
                                                   [limit]):
            yield line, cut(reasons, MAX_REASON_CHARS), excerpt(marshal.loads(body))

    def problem_rows(self, kind: str, item: str, before: int) -> Iterator[tuple[int, Any]]:
        """(line, row as read) of the rows of type *kind* naming *item* (their ``item`` field, as text) with
        problems on lines before *before*, in line order."""
        for line, body in self.db.execute("SELECT line, row FROM problems WHERE kind = ? AND item = ? AND line < ?"
                                          " ORDER BY line", [kind, item, before]):
            yield line, marshal.loads(body)

    def media_outcome(self, path: str) -> Any:
        """What checking the file at *path* found earlier in this import (JSON), or None if it was not checked."""
        row = self.db.execute("SELECT outcome FROM media WHERE path = ?", [path]).fetchone()
        return None if row is None else json.loads(row[0])

    def remember_media(self, path: str, outcome: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO media (path, outcome) VALUES (?, ?)", [path, json.dumps(outcome)])

    # ------------------------------------------------------------ history rows
    def keep_history(self, kind: str, line: int, record: tuple[Any, ...]) -> None:
        """A checked history row of type *kind* (its fields, JSON values), until it is resolved.

        Written :data:`HISTORY_BATCH` rows at a time (one statement, not one per row); read back only after
        :meth:`_flush_history`.
        """
        self._history_batch.append((line, kind, marshal.dumps(record)))
        if len(self._history_batch) >= self.HISTORY_BATCH:
            self._flush_history()

    def _flush_history(self) -> None:
        self.db.executemany("INSERT INTO history (line, kind, body) VALUES (?, ?, ?)", self._history_batch)
        self._history_batch.clear()

    def history(self, kind: str) -> Iterator[list[tuple[int, Any]]]:
        """(line, record) of the checked rows of type *kind*, in line order, in chunks as :meth:`kept`."""
        self._flush_history()
        for chunk in self._paged("history", "kind", "AND kind = ?", kind):
            yield [(line, record) for line, _, record in chunk]

    def history_record(self, line: int) -> Any:
        """The checked history row on *line*, or None."""
        self._flush_history()
        row = self.db.execute("SELECT body FROM history WHERE line = ?", [line]).fetchone()
        return None if row is None else marshal.loads(row[0])

    def first_of(self, kind: str, key: Sequence[Any], line: int) -> int:
        """The first line with this *key* among rows of type *kind*: *line* itself when it is the first."""
        return self.earlier_lines(kind, [(key, line)]).get(line, line)

    def earlier_lines(self, kind: str, keyed: Sequence[tuple[Sequence[Any], int]]) -> dict[int, int]:
        """{line: the first line with its key} of the rows (key, line), in line order, whose key an earlier row of
        type *kind* has; every key is remembered. One statement for them all, a look-up per row only when some
        key repeats.

        The key's parts (ids, names, times, numbers: none holds a control character) are joined by U+001F.
        """
        rows = [(kind, "\x1f".join(map(str, key)), line) for key, line in keyed]
        added = self.db.executemany("INSERT INTO firsts (kind, key, line) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                    rows).rowcount
        if added == len(rows):
            return {}
        found: dict[int, int] = {}
        for _, text, line in rows:
            (first,) = self.db.execute("SELECT line FROM firsts WHERE kind = ? AND key = ?", [kind, text]).fetchone()
            if first != line:
                found[line] = int(first)
        return found

    def to_write(self, kind: str, rows: Iterable[tuple[int, str, tuple[Any, ...]]]) -> None:
        """Resolved history rows of type *kind* to write: (line, the user it names, record)."""
        self.db.executemany("INSERT INTO to_write (line, kind, who, body) VALUES (?, ?, ?, ?)",
                            ((line, kind, who, marshal.dumps(record)) for line, who, record in rows))

    def count_to_write(self, kind: str) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM to_write WHERE kind = ?", [kind]).fetchone()[0])

    def names_to_write(self, kind: str) -> list[str]:
        """The users the rows of type *kind* to write name, in the order they first appear."""
        return [who for (who,) in self.db.execute(
            "SELECT who FROM to_write WHERE kind = ? GROUP BY who ORDER BY MIN(line)", [kind])]

    def writing(self, kind: str) -> Iterator[list[tuple[int, Any]]]:
        """(line, record) of the rows of type *kind* to write, in line order, in chunks as :meth:`kept`."""
        for chunk in self._paged("to_write", "kind", "AND kind = ?", kind):
            yield [(line, record) for line, _, record in chunk]

    def set_written(self, written: Iterable[tuple[int, int]]) -> None:
        """(line, id) of history rows written (or found written): the decision a row became."""
        self.db.executemany("UPDATE to_write SET written_id = ? WHERE line = ?", ((i, line) for line, i in written))

    def written_id(self, line: int) -> int | None:
        row = self.db.execute("SELECT written_id FROM to_write WHERE line = ?", [line]).fetchone()
        return None if row is None else row[0]

    # ------------------------------------------------- decisions audits may score
    def know_stored(self, decisions: Iterable[tuple[str, str, str, int, bool, str]]) -> None:
        """Stored decisions (queue, external id, moderator, decision id, live, decided_at), before this file;
        one already known keeps what it was given (its position)."""
        self.db.executemany(
            "INSERT INTO known (queue, external_id, moderator, position, store_id, live, decided_at)"
            " VALUES (?, ?, ?, 0, ?, ?, ?) ON CONFLICT (store_id) DO NOTHING", decisions)

    def know_rows(self, rows: Iterable[tuple[str, str, str, int, str]]) -> None:
        """Decision rows of this file that will be written: (queue, external id, moderator, line, decided_at)."""
        self.db.executemany("INSERT INTO known (queue, external_id, moderator, position, store_id, live, decided_at)"
                            " VALUES (?, ?, ?, ?, NULL, 1, ?)", rows)

    def move_known(self, store_id: int, line: int) -> None:
        """A stored decision a decision row on *line* names (already present): it counts from that line."""
        self.db.execute("UPDATE known SET position = ? WHERE store_id = ?", [line, store_id])

    def latest_known(self, queue: str, external_id: str, moderator: str,
                     before: int) -> tuple[int, int | None, int, str] | None:
        """(known id, stored decision id or None, position, decided_at) of the moderator's latest live decision on
        the item before line *before* (the latest position; among stored ones, the latest id)."""
        row = self.db.execute(
            "SELECT id, store_id, position, decided_at FROM known WHERE queue = ? AND external_id = ?"
            " AND moderator = ? AND position < ? AND live ORDER BY position DESC, COALESCE(store_id, 0) DESC LIMIT 1",
            [queue, external_id, moderator, before]).fetchone()
        return None if row is None else (row[0], row[1], row[2], row[3])

    def known_from(self, queue: str, external_id: str, moderator: str, line: int) -> int | None:
        """The first position at or after *line* of a decision by *moderator* on the item, or None."""
        row = self.db.execute("SELECT MIN(position) FROM known WHERE queue = ? AND external_id = ? AND moderator = ?"
                              " AND position >= ?", [queue, external_id, moderator, line]).fetchone()
        return None if row[0] is None else int(row[0])

    def known_moderators(self, queue: str, external_id: str, before: int, but: str) -> list[str]:
        """Who but *but* has a decision on the item before line *before*, by name."""
        return [m for (m,) in self.db.execute(
            "SELECT DISTINCT moderator FROM known WHERE queue = ? AND external_id = ? AND position < ?"
            " AND moderator <> ? ORDER BY moderator", [queue, external_id, before, but])]


#: Longest reason an import result keeps for its report (the rejects file has them whole).
MAX_REASON_CHARS = 1_000
#: Longest excerpt of a rejected row an import result keeps (the rejects file has the rows whole).
MAX_EXCERPT_CHARS = 200


def cut(text: str, limit: int) -> str:
    """*text*, or its first *limit* characters and "…"."""
    return text if len(text) <= limit else text[:limit] + "…"


def excerpt(raw: Any) -> str:
    """The start of a row as read: a line's text as it is, a row as JSON, at most :data:`MAX_EXCERPT_CHARS`."""
    if isinstance(raw, str):
        return cut(raw, MAX_EXCERPT_CHARS)
    return cut(json.dumps(raw, ensure_ascii=False, default=str), MAX_EXCERPT_CHARS)


# ------------------------------------------------------------------ items
def add_items_creating_queues(
    store: Store, items: Sequence[tuple[str, import_rows.ItemRow]], new_queues: Iterable[str], *,
    queue_kind: str, actor: str, source: str, guard: Callable[[], object] = lambda: None,
    then: Callable[[list[int]], object] = lambda item_ids: None,
) -> int:
    """Create the queues not there yet, then insert the items; return rows added.

    *items* are (queue name, :data:`~review.store.import_rows.ItemRow`). Queue
    creation is inside the same transaction, so a failed chunk leaves no
    empty queue behind; a queue another client (or an earlier chunk)
    created is used, not created twice. *guard* runs first, inside the
    transaction (the importer is still a lead); *then* last, given the ids
    of the items this chunk added, so what intake does to new items (list
    matches, cases, routing, automation: :mod:`review.known.intake`) stands
    or falls with them. Inside a larger transaction (a manifest with history
    rows) this is a savepoint of it.
    """
    with store.transaction():
        guard()
        refuse_unstored_media(store, (row[2] for _, row in items))
        existing = {q.name for q in store.queues()}
        for name in new_queues:
            if name not in existing:
                store.add_queue(name, queue_kind, actor=actor)
        ids = {q.name: q.id for q in store.queues()}
        # An item write holds the write lock exclusively on both stores, so every id above the highest one
        # before it is this chunk's.
        (highest,) = store.db.execute("SELECT COALESCE(MAX(id), 0) FROM items").fetchone()
        added = import_rows.insert_items(store, ((row, ids[queue], None) for queue, row in items), actor=actor,
                                         source=source)
        if added:
            then([item_id for (item_id,) in store.db.execute(
                "SELECT id FROM items WHERE id > ? ORDER BY id", [highest])])
        return added


def refuse_unstored_media(store: Store, media_paths: Iterable[str | None]) -> None:
    """In an item write on a store that keeps its media inside it: refuse unless each name is a complete blob.

    Asked inside the write, which holds the write lock exclusively as pruning does, so a blob pruned after its
    upload (by a lead with ``--older-than 0``, or a desk whose clock runs ahead) fails the chunk instead of
    leaving an item naming nothing; importing again uploads it again. A file store's names are files in its root.
    """
    if store.media_root is not None:
        return
    names = {path for path in media_paths if path is not None and media_root.is_relative(path)}
    whole = {name for chunk in distinct_slices(names) for (name,) in store.db.execute(
        f"SELECT name FROM media_blobs WHERE complete = 1 AND name IN ({marks(chunk)})", chunk)}
    gone = sorted(names - whole)
    if gone:
        raise server_media.BlobMissing(
            f"media {gone[0]}{f' and {len(gone) - 1} more' if len(gone) > 1 else ''} left the store after being "
            "uploaded (removed by `veil media prune` while this import ran): no item of this chunk was written; "
            "import the manifest again, which uploads them again")


def item_ids_in_queue(store: Store, queue_id: int, external_ids: Iterable[str]) -> dict[str, int]:
    """external id -> item id, for those of *external_ids* the queue holds."""
    found: dict[str, int] = {}
    for chunk in distinct_slices(external_ids):
        for item_id, ext in store.db.execute(
            f"SELECT id, external_id FROM items WHERE queue_id = ? AND external_id IN ({marks(chunk)})",
            [queue_id, *chunk],
        ):
            found[ext] = item_id
    return found


def item_ids_in_queue_named(store: Store, queue: str, external_ids: Iterable[str]) -> dict[str, int]:
    """external id -> item id, in the queue called *queue* (items this import has just written)."""
    found: dict[str, int] = {}
    for chunk in distinct_slices(external_ids):
        for item_id, ext in store.db.execute(
            "SELECT i.id, i.external_id FROM items i JOIN queues q ON q.id = i.queue_id"
            f" WHERE q.name = ? AND i.external_id IN ({marks(chunk)})", [queue, *chunk],
        ):
            found[ext] = item_id
    return found


def items_in_any_queue(store: Store, external_ids: Iterable[str]) -> list[tuple[int, str, str]]:
    """(item id, external id, queue name) of every item with one of *external_ids*, whatever its queue."""
    found: list[tuple[int, str, str]] = []
    for chunk in distinct_slices(external_ids):
        found.extend(store.db.execute(
            "SELECT i.id, i.external_id, q.name FROM items i JOIN queues q ON q.id = i.queue_id"
            f" WHERE i.external_id IN ({marks(chunk)})", chunk,
        ))
    return found


# -------------------------------------------------------------- decisions
def decisions_on(store: Store, item_ids: Iterable[int]) -> list[tuple[int, int, str, str, str, bool]]:
    """(decision id, item id, moderator, action, decided_at, live) of the items' decisions, oldest first.

    Undo rows are left out; ``live`` is false for a decision an undo revoked.
    """
    found: list[tuple[int, int, str, str, str, bool]] = []
    for chunk in distinct_slices(item_ids):
        rows = store.db.execute(
            # Correlated, so each row is one look-up in the revokes_id index (m007), not a scan of every undo row
            # per query: an import calls this once per chunk of a history of any length.
            f"""SELECT d.id, d.item_id, u.name, d.action, d.decided_at,
                       NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id)
                FROM decisions d JOIN users u ON u.id = d.user_id
                WHERE d.revokes_id IS NULL AND d.item_id IN ({marks(chunk)}) ORDER BY d.id""", chunk)
        found.extend((d, i, m, a, at, bool(live)) for d, i, m, a, at, live in rows)
    found.sort(key=lambda row: row[0])
    return found


# ------------------------------------------------------------------ users
def user_roles(store: Store, name: str) -> list[str] | None:
    """The roles *name* holds, as stored (in order), or None when there is no such user."""
    row = store.db.execute("SELECT roles FROM users WHERE name = ?", [name]).fetchone()
    return None if row is None else [r for r in row[0].split(",") if r]


def change_roles(store: Store, name: str, roles: Sequence[str], *, added: str, actor: str) -> None:
    """Give *name* exactly *roles* (one of them newly *added*) and log ``user.roles_changed``."""
    with store.transaction():
        store.db.execute("UPDATE users SET roles = ? WHERE name = ?", [",".join(roles), name])
        store.log(actor, "user.roles_changed", f"user:{name}", {"added": [added], "roles": list(roles)})
