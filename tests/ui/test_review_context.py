"""The context beside the item: metadata in words and units, the policy at hand, the author's account."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject, Qt

from review import accounts, taxonomy
from review.desk import ReviewDesk
from review.media.viewing import ViewSettings
from review.wellbeing.policy import WellbeingPolicy
from tests.builders import decided_item, text_item
from ui import keymap
from ui.operations import Operations
from ui.pages.review import ReviewPage, ReviewServices
from ui.pages.review_context import AccountDialog, PolicyDialog, metadata_rows
from ui.pages.review_panels import ContextPanel, DecisionPanel
from ui.wellbeing.controller import WellbeingController

MALLORY = {"author": "mallory", "category": "spam", "report_reason": "spam", "reporter_count": 1,
           "account_age_days": 3, "prior_strikes": 2}


def test_metadata_is_said_in_words_and_units():
    rows = metadata_rows({"account_age_days": 1, "prior_strikes": 2, "follower_count": 40, "verified": False,
                          "category": "spam", "reporter_count": 4})
    assert rows == [("Account age", "1 day"), ("Prior strikes", "2"), ("Follower count", "40"), ("Verified", "no")]
    assert ("Account age", "3 days") in metadata_rows({"account_age_days": 3})


def test_the_context_panel_shows_words_and_one_reporter(qtbot, store):
    store.add_queue("spam")
    panel = ContextPanel(taxonomy.load())
    qtbot.addWidget(panel)
    from review.serving import load_item
    item = load_item(store, text_item(store, "spam", metadata=MALLORY))
    panel.show_item(item, now=store.clock.now(), history={})
    assert panel.report.text() == "Reported for: spam · 1 reporter"
    shown = panel.metadata.text()
    assert "Account age" in shown and "3 days" in shown and "Prior strikes" in shown
    assert "account_age_days" not in shown and "prior_strikes" not in shown


def test_chosen_labels_show_their_description_and_the_policy_key_the_full_text(qtbot):
    policy = taxonomy.load()
    panel = DecisionPanel(policy)
    qtbot.addWidget(panel)
    assert "Ctrl+P" in panel.policy.text()  # nothing chosen yet: where the policy text is
    assert "Needs a policy label" in panel.buttons["remove"].toolTip()  # the action's rule
    panel.toggle_label_key("7")
    spam = policy.label("spam")
    assert spam.description in panel.policy.text()
    dialog = panel.show_policy_text()
    qtbot.addWidget(dialog)
    assert isinstance(dialog, PolicyDialog)
    text = dialog.browser.toPlainText()
    assert spam.description in text and policy.label("harassment").description not in text
    assert policy.action("remove").description in text


@pytest.fixture
def page(qtbot, store):
    """Ana's review page; mallory has a removed item (decided by ben) and the item ana gets next."""
    ana = store.add_user("ana", ["moderator"])
    store.add_user("ben", ["moderator"])
    store.add_queue("spam")
    decided_item(store, "spam", "ben", decided_at="2026-01-04T08:00:00.000Z", action="remove", labels=["spam"],
                 external_id="old1", metadata={"author": "mallory"}, received_at="2025-12-30T00:00:00.000Z")
    text_item(store, "spam", external_id="now", text="buy followers", metadata=MALLORY)
    text_item(store, "spam", external_id="next", text="more", metadata=MALLORY,
              received_at="2026-01-02T00:00:00.000Z")
    policy = taxonomy.load()
    ops = Operations(store)
    services = ReviewServices(ops, ReviewDesk(policy), ana, ViewSettings(), keymap.build(policy),
                              store.clock, WellbeingController(store, ana, store.clock, WellbeingPolicy(), ops=ops))
    widget = ReviewPage(services)
    qtbot.addWidget(widget)
    widget.resize(1280, 720)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    widget.setFocus()
    yield widget
    widget.close_page()
    widget.ops.close()
    widget.wellbeing.close()


def _settled(qtbot, page):
    qtbot.waitUntil(lambda: not page.busy and page.ops.pending() == 0)


def test_the_authors_history_is_beside_the_item_and_the_account_key_lists_it(qtbot, page):
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.item is not None)
    summary = page.item_view.context.account
    assert summary.isVisible()
    assert "Author mallory" in summary.text() and "2 other items" in summary.text()
    assert "remove ×1" in summary.text() and "1 open" in summary.text()
    qtbot.keyClick(page, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: summary.dialog is not None)
    dialog = summary.dialog
    assert isinstance(dialog, AccountDialog)
    listed = dialog.browser.toPlainText()
    assert "old1" in listed and "Remove (Spam)" in listed and "next" in listed
    assert "ben" not in listed  # who decided is not shown to another moderator
    dialog.reject()


def test_a_note_kept_on_one_item_appears_on_the_authors_next_with_who_and_when(qtbot, page):
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.item is not None)
    summary = page.item_view.context.account
    dialog = summary.open_list()
    dialog.note.setText("Sells followers")
    dialog.note.returnPressed.emit()
    _settled(qtbot, page)
    assert "Note kept" in dialog.message.text()
    assert "ana" in dialog.browser.toPlainText() and "Sells followers" in dialog.browser.toPlainText()
    dialog.reject()
    page.activateWindow()  # what the window manager does when a dialog closes (offscreen does not)
    qtbot.waitUntil(page.isActiveWindow)
    page.setFocus()
    qtbot.keyClick(page, Qt.Key.Key_A)  # no violation: the next item, by the same author
    qtbot.waitUntil(lambda: page.item is not None and page.item.external_id == "next")
    _settled(qtbot, page)
    assert "1 team note · latest by ana" in summary.text() and "Sells followers" in summary.text()


class _Hides(QObject):
    """Counts the times the widget it watches is hidden."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        self.count += event.type() == QEvent.Type.Hide
        return False


def test_the_next_item_by_an_author_replaces_the_account_without_hiding_it(qtbot, page):
    """Issue 22: each key hid the account's lines and showed them again, and showing a widget lays the whole window
    out at once (about 4 ms of the key's frame at 1280x720 on the development machine)."""
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.item is not None)
    summary = page.item_view.context.account
    hides = _Hides()
    summary.installEventFilter(hides)
    qtbot.keyClick(page, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: page.item is not None and page.item.external_id == "next")
    summary.removeEventFilter(hides)
    assert hides.count == 0
    assert summary.isVisible() and "Author mallory" in summary.text() and "remove ×1" in summary.text()
    _settled(qtbot, page)


def test_a_prolific_authors_line_counts_every_item_and_the_list_shows_the_newest(qtbot, page, monkeypatch):
    """Issue 22: an author of 61,000 items was listed whole, in the look-up (seconds) and in the account's dialog
    (a table of them all, built on the GUI thread). The line counts every item; the list shows the newest and
    says how many older ones it leaves out."""
    monkeypatch.setattr(accounts, "LISTED", 1)
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.item is not None)
    summary = page.item_view.context.account
    assert "2 other items" in summary.text() and "remove ×1" in summary.text() and "1 open" in summary.text()
    qtbot.keyClick(page, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: summary.dialog is not None)
    listed = summary.dialog.browser.toPlainText()
    assert "next" in listed and "old1" not in listed
    assert "1 older item not listed: the newest 1 are." in listed
    summary.dialog.reject()
    _settled(qtbot, page)
