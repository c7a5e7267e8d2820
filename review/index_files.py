"""Named arrays saved in a folder and memory-mapped back: an index a process need not build, nor hold, again.

A desk's "Seen before" index (:mod:`review.content_index`) at five million
items takes 16 s to read from the store and, held in memory, more than a
desk's whole memory budget. Saved here once, the next start maps it: the
pages a look-up touches are read from the file when touched, the rest stay
on disk, and the kernel may drop them again (file-backed, not the process's
own memory). Copy-on-write: a change to a mapped array (a new decision's
outcome) makes a private copy of that page alone; the file never changes.

Each save is a **generation**: a folder written under a temporary name, with
``head.json`` (the caller's facts and each array file's BLAKE2b) written
last, then renamed into place whole, so a crash mid-save leaves a temporary
folder (removed by a later save once an hour old: another process may be
writing one), never a half generation. Older generations are removed after
(where the system lets: Windows keeps a file another process maps). Loading
takes the newest generation that reads whole and whose files match their
digests; anything else there (a broken, truncated, hand-edited or foreign
folder) is skipped with a warning and removed: it is a cache, and the store
is what it is rebuilt from. Each load marks its store's folder used; a save
removes other stores' folders unused for a month (:func:`forget_unused`).
While one process builds a folder's index, :func:`building` holds a lock
another process of the computer waits on, to map what the first saves
rather than build (and hold) the same index a second time.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

FORMAT = 1
HEAD = "head.json"
BUILDING = ".building"  # the lock file of :func:`building`, in the index's folder
#: How long :func:`building` waits for another process's build (5 M items: 14 s) before building its own: a
#: process stopped (not killed) mid-build keeps its lock, and must not keep every other desk waiting with it.
BUILD_PATIENCE_S = 300.0
_HEAD_BYTES = 1 << 20  # a head past a megabyte is not one this module wrote
_READ_CHUNK = 1 << 22
_ABANDONED_S = 3600.0  # a save takes seconds: a temporary folder this old is a crashed one
_GENERATION = re.compile(r"\d{20}-[0-9a-f]{32}")
_ARRAY_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")  # a file's name: no separator, no leading dot

log = logging.getLogger(__name__)


def save(folder: Path, generation: int, head: dict[str, Any], arrays: dict[str, np.ndarray]) -> Path:
    """Write *arrays* and *head* (JSON values) as a new generation of *folder*, numbered *generation* (a later
    save numbers higher); older generations and leftover temporary folders are removed. The new folder's path."""
    if any(not _ARRAY_NAME.fullmatch(name) for name in arrays):
        raise ValueError("array names are lowercase words and dots")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # what items' outcomes are: this account's alone
    writing = folder / f".writing-{uuid.uuid4().hex}"
    writing.mkdir(mode=0o700)
    try:
        digests = {name: _write_array(writing / f"{name}.npy", array) for name, array in arrays.items()}
        (writing / HEAD).write_text(json.dumps({"format": FORMAT, "head": head, "files": digests}), "utf-8")
        final = folder / f"{generation:020d}-{uuid.uuid4().hex}"
        writing.rename(final)
    except BaseException:
        shutil.rmtree(writing, ignore_errors=True)
        raise
    for other in folder.iterdir():
        if other != final and (_GENERATION.fullmatch(other.name) or _abandoned(other)):
            shutil.rmtree(other, ignore_errors=True)  # a folder another process maps stays until it lets go (Windows)
    return final


def _abandoned(path: Path) -> bool:
    """A temporary folder of a save that stopped (a crash): another process's save in progress is younger."""
    try:
        return path.name.startswith(".writing-") and time.time() - path.stat().st_mtime > _ABANDONED_S
    except OSError:
        return False


def forget_unused(parent: Path, keep: Path, days: float) -> None:
    """Remove the folders under *parent* besides *keep* that no load or save has used for *days* (the indexes of
    stores moved, deleted or no longer opened here): a cache must not grow with every store ever opened."""
    try:
        others = [p for p in parent.iterdir() if p != keep and p.is_dir()]
    except OSError:
        return
    for other in others:
        try:
            if time.time() - other.stat().st_mtime > days * 86400:
                shutil.rmtree(other, ignore_errors=True)
        except OSError:
            continue


def load(folder: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
    """The newest whole generation in *folder*: its head and its arrays, memory-mapped copy-on-write; None when
    there is none. Each file is first read through against its digest, so a broken one is found here, not by a
    wrong answer later."""
    if not folder.is_dir():
        return None
    for generation in sorted((p for p in folder.iterdir() if _GENERATION.fullmatch(p.name)), reverse=True):
        try:
            found = load_generation(generation)
        except (OSError, ValueError, EOFError) as broken:
            log.warning("skipping the saved index %s: %s", generation, broken)
            shutil.rmtree(generation, ignore_errors=True)
            continue
        with contextlib.suppress(OSError):
            os.utime(folder)  # used now: forget_unused keeps it
        return found
    return None


def load_generation(generation: Path, *, verify: bool = True) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """One generation's head and arrays (as :func:`load` reads them; *verify* False: one this process has just
    written, not read through again); OSError, ValueError or EOFError when it is broken."""
    with (generation / HEAD).open("rb") as file:
        text = file.read(_HEAD_BYTES + 1)
    if len(text) > _HEAD_BYTES:
        raise ValueError("its head is too long")
    written = json.loads(text)
    if not isinstance(written, dict) or written.get("format") != FORMAT:
        raise ValueError("not a format this version writes")
    head, files = written.get("head"), written.get("files")
    if not isinstance(head, dict) or not isinstance(files, dict):
        raise ValueError("its head is not as written")
    arrays = {}
    for name, digest in files.items():
        if not isinstance(name, str) or not _ARRAY_NAME.fullmatch(name) or not isinstance(digest, str):
            raise ValueError(f"an array named {name!r}")
        path = generation / f"{name}.npy"
        if verify and _digest_of(path) != digest:
            raise ValueError(f"{path.name} is not as written")
        arrays[name] = np.load(path, mmap_mode="c", allow_pickle=False)
    return head, arrays


@contextlib.contextmanager
def building(folder: Path, patience_s: float = BUILD_PATIENCE_S) -> Iterator[bool]:
    """Held while this process builds *folder*'s index to save it; gives whether another process held it first.

    A second desk of the computer opening the same store meanwhile (a person's second window, a shared
    terminal server) waits here, then maps what the first saved, instead of reading the whole store and
    holding its own copy while it sorts (678 MB at 5 M items, each). The system's advisory lock on a file in
    the folder: a process that dies lets go of it; one still holding it after *patience_s* is given up on,
    and this process builds its own without the lock. Where the system has none (Windows), nothing is held
    and each process builds its own, as before.
    """
    try:
        import fcntl
    except ImportError:
        yield False
        return
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle = open(os.open(folder / BUILDING, os.O_RDWR | os.O_CREAT, 0o600), "rb")  # noqa: SIM115 - held below
    except OSError as refused:  # where nothing can be saved, nothing is waited for either
        log.info("building %s without a lock: %s", folder, refused)
        yield False
        return
    with handle as lock:
        held = _try_lock(lock)
        waited = not held
        if waited:
            log.info("waiting for another process building the index in %s", folder)
            held = _lock_within(lock, patience_s)  # released when the other has saved, or has died
            if not held:
                log.warning("gave up waiting %.0f s for another process building the index in %s; building it "
                            "here too", patience_s, folder)
        try:
            yield waited
        finally:
            if held:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _try_lock(lock: BinaryIO) -> bool:
    import fcntl

    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _lock_within(lock: BinaryIO, patience_s: float) -> bool:
    """Try for the lock with growing pauses (a blocking wait has no bound) until *patience_s* has passed."""
    deadline, pause = time.monotonic() + patience_s, 0.05
    while time.monotonic() < deadline:
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        if _try_lock(lock):
            return True
        pause = min(pause * 2, 1.0)
    return False


def give_back_freed_memory() -> None:
    """Return the heap's freed pages to the system (glibc keeps them, fragmented: a 5 M-item index built in
    memory, saved and mapped back, left 175 MB the process no longer used); elsewhere nothing to do."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):  # not glibc (musl has no malloc_trim)
        pass


class _Digesting:
    """A file that digests what is written to it (``np.save`` writes the header, then the data in chunks)."""

    def __init__(self, file: Any) -> None:
        self.file = file
        self.digest = hashlib.blake2b(digest_size=32)

    def write(self, data: bytes | memoryview) -> int:
        self.digest.update(data)
        return int(self.file.write(data))


def _write_array(path: Path, array: np.ndarray) -> str:
    with path.open("wb") as file:
        digesting = _Digesting(file)
        np.save(digesting, np.ascontiguousarray(array), allow_pickle=False)
    return digesting.digest.hexdigest()


def _digest_of(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=32)
    with path.open("rb") as file:
        while chunk := file.read(_READ_CHUNK):
            digest.update(chunk)  # hashlib lets go of the interpreter for a chunk this size
    return digest.hexdigest()
