"""The lead's Cases page (issue 20 §5): open cases with their reports, Enter opens a case's reports and Esc goes
back, F5 reloads, a case decided meanwhile leaves the list; a moderator is refused by the domain. Offscreen,
against a real store."""

from __future__ import annotations

import json

import pytest
from builders import people
from PySide6.QtCore import Qt

from review import taxonomy
from review.desk import ReviewDesk
from review.imports import manifest as importer
from ui.operations import Operations
from ui.pages.cases import CasesPage

WAIT_MS = 10_000


@pytest.fixture
def floor(store, tmp_path):
    people(store, lee="lead", ana="moderator")
    store.add_queue("spam")
    path = tmp_path / "m.jsonl"
    rows = [{"id": f"post-{n}", "queue": "spam", "text": "same words"} for n in range(3)]
    rows += [{"id": f"other-{n}", "queue": "spam", "text": "other words", "content_id": "c-9"} for n in range(2)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert importer.import_manifest(store, path, actor="lee").committed
    return store


@pytest.fixture
def ops(floor):
    runner = Operations(floor)
    yield runner
    runner.close()


def _open(qtbot, page):
    qtbot.addWidget(page)
    page.resize(1280, 720)
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS), qtbot.waitActive(page):
        page.show()
        page.activateWindow()
    return page


@pytest.fixture
def page(qtbot, floor, ops):
    shown = _open(qtbot, CasesPage(floor.user("lee"), ops))
    yield shown
    shown.close_page()
    assert ops.wait_idle(WAIT_MS)


def _rows(table):
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_open_cases_and_the_chosen_cases_reports_are_shown(page):
    cases = _rows(page.table)
    assert [row[1:2] + row[3:] for row in cases] == [["spam", "3", "3", "post-0", "same bytes or text"],
                                                     ["spam", "2", "2", "other-0", "same bytes or text"]]
    assert page.status.text() == "2 open cases, 5 reports waiting"
    assert [row[0] for row in _rows(page.reports)] == ["post-0", "post-1", "post-2"]
    assert _rows(page.reports)[0][-1] == "lead: served, decides the case"
    assert _rows(page.reports)[1][-1] == "waits for the case"
    assert page.table.accessibleName() == "Open cases"
    assert page.reports.accessibleName() == "Reports of the chosen case"


def test_enter_opens_a_cases_reports_and_esc_returns(qtbot, page):
    page.table.setFocus()
    page.table.selectRow(1)
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert page.reports.hasFocus()
    assert [row[0] for row in _rows(page.reports)] == ["other-0", "other-1"]
    assert page.reports_title.text().startswith("Reports of case ")
    qtbot.keyClick(page.reports, Qt.Key.Key_Escape)
    assert page.table.hasFocus()


def test_f5_reloads_and_a_decided_case_leaves_the_list(qtbot, floor, page):
    desk = ReviewDesk(taxonomy.load())
    shown = desk.claim(floor, floor.user("ana"), ["spam"])
    desk.decide(floor, floor.user("ana"), shown.item.id, "remove", labels=["spam"], claim=shown.claim)
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(page, Qt.Key.Key_F5)
    assert len(_rows(page.table)) == 1


def test_a_moderator_is_told_the_domains_refusal(qtbot, floor, ops):
    shown = CasesPage(floor.user("ana"), ops)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitUntil(lambda: "only a lead" in shown.status.text(), timeout=WAIT_MS)
    shown.close_page()
    assert ops.wait_idle(WAIT_MS)
