"""The media an item row names, checked (and copied into the store's media root) on a pool of worker threads.

Each distinct file is inspected once: found, inside an allowed folder, sniffed, decoded within its pixel budget and
hashed (:func:`review.media.intake.inspect`; a dihedral hash list's turns too, here rather than under the import's
write lock). A failure is a reason for the rows naming the file, never an exception: one odd file must not crash an
import of thousands.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from review.known import list_matching
from review.media import MediaError, intake
from review.media import root as media_root


@dataclass(frozen=True)
class MediaOk:
    """A usable media file: where it is, what inspecting it found, and its name in the media root if copied."""

    path: Path
    info: Any  # intake.MediaInfo
    stored: str | None = None  # its name in the store's media root, once copied there


def check_media(candidate: Path, roots: tuple[Path, ...], max_pixels: int,
                into: Path | None = None) -> MediaOk | str:
    """Check one referenced file (and copy it into the media root *into*, if given); return its facts or a reason.

    Runs in a worker thread, so copying is off the GUI thread and part of the import's progress.
    Order matters for the user: "not found" before "outside".
    :func:`review.media.intake.inspect` then refuses folders, FIFOs, devices
    and empty files before opening anything (reading a FIFO could block the
    import forever), sniffs and decodes. Any unexpected failure
    of a decoder is reported as a reason, never raised: one odd file must
    not crash an import of thousands.
    """
    try:
        if not candidate.exists():
            return "file not found"
        resolved = candidate.resolve(strict=True)
        if not any(resolved.is_relative_to(root) for root in roots):
            return f"resolves to {resolved}, outside the manifest's folder and the --media-root folders"
        info = list_matching.inspected(resolved, intake.inspect(resolved, max_pixels=max_pixels))  # + its turns
        stored = None if into is None else media_root.place(into, resolved, info.sha256, info.mime)
        return MediaOk(resolved, info, stored)
    except MediaError as exc:
        return str(exc) or type(exc).__name__
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    except Exception as exc:  # noqa: BLE001 - a decoder bug is still just a bad file to the user
        return f"could not be checked ({type(exc).__name__}: {exc})"


def check_all_media(
    candidates: Iterable[tuple[Path, Path | None]], roots: tuple[Path, ...], *, max_pixels: int, workers: int | None
) -> Generator[tuple[Path, MediaOk | str], None, None]:
    """Check each distinct file once (and copy it into the media root given with it), in parallel; yield as each ends.

    Decoding, hashing and copying release the GIL (Pillow, OpenCV, hashlib,
    file I/O), so threads give real parallelism. PDQ's box filter still holds it for one short NumPy call per
    running sum (about a millisecond a 320×240 picture, a quarter of a small image's CPU; its fsynced copy waits
    longer, without the GIL), so threads, not processes: processes would each get their own decode-memory budget
    (``review.media.limits.DECODE_MEMORY``) and so many times the memory the budget promises. A caller that stops
    early (closes the generator) cancels the rest.
    """
    pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1, thread_name_prefix="veil-import")
    try:
        futures = {pool.submit(check_media, c, roots, max_pixels, into): c for c, into in candidates}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
