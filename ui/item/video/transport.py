"""The video view's playback half: muted playback on request, its clock, speed and skips.

Split from :mod:`ui.item.video.widget` by job: the widget shows the
storyboard, the large frame and the reveal; this mixin plays. It works on
the view's own state (the playback clock, the tick timer, the decoder
thread's :class:`~ui.item.video.playback.Player`, the mode and position),
so :class:`~ui.item.video.widget.VideoView` is one object to the page and
the tests. Nothing here starts by itself: playback begins only when asked
(P, or :meth:`Playback.play`), and it is always muted (OpenCV decodes no
sound).
"""

from __future__ import annotations

from ui.item.video.frames import Shot, view_values
from ui.item.video.playback import SPEEDS

GRID, FRAME = "grid", "frame"  # the view's modes in which something can play


class Playback:
    """Play, pause, speed and skip for :class:`~ui.item.video.widget.VideoView` (mixed into it)."""

    def play(self) -> None:
        """Start muted playback (from the selected keyframe in the grid). Only ever on request."""
        if self._playing or self._mode not in (GRID, FRAME) or self._duration <= 0 or not self._path:
            return
        if self._mode == GRID:
            shot = self._grid.selected_shot()
            self._enter_frame(shot.time_s, placeholder=shot.veiled, still=False)
        start = self._position if self._position < self._duration - 1e-3 else 0.0
        self._still_token += 1  # a still on its way would only flicker
        self._player.start(self._path, self._large_box(), self._ops.store.second_connection)
        self._set_position(start)
        self._clock.start_at(start)
        self._playing = True
        self._player.restart_requests()
        self._controls.note.clear()
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
        self._clock.change_speed(index, self._duration, running=self._playing)
        if self._playing:
            self._timer.setInterval(self.frame_interval_ms())
        self._update_controls()

    def faster(self) -> None:
        self.set_speed(SPEEDS[min(len(SPEEDS) - 1, self._clock.speed_index + 1)])

    def slower(self) -> None:
        self.set_speed(SPEEDS[max(0, self._clock.speed_index - 1)])

    def _cycle_speed(self) -> None:
        self.set_speed(SPEEDS[(self._clock.speed_index + 1) % len(SPEEDS)])

    def skip(self, seconds: float) -> None:
        """Move by ``seconds``, clamped to [0, duration]; opens the large view if needed."""
        if self._mode not in (GRID, FRAME) or self._duration <= 0:
            return
        # In the grid, the selected keyframe is where the reviewer is.
        base = self._grid.selected_shot().time_s if self._mode == GRID and self._grid.shots else self.position()
        target = max(0.0, min(self._duration, base + seconds))
        if self._playing:
            self._clock.start_at(target)
            self._player.restart_requests()
            self._set_position(target)
            self._tick()
        elif self._mode == GRID:
            self._enter_frame(target, placeholder=self._grid.shots[self._grid.nearest(target)].veiled)
        else:
            self._enter_frame(target)

    def _set_position(self, seconds: float) -> None:
        self._position = seconds
        self._update_controls()
        self.position_changed.emit(seconds)

    def _tick(self) -> None:
        if not self._playing:
            return
        now = self._clock.position(self._duration)
        if now >= self._duration:
            self._finish()
            return
        self._player.ask(now, view_values(self._view))

    def _on_decoded(self, shot: Shot | None) -> None:
        if shot is None or self._mode != FRAME:
            return
        self._show_shot(shot)
        self._position = shot.time_s
        self._update_controls()
        self.position_changed.emit(shot.time_s)

    def _on_decoder_failed(self, reason: str) -> None:
        self.pause()
        self._player.stop()
        self._controls.note.setText(f"Playback stopped: {reason}")

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
