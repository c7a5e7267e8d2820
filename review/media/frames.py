"""Frames of videos and animations: the storyboard, the frame at a time, frames in play order.

The video view calls these from workers. A storyboard seeks to a handful of
evenly spaced positions and reads one frame at each; it never walks the
whole file. Frames come back small and unblurred (memory only); the caller
applies :func:`review.media.preview.apply_view` before anything is shown.
Videos open through :func:`review.media.video.open_video` (the caps);
animated images through :func:`review.media.images.open_image` plus the
animation budget. Everything raises :class:`review.media.MediaError` for
files that cannot be shown.

Each takes a file's path or an item's media opened from its store
(:class:`review.media.source.Media`, the way a server store's media are
read: a stream decoded in memory, no file); :func:`still` is the still
picture of either.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from review.media import MediaError, source
from review.media.identify import VIDEO_MIMES, identify
from review.media.images import (
    DECODE_ERRORS,
    decode_fitted,
    describe_error,
    frame_count,
    frame_delay_s,
    is_animated,
    open_image,
)
from review.media.limits import DEFAULT_MAX_PIXELS, check_animation, require_strict_pillow
from review.media.preview import decode_for_display, fit_size, fit_to_box, frame_at_index, read_fitted
from review.media.source import Media
from review.media.video import open_video

#: What these functions read: a file's path, or an item's media opened from its store (memory only).
MediaInput = Path | Media


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays has no single truth value
class Frame:
    index: int
    time_s: float
    image: np.ndarray  # RGB uint8, unblurred, small


def _spaced(total: int, count: int) -> list[int]:
    """``count`` evenly spaced indices in ``range(total)``, starting at 0."""
    if total <= 0 or count <= 0:
        return []
    if count >= total:
        return list(range(total))
    return [i * total // count for i in range(count)]


def _animation_frames(
    image: Image.Image, wanted: set[int] | None, max_w: int, max_h: int, start_s: float = 0.0
) -> Iterator[Frame]:
    """Walk an animation in order (each frame builds on the last), yielding
    the wanted indices (all if None) from ``start_s`` on."""
    elapsed = 0.0
    count = frame_count(image)
    last = max(wanted) if wanted else count - 1
    for index in range(count):
        if index > last:
            break
        image.seek(index)
        if (wanted is None or index in wanted) and elapsed + frame_delay_s(image.info) > start_s:
            yield Frame(index, elapsed, fit_to_box(decode_fitted(image, max_w, max_h), max_w, max_h))
        elapsed += frame_delay_s(image.info)


def _kind(media: MediaInput) -> str:
    """The media's decodable type: sniffed from a file, known for media opened from a store."""
    return media.mime if isinstance(media, Media) else identify(media)


def _opened(path: MediaInput | str) -> MediaInput:
    return path if isinstance(path, Media) else Path(path)


def _open_frames_image(path: MediaInput, mime: str, max_pixels: int) -> Image.Image:
    """Open an image for frame work: size, strictness and animation checked."""
    require_strict_pillow()
    image = (source.open_image(path, max_pixels=max_pixels) if isinstance(path, Media)
             else open_image(path, mime, max_pixels=max_pixels))
    try:
        if is_animated(image):
            check_animation(image, max_pixels)
    except BaseException:
        image.close()
        raise
    return image


def still(path: MediaInput, max_w: int, max_h: int, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """The still picture of a file or of media opened from a store, fitted, unblurred
    (:func:`review.media.preview.decode_for_display`'s, which reads files only)."""
    if not isinstance(path, Media):
        return decode_for_display(path, max_w, max_h, max_pixels=max_pixels)
    fit_size(1, 1, max_w, max_h)
    if path.mime in VIDEO_MIMES:
        with open_video(path, path.mime, max_pixels=max_pixels) as clip:
            return frame_at_index(clip, clip.frame_count // 2, max_w, max_h)
    require_strict_pillow()
    with source.open_image(path, max_pixels=max_pixels) as image:
        try:
            rgb = decode_fitted(image, max_w, max_h)  # reduced decode, bounded memory
        except Image.DecompressionBombError:
            raise MediaError(f"image is over the pixel cap ({image.size[0]}x{image.size[1]})") from None
        except DECODE_ERRORS as exc:
            path.intact()  # a damaged blob is said as such
            raise MediaError(f"truncated or corrupt image: {describe_error(exc)}") from None
    return fit_to_box(rgb, max_w, max_h)


def storyboard(
    path: MediaInput,
    count: int = 9,
    max_w: int = 320,
    max_h: int = 180,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> list[Frame]:
    """Up to ``count`` small, unblurred frames at evenly spaced positions.

    Video: one seek and one read per frame, never a walk through the file.
    Animated images: the first frame and evenly spaced ones after it (GIF
    frames are deltas, so earlier frames are decoded but not kept). A still
    image gives one frame. Frames whose seek fails near a damaged end are
    skipped; if none can be read the video is reported as having no frames.
    """
    path = _opened(path)
    if count < 1:
        raise ValueError("storyboard needs at least one frame")
    fit_size(1, 1, max_w, max_h)
    mime = _kind(path)
    if mime in VIDEO_MIMES:
        frames: list[Frame] = []
        with open_video(path, mime, max_pixels=max_pixels) as clip:
            for index in _spaced(clip.frame_count, count):
                clip.seek(index)
                picture = read_fitted(clip, max_w, max_h)
                if picture is not None:
                    frames.append(Frame(index, clip.time_of(index), picture))
        if not frames:
            raise MediaError("video has no frames")
        return frames
    try:
        with _open_frames_image(path, mime, max_pixels) as image:
            if not is_animated(image):
                return [Frame(0, 0.0, still(path, max_w, max_h, max_pixels=max_pixels))]
            wanted = set(_spaced(frame_count(image), count))
            return list(_animation_frames(image, wanted, max_w, max_h))
    except MediaError:
        raise
    except DECODE_ERRORS as exc:
        raise MediaError(f"truncated or corrupt image: {describe_error(exc)}") from None


def video_frame_at(
    path: MediaInput,
    time_s: float,
    max_w: int,
    max_h: int,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """The frame showing at ``time_s`` (clamped to the clip), fitted, unblurred.

    Works for videos and animated images; a still image is itself at any time.
    """
    path = _opened(path)
    fit_size(1, 1, max_w, max_h)
    time_s = max(0.0, float(time_s))
    mime = _kind(path)
    if mime in VIDEO_MIMES:
        with open_video(path, mime, max_pixels=max_pixels) as clip:
            index = round(time_s * clip.fps) if clip.fps > 0 else 0
            return frame_at_index(clip, min(index, clip.frame_count - 1), max_w, max_h)
    try:
        with _open_frames_image(path, mime, max_pixels) as image:
            if is_animated(image):
                elapsed = 0.0
                count = frame_count(image)
                for index in range(count):
                    image.seek(index)
                    elapsed += frame_delay_s(image.info)
                    if elapsed > time_s or index == count - 1:
                        return fit_to_box(decode_fitted(image, max_w, max_h), max_w, max_h)
    except MediaError:
        raise
    except DECODE_ERRORS as exc:
        raise MediaError(f"truncated or corrupt image: {describe_error(exc)}") from None
    return still(path, max_w, max_h, max_pixels=max_pixels)


def iter_frames(
    path: MediaInput,
    max_w: int,
    max_h: int,
    *,
    start_s: float = 0.0,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Iterator[Frame]:
    """Frames in play order from ``start_s``, for playback on request.

    One decoder stays open while the caller iterates (in its worker); each
    frame comes back small and unblurred, like the storyboard's. A still
    image yields itself once. Close the generator to stop early.
    """
    path = _opened(path)
    fit_size(1, 1, max_w, max_h)
    start_s = max(0.0, float(start_s))
    mime = _kind(path)
    if mime in VIDEO_MIMES:
        with open_video(path, mime, max_pixels=max_pixels) as clip:
            index = round(start_s * clip.fps) if clip.fps > 0 else 0
            if index >= clip.frame_count:
                return
            if index:
                clip.seek(index)
            while (picture := read_fitted(clip, max_w, max_h)) is not None:
                yield Frame(index, clip.time_of(index), picture)
                index += 1
        return
    try:
        with _open_frames_image(path, mime, max_pixels) as image:
            if not is_animated(image):
                yield Frame(0, 0.0, still(path, max_w, max_h, max_pixels=max_pixels))
                return
            yield from _animation_frames(image, None, max_w, max_h, start_s)
    except MediaError:
        raise
    except DECODE_ERRORS as exc:
        raise MediaError(f"truncated or corrupt image: {describe_error(exc)}") from None


def clip_timing(path: MediaInput, frames: list[Frame]) -> tuple[float, float]:
    """Duration and frame rate, from headers (a video) or frame delays (an animation).

    Runs after :func:`storyboard` accepted the file and gave ``frames``, so
    its type and caps are already checked; the storyboard's last frame is a
    floor for the duration (headers can understate it). A still image is
    0 seconds long, at no rate.
    """
    last = frames[-1].time_s if frames else 0.0
    path = _opened(path)
    mime = _kind(path)
    if mime in VIDEO_MIMES:
        with open_video(path, mime) as clip:
            if clip.duration_s is not None:
                return max(clip.duration_s, last), clip.fps
        return last, 0.0
    with source.open_image(path) if isinstance(path, Media) else open_image(path, mime) as image:
        count = frame_count(image)
        if count <= 1:
            return 0.0, 0.0
        total = sum(_delay_at(image, index) for index in range(count))
        return max(total, last), count / total if total > 0 else 0.0


def _delay_at(image: Image.Image, index: int) -> float:
    image.seek(index)
    return frame_delay_s(image.info)
