"""Playback's own thread: one sequential decoder per file, and the GUI side's bookkeeping of it.

A dedicated ``QThread`` (rather than the shared pool) keeps playback from
queueing behind the page's background prefetching. The GUI asks for *the
frame at a time* and at most one request is in flight: a tick that finds
the decoder still busy is dropped, so a slow machine shows fewer frames
instead of falling ever further behind. Answers carry the decoder's
generation and the request id, so stale ones are recognised and ignored.

The decoder reads the item's media with a reader connection of its own,
opened on the playback thread when playback starts and closed when it
stops (a connection serves one thread): the file in a file store's media
root, or a server store's blob streamed on demand
(:func:`review.media.source.open_media`), decoded in memory, never written
to disk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QMetaObject, QObject, Qt, QThread, Signal, Slot

from review.media import frames
from review.media.source import Media, open_media
from review.media.video import failure_reason
from review.store import Store
from ui.item.video.frames import ViewValues, render

log = logging.getLogger(__name__)

RESEEK_AHEAD_S = 1.0
"""The decoder reads forward to a wanted time closer than this; further, it seeks."""
BACK_TOLERANCE_S = 0.25
"""A wanted time this little before the current frame keeps the current frame."""
SPEEDS: tuple[float, ...] = (1.0, 1.5, 2.0)
MIN_INTERVAL_MS = 15
"""Never tick faster than ~66 Hz, whatever the frame rate times the speed."""
FALLBACK_FPS = 10.0
"""The tick rate for clips whose header gives no believable frame rate."""


class PlaybackClock:
    """Where playback is by the wall clock: a starting position, the time since, times the speed."""

    def __init__(self) -> None:
        self.speed_index = 0
        self._anchor = 0.0
        self._elapsed = QElapsedTimer()

    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    def start_at(self, position_s: float) -> None:
        """Count from ``position_s``, now."""
        self._anchor = position_s
        self._elapsed.restart()

    def position(self, duration_s: float) -> float:
        """Seconds into the clip now, never past its end."""
        elapsed = self._elapsed.elapsed() / 1000.0 if self._elapsed.isValid() else 0.0
        return min(duration_s, self._anchor + elapsed * self.speed)

    def change_speed(self, index: int, duration_s: float, *, running: bool) -> None:
        """Switch to ``SPEEDS[index]``; a running clock keeps its position across the change."""
        if running:
            self.start_at(self.position(duration_s))
        self.speed_index = index

    def interval_ms(self, fps: float) -> int:
        """The playback tick: one frame period at the current speed."""
        rate = fps if fps > 0 else FALLBACK_FPS
        return max(MIN_INTERVAL_MS, round(1000.0 / (rate * self.speed)))


Connect = Callable[[], Store]
"""Opens a reader connection to the item's store, on the thread that will use it (``Store.second_connection``)."""


class Decoder(QObject):
    """Owns one sequential reader of one item's media (and its reader connection); lives on the playback thread.

    ``request(rid, time_s, blur, gray)`` answers with exactly one of
    ``frame_ready`` (``shot`` is None when the frame on screen is still the
    right one), ``ended`` or ``failed``, each carrying the decoder's
    generation and the request id so the view can ignore stale answers.
    """

    frame_ready = Signal(int, int, object)  # generation, request id, Shot | None
    ended = Signal(int, int)
    failed = Signal(int, int, str)

    def __init__(self, generation: int, media_path: str, box: tuple[int, int], connect: Connect):
        super().__init__()
        self._generation = generation
        self._media_path = media_path
        self._box = box
        self._connect = connect
        self._reader: Store | None = None  # opened on the playback thread, at the first frame asked for
        self._media: Media | None = None
        self._frames: Iterator[frames.Frame] | None = None
        self._current: frames.Frame | None = None
        self._next: frames.Frame | None = None
        self._delivered: tuple[int, float, ViewValues] | None = None

    def _open_at(self, time_s: float) -> None:
        self.close_source()
        if self._reader is None:
            self._reader = self._connect()
        self._media = open_media(self._reader, self._media_path)
        self._frames = frames.iter_frames(self._media, *self._box, start_s=time_s)
        self._current = next(self._frames, None)
        self._next = next(self._frames, None) if self._current is not None else None

    def _frame_at(self, time_s: float) -> frames.Frame | None:
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
            shot = render(frame.image, frame.time_s, frame.index, view, revealable=True)
            self._delivered = key
        except Exception as exc:  # noqa: BLE001 - reported, playback stops
            self.close_source()
            self.failed.emit(self._generation, rid, failure_reason(exc))
            return
        self.frame_ready.emit(self._generation, rid, shot)

    def close_source(self) -> None:
        """Release the capture (the generator's ``with`` block), then the media it read. Idempotent."""
        reader, self._frames = self._frames, None
        media, self._media = self._media, None
        self._current = self._next = None
        self._delivered = None
        for opened in (reader, media):
            if opened is not None:
                try:
                    opened.close()
                except Exception:
                    log.debug("closing the video reader failed", exc_info=True)

    def close(self) -> None:
        """Release the capture and the media, then the reader connection. Idempotent."""
        self.close_source()
        connection, self._reader = self._reader, None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                log.debug("closing the playback's reader connection failed", exc_info=True)

    @Slot()
    def shutdown(self) -> None:
        """Last call on the playback thread: release, hand self back, end the loop."""
        self.close()
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        QThread.currentThread().quit()


class Playback:
    """The playback thread and its decoder; outlives the widget long enough to stop them.

    A plain Python object so the widget's ``destroyed`` signal can still
    reach it after the widget's C++ side is gone.
    """

    def __init__(self) -> None:
        self.thread: QThread | None = None
        self.decoder: Decoder | None = None

    def start(self, decoder: Decoder) -> None:
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
        decoder.close()  # no-op if the thread did it; safe now the thread has ended


class Player(QObject):
    """The GUI thread's handle on playback: starts and stops the decoder, asks for frames, sorts answers.

    Only answers that are current reach the view: ``frame(shot)`` (``None``
    when the frame on screen is still the right one), ``ended()`` or
    ``failed(reason)``. An answer is stale when it comes from a decoder
    since stopped, answers a request older than the last play or skip
    (``first_valid_rid``), or arrives when ``is_playing()`` says playback no
    longer wants it. ``awaiting`` is the request in flight (None when the
    decoder is idle); ``dropped_ticks`` counts ticks skipped because the
    decoder was still busy.
    """

    frame = Signal(object)
    ended = Signal()
    failed = Signal(str)
    _request_frame = Signal(int, float, int, bool)

    def __init__(self, is_playing: Callable[[], bool], parent: QObject | None = None):
        super().__init__(parent)
        self._is_playing = is_playing
        self.playback = Playback()
        self.generation = 0
        self.request_id = 0
        self.awaiting: int | None = None
        self.first_valid_rid = 0
        self.dropped_ticks = 0

    def start(self, media_path: str, box: tuple[int, int], connect: Connect) -> None:
        """Open an item's media (``media_path``, read through a connection *connect* opens) on the playback
        thread, unless a decoder is already running."""
        if self.playback.decoder is not None:
            return
        self.generation += 1
        self.awaiting = None
        decoder = Decoder(self.generation, media_path, box, connect)
        decoder.frame_ready.connect(self._on_frame)
        decoder.ended.connect(self._on_ended)
        decoder.failed.connect(self._on_failed)
        self._request_frame.connect(decoder.request)
        self.playback.start(decoder)

    def stop(self) -> None:
        """Join the playback thread; anything still queued from it becomes stale."""
        decoder = self.playback.decoder
        if decoder is None:
            return
        self.generation += 1
        self.awaiting = None
        try:
            self._request_frame.disconnect(decoder.request)
        except (RuntimeError, TypeError):
            pass
        self.playback.shutdown()

    def restart_requests(self) -> None:
        """From now on, only answers to newer requests count (after a play or a skip)."""
        self.first_valid_rid = self.request_id + 1

    def ask(self, time_s: float, view: ViewValues) -> None:
        """Ask for the frame at ``time_s`` unless one is on its way (then the tick is dropped)."""
        if self.awaiting is not None:
            self.dropped_ticks += 1  # the decoder is busy: drop this tick rather than queue lag
            return
        self.request_id += 1
        self.awaiting = self.request_id
        blur, gray = view
        self._request_frame.emit(self.request_id, time_s, blur, gray)

    def _current(self, generation: int, rid: int) -> bool:
        if generation != self.generation:
            return False
        if rid == self.awaiting:
            self.awaiting = None
        return self._is_playing() and rid >= self.first_valid_rid

    @Slot(int, int, object)
    def _on_frame(self, generation: int, rid: int, shot: object) -> None:
        if self._current(generation, rid):
            self.frame.emit(shot)

    @Slot(int, int)
    def _on_ended(self, generation: int, rid: int) -> None:
        if self._current(generation, rid):
            self.ended.emit()

    @Slot(int, int, str)
    def _on_failed(self, generation: int, rid: int, reason: str) -> None:
        if self._current(generation, rid):
            self.failed.emit(reason)
