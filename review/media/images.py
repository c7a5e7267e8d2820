"""Opening images through Pillow with *our* pixel cap, and turning them into RGB arrays.

Pixel counts are checked from the header, before decoding. Pillow opens
lazily, so the size is known for the price of a header read. We call the
format's registered opener ourselves (:func:`open_image`) rather than
``Image.open`` so that our cap is the only one: Pillow's global
``MAX_IMAGE_PIXELS`` would otherwise warn or raise at its own threshold, and
changing a module global (or the warnings filters) from worker threads is
not safe. Every call opens its own handles; Pillow's plugin registry is
filled once at import, not lazily from racing threads.

Pixels are decoded only through :func:`decode_fitted` (a reduced decode,
in the process's decode memory budget, shrunk band by band), so no caller
ever holds more than one full-size copy of a picture, and all callers
together no more than :data:`~review.media.limits.DECODE_MEMORY` allows.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import cv2
import numpy as np
from PIL import ExifTags, Image, ImageFile, _imaging

from review.media import MediaError
from review.media.identify import IMAGE_MIMES
from review.media.limits import DECODE_MEMORY, DEFAULT_MAX_PIXELS, MAX_DECODE_BYTES, megapixels, over_cap

_ANIMATED_FORMATS = frozenset({"GIF", "WEBP", "PNG"})  # PNG: APNG

# Fill Pillow's format registry now, on the importing thread, so workers
# never race each other through Image.init().
Image.init()

_PILLOW_BLOCK_BYTES = 64 * 2**20
"""Pillow stores a large image in blocks of this size (its default is 16 MB).

glibc serves allocations under 32 MB from per-thread heaps that keep freed
memory, so a 400 MB decode in 16 MB blocks left ~400 MB behind in each
worker thread and the next big decode stacked on top of it (1.2 GB for two
100 MP files decoded one after the other). Blocks over 32 MB are mapped
and unmapped, and their memory goes back to the system when the image is freed.
"""
_imaging.set_block_size(_PILLOW_BLOCK_BYTES)


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


def open_image(file: Path | BinaryIO, mime: str, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageFile.ImageFile:
    """Open an image lazily — a file's path, or a seekable stream of its bytes — with its header size checked
    against ``max_pixels``.

    Uses the format's registered Pillow opener directly (see module notes) so
    Pillow's global bomb limit does not apply; ours does. A stream (media a
    store keeps inside it, :func:`review.media.source.open_image`) is read
    from where it stands, never copied to a file. The caller owns the
    returned image and should close it (it is a context manager); a stream
    stays the caller's to close.
    """
    format_name = IMAGE_MIMES[mime]
    factory, _accept = Image.OPEN[format_name]
    try:
        if isinstance(file, (str, os.PathLike)):
            # Pillow types OPEN's factories as taking a file object, but ImageFile
            # accepts a path too and then owns (and closes) the handle it opens.
            image = factory(os.fspath(file), os.fspath(file))  # type: ignore[arg-type]
        else:
            image = factory(file, "")
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


def orientation(image: Image.Image) -> int:
    """The EXIF orientation tag (1 = as stored; 5-8 turn the picture by 90 degrees).

    A PNG's orientation counts only from an ``eXIf`` chunk before its
    pixels: to find one after them Pillow decodes the whole picture, outside
    any budget (a 100 MP PNG would cost 400 MB just to be asked its size).
    """
    if image.format == "PNG" and "exif" not in image.info:
        return 1
    try:
        return int(image.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:  # noqa: BLE001 - a broken EXIF block must not make a good image unviewable
        return 1


def oriented_size(image: Image.Image) -> tuple[int, int]:
    """Width and height as displayed, after the EXIF orientation tag."""
    width, height = image.size
    return (height, width) if orientation(image) in (5, 6, 7, 8) else (width, height)


_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""How each EXIF orientation is undone (the same table as ``ImageOps.exif_transpose``)."""

_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
"""Pillow's storage per pixel; every other mode takes 4 bytes (RGB too)."""

_DECODER_SLACK = 16 * 2**20
"""Decoder state, one band of conversion (see :func:`decode_fitted`) and the small result."""


def decode_cost(image: Image.Image) -> int:
    """Bytes the current frame needs to be decoded at its (drafted) size: an estimate from the header.

    Pillow's own storage, plus what the format's decoder holds beside it:
    a TIFF strip or tile undecoded, WebP's canvas and its copy, an
    animation's previous frame (GIF and APNG compose each frame on it).
    Estimates were checked against the peak memory of real decodes (100 MP
    PNG and TIFF, 25 MP GIF, APNG and WebP animations) and are at or above them.
    """
    width, height = image.size
    pixels = width * height
    cost = pixels * _BYTES_PER_PIXEL.get(image.mode, 4) + _DECODER_SLACK
    if image.format == "TIFF":
        tags = getattr(image, "tag_v2", {})
        bits = tags.get(258, (8,))
        row_bytes = math.ceil(width * sum(bits if isinstance(bits, tuple) else (bits,)) / 8)
        rows = min(int(tags.get(278, height) or height), height)
        cost += row_bytes * rows
    elif image.format == "WEBP":
        cost += 2 * 4 * pixels
    if is_animated(image):
        # Frames after the first are RGB(A) whatever the first was (GIF), composed
        # on the previous one and its disposal area: measured about 12.5 bytes a pixel.
        cost += (16 - _BYTES_PER_PIXEL.get(image.mode, 4)) * pixels
    return cost


def progressive_jpeg_cost(image: Image.Image) -> int:
    """Bytes libjpeg holds for a progressive JPEG at its full size, however reduced the output.

    A progressive file keeps every DCT coefficient (2 bytes each) until its
    last scan, so ``draft`` does not make it cheap: a 100 MP one holds about
    300 MB. Read from the header, before ``draft`` changes the size.
    """
    if image.format not in ("JPEG", "MPO") or not image.info.get("progressive"):
        return 0
    width, height = image.size
    sampling = [(int(h), int(v)) for _id, h, v, _table in getattr(image, "layer", [])] or [(1, 1)] * 4
    most_h, most_v = max(h for h, _ in sampling), max(v for _, v in sampling)
    return sum(2 * math.ceil(width * h / most_h) * math.ceil(height * v / most_v) for h, v in sampling)


@contextmanager
def decoding(image: Image.Image, *, besides: int = 0) -> Iterator[None]:
    """Hold this process's decode memory for *image* (waiting if others hold it), or refuse it.

    A file whose decode alone would need more than
    :data:`~review.media.limits.MAX_DECODE_BYTES` is refused with a
    :class:`MediaError`; the rest wait their turn in
    :data:`~review.media.limits.DECODE_MEMORY`. ``besides`` is memory the
    decoder holds that the image's current size does not show
    (:func:`progressive_jpeg_cost`).
    """
    cost = decode_cost(image) + besides
    if cost > MAX_DECODE_BYTES:
        width, height = image.size
        raise MediaError(
            f"image is {width}x{height} ({megapixels(width * height)}, {image.format} {image.mode}), which needs "
            f"about {cost / 2**20:,.0f} MB to decode, over the {MAX_DECODE_BYTES / 2**20:,.0f} MB a file may use"
        )
    with DECODE_MEMORY.reserve(cost):
        yield


_BAND_ROWS = 128
"""Rows converted to RGB at a time when shrinking a large decoded image."""


def decode_fitted(image: Image.Image, max_w: int, max_h: int, *, draft_mode: str = "RGB") -> np.ndarray:
    """The current frame as an upright RGB array at least ``max_w`` x ``max_h`` (or whole), at most twice that.

    Never holds more than one full-size copy: JPEGs decode reduced inside
    libjpeg (``draft``); other formats decode whole within the process's
    decode budget (:func:`decoding`), then shrink by an integer factor
    (area average) a band of rows at a time, so the RGB conversion, the
    transparency and the 16-bit scaling never exist at full size. The box
    is in displayed orientation; EXIF orientation is applied last, on the
    small picture. The caller fits the result to its exact box.
    """
    turn = orientation(image)
    width, height = image.size
    box = (max_h, max_w) if turn in (5, 6, 7, 8) else (max_w, max_h)
    scale = min(box[0] / width, box[1] / height, 1.0)
    stored = (max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale)))
    coefficients = progressive_jpeg_cost(image)
    if image.format in ("JPEG", "MPO"):
        image.draft(draft_mode, stored)
    with decoding(image, besides=coefficients):
        image.load()
        factor = max(1, min(image.size[0] // stored[0], image.size[1] // stored[1]))
        rgb = to_rgb_array(image) if factor == 1 else _shrunk_rgb(image, factor)
    if turn in _UPRIGHT:
        rgb = np.asarray(Image.fromarray(rgb).transpose(_UPRIGHT[turn]))
    return np.ascontiguousarray(rgb)


def _shrunk_rgb(image: Image.Image, factor: int) -> np.ndarray:
    """RGB of a decoded image shrunk ``factor`` times, converted a band of rows at a time."""
    width, height = image.size[0] // factor * factor, image.size[1] // factor * factor
    top = _top_value(image)
    band = factor * max(1, _BAND_ROWS // factor)
    pieces = []
    for y in range(0, height, band):
        piece = to_rgb_array(image.crop((0, y, width, min(y + band, height))), top=top)
        size = (width // factor, piece.shape[0] // factor)
        pieces.append(cv2.resize(piece, size, interpolation=cv2.INTER_AREA))
    return np.vstack(pieces)


def _top_value(image: Image.Image) -> float | None:
    """The value that becomes white for a 16-bit or 32-bit image (None for 8-bit modes)."""
    if image.mode.startswith("I;16"):
        return 65535.0
    if image.mode in ("I", "F"):
        extrema = image.getextrema()
        highest = float(extrema[1]) if isinstance(extrema, tuple) and not isinstance(extrema[1], tuple) else 0.0
        return 65535.0 if highest > 255 else 255.0
    return None


def to_rgb_array(image: Image.Image, *, top: float | None = None) -> np.ndarray:
    """Any Pillow mode to an RGB uint8 array, transparency over mid grey.

    Mid grey (not white or black) so a transparent region stands out as
    "nothing here" in both themes; 16-bit images are scaled, not clipped
    (``top`` is the value shown white: pass the whole image's when
    converting part of it, see :func:`_top_value`).
    """
    mode = image.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        array = np.asarray(image, dtype=np.float64)
        if top is None:
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
