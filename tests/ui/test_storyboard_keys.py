"""Issue 14 §2: on the review page the storyboard answers the arrows and Enter; short clips show real times."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from tests.ui.test_review_page import _close, _image, _open_page
from ui.item.video.frames import format_time

WAIT_MS = 10000


@pytest.fixture
def gif_page(qtbot, store, tmp_path):
    """Ana's review page with one 12-frame GIF, 0.1 s a frame (1.2 s in all)."""
    store.add_user("ana", ["moderator"])
    queue = store.add_queue("animations")
    pictures = [Image.new("RGB", (160, 120), (20 * n, 40, 90)) for n in range(12)]
    path = tmp_path / "anim.gif"
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=100, loop=0)
    store.add_items([{"external_id": "anim", "queue_id": queue.id, "kind": "video", "media_type": "image/gif",
                      "media_path": str(path), "received_at": "2026-01-05T08:00:00.000Z"}])
    widget = _open_page(qtbot, store)
    yield widget
    _close(widget)


def _grid(qtbot, page):
    qtbot.keyClick(page, Qt.Key.Key_Return)
    video = page.item_view.video_view
    qtbot.waitUntil(lambda: video.mode() == "grid", timeout=WAIT_MS)
    return video


def test_a_gif_storyboard_shows_each_keyframe_s_own_time(qtbot, gif_page):
    """Every keyframe of a short GIF read "0:00"."""
    times = _grid(qtbot, gif_page).thumbnail_times()
    assert len(set(times)) == len(times)
    assert times[:3] == ["0:00.0", "0:00.1", "0:00.2"]


def test_arrows_move_the_keyframe_selection_and_enter_opens_it(qtbot, gif_page):
    """On the page, ← → skipped 5 s into the large view and Enter said "Decide this item first"."""
    video = _grid(qtbot, gif_page)
    qtbot.keyClick(gif_page, Qt.Key.Key_Right)
    qtbot.keyClick(gif_page, Qt.Key.Key_Right)
    qtbot.keyClick(gif_page, Qt.Key.Key_Down)
    qtbot.keyClick(gif_page, Qt.Key.Key_Left)
    assert video.mode() == "grid" and video.selected_index() == 4
    qtbot.keyClick(gif_page, Qt.Key.Key_Up)
    assert video.selected_index() == 1
    qtbot.keyClick(gif_page, Qt.Key.Key_Return)
    assert video.mode() == "frame"
    assert video.position() == pytest.approx(0.1)
    assert "Decide this item first" not in gif_page.decision.message.text()
    qtbot.keyClick(gif_page, Qt.Key.Key_Right)  # in the large view the arrows skip, as before
    assert video.position() == pytest.approx(1.2)


def test_times_under_a_minute_can_show_tenths():
    assert format_time(0.5, tenths=True) == "0:00.5"
    assert format_time(12.34, tenths=True) == "0:12.3"
    assert format_time(0.5) == "0:00"


def test_arrows_pan_a_zoomed_image_and_do_nothing_at_fit(qtbot, store, tmp_path):
    """Zoomed in, the rest of the picture could not be reached: no drag or key moved it."""
    store.add_user("ana", ["moderator"])
    queue = store.add_queue("images")
    store.add_items([{"external_id": "img", "queue_id": queue.id, "kind": "image", "media_type": "image/jpeg",
                      "media_path": str(_image(tmp_path / "a.jpg", "red")), "received_at": "2026-01-05T08:00:00Z"}])
    page = _open_page(qtbot, store)
    try:
        qtbot.keyClick(page, Qt.Key.Key_Return)
        image = page.item_view.image
        qtbot.waitUntil(lambda: image.has_image, timeout=WAIT_MS)
        fitted = image.image_rect()
        qtbot.keyClick(page, Qt.Key.Key_Right)
        assert image.image_rect() == fitted  # nothing to pan at fit
        image.set_zoom(3.0)
        zoomed = image.image_rect()
        qtbot.keyClick(page, Qt.Key.Key_Right)
        qtbot.keyClick(page, Qt.Key.Key_Down)
        moved = image.image_rect()
        assert moved.x() < zoomed.x() and moved.y() < zoomed.y() and moved.size() == zoomed.size()
        for _ in range(40):  # never past the picture's edge
            qtbot.keyClick(page, Qt.Key.Key_Right)
        edge = image.image_rect()
        assert edge.right() >= image.rect().right() - 8
        start = image.rect().center()
        qtbot.mousePress(image, Qt.MouseButton.RightButton, pos=start)
        qtbot.mouseMove(image, start + QPoint(60, 0))
        qtbot.mouseRelease(image, Qt.MouseButton.RightButton, pos=start + QPoint(60, 0))
        assert image.image_rect().x() == pytest.approx(edge.x() + 60)  # the picture follows the hand
        assert image.reveal_state() is None  # a pan reveals nothing
        image.fit()
        assert image.image_rect() == fitted
    finally:
        _close(page)
