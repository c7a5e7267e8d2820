"""The caps that keep a hostile or broken file from exhausting memory or time.

Every decoder in :mod:`review.media` checks sizes against these *before*
decoding: an image's header size, an animation's total pixels, a video's
frame size, frame count and duration. A file over a cap is refused with a
:class:`~review.media.MediaError` that says by how much. Memory has a cap
too: what one image may need to decode, and what all the decodes of one
process may hold at once (:data:`DECODE_MEMORY`), whatever the number of
worker threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, ImageFile

from review.media import MediaError

DEFAULT_MAX_PIXELS: int = 100_000_000
"""Largest single frame (width x height) we agree to decode."""

ANIMATION_PIXEL_BUDGET_FRAMES = 10
"""An animated image may hold at most this many cap's worth of pixels in all.

GIF frames are deltas on the previous frame, so reading any frame means
decoding every frame before it; a small GIF with a huge frame count is the
animated form of a decompression bomb.
"""


MAX_DECODE_BYTES: int = 768 * 2**20
"""Most memory one image may need to be decoded for checking or showing.

Formats without a reduced decode (PNG, TIFF, WebP, GIF) are decoded whole
before they are shrunk: 100 MP of RGB is 400 MB in Pillow, plus the
decoder's buffers. A file whose estimate is over this is refused, so one
file can never take the process over its memory.
"""

DECODE_MEMORY_BUDGET: int = 768 * 2**20
"""Memory all the decodes of one process may hold at once (see :data:`DECODE_MEMORY`).

With the interpreter, Qt or the import's own rows (100-200 MB), a process
decoding hostile images stays under 1 GB however many workers it runs.
"""


class MemoryBudget:
    """Bytes shared by the threads of one process; a reservation waits until its bytes are free.

    Worker pools are sized by cores (``--workers``, the review prefetch), not
    by memory; this is what keeps eight 100 MP PNGs from being decoded at
    once. A reservation never waits for itself: one larger than the whole
    budget (possible only below :data:`MAX_DECODE_BYTES`) runs alone, and a
    thread that already holds a reservation (an animation's frames) gets the
    nested ones for free.
    """

    def __init__(self, total: int):
        self.total = total
        self.used = 0
        self._free = threading.Condition()
        self._held = threading.local()

    @contextmanager
    def reserve(self, nbytes: int) -> Iterator[None]:
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        nbytes = max(0, nbytes)
        with self._free:
            self._free.wait_for(lambda: self.used == 0 or self.used + nbytes <= self.total)
            self.used += nbytes
        self._held.depth = 1
        try:
            yield
        finally:
            self._held.depth = 0
            with self._free:
                self.used -= nbytes
                self._free.notify_all()


DECODE_MEMORY = MemoryBudget(DECODE_MEMORY_BUDGET)
"""The one decode budget of this process: every full-size image decode in :mod:`review.media` reserves from it."""


MAX_VIDEO_FRAMES: int = 10_000_000
"""More frames than any reviewable clip has (46 hours at 60 fps): a header claiming more is broken or hostile."""

MAX_VIDEO_SECONDS: float = 24 * 3600.0
"""Longest clip we agree to open; headers claiming more are not believed."""

MAX_VIDEO_FPS: float = 1000.0
"""A frame rate above this is a broken header; such clips are treated as having no known rate."""


def megapixels(pixels: int) -> str:
    mp = pixels / 1_000_000
    if mp >= 10:
        return f"{mp:.0f} MP"
    if mp >= 0.1:
        return f"{mp:.1f} MP"
    return f"{pixels:,} pixels"


def over_cap(noun: str, width: int, height: int, max_pixels: int) -> MediaError:
    return MediaError(
        f"{noun} is {width}x{height} ({megapixels(width * height)}), "
        f"over the {megapixels(max_pixels)} cap"
    )


def require_strict_pillow() -> None:
    """Refuse to validate anything if truncated images are being accepted.

    ``ImageFile.LOAD_TRUNCATED_IMAGES`` is a process-wide switch; if any code
    turns it on, a cut-off JPEG would decode "successfully" with grey bars.
    We cannot safely flip it back from a worker thread, so we stop loudly.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError(
            "PIL.ImageFile.LOAD_TRUNCATED_IMAGES is on; Veil cannot tell "
            "truncated images from whole ones. Find and remove the code that sets it."
        )


def check_animation(image: Image.Image, max_pixels: int) -> None:
    """Refuse animations whose frames add up to too many pixels to decode."""
    frames = int(getattr(image, "n_frames", 1))  # only multi-frame plugins define it
    width, height = image.size
    budget = max_pixels * ANIMATION_PIXEL_BUDGET_FRAMES
    if frames * width * height > budget:
        raise MediaError(
            f"animation is {width}x{height} with {frames} frames "
            f"({megapixels(frames * width * height)} in all), over the "
            f"{megapixels(budget)} cap"
        )
