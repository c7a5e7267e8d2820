"""Region reveal on a video keyframe shown large, with a picture's accounting and limits (issue 14 §2).

Dragging a rectangle revealed a region of a still picture only: on a video's
large frame the mouse did nothing, so a moderator had to reveal the whole
frame to look at one corner. The large frame is now the picture widget
itself (``ui.item.video.parts.Canvas`` is a ``VeiledImage``), so a drag
reveals that region; the item view books it as a "region" reveal, the auto
re-blur ends it at the same limit, and going back to the storyboard, Esc or
the next item end it. The video widget was split by job first: playback is
``ui.item.video.transport``'s.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QColor, QImage

from review import taxonomy
from review.desk import ReviewDesk
from review.media.viewing import ViewSettings
from review.wellbeing.policy import WellbeingPolicy
from ui import keymap
from ui.item.media import VeiledImage
from ui.item.qimage import to_array
from ui.item.video.parts import Canvas
from ui.item.video.transport import Playback
from ui.item.video.widget import VideoView
from ui.operations import Operations
from ui.pages.review import ReviewPage, ReviewServices
from ui.wellbeing.controller import WellbeingController


def _image(colour: str) -> QImage:
    image = QImage(200, 100, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    return image


# ------------------------------------------------------------ the pieces
def test_the_video_view_is_split_by_job():
    assert issubclass(VideoView, Playback) and issubclass(Canvas, VeiledImage)
    assert all(hasattr(Playback, name) for name in ("play", "pause", "skip", "set_speed", "faster", "slower"))


def test_a_placeholder_without_its_clear_twin_reveals_nothing(qtbot):
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 200)
    canvas.show_images(_image("#404040"), None)  # the blurred thumbnail standing in
    canvas.set_whole_reveal(True)
    canvas.reveal_region(QRectF(0, 0, 0.5, 0.5))
    assert canvas.reveal_state() is None and canvas.image() is not None
    canvas.grab()  # paints without a clear picture


def test_the_next_frame_keeps_the_region_and_a_new_view_ends_it(qtbot):
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 200)
    canvas.show_images(_image("#404040"), _image("#ff0000"))
    with qtbot.waitSignal(canvas.reveal_changed) as changed:
        canvas.reveal_region(QRectF(0, 0, 0.5, 0.5))
    assert changed.args == ["region"]
    canvas.replace_images(_image("#404040"), _image("#00ff00"))  # a playing frame, or a skip
    assert canvas.reveal_state() == "region"
    canvas.replace_images(_image("#404040"), None)  # no clear picture: nothing may stay revealed
    assert canvas.reveal_state() is None
    canvas.show_images(_image("#404040"), _image("#ff0000"))
    canvas.reveal_region(QRectF(0, 0, 0.5, 0.5))
    canvas.show_images(_image("#404040"), _image("#ff0000"))  # another keyframe opened: veiled again
    assert canvas.reveal_state() is None


# --------------------------------------------------------- on the review page
@pytest.fixture
def video_page(qtbot, store, tmp_path):
    from desktop.demo import synth

    ana = store.add_user("ana", ["moderator"])
    queue = store.add_queue("videos")
    clip = synth.make_video(tmp_path / "clip.mp4", seed=3, seconds=4, fps=10, width=320, height=240)
    store.add_items([{"external_id": "clip", "queue_id": queue.id, "kind": "video", "media_type": "video/mp4",
                      "media_path": str(clip), "received_at": "2026-01-05T08:00:00.000Z"}])
    policy = taxonomy.load()
    services = ReviewServices(Operations(store), ReviewDesk(policy), ana, ViewSettings(), keymap.build(policy),
                              store.clock, WellbeingController(store, ana, store.clock, WellbeingPolicy()))
    page = ReviewPage(services)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    page.setFocus()
    yield page
    page.close_page()
    services.ops.close()
    services.wellbeing.close()


def _keyframe_by_arrows(qtbot, page):
    view = page.item_view.video_view
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.mode() == "grid", timeout=10000)
    qtbot.keyClick(page, Qt.Key.Key_Right)
    qtbot.keyClick(page, Qt.Key.Key_Down)
    assert view.selected_index() == 4
    with qtbot.waitSignal(view.frame_shown, timeout=10000):
        qtbot.keyClick(page, Qt.Key.Key_Return)  # opens the selected keyframe large
    return view


def _drag(qtbot, canvas, start: QPoint, end: QPoint) -> None:
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas, end)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=end)


def test_a_region_dragged_on_a_keyframe_is_revealed_booked_and_reblurred(qtbot, video_page):
    view = _keyframe_by_arrows(qtbot, video_page)
    item_view, canvas = video_page.item_view, view._canvas
    target = canvas.image_rect().toRect()
    _drag(qtbot, canvas, target.topLeft() + QPoint(4, 4), target.center())
    assert view.reveal_state() == "region" and not view.is_revealing()
    assert item_view.tracker.revealed == "region" and item_view.reblur_timer.isActive()
    assert item_view.media.accessibleDescription() == "Media partly revealed"
    shown = to_array(canvas.grab().toImage())
    inside = shown[target.top() + 10:target.center().y() - 4, target.left() + 10:target.center().x() - 4]
    outside = shown[target.center().y() + 10:target.bottom() - 4, target.center().x() + 10:target.right() - 4]
    sharp = [float(np.abs(np.diff(part.astype(int), axis=1)).mean()) for part in (inside, outside)]
    assert sharp[0] > 2 * sharp[1]  # the region is the clear frame, the rest stays blurred
    video_page.clock.advance(video_page.view.auto_reblur_s + 0.1)
    item_view.check_auto_reblur()  # the same limit as a picture's reveal
    assert view.reveal_state() is None and item_view.tracker.revealed is None


@pytest.mark.parametrize("ending", ["storyboard", "escape", "focus"])
def test_leaving_the_keyframe_ends_its_region(qtbot, video_page, ending):
    view = _keyframe_by_arrows(qtbot, video_page)
    target = view._canvas.image_rect().toRect()
    _drag(qtbot, view._canvas, target.topLeft() + QPoint(4, 4), target.center())
    assert video_page.item_view.tracker.revealed == "region"
    if ending == "storyboard":
        qtbot.keyClick(video_page, Qt.Key.Key_Backspace)
        assert view.mode() == "grid"
    elif ending == "escape":
        qtbot.keyClick(video_page, Qt.Key.Key_Escape)  # hides all media
    else:
        video_page.item_view._app_state_changed(Qt.ApplicationState.ApplicationInactive)
    assert view.reveal_state() is None and video_page.item_view.tracker.revealed is None
