"""The thread under the item on the review desk (issue 14 §1): collapsed, T shows it, the item's safety rules."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt

from review import taxonomy
from review.desk import ReviewDesk
from review.media.viewing import ViewSettings
from review.wellbeing.policy import WellbeingPolicy
from tests.builders import text_item
from ui import keymap
from ui.operations import Operations
from ui.pages.review import ReviewPage, ReviewServices
from ui.wellbeing.controller import WellbeingController

ARABIC = "هذا منشور سابق في النقاش"
THREAD = [{"author": "rosa", "text": "Who is coming tonight? ⚽🎉", "at": "2026-01-01T10:00:00.000Z",
           "relation": "parent"},
          {"author": "omar", "text": ARABIC, "at": "", "relation": "before"},
          {"author": "kim", "text": "東京から参加します", "at": "", "relation": "after"}]


@pytest.fixture
def page(qtbot, store, request):
    """Ana's review page; the one item waiting carries a three-post thread (severity from the test's marker)."""
    severity = getattr(request, "param", None)
    ana = store.add_user("ana", ["moderator"])
    store.add_queue("chat")
    text_item(store, "chat", external_id="reply", text="you are all idiots", severity=severity,
              metadata={"category": "harassment", "thread": THREAD, "account_age_days": 3})
    policy = taxonomy.load()
    services = ReviewServices(Operations(store), ReviewDesk(policy), ana, ViewSettings(), keymap.build(policy),
                              store.clock, WellbeingController(store, ana, store.clock, WellbeingPolicy()))
    widget = ReviewPage(services)
    qtbot.addWidget(widget)
    widget.resize(1280, 720)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: widget.item is not None)
    yield widget
    widget.close_page()
    widget.ops.close()
    widget.wellbeing.close()


def test_the_thread_is_collapsed_then_t_shows_it_and_hides_it_again(qtbot, page):
    thread = page.item_view.thread
    assert thread.isVisible() and not thread.body.isVisible()
    assert thread.line.text() == "Thread: 3 posts — T to show"
    assert thread.accessibleName() == "Thread context, 3 posts, collapsed"
    qtbot.keyClick(page, Qt.Key.Key_T)
    assert thread.body.isVisible() and thread.line.text() == "Thread: 3 posts — T to hide"
    text = thread.body.toPlainText()
    assert text.index("Who is coming") < text.index(ARABIC) < text.index("the reported post") < text.index("東京")
    blocks = thread.body.document()
    arabic = next(b for b in _blocks(blocks) if ARABIC in b.text())
    assert arabic.blockFormat().layoutDirection() == Qt.LayoutDirection.RightToLeft  # stays right
    qtbot.keyClick(page, Qt.Key.Key_T)
    assert not thread.body.isVisible()
    thread.line.click()  # the mouse opens it too
    assert thread.body.isVisible() and page.item_view.tracker.revealed == "whole"


def test_the_line_names_the_persons_own_key_and_a_click_when_the_thread_has_none(page):
    """A policy that gives T to an action leaves the thread command without a key: the line must not offer T."""
    view, bindings = page.item_view, page.services.bindings
    view.name_keys([dataclasses.replace(b, key="Ctrl+T") if b.command == "thread" else b for b in bindings])
    view.thread.set_open(False)
    assert view.thread.line.text() == "Thread: 3 posts — Ctrl+T to show"
    view.name_keys([b for b in bindings if b.command != "thread"])
    view.thread.set_open(False)
    assert view.thread.line.text() == "Thread: 3 posts — click to show"


def _blocks(document):
    block = document.begin()
    while block.isValid():
        yield block
        block = block.next()


def test_the_metadata_panel_does_not_show_the_thread_raw(page):
    shown = page.item_view.context.metadata.text()
    assert "Account age" in shown
    assert "Thread" not in shown and "rosa" not in shown and "relation" not in shown


def test_esc_hides_the_thread_with_the_media_and_t_cannot_show_it_then(qtbot, page):
    thread = page.item_view.thread
    qtbot.keyClick(page, Qt.Key.Key_T)
    qtbot.keyClick(page, Qt.Key.Key_Escape)
    assert not thread.body.isVisible() and "hidden with the media" in thread.line.text()
    qtbot.keyClick(page, Qt.Key.Key_T)
    assert not thread.body.isVisible()
    qtbot.keyClick(page, Qt.Key.Key_Escape)
    qtbot.keyClick(page, Qt.Key.Key_T)
    assert thread.body.isVisible()


def test_the_time_the_thread_is_open_is_counted_as_exposure(qtbot, page, clock):
    view = page.item_view
    clock.advance(seconds=2)
    qtbot.keyClick(page, Qt.Key.Key_T)
    assert view.tracker.revealed == "whole"
    clock.advance(seconds=3)
    qtbot.keyClick(page, Qt.Key.Key_T)
    assert view.tracker.revealed is None
    assert view.tracker.record.revealed_ms == 3000


@pytest.mark.parametrize("page", ["severe"], indirect=True)
def test_a_severe_items_thread_is_hidden_until_shown_and_closes_when_a_reveal_ends(qtbot, page, clock):
    view, thread = page.item_view, page.item_view.thread
    assert "severe item, hidden until you show it" in thread.line.text() and not thread.body.isVisible()
    qtbot.keyClick(page, Qt.Key.Key_T)
    assert thread.body.isVisible()
    clock.advance(seconds=4)
    view.end_reveal()  # what the window losing focus, the auto re-blur and a decision do
    assert not thread.body.isVisible() and view.tracker.revealed is None
    assert view.tracker.record.revealed_ms == 4000


@pytest.mark.parametrize("page", ["severe"], indirect=True)
def test_a_severe_items_thread_open_on_its_own_closes_at_the_auto_reblur_limit(qtbot, page, clock):
    view, thread = page.item_view, page.item_view.thread
    qtbot.keyClick(page, Qt.Key.Key_T)
    assert thread.is_open and view.media_reveal is None and view.reblur_timer.isActive()
    clock.advance(seconds=view.shown_view.auto_reblur_s + 1)
    qtbot.waitUntil(lambda: not thread.is_open)  # the re-blur timer's own check closes it
    assert not thread.body.isVisible() and view.tracker.revealed is None
    assert view.tracker.record.revealed_ms == (view.shown_view.auto_reblur_s + 1) * 1000
    assert not view.reblur_timer.isActive()


def test_an_ordinary_items_thread_stays_open_past_the_limit(qtbot, page, clock):
    view = page.item_view
    qtbot.keyClick(page, Qt.Key.Key_T)
    assert not view.reblur_timer.isActive()
    clock.advance(seconds=view.shown_view.auto_reblur_s + 1)
    view.check_auto_reblur()
    assert view.thread.is_open
