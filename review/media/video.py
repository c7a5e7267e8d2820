"""The one safe way to open a video: a capture whose header passed the caps, or a MediaError.

Every reader of video pixels — the importer's check, the preview, the
storyboard, the player — opens its file through :func:`open_video`, so the
pixel cap and the sanity checks on frame count, frame rate and duration
exist exactly once. A header that claims an absurd size, length or frame
count is refused *before* a single frame is decoded, with a sentence a
person can act on; only recognised video containers reach FFmpeg at all
(the type comes from :func:`review.media.identify.identify`).

A video a store keeps inside it (a server store) is opened from its
:class:`~review.media.source.Media` stream: OpenCV's FFmpeg capture reads
a Python stream directly (``cv2.VideoCapture(stream, cv2.CAP_FFMPEG, [])``,
OpenCV ≥ 4.11), so its bytes go from the store to the decoder in memory,
never through a file.

A :class:`VideoClip` holds one OpenCV capture: read it from one thread and
close it (it is a context manager). OpenCV decodes pictures only, so there
is no audio path anywhere in Veil.
"""

from __future__ import annotations

import io
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
from review.media.source import Media


class VideoClip:
    """One open capture with its header checked; a context manager that releases it.

    ``frame_count`` is at least 1; ``fps`` is 0.0 when the header gives no
    believable rate; ``duration_s`` is the header's length (frames / rate)
    when both are known, else None.
    """

    def __init__(self, capture: cv2.VideoCapture, width: int, height: int, frame_count: int, fps: float,
                 duration_s: float | None, media: Media | None = None):
        self.capture = capture
        self.media = media  # read from a store's stream: its damage is said by read(), never shown
        self.stream: object = None  # the stream OpenCV reads (kept alive until release)
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
        self.stream = None

    def time_of(self, index: int) -> float:
        """Seconds from the start at which frame ``index`` shows (0 when the rate is unknown)."""
        return index / self.fps if self.fps > 0 else 0.0

    def seek(self, index: int) -> None:
        """Make ``index`` the next frame :meth:`read` returns."""
        self.capture.set(cv2.CAP_PROP_POS_FRAMES, index)

    def read(self) -> np.ndarray | None:
        """The next frame, RGB uint8 at the decoder's size; None at the end or on a damaged frame.

        Raises BlobDamaged when the store's bytes behind it are damaged, and whatever else stopped the store's
        stream (the server restarting: StoreUnavailable): OpenCV reads on past a stream error as if the clip
        ended, so the stream is asked after every read.
        """
        try:
            ok, frame = self.capture.read()
        except cv2.error:
            ok, frame = False, None
        _said(self.stream, self.media)
        if not ok or frame is None:
            return None
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


class _Unfailing(io.BufferedIOBase):
    """A store's media stream as OpenCV reads it: every read gives the bytes asked for, unread ones as zeros.

    OpenCV's FFmpeg stream reader crashes the process when a Python read raises or comes back short in the
    middle of a stream (OpenCV 5.1: SIGSEGV or abort), so nothing the blob reader raises leaves here — damage
    it found, a connection the server dropped (StoreUnavailable), anything: the first failure is kept in
    ``failure``, every later read is zeros without asking the store again, and :meth:`VideoClip.read` and
    :func:`open_video` raise it after each decoder call, before any frame is handed on.
    """

    def __init__(self, media: Media) -> None:
        super().__init__()
        assert media.reader is not None
        self.reader, self.position = media.reader, 0
        self.failure: Exception | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.reader.blob.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def read(self, size: int | None = -1) -> bytes:
        left = max(0, self.reader.blob.size - self.position)
        wanted = left if size is None or size < 0 else min(size, left)
        parts, got = [], 0
        try:
            self.reader.seek(self.position)
            while self.failure is None and got < wanted and (part := self.reader.read(wanted - got)):
                parts.append(part)
                got += len(part)
        except Exception as exc:  # noqa: BLE001 - raised into OpenCV it kills the process; kept, raised after it
            self.failure = exc
        data = b"".join(parts) + b"\0" * (wanted - got)
        self.position += wanted
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)


def _said(stream: object, media: Media | None) -> None:
    """Raise what stopped the store's stream under the decoder just called (kept by :class:`_Unfailing`), if
    anything did; a damaged blob is said as such (:meth:`Media.intact`)."""
    if media is not None:
        media.intact()
    if isinstance(stream, _Unfailing) and stream.failure is not None:
        raise stream.failure


def _capture(path: Path | Media) -> tuple[cv2.VideoCapture, object]:
    """OpenCV's FFmpeg capture of a file, or of media read from a store (a stream: no file), and that stream.

    The caller keeps the stream referenced until the capture is released: OpenCV 5.1 lets go of it in
    ``release()`` without holding the GIL, which crashes the process if that was its last reference.
    """
    if not isinstance(path, Media):
        return cv2.VideoCapture(os.fspath(path), cv2.CAP_FFMPEG), None
    stream = path.rewound() if path.reader is None else _Unfailing(path)
    # OpenCV's stubs name only its C++ IStreamReader; the binding takes any io.BufferedIOBase-like stream.
    return cv2.VideoCapture(stream, cv2.CAP_FFMPEG, []), stream  # type: ignore[call-overload]


def _header_number(capture: cv2.VideoCapture, prop: int) -> float:
    """A header field as a finite, non-negative float (0.0 when missing or garbage)."""
    value = float(capture.get(prop) or 0.0)
    return value if math.isfinite(value) and value > 0 else 0.0


def open_video(path: Path | Media, mime: str | None = None, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> VideoClip:
    """Open ``path`` (a file, or media opened from a store) for reading frames, refusing what no reviewer should
    be handed.

    ``mime`` is the file's type if the caller already identified it (else it
    is sniffed here, or taken from the media, and anything but a video is refused). Raises
    :class:`MediaError` when no decoder can read the file, a frame is over
    ``max_pixels``, or the header claims more than ``MAX_VIDEO_FRAMES``
    frames or a clip longer than ``MAX_VIDEO_SECONDS``.
    """
    if mime is None:
        mime = path.mime if isinstance(path, Media) else identify(Path(path))
    if mime not in VIDEO_MIMES:
        raise MediaError(f"not a video ({mime})")
    try:
        capture, stream = _capture(path)
    except cv2.error as exc:
        raise MediaError(f"cannot open video: {describe_error(exc)}") from None
    try:
        _said(stream, path if isinstance(path, Media) else None)  # damage, a lost server: not "unreadable video"
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
    clip = VideoClip(capture, width, height, max(1, int(count)), fps, duration,
                     path if isinstance(path, Media) else None)
    clip.stream = stream  # referenced until the capture is released (see _capture)
    return clip


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
