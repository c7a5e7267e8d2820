"""The dashboard's Automation tab (issue 20 §7): each rule's figures, a suspended rule said, a lead's revoke
(counted first, confirmed by a second press) and resume (reason required)."""

from __future__ import annotations

import pytest
from builders import audited, people, text_items

from audit import automation as audit_automation
from audit.dashboard import load as lead_dashboard
from review import settings
from review.known import automation
from review.known.automation import Outcome, apply
from ui.operations import Operations
from ui.pages.dashboard import DashboardPage

WAIT_MS = 10_000


@pytest.fixture
def floor(store):
    people(store, lee="lead", ana="moderator", dana="auditor")
    store.add_queue("general")
    settings.write(store, "lee", audit_automation.MIN_AUDITS, 3)  # judged on three audits, as each is scored
    ids = text_items(store, "general", 3)
    with store.transaction():
        apply(store, [Outcome(i, "remove", ("spam",), automated=True) for i in ids], rule="list:known-spam",
              version=2, actor="lee")
    for decision in [d for (d,) in store.db.execute("SELECT id FROM decisions ORDER BY id")][:3]:
        audited(store, decision, lead="lee", auditor="dana", blind_action="keep", verdict="incorrect",
                error=("over_enforcement", "minor"))
    return store


@pytest.fixture
def ops(floor):
    """The page's runner, writing through a connection of its own as the app's does: the tests read and write
    through ``floor``'s meanwhile (another lead), and one connection used by two threads at once can crash."""
    writer = floor.second_connection()
    runner = Operations(writer)
    yield runner
    runner.close()
    writer.close()


def _page(qtbot, store, ops):
    page = DashboardPage(lambda reader: lead_dashboard(reader, "lee"), ops, lead=store.user("lee"))
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    page.tabs.setCurrentWidget(page.automation_tab)
    return page, page.automation_tab


def _asked_to_revoke(qtbot, tab, since: str, until: str) -> None:
    """The first press: the rule selected, the window typed, the count asked for and shown on the button."""
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1, timeout=WAIT_MS)
    tab.table.selectRow(0)
    tab.since.setText(since)
    tab.until.setText(until)
    tab.revoke_button.click()
    qtbot.waitUntil(lambda: tab.confirming is not None, timeout=WAIT_MS)


def test_the_tab_judges_and_shows_each_rule(qtbot, store, ops):
    page, tab = _page(qtbot, store, ops)
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1 and tab.suspended.isVisible(), timeout=WAIT_MS)
    cells = [tab.table.item(0, c).text() for c in range(tab.table.columnCount())]
    assert cells[:4] == ["list:known-spam", "2", "3", "0"]
    assert cells[5] == "0.0 % (n=3)" and cells[8] == "suspended"
    assert "list:known-spam" in tab.suspended.text()
    assert tab.table.accessibleName() == "Automation per rule"
    page.close_page()
    assert ops.wait_idle(WAIT_MS)


def test_revoke_counts_first_and_revokes_on_the_second_press(qtbot, store, ops):
    page, tab = _page(qtbot, store, ops)
    _asked_to_revoke(qtbot, tab, "2026-01-01T00:00Z", "2026-12-31T00:00Z")
    assert tab.revoke_button.text() == "Confirm: &revoke 3 decisions"  # Alt+R again confirms
    assert {s for (s,) in store.db.execute("SELECT state FROM items")} == {"decided"}  # nothing yet
    tab.revoke_button.click()
    qtbot.waitUntil(lambda: "Revoked 3 decisions" in tab.status.text(), timeout=WAIT_MS)
    assert {s for (s,) in store.db.execute("SELECT state FROM items")} == {"pending"}
    page.close_page()
    assert ops.wait_idle(WAIT_MS)


def test_resume_needs_a_reason(qtbot, store, ops):
    page, tab = _page(qtbot, store, ops)
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1 and bool(tab.figures[0].suspended_since), timeout=WAIT_MS)
    tab.table.selectRow(0)
    tab.resume_button.click()
    assert "Write why" in tab.status.text()
    tab.reason.setText("list cleaned up")
    tab.resume_button.click()
    qtbot.waitUntil(lambda: not automation.suspended_rules(store), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.table.item(0, 8).text() == "deciding", timeout=WAIT_MS)
    page.close_page()
    assert ops.wait_idle(WAIT_MS)


def test_a_lead_is_told_at_sign_in_which_rules_are_suspended(qtbot, store, ops):
    from PySide6.QtWidgets import QMainWindow

    from ui.pages.dashboard_automation import say_suspended

    window = QMainWindow()
    qtbot.addWidget(window)
    say_suspended(window, ops, store.user("ana"))  # a moderator: nothing to say
    assert ops.wait_idle(WAIT_MS) and window.statusBar().currentMessage() == ""
    say_suspended(window, ops, store.user("lee"))
    qtbot.waitUntil(lambda: "list:known-spam" in window.statusBar().currentMessage(), timeout=WAIT_MS)
    assert window.statusBar().currentMessage().startswith("Automation suspended below its accuracy floor")
    assert ops.wait_idle(WAIT_MS)


def test_a_confirmation_that_no_longer_holds_revokes_nothing(qtbot, store, ops):
    page, tab = _page(qtbot, store, ops)
    _asked_to_revoke(qtbot, tab, "2026-01-01", "2026-12-31")
    assert tab.revoke_button.text() == "Confirm: &revoke 3 decisions"
    automation.revoke(store, "lee", "list:known-spam", "2026-01-01T00:00Z", None)  # another lead, meanwhile
    tab.revoke_button.click()
    qtbot.waitUntil(lambda: "not the 3 you confirmed" in tab.status.text(), timeout=WAIT_MS)
    assert tab.confirming is None
    assert store.db.execute("SELECT COUNT(*) FROM decisions WHERE revokes_id IS NOT NULL").fetchone()[0] == 3
    page.close_page()
    assert ops.wait_idle(WAIT_MS)


def test_a_reload_while_confirming_keeps_the_confirmation(qtbot, store, ops):
    """A refresh landing between the two presses (another desk decided) must not silently cancel the first:
    rebuilding the rows used to clear the selection on the way, which started the confirmation over."""
    page, tab = _page(qtbot, store, ops)
    _asked_to_revoke(qtbot, tab, "2026-01-01", "2026-12-31")
    with qtbot.waitSignal(tab._loads.loaded, timeout=WAIT_MS):
        ops.changed.emit(frozenset({"decision"}))
    assert tab.confirming is not None and tab.table.current_key() == 0
    assert tab.revoke_button.text() == "Confirm: &revoke 3 decisions"
    page.close_page()
    assert ops.wait_idle(WAIT_MS)


def test_the_app_tells_a_lead_at_sign_in(qtbot, store, ops, tmp_path):
    from PySide6.QtCore import QSettings

    from desktop import app as desktop_app

    window = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.sign_in(store.user("lee"))
    qtbot.waitUntil(lambda: "Automation suspended below its accuracy floor: list:known-spam"
                    in window.statusBar().currentMessage(), timeout=WAIT_MS)
    window.sign_out()
    window.sign_in(store.user("ana"))  # a moderator is told nothing of it
    assert "Automation suspended" not in window.statusBar().currentMessage()
    window.sign_out()
