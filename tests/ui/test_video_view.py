"""VideoView: blurred storyboard, never autoplays, muted on-request playback, reveal, errors, clean shutdown.

Test media are generated here: coloured shapes and a frame counter (sharp
edges, so a blur is measurable), 160x120 at 10 fps for 6 s, and a small
animated GIF.  Blur is checked by what is painted: the Laplacian variance
(edge energy) of a shown image against the same frame unblurred.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import shiboken6
from PIL import Image, ImageDraw
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QVBoxLayout, QWidget

from review.media import frames, preview
from ui.item.qimage import to_array, to_qimage
from ui.item.video.frames import ViewState, format_time
from ui.item.video.playback import SPEEDS
from ui.item.video.widget import VideoView
from ui.operations import Operations

FPS = 10
SECONDS = 6
SIZE = (160, 120)


# ------------------------------------------------------------------ media
def _frame(i: int) -> np.ndarray:
    frame = np.full((SIZE[1], SIZE[0], 3), (40, 60, 90), np.uint8)
    cv2.rectangle(frame, (10 + i, 20), (60 + i, 70), (0, 200, 255), -1)
    cv2.circle(frame, (120, 80 - i // 2), 18, (255, 80, 40), -1)
    cv2.putText(frame, f"T{i}", (10, 110), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
    return frame


def _write_video(path: Path, seconds: int = SECONDS) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
    assert writer.isOpened()
    for i in range(FPS * seconds):
        writer.write(_frame(i))
    writer.release()
    return path


@pytest.fixture
def video(tmp_path) -> Path:
    return _write_video(tmp_path / "clip.mp4")


@pytest.fixture
def gif(tmp_path) -> Path:
    pictures = []
    for i in range(12):
        image = Image.new("RGB", SIZE, (30, 50, 70))
        draw = ImageDraw.Draw(image)
        draw.rectangle((10 + 5 * i, 20, 60 + 5 * i, 70), fill=(220, 180, 40))
        draw.ellipse((100, 60, 140, 100), fill=(200, 60, 60))
        draw.text((10, 100), f"GIF {i}", fill=(255, 255, 255))
        pictures.append(image)
    path = tmp_path / "anim.gif"
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=100, loop=0)
    return path


# ---------------------------------------------------------------- helpers
def _sharpness(image) -> float:
    array = to_array(image) if not isinstance(image, np.ndarray) else image
    return float(cv2.Laplacian(cv2.cvtColor(array, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())


@pytest.fixture
def runner(store):
    """The operations runner the view reads through (each worker with a reader connection to a fresh store)."""
    ops = Operations(store)
    yield ops
    ops.close()


@pytest.fixture
def make_view(qtbot, runner):
    made = []

    def make(view: ViewState | None = None) -> VideoView:
        widget = VideoView(runner, view or ViewState(blur_level=preview.DEFAULT_BLUR_LEVEL, grayscale=False))
        qtbot.addWidget(widget)
        widget.resize(640, 420)
        made.append(widget)
        return widget

    yield make
    for widget in made:
        if shiboken6.isValid(widget):
            widget.clear()


def _loaded(qtbot, view: VideoView, path: Path) -> VideoView:
    with qtbot.waitSignal(view.storyboard_ready, timeout=10000):
        view.show_video(path)
    return view


def _open_large(qtbot, view: VideoView, index: int = 0) -> None:
    with qtbot.waitSignal(view.frame_shown, timeout=10000):
        view.open_frame(index)


# ------------------------------------------------------------------ qimage
def test_to_qimage_owns_a_copy_of_rgb_and_gray_pixels():
    rgb = np.random.default_rng(1).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    image = to_qimage(rgb)
    expected = rgb.copy()
    rgb[:] = 0  # the QImage must not share the array's memory
    assert (to_array(image) == expected).all()
    gray = np.arange(30, dtype=np.uint8).reshape(5, 6)
    assert (to_array(to_qimage(gray))[:, :, 1] == gray).all()
    strided = expected[::2, ::2]
    assert (to_array(to_qimage(strided)) == strided).all()
    with pytest.raises(ValueError):
        to_qimage(np.zeros((4, 4, 3), dtype=np.float32))


# -------------------------------------------------------------- storyboard
def test_storyboard_shows_nine_blurred_thumbnails_with_timestamps(qtbot, make_view, video):
    view = make_view()
    view.show_video(video)
    assert view.mode() == "loading"
    assert view.message() == "Preparing storyboard…"
    assert view.thumbnail_count() == 0
    with qtbot.waitSignal(view.storyboard_ready, timeout=10000) as ready:
        pass
    assert ready.args == [9]
    assert view.mode() == "grid"

    raw = frames.storyboard(video, 9)
    assert view.thumbnail_times() == [format_time(f.time_s, tenths=True) for f in raw]
    assert view.thumbnail_times()[:4] == ["0:00.0", "0:00.6", "0:01.3", "0:02.0"]  # two within a second: tenths
    for shown, frame in zip(view.thumbnail_images(), raw):
        assert (shown.width(), shown.height()) == (frame.image.shape[1], frame.image.shape[0])
        assert _sharpness(shown) < 0.05 * _sharpness(frame.image)
    assert view.displayed_image() is None
    assert view.selected_index() == 0
    assert view.duration() == pytest.approx(SECONDS)


def test_every_pixel_goes_through_apply_view(qtbot, make_view, video, monkeypatch):
    calls = []
    real = preview.apply_view

    def spy(image, *, blur_level, grayscale):
        calls.append(blur_level)
        return real(image, blur_level=blur_level, grayscale=grayscale)

    monkeypatch.setattr(preview, "apply_view", spy)
    view = _loaded(qtbot, make_view(ViewState(blur_level=5, grayscale=True)), video)
    assert calls.count(5) == 9  # one veiled rendering per thumbnail, no unblurred one
    assert 0 not in calls
    for image in view.thumbnail_images():
        pixels = to_array(image)
        assert (pixels[:, :, 0] == pixels[:, :, 1]).all()  # grayscale as the view asked


def test_show_video_never_autoplays(qtbot, make_view, runner, video):
    view = make_view()
    changes = []
    view.playing_changed.connect(changes.append)
    _loaded(qtbot, view, video)
    assert runner.wait_idle()
    _open_large(qtbot, view, 4)  # opening a frame large does not play either
    qtbot.keyClick(view, Qt.Key.Key_L)  # nor does a skip
    assert runner.wait_idle()
    QCoreApplication.processEvents()
    assert not view.is_playing()
    assert True not in changes
    assert view._player.playback.thread is None  # no decoder was even started
    assert not view._timer.isActive()


# ---------------------------------------------------------------- playback
def test_play_emits_blurred_frames_and_pause_stops(qtbot, make_view, video):
    view = _loaded(qtbot, make_view(), video)
    changes, shown = [], []
    view.playing_changed.connect(changes.append)
    view.frame_shown.connect(shown.append)
    with qtbot.waitSignal(view.playing_changed, timeout=5000) as started:
        qtbot.keyClick(view, Qt.Key.Key_P)
    assert started.args == [True]
    assert view.is_playing() and view.mode() == "frame"
    assert view._player.playback.thread.isRunning()
    qtbot.waitUntil(lambda: len(shown) >= 4, timeout=10000)
    assert shown == sorted(shown) and shown[-1] > shown[0]
    raw = frames.video_frame_at(video, shown[-1], 1920, 1080)
    assert _sharpness(view.displayed_image()) < 0.05 * _sharpness(raw)
    assert view.position() > 0

    with qtbot.waitSignal(view.playing_changed, timeout=2000) as stopped:
        qtbot.keyClick(view, Qt.Key.Key_K)
    assert stopped.args == [False]
    assert changes == [True, False]
    assert not view.is_playing() and not view._timer.isActive()
    qtbot.waitUntil(lambda: view._player.awaiting is None, timeout=5000)  # the last request answered
    count, position = len(shown), view.position()
    QCoreApplication.processEvents()
    assert len(shown) == count and view.position() == position

    # P toggles: play again from where it paused, and P pauses.
    with qtbot.waitSignal(view.playing_changed, timeout=2000):
        qtbot.keyClick(view, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: len(shown) > count, timeout=10000)
    assert shown[count] >= position
    with qtbot.waitSignal(view.playing_changed, timeout=2000) as again:
        qtbot.keyClick(view, Qt.Key.Key_P)
    assert again.args == [False]


def test_speed_changes_the_frame_interval(qtbot, make_view, video):
    view = _loaded(qtbot, make_view(), video)
    assert view.speed() == 1.0 and view.frame_interval_ms() == 100
    view.play()
    assert view._timer.interval() == 100
    qtbot.keyClick(view, Qt.Key.Key_BracketRight)
    assert view.speed() == 1.5 and view._timer.interval() == 67
    qtbot.keyClick(view, Qt.Key.Key_BracketRight)
    assert view.speed() == 2.0 and view._timer.interval() == 50
    assert view._controls.speed_button.text() == "2×"
    qtbot.keyClick(view, Qt.Key.Key_BracketRight)  # 2x is the top
    assert view.speed() == SPEEDS[-1] == 2.0
    qtbot.keyClick(view, Qt.Key.Key_BracketLeft)
    assert view.speed() == 1.5 and view._timer.interval() == 67
    view.pause()


def test_playing_to_the_end_stops_and_a_second_play_restarts(qtbot, make_view, video):
    view = _loaded(qtbot, make_view(), video)
    view.set_speed(2.0)
    changes = []
    view.playing_changed.connect(changes.append)
    view.play()
    view.skip(5)  # near the end: 1 s of video, half a second at 2x
    with qtbot.waitSignal(view.playing_changed, timeout=10000) as stopped:
        pass
    assert stopped.args == [False]
    assert view.position() == pytest.approx(SECONDS)
    assert view._controls.position_label.text() == "0:06 / 0:06"
    shown = []
    view.frame_shown.connect(shown.append)
    view.play()
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert shown[0] < 1.0  # from the start again
    view.pause()
    assert changes == [True, False, True, False]


def test_skip_moves_five_seconds_clamped_to_the_clip(qtbot, make_view, runner, video):
    view = _loaded(qtbot, make_view(), video)
    shown = []
    view.frame_shown.connect(shown.append)
    qtbot.keyClick(view, Qt.Key.Key_L)  # from the grid: opens the large view at +5 s
    assert view.mode() == "frame"
    assert view.position() == pytest.approx(5.0)
    assert view._controls.position_label.text() == "0:05 / 0:06"
    for key, expected in ((Qt.Key.Key_Right, 6.0), (Qt.Key.Key_J, 1.0), (Qt.Key.Key_Left, 0.0), (Qt.Key.Key_L, 5.0)):
        qtbot.keyClick(view, key)
        assert view.position() == pytest.approx(expected)
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert runner.wait_idle()
    assert shown == [pytest.approx(5.0)]  # only the last asked-for frame is painted
    assert not view.is_playing()


def test_skip_while_playing_moves_the_playhead(qtbot, make_view, video):
    view = _loaded(qtbot, make_view(), video)
    shown = []
    view.frame_shown.connect(shown.append)
    view.play()
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    view.skip(5)
    assert view.position() >= 5.0
    qtbot.waitUntil(lambda: bool(shown) and shown[-1] >= 4.9, timeout=10000)
    view.pause()


# ------------------------------------------------------------------ reveal
def test_reveal_shows_the_unblurred_frame_and_release_reblurs(qtbot, make_view, video):
    view = _loaded(qtbot, make_view(), video)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.selected_index() == 2
    with qtbot.waitSignal(view.frame_shown, timeout=10000) as shown:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    time_s = shown.args[0]
    raw = frames.video_frame_at(video, time_s, *view._large_box())
    veiled = view.displayed_image()
    assert _sharpness(veiled) < 0.05 * _sharpness(raw)
    assert not view.is_revealing()

    view.set_revealed(True)
    assert view.is_revealing()
    assert (to_array(view.displayed_image()) == raw).all()  # exactly the frame, unblurred
    thumbs = view.thumbnail_images()
    assert all(_sharpness(t) < 5 for t in thumbs)  # the grid never reveals

    view.set_revealed(False)
    assert not view.is_revealing()
    assert view.displayed_image() is veiled  # re-veiled at once, no worker round trip


def test_reveal_in_the_grid_shows_nothing_unblurred(qtbot, make_view, video):
    view = _loaded(qtbot, make_view(), video)
    before = [to_array(t) for t in view.thumbnail_images()]
    view.set_revealed(True)
    assert not view.is_revealing()
    assert all((to_array(t) == b).all() for t, b in zip(view.thumbnail_images(), before))


def test_reveal_while_playing_and_release(qtbot, make_view, video):
    view = _loaded(qtbot, make_view(), video)
    shown = []
    view.frame_shown.connect(shown.append)
    view.play()
    view.set_revealed(True)
    qtbot.waitUntil(lambda: len(shown) >= 2, timeout=10000)
    assert view.is_revealing()
    raw = frames.video_frame_at(video, shown[-1], *view._large_box())
    assert _sharpness(view.displayed_image()) > 0.5 * _sharpness(raw)
    view.set_revealed(False)
    assert not view.is_revealing()
    assert _sharpness(view.displayed_image()) < 0.05 * _sharpness(raw)
    count = len(shown)
    qtbot.waitUntil(lambda: len(shown) > count, timeout=10000)
    assert _sharpness(view.displayed_image()) < 0.05 * _sharpness(raw)  # new frames stay veiled
    view.pause()


def test_a_new_item_never_starts_revealed(qtbot, make_view, video):
    view = _loaded(qtbot, make_view(), video)
    view.set_revealed(True)
    _loaded(qtbot, view, video)
    _open_large(qtbot, view)
    assert not view.revealed() and not view.is_revealing()


def test_hiding_the_view_ends_the_reveal(qtbot, make_view, video):
    """Nobody holds a key over a hidden widget: shown again, the frame is veiled."""
    view = _loaded(qtbot, make_view(), video)
    view.show()
    qtbot.waitExposed(view)
    _open_large(qtbot, view)
    view.set_revealed(True)
    assert view.is_revealing()
    view.hide()
    view.show()
    assert not view.revealed() and not view.is_revealing()
    assert view.displayed_image() is view._large.veiled


# -------------------------------------------------------------- navigation
def test_grid_keys_select_open_and_return(qtbot, make_view, video):
    view = _loaded(qtbot, make_view(), video)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.selected_index() == 4
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.selected_index() == 1
    qtbot.keyClick(view, Qt.Key.Key_Left)
    qtbot.keyClick(view, Qt.Key.Key_Left)  # clamped at the first
    assert view.selected_index() == 0
    view.select(7)
    with qtbot.waitSignal(view.frame_shown, timeout=10000):
        qtbot.keyClick(view, Qt.Key.Key_Enter)
    assert view.mode() == "frame"
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    view.select(1)
    qtbot.keyClick(view, Qt.Key.Key_L)  # from the grid, a skip starts at the selected keyframe
    assert view.position() == pytest.approx(frames.storyboard(video, 9)[1].time_s + 5)
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    view.select(7)
    with qtbot.waitSignal(view.frame_shown, timeout=10000):
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert view.position() == pytest.approx(frames.storyboard(video, 9)[7].time_s)
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert view.mode() == "grid" and view.displayed_image() is None
    assert view.selected_index() == 7
    view.open_frame(2)
    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    assert view.mode() == "grid"


def test_mouse_click_selects_and_double_click_opens(qtbot, make_view, video):
    view = _loaded(qtbot, make_view(), video)
    view.show()
    qtbot.waitExposed(view)
    thumb = view._grid.thumbs[5]
    qtbot.mouseClick(thumb, Qt.MouseButton.LeftButton)
    assert view.selected_index() == 5
    with qtbot.waitSignal(view.frame_shown, timeout=10000):
        qtbot.mouseDClick(view._grid.thumbs[3], Qt.MouseButton.LeftButton)
    assert view.mode() == "frame" and view.selected_index() == 3


def test_space_and_unused_keys_reach_the_page(qtbot, runner, video):
    page = QWidget()
    qtbot.addWidget(page)
    seen = []
    page.keyPressEvent = lambda event: seen.append(event.key())
    view = VideoView(runner, ViewState(), page)
    QVBoxLayout(page).addWidget(view)
    _loaded(qtbot, view, video)
    for key in (Qt.Key.Key_Space, Qt.Key.Key_1, Qt.Key.Key_A, Qt.Key.Key_Escape):
        qtbot.keyClick(view, key)  # Escape in the grid is not ours either
    assert seen == [Qt.Key.Key_Space, Qt.Key.Key_1, Qt.Key.Key_A, Qt.Key.Key_Escape]
    assert not view.is_playing()
    view.clear()


def test_our_keys_beat_page_shortcuts_only_while_they_apply(qtbot, runner, video):
    page = QWidget()
    qtbot.addWidget(page)
    fired = []
    for key in ("K", "A"):
        QShortcut(QKeySequence(key), page).activated.connect(lambda key=key: fired.append(key))
    view = VideoView(runner, ViewState(), page)
    QVBoxLayout(page).addWidget(view)
    page.show()
    qtbot.waitExposed(page)
    _loaded(qtbot, view, video)
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    qtbot.keyClick(view, Qt.Key.Key_K)  # not playing: K is the page's
    assert fired == ["K"]
    view.play()
    qtbot.keyClick(view, Qt.Key.Key_K)  # playing: K pauses, the page's K does not fire
    qtbot.keyClick(view, Qt.Key.Key_A)
    assert fired == ["K", "A"] and not view.is_playing()
    view.clear()


def test_controls_say_muted_and_show_keys(qtbot, make_view, video):
    view = _loaded(qtbot, make_view(), video)
    assert view._controls.muted.text() == "Muted" and "sound" in view._controls.muted.toolTip()
    assert "(P)" in view._controls.play_button.toolTip()
    assert "J" in view._controls.back_button.toolTip() and "L" in view._controls.forward_button.toolTip()
    assert "]" in view._controls.speed_button.toolTip() and "[" in view._controls.speed_button.toolTip()
    assert "Esc" in view._controls.grid_button.toolTip()
    assert view._controls.position_label.text() == "0:00 / 0:06"
    view.play()
    assert view._controls.play_button.text() == "Pause" and "K" in view._controls.play_button.toolTip()
    view.pause()


def test_view_change_reveils_the_storyboard(qtbot, make_view, video):
    state = ViewState(blur_level=preview.DEFAULT_BLUR_LEVEL, grayscale=False)
    view = _loaded(qtbot, make_view(state), video)
    pixels = to_array(view.thumbnail_images()[0])
    assert not (pixels[:, :, 0] == pixels[:, :, 2]).all()
    state.grayscale = True
    view.refresh_view()

    def all_gray() -> bool:
        pixels = to_array(view.thumbnail_images()[0])
        return bool((pixels[:, :, 0] == pixels[:, :, 2]).all())

    qtbot.waitUntil(all_gray, timeout=10000)


# ------------------------------------------------------------------ errors
def test_truncated_video_shows_the_reason_and_emits_error(qtbot, make_view, video, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    view = make_view()
    with qtbot.waitSignal(view.error, timeout=10000) as failed:
        view.show_video(broken)
    reason = failed.args[0]
    assert reason
    assert view.mode() == "error"
    assert view.message().startswith(f"This video cannot be shown: {reason}")
    assert "still decide" in view.message()
    assert not view._controls.isVisibleTo(view)
    view.play()  # nothing to play; nothing happens
    assert not view.is_playing()


def test_garbage_file_shows_an_error(qtbot, make_view, tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x01garbage, not a video" * 50)
    view = make_view()
    with qtbot.waitSignal(view.error, timeout=10000) as failed:
        view.show_video(junk)
    assert failed.args[0] in view.message()
    assert view.thumbnail_count() == 0


def test_a_newer_item_wins_over_a_slow_older_one(qtbot, make_view, runner, video, gif):
    view = make_view()
    ready = []
    view.storyboard_ready.connect(ready.append)
    view.show_video(video)
    view.show_video(gif)
    assert runner.wait_idle()
    assert view.path() == str(gif)
    assert ready == [9]
    assert view.duration() == pytest.approx(1.2)


# ------------------------------------------------------------------- GIF
def test_animated_gif_storyboard_and_playback(qtbot, make_view, gif):
    view = _loaded(qtbot, make_view(), gif)
    assert view.thumbnail_count() == 9
    assert view.duration() == pytest.approx(1.2)
    raw = frames.storyboard(gif, 9)
    for shown, frame in zip(view.thumbnail_images(), raw):
        assert _sharpness(shown) < 0.05 * _sharpness(frame.image)
    shown = []
    view.frame_shown.connect(shown.append)
    with qtbot.waitSignal(view.playing_changed, timeout=5000):
        view.play()
    with qtbot.waitSignal(view.playing_changed, timeout=10000) as ended:  # plays to the end
        pass
    assert ended.args == [False]
    assert len(shown) >= 2 and shown == sorted(shown)


# --------------------------------------------------------------- shutdown
def test_clear_leaves_no_running_thread_or_timer(qtbot, runner, video):
    view = _loaded(qtbot, VideoView(runner, ViewState()), video)  # not qtbot's: deleted here
    shown = []
    view.frame_shown.connect(shown.append)
    view.play()
    qtbot.waitUntil(lambda: len(shown) >= 2, timeout=10000)
    thread = view._player.playback.thread
    assert thread.isRunning()
    with qtbot.waitSignal(view.playing_changed, timeout=1000) as stopped:
        view.clear()
    assert stopped.args == [False]
    assert not thread.isRunning() and thread.isFinished()
    assert not view._timer.isActive()
    assert view._player.playback.thread is None and view._player.playback.decoder is None
    assert view.mode() == "empty" and view.thumbnail_count() == 0 and view.displayed_image() is None
    assert runner.wait_idle()
    assert runner._tasks._pool.activeThreadCount() == 0
    count = len(shown)
    QCoreApplication.processEvents()
    assert len(shown) == count  # nothing late reaches the screen
    view.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(view), timeout=2000)
    assert not thread.isRunning()


def test_deleting_a_playing_view_joins_its_thread(qtbot, runner, video):
    view = VideoView(runner, ViewState())
    _loaded(qtbot, view, video)
    shown = []
    view.frame_shown.connect(shown.append)
    view.play()
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    thread = view._player.playback.thread
    timer = view._timer
    assert thread.isRunning()
    shiboken6.delete(view)  # no clear(): the destroyed hook must stop the thread
    assert not thread.isRunning()
    assert not shiboken6.isValid(timer)
    assert runner.wait_idle()


def test_clear_while_the_storyboard_is_loading_drops_it(qtbot, make_view, runner, video):
    view = make_view()
    ready = []
    view.storyboard_ready.connect(ready.append)
    view.show_video(video)
    view.clear()
    assert runner.wait_idle()
    assert ready == [] and view.mode() == "empty" and view.thumbnail_count() == 0
