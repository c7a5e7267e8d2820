"""VideoView: the widget that shows one video or animation as a storyboard, a large frame, or muted playback.

The package docstring (:mod:`ui.item.video`) tells what a reviewer sees,
which thread does what, and the keys. This module turns keys, clicks and
worker answers into what is on screen — the storyboard, the large frame and
its reveal (held key: whole; a dragged rectangle: that region, the canvas
being the picture widget); reading frames is :mod:`ui.item.video.frames`'
job, playing :mod:`ui.item.video.transport`'s and the playback thread
:mod:`ui.item.video.playback`'s.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from ui.item.video.frames import (
    Board,
    Shot,
    ViewSource,
    ViewState,
    load_board,
    load_still,
    rerender,
    view_values,
)
from ui.item.video.keys import SKIP_SECONDS, key_action
from ui.item.video.parts import Canvas, ControlBar, StoryboardGrid, large_box
from ui.item.video.playback import PlaybackClock, Player
from ui.item.video.transport import FRAME as _FRAME
from ui.item.video.transport import GRID as _GRID
from ui.item.video.transport import Playback
from ui.operations import Operations

log = logging.getLogger(__name__)

__all__ = ["VideoView"]

STORYBOARD_COUNT = 9

_EMPTY, _LOADING, _ERROR = "empty", "loading", "error"


class VideoView(Playback, QWidget):
    """Storyboard, large frame and on-request muted playback of one video or animation.

    ``ops`` reads the storyboard and still frames off the GUI thread
    (``Operations.query``: each worker opens the item's media with its own
    reader connection, a file or a server store's blob, decoded in memory),
    re-veils on its pool (``Operations.run``) and gives playback its own
    reader connection (``ops.store.second_connection``); the view never
    makes a pool of its own.  ``view`` is a :class:`ViewState` or a callable returning
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
    reveal_changed = Signal(object)
    """What of the large frame is revealed changed: "whole", "region" or None."""

    def __init__(self, ops: Operations, view: ViewSource | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._ops = ops
        self._view: ViewSource = view if view is not None else ViewState()
        self.setObjectName("videoView")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self._mode = _EMPTY
        self._path: str | None = None
        self._token = 0  # bumps on show/clear: stale worker results are dropped
        self._still_token = 0
        self._view_token = 0
        self._duration = 0.0
        self._fps = 0.0
        self._position = 0.0
        self._large: Shot | None = None  # the frame on the canvas, both renderings
        self._revealed = False

        self._playing = False
        self._clock = PlaybackClock()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._player = Player(self.is_playing, self)
        self._player.frame.connect(self._on_decoded)
        self._player.ended.connect(self._finish)
        self._player.failed.connect(self._on_decoder_failed)
        # Join the playback thread even if the widget is deleted without clear().
        self.destroyed.connect(self._player.playback.shutdown)

        self._build()
        self._show_mode(_EMPTY)

    # ----------------------------------------------------------------- layout
    def _build(self) -> None:
        self._message = QLabel()
        self._message.setObjectName("emptyState")
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setTextFormat(Qt.TextFormat.PlainText)

        self._grid = StoryboardGrid()
        self._grid.clicked.connect(self._on_thumb_clicked)
        self._grid.activated.connect(self._on_thumb_activated)

        self._canvas = Canvas()
        self._canvas.reveal_changed.connect(self.reveal_changed)

        self._stack = QStackedWidget()
        self._stack.setObjectName("videoStack")
        for page in (self._message, self._grid, self._canvas):
            self._stack.addWidget(page)

        self._controls = ControlBar()
        self._controls.grid_button.clicked.connect(self.back_to_grid)
        self._controls.play_button.clicked.connect(self.toggle_play)
        self._controls.back_button.clicked.connect(lambda: self.skip(-SKIP_SECONDS))
        self._controls.forward_button.clicked.connect(lambda: self.skip(SKIP_SECONDS))
        self._controls.speed_button.clicked.connect(self._cycle_speed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self._controls)

    def _show_mode(self, mode: str) -> None:
        self._mode = mode
        page = {_EMPTY: self._message, _LOADING: self._message, _ERROR: self._message,
                _GRID: self._grid, _FRAME: self._canvas}[mode]
        self._stack.setCurrentWidget(page)
        self._controls.setVisible(mode in (_GRID, _FRAME))
        self._update_controls()

    def _update_controls(self) -> None:
        self._controls.show_state(
            playable=self._mode in (_GRID, _FRAME) and self._duration > 0, in_frame=self._mode == _FRAME,
            playing=self._playing, speed=self.speed(), position=self._position, duration=self._duration,
        )

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
        return self._clock.position(self._duration) if self._playing else self._position

    def speed(self) -> float:
        return self._clock.speed

    def frame_interval_ms(self) -> int:
        """The playback tick: one frame period at the current speed."""
        return self._clock.interval_ms(self._fps)

    def selected_index(self) -> int:
        return self._grid.selected

    def thumbnail_count(self) -> int:
        return len(self._grid.thumbs)

    def thumbnail_images(self) -> list[QImage]:
        """What the grid paints (always blurred)."""
        return [thumb.image() for thumb in self._grid.thumbs]

    def thumbnail_times(self) -> list[str]:
        return [thumb.time_text for thumb in self._grid.thumbs]

    def displayed_image(self) -> QImage | None:
        """What the large view paints now (None outside the large view)."""
        return self._canvas.image() if self._mode == _FRAME else None

    def is_revealing(self) -> bool:
        """True while the whole frame is shown unblurred (for the exposure ledger; a region: :meth:`reveal_state`)."""
        return self.reveal_state() == "whole"

    def message(self) -> str:
        return self._message.text()

    def note(self) -> str:
        return self._controls.note.text()

    # --------------------------------------------------------------- loading
    def show_video(self, path: str | os.PathLike, count: int = STORYBOARD_COUNT) -> None:
        """Start preparing the storyboard of ``path`` (an item's ``media_path``); never starts playback."""
        self.clear()
        self._path = media_path = os.fspath(path)
        self._message.setText("Preparing storyboard…")
        self._show_mode(_LOADING)
        token, values = self._token, view_values(self._view)
        self._ops.query(
            lambda reader: load_board(reader, token, media_path, count, values),
            on_done=self._on_board, on_error=self._on_task_error, owner=self,
        )

    def _on_board(self, board: Board) -> None:
        if board.token != self._token:
            return
        if board.error is not None:
            self._show_error(board.error)
            return
        self._duration = board.duration_s
        self._fps = board.fps
        self._position = 0.0
        self._grid.fill(board.shots)
        self._show_mode(_GRID)
        self.storyboard_ready.emit(len(self._grid.thumbs))

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
        self._player.stop()
        self._token += 1
        self._still_token += 1
        self._view_token += 1
        self._grid.clear()
        self._large = None
        self._canvas.clear()
        self._path = None
        self._duration = self._fps = self._position = 0.0
        self._clock.speed_index = 0
        self._revealed = False  # a new item never starts revealed
        self._controls.note.clear()
        self._message.clear()
        self._show_mode(_EMPTY)

    # ------------------------------------------------------------ grid & frame
    def select(self, index: int) -> None:
        self._grid.select(index)

    def _on_thumb_clicked(self, index: int) -> None:
        self.select(index)
        self.setFocus(Qt.FocusReason.MouseFocusReason)

    def _on_thumb_activated(self, index: int) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.open_frame(index)

    def open_frame(self, index: int | None = None) -> None:
        """Show keyframe ``index`` (default: the selected one) large, blurred."""
        if not self._grid.shots:
            return
        self.select(self._grid.selected if index is None else index)
        shot = self._grid.selected_shot()
        self._enter_frame(shot.time_s, placeholder=shot.veiled)

    def _enter_frame(self, time_s: float, placeholder: QImage | None = None, *, still: bool = True) -> None:
        if self._mode != _FRAME or placeholder is not None:
            # Until the large frame arrives, the (blurred) thumbnail stands in: a new view, nothing revealed.
            self._large = None
            if placeholder is not None:
                self._canvas.show_images(placeholder, None)
            else:
                self._canvas.clear()
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
        self._canvas.clear()  # ends a revealed region too
        if self._grid.shots:
            self.select(self._grid.nearest(self._position))
        self._show_mode(_GRID)

    def _large_box(self) -> tuple[int, int]:
        """The large frame's size in device pixels: the view's, within sane bounds."""
        return large_box(self._stack.width(), self._stack.height(), self.devicePixelRatioF())

    def _request_still(self, time_s: float) -> None:
        self._still_token += 1
        token, media_path, box, values = self._still_token, self._path, self._large_box(), view_values(self._view)
        if media_path is None:
            return
        self._ops.query(
            lambda reader: load_still(reader, token, media_path, time_s, box, values),
            on_done=self._on_still, on_error=self._on_task_error, owner=self,
        )

    def _on_still(self, result) -> None:
        token, shot, reason = result
        if token != self._still_token or self._mode != _FRAME or self._playing:
            return
        if shot is None:
            self._controls.note.setText(f"This frame cannot be shown: {reason}")
            return
        self._controls.note.clear()
        self._show_shot(shot)

    def _show_shot(self, shot: Shot) -> None:
        self._large = shot
        self._paint_large()
        self.frame_shown.emit(shot.time_s)

    def _paint_large(self) -> None:
        """The frame on the canvas, keeping a dragged region open; whole while the page holds reveal."""
        shot = self._large
        if shot is None:
            return
        self._canvas.replace_images(shot.veiled, shot.revealed)
        self._canvas.set_whole_reveal(self._revealed)

    # ---------------------------------------------------------------- reveal
    def set_revealed(self, revealed: bool) -> None:
        """While True, the large / playing frame is shown unblurred; False re-veils at once (a region stays)."""
        self._revealed = bool(revealed)
        if self._mode == _FRAME:
            self._canvas.set_whole_reveal(self._revealed)

    def revealed(self) -> bool:
        return self._revealed

    def reveal_state(self) -> str | None:
        """What of the large frame is unblurred on screen: "whole", "region" (dragged open) or None."""
        return self._canvas.reveal_state() if self._mode == _FRAME else None

    def reblur(self) -> None:
        """End every reveal of the large frame at once: the held key's and a dragged region."""
        self.set_revealed(False)
        self._canvas.reblur()

    def refresh_view(self) -> None:
        """Re-veil the thumbnails and the large frame with the view's current values (in a worker)."""
        if not self._grid.shots:
            return
        self._view_token += 1
        large = self._large if not self._playing else None
        if large is None and self._mode == _FRAME and not self._playing:
            self._request_still(self._position)  # the one on its way has the old view
        self._ops.run(
            rerender, self._view_token, self._grid.shots, large, view_values(self._view),
            on_done=self._on_rerendered, on_error=self._on_task_error, owner=self,
        )

    def _on_rerendered(self, result) -> None:
        token, thumbs, large = result
        if token != self._view_token or not self._grid.thumbs:
            return
        self._grid.set_images(thumbs)
        current = self._large
        if large is not None and current is not None and not self._playing and self._mode == _FRAME \
                and large.time_s == current.time_s:
            self._large = large
            self._paint_large()

    # ------------------------------------------------------------------- keys
    def event(self, event: QEvent) -> bool:
        # Our keys win over page-wide shortcuts while we have focus.
        if event.type() == QEvent.Type.ShortcutOverride and key_action(self, event) is not None:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        action = key_action(self, event)
        if action is None:
            event.ignore()  # Space (reveal), number keys, letters: the page's
            return
        action()
        event.accept()

    def hideEvent(self, event) -> None:
        # Nobody watches a hidden (or minimised) video: stop it, and the ledger with it. Nobody
        # holds a key over it either: shown again, it is veiled until the reveal key is pressed anew.
        self.pause()
        self.reblur()
        super().hideEvent(event)

    def sizeHint(self) -> QSize:
        return QSize(640, 420)
