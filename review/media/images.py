"""Opening images through Pillow with *our* pixel cap, and turning them into RGB arrays.

Pixel counts are checked from the header, before decoding. Pillow opens
lazily, so the size is known for the price of a header read. We call the
format's registered opener ourselves (:func:`open_image`) rather than
``Image.open`` so that our cap is the only one: Pillow's global
``MAX_IMAGE_PIXELS`` would otherwise warn or raise at its own threshold, and
changing a module global (or the warnings filters) from worker threads is
not safe. Every call opens its own handles; Pillow's plugin registry is
filled once at import, not lazily from racing threads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import ExifTags, Image, ImageFile

from review.media import MediaError
from review.media.identify import IMAGE_MIMES
from review.media.limits import DEFAULT_MAX_PIXELS, over_cap

_ANIMATED_FORMATS = frozenset({"GIF", "WEBP", "PNG"})  # PNG: APNG

# Fill Pillow's format registry now, on the importing thread, so workers
# never race each other through Image.init().
Image.init()


DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    KeyError,
    MemoryError,
    Image.DecompressionBombError,
)


def open_image(path: Path, mime: str, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageFile.ImageFile:
    """Open an image lazily with its header size checked against ``max_pixels``.

    Uses the format's registered Pillow opener directly (see module notes) so
    Pillow's global bomb limit does not apply; ours does. The caller owns the
    returned image and should close it (it is a context manager).
    """
    format_name = IMAGE_MIMES[mime]
    factory, _accept = Image.OPEN[format_name]
    try:
        # Pillow types OPEN's factories as taking a file object, but ImageFile
        # accepts a path too and then owns (and closes) the handle it opens.
        image = factory(os.fspath(path), os.fspath(path))  # type: ignore[arg-type]
    except Image.DecompressionBombError as exc:
        raise MediaError(f"image is over the pixel cap: {describe_error(exc)}") from None
    except DECODE_ERRORS as exc:
        raise MediaError(f"truncated or corrupt image: {describe_error(exc)}") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise over_cap("image", width, height, max_pixels)
    return image


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def oriented_size(image: Image.Image) -> tuple[int, int]:
    """Width and height as displayed, after the EXIF orientation tag."""
    width, height = image.size
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not make a good image unviewable
        orientation = 1
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def to_rgb_array(image: Image.Image) -> np.ndarray:
    """Any Pillow mode to an RGB uint8 array, transparency over mid grey.

    Mid grey (not white or black) so a transparent region stands out as
    "nothing here" in both themes; 16-bit images are scaled, not clipped.
    """
    mode = image.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        array = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or array.max(initial=0) > 255 else 255.0
        gray = np.clip(array * (255.0 / top), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if (mode == "P" and "transparency" in image.info) or mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (128, 128, 128, 255))
        image = Image.alpha_composite(base, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def frame_delay_s(info: Mapping[str | tuple[int, int], Any]) -> float:
    """An animation frame's display time, with the browsers' rule that delays
    of 10 ms or less mean 100 ms (so GIF "duration 0" is not infinitely fast)."""
    delay = float(info.get("duration") or 0) / 1000
    return delay if delay > 0.01 else 0.1


def is_animated(image: Image.Image) -> bool:
    return image.format in _ANIMATED_FORMATS and bool(getattr(image, "is_animated", False))


def frame_count(image: Image.Image) -> int:
    """How many frames the image has; only multi-frame plugins define ``n_frames``."""
    return int(getattr(image, "n_frames", 1) or 1)
