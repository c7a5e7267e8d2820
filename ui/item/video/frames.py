"""The worker side of the video view: read frames, veil them, turn them into QImages.

Every function here runs on a worker (never the GUI thread) and never
raises. The storyboard and the still read the item's media from its store
with the worker's reader connection (:func:`review.media.source.open_media`:
a file store's file, or a server store's blob streamed on demand and
decoded in memory, never written to disk); a failure comes back as a
one-line reason
(:func:`review.media.video.failure_reason`). Every pixel passes
:func:`review.media.preview.apply_view` with the page's blur level and
grayscale flag before it becomes a ``QImage``; unblurred renderings exist
only in memory, for the frame on screen.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtGui import QImage

from review.media import frames, preview
from review.media.source import open_media
from review.media.video import failure_reason
from review.store import Store
from ui.item.qimage import to_qimage

THUMB_BOX = (320, 180)


@dataclass
class ViewState:
    """How media is veiled: blur level (0 = off; see ``preview.BLUR_LEVELS``) and grayscale."""

    blur_level: int = preview.DEFAULT_BLUR_LEVEL
    grayscale: bool = True


ViewSource = ViewState | Callable[[], ViewState]
ViewValues = tuple[int, bool]


def view_values(view: ViewSource) -> ViewValues:
    """Read the page's view (a state object, or a callable returning one) now."""
    state = view() if callable(view) else view
    return int(state.blur_level), bool(state.grayscale)


def format_time(seconds: float, *, tenths: bool = False) -> str:
    """``0:04``, ``12:30``, ``1:02:03`` — whole seconds, rounded down; with *tenths*, under a minute, ``0:00.4``."""
    if tenths and seconds < 60:
        return f"0:{math.floor(max(0.0, seconds) * 10 + 1e-6) / 10:04.1f}"
    total = max(0, math.floor(seconds + 1e-6))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class Shot:
    """One frame prepared for display. ``raw`` and ``revealed`` are unblurred: memory only."""

    time_s: float
    index: int
    raw: np.ndarray
    veiled: QImage
    revealed: QImage | None
    view: ViewValues


def render(raw: np.ndarray, time_s: float, index: int, view: ViewValues, *, revealable: bool) -> Shot:
    """Blur (and gray) a frame for display; optionally also its unblurred rendering. Worker only."""
    blur, gray = view
    veiled = to_qimage(preview.apply_view(raw, blur_level=blur, grayscale=gray))
    revealed = to_qimage(preview.apply_view(raw, blur_level=0, grayscale=gray)) if revealable else None
    return Shot(time_s, index, raw, veiled, revealed, view)


@dataclass(frozen=True)
class Board:
    """The storyboard of one file as a worker prepared it (or why it could not)."""

    token: int
    shots: tuple[Shot, ...] = ()
    duration_s: float = 0.0
    fps: float = 0.0
    error: str | None = None


def load_board(store: Store, token: int, media_path: str, count: int, view: ViewValues) -> Board:
    """Storyboard, duration and blurred thumbnails of an item's media read from *store*, in a worker. Never raises."""
    try:
        with open_media(store, media_path) as media:  # a missing file or blob says so before any decoder
            keyframes = frames.storyboard(media, count, *THUMB_BOX)
            duration, fps = frames.clip_timing(media, keyframes)
        shots = tuple(render(f.image, f.time_s, f.index, view, revealable=False) for f in keyframes)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message
        return Board(token, error=failure_reason(exc))
    return Board(token, shots, duration, fps)


def load_still(store: Store, token: int, media_path: str, time_s: float, box: tuple[int, int],
               view: ViewValues) -> tuple[int, Shot | None, str | None]:
    """The large frame at ``time_s`` of an item's media read from *store*, blurred and unblurred, in a worker."""
    try:
        with open_media(store, media_path) as media:
            raw = frames.video_frame_at(media, time_s, *box)
    except Exception as exc:  # noqa: BLE001
        return token, None, failure_reason(exc)
    return token, render(raw, time_s, -1, view, revealable=True), None


def rerender(token: int, thumbs: tuple[Shot, ...], large: Shot | None,
             view: ViewValues) -> tuple[int, tuple[Shot, ...], Shot | None]:
    """Re-veil what is on screen after the page changed blur or grayscale."""
    new_thumbs = tuple(render(s.raw, s.time_s, s.index, view, revealable=False) for s in thumbs)
    new_large = render(large.raw, large.time_s, large.index, view, revealable=True) if large else None
    return token, new_thumbs, new_large
