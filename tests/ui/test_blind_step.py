"""Issue 13 §2: nothing in the blind step hints at the original decision or its path.

An item ana escalated sits, pending, in the escalation queue; the lead
decided it there. Sampled, either decision reaches the auditor as the item
as it arrived: the queue it was first decided in, no "escalated", no
moderator, no note, no decision time, no plan name until the reveal.
"""

from __future__ import annotations

import pytest
from builders import decided_item, people, text_item
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QTableWidget, QWidget

from audit import sampling
from desktop import pages as desktop_pages
from review import decisions, serving, taxonomy
from ui.operations import Operations
from ui.pages.audit import BLIND, IDLE, SCORE, AuditPage
from ui.pages.qa_common import local_time
from ui.wellbeing.controller import WellbeingController

WAIT_MS = 5000
NOTE = "credible-threat-zebra"


@pytest.fixture
def policy():
    return taxonomy.load()


@pytest.fixture
def escalated(store, clock, policy):
    """ana escalates a post of "hate" with a note; lee removes it in "Lead escalations"; both are sampled."""
    team = people(store, ana=(["moderator"], "Ana Quist"), dana="auditor", lee=(["lead"], "Lee Morgan"), max="lead")
    store.add_queue("Lead escalations", "escalation", sla_seconds=8 * 3600)
    store.add_queue("hate", sla_seconds=4 * 3600, escalation_queue="Lead escalations")
    item_id = text_item(store, "hate", text="a harmless sample sentence", external_id="post-1")
    lease = serving.claim_next(store, team["ana"], ["hate"])
    made = decisions.decide(store, policy, team["ana"], item_id, claim=lease.claim, action="escalate", note=NOTE)
    clock.advance(3 * 3600)
    sampling.add_sample(store, "max", made.id, auditor="dana")
    return store, made


@pytest.fixture
def ops(escalated):
    runner = Operations(escalated[0])
    yield runner
    runner.close()


def _texts(root: QWidget, skip: QWidget) -> str:
    """Every text a person could read in *root* (shown or hidden), but the decision panel's own choices."""
    found = []
    for widget in [root, *root.findChildren(QWidget)]:
        if widget is skip or skip.isAncestorOf(widget):
            continue
        found.append(widget.toolTip())
        if isinstance(widget, (QLabel, QAbstractButton, QLineEdit)):
            found.append(widget.text())
        if isinstance(widget, QTableWidget):
            found += [widget.item(r, c).text() for r in range(widget.rowCount()) for c in range(widget.columnCount())]
    return "\n".join(found)


def test_the_blind_step_shows_the_first_queue_and_nothing_of_the_path(qtbot, escalated, ops, policy):
    """Today the blind step's header says "text post in Lead escalations", which gives the escalation away."""
    store, made = escalated
    coach = WellbeingController(store, store.user("dana"), store.clock)
    page = AuditPage(desktop_pages.audit_services(store, policy, store.user("dana"), coach, ops))
    qtbot.addWidget(page)
    page.resize(1280, 720)
    with qtbot.waitSignal(page.work_loaded, timeout=WAIT_MS):
        page.show()
    assert page.work.texts()[0][1] == "hate"
    page.setFocus()
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.step == BLIND, timeout=WAIT_MS)
    assert page.item_view.header.subtitle.text().endswith("text post in hate")
    assert page.status.text() == f"Sample {page.task.sample_id}"  # the plan ("manual") waits for the reveal
    readable = _texts(page, skip=page.decision).lower()
    leaks = ("escalat", "overturn", "lead", "ana", "quist", NOTE, local_time(made.decided_at), "manual")
    assert not [word for word in leaks if word.lower() in readable]
    qtbot.keyClick(page, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: page.step == SCORE, timeout=WAIT_MS)
    assert page.status.text().endswith("· plan manual")
    assert NOTE in page.compare.details.text()  # after the blind step, the whole truth
    qtbot.keyClick(page, Qt.Key.Key_C)
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.step == IDLE, timeout=WAIT_MS)
    page.close_page()
    coach.close()


def test_a_decision_made_in_an_escalation_queue_shows_no_queue_and_no_escalation_metadata(qtbot, request, store,
                                                                                           policy):
    """Today such a sample reads "Minor safety escalations" in the work list and header, and the metadata
    panel lists escalated_by and escalation_note (the demo's and imports' decided escalations)."""
    people(store, ben="moderator", dana="auditor", lee="lead", max="lead")
    store.add_queue("Minor safety escalations", "escalation", sla_seconds=8 * 3600)
    decision = decided_item(store, "Minor safety escalations", "lee", decided_at="2026-01-04T10:00:00Z",
                            action="remove", metadata={"escalated_by": "ben", "escalation_note": NOTE,
                                                       "escalated_from": "a queue long gone", "reporter_count": 2})
    sampling.add_sample(store, "max", decision, auditor="dana")
    runner = Operations(store)
    request.addfinalizer(runner.close)
    coach = WellbeingController(store, store.user("dana"), store.clock)
    request.addfinalizer(coach.close)
    page = AuditPage(desktop_pages.audit_services(store, policy, store.user("dana"), coach, runner))
    qtbot.addWidget(page)
    page.resize(1280, 720)
    with qtbot.waitSignal(page.work_loaded, timeout=WAIT_MS):
        page.show()
    assert "escalat" not in "\n".join(map(str, page.work.texts())).lower()
    page.setFocus()
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.step == BLIND, timeout=WAIT_MS)
    assert page.item_view.header.subtitle.text().endswith("text post")  # no queue to name: no "in …"
    readable = _texts(page, skip=page.decision).lower()
    assert not [word for word in ("escalat", "ben", NOTE, "gone") if word.lower() in readable]
    page.close_page()
