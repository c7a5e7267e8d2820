"""Media kept inside the store (a server store, issue 15 §4): content-addressed blobs in 1 MiB rows, uploaded and read.

A server store has no folder every desk can reach, so it keeps each
imported file once, in two tables: ``media_blobs`` (one row per SHA-256:
its content name — the same ``<sha[:2]>/<sha>.<ext>`` an item's
``media_path`` holds on a file store —, type, size, and whether it is
complete) and ``media_chunks`` (its bytes, ``CHUNK_BYTES`` per row, each
row with the SHA-256 of its own bytes). Items showing the same bytes name
one blob.

* :func:`upload` streams a file in (memory: one chunk, whatever the
  file's size), one short transaction per chunk, so a killed import keeps
  what it sent and the next run skips those chunks (checking each against
  the file). The blob is marked complete only when the whole file hashed
  to its SHA-256 and every stored chunk's length and digest are the file's.
  A complete blob is never reset or overwritten by an upload of other
  bytes: only chunks whose length or digest differ from a file that hashes
  whole to the blob's SHA-256 are rewritten (a repair, :func:`upload` with
  ``read_back`` for ``veil media repair``). Chunk writes take Veil's write
  lock shared (:meth:`review.store.Store.transaction` ``row_locked``) and
  lock the blob's row, so claims and decisions run beside an upload;
  pruning takes the write lock exclusively and so excludes every upload.
* Items naming blobs are written only after their uploads, and the
  transaction writing them refuses an item whose blob is not complete
  (:func:`review.store.imports.refuse_unstored_media`):
  a blob pruned meanwhile fails the import, never leaves an item naming
  nothing. A blob nobody names (a failed or killed import's) is swept by
  ``veil media prune`` (:func:`prune_unnamed`) once untouched for its grace time.
* :class:`BlobReader` reads a complete blob on demand, a chunk at a time,
  checking each chunk's length against the blob's size and its bytes against
  the digest stored beside them before a decoder sees a byte.
* :func:`unnamed` lists the blobs no item names (``veil verify``, :mod:`.media_check`).

``touched`` and the pruning cutoff are both Veil's store clock
(:meth:`review.store.Store.now`, ISO text like every time Veil keeps): a
clock far off on one desk can only make an orphan prunable early, which the
item-write check turns into a refused import (run it again), never a lost picture.

The tables exist on SQLite stores too (left empty there unless the store
has no media folder, as in memory; a file store keeps its media in its
folder): one migration history for both kinds of store, so ``veil
verify``'s schema comparison and ``_sqlite_migrations`` read the same on both.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from review.media import MediaError
from review.store import dialect, media_root

if TYPE_CHECKING:
    from review.store import Store

#: Bytes per chunk row: what one statement carries, and all the memory an upload or a reader holds.
CHUNK_BYTES = 1 << 20

#: Blobs removed by one pruning transaction: each batch holds the exclusive write lock only briefly.
PRUNE_BATCH = 100


def m020(db: sqlite_utils.Database) -> None:
    """The schema step: ``media_blobs`` (one per SHA-256, its content name, complete or not), ``media_chunks``, and
    an index of items by ``media_path``.

    ``touched`` is the store-clock time (ISO text) of the last upload that began, reused or finished the blob:
    pruning leaves a recent blob to the import that may be about to name it. ``chunk_bytes`` is recorded per
    blob so a later Veil may change the chunk size without rewriting old blobs. The index makes "does an item
    name this blob?" a probe, not a scan of every item (pruning asks it under the exclusive write lock).
    """
    db.executescript(
        """
        CREATE TABLE media_blobs (
            sha256 TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            mime TEXT NOT NULL,
            size INTEGER NOT NULL CHECK (size > 0),
            chunk_bytes INTEGER NOT NULL CHECK (chunk_bytes > 0),
            complete INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
            touched TEXT NOT NULL
        );
        CREATE TABLE media_chunks (
            sha256 TEXT NOT NULL REFERENCES media_blobs (sha256) ON DELETE CASCADE,
            seq INTEGER NOT NULL CHECK (seq >= 0),
            digest TEXT NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (sha256, seq)
        );
        CREATE INDEX items_media ON items (media_path, id);
        """
    )


class BlobDamaged(MediaError):
    """A blob's rows are not the bytes that were uploaded (a row missing, cut short or altered).

    Nothing is shown from the damaged row on: a picture is not shown at all, a clip stops where the damage
    begins (frames before it may have played). ``what`` names the damage alone ("media … is damaged in the
    store (part 2 of 3 is cut short)"), for ``veil verify``; the reason adds what a moderator can do.
    """

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}; it is not shown past the damage. Ask a lead to mend it with "
                         "`veil media repair` and the original file")
        self.what = what


class BlobMissing(MediaError):
    """An item names media the store does not hold (complete)."""


@dataclass(frozen=True)
class Blob:
    sha256: str
    name: str
    mime: str
    size: int
    chunk_bytes: int
    complete: bool

    @property
    def chunks(self) -> int:
        return -(-self.size // self.chunk_bytes)


def blob(db: sqlite_utils.Database, name: str) -> Blob | None:
    """The blob an item's content *name* names, complete or not; None when the store holds none of that name."""
    row = db.execute("SELECT sha256, name, mime, size, chunk_bytes, complete FROM media_blobs WHERE name = ?",
                     [name]).fetchone()
    return None if row is None else Blob(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


# ------------------------------------------------------------------------------------------------------ upload
def _changed() -> MediaError:
    return MediaError("changed while it was being imported (its bytes are no longer the ones checked); "
                      "import it again")


def _removed() -> MediaError:
    return MediaError("was removed from the store while it was being uploaded (`veil media prune`); import it again")


@dataclass(frozen=True)
class Stored:
    """What :func:`upload` did: the stored blob's content name, and how many of its chunks it wrote."""

    name: str
    written: int
    repaired: int  # of those, chunks of a blob that was already complete (damage mended)


def upload(store: Store, source: Path, sha256: str, mime: str, *, guard: Callable[[], object],
           progress: Callable[[int], None] | None = None, read_back: bool = False) -> Stored:
    """Store the checked file *source* (its bytes hash to *sha256*) as a blob, or check and mend the blob held.

    *guard* runs inside the first transaction (the uploader may still import: :func:`review.media.root.upload`).
    A blob of those bytes already there is reused under its own name (deduplicated, whatever *mime* says).
    An unfinished one gets each chunk it lacks (or holds with other bytes) in a transaction of its own, so a
    killed upload resumes where it stopped. A complete one is compared with the file, chunk digest by chunk
    digest (with *read_back*, every stored chunk is also read and hashed: ``veil media repair``). Only once
    the whole file hashed to *sha256* are the chunks that differ from it rewritten and the blob marked
    complete. Raises MediaError when the file's bytes are not the ones checked (it changed meanwhile): the
    blob is then left as it was, never marked complete. *progress* is called with the bytes read so far.
    """
    size = source.stat().st_size
    with store.transaction(row_locked=True):
        guard()
        name, held_size, chunk_bytes, complete = store.db.execute(
            "INSERT INTO media_blobs (sha256, name, mime, size, chunk_bytes, complete, touched)"
            " VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT (sha256) DO UPDATE SET touched = excluded.touched"
            " RETURNING name, size, chunk_bytes, complete",
            [sha256, media_root.content_name(sha256, mime), mime, size, CHUNK_BYTES, store.now()]).fetchone()
        if held_size != size and complete:
            raise _changed()  # the same SHA-256 at another size: this file is not the one checked
        if (held_size != size or chunk_bytes != CHUNK_BYTES) and not complete:  # unfinished, of another shape
            store.db.execute("DELETE FROM media_chunks WHERE sha256 = ?", [sha256])
            store.db.execute("UPDATE media_blobs SET size = ?, chunk_bytes = ? WHERE sha256 = ? AND complete = 0",
                             [size, CHUNK_BYTES, sha256])
            chunk_bytes = CHUNK_BYTES
    held = _held(store.db, sha256)
    digests: list[str] = []
    whole = hashlib.sha256()
    done = written = 0
    with open(source, "rb") as reading:
        for seq in range(-(-size // chunk_bytes)):
            data = reading.read(chunk_bytes)
            whole.update(data)
            digest = hashlib.sha256(data).hexdigest()
            digests.append(digest)
            if not complete and (held.get(seq) != (digest, len(data)) or _stored(store.db, sha256, seq) != data):
                complete = not _write_chunk(store, sha256, seq, digest, data, size, chunk_bytes)
                written += not complete
            done += len(data)
            if progress is not None:
                progress(done)
        if reading.read(1) or done != size or whole.hexdigest() != sha256:
            raise _changed()
    suspect = {seq for seq in range(len(digests)) if read_back and _stored_digest(store.db, sha256, seq)
               != digests[seq]}
    rewritten = _finish(store, source, sha256, size, chunk_bytes, digests, suspect)
    return Stored(name, written + rewritten, rewritten if complete else 0)


def _held(db: sqlite_utils.Database, sha256: str) -> dict[int, tuple[str, int]]:
    """seq -> (digest, length) of each chunk row the blob has (the bytes stay in the store)."""
    return {seq: (digest, length) for seq, digest, length in db.execute(
        "SELECT seq, digest, length(data) FROM media_chunks WHERE sha256 = ? ORDER BY seq", [sha256])}


def _stored(db: sqlite_utils.Database, sha256: str, seq: int) -> bytes | None:
    """A held chunk's bytes, read back only when an upload resumes: a row merely claiming the digest is not trusted."""
    row = db.execute("SELECT data FROM media_chunks WHERE sha256 = ? AND seq = ?", [sha256, seq]).fetchone()
    return None if row is None else bytes(row[0])


def _stored_digest(db: sqlite_utils.Database, sha256: str, seq: int) -> str | None:
    """The SHA-256 of a held chunk's bytes as they are now (None when the row is missing)."""
    data = _stored(db, sha256, seq)
    return None if data is None else hashlib.sha256(data).hexdigest()


def _lock_blob(store: Store, sha256: str, how: str) -> tuple[int, int, bool] | None:
    """(size, chunk_bytes, complete) of the blob, its row locked ``FOR SHARE`` or ``FOR UPDATE`` until the
    transaction ends on a server (a file store's writers take turns anyway); None when it is gone (pruned)."""
    lock = f" FOR {how}" if dialect.is_server(store.db) else ""
    row = store.db.execute(f"SELECT size, chunk_bytes, complete FROM media_blobs WHERE sha256 = ?{lock}",
                           [sha256]).fetchone()
    return None if row is None else (row[0], row[1], bool(row[2]))


def _write_chunk(store: Store, sha256: str, seq: int, digest: str, data: bytes, size: int, chunk_bytes: int) -> bool:
    """Write one chunk of an unfinished blob of this shape, in its own row-locked transaction; False when the blob
    is complete by now (another upload finished it: :func:`_finish` compares it with the file instead)."""
    with store.transaction(row_locked=True):
        state = _lock_blob(store, sha256, "SHARE")  # finishing it (FOR UPDATE) waits for this chunk
        if state is None:
            raise _removed()
        if state[2]:
            return False
        if state[:2] != (size, chunk_bytes):  # restarted meanwhile for a file of another size: one of them changed
            raise _changed()
        store.db.execute("INSERT INTO media_chunks (sha256, seq, digest, data) VALUES (?, ?, ?, ?)"
                         " ON CONFLICT (sha256, seq) DO UPDATE SET digest = excluded.digest, data = excluded.data",
                         [sha256, seq, digest, data])
    return True


def _finish(store: Store, source: Path, sha256: str, size: int, chunk_bytes: int, digests: list[str],
            suspect: set[int]) -> int:
    """Make the blob's rows the file's (whose whole SHA-256 was just checked) and mark it complete; chunks rewritten.

    In one transaction holding the blob's row: each stored chunk whose length or digest is not the file's (or in
    *suspect*: its bytes did not hash to their digest) is written again from the file, read again and checked
    against the digest taken while the whole file was hashed; rows past the end are dropped.
    """
    with store.transaction(row_locked=True):
        state = _lock_blob(store, sha256, "UPDATE")
        if state is None:
            raise _removed()
        if state[:2] != (size, chunk_bytes):
            raise _changed()
        held = _held(store.db, sha256)
        lengths = [min(chunk_bytes, size - seq * chunk_bytes) for seq in range(len(digests))]
        wrong = [seq for seq, digest in enumerate(digests) if seq in suspect or held.get(seq) != (digest, lengths[seq])]
        if wrong:
            with open(source, "rb") as reading:
                for seq in wrong:
                    reading.seek(seq * chunk_bytes)
                    data = reading.read(chunk_bytes)
                    if hashlib.sha256(data).hexdigest() != digests[seq]:
                        raise _changed()
                    store.db.execute(
                        "INSERT INTO media_chunks (sha256, seq, digest, data) VALUES (?, ?, ?, ?) ON CONFLICT"
                        " (sha256, seq) DO UPDATE SET digest = excluded.digest, data = excluded.data",
                        [sha256, seq, digests[seq], data])
        store.db.execute("DELETE FROM media_chunks WHERE sha256 = ? AND seq >= ?", [sha256, len(digests)])
        store.db.execute("UPDATE media_blobs SET complete = 1, touched = ? WHERE sha256 = ?", [store.now(), sha256])
    return len(wrong)


# -------------------------------------------------------------------------------------------------------- read
class BlobReader(io.RawIOBase):
    """A complete blob as a seekable binary stream, fetched a chunk at a time (one chunk in memory).

    Each chunk's length (from the blob's size) and the SHA-256 of its bytes (against the digest stored in its
    row) are checked before any of it is handed on: a row missing, cut short or altered by itself is
    :class:`BlobDamaged` (also kept in ``damage``, for callers whose decoder swallows the error, as OpenCV's
    stream reader does). What it does not prove: a row whose bytes and digest were both replaced reads as
    good here; ``veil verify`` hashes the whole blob against its SHA-256 and catches that.
    """

    def __init__(self, db: sqlite_utils.Database, found: Blob) -> None:
        super().__init__()
        self.db, self.blob = db, found
        self.position = 0
        self.damage: BlobDamaged | None = None
        self._cached: tuple[int, bytes] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.blob.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: Any) -> int:
        if self.position >= self.blob.size:
            return 0
        seq, offset = divmod(self.position, self.blob.chunk_bytes)
        data = self._chunk(seq)
        view = memoryview(buffer).cast("B")
        count = min(len(view), len(data) - offset)
        view[:count] = data[offset:offset + count]
        self.position += count
        return count

    def _chunk(self, seq: int) -> bytes:
        if self.damage is not None:
            raise self.damage
        if self._cached is not None and self._cached[0] == seq:
            return self._cached[1]
        row = self.db.execute("SELECT digest, data FROM media_chunks WHERE sha256 = ? AND seq = ?",
                              [self.blob.sha256, seq]).fetchone()
        expected = min(self.blob.chunk_bytes, self.blob.size - seq * self.blob.chunk_bytes)
        data = b"" if row is None else bytes(row[1])
        part = f"media {self.blob.name} is damaged in the store (part {seq + 1} of {self.blob.chunks} is"
        if row is None or len(data) != expected:
            self.damage = BlobDamaged(f"{part} {'missing' if row is None else 'cut short'})")
        elif hashlib.sha256(data).hexdigest() != row[0]:
            self.damage = BlobDamaged(f"{part} not the bytes uploaded)")
        if self.damage is not None:
            raise self.damage
        self._cached = (seq, data)
        return data


def open_blob(db: sqlite_utils.Database, name: str) -> BlobReader:
    """A reader of the complete blob named *name*; BlobMissing when the store holds none complete."""
    found = blob(db, name)
    if found is None or not found.complete:
        raise BlobMissing(f"media {name} is not in the store{' (its upload never finished)' if found else ''}: "
                          "the item can still be decided; ask a lead to put it back with `veil media repair` "
                          "and the original file")
    return BlobReader(db, found)


# ---------------------------------------------------------------------------------------------- verify, prune
@dataclass(frozen=True)
class Orphan:
    """A blob no item names: a failed or killed import's (``complete`` False: its upload never finished)."""

    sha256: str
    name: str
    size: int
    complete: bool
    touched: str  # store-clock time of the last upload that began, reused or finished it


#: A blob no item names (the index ``items_media`` makes it one probe a blob).
_UNNAMED = "NOT EXISTS (SELECT 1 FROM items i WHERE i.media_path = b.name)"


def unnamed(db: sqlite_utils.Database) -> list[Orphan]:
    """Each blob no item names, in name order."""
    rows = db.execute(f"SELECT b.sha256, b.name, b.size, b.complete, b.touched FROM media_blobs b WHERE {_UNNAMED}"
                      " ORDER BY b.name").fetchall()
    return [Orphan(sha, name, size, bool(complete), touched) for sha, name, size, complete, touched in rows]


def recent_unnamed(db: sqlite_utils.Database, cutoff: str) -> int:
    """How many blobs no item names were touched after *cutoff*: left to the import that may be about to name them."""
    return int(db.execute(f"SELECT COUNT(*) FROM media_blobs b WHERE b.touched > ? AND {_UNNAMED}",
                          [cutoff]).fetchone()[0])


@contextlib.contextmanager
def pruned_while_held(store: Store, cutoff: str, check: Callable[[], object]) -> Iterator[list[Orphan]]:
    """One batch of :func:`prune_unnamed` inside its own write transaction (*check* runs first, under it): the
    caller logs what was removed (``store.log``) before the transaction ends, so the batch and its event are
    one."""
    with store.transaction():
        check()
        yield prune_unnamed(store.db, cutoff)


def prune_unnamed(db: sqlite_utils.Database, cutoff: str) -> list[Orphan]:
    """Remove up to :data:`PRUNE_BATCH` blobs no item names, untouched since *cutoff*, inside the caller's write
    (which holds the write lock exclusively: no upload or item write runs meanwhile); those removed."""
    rows = db.execute(f"SELECT b.sha256, b.name, b.size, b.complete, b.touched FROM media_blobs b"
                      f" WHERE b.touched <= ? AND {_UNNAMED} ORDER BY b.sha256 LIMIT ?",
                      [cutoff, PRUNE_BATCH]).fetchall()
    gone = [Orphan(sha, name, size, bool(complete), touched) for sha, name, size, complete, touched in rows]
    if gone:
        marks = ",".join("?" * len(gone))
        shas = [orphan.sha256 for orphan in gone]
        db.execute(f"DELETE FROM media_chunks WHERE sha256 IN ({marks})", shas)
        db.execute(f"DELETE FROM media_blobs WHERE sha256 IN ({marks})", shas)
    return gone
