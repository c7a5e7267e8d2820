"""Identify, validate and fingerprint one media file before it becomes an item.

The importer calls :func:`inspect` for every media path in a manifest, from a
thread pool, before anything is written to the store. A file either comes
back as a :class:`MediaInfo` (kind, real type, size, frame count, MD5 and
SHA-256 of the bytes, PDQ of each keyframe) or raises :class:`~review.media.MediaError` with one short
sentence a moderator or lead can act on. Nothing here crashes on bad input,
and nothing here ever shows a pixel: it only decodes to prove the file is whole.

* **Validation is a real decode, in bounded memory.** Images are fully
  loaded, with Pillow's ``LOAD_TRUNCATED_IMAGES`` required to be off, so a
  truncated JPEG or PNG is refused here instead of showing grey bars to a
  reviewer later. Decoding goes through
  :func:`review.media.images.decode_fitted`: JPEGs through ``draft()`` at
  up to 1/8 scale (libjpeg still walks every entropy-coded byte, so
  truncation is caught, but skips most of the inverse DCT) only above the
  hashing cap; other formats whole, within the process's decode memory
  budget, then shrunk band by band. However many import workers run, 100 MP PNGs and TIFFs are decoded
  one or two at a time, and a file that alone would need more than
  :data:`~review.media.limits.MAX_DECODE_BYTES` is refused.
  ``DecompressionBombError`` raised deeper inside Pillow (GIF frames) is
  still caught and reported as over the cap.
* **Videos open through** :func:`review.media.video.open_video`, the one
  place their caps are checked.
* **PDQ is the reference's hash of the file.** Pictures and frames are
  hashed at full resolution, in colour, up to :data:`HASH_PIXELS`; PDQ's
  own Jarosz filters do the downsampling, so the stored hash equals
  ``pdqhash`` of the decoded file. A larger picture (or a 4K/8K frame) is
  first reduced by a whole factor (area average, libjpeg's DCT scaling for
  JPEGs) to at most that: a few bits from the full-size hash, far inside
  the threshold, and hashing memory stays bounded (about 150 MB at the cap).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFile

from review.media import MediaError
from review.media.fingerprint import file_digests
from review.media.identify import IMAGE_MIMES, identify
from review.media.images import (
    DECODE_ERRORS,
    decode_fitted,
    decoding,
    describe_error,
    frame_count,
    frame_delay_s,
    is_animated,
    open_image,
    oriented_size,
)
from review.media.jpeg import check_data_fills_frame
from review.media.limits import DECODE_MEMORY, DEFAULT_MAX_PIXELS, check_animation, over_cap, require_strict_pillow
from review.media.pdq import MIN_SIDE, PdqHash, column, dihedral_hashes, pdq_hash
from review.media.video import open_video

#: Pictures up to this many pixels are hashed whole (a 4K frame is halved, a 12 MP photo reduced by two).
HASH_PIXELS = 4_000_000
_HASH_BYTES_PER_PIXEL = 16
"""What PDQ's arithmetic holds beside the picture (its float32 planes; measured with tracemalloc): reserved in
the process's decode memory, so hashing in every import worker stays inside the same budget."""


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # "image" or "video"
    mime: str  # from the bytes, never the extension
    width: int  # as displayed (EXIF orientation applied)
    height: int
    frame_count: int  # 1 for still images; frames for animations and video
    duration_s: float | None
    md5: str  # hex of the file bytes (what hash lists of files name besides SHA-256)
    sha256: str  # hex of the file bytes
    pdq: str | None  # "HEX:QUALITY" of each keyframe (video/animation: first, middle), space-separated
    pdq_quality: int | None  # 0..100; video/animation: the lowest of its keyframes'


def inspect(path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> MediaInfo:
    """Identify, validate and hash one media file; raise MediaError if unusable."""
    path = Path(path)
    mime = identify(path)
    if mime in IMAGE_MIMES:
        kind, width, height, frames, duration, keyframes = _inspect_image(path, mime, max_pixels)
    else:
        kind, width, height, frames, duration, keyframes = _inspect_video(path, mime, max_pixels)
    md5, sha256 = file_digests(path)
    return MediaInfo(
        kind=kind,
        mime=mime,
        width=width,
        height=height,
        frame_count=frames,
        duration_s=duration,
        md5=md5,
        sha256=sha256,
        pdq=column(keyframes),
        pdq_quality=min((k.quality for k in keyframes), default=None),
    )


def turned_hashes(path: Path, mime: str) -> tuple[PdqHash, ...]:
    """The PDQ of a still image (already inspected) and of its seven turns and mirrors, decoded as for
    :func:`inspect`, for a look-up that should find flipped and rotated copies too."""
    with open_image(path, mime) as image:
        picture = decode_fitted(image, *hash_box(*oriented_size(image)))
    if min(picture.shape[:2]) < MIN_SIDE:
        raise MediaError(f"the picture is too small to hash (under {MIN_SIDE} pixels a side)")
    return dihedral_hashes(picture)


def hash_box(width: int, height: int) -> tuple[int, int]:
    """The size a *width* x *height* picture is hashed at: whole up to :data:`HASH_PIXELS`, else reduced by the
    smallest whole factor that brings it under."""
    factor = max(1, math.ceil(math.sqrt(width * height / HASH_PIXELS)))
    return max(1, math.ceil(width / factor)), max(1, math.ceil(height / factor))


#: What inspecting one file finds: kind, width, height, frame count, duration and its keyframes' PDQ.
_Found = tuple[str, int, int, int, float | None, list[PdqHash]]


def _inspect_image(path: Path, mime: str, max_pixels: int) -> _Found:
    require_strict_pillow()
    with open_image(path, mime, max_pixels=max_pixels) as image:
        width, height = oriented_size(image)
        try:
            if is_animated(image):
                return ("image", width, height, *_walk_animation(image, max_pixels))
            # Decoded in colour (the reference's luminance), reduced only above the cap: every byte is checked.
            # One reservation holds the decode, the picture and PDQ's planes: a worker never waits for memory to
            # hash while it holds a decoded picture the budget does not count.
            box = hash_box(width, height)
            with decoding(image, besides=box[0] * box[1] * (4 + _HASH_BYTES_PER_PIXEL)):
                small = decode_fitted(image, *box)
                if image.format in ("JPEG", "MPO"):
                    check_data_fills_frame(path)  # libjpeg greys out missing data without an error
                return "image", width, height, 1, None, _hashed(small)
        except MediaError:
            raise
        except Image.DecompressionBombError:
            raise over_cap("image", width, height, max_pixels) from None
        except DECODE_ERRORS as exc:
            raise MediaError(f"truncated or corrupt image: {describe_error(exc)}") from None


def _walk_animation(image: ImageFile.ImageFile, max_pixels: int) -> tuple[int, float, list[PdqHash]]:
    """Decode every frame once (validating it); hash the keyframes (the first and the middle one)."""
    check_animation(image, max_pixels)
    frames = frame_count(image)
    keyframes = sorted({0, frames // 2})
    duration = 0.0
    hashes = []
    with decoding(image):
        for index in range(frames):
            image.seek(index)
            image.load()
            duration += frame_delay_s(image.info)
            if index in keyframes:
                hashes.extend(_hashed(decode_fitted(image, *hash_box(*image.size))))
    return frames, duration, hashes


def _hashed(picture: np.ndarray) -> list[PdqHash]:
    """The picture's PDQ, or nothing for one under 5 pixels a side (the reference hashes nothing smaller); a
    frame over :data:`HASH_PIXELS` is first reduced by a whole factor (area average), as a picture is."""
    if min(picture.shape[:2]) < MIN_SIDE:
        return []
    height, width = picture.shape[:2]
    box = hash_box(width, height)
    if box != (width, height):
        picture = cv2.resize(picture, box, interpolation=cv2.INTER_AREA)
    with DECODE_MEMORY.reserve(box[0] * box[1] * _HASH_BYTES_PER_PIXEL):  # video frames; nested: nothing more
        return [pdq_hash(picture)]


def _inspect_video(path: Path, mime: str, max_pixels: int) -> _Found:
    """Read the first and the middle frame (proving the file decodes); hash both (the keyframes)."""
    with open_video(path, mime, max_pixels=max_pixels) as clip:
        first = clip.read()
        if first is None:
            raise MediaError("video has no frames")
        height, width = first.shape[:2]  # what the decoder really produces
        frames = clip.frame_count
        keyframes = _hashed(first)
        middle = frames // 2
        if middle > 0:
            clip.seek(middle)
            frame = clip.read()
            if frame is None:
                raise MediaError(
                    f"truncated or corrupt video: cannot read frame {middle} of {frames}"
                )
            keyframes.extend(_hashed(frame))
        duration = frames / clip.fps if clip.fps > 0 else None
        return "video", width, height, frames, duration, keyframes
