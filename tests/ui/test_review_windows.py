"""One moderator, two review windows on one store (issue 11 §3), driven by the keyboard.

Each window is a real review page with its own operations runner, desk and
store connection, as two Veil windows (or two processes) would have. The
issue's finding: window 1 escalates an item window 2 still shows; window
2's renew timer must not bring the lease back, and its next key must not
close the escalation. A window told its item is gone says so calmly, shows
the next item and keeps taking decision keys. A window whose item a lead
moved into a queue it may not work gives the item back before it moves on.
"""

from __future__ import annotations

import pytest
from builders import events
from PySide6.QtCore import Qt

from review import admin, serving, taxonomy
from review.admin import Selection
from review.desk import ReviewDesk
from review.media.viewing import ViewSettings
from review.wellbeing.policy import WellbeingPolicy
from ui import keymap
from ui.operations import Operations
from ui.pages.review import ReviewPage, ReviewServices
from ui.wellbeing.controller import WellbeingController


@pytest.fixture
def workspace(store):
    store.add_user("ana", ["moderator"])
    store.add_queue("escalations", "escalation")
    queue = store.add_queue("spam", escalation_queue="escalations")
    store.add_items([{"external_id": f"post{n}", "queue_id": queue.id, "kind": "text", "text": f"buy now {n}",
                      "received_at": f"2026-01-05T08:0{n}:00.000Z"} for n in range(4)])
    return store


def _page(qtbot, store):
    policy = taxonomy.load()
    ana = store.user("ana")
    ops = Operations(store)
    services = ReviewServices(ops, ReviewDesk(policy), ana, ViewSettings(), keymap.build(policy),
                              store.clock, WellbeingController(store, ana, store.clock, WellbeingPolicy(), ops=ops))
    page = ReviewPage(services)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    qtbot.waitExposed(page)
    return page


def _focus(qtbot, page):
    """Bring the window to the front with the keyboard focus (shortcuts need both)."""
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    page.setFocus()


def _settled(qtbot, page):
    qtbot.waitUntil(lambda: not page.busy and page.ops.pending() == 0)


def _press(qtbot, page, key):
    _focus(qtbot, page)
    qtbot.keyClick(page, key)


def _enter(qtbot, page):
    _press(qtbot, page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.item is not None)
    _settled(qtbot, page)


@pytest.fixture
def windows(qtbot, workspace):
    second_store = workspace.second_connection()
    one, two = _page(qtbot, workspace), _page(qtbot, second_store)
    yield one, two
    for page in (one, two):
        page.close_page()
        page.ops.close()
        page.wellbeing.close()
    second_store.close()


def _escalate(qtbot, page, reason):
    _press(qtbot, page, Qt.Key.Key_E)
    qtbot.keyClicks(page.decision.note, reason)
    qtbot.keyClick(page.decision.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.last_decision is not None)
    _settled(qtbot, page)


def test_two_windows_of_one_person_show_two_different_items(qtbot, windows):
    one, two = windows
    _enter(qtbot, one)
    _enter(qtbot, two)
    assert one.item.id != two.item.id
    store = one.ops.store
    assert {serving.holder(store, one.item.id)[0], serving.holder(store, two.item.id)[0]} == {"ana"}


def _same_item_in_both(qtbot, windows, clock):
    """Window one's lease lapsed (the laptop slept); window two took the item back from the queue."""
    one, two = windows
    _enter(qtbot, one)
    clock.advance(serving.LEASE_SECONDS + 1)
    _enter(qtbot, two)
    assert two.item.id == one.item.id
    return one.item


def test_the_renew_timer_after_the_other_window_escalated_moves_on_calmly(qtbot, windows, clock):
    one, two = windows
    item = _same_item_in_both(qtbot, windows, clock)
    _escalate(qtbot, two, "credible threat?")
    one.renew_timer.timeout.emit()  # window one's renew timer fires
    qtbot.waitUntil(lambda: one.item is not None and one.item.id != item.id)
    _settled(qtbot, one)
    assert "another window" in one.footer.text() and "next one" in one.footer.text()
    _press(qtbot, one, Qt.Key.Key_A)  # the next decision key still works, on the next item
    qtbot.waitUntil(lambda: one.last_decision is not None)
    _settled(qtbot, one)
    store = one.ops.store
    moved = serving.load_item(store, item.id)
    assert (moved.queue_name, moved.state) == ("escalations", "pending")
    assert store.db.execute("SELECT item_id, action FROM decisions ORDER BY id").fetchall() == [
        (item.id, "escalate"), (one.last_decision.item_id, "no_violation")]
    assert one.last_decision.item_id != item.id


def test_a_decision_key_after_the_other_window_escalated_closes_nothing(qtbot, windows, clock):
    one, two = windows
    item = _same_item_in_both(qtbot, windows, clock)
    _escalate(qtbot, two, "credible threat?")
    _press(qtbot, one, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: one.item is not None and one.item.id != item.id)
    _settled(qtbot, one)
    assert "another window" in one.footer.text()
    store = one.ops.store
    assert store.db.execute("SELECT action FROM decisions").fetchall() == [("escalate",)]
    assert serving.load_item(store, item.id).state == "pending"
    _press(qtbot, one, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: one.last_decision is not None)
    assert one.last_decision.item_id not in (item.id, None)


def test_closing_one_window_keeps_the_other_windows_item(qtbot, windows):
    one, two = windows
    _enter(qtbot, one)
    _enter(qtbot, two)
    kept = two.item
    one.close_page()
    one.ops.close()
    store = two.ops.store
    assert serving.holder(store, kept.id)[0] == "ana"
    _press(qtbot, two, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: two.last_decision is not None)
    assert two.last_decision.item_id == kept.id


def test_skip_and_close_give_back_with_an_event_each(qtbot, windows):
    one, _ = windows
    _enter(qtbot, one)
    skipped = one.item
    _press(qtbot, one, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: one.item is not None and one.item.id != skipped.id)
    _settled(qtbot, one)
    shown = one.item
    one.close_page()
    one.ops.close()
    store = one.ops.store
    rows = store.db.execute("SELECT subject, payload FROM events WHERE kind = 'item.released' ORDER BY id").fetchall()
    assert [(s, '"skip"' in p or '"closed"' in p) for s, p in rows] == [
        (f"item:{skipped.id}", True), (f"item:{shown.id}", True)]
    assert store.db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0


@pytest.fixture
def window(qtbot, workspace):
    """One review window (ana's)."""
    page = _page(qtbot, workspace)
    yield page
    page.close_page()
    page.ops.close()
    page.wellbeing.close()


def test_a_window_whose_item_a_lead_moved_out_of_its_reach_gives_it_back(qtbot, workspace, window):
    """Renewing is refused (NotAllowed: an escalation queue is a lead's): the item goes back at once, with
    its event, instead of staying held for the rest of the lease."""
    workspace.add_user("lee", ["lead"])
    page = window
    _enter(qtbot, page)
    item, claim = page.item, page.shown.claim
    with workspace.second_connection() as elsewhere:  # a lead, in another Veil
        admin.move(elsewhere, "lee", Selection(queues=("spam",), states=("pending",)), "escalations")
    page.renew_timer.timeout.emit()
    qtbot.waitUntil(lambda: "next one" in page.footer.text())
    _settled(qtbot, page)
    assert "only a lead" in page.footer.text()
    assert page.item is None  # nothing this moderator may work is waiting
    assert serving.holder(workspace, item.id) is None
    assert [(e.actor, e.subject, e.payload) for e in events(workspace, "item.released")] == [
        ("ana", f"item:{item.id}", {"reason": "not_allowed", "claim": claim})]
