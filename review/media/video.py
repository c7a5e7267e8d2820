"""The one safe way to open a video: a capture whose header passed the caps, or a MediaError.

Every reader of video pixels — the importer's check, the preview, the
storyboard, the player — opens its file through :func:`open_video`, so the
pixel cap and the sanity checks on frame count, frame rate and duration
exist exactly once. A header that claims an absurd size, length or frame
count is refused *before* a single frame is decoded, with a sentence a
person can act on; only recognised video containers reach FFmpeg at all
(the type comes from :func:`review.media.identify.identify`).

A :class:`VideoClip` holds one OpenCV capture: read it from one thread and
close it (it is a context manager). OpenCV decodes pictures only, so there
is no audio path anywhere in Veil.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import cv2
import numpy as np

from review.media import MediaError
from review.media.identify import VIDEO_MIMES, identify
from review.media.images import describe_error
from review.media.limits import (
    DEFAULT_MAX_PIXELS,
    MAX_VIDEO_FPS,
    MAX_VIDEO_FRAMES,
    MAX_VIDEO_SECONDS,
    over_cap,
)


class VideoClip:
    """One open capture with its header checked; a context manager that releases it.

    ``frame_count`` is at least 1; ``fps`` is 0.0 when the header gives no
    believable rate; ``duration_s`` is the header's length (frames / rate)
    when both are known, else None.
    """

    def __init__(self, capture: cv2.VideoCapture, width: int, height: int, frame_count: int, fps: float,
                 duration_s: float | None):
        self.capture = capture
        self.width = width
        self.height = height
        self.frame_count = frame_count
        self.fps = fps
        self.duration_s = duration_s

    def __enter__(self) -> VideoClip:  # noqa: PYI034 - never subclassed
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.capture.release()

    def time_of(self, index: int) -> float:
        """Seconds from the start at which frame ``index`` shows (0 when the rate is unknown)."""
        return index / self.fps if self.fps > 0 else 0.0

    def seek(self, index: int) -> None:
        """Make ``index`` the next frame :meth:`read` returns."""
        self.capture.set(cv2.CAP_PROP_POS_FRAMES, index)

    def read(self) -> np.ndarray | None:
        """The next frame, RGB uint8 at the decoder's size; None at the end or on a damaged frame."""
        try:
            ok, frame = self.capture.read()
        except cv2.error:
            return None
        if not ok or frame is None:
            return None
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def _header_number(capture: cv2.VideoCapture, prop: int) -> float:
    """A header field as a finite, non-negative float (0.0 when missing or garbage)."""
    value = float(capture.get(prop) or 0.0)
    return value if math.isfinite(value) and value > 0 else 0.0


def open_video(path: Path, mime: str | None = None, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> VideoClip:
    """Open ``path`` for reading frames, refusing what no reviewer should be handed.

    ``mime`` is the file's type if the caller already identified it (else it
    is sniffed here, and anything but a video is refused). Raises
    :class:`MediaError` when no decoder can read the file, a frame is over
    ``max_pixels``, or the header claims more than ``MAX_VIDEO_FRAMES``
    frames or a clip longer than ``MAX_VIDEO_SECONDS``.
    """
    path = Path(path)
    if mime is None:
        mime = identify(path)
    if mime not in VIDEO_MIMES:
        raise MediaError(f"not a video ({mime})")
    try:
        capture = cv2.VideoCapture(os.fspath(path), cv2.CAP_FFMPEG)
    except cv2.error as exc:
        raise MediaError(f"cannot open video: {describe_error(exc)}") from None
    try:
        if not capture.isOpened():
            raise MediaError(f"cannot open video: no decoder could read this {mime} file")
        width = int(_header_number(capture, cv2.CAP_PROP_FRAME_WIDTH))
        height = int(_header_number(capture, cv2.CAP_PROP_FRAME_HEIGHT))
        if width * height > max_pixels:
            raise over_cap("video", width, height, max_pixels)
        count = _header_number(capture, cv2.CAP_PROP_FRAME_COUNT)
        if count > MAX_VIDEO_FRAMES:
            raise MediaError(f"video header claims {count:,.0f} frames, over the {MAX_VIDEO_FRAMES:,} cap")
        fps = _header_number(capture, cv2.CAP_PROP_FPS)
        if fps > MAX_VIDEO_FPS:
            fps = 0.0  # a broken header: the clip plays at the fallback rate
        duration = count / fps if count > 0 and fps > 0 else None
        if duration is not None and duration > MAX_VIDEO_SECONDS:
            raise MediaError(
                f"video header claims {duration / 3600:,.1f} hours, over the {MAX_VIDEO_SECONDS / 3600:.0f}-hour cap"
            )
    except cv2.error as exc:
        capture.release()
        raise MediaError(f"cannot open video: {describe_error(exc)}") from None
    except BaseException:
        capture.release()
        raise
    return VideoClip(capture, width, height, max(1, int(count)), fps, duration)


def failure_reason(exc: BaseException) -> str:
    """One line a reviewer can read, for any failure to show a video or animation."""
    if isinstance(exc, MediaError):
        return exc.reason
    if isinstance(exc, cv2.error):
        return "cannot decode video (damaged or unsupported file)"
    if isinstance(exc, OSError):
        return f"cannot read file: {exc.strerror or exc}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"unexpected problem ({text})"
