"""The importer's SQL: bulk look-ups of items and decisions a manifest names, its writes, and its scratch file.

A manifest may name hundreds of thousands of rows, so every look-up here
takes a list and binds it in chunks (``IN (?, ?, …)``, at most
:data:`CHUNK` values a statement) instead of one query per row. The SQL is
the dialect SQLite and PostgreSQL share. :func:`all_or_nothing` is one
transaction for a manifest with history rows (every row type's rows in it).

An item manifest is not held in memory: its checked rows wait on disk in a
:class:`Scratch` file (memory stays flat whatever the number of rows), and
are written in chunks of :data:`WRITE_CHUNK_ROWS`, one short transaction
each with :func:`yield_writer` between them, so a moderator's decision
waits for one chunk, never for the whole import (10 s of busy timeout used
to run out behind a 500,000-row import).
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

if TYPE_CHECKING:
    from review.store import Store

T = TypeVar("T")

CHUNK = 500
"""Values bound in one ``IN (…)`` list: well under every driver's parameter limit."""


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _marks(chunk: Sequence[Any]) -> str:
    return ",".join("?" * len(chunk))


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
    (a million bad rows are a million rows on disk, not in memory). Nothing
    here touches the store.
    """

    CACHE_KIB = 16_384

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
                        " row BLOB NOT NULL)")
        self.any_problems = False  # no look-up per row while the manifest has no problem (the usual case)
        self.db.execute("BEGIN")  # one transaction for the whole import, never committed: the file is thrown away

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def first_line(self, external_id: str, queue: str, line: int) -> int:
        """The first line naming (id, queue): *line* itself when it is the first."""
        if self.db.execute("INSERT INTO keys (line, external_id, queue) VALUES (?, ?, ?)"
                           " ON CONFLICT (external_id, queue) DO NOTHING", [line, external_id, queue]).rowcount:
            return line
        row = self.db.execute("SELECT line FROM keys WHERE external_id = ? AND queue = ?",
                              [external_id, queue]).fetchone()
        return int(row[0])

    def lines_of(self, external_ids: Iterable[str]) -> Iterator[tuple[str, str, int]]:
        """(id, queue, line) of the manifest's item rows with one of *external_ids*."""
        for chunk in _chunks(external_ids):
            yield from self.db.execute(
                f"SELECT external_id, queue, line FROM keys WHERE external_id IN ({_marks(chunk)})", chunk)

    def keep(self, rows: Iterable[tuple[int, str, dict[str, Any]]]) -> None:
        """Keep these checked rows (line, queue, item row without its queue id) until they are written.

        Kept as ``marshal`` bytes (JSON values only; about twice as fast as JSON both ways, a few seconds
        of a million-row import), and never read from any file but this private one.
        """
        self.db.executemany("INSERT INTO rows (line, queue, body) VALUES (?, ?, ?)",
                            ((line, queue, marshal.dumps(row)) for line, queue, row in rows))

    def kept(self) -> Iterator[list[tuple[str, dict[str, Any]]]]:
        """The kept rows as (queue, row), in manifest order, in chunks of :data:`WRITE_CHUNK_ROWS` or
        :data:`WRITE_CHUNK_BYTES`, whichever comes first."""
        chunk: list[tuple[str, dict[str, Any]]] = []
        size = 0
        for queue, body in self.db.execute("SELECT queue, body FROM rows ORDER BY line"):
            chunk.append((queue, marshal.loads(body)))
            size += len(body)
            if len(chunk) >= WRITE_CHUNK_ROWS or size >= WRITE_CHUNK_BYTES:
                yield chunk
                chunk, size = [], 0
        if chunk:
            yield chunk

    def add_problem(self, line: int, kind: str | None, reason: str, row: Any) -> None:
        """One reason *line* (a row of type *kind*, None if it was no row) cannot be imported.

        Joined to the reasons the line already has; the row kept is the one given first.
        """
        self.db.execute("INSERT INTO problems (line, kind, reasons, row) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (line) DO UPDATE SET reasons = reasons || '; ' || excluded.reasons",
                        [line, kind, reason, marshal.dumps(row)])
        self.any_problems = True

    def has_problem(self, line: int) -> bool:
        found = self.any_problems and self.db.execute("SELECT 1 FROM problems WHERE line = ?", [line]).fetchone()
        return bool(found)

    def problem_counts(self) -> dict[str | None, int]:
        """Lines with problems, by row type (None: lines that were no row)."""
        return dict(self.db.execute("SELECT kind, COUNT(*) FROM problems GROUP BY kind"))

    def problems(self, limit: int = -1) -> Iterator[tuple[int, str, Any]]:
        """(line, reasons, row as read) of the lines with problems, in line order; the first *limit* (-1: all)."""
        for line, reasons, body in self.db.execute("SELECT line, reasons, row FROM problems ORDER BY line LIMIT ?",
                                                   [limit]):
            yield line, reasons, marshal.loads(body)

    def problem_rows(self, kind: str, before: int) -> Iterator[tuple[int, Any]]:
        """(line, row as read) of the rows of type *kind* with problems on lines before *before*, in line order."""
        for line, body in self.db.execute("SELECT line, row FROM problems WHERE kind = ? AND line < ? ORDER BY line",
                                          [kind, before]):
            yield line, marshal.loads(body)

    def media_outcome(self, path: str) -> Any:
        """What checking the file at *path* found earlier in this import (JSON), or None if it was not checked."""
        row = self.db.execute("SELECT outcome FROM media WHERE path = ?", [path]).fetchone()
        return None if row is None else json.loads(row[0])

    def remember_media(self, path: str, outcome: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO media (path, outcome) VALUES (?, ?)", [path, json.dumps(outcome)])


# ------------------------------------------------------------------ items
def add_items_creating_queues(
    store: Store, items: Sequence[tuple[str, dict[str, Any]]], new_queues: Iterable[str], *,
    queue_kind: str, actor: str, source: str, guard: Callable[[], object] = lambda: None,
) -> int:
    """Create the queues not there yet, then insert the items; return rows added.

    *items* are (queue name, item row without its ``queue_id``). Queue
    creation is inside the same transaction, so a failed chunk leaves no
    empty queue behind; a queue another client (or an earlier chunk)
    created is used, not created twice. *guard* runs first, inside the
    transaction (the importer is still a lead). Inside a larger transaction
    (a manifest with history rows) this is a savepoint of it.
    """
    with store.transaction():
        guard()
        existing = {q.name for q in store.queues()}
        for name in new_queues:
            if name not in existing:
                store.add_queue(name, queue_kind, actor=actor)
        ids = {q.name: q.id for q in store.queues()}
        return store.add_items([{**row, "queue_id": ids[queue]} for queue, row in items], actor=actor, source=source)


def item_ids_in_queue(store: Store, queue_id: int, external_ids: Iterable[str]) -> dict[str, int]:
    """external id -> item id, for those of *external_ids* the queue holds."""
    found: dict[str, int] = {}
    for chunk in _chunks(external_ids):
        for item_id, ext in store.db.execute(
            f"SELECT id, external_id FROM items WHERE queue_id = ? AND external_id IN ({_marks(chunk)})",
            [queue_id, *chunk],
        ):
            found[ext] = item_id
    return found


def item_ids_in_queue_named(store: Store, queue: str, external_ids: Iterable[str]) -> dict[str, int]:
    """external id -> item id, in the queue called *queue* (items this import has just written)."""
    found: dict[str, int] = {}
    for chunk in _chunks(external_ids):
        for item_id, ext in store.db.execute(
            "SELECT i.id, i.external_id FROM items i JOIN queues q ON q.id = i.queue_id"
            f" WHERE q.name = ? AND i.external_id IN ({_marks(chunk)})", [queue, *chunk],
        ):
            found[ext] = item_id
    return found


def items_in_any_queue(store: Store, external_ids: Iterable[str]) -> list[tuple[int, str, str]]:
    """(item id, external id, queue name) of every item with one of *external_ids*, whatever its queue."""
    found: list[tuple[int, str, str]] = []
    for chunk in _chunks(external_ids):
        found.extend(store.db.execute(
            "SELECT i.id, i.external_id, q.name FROM items i JOIN queues q ON q.id = i.queue_id"
            f" WHERE i.external_id IN ({_marks(chunk)})", chunk,
        ))
    return found


# -------------------------------------------------------------- decisions
def decisions_on(store: Store, item_ids: Iterable[int]) -> list[tuple[int, int, str, str, str, bool]]:
    """(decision id, item id, moderator, action, decided_at, live) of the items' decisions, oldest first.

    Undo rows are left out; ``live`` is false for a decision an undo revoked.
    """
    found: list[tuple[int, int, str, str, str, bool]] = []
    for chunk in _chunks(item_ids):
        rows = store.db.execute(
            # The uncorrelated NOT IN runs once per query (still fine now that revokes_id is indexed, m007).
            f"""SELECT d.id, d.item_id, u.name, d.action, d.decided_at,
                       d.id NOT IN (SELECT revokes_id FROM decisions WHERE revokes_id IS NOT NULL)
                FROM decisions d JOIN users u ON u.id = d.user_id
                WHERE d.revokes_id IS NULL AND d.item_id IN ({_marks(chunk)}) ORDER BY d.id""", chunk)
        found.extend((d, i, m, a, at, bool(live)) for d, i, m, a, at, live in rows)
    found.sort(key=lambda row: row[0])
    return found


def same_decision(store: Store, item_id: int, moderator: str, action: str, decided_at: str) -> int | None:
    """The id of the latest decision with exactly these facts (written meanwhile by another client?), or None."""
    row = store.db.execute(
        """SELECT d.id FROM decisions d JOIN users u ON u.id = d.user_id WHERE d.item_id = ? AND u.name = ?
           AND d.action = ? AND d.decided_at = ? AND d.revokes_id IS NULL ORDER BY d.id DESC LIMIT 1""",
        [item_id, moderator, action, decided_at]).fetchone()
    return row[0] if row is not None else None


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
