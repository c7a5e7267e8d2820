"""Identify, validate and fingerprint one media file before it becomes an item.

The importer calls :func:`inspect` for every media path in a manifest, from a
thread pool, before anything is written to the store. A file either comes
back as a :class:`MediaInfo` (kind, real type, size, frame count, content and
perceptual hashes) or raises :class:`~review.media.MediaError` with one short
sentence a moderator or lead can act on. Nothing here crashes on bad input,
and nothing here ever shows a pixel: it only decodes to prove the file is whole.

* **Validation is a real decode, in bounded memory.** Images are fully
  loaded, with Pillow's ``LOAD_TRUNCATED_IMAGES`` required to be off, so a
  truncated JPEG or PNG is refused here instead of showing grey bars to a
  reviewer later. Decoding goes through
  :func:`review.media.images.decode_fitted`: JPEGs through ``draft()`` at
  up to 1/8 scale (libjpeg still walks every entropy-coded byte, so
  truncation is caught, but skips most of the inverse DCT); other formats
  whole, within the process's decode memory budget, then shrunk band by
  band. However many import workers run, 100 MP PNGs and TIFFs are decoded
  one or two at a time, and a file that alone would need more than
  :data:`~review.media.limits.MAX_DECODE_BYTES` is refused.
  ``DecompressionBombError`` raised deeper inside Pillow (GIF frames) is
  still caught and reported as over the cap.
* **Videos open through** :func:`review.media.video.open_video`, the one
  place their caps are checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile

from review.media import MediaError
from review.media.fingerprint import perceptual_hash, sha256_file
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
from review.media.limits import DEFAULT_MAX_PIXELS, check_animation, over_cap, require_strict_pillow
from review.media.video import open_video

_HASH_SIDE = 128
"""Images are decoded for checking and hashing at about this size (the hash itself is 32x32)."""


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # "image" or "video"
    mime: str  # from the bytes, never the extension
    width: int  # as displayed (EXIF orientation applied)
    height: int
    frame_count: int  # 1 for still images; frames for animations and video
    duration_s: float | None
    sha256: str  # hex of the file bytes
    phash: str | None  # 16 hex chars; video/animation: a middle frame


def inspect(path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> MediaInfo:
    """Identify, validate and hash one media file; raise MediaError if unusable."""
    path = Path(path)
    mime = identify(path)
    if mime in IMAGE_MIMES:
        kind, width, height, frames, duration, phash = _inspect_image(path, mime, max_pixels)
    else:
        kind, width, height, frames, duration, phash = _inspect_video(path, mime, max_pixels)
    return MediaInfo(
        kind=kind,
        mime=mime,
        width=width,
        height=height,
        frame_count=frames,
        duration_s=duration,
        sha256=sha256_file(path),
        phash=phash,
    )


#: What inspecting one file finds: kind, width, height, frame count, duration and perceptual hash.
_Found = tuple[str, int, int, int, float | None, str | None]


def _inspect_image(path: Path, mime: str, max_pixels: int) -> _Found:
    require_strict_pillow()
    with open_image(path, mime, max_pixels=max_pixels) as image:
        width, height = oriented_size(image)
        try:
            if is_animated(image):
                return ("image", width, height, *_walk_animation(image, max_pixels))
            # Reduced decode: every byte is still read and checked.
            small = decode_fitted(image, _HASH_SIDE, _HASH_SIDE, draft_mode="L")
            if image.format in ("JPEG", "MPO"):
                check_data_fills_frame(path)  # libjpeg greys out missing data without an error
            return "image", width, height, 1, None, perceptual_hash(small)
        except MediaError:
            raise
        except Image.DecompressionBombError:
            raise over_cap("image", width, height, max_pixels) from None
        except DECODE_ERRORS as exc:
            raise MediaError(f"truncated or corrupt image: {describe_error(exc)}") from None


def _walk_animation(image: ImageFile.ImageFile, max_pixels: int) -> tuple[int, float, str | None]:
    """Decode every frame once (validating it); hash the middle one."""
    check_animation(image, max_pixels)
    frames = frame_count(image)
    middle = frames // 2
    duration = 0.0
    phash = None
    with decoding(image):
        for index in range(frames):
            image.seek(index)
            image.load()
            duration += frame_delay_s(image.info)
            if index == middle:
                phash = perceptual_hash(decode_fitted(image, _HASH_SIDE, _HASH_SIDE))
    return frames, duration, phash


def _inspect_video(path: Path, mime: str, max_pixels: int) -> _Found:
    """Read the first and the middle frame (proving the file decodes); hash the middle one."""
    with open_video(path, mime, max_pixels=max_pixels) as clip:
        first = clip.read()
        if first is None:
            raise MediaError("video has no frames")
        height, width = first.shape[:2]  # what the decoder really produces
        frames = clip.frame_count
        keyframe = first
        middle = frames // 2
        if middle > 0:
            clip.seek(middle)
            frame = clip.read()
            if frame is None:
                raise MediaError(
                    f"truncated or corrupt video: cannot read frame {middle} of {frames}"
                )
            keyframe = frame
        duration = frames / clip.fps if clip.fps > 0 else None
        return "video", width, height, frames, duration, perceptual_hash(keyframe)
