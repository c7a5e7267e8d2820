"""The lead's Rules page (issue 20 §6) offscreen on a real store: check with lines, test, apply, versions, files."""

from __future__ import annotations

import pytest
from builders import decided_item, events, people
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QMessageBox

from review.known import routing
from review.taxonomy import load
from ui.operations import Operations
from ui.pages.rules import RulesPage

WAIT_MS = 5000
FIRST = '[[rule]]\nname = "sure spam"\nwhen = { category = "spam" }\nthen = { action = "remove", labels = ["spam"] }\n'


@pytest.fixture
def floor(store):
    people(store, ana="moderator", lee="lead")
    store.add_queue("inbox")
    store.add_queue("leads", "escalation")
    decided_item(store, "inbox", "ana", decided_at="2026-01-05T08:00:00Z", action="remove", labels=["spam"],
                 received_at="2026-01-04T00:00:00Z", metadata={"category": "spam"})
    routing.apply(store, "lee", FIRST, "first.toml", policy=load())
    return store


@pytest.fixture
def ops(floor):
    runner = Operations(floor)
    yield runner
    runner.close()


def opened(qtbot, floor, ops, who="lee") -> RulesPage:
    page = RulesPage(floor.user(who), ops, load())
    qtbot.addWidget(page)
    page.resize(1080, 640)  # the page's share of a 1280×720 window
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS, raising=False):
        page.show()
    return page


@pytest.fixture
def page(qtbot, floor, ops):
    shown = opened(qtbot, floor, ops)
    yield shown
    shown.close_page()
    assert ops.wait_idle(WAIT_MS)


def test_the_current_version_is_in_the_editor_and_the_versions_listed(page):
    assert page.text() == FIRST and page.source == "first.toml"
    assert page.versions.table.rowCount() == 1 and page.versions.table.item(0, 1).text() == "lee"
    assert "Version 1 (first.toml) applied by lee" in page.status.text()
    assert page.editor.font().family() == QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()


def test_a_check_lists_each_problem_and_enter_goes_to_its_line(qtbot, page):
    page.editor.setPlainText(FIRST + '\n[[rule]]\nname = "late"\nthen = { queue = "leads" }\n')
    with qtbot.waitSignal(page.checked, timeout=WAIT_MS) as outcome:
        page.check()
    assert outcome.args == [False]
    rows = [page.problems.list.item(n).text() for n in range(page.problems.list.count())]
    assert rows == ["Line 8: queue 'leads' is not a review queue (escalation): rules route to review queues, and "
                    "moderators escalate from there"]
    assert page.tabs.currentWidget() is page.problems
    qtbot.keyClick(page.problems.list, Qt.Key.Key_Return)
    assert page.editor.textCursor().blockNumber() == 7 and "line 8" in page.position.text()


def test_a_fine_check_says_how_many_rules(qtbot, page):
    with qtbot.waitSignal(page.checked, timeout=WAIT_MS) as outcome:
        page.check()
    assert outcome.args == [True] and page.problems.summary.text().startswith("1 rule, fine")


def test_a_test_runs_in_the_background_and_shows_figures_per_rule(qtbot, page):
    with qtbot.waitSignal(page.tested, timeout=WAIT_MS):
        page.trial.days.setValue(7)
        page.trial.run.click()
    table = page.trial.table
    assert table.rowCount() == 1
    assert table.item(0, 0).text().startswith("sure spam\nsuggests remove (spam)\nin queues: inbox 1")
    assert (table.item(0, 1).text(), table.item(0, 2).text()) == ("1", "100% (n = 1)")
    assert page.trial.summary.text().startswith("1 item received since") and page.trial.run.isEnabled()


def test_apply_asks_then_stores_a_new_version(qtbot, page, floor):
    page.editor.setPlainText(FIRST.replace("sure spam", "spam, surely"))
    dialog = page.ask_apply()
    assert "version 2" in dialog.text()
    assert dialog.defaultButton() is dialog.button(QMessageBox.StandardButton.Cancel)  # Enter alone applies nothing
    (accept,) = [b for b in dialog.buttons() if dialog.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole]
    assert accept.text() == "Apply as version 2"
    with qtbot.waitSignal(page.applied, timeout=WAIT_MS) as done:
        accept.click()
    assert done.args == [2]
    assert [e.payload["version"] for e in events(floor, "rules.applied")] == [1, 2]
    qtbot.waitUntil(lambda: page.versions.table.rowCount() == 2, timeout=WAIT_MS)
    assert "Applied as version 2" in page.status.text() or "Version 2" in page.status.text()


def test_cancel_applies_nothing(qtbot, page, floor, ops):
    dialog = page.ask_apply()
    dialog.button(QMessageBox.StandardButton.Cancel).click()
    assert ops.wait_idle(WAIT_MS)
    assert len(events(floor, "rules.applied")) == 1


def test_a_problem_refuses_apply_and_is_listed(qtbot, page, floor):
    page.editor.setPlainText('[[rule]]\nname = "x"\nthen = { queue = "nowhere" }\n')
    with qtbot.waitSignal(page.checked, timeout=WAIT_MS) as outcome:
        page.apply()
    assert outcome.args == [False] and page.problems.list.count() == 1
    assert len(events(floor, "rules.applied")) == 1


def test_a_file_is_opened_and_saved_off_the_gui_thread(qtbot, page, tmp_path):
    source = tmp_path / "team.toml"
    source.write_text(FIRST.replace("sure spam", "from a file"), encoding="utf-8")
    page.read(source)
    qtbot.waitUntil(lambda: "from a file" in page.text(), timeout=WAIT_MS)
    assert page.source == "team.toml" and "Opened team.toml" in page.status.text()
    target = tmp_path / "out" / "saved.toml"
    target.parent.mkdir()
    page.write(target)
    qtbot.waitUntil(lambda: target.exists() and "Saved to" in page.status.text(), timeout=WAIT_MS)
    assert target.read_text(encoding="utf-8") == page.text()
    page.read(tmp_path / "missing.toml")
    qtbot.waitUntil(lambda: page.problems.list.count() == 1, timeout=WAIT_MS)
    assert "missing.toml" in page.problems.summary.text() and "from a file" in page.text()


def test_an_older_version_opens_in_the_editor(qtbot, page, floor):
    routing.apply(floor, "lee", FIRST.replace("sure spam", "newer"), "second.toml", policy=load())
    page.refresh()
    qtbot.waitUntil(lambda: page.versions.table.rowCount() == 2, timeout=WAIT_MS)
    page.versions.table.selectRow(1)
    page.versions.open.click()
    assert page.text() == FIRST and page.source == "first.toml"


def test_a_moderator_is_told_the_domains_refusal(qtbot, floor, ops):
    shown = opened(qtbot, floor, ops, who="ana")
    qtbot.waitUntil(lambda: "not a lead" in shown.status.text(), timeout=WAIT_MS)
    shown.close_page()
    assert ops.wait_idle(WAIT_MS)


def _changed_meanwhile(qtbot, page, floor, ops) -> QMessageBox:
    """Another lead applies version 2 while *page* edits version 1; the page's Apply is refused with an offer."""
    people(floor, kim="lead")
    routing.apply(floor, "kim", FIRST.replace("sure spam", "kim's"), "kim.toml", policy=load())
    page.editor.setPlainText(FIRST.replace("sure spam", "lee's"))
    page.apply()
    qtbot.waitUntil(lambda: page.reload_offer is not None and page.reload_offer.isVisible(), timeout=WAIT_MS)
    assert "kim applied version 2" in page.reload_offer.text() and "Nothing was applied" in page.reload_offer.text()
    assert ops.wait_idle(WAIT_MS) and len(events(floor, "rules.applied")) == 2
    qtbot.waitUntil(lambda: page.versions.table.rowCount() == 2, timeout=WAIT_MS)
    assert "Version 2 (kim.toml) applied by kim" in page.status.text()
    assert "newer than the version your text was loaded beside (1)" in page.status.text()
    return page.reload_offer


def test_apply_over_another_leads_newer_version_offers_to_load_it(qtbot, page, floor, ops):
    offer = _changed_meanwhile(qtbot, page, floor, ops)
    (load_button,) = [b for b in offer.buttons() if offer.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole]
    assert offer.defaultButton() is load_button and load_button.text() == "&Load the newest version"
    load_button.click()
    assert "kim's" in page.text() and page.source == "kim.toml" and page.loaded_version == 2
    page.editor.setPlainText(page.text().replace("kim's", "both"))
    with qtbot.waitSignal(page.applied, timeout=WAIT_MS) as done:
        page.apply()
    assert done.args == [3]


def test_keeping_ones_text_applies_it_over_the_newer_version_knowingly(qtbot, page, floor, ops):
    offer = _changed_meanwhile(qtbot, page, floor, ops)
    (keep,) = [b for b in offer.buttons() if offer.buttonRole(b) == QMessageBox.ButtonRole.RejectRole]
    keep.click()
    assert "lee's" in page.text() and "Apply replaces version 2" in page.status.text()
    assert "version 3" in page.ask_apply().text()
    page.confirm.reject()
    with qtbot.waitSignal(page.applied, timeout=WAIT_MS) as done:
        page.apply()
    assert done.args == [3] and "lee's" in routing.current(floor, "lee").text
