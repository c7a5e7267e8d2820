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
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from review.auth import require
from review.errors import StoreUnavailable
from review.media import MediaError
from review.media.fingerprint import sha256_file
from review.media.identify import identify
from review.store import Store
from review.store import media_root as layout
from review.store.connection import PRIVATE_FILE, private_folder

#: How much of a file one read copies: memory stays this, whatever the file.
COPY_CHUNK = 1 << 20

#: A file already under a content name is hashed before it is reused up to this size (above it, its size is checked).
REUSE_HASH_LIMIT = 64 << 20

#: How long a file no item names is left alone by :func:`prune`: an import still running may be about to name it
#: (a copy, or a reuse, touches the file's time).
PRUNE_AFTER_SECONDS = 24 * 3600

#: What a server store says until team mode keeps media in the server (issue 15 §4).
NO_ROOT = ("media on a server store arrive with team mode phase 3: this store has no media folder yet; "
           "import media into a file store for now")

Progress = Callable[[int, int], None]


class MediaMissing(MediaError):
    """An item's media file is not where its store keeps it: moved without its media folder, or deleted."""


def required(store: Store) -> Path:
    """The store's media root, or StoreUnavailable for a store that has none (a server store, for now)."""
    root = store.media_root
    if root is None:
        raise StoreUnavailable(NO_ROOT)
    return root


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
    are collected. Running it again finds nothing more to do.
    """
    lead = require(store, actor, "lead", to="collect media into the store's media root").name
    root = required(store)
    found = layout.absolute_paths(store)
    report = progress or (lambda done, total: None)
    result = Collected()
    names: dict[str, str] = {}
    report(0, len(found))
    for done, (path, sha, mime) in enumerate(found, 1):
        inside = layout.inside(root, path, sha)
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
                names[path] = place(root, Path(path), actual, mime or identify(Path(path)))
                result.copied += 1
        report(done, len(found))
    if names:
        counts = {"copied": result.copied, "in_place": result.in_place, "missing": len(result.missing),
                  "changed": len(result.changed)}
        result.items = layout.rename(store, names, actor=lead, payload=counts,
                                     guard=lambda: require(store, lead, "lead", to="collect media"))
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
    """
    lead = require(store, actor, "lead", to="remove media files no item names").name
    root = required(store)
    cutoff = time.time() - older_than
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
