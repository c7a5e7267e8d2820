"""The caps that keep a hostile or broken file from exhausting memory or time.

Every decoder in :mod:`review.media` checks sizes against these *before*
decoding: an image's header size, an animation's total pixels, a video's
frame size, frame count and duration. A file over a cap is refused with a
:class:`~review.media.MediaError` that says by how much.
"""

from __future__ import annotations

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
