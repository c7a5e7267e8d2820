"""``veil verify``'s check of the media folder: every file an item names inside the root is there and unchanged.

A relative ``media_path`` names a file in the store's media root
(:mod:`review.store.media_root`). This check reads each such file once,
whole (streamed), and says, in a sentence naming the items, when it is not
there or its SHA-256 is neither the one its content name carries nor the
one its items were imported with: a file replaced or damaged after import
would otherwise be shown, and audited, as if it were what was reported.
Every file is hashed (no sampling): on the 10,000-item demo (3,879 files,
454 MB) the check takes 0.6 s with the files in the page cache (the whole
``veil verify`` 4.5 s); cold, it is the time the disk takes to read them,
so verify prints no progress of its own. Absolute paths (files left
outside; ``veil media collect`` brings them in) are not checked here.
It also lists the files in the root that no item names — copies of an
import that failed (whole pictures nobody reviews) and ``.incoming-*.part``
files of one that was killed — which ``veil media prune`` removes (a file
an import running right now has copied shows here until it commits).
A store that keeps its media inside it (a server store, issue 15 §4,
:mod:`review.store.server_media`) is checked the same way: every blob an
item names is read a chunk at a time and hashed (a row missing, cut short
or altered is named with its items; ``veil media repair`` with the original
files puts it back), and the blobs no item names (a failed or killed
import's, unfinished ones counted) are listed for ``veil media prune``.
Items are read a page at a time (:func:`media_root.relative_paths`), so
memory stays flat at a million items. Nothing here writes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sized
from pathlib import Path

import sqlite_utils

from review.media.fingerprint import sha256_file
from review.store import dialect, media_root, server_media


def problems(db: sqlite_utils.Database, store_file: Path | None,
             progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """A sentence per relative media name whose file is missing from the root or does not hash as it should.

    *store_file* is the store's file (None in memory); a server store's media are its blobs
    (:func:`_blob_problems`). *progress* is called with the number of files read so far.
    """
    if dialect.is_server(db):
        yield from _blob_problems(db, progress)
        return
    if store_file is None:
        return
    root = media_root.beside(store_file)
    for done, (name, shas, ids) in enumerate(media_root.relative_paths(db), 1):
        path = Path(media_root.resolve(root, name))
        whose = _items(ids)
        if not path.is_absolute():  # a name stepping out of the root ("..") names nothing in it
            yield f"{whose} names media {name!r}, which is not a name inside {root}"
        elif not path.is_file():
            yield f"{whose} names media {name}, missing from {root}"
        else:
            actual = sha256_file(path)
            named = media_root.named_sha256(name)
            if named is not None and actual != named:
                yield f"media {name} in {root} no longer hashes to its name (changed after it was stored; {whose})"
            elif shas and actual not in shas:
                yield f"media {name} in {root} is not the file {whose} imported (its SHA-256 is {actual})"
        if progress is not None:
            progress(done)
    yield from _orphans(db, root)


#: How many orphans' names a problem sentence lists (the count is always whole).
ORPHANS_NAMED = 5

#: What mends media a server store lost or holds damaged.
REPAIR = "`veil media repair FOLDER` with the original files puts it back"


def _blob_problems(db: sqlite_utils.Database, progress: Callable[[int], None] | None) -> Iterator[str]:
    """A sentence per media name the store does not hold whole and unchanged, and one for blobs nobody names."""
    for done, (name, shas, ids) in enumerate(media_root.relative_paths(db), 1):
        whose = _items(ids)
        found = server_media.blob(db, name)
        if found is None or not found.complete:
            yield (f"{whose} names media {name}, which the store does not hold{'' if found is None else ' whole'} "
                   f"({REPAIR})")
        else:
            digest = hashlib.sha256()
            try:
                reader = server_media.BlobReader(db, found)
                while chunk := reader.read(found.chunk_bytes):
                    digest.update(chunk)
            except server_media.BlobDamaged as exc:
                yield f"{exc.what} ({whose}; {REPAIR})"
            else:
                if digest.hexdigest() != found.sha256 or media_root.named_sha256(name) != found.sha256:
                    yield (f"media {name} in the store no longer hashes to its name (changed after upload; {whose}; "
                           f"{REPAIR})")
                elif shas and found.sha256 not in shas:
                    yield f"media {name} in the store is not the file {whose} imported"
        if progress is not None:
            progress(done)
    orphans = server_media.unnamed(db)
    if orphans:
        unfinished = sum(1 for orphan in orphans if not orphan.complete)
        yield (f"{_count(orphans, 'media blob')} in the store named by no item ({unfinished} unfinished; left by "
               f"an import that failed, was killed or is still running; `veil media prune` removes them): "
               + ", ".join(orphan.name for orphan in orphans[:ORPHANS_NAMED])
               + (f" and {len(orphans) - ORPHANS_NAMED} more" if len(orphans) > ORPHANS_NAMED else ""))


def _orphans(db: sqlite_utils.Database, root: Path) -> Iterator[str]:
    """A sentence for the files in *root* no item names, and one for unfinished copies, each with a count."""
    unnamed = list(media_root.unnamed_files(root, media_root.named_files(db, root)))
    unfinished = [path for path in unnamed if media_root.is_unfinished(path)]
    whole = [path for path in unnamed if not media_root.is_unfinished(path)]
    if whole:
        yield (f"{_count(whole, 'file')} in {root} named by no item (copied by an import that failed or is still "
               f"running; `veil media prune` removes them): {_names(root, whole)}")
    if unfinished:
        yield (f"{_count(unfinished, 'unfinished copy', 'unfinished copies')} in {root} (left by an import that "
               f"was killed; `veil media prune` removes them): {_names(root, unfinished)}")


def _count(paths: Sized, one: str, many: str | None = None) -> str:
    return f"1 {one}" if len(paths) == 1 else f"{len(paths)} {many or one + 's'}"


def _names(root: Path, paths: list[Path]) -> str:
    shown = ", ".join(path.relative_to(root).as_posix() for path in paths[:ORPHANS_NAMED])
    return shown + (f" and {len(paths) - ORPHANS_NAMED} more" if len(paths) > ORPHANS_NAMED else "")


def _items(ids: list[int]) -> str:
    """"item 7", "items 7 and 9", "items 7, 9 and 3 more"."""
    if len(ids) == 1:
        return f"item {ids[0]}"
    if len(ids) == 2:
        return f"items {ids[0]} and {ids[1]}"
    return f"items {ids[0]}, {ids[1]} and {len(ids) - 2} more"
