"""One video (or animated GIF) for review: a blurred storyboard first, playback only on request.

What a reviewer sees, in order:

1. **"Preparing storyboard…"** — a calm placeholder while a worker seeks to
   nine evenly spaced keyframes (:func:`review.media.preview.storyboard`; the file
   is never decoded end to end to show it).
2. **A 3x3 grid of blurred keyframes** with their timestamps.  Arrow keys or
   a click select one; Enter or a double-click opens it large (still
   blurred); Escape or Backspace goes back to the grid.
3. **Playback, only when asked** (P, or the page calls :meth:`VideoView.play`).
   Nothing in this module starts playback by itself: not ``show_video``,
   not opening a frame, not a skip.  There is no audio path at all — OpenCV
   decodes pictures only — so playback is inherently muted, and the
   controls say so.

Every pixel passes :func:`review.media.preview.apply_view` with the page's current
blur level and grayscale flag *in a worker* before it becomes a ``QImage``.
Holding reveal (:meth:`VideoView.set_revealed`, the page's Space key) swaps
the large or playing frame for the unblurred rendering of that same frame;
releasing swaps it back at once (both renderings are prepared together, so
neither direction waits for a worker).  Reveal lifts the blur only:
grayscale stays as the view says.  Grid thumbnails are never revealed.
Unblurred pixels live only in memory, only for the frame on screen (and
the raw storyboard frames, kept so a change of blur level does not need a
second decode); nothing is written anywhere.

Threads (the GUI thread never decodes):

* The storyboard and single large frames run on the page's ``TaskRunner``.
* Playback has its own ``QThread`` with one decoder object (one open
  capture, read sequentially).  A ``QTimer`` on the GUI thread ticks at the
  video's frame rate times the speed and asks for *the frame at the current
  wall-clock position*.  At most one request is in flight: a tick that finds
  the decoder still busy is dropped, so a slow machine shows fewer frames
  instead of falling ever further behind.  The decoder reads forward to the
  asked time (skipping frames it is late for) and re-seeks for jumps.
  A dedicated thread, rather than the shared pool, keeps playback from
  queueing behind the page's background prefetching.
* :meth:`VideoView.clear` (and deleting the widget) stops the timer and
  joins the decoder thread; nothing is left running.

Keys (only while this widget has focus; unmodified keys it does not use,
Space included, go to the page):

=================  ==========================================================
P                  play / pause
K                  pause
] / [              faster / slower (1x, 1.5x, 2x)
Right / Left       grid: next / previous keyframe; large view: +5 s / -5 s
L / J              +5 s / -5 s (from the grid: opens the large view there)
Up / Down          grid: keyframe above / below
Enter              grid: open the selected keyframe large
Escape, Backspace  large view: back to the grid (pauses)
=================  ==========================================================
"""

from __future__ import annotations

import logging
import math
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import (
    QCoreApplication,
    QElapsedTimer,
    QEvent,
    QMetaObject,
    QObject,
    QRectF,
    QSize,
    Qt,
    QThread,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QFont, QImage, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from review import media
from review.media import preview
from review.media import MediaError
from ui.item.qimage import to_qimage
from ui.theme import COLORS

log = logging.getLogger(__name__)

__all__ = ["SKIP_SECONDS", "SPEEDS", "VideoView", "ViewState", "format_time"]

SPEEDS: tuple[float, ...] = (1.0, 1.5, 2.0)
SKIP_SECONDS = 5.0
STORYBOARD_COUNT = 9
THUMB_BOX = (320, 180)
LARGE_BOX_MIN = (320, 180)
LARGE_BOX_MAX = (1920, 1080)
MIN_INTERVAL_MS = 15
"""Never tick faster than ~66 Hz, whatever the frame rate times the speed."""
FALLBACK_FPS = 10.0
RESEEK_AHEAD_S = 1.0
"""The decoder reads forward to a wanted time closer than this; further, it seeks."""
BACK_TOLERANCE_S = 0.25
"""A wanted time this little before the current frame keeps the current frame."""


# --------------------------------------------------------------------- view
@dataclass
class ViewState:
    """How media is veiled: blur level (0 = off; see ``preview.BLUR_LEVELS``) and grayscale."""

    blur_level: int = preview.DEFAULT_BLUR_LEVEL
    grayscale: bool = True


ViewSource = ViewState | Callable[[], ViewState]
_View = tuple[int, bool]


def _view_values(view: ViewSource) -> _View:
    """Read the page's view (a state object, or a callable returning one) now."""
    state = view() if callable(view) else view
    return int(state.blur_level), bool(state.grayscale)


def format_time(seconds: float) -> str:
    """``0:04``, ``12:30``, ``1:02:03`` — whole seconds, rounded down."""
    total = max(0, math.floor(seconds + 1e-6))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def _reason(exc: BaseException) -> str:
    """One line a reviewer can read, for any failure to show the file."""
    if isinstance(exc, MediaError):
        return exc.reason
    if isinstance(exc, cv2.error):
        return "cannot decode video (damaged or unsupported file)"
    if isinstance(exc, OSError):
        return f"cannot read file: {exc.strerror or exc}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"unexpected problem ({text})"


# ------------------------------------------------------- worker-side pieces
@dataclass(frozen=True)
class _Shot:
    """One frame prepared for display. ``raw`` and ``revealed`` are unblurred: memory only."""

    time_s: float
    index: int
    raw: np.ndarray
    veiled: QImage
    revealed: QImage | None
    view: _View


def _render(raw: np.ndarray, time_s: float, index: int, view: _View, *, revealable: bool) -> _Shot:
    """Blur (and gray) a frame for display; optionally also its unblurred rendering. Worker only."""
    blur, gray = view
    veiled = to_qimage(preview.apply_view(raw, blur_level=blur, grayscale=gray))
    revealed = to_qimage(preview.apply_view(raw, blur_level=0, grayscale=gray)) if revealable else None
    return _Shot(time_s, index, raw, veiled, revealed, view)


@dataclass(frozen=True)
class _Board:
    token: int
    shots: tuple[_Shot, ...] = ()
    duration_s: float = 0.0
    fps: float = 0.0
    error: str | None = None


def _probe(path: Path, frames: list[preview.Frame]) -> tuple[float, float]:
    """Duration and frame rate, from headers (a video) or frame delays (an animation).

    Runs after :func:`preview.storyboard` accepted the file, so its type and
    pixel caps are already checked.
    """
    last = frames[-1].time_s if frames else 0.0
    mime = media.identify(path)
    if mime in media.VIDEO_MIMES:
        capture = cv2.VideoCapture(os.fspath(path), cv2.CAP_FFMPEG)
        try:
            count = float(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0)
            fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        finally:
            capture.release()
        if fps > 0 and count > 0:
            return max(count / fps, last), fps
        return last, 0.0
    with media.open_image(path, mime) as image:
        count = int(getattr(image, "n_frames", 1) or 1)
        if count <= 1:
            return 0.0, 0.0
        total = 0.0
        for index in range(count):
            image.seek(index)
            delay = float(image.info.get("duration") or 0) / 1000
            total += delay if delay > 0.01 else 0.1  # the browsers' rule, as review.media
        return max(total, last), count / total if total > 0 else 0.0


def _load_board(token: int, path: str, count: int, view: _View) -> _Board:
    """Storyboard, duration and blurred thumbnails, in a worker. Never raises."""
    try:
        frames = preview.storyboard(Path(path), count, *THUMB_BOX)
        duration, fps = _probe(Path(path), frames)
        shots = tuple(_render(f.image, f.time_s, f.index, view, revealable=False) for f in frames)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message
        return _Board(token, error=_reason(exc))
    return _Board(token, shots, duration, fps)


def _load_still(token: int, path: str, time_s: float, box: tuple[int, int], view: _View):
    """The large frame at ``time_s``, blurred and unblurred, in a worker."""
    try:
        raw = preview.video_frame_at(Path(path), time_s, *box)
    except Exception as exc:  # noqa: BLE001
        return token, None, _reason(exc)
    return token, _render(raw, time_s, -1, view, revealable=True), None


def _rerender(token: int, thumbs: tuple[_Shot, ...], large: _Shot | None, view: _View):
    """Re-veil what is on screen after the page changed blur or grayscale."""
    new_thumbs = tuple(_render(s.raw, s.time_s, s.index, view, revealable=False) for s in thumbs)
    new_large = _render(large.raw, large.time_s, large.index, view, revealable=True) if large else None
    return token, new_thumbs, new_large


# ------------------------------------------------------------- the decoder
class _Decoder(QObject):
    """Owns one sequential reader of one file; lives on the playback thread.

    ``request(rid, time_s, blur, gray)`` answers with exactly one of
    ``frame_ready`` (``shot`` is None when the frame on screen is still the
    right one), ``ended`` or ``failed``, each carrying the decoder's
    generation and the request id so the view can ignore stale answers.
    """

    frame_ready = Signal(int, int, object)  # generation, request id, _Shot | None
    ended = Signal(int, int)
    failed = Signal(int, int, str)

    def __init__(self, generation: int, path: str, box: tuple[int, int]):
        super().__init__()
        self._generation = generation
        self._path = Path(path)
        self._box = box
        self._frames: Iterator[preview.Frame] | None = None
        self._current: preview.Frame | None = None
        self._next: preview.Frame | None = None
        self._delivered: tuple[int, float, _View] | None = None

    def _open_at(self, time_s: float) -> None:
        self.close_source()
        self._frames = preview.iter_frames(self._path, *self._box, start_s=time_s)
        self._current = next(self._frames, None)
        self._next = next(self._frames, None) if self._current is not None else None

    def _frame_at(self, time_s: float) -> preview.Frame | None:
        current = self._current
        if current is None or time_s < current.time_s - BACK_TOLERANCE_S or time_s - current.time_s > RESEEK_AHEAD_S:
            self._open_at(time_s)
            return self._current
        while self._next is not None and self._next.time_s <= time_s + 1e-6:
            self._current = self._next  # read forward; frames we are late for are dropped
            self._next = next(self._frames, None)
        if self._next is None and time_s - self._current.time_s > RESEEK_AHEAD_S:
            return None  # the file ended before its header said it would
        return self._current

    @Slot(int, float, int, bool)
    def request(self, rid: int, time_s: float, blur: int, gray: bool) -> None:
        try:
            frame = self._frame_at(time_s)
            if frame is None:
                self.ended.emit(self._generation, rid)
                return
            view = (blur, gray)
            key = (frame.index, frame.time_s, view)
            if key == self._delivered:
                self.frame_ready.emit(self._generation, rid, None)
                return
            shot = _render(frame.image, frame.time_s, frame.index, view, revealable=True)
            self._delivered = key
        except Exception as exc:  # noqa: BLE001 - reported, playback stops
            self.close_source()
            self.failed.emit(self._generation, rid, _reason(exc))
            return
        self.frame_ready.emit(self._generation, rid, shot)

    def close_source(self) -> None:
        """Release the capture (the generator's ``with`` block). Idempotent."""
        frames, self._frames = self._frames, None
        self._current = self._next = None
        self._delivered = None
        if frames is not None:
            try:
                frames.close()
            except Exception:
                log.debug("closing the video reader failed", exc_info=True)

    @Slot()
    def shutdown(self) -> None:
        """Last call on the playback thread: release, hand self back, end the loop."""
        self.close_source()
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        QThread.currentThread().quit()


class _Playback:
    """The playback thread and its decoder; outlives the widget long enough to stop them.

    A plain Python object so the widget's ``destroyed`` signal can still
    reach it after the widget's C++ side is gone.
    """

    def __init__(self) -> None:
        self.thread: QThread | None = None
        self.decoder: _Decoder | None = None

    def start(self, decoder: _Decoder) -> None:
        thread = QThread()
        thread.setObjectName("veil-video-playback")
        decoder.moveToThread(thread)
        self.thread, self.decoder = thread, decoder
        thread.start()

    def shutdown(self, *_: object) -> None:
        thread, decoder = self.thread, self.decoder
        self.thread = self.decoder = None
        if thread is None or decoder is None:
            return
        if thread.isRunning():
            QMetaObject.invokeMethod(decoder, "shutdown", Qt.ConnectionType.QueuedConnection)
            if not thread.wait(5000):
                log.warning("video playback thread did not stop in 5 s; asking it to quit")
                thread.quit()
                thread.wait(2000)
        decoder.close_source()  # no-op if the thread did it; safe now the thread has ended


# ----------------------------------------------------------------- widgets
def _paint_fitted(painter: QPainter, image: QImage, area: QRectF) -> QRectF:
    """Draw ``image`` as large as fits in ``area``, centred, aspect kept."""
    if image.isNull() or area.width() <= 0 or area.height() <= 0:
        return QRectF()
    scale = min(area.width() / image.width(), area.height() / image.height())
    w, h = image.width() * scale, image.height() * scale
    target = QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    painter.drawImage(target, image)
    return target


class _Thumb(QWidget):
    """One blurred keyframe with its timestamp; click selects, double-click opens."""

    clicked = Signal(int)
    activated = Signal(int)

    def __init__(self, index: int, shot: _Shot, parent: QWidget | None = None):
        super().__init__(parent)
        self.index = index
        self.time_text = format_time(shot.time_s)
        self._image = shot.veiled
        self._selected = False
        self.setObjectName("videoThumb")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMinimumSize(96, 54)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(f"Keyframe {index + 1} at {self.time_text}")
        self.setToolTip(f"{self.time_text} — Enter or double-click to open (blurred)")

    def image(self) -> QImage:
        return self._image

    def set_image(self, image: QImage) -> None:
        self._image = image
        self.update()

    def selected(self) -> bool:
        return self._selected

    def set_selected(self, selected: bool) -> None:
        if selected != self._selected:
            self._selected = selected
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(192, 108)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        outer = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(COLORS["sunken"]))
        painter.drawRoundedRect(outer, 4, 4)
        picture = _paint_fitted(painter, self._image, outer.adjusted(3, 3, -3, -3))
        # Timestamp, bottom right, on a soft dark chip.
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        text_w = metrics.horizontalAdvance(self.time_text) + 10
        text_h = metrics.height() + 2
        anchor = picture if not picture.isEmpty() else outer
        chip = QRectF(anchor.right() - text_w - 4, anchor.bottom() - text_h - 4, text_w, text_h)
        painter.setBrush(QColor(26, 28, 31, 190))
        painter.drawRoundedRect(chip, 3, 3)
        painter.setPen(QColor(COLORS["text"]))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, self.time_text)
        border = QColor(COLORS["accent"] if self._selected else COLORS["border"])
        painter.setPen(QPen(border, 2 if self._selected else 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(outer, 4, 4)
        painter.end()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.index)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.activated.emit(self.index)


class _Canvas(QWidget):
    """The large frame (still or playing), letterboxed on a dark surface."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("videoCanvas")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 90)
        self._image: QImage | None = None

    def image(self) -> QImage | None:
        return self._image

    def set_image(self, image: QImage | None) -> None:
        self._image = image
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(COLORS["sunken"]))
        if self._image is not None:
            _paint_fitted(painter, self._image, QRectF(self.rect()))
        painter.end()


def _tool_button(text: str, tip: str, name: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setObjectName(name)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the view (and Space with the page)
    button.setAutoRaise(True)
    return button


# -------------------------------------------------------------- the view
_EMPTY, _LOADING, _ERROR, _GRID, _FRAME = "empty", "loading", "error", "grid", "frame"


class VideoView(QWidget):
    """Storyboard, large frame and on-request muted playback of one video or animation.

    ``runner`` runs the storyboard and still frames (``submit(fn, *args,
    on_done=, on_error=)``, see :class:`ui.tasks.TaskRunner`; one is created
    when None).  ``view`` is a :class:`ViewState` or a callable returning
    the page's current one; it is read on the GUI thread whenever something
    is rendered.  Call :meth:`refresh_view` after the page changes it.
    """

    playing_changed = Signal(bool)
    """True when playback starts, False when it stops for any reason (ledger: video play time)."""
    error = Signal(str)
    """The file cannot be shown; the reason, as also shown in the placeholder."""
    storyboard_ready = Signal(int)
    """The blurred grid is on screen, with this many keyframes."""
    frame_shown = Signal(float)
    """A new large frame (still or playing) is on screen; its time in seconds."""
    position_changed = Signal(float)

    _request_frame = Signal(int, float, int, bool)

    def __init__(self, runner=None, view: ViewSource | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        if runner is None:
            from ui.tasks import TaskRunner

            runner = TaskRunner(self, name="veil-video-view")
        self._runner = runner
        self._view: ViewSource = view if view is not None else ViewState()
        self.setObjectName("videoView")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self._mode = _EMPTY
        self._path: str | None = None
        self._token = 0  # bumps on show/clear: stale worker results are dropped
        self._still_token = 0
        self._view_token = 0
        self._shots: tuple[_Shot, ...] = ()
        self._thumbs: list[_Thumb] = []
        self._selected = 0
        self._duration = 0.0
        self._fps = 0.0
        self._position = 0.0
        self._large: _Shot | None = None  # the frame on the canvas, both renderings
        self._revealed = False

        self._playing = False
        self._speed_index = 0
        self._anchor = 0.0
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._playback = _Playback()
        self._generation = 0
        self._request_id = 0
        self._awaiting: int | None = None
        self._first_valid_rid = 0  # answers to requests older than the last play/skip are stale
        self.dropped_ticks = 0
        # Join the playback thread even if the widget is deleted without clear().
        self.destroyed.connect(self._playback.shutdown)

        self._build()
        self._show_mode(_EMPTY)

    # ----------------------------------------------------------------- layout
    def _build(self) -> None:
        self._message = QLabel()
        self._message.setObjectName("emptyState")
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setTextFormat(Qt.TextFormat.PlainText)

        self._grid_page = QWidget()
        self._grid_page.setObjectName("videoStoryboard")
        self._grid = QGridLayout(self._grid_page)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(6)

        self._canvas = _Canvas()

        self._stack = QStackedWidget()
        self._stack.setObjectName("videoStack")
        for page in (self._message, self._grid_page, self._canvas):
            self._stack.addWidget(page)

        bar = QWidget()
        bar.setObjectName("videoControls")
        row = QHBoxLayout(bar)
        row.setContentsMargins(4, 4, 8, 2)
        row.setSpacing(4)
        self._grid_button = _tool_button("Storyboard", "Back to the storyboard (Esc or Backspace)", "videoGridButton")
        self._play_button = _tool_button("Play", "Play, muted (P)", "videoPlayButton")
        self._back_button = _tool_button("−5 s", "Back 5 seconds (← or J)", "videoBackButton")
        self._forward_button = _tool_button("+5 s", "Forward 5 seconds (→ or L)", "videoForwardButton")
        self._speed_button = _tool_button("1×", "Speed: 1×, 1.5×, 2× (] faster, [ slower)", "videoSpeedButton")
        self._position_label = QLabel("0:00 / 0:00")
        self._position_label.setObjectName("videoPosition")
        self._position_label.setToolTip("Position / duration")
        self._note = QLabel()
        self._note.setObjectName("hint")
        self._muted = QLabel("Muted")
        self._muted.setObjectName("videoMuted")
        self._muted.setToolTip("Veil never plays sound: video is always muted")
        self._muted.setAccessibleName("Muted: Veil never plays sound")
        self._muted.setStyleSheet(f"color: {COLORS['muted']};")
        self._grid_button.clicked.connect(self.back_to_grid)
        self._play_button.clicked.connect(self.toggle_play)
        self._back_button.clicked.connect(lambda: self.skip(-SKIP_SECONDS))
        self._forward_button.clicked.connect(lambda: self.skip(SKIP_SECONDS))
        self._speed_button.clicked.connect(self._cycle_speed)
        for widget in (self._grid_button, self._play_button, self._back_button, self._forward_button,
                       self._speed_button, self._position_label):
            row.addWidget(widget)
        row.addSpacing(8)
        row.addWidget(self._note, 1)
        row.addWidget(self._muted)
        self._controls = bar

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._stack, 1)
        layout.addWidget(bar)

    def _show_mode(self, mode: str) -> None:
        self._mode = mode
        page = {_EMPTY: self._message, _LOADING: self._message, _ERROR: self._message,
                _GRID: self._grid_page, _FRAME: self._canvas}[mode]
        self._stack.setCurrentWidget(page)
        self._controls.setVisible(mode in (_GRID, _FRAME))
        self._update_controls()

    def _update_controls(self) -> None:
        playable = self._mode in (_GRID, _FRAME) and self._duration > 0
        self._play_button.setEnabled(playable)
        self._back_button.setEnabled(playable)
        self._forward_button.setEnabled(playable)
        self._speed_button.setEnabled(playable)
        self._grid_button.setEnabled(self._mode == _FRAME)
        self._play_button.setText("Pause" if self._playing else "Play")
        self._play_button.setToolTip("Pause (P or K)" if self._playing else "Play, muted (P)")
        self._speed_button.setText(_speed_text(self.speed()))
        self._position_label.setText(f"{format_time(self._position)} / {format_time(self._duration)}")

    # ---------------------------------------------------------------- queries
    def mode(self) -> str:
        """``"empty"``, ``"loading"``, ``"error"``, ``"grid"`` or ``"frame"``."""
        return self._mode

    def path(self) -> str | None:
        return self._path

    def is_playing(self) -> bool:
        return self._playing

    def duration(self) -> float:
        return self._duration

    def position(self) -> float:
        """Seconds: the playing clock while playing, else the frame on screen (or asked for)."""
        return self._clock_position() if self._playing else self._position

    def speed(self) -> float:
        return SPEEDS[self._speed_index]

    def frame_interval_ms(self) -> int:
        """The playback tick: one frame period at the current speed."""
        fps = self._fps if self._fps > 0 else FALLBACK_FPS
        return max(MIN_INTERVAL_MS, round(1000.0 / (fps * self.speed())))

    def selected_index(self) -> int:
        return self._selected

    def thumbnail_count(self) -> int:
        return len(self._thumbs)

    def thumbnail_images(self) -> list[QImage]:
        """What the grid paints (always blurred)."""
        return [thumb.image() for thumb in self._thumbs]

    def thumbnail_times(self) -> list[str]:
        return [thumb.time_text for thumb in self._thumbs]

    def displayed_image(self) -> QImage | None:
        """What the large view paints now (None outside the large view)."""
        return self._canvas.image() if self._mode == _FRAME else None

    def is_revealing(self) -> bool:
        """True while an unblurred frame is actually on screen (for the exposure ledger)."""
        return (
            self._mode == _FRAME
            and self._revealed
            and self._large is not None
            and self._canvas.image() is self._large.revealed
        )

    def message(self) -> str:
        return self._message.text()

    def note(self) -> str:
        return self._note.text()

    # --------------------------------------------------------------- loading
    def show_video(self, path: str | os.PathLike, count: int = STORYBOARD_COUNT) -> None:
        """Start preparing ``path``'s storyboard; never starts playback."""
        self.clear()
        self._path = os.fspath(path)
        self._message.setText("Preparing storyboard…")
        self._show_mode(_LOADING)
        self._runner.submit(
            _load_board, self._token, self._path, count, _view_values(self._view),
            on_done=self._on_board, on_error=self._on_task_error,
        )

    def _on_board(self, board: _Board) -> None:
        if board.token != self._token:
            return
        if board.error is not None:
            self._show_error(board.error)
            return
        self._shots = board.shots
        self._duration = board.duration_s
        self._fps = board.fps
        self._position = 0.0
        self._selected = 0
        for index, shot in enumerate(board.shots):
            thumb = _Thumb(index, shot)
            thumb.clicked.connect(self._on_thumb_clicked)
            thumb.activated.connect(self._on_thumb_activated)
            self._grid.addWidget(thumb, index // 3, index % 3)
            self._thumbs.append(thumb)
        self._mark_selected()
        self._show_mode(_GRID)
        self.storyboard_ready.emit(len(self._thumbs))

    def _on_task_error(self, exc: BaseException) -> None:
        # The worker functions catch their own errors; this is a programming error.
        log.error("video view task failed", exc_info=(type(exc), exc, exc.__traceback__))

    def _show_error(self, reason: str) -> None:
        self._message.setText(
            f"This video cannot be shown: {reason}\n\nYou can still decide or escalate this item."
        )
        self._show_mode(_ERROR)
        self.error.emit(reason)

    def clear(self) -> None:
        """Stop playback, join the playback thread, drop every frame; show nothing."""
        self._stop_playing()
        self._stop_decoder()
        self._token += 1
        self._still_token += 1
        self._view_token += 1
        for thumb in self._thumbs:
            self._grid.removeWidget(thumb)
            thumb.deleteLater()
        self._thumbs = []
        self._shots = ()
        self._large = None
        self._canvas.set_image(None)
        self._path = None
        self._duration = self._fps = self._position = 0.0
        self._selected = 0
        self._speed_index = 0
        self._revealed = False  # a new item never starts revealed
        self._note.clear()
        self._message.clear()
        self._show_mode(_EMPTY)

    # ------------------------------------------------------------ grid & frame
    def select(self, index: int) -> None:
        if not self._thumbs:
            return
        self._selected = max(0, min(len(self._thumbs) - 1, index))
        self._mark_selected()

    def _mark_selected(self) -> None:
        for thumb in self._thumbs:
            thumb.set_selected(thumb.index == self._selected)

    def _on_thumb_clicked(self, index: int) -> None:
        self.select(index)
        self.setFocus(Qt.FocusReason.MouseFocusReason)

    def _on_thumb_activated(self, index: int) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.open_frame(index)

    def open_frame(self, index: int | None = None) -> None:
        """Show keyframe ``index`` (default: the selected one) large, blurred."""
        if not self._shots:
            return
        self.select(self._selected if index is None else index)
        shot = self._shots[self._selected]
        self._enter_frame(shot.time_s, placeholder=shot.veiled)

    def _enter_frame(self, time_s: float, placeholder: QImage | None = None, *, still: bool = True) -> None:
        if self._mode != _FRAME or placeholder is not None:
            # Until the large frame arrives, the (blurred) thumbnail stands in.
            self._large = None
            self._canvas.set_image(placeholder)
        self._show_mode(_FRAME)
        self._set_position(time_s)
        if still:
            self._request_still(time_s)

    def back_to_grid(self) -> None:
        """Pause and return to the storyboard; the large frame is dropped from memory."""
        if self._mode != _FRAME:
            return
        self.pause()
        self._still_token += 1
        self._large = None
        self._canvas.set_image(None)
        if self._shots:
            nearest = min(range(len(self._shots)), key=lambda i: abs(self._shots[i].time_s - self._position))
            self.select(nearest)
        self._show_mode(_GRID)

    def _large_box(self) -> tuple[int, int]:
        ratio = max(1.0, self.devicePixelRatioF())
        width = int(self._stack.width() * ratio)
        height = int(self._stack.height() * ratio)
        return (
            max(LARGE_BOX_MIN[0], min(LARGE_BOX_MAX[0], width)),
            max(LARGE_BOX_MIN[1], min(LARGE_BOX_MAX[1], height)),
        )

    def _request_still(self, time_s: float) -> None:
        self._still_token += 1
        self._runner.submit(
            _load_still, self._still_token, self._path, time_s, self._large_box(), _view_values(self._view),
            on_done=self._on_still, on_error=self._on_task_error,
        )

    def _on_still(self, result) -> None:
        token, shot, reason = result
        if token != self._still_token or self._mode != _FRAME or self._playing:
            return
        if shot is None:
            self._note.setText(f"This frame cannot be shown: {reason}")
            return
        self._note.clear()
        self._show_shot(shot)

    def _show_shot(self, shot: _Shot) -> None:
        self._large = shot
        self._paint_large()
        self.frame_shown.emit(shot.time_s)

    def _paint_large(self) -> None:
        shot = self._large
        if shot is None:
            return
        show_revealed = self._revealed and shot.revealed is not None
        self._canvas.set_image(shot.revealed if show_revealed else shot.veiled)

    # ---------------------------------------------------------------- reveal
    def set_revealed(self, revealed: bool) -> None:
        """While True, the large / playing frame is shown unblurred; False re-veils at once."""
        self._revealed = bool(revealed)
        if self._mode == _FRAME:
            self._paint_large()

    def revealed(self) -> bool:
        return self._revealed

    def set_view(self, view: ViewSource) -> None:
        self._view = view
        self.refresh_view()

    def refresh_view(self) -> None:
        """Re-veil the thumbnails and the large frame with the view's current values (in a worker)."""
        if not self._shots:
            return
        self._view_token += 1
        large = self._large if not self._playing else None
        if large is None and self._mode == _FRAME and not self._playing:
            self._request_still(self._position)  # the one on its way has the old view
        self._runner.submit(
            _rerender, self._view_token, self._shots, large, _view_values(self._view),
            on_done=self._on_rerendered, on_error=self._on_task_error,
        )

    def _on_rerendered(self, result) -> None:
        token, thumbs, large = result
        if token != self._view_token or not self._thumbs:
            return
        self._shots = thumbs
        for thumb, shot in zip(self._thumbs, thumbs):
            thumb.set_image(shot.veiled)
        current = self._large
        if large is not None and current is not None and not self._playing and self._mode == _FRAME \
                and large.time_s == current.time_s:
            self._large = large
            self._paint_large()

    # -------------------------------------------------------------- playback
    def play(self) -> None:
        """Start muted playback (from the selected keyframe in the grid). Only ever on request."""
        if self._playing or self._mode not in (_GRID, _FRAME) or self._duration <= 0 or not self._path:
            return
        if self._mode == _GRID:
            shot = self._shots[self._selected]
            self._enter_frame(shot.time_s, placeholder=shot.veiled, still=False)
        start = self._position if self._position < self._duration - 1e-3 else 0.0
        self._still_token += 1  # a still on its way would only flicker
        self._ensure_decoder()
        self._set_position(start)
        self._anchor = start
        self._clock.start()
        self._playing = True
        self._first_valid_rid = self._request_id + 1
        self._note.clear()
        self._timer.start(self.frame_interval_ms())
        self._update_controls()
        self.playing_changed.emit(True)
        self._tick()

    def pause(self) -> None:
        """Stop at the frame on screen; the decoder stays open for a quick resume."""
        if not self._playing:
            return
        self._stop_playing()
        if self._large is not None:
            self._set_position(self._large.time_s)

    def toggle_play(self) -> None:
        if self._playing:
            self.pause()
        else:
            self.play()

    def set_speed(self, speed: float) -> None:
        index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))
        if self._playing:
            self._anchor = self._clock_position()
            self._clock.restart()
        self._speed_index = index
        if self._playing:
            self._timer.setInterval(self.frame_interval_ms())
        self._update_controls()

    def faster(self) -> None:
        self.set_speed(SPEEDS[min(len(SPEEDS) - 1, self._speed_index + 1)])

    def slower(self) -> None:
        self.set_speed(SPEEDS[max(0, self._speed_index - 1)])

    def _cycle_speed(self) -> None:
        self.set_speed(SPEEDS[(self._speed_index + 1) % len(SPEEDS)])

    def skip(self, seconds: float) -> None:
        """Move by ``seconds``, clamped to [0, duration]; opens the large view if needed."""
        if self._mode not in (_GRID, _FRAME) or self._duration <= 0:
            return
        # In the grid, the selected keyframe is where the reviewer is.
        base = self._shots[self._selected].time_s if self._mode == _GRID and self._shots else self.position()
        target = max(0.0, min(self._duration, base + seconds))
        if self._playing:
            self._anchor = target
            self._clock.restart()
            self._first_valid_rid = self._request_id + 1
            self._set_position(target)
            self._tick()
        elif self._mode == _GRID:
            self._enter_frame(target, placeholder=self._nearest_thumb_image(target))
        else:
            self._enter_frame(target)

    def _nearest_thumb_image(self, time_s: float) -> QImage | None:
        if not self._shots:
            return None
        return min(self._shots, key=lambda s: abs(s.time_s - time_s)).veiled

    def _clock_position(self) -> float:
        elapsed = self._clock.elapsed() / 1000.0 if self._clock.isValid() else 0.0
        return min(self._duration, self._anchor + elapsed * self.speed())

    def _set_position(self, seconds: float) -> None:
        self._position = seconds
        self._update_controls()
        self.position_changed.emit(seconds)

    def _ensure_decoder(self) -> None:
        if self._playback.decoder is not None:
            return
        self._generation += 1
        self._awaiting = None
        decoder = _Decoder(self._generation, self._path, self._large_box())
        decoder.frame_ready.connect(self._on_decoded)
        decoder.ended.connect(self._on_decoder_ended)
        decoder.failed.connect(self._on_decoder_failed)
        self._request_frame.connect(decoder.request)
        self._playback.start(decoder)

    def _stop_decoder(self) -> None:
        decoder = self._playback.decoder
        if decoder is None:
            return
        self._generation += 1  # anything still queued from it is stale
        self._awaiting = None
        try:
            self._request_frame.disconnect(decoder.request)
        except (RuntimeError, TypeError):
            pass
        self._playback.shutdown()

    def _tick(self) -> None:
        if not self._playing:
            return
        now = self._clock_position()
        if now >= self._duration:
            self._finish()
            return
        if self._awaiting is not None:
            self.dropped_ticks += 1  # the decoder is busy: drop this tick rather than queue lag
            return
        self._request_id += 1
        self._awaiting = self._request_id
        blur, gray = _view_values(self._view)
        self._request_frame.emit(self._request_id, now, blur, gray)

    def _answered(self, generation: int, rid: int) -> bool:
        if generation != self._generation:
            return False
        if rid == self._awaiting:
            self._awaiting = None
        return self._playing and rid >= self._first_valid_rid

    @Slot(int, int, object)
    def _on_decoded(self, generation: int, rid: int, shot: _Shot | None) -> None:
        if not self._answered(generation, rid) or shot is None or self._mode != _FRAME:
            return
        self._show_shot(shot)
        self._position = shot.time_s
        self._update_controls()
        self.position_changed.emit(shot.time_s)

    @Slot(int, int)
    def _on_decoder_ended(self, generation: int, rid: int) -> None:
        if self._answered(generation, rid):
            self._finish()

    @Slot(int, int, str)
    def _on_decoder_failed(self, generation: int, rid: int, reason: str) -> None:
        if not self._answered(generation, rid):
            return
        self.pause()
        self._stop_decoder()
        self._note.setText(f"Playback stopped: {reason}")

    def _finish(self) -> None:
        """Reached the end: stop, position at the end; P plays again from the start."""
        self._stop_playing()
        self._set_position(self._duration)

    def _stop_playing(self) -> None:
        self._timer.stop()
        if self._playing:
            self._playing = False
            self._update_controls()
            self.playing_changed.emit(False)

    # ------------------------------------------------------------------- keys
    def _key_action(self, event: QKeyEvent) -> Callable[[], None] | None:
        """What a key does here and now, or None to let the page have it."""
        key = event.key()
        if key in (Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight):
            allowed = True  # some layouts need AltGr (Ctrl+Alt) for brackets
        else:
            mods = event.modifiers() & ~(Qt.KeyboardModifier.KeypadModifier | Qt.KeyboardModifier.ShiftModifier)
            allowed = mods == Qt.KeyboardModifier.NoModifier
        if not allowed:
            return None
        loaded = self._mode in (_GRID, _FRAME)
        playable = loaded and self._duration > 0
        grid, frame = self._mode == _GRID, self._mode == _FRAME
        back, forward = (lambda: self.skip(-SKIP_SECONDS)), (lambda: self.skip(SKIP_SECONDS))
        actions: dict[int, tuple[bool, Callable[[], None]]] = {
            Qt.Key.Key_P: (playable, self.toggle_play),
            Qt.Key.Key_K: (self._playing, self.pause),
            Qt.Key.Key_BracketRight: (playable, self.faster),
            Qt.Key.Key_BracketLeft: (playable, self.slower),
            Qt.Key.Key_J: (playable, back),
            Qt.Key.Key_L: (playable, forward),
            Qt.Key.Key_Left: (grid or (frame and playable), (lambda: self.select(self._selected - 1)) if grid else back),
            Qt.Key.Key_Right: (grid or (frame and playable), (lambda: self.select(self._selected + 1)) if grid else forward),
            Qt.Key.Key_Up: (grid, lambda: self.select(self._selected - 3)),
            Qt.Key.Key_Down: (grid, lambda: self.select(self._selected + 3)),
            Qt.Key.Key_Return: (grid, self.open_frame),
            Qt.Key.Key_Enter: (grid, self.open_frame),
            Qt.Key.Key_Escape: (frame, self.back_to_grid),
            Qt.Key.Key_Backspace: (frame, self.back_to_grid),
        }
        applicable, action = actions.get(key, (False, None))
        return action if applicable else None

    def event(self, event: QEvent) -> bool:
        # Our keys win over page-wide shortcuts while we have focus.
        if event.type() == QEvent.Type.ShortcutOverride and self._key_action(event) is not None:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        action = self._key_action(event)
        if action is None:
            event.ignore()  # Space (reveal), number keys, letters: the page's
            return
        action()
        event.accept()

    def hideEvent(self, event) -> None:
        # Nobody watches a hidden (or minimised) video: stop it, and the ledger with it. Nobody
        # holds a key over it either: shown again, it is veiled until the reveal key is pressed anew.
        self.pause()
        self.set_revealed(False)
        super().hideEvent(event)

    def sizeHint(self) -> QSize:
        return QSize(640, 420)


def _speed_text(speed: float) -> str:
    return f"{speed:g}×"
