"""My decisions and the lead's Corrections page (issue 14 §1): read-only, veiled, ask — then decline or correct."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from review import corrections, taxonomy
from review.media.viewing import ViewSettings
from review.wellbeing.policy import WellbeingPolicy
from tests.builders import decided_item, events, people
from ui import keymap
from ui.operations import Operations
from ui.pages.corrections import CorrectionsPage
from ui.pages.my_decisions import MyDecisionsPage
from ui.pages.my_decisions_view import DeskServices
from ui.wellbeing.controller import WellbeingController

POLICY = taxonomy.load()


@pytest.fixture
def floor(store):
    people(store, ana="moderator", lee="lead")
    store.add_queue("spam")
    removed = decided_item(store, "spam", "ana", decided_at="2026-01-04T08:00:00.000Z", action="remove",
                           labels=["spam"], external_id="spam1", text="buy cheap pills now", severity="high")
    decided_item(store, "spam", "ana", decided_at="2026-01-04T09:00:00.000Z", external_id="ok1", text="hello")
    return removed


def _page(qtbot, store, kind: type[QWidget], name: str, audit_states=None) -> QWidget:
    user = store.user(name)
    services = DeskServices(Operations(store), user, POLICY, ViewSettings(), keymap.build(POLICY), store.clock,
                               WellbeingController(store, user, store.clock, WellbeingPolicy()), audit_states)
    page = kind(services)
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    qtbot.waitUntil(lambda: page.table.rowCount() > 0 or "No " in page.summary.text())
    page.table.setFocus()
    return page


def _close(page) -> None:
    page.close_page()
    page.ops.close()
    page.services.wellbeing.close()


@pytest.fixture
def mine(qtbot, store, floor):
    page = _page(qtbot, store, MyDecisionsPage, "ana")
    yield page
    _close(page)


def test_my_decisions_lists_mine_newest_first_and_never_shows_media(mine):
    rows = mine.table.texts()
    assert [r[1] for r in rows] == ["ok1 · hello", "spam1 · buy cheap pills now"]
    assert rows[1][2] == "Remove · Spam" and rows[1][3] == "stands"
    assert "Your last 2 decisions" in mine.summary.text()


def test_c_asks_a_lead_with_a_required_reason_and_the_row_says_so(qtbot, mine, store, floor):
    mine.table.selectRow(1)
    qtbot.keyClick(mine.table, Qt.Key.Key_C)
    assert mine.form.isVisible() and mine.reason.hasFocus()
    mine.reason.returnPressed.emit()  # empty: the domain refuses
    qtbot.waitUntil(lambda: "required" in mine.message.text())
    qtbot.keyClicks(mine.reason, "It was a joke between friends")
    with qtbot.waitSignal(mine.loaded, timeout=5000):
        mine.reason.returnPressed.emit()
    assert "a lead will correct" in mine.message.text() and not mine.form.isVisible()
    assert mine.table.texts()[1][3] == "stands · correction asked"
    assert [e.payload["decision"] for e in events(store, "decision.correction_requested")] == [floor]
    mine.table.selectRow(1)
    assert not mine.ask_button.isEnabled()  # one open request per decision


def test_an_open_qa_sample_is_never_shown_and_an_audited_one_is(qtbot, store, floor):
    states = {floor: "open"}
    page = _page(qtbot, store, MyDecisionsPage, "ana", audit_states=lambda _store, ids: dict(states))
    try:
        assert [r[3] for r in page.table.texts()] == ["stands", "stands"]
        states[floor] = "audited"
        with qtbot.waitSignal(page.loaded, timeout=5000):
            page.refresh()
        assert [r[3] for r in page.table.texts()] == ["stands", "stands · audited"]
    finally:
        _close(page)


def test_a_decision_a_complaint_reversed_says_superseded_and_cannot_be_asked_about(qtbot, store, floor, tmp_path):
    import json

    from review import complaints, serving
    from review.imports.manifest import import_manifest

    people(store, ben="moderator")
    manifest = tmp_path / "complaints.jsonl"
    manifest.write_text(json.dumps({"id": "c-1", "queue": "complaints", "text": "A joke", "complaint_of": "spam1",
                                    "received_at": "2026-01-05T08:00:00Z"}) + "\n")
    assert import_manifest(store, manifest, actor="lee", create_queues=True).committed
    complaint = store.db.execute("SELECT id FROM items WHERE external_id = 'c-1'").fetchone()[0]
    lease = serving.claim_next(store, store.user("ben"), ["complaints"])
    complaints.resolve(store, POLICY, "ben", complaint, claim=lease.claim, outcome="reversed", action="no_violation",
                       note="Not spam")
    page = _page(qtbot, store, MyDecisionsPage, "ana")
    try:
        assert page.table.texts()[1][3] == "superseded"
        page.table.selectRow(1)
        assert not page.ask_button.isEnabled()
        qtbot.keyClick(page.table, Qt.Key.Key_C)
        assert not page.form.isVisible() and "superseded" in page.message.text()
    finally:
        _close(page)


def test_enter_opens_the_item_veiled_and_backspace_books_its_exposure(qtbot, mine, store, clock):
    mine.table.selectRow(1)
    qtbot.keyClick(mine.table, Qt.Key.Key_Return)
    stack = mine.stack
    qtbot.waitUntil(lambda: stack.item is not None)
    view = stack.item_view
    assert stack.currentWidget() is view and view.item.external_id == "spam1"
    assert view.tracker.revealed is None  # veiled, as always
    assert "Your decision" in mine.facts.text() and "Remove" in mine.facts.text()
    clock.advance(seconds=3)
    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    assert stack.currentWidget() is mine.table and stack.item is None
    booked = store.db.execute("SELECT item_id, blurred_ms + revealed_ms FROM exposure").fetchall()
    assert [tuple(r)[1] for r in booked] == [3000]


@pytest.fixture
def lead_page(qtbot, store, floor):
    corrections.request(store, "ana", floor, "not spam")
    page = _page(qtbot, store, CorrectionsPage, "lee")
    yield page
    _close(page)


def test_the_lead_opens_a_request_and_an_action_key_corrects_it(qtbot, lead_page, store, floor):
    assert lead_page.table.texts()[0][1:] == ["ana", "spam1", "spam", "Remove · Spam", "not spam"]
    qtbot.keyClick(lead_page.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: lead_page.stack.item is not None)
    view = lead_page.stack.item_view
    assert "ana asks" in lead_page.facts.text()
    with qtbot.waitSignal(lead_page.answered, timeout=5000):
        qtbot.keyClick(view, Qt.Key.Key_A)  # no violation: replaces the removal
    assert "Corrected" in lead_page.message.text() and lead_page.stack.item is None
    qtbot.waitUntil(lambda: lead_page.table.rowCount() == 0)
    assert [e.kind for e in events(store) if e.kind == "decision.corrected"] == ["decision.corrected"]


def test_the_lead_declines_with_d_and_a_reason(qtbot, lead_page, store):
    qtbot.keyClick(lead_page.table, Qt.Key.Key_D)
    assert lead_page.reason.hasFocus()
    qtbot.keyClicks(lead_page.reason, "Selling pills is spam under 4.2")
    with qtbot.waitSignal(lead_page.answered, timeout=5000):
        lead_page.reason.returnPressed.emit()
    assert "Declined" in lead_page.message.text()
    [declined] = events(store, "decision.correction_declined")
    assert declined.actor == "lee"


def test_d_declines_the_request_it_was_pressed_on_whatever_the_list_does_meanwhile(qtbot, store, floor):
    corrections.request(store, "ana", floor, "not spam")
    other = store.db.execute("SELECT id FROM decisions WHERE id <> ? ORDER BY id LIMIT 1", [floor]).fetchone()[0]
    corrections.request(store, "ana", other, "spam after all")
    people(store, max="lead")
    page = _page(qtbot, store, CorrectionsPage, "lee")
    try:
        qtbot.waitUntil(lambda: page.table.rowCount() == 2)
        page.table.selectRow(1)  # the second request: about ok1
        qtbot.keyClick(page.table, Qt.Key.Key_D)
        second = corrections.open_requests(store, "max")[1]
        corrections.decline(store, "max", second.id, "It stands.")  # another lead answers it meanwhile
        with qtbot.waitSignal(page.loaded, timeout=5000):
            page.refresh()  # the list now holds only the first request, selected
        qtbot.keyClicks(page.reason, "Wrong either way")
        page.reason.returnPressed.emit()
        qtbot.waitUntil(lambda: "already declined" in page.message.text())
        assert [r.external_id for r in corrections.open_requests(store, "lee")] == ["spam1"]  # untouched
    finally:
        _close(page)
