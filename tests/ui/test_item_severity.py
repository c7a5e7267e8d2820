"""Severe items are shown with the stricter per-severity preset wherever an item is shown.

Review (a moderator), escalations (a lead working the escalation queue on
the review page) and the auditor's blind view all get a severe item with
more blur, grey and a shorter reveal limit than a routine item; a person's
own stricter settings still win (the stricter of the two, field by field),
and an organisation's own presets replace Veil's defaults. The pages are
built by the desktop wiring, as the app builds them.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt

from audit import sampling
from desktop import pages as desktop_pages
from review import decisions, taxonomy
from review.media import viewing
from review.media.viewing import ViewSettings
from ui.item import loader
from ui.operations import Operations
from ui.pages.audit import BLIND, AuditPage
from ui.pages.review import ReviewPage
from ui.wellbeing.controller import WellbeingController

WAIT_MS = 10000
SEVERE = viewing.for_severity(ViewSettings(), "severe")


def _image(path):
    picture = Image.new("RGB", (640, 480), "teal")
    draw = ImageDraw.Draw(picture)
    for x in range(0, 640, 24):  # sharp stripes: detail the blur removes, more of it the stronger the blur
        draw.line([(x, 0), (x, 480)], fill=(250, 250, 250), width=6)
    picture.save(path, "PNG")
    return str(path)


def _sharpness(qimage) -> float:
    image = qimage.convertToFormat(qimage.Format.Format_Grayscale8)
    rows = np.array(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    return float(np.abs(np.diff(rows[:, : image.width()].astype(int), axis=1)).mean())


def _items(store, queue, tmp_path, severities):
    picture = _image(tmp_path / "same.png")  # one picture: only the severity differs
    store.add_items([{"external_id": f"{n}-{severity}", "queue_id": queue.id, "kind": "image",
                      "media_type": "image/png", "media_path": picture, "severity": severity,
                      "received_at": f"2026-01-05T08:0{n}:00Z"} for n, severity in enumerate(severities)])


@pytest.fixture
def policy():
    return taxonomy.load()


@pytest.fixture
def ops(store):
    runner = Operations(store)
    yield runner
    runner.close()


def _review_page(qtbot, store, policy, ops, name):
    coach = WellbeingController(store, store.user(name), store.clock)
    page = ReviewPage(desktop_pages.review_services(store, policy, store.user(name), coach, ops))
    _show(qtbot, page)
    return page, coach


def _show(qtbot, page):
    qtbot.addWidget(page)
    page.resize(1300, 850)
    with qtbot.waitActive(page):
        page.show()
        page.activateWindow()
    page.setFocus()


def _next(qtbot, page, decide=None):
    before = page.item
    qtbot.keyClick(page, decide or Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.item is not None and page.item is not before and page.item_view.image.has_image,
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.ops.pending() == 0, timeout=WAIT_MS)  # the presets have arrived too
    return page.item


def _reblurs_after(page, seconds: float) -> bool:
    """Hold Space for *seconds* (no release): is the item veiled again?"""
    view = page.item_view
    view.hold.press()
    view.set_reveal(True)
    assert view.image.reveal_state() == "whole"
    page.ops.store.clock.advance(seconds)
    view.check_auto_reblur()
    veiled = view.image.reveal_state() is None
    view.set_reveal(False)
    view.hold.release()
    return veiled


def _shows_severe_stricter(qtbot, page, routine_key=Qt.Key.Key_A):
    """The page's first item is routine, the second severe: the severe one is blurrier and re-blurs sooner."""
    routine = _next(qtbot, page)
    assert routine.severity == "low"
    assert page.item_view.shown_view == page.item_view.view
    routine_sharpness = _sharpness(page.item_view.image._veiled)
    assert not _reblurs_after(page, SEVERE.auto_reblur_s + 0.5)
    severe = _next(qtbot, page, routine_key)
    assert severe.severity == "severe"
    shown = page.item_view.shown_view
    assert shown.blur_level > page.item_view.view.blur_level and shown.grayscale
    assert shown.auto_reblur_s == SEVERE.auto_reblur_s < page.item_view.view.auto_reblur_s
    assert _sharpness(page.item_view.image._veiled) < routine_sharpness * 0.8
    assert _reblurs_after(page, SEVERE.auto_reblur_s + 0.1)
    return shown


def _close_review(page, coach):
    page.close_page()
    coach.close()


# ------------------------------------------------------------------ review
def test_review_shows_a_severe_item_with_the_stricter_preset(qtbot, store, policy, ops, tmp_path):
    store.add_user("ana", ["moderator"])
    _items(store, store.add_queue("graphic"), tmp_path, ["low", "severe"])
    page, coach = _review_page(qtbot, store, policy, ops, "ana")
    shown = _shows_severe_stricter(qtbot, page)
    assert shown == SEVERE
    _close_review(page, coach)


def test_escalations_worked_by_a_lead_show_a_severe_item_stricter(qtbot, store, policy, ops, tmp_path):
    store.add_user("lee", ["lead"])
    escalations = store.add_queue("escalations", "escalation")
    _items(store, escalations, tmp_path, ["low", "severe"])
    page, coach = _review_page(qtbot, store, policy, ops, "lee")
    _shows_severe_stricter(qtbot, page)
    _close_review(page, coach)


def test_a_persons_stricter_settings_still_win_over_the_preset(qtbot, store, policy, ops, tmp_path):
    ana = store.add_user("ana", ["moderator"])
    viewing.save_personal(store, ana, ViewSettings(blur_level=6, auto_reblur_s=3.0, grayscale=True))
    _items(store, store.add_queue("graphic"), tmp_path, ["severe"])
    page, coach = _review_page(qtbot, store, policy, ops, "ana")
    _next(qtbot, page)
    assert page.item_view.shown_view.blur_level == 6  # the person's, above the preset's
    assert page.item_view.shown_view.auto_reblur_s == 3.0  # the person's, below the preset's 5 s
    assert _reblurs_after(page, 3.1)
    _close_review(page, coach)


def test_the_organisations_own_presets_apply(qtbot, store, policy, ops, tmp_path):
    ana = store.add_user("ana", ["moderator"])
    lee = store.add_user("lee", ["lead"])
    viewing.save_severity_presets(store, lee, {"high": {"blur_level": 6, "auto_reblur_s": 4.0}})
    _items(store, store.add_queue("graphic"), tmp_path, ["high"])
    page, coach = _review_page(qtbot, store, policy, ops, ana.name)
    _next(qtbot, page)
    assert page.item_view.shown_view.blur_level == 6
    assert page.item_view.shown_view.auto_reblur_s == 4.0
    _close_review(page, coach)


# ------------------------------------------------------------------- audit
def test_the_auditors_blind_view_shows_a_severe_item_stricter(qtbot, store, policy, ops, tmp_path):
    store.add_user("zed", ["moderator"])
    store.add_user("dana", ["auditor"])
    store.add_user("lee", ["lead"])
    _items(store, store.add_queue("graphic"), tmp_path, ["severe"])
    decision_id = decisions.record_past_decision(store, item_id=1, user="zed", action="no_violation", labels=[],
                                                 decided_at="2026-01-05T08:30:00Z", handle_ms=4000)
    sampling.add_sample(store, "lee", decision_id, auditor="dana")
    coach = WellbeingController(store, store.user("dana"), store.clock)
    page = AuditPage(desktop_pages.audit_services(store, policy, store.user("dana"), coach, ops))
    _show(qtbot, page)
    qtbot.waitUntil(lambda: page.work.rowCount() == 1, timeout=WAIT_MS)
    qtbot.keyClick(page, Qt.Key.Key_Return)
    view = page.item_view
    qtbot.waitUntil(lambda: page.step == BLIND and view.image.has_image and page.ops.pending() == 0, timeout=WAIT_MS)
    assert view.item.severity == "severe"
    assert view.shown_view == SEVERE
    routine = loader.prepare(store, view.item, view.media_box(), ViewSettings())
    assert _sharpness(view.image._veiled) < _sharpness(routine.veiled) * 0.8
    assert _reblurs_after(page, SEVERE.auto_reblur_s + 0.1)
    page.close_page()
    coach.close()
