"""Media files inside a store's media root: copied in safely, found there, and brought in from outside.

The layout (``<store>.media/<sha[:2]>/<sha>.<ext>``) and the one function
that turns a stored name into a file are :mod:`review.store.media_root`'s;
this module moves bytes:

* :func:`place` copies a checked file in under its content name, streamed
  (one MiB at a time, whatever the file's size), hashing as it copies, into
  an owner-only temporary file in the same folder that is synced and then
  renamed: a crash at any moment leaves either no file or the whole file
  under its name, never half of one (a killed process may leave a hidden
  ``.incoming-*.part`` beside it, which no name points at). A file already
  there is not copied again, so items showing the same bytes share it. The
  name comes only from the digest, so nothing a manifest says — a name
  with ``..``, a symlink — decides where Veil writes.
  A file already under the name is reused only when its size (and, up to
  ``REUSE_HASH_LIMIT``, its SHA-256) shows it holds those bytes; otherwise
  it is replaced.
* :func:`adopt` moves a file Veil generated itself (the demo) to its name.
* :func:`check_present` is what a desk says when a file is not there.
* :func:`collect` (``veil media collect``, a lead's) copies every file an
  item names outside the root into it and renames the items: one event.
* :func:`prune` (``veil media prune``, a lead's) removes the files no item
  names (orphans of failed imports, unfinished copies of killed ones),
  unless touched recently: one event.

* :func:`repair` (``veil media repair``, a lead's) puts back, from the
  original files it is given, the media items name that the store lost or
  holds damaged: one ``media.repaired`` event.

A store with no media folder (a server store, issue 15 §4) keeps its media
inside it as blobs (:mod:`review.store.server_media`): collecting uploads
the files items name on this desk, pruning removes the blobs no item names
(in short batches, its grace time on the store's clock), repairing rewrites
a blob's damaged rows; the same commands, the same events.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from review.auth import require
from review.clock import iso, parse
from review.errors import VeilError
from review.media import MediaError
from review.media.fingerprint import sha256_file
from review.media.identify import identify
from review.store import Store, server_media
from review.store import media_root as layout
from review.store.connection import PRIVATE_FILE, private_folder
from review.store.imports import refuse_unstored_media

#: How much of a file one read copies: memory stays this, whatever the file.
COPY_CHUNK = 1 << 20

#: A file already under a content name is hashed before it is reused up to this size (above it, its size is checked).
REUSE_HASH_LIMIT = 64 << 20

#: How long a file no item names is left alone by :func:`prune`: an import still running may be about to name it
#: (a copy, or a reuse, touches the file's time).
PRUNE_AFTER_SECONDS = 24 * 3600

Progress = Callable[[int, int], None]


class MediaMissing(MediaError):
    """An item's media file is not where its store keeps it: moved without its media folder, or deleted."""


def place(root: Path, source: Path, sha256: str, mime: str) -> str:
    """Copy *source* (checked: its bytes hash to *sha256*) into *root* under its content name; return the name.

    Raises MediaError when the bytes copied are not the ones checked (the file changed meanwhile) or the
    copy cannot be written (the reason and the root named); nothing is left under the name then.
    """
    name = layout.content_name(sha256, mime)
    try:
        target = _target(root, name)
        if _holds(target, source.stat().st_size, sha256):
            return name
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=layout.INCOMING[0], suffix=layout.INCOMING[1])
    except OSError as exc:
        raise MediaError(f"could not be copied into {root}: {exc.strerror or exc}") from None
    try:
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as writing, open(source, "rb") as reading:
            os.chmod(temporary, PRIVATE_FILE)  # owner-only whatever the umask, like the store file
            while chunk := reading.read(COPY_CHUNK):
                digest.update(chunk)
                writing.write(chunk)
            writing.flush()
            os.fsync(writing.fileno())
        if digest.hexdigest() != sha256:
            raise MediaError("changed while it was being imported (its bytes are no longer the ones checked); "
                             "import it again")
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise MediaError(f"could not be copied into {root}: {exc.strerror or exc}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)
    return name


def upload(store: Store, actor: str, source: Path, sha256: str, mime: str, *,
           read_back: bool = False) -> server_media.Stored:
    """Store the checked file *source* in a store that keeps its media inside it (a server store): a lead's.

    :func:`review.store.server_media.upload` (resumable, deduplicated, verified; *read_back* for a repair), with
    *actor* checked inside its first transaction, each file again, and a file that can no longer be read said
    as a MediaError, like every other reason a file is refused.
    """
    try:
        return server_media.upload(store, source, sha256, mime, guard=lambda: _may_upload(store, actor),
                                   read_back=read_back)
    except VeilError:  # a refusal (NotAllowed is a PermissionError too) or the store's own trouble, as it is
        raise
    except OSError as exc:
        raise MediaError(f"cannot read it: {exc.strerror or exc}") from None


def _may_upload(store: Store, actor: str) -> None:
    """A lead may put media into a store; so may the importer founding a store that holds nothing yet (they become
    its first lead when the items are written, checked again there: ``Store.add_first_lead``)."""
    if store.holds():
        require(store, actor, "lead", to="import media into the store")


def adopt(root: Path, generated: Path, sha256: str, mime: str) -> str:
    """Move *generated* (a file Veil made, on the root's disk) to its content name; return the name.

    When the name already holds the bytes, *generated* is dropped instead: the same picture twice is one file.
    """
    name = layout.content_name(sha256, mime)
    target = _target(root, name)
    if _holds(target, generated.stat().st_size, sha256):
        generated.unlink()
        return name
    os.chmod(generated, PRIVATE_FILE)
    os.replace(generated, target)
    return name


def check_present(path: str) -> None:
    """Raise MediaMissing, in words a moderator can pass on, when the media file at *path* is not there.

    Said calmly and before any decoder runs: the item is still there to decide, nothing of it is lost.
    """
    if layout.is_relative(path):  # a store's own name (a server store's blob): never looked up on this desk's disk
        # Not the name either: 64 hex digits say nothing to a moderator.
        raise MediaMissing("its media are kept in the server store, not in a file, and this view reads only files")
    if os.path.lexists(path):
        return
    file = layout.absolute(path) or Path(path)  # another machine's path is split as that machine splits it
    root = next((p for p in (file.parent, file.parent.parent) if p.name.endswith(layout.SUFFIX)), file.parent)
    # Not the file's name: 64 hex digits say nothing to a moderator, and would widen the desk.
    raise MediaMissing(f"media file missing from {root}. Was the store moved or copied without its "
                       f"{layout.SUFFIX} folder?")


@dataclass
class Collected:
    """What :func:`collect` did: files copied in, items renamed, and the files it could not take."""

    copied: int = 0  # files copied into the root
    in_place: int = 0  # absolute paths that already pointed inside the root
    items: int = 0  # items whose media_path became relative
    missing: list[str] = field(default_factory=list)  # absolute paths with no file behind them
    changed: list[str] = field(default_factory=list)  # files whose bytes are not the ones imported


def collect(store: Store, actor: str, *, progress: Progress | None = None) -> Collected:
    """Copy every media file an item names outside the root into it, and make those items' paths relative.

    A lead's (checked again inside the write). Files are copied first (each safely, :func:`place`), then
    every item is renamed in one transaction with one ``media.collected`` event carrying the counts.
    A missing file, or one whose bytes are no longer the item's, is listed and left as it was: the rest
    are collected. Running it again finds nothing more to do. A store with no media folder uploads the
    files into itself instead (:func:`review.store.server_media.upload`, resumable).
    """
    lead = require(store, actor, "lead", to="collect media into the store's media root").name
    root = store.media_root
    found = layout.absolute_paths(store)
    report = progress or (lambda done, total: None)
    result = Collected()
    names: dict[str, str] = {}
    report(0, len(found))
    for done, (path, sha, mime) in enumerate(found, 1):
        inside = None if root is None else layout.inside(root, path, sha)
        if inside is not None:
            names[path] = inside
            result.in_place += 1
        elif not os.path.isfile(path):
            result.missing.append(path)
        else:
            try:
                actual = sha256_file(Path(path))
            except OSError:  # gone (or unreadable) since it was listed: said like a missing file
                result.missing.append(path)
                actual = None
            if actual is not None and sha is not None and actual != sha:
                result.changed.append(path)
            elif actual is not None:
                kind = mime or identify(Path(path))
                names[path] = (upload(store, lead, Path(path), actual, kind).name if root is None
                               else place(root, Path(path), actual, kind))
                result.copied += 1
        report(done, len(found))
    if names:
        counts = {"copied": result.copied, "in_place": result.in_place, "missing": len(result.missing),
                  "changed": len(result.changed)}

        def guard() -> None:  # still a lead; on a server, every blob still there (not pruned since its upload)
            require(store, lead, "lead", to="collect media")
            refuse_unstored_media(store, names.values())

        result.items = layout.rename(store, names, actor=lead, payload=counts, guard=guard)
    return result


def _target(root: Path, name: str) -> Path:
    """Where *name* lives under *root*, its folder made owner-only; a folder there that is a link is refused."""
    target = root.joinpath(*name.split("/"))
    private_folder(target.parent)
    if target.parent.is_symlink():
        raise MediaError(f"{target.parent} is a link: Veil writes media only into real folders of {root}")
    return target


def _holds(target: Path, size: int, sha256: str) -> bool:
    """Whether *target* is a regular file holding the *size* bytes hashing to *sha256*, so it can be reused.

    A link planted under the name, or a file of other bytes (a copy cut short by another tool, damage), is
    not reused: the caller writes the real bytes over it. Hashing reads the file (cheaper than writing it);
    above ``REUSE_HASH_LIMIT`` only its size is compared, and ``veil verify`` hashes every file. A reused
    file's time is touched, so :func:`prune` leaves it to the import that is about to name it.
    """
    try:
        info = target.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size != size:
            return False
        if size <= REUSE_HASH_LIMIT and sha256_file(target) != sha256:
            return False
        os.utime(target)
    except OSError:
        return False
    return True


@dataclass
class Pruned:
    """What :func:`prune` did: files removed (unfinished copies among them), and those left as too recent."""

    removed: int = 0  # files no item named, removed
    unfinished: int = 0  # of those, temporary files of copies a killed process never finished
    bytes: int = 0  # what they held
    recent: int = 0  # unnamed files left alone: touched within the grace time, an import may still name them
    failed: list[str] = field(default_factory=list)  # files that could not be removed (the reason given)


def prune(store: Store, actor: str, *, older_than: float = PRUNE_AFTER_SECONDS) -> Pruned:
    """Remove every file in the media root that no item names and that is older than *older_than* seconds.

    A lead's (checked again inside the write). Orphans are pictures nobody reviews, unblurred on disk: a
    failed import's copies, a killed one's ``.incoming-*.part`` file. The names are read and the files
    removed inside one write transaction, so no import commits an item naming a file meanwhile; a file
    touched recently (an import running now copied or reused it) is left, counted as recent. A link is
    removed, never followed. One ``media.pruned`` event with the counts when anything was removed.
    A store with no media folder removes its blobs no item names the same way (:func:`_prune_blobs`).
    """
    lead = require(store, actor, "lead", to="remove media files no item names").name
    root = store.media_root
    if root is None:
        return _prune_blobs(store, lead, iso(parse(store.now()) - _dt.timedelta(seconds=older_than)))
    cutoff = time.time() - older_than  # a file's time is its disk's clock
    result = Pruned()
    with layout.unnamed_while_held(store, root, lambda: require(store, lead, "lead", to="remove media files no "
                                                                "item names")) as unnamed:
        for path in unnamed:
            try:
                info = path.lstat()
                if info.st_mtime > cutoff:
                    result.recent += 1
                    continue
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                result.failed.append(f"{path}: {exc.strerror or exc}")
                continue
            result.removed += 1
            result.unfinished += layout.is_unfinished(path)
            result.bytes += info.st_size if stat.S_ISREG(info.st_mode) else 0
        if result.removed:
            store.log(lead, "media.pruned", str(store.path), {
                "removed": result.removed, "unfinished": result.unfinished, "bytes": result.bytes,
                "recent": result.recent, "failed": len(result.failed)})
    return result


def _prune_blobs(store: Store, lead: str, cutoff: str) -> Pruned:
    """:func:`prune` for a store that keeps its media inside it: its blobs no item names, untouched since *cutoff*
    (the store clock's time, as uploads touch them).

    Removed in batches (``server_media.PRUNE_BATCH`` blobs), each one short write transaction holding the write
    lock exclusively (no upload, claim or item write runs meanwhile) with its own ``media.pruned`` event;
    unfinished ones are a killed import's. An item written later finds its blob gone and is refused
    (:func:`review.store.imports.refuse_unstored_media`), so pruning never leaves an item naming nothing.
    """
    result = Pruned(recent=server_media.recent_unnamed(store.db, cutoff))
    while True:
        with server_media.pruned_while_held(store, cutoff,
                                            lambda: require(store, lead, "lead", to="remove media no item names")
                                            ) as gone:
            if gone:
                store.log(lead, "media.pruned", store.location, {
                    "removed": len(gone), "unfinished": sum(not orphan.complete for orphan in gone),
                    "bytes": sum(orphan.size for orphan in gone), "recent": result.recent, "failed": 0})
        result.removed += len(gone)
        result.unfinished += sum(not orphan.complete for orphan in gone)
        result.bytes += sum(orphan.size for orphan in gone)
        if len(gone) < server_media.PRUNE_BATCH:
            return result


@dataclass
class Repaired:
    """What :func:`repair` did with the files it was given."""

    files: int = 0  # files read and hashed
    restored: int = 0  # media items name that the store lacked (or held unfinished), now stored whole
    mended: int = 0  # media the store held damaged, their damaged parts rewritten
    unnamed: int = 0  # files no item of the store shows (left alone)


def repair(store: Store, actor: str, paths: Sequence[Path], *, progress: Progress | None = None) -> Repaired:
    """Put back, from the original files under *paths* (files or folders), the media the store lost or damaged.

    A lead's (checked again for each file). Each file is hashed; when items show those bytes, the store's copy is
    checked against it and whatever differs is written again from it: a missing or unfinished blob is uploaded
    whole, a complete one has each stored row read back and hashed, and only the rows that are not the file's are
    rewritten (:func:`review.store.server_media.upload`). A file store's missing or changed file is copied in
    again (:func:`place`). One ``media.repaired`` event with the counts when anything was put back.
    """
    lead = require(store, actor, "lead", to="repair the store's media").name
    root = store.media_root
    files = sorted(_files_under(paths))
    report = progress or (lambda done, total: None)
    result = Repaired()
    report(0, len(files))
    for done, file in enumerate(files, 1):
        sha = sha256_file(file)
        result.files += 1
        named = layout.named_by(store.db, sha)
        result.unnamed += not named
        for name, mime in named:
            if root is not None:
                target = root.joinpath(*name.split("/"))
                if not _holds(target, file.stat().st_size, sha):
                    place(root, file, sha, mime)
                    result.restored += 1
                continue
            before = server_media.blob(store.db, name)
            stored = upload(store, lead, file, sha, mime, read_back=True)
            if before is None or not before.complete:
                result.restored += 1
            elif stored.repaired:
                result.mended += 1
        report(done, len(files))
    if result.restored or result.mended:
        layout.log_checked(store, lambda: require(store, lead, "lead", to="repair the store's media"), lead,
                           "media.repaired", {"files": result.files, "restored": result.restored,
                                              "mended": result.mended})
    return result


def _files_under(paths: Sequence[Path]) -> Iterator[Path]:
    """Each regular file given, or under a folder given (links never followed)."""
    for path in paths:
        if path.is_file() and not path.is_symlink():
            yield path
        for folder, _, names in os.walk(path):
            for name in names:
                if (here := Path(folder, name)).is_file() and not here.is_symlink():
                    yield here


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); where folders cannot be opened (Windows) the rename stands."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
