"""Enter on the first screen starts the person's work: a moderator's or lead's queues, an auditor's samples (issue 14
§2; FIX DESK-B 4).

A moderator lands on Queues after sign-in. Enter there opened whichever
queue sorted first (it was pre-selected), not "their queues"; now, until a
queue is chosen with the arrows, Enter opens the review page on all their
queues and the first item comes, and the page says so.
"""

from __future__ import annotations

from builders import people, text_item
from PySide6.QtCore import QSettings, Qt

from desktop import app as desktop_app
from ui.pages.queues import enter_starts
from ui.pages.review_queues import ALL_QUEUES


def test_enter_on_the_first_screen_starts_reviewing_all_my_queues(qtbot, store, tmp_path):
    people(store, ana="moderator")
    for name in ("abuse", "spam"):
        store.add_queue(name)
    text_item(store, "spam", external_id="s1", text="buy followers")
    window = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.sign_in_as("ana")
    queues = window.page("queues")
    assert window.current_page_key() == "queues"
    assert "Enter — start reviewing" in queues.keys.text()
    qtbot.waitUntil(lambda: queues.model.rowCount() == 2)
    assert queues.selected_queue() is None  # "abuse" sorts first and is empty: it is not what Enter opens
    with qtbot.waitSignal(queues.queue_chosen) as chosen:
        qtbot.keyClick(queues.table, Qt.Key.Key_Return)
    assert chosen.args == [ALL_QUEUES]
    review = window.page("review")
    assert window.current_page_key() == "review"
    qtbot.waitUntil(lambda: review.item is not None)
    assert review.queue_choice.currentText() == ALL_QUEUES and review.item.external_id == "s1"
    window.sign_out()


def test_a_queue_chosen_with_the_arrows_is_the_one_enter_opens(qtbot, store, tmp_path):
    people(store, ana="moderator")
    for name in ("abuse", "spam"):
        store.add_queue(name)
    window = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.sign_in_as("ana")
    queues = window.page("queues")
    qtbot.waitUntil(lambda: queues.model.rowCount() == 2)
    qtbot.keyClick(queues.table, Qt.Key.Key_Down)
    assert queues.selected_queue() is not None
    with qtbot.waitSignal(queues.queue_chosen) as chosen:
        qtbot.keyClick(queues.table, Qt.Key.Key_Return)
    assert chosen.args == [queues.selected_queue()]
    window.sign_out()


def test_an_auditors_enter_starts_auditing_and_the_page_says_so(qtbot, store, tmp_path):
    """Before: the hint said "start reviewing" to everyone, and an auditor's Enter said "your role does not include
    reviewing"."""
    people(store, dana="auditor")
    store.add_queue("spam")
    store.add_queue("qa", "audit")  # the page lists an auditor's QA queues only
    window = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.sign_in_as("dana")
    queues = window.page("queues")
    assert window.current_page_key() == "queues"
    assert "Enter — start auditing" in queues.keys.text() and "Audit page" in queues.keys.toolTip()
    qtbot.waitUntil(lambda: queues.model.rowCount() >= 1)
    qtbot.keyClick(queues.table, Qt.Key.Key_Return)
    assert window.current_page_key() == "audit"
    assert "does not include reviewing" not in window.statusBar().currentMessage()
    window.sign_out()


def test_a_leads_enter_starts_reviewing_as_a_moderators_does(qtbot, store, tmp_path):
    people(store, lee=["lead", "auditor"])
    store.add_queue("spam")
    window = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.sign_in_as("lee")
    queues = window.page("queues")
    assert "Enter — start reviewing" in queues.keys.text()
    qtbot.waitUntil(lambda: queues.model.rowCount() >= 1)
    with qtbot.waitSignal(queues.queue_chosen) as chosen:
        qtbot.keyClick(queues.table, Qt.Key.Key_Return)
    assert chosen.args == [ALL_QUEUES] and window.current_page_key() == "review"
    window.sign_out()


def test_what_enter_starts_follows_the_roles():
    assert [enter_starts(roles) for roles in (("moderator",), ("lead",), ("auditor",), ("auditor", "moderator"))] == [
        "reviewing", "reviewing", "auditing", "reviewing"]
