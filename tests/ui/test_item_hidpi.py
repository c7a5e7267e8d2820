"""At 2× a revealed picture is decoded at the screen's full resolution, and the blur grows with it (issue 14 §3).

The item view asked for a decode box in logical pixels, so at 2× (a
2880×1800 screen with QT_SCALE_FACTOR=2) a revealed picture was decoded at
half the screen's resolution and scaled up, soft. The box is now in device
pixels. The blur is a share of the decoded width, so a picture decoded twice
as wide is blurred with twice the sigma: tesseract reads no caption word on
the demo's pictures veiled at the 2× box either (tests/ui/test_item_words.py
is the same check at 1×). The screen's ratio is faked on the media area: the
offscreen platform has no 2× screen.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from test_item_words import CAPTIONS, _picture, _read, _words, tesseract  # noqa: F401 (a fixture)

from desktop import pages as desktop_pages
from review import taxonomy
from review.media.preview import DEFAULT_BLUR_LEVEL
from review.media.viewing import ViewSettings
from ui.item import loader
from ui.item.qimage import to_array
from ui.operations import Operations
from ui.pages.review import ReviewPage
from ui.wellbeing.controller import WellbeingController

SHAPES_2X = ((2560, 1440), (960, 1280))  # large enough that the 2× box, not the file, sets the decoded size


@pytest.fixture
def page(qtbot, store):
    store.add_user("ana", ["moderator"])
    ops = Operations(store)
    coach = WellbeingController(store, store.user("ana"), store.clock, ops=ops)
    shown = ReviewPage(desktop_pages.review_services(store, taxonomy.load(), store.user("ana"), coach, ops))
    qtbot.addWidget(shown)
    shown.resize(1440, 900)  # 2880×1800 at 2×
    shown.show()
    qtbot.waitUntil(lambda: shown.width() == 1440)
    shown.layout().activate()
    yield shown
    shown.close_page()
    coach.close()
    ops.close()


def test_the_decode_box_is_in_device_pixels(page, monkeypatch):
    logical = page.item_view.media_box()
    monkeypatch.setattr(page.item_view.media, "devicePixelRatioF", lambda: 2.0)
    assert page.item_view.media_box() == (2 * logical[0], 2 * logical[1])


def test_a_picture_veiled_at_the_2x_box_is_as_unreadable(page, store, monkeypatch, tmp_path, tesseract):  # noqa: F811
    monkeypatch.setattr(page.item_view.media, "devicePixelRatioF", lambda: 2.0)
    box = page.item_view.media_box()
    shown = [(caption, _picture(tmp_path, caption, category, shape)) for caption, category in CAPTIONS
             for shape in SHAPES_2X]

    def read(job):
        caption, item, level = job
        prepared = loader.prepare(store, item, box, ViewSettings(blur_level=level))
        larger = prepared.clear.width() > box[0] / 2 or prepared.clear.height() > box[1] / 2
        return larger, _read(to_array(prepared.veiled)) & _words(caption)

    levels = (0, DEFAULT_BLUR_LEVEL)
    with ThreadPoolExecutor(2) as pool:
        found = list(pool.map(read, [(*picture, level) for picture in shown for level in levels]))
    clear, veiled = found[0::2], found[1::2]
    assert all(larger for larger, _ in clear)  # decoded past what the 1× box would allow
    assert sum(1 for _, words in clear if words) >= len(shown) / 2  # tesseract reads these clear
    leaks = [(item.external_id, words) for (_, item), (_, words) in zip(shown, veiled) if words]
    assert not leaks, f"words read at the default blur, 2× box: {leaks}"
