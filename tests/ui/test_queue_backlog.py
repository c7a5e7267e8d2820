"""Issue 13 §2: QA's backlog where the queues are, auditors' work on the lead's dashboard, My results for all.

The Queues page reads ``audit.dashboard.queue_health`` (as the desktop
wiring gives it), so the QA audit queue counts its open samples; opening it
takes an auditor to the Audit page.
"""

from __future__ import annotations

import pytest
from builders import audited, decided_item, people
from PySide6.QtCore import QSettings, Qt

from audit import dashboard as audit_dashboard
from audit import sampling
from desktop import app as desktop_app
from desktop import pages as desktop_pages
from review import taxonomy
from ui.operations import Operations
from ui.pages.audit import AuditPage
from ui.pages.dashboard import DashboardPage
from ui.pages.queues import OLDEST, WAITING, QueueOverview
from ui.pages.results import ResultsPage

WAIT_MS = 5000
DAY = "2026-01-04T10:00:00Z"


@pytest.fixture
def floor(store):
    """ana moderates, dana audits, lee leads; 17 of ana's decisions wait in the QA audit queue."""
    people(store, ana="moderator", dana=(["auditor"], "Dana Kim"), lee="lead")
    store.add_queue("QA audit", "audit", sla_seconds=72 * 3600)
    store.add_queue("hate", sla_seconds=4 * 3600)
    for _ in range(17):
        sampling.add_sample(store, "lee", decided_item(store, "hate", "ana", decided_at=DAY))
    return store


@pytest.fixture
def ops(floor):
    runner = Operations(floor)
    yield runner
    runner.close()


def _row(page: QueueOverview, name: str) -> int:
    return page.model.row_of(name)


def test_the_queues_page_shows_the_qa_audit_backlog(qtbot, floor, ops):
    """Today the "QA audit" queue always shows "0 waiting" while 17 samples are open."""
    page = QueueOverview(audit_dashboard.queue_health, ops, now=floor.clock.now)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.show()
    row = _row(page, "QA audit")
    assert page.model.index(row, WAITING).data() == "17 samples"
    assert page.model.index(row, OLDEST).data() == "under 1 min"
    assert "not yet audited" in page.model.index(row, WAITING).data(Qt.ItemDataRole.ToolTipRole)
    assert "sample drawn" in page.model.index(row, OLDEST).data(Qt.ItemDataRole.ToolTipRole)
    assert page.model.index(_row(page, "hate"), WAITING).data() == "0"
    assert page.summary.text() == "0 waiting in 1 queue  ·  17 samples to audit"  # a QA queue holds no reports
    chosen = []
    page.qa_queue_chosen.connect(lambda name, kind: chosen.append((name, kind)))
    page.queue_chosen.connect(lambda name: chosen.append((name, "review")))
    page.select_queue("QA audit")
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    page.select_queue("hate")
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert chosen == [("QA audit", "audit"), ("hate", "review")]
    page.close_page()


def _window(qtbot, store, tmp_path):
    window = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat),
                                      taxonomy.load())
    qtbot.addWidget(window)
    return window


def test_opening_the_qa_audit_queue_as_an_auditor_goes_to_the_audit_page(qtbot, floor, tmp_path):
    window = _window(qtbot, floor, tmp_path)
    window.sign_in_as("dana")
    window.show()
    queues = window.show_page("queues")
    qtbot.waitUntil(lambda: _row(queues, "QA audit") >= 0, timeout=WAIT_MS)
    queues.qa_queue_chosen.emit("QA audit", "audit")
    assert window.current_page_key() == "audit" and isinstance(window.page("audit"), AuditPage)
    qtbot.waitUntil(lambda: window.page("audit").work.rowCount() == 17, timeout=WAIT_MS)
    window.sign_out()
    window.sign_in_as("ana")  # not an auditor: told where audits are done, and stays where she is
    queues = window.show_page("queues")
    queues.qa_queue_chosen.emit("QA audit", "audit")
    assert window.current_page_key() == "queues"
    assert "Audit page" in window.statusBar().currentMessage()
    window.sign_out()


def test_my_results_is_there_for_everyone_qa_touches(qtbot, floor, tmp_path):
    """Today "My results" is registered for moderators only: leads are audited but have no results page."""
    window = _window(qtbot, floor, tmp_path)
    for name in ("ana", "dana", "lee"):
        window.sign_in_as(name)
        assert "results" in window.page_keys(), name
        window.sign_out()


def test_an_auditor_sees_their_own_audit_work_on_my_results(qtbot, floor, ops):
    for _ in range(2):
        audited(floor, decided_item(floor, "hate", "ana", decided_at=DAY), lead="lee", auditor="dana",
                blind_action="no_violation")
    policy = taxonomy.load()
    page = ResultsPage(desktop_pages.results_services(policy, floor.user("dana"), ops))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        page.show()
    assert page.work.isVisible()
    assert page.work.text().startswith("Your audits: 2 today  ·  2 in the last 28 days")
    assert "judged wrong 0 of 2" in page.work.text()
    assert not page.table.isVisible() and "as an auditor you decide none" in page.empty.text()
    page.close_page()
    lead = ResultsPage(desktop_pages.results_services(policy, floor.user("lee"), ops))
    qtbot.addWidget(lead)
    with qtbot.waitSignal(lead.loaded, timeout=WAIT_MS):
        lead.show()
    assert not lead.work.isVisible() and "escalations you decide included" in lead.empty.text()
    lead.close_page()


def test_the_dashboard_shows_each_auditors_work(qtbot, floor, ops):
    """Today the dashboard says "no audits" for Dana, who scored nine: auditors' work appears nowhere."""
    for _ in range(9):
        audited(floor, decided_item(floor, "hate", "ana", decided_at=DAY), lead="lee", auditor="dana",
                blind_action="no_violation")
    lee = floor.user("lee")
    page = DashboardPage(lambda reader: audit_dashboard.load(reader, lee), ops)
    qtbot.addWidget(page)
    page.resize(1280, 720)
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.show()
    tab = page.auditors_tab
    assert page.tabs.tabText(page.tabs.indexOf(tab)) == "QA auditors"
    model = tab.model
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    assert cells[:3] == ["Dana Kim", "9", "0.3"]  # 9 over the dashboard's 28 days
    assert cells[4] == "0% (0 of 9)" and cells[6] == "none" and cells[7] == "0"  # the 17 open ones are the pool's
    qtbot.waitUntil(lambda: not page.is_refreshing(), timeout=WAIT_MS)
    page.close_page()


def test_the_dashboard_counts_the_qa_audit_backlog_like_the_queues_page(qtbot, floor, ops):
    """Today the Dashboard's queue table and "Waiting by queue" chart still say "QA audit: 0 waiting"."""
    lee = floor.user("lee")
    page = DashboardPage(lambda reader: audit_dashboard.load(reader, lee), ops)
    qtbot.addWidget(page)
    page.resize(1280, 720)
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.show()
    model = page.queue_model
    [row] = [r for r in range(model.rowCount()) if model.index(r, 0).data() == "QA audit"]
    waiting = [c for c in range(model.columnCount())
               if model.headerData(c, Qt.Orientation.Horizontal) == "Waiting"][0]
    assert model.index(row, waiting).data() == "17"
    health = {q.queue.name: q.health.waiting for q in audit_dashboard.load(floor, lee).board.queues}
    assert health == {"QA audit": 17, "hate": 0}  # the "Waiting by queue" chart's figures
    assert page.summary.text().startswith("0 waiting")  # samples to audit are not reports waiting
    qtbot.waitUntil(lambda: not page.is_refreshing(), timeout=WAIT_MS)
    page.close_page()
