"""Issue 21 §1, §2, §5, issue 22: the lead's Statements page offscreen — edit the mapping, preview, see a period's
refusals (a check that stops when the page is left or the period changes, and says how far it is)."""

from __future__ import annotations

import json
import time

import pytest
from builders import decided_item, events, people
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QLineEdit

from audit.compliance import export, mapping
from desktop.demo.statements import DEMO_MAPPING
from ui.operations import Operations
from ui.pages.statements import StatementsPage

WAIT_MS = 5000


@pytest.fixture
def team(store):
    people(store, ana="moderator", lee="lead")
    store.add_queue("posts")
    value = json.loads(json.dumps(DEMO_MAPPING))
    del value["labels"]["spam"]
    mapping.save(store, "lee", value)
    decided_item(store, "posts", "ana", decided_at="2026-01-04T10:00:00.000Z", action="remove", labels=["spam"],
                 metadata={"source": "user report"})
    decided_item(store, "posts", "ana", decided_at="2026-01-04T11:00:00.000Z", action="remove",
                 labels=["harassment"], metadata={"source": "classifier"})
    return store


@pytest.fixture
def ops(team):
    runner = Operations(team)
    yield runner
    runner.close()


@pytest.fixture
def page(qtbot, team, ops):
    opened = StatementsPage(team.user("lee"), ops)
    qtbot.addWidget(opened)
    opened.resize(1280, 720)
    opened.show()
    qtbot.waitUntil(lambda: opened.view is not None, timeout=WAIT_MS)
    yield opened
    opened.close_page()
    assert ops.wait_idle(WAIT_MS)


def _entry(page, words):
    rows = [page.entries.item(i).text() for i in range(page.entries.count())]
    return next(i for i, text in enumerate(rows) if text.startswith(words)), rows


def _refused_texts(page):
    """Every refusal's cells as the lead reads them."""
    model = page.refused.model()
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]


def test_the_period_check_names_the_entry_and_opens_it(qtbot, page):
    row, rows = _entry(page, "Label · Spam")
    assert rows[row].endswith("not mapped")
    page.start.setDate(QDate(2026, 1, 1))
    page.end.setDate(QDate(2026, 1, 5))
    page.tabs.setCurrentIndex(2)  # opening the tab checks the period
    qtbot.waitUntil(lambda: page.refused_rows.rowCount() > 0, timeout=WAIT_MS)
    assert "1 it would refuse" in page.period_summary.text()
    assert {r[4] for r in _refused_texts(page)} == {"labels.spam"}
    page.refused.selectRow(0)
    page.open_refused_entry()
    assert page.tabs.currentIndex() == 0 and page.entries.currentItem().text().startswith("Label · Spam")


def test_a_lead_maps_a_label_with_the_databases_values_and_saves_it(qtbot, team, page):
    row, _ = _entry(page, "Label · Spam")
    page.entries.setCurrentRow(row)
    editors = page.form.editors
    category = editors["category"]
    assert isinstance(category, QComboBox) and category.findData("STATEMENT_CATEGORY_SCAMS_AND_FRAUD") >= 0
    category.setCurrentIndex(category.findData("STATEMENT_CATEGORY_SCAMS_AND_FRAUD"))
    editors["decision_ground"].setCurrentIndex(editors["decision_ground"].findData(
        "DECISION_GROUND_INCOMPATIBLE_CONTENT"))
    assert not page.save_button.isEnabled() and "labels.spam.ground: is required" in page.problems.text()
    for name, text in (("ground", "Terms §9"), ("facts", "The {content} broke {label}."),
                       ("explanation", "{label} is not allowed by {ground}.")):
        editor = editors[name]
        if isinstance(editor, QLineEdit):
            editor.setText(text)
            editor.textEdited.emit(text)
        else:
            editor.setPlainText(text)
    assert page.save_button.isEnabled(), page.problems.text()
    with qtbot.waitSignal(page.ops.changed, timeout=WAIT_MS):
        page.save()
    qtbot.waitUntil(lambda: page.problems.text() == "Saved.", timeout=WAIT_MS)
    stored = mapping.current(team)["labels"]["spam"]
    assert stored["category"] == "STATEMENT_CATEGORY_SCAMS_AND_FRAUD" and stored["ground"] == "Terms §9"
    assert events(team, "setting.changed")[-1].actor == "lee"


def test_the_preview_shows_the_statement_and_the_persons_text(qtbot, page):
    index = next(i for i in range(page.decisions.count()) if "harassment" in page.decisions.itemText(i))
    page.decisions.setCurrentIndex(index)
    qtbot.waitUntil(lambda: "Statement of reasons" in page.user_text.toPlainText(), timeout=WAIT_MS)
    statement = json.loads(page.statement_box.toPlainText())
    assert statement["category"] == "STATEMENT_CATEGORY_CYBER_VIOLENCE" and statement["automated_detection"] == "Yes"
    assert "Removal of content" in page.user_text.toPlainText() and "ana" not in page.user_text.toPlainText()
    assert page.preview_problems.text() == "The database would accept it."


def test_the_page_is_a_leads(qtbot, team, ops):
    opened = StatementsPage(team.user("ana"), ops)
    qtbot.addWidget(opened)
    opened.show()
    qtbot.waitUntil(lambda: "only a lead" in opened.status.text(), timeout=WAIT_MS)
    assert opened.entries.count() == 0
    opened.close_page()
    assert ops.wait_idle(WAIT_MS)


def _held_check(monkeypatch, real=export.check_period):
    """check_period held until cancelled (the first run), then the real one: what each run saw."""
    runs: list[str] = []

    def held(reader, lead, start, end, *, keep_accepted=True, progress=None, cancelled=None):
        if not runs:
            runs.append("running")
            deadline = time.monotonic() + WAIT_MS / 1000
            while not cancelled() and time.monotonic() < deadline:
                time.sleep(0.005)  # a worker thread standing in for a long check; the test itself waits on Qt
            runs[0] = "cancelled" if cancelled() else "not cancelled"
            raise export.CheckCancelled("the period check was cancelled")
        runs.append(f"{start}..{end}")
        return real(reader, lead, start, end, keep_accepted=keep_accepted, progress=progress, cancelled=cancelled)

    monkeypatch.setattr(export, "check_period", held)
    return runs


def test_leaving_the_page_stops_its_check_and_coming_back_checks_again(qtbot, page, monkeypatch):
    runs = _held_check(monkeypatch)
    page.start.setDate(QDate(2026, 1, 1))
    page.end.setDate(QDate(2026, 1, 5))
    page.check_period()
    qtbot.waitUntil(lambda: runs == ["running"], timeout=WAIT_MS)
    page.hide()
    qtbot.waitUntil(lambda: runs[0] == "cancelled", timeout=WAIT_MS)
    assert "Stopped when the page was left" in page.period_summary.text()
    page.show()
    qtbot.waitUntil(lambda: page.refused_rows.rowCount() > 0, timeout=WAIT_MS)
    assert runs == ["cancelled", "2026-01-01..2026-01-05"]
    assert "2 decisions, 2 restricting: 1 statements the database would accept, 1 it would refuse" in \
        page.period_summary.text()


def test_changing_the_period_stops_the_check_and_says_so(qtbot, page, monkeypatch):
    runs = _held_check(monkeypatch)
    page.check_period()
    qtbot.waitUntil(lambda: runs == ["running"], timeout=WAIT_MS)
    page.start.setDate(QDate(2026, 1, 1))
    qtbot.waitUntil(lambda: runs[0] == "cancelled", timeout=WAIT_MS)
    assert page.period_summary.text() == "The period changed: check it again (Return)."
    assert page.refused_rows.rowCount() == 0


def test_the_check_says_how_far_it_is(qtbot, page, monkeypatch):
    monkeypatch.setattr(export, "CHECK_CHUNK", 1)
    said: list[str] = []
    page.period_summary.setText = lambda text, real=page.period_summary.setText: said.append(text) or real(text)
    page.start.setDate(QDate(2026, 1, 1))
    page.end.setDate(QDate(2026, 1, 5))
    page.check_period()
    qtbot.waitUntil(lambda: page.refused_rows.rowCount() > 0, timeout=WAIT_MS)
    assert said[0] == "Checking…" and "Checking… 1 of 2 decisions that may restrict" in said


def test_a_period_of_20_000_refusals_is_listed_without_a_widget_per_cell(qtbot, page, monkeypatch):
    """Issue 22: a mapping with a gap refuses every restricting decision of the period (hundreds of thousands at
    site scale); the list was a table widget filled cell by cell on the GUI thread, five objects a refusal."""
    from ui.pages import qa_common

    def per_cell(*_args):
        raise AssertionError("a widget item per cell")
    monkeypatch.setattr(qa_common, "QTableWidgetItem", per_cell)
    refused = [export.Refusal(n, f"post-{n}", "category", "not mapped", "labels.spam") for n in range(20_000)]
    page.tabs.setCurrentIndex(2)
    page._stop_check()
    page._checked(export.Checked(refused=refused, restricting=20_000, decisions=20_000))
    assert page.refused.model().rowCount() == 20_000
    assert _refused_texts(page)[-1] == ["#19999", "post-19999", "category", "not mapped", "labels.spam"]
    page.refused.selectRow(19_999)
    page.open_refused_entry()
    assert page.tabs.currentIndex() == 0 and page.entries.currentItem().text().startswith("Label · Spam")


def test_decisions_elsewhere_reload_the_page_once_and_only_while_it_is_shown(qtbot, page, ops, monkeypatch):
    """Issue 22: the view reads the last 30 days' decisions (seconds at a million); every decision anywhere
    started another such read, page shown or not, and on a busy floor they never stopped."""
    from audit.compliance import desk

    loads: list[str] = []
    real = desk.load
    monkeypatch.setattr(desk, "load", lambda reader, lead: loads.append("load") or real(reader, lead))
    page.hide()
    for _ in range(3):
        ops.changed.emit(frozenset({"decision"}))
    qtbot.wait(50)
    assert loads == []
    page.show()
    qtbot.waitUntil(lambda: loads == ["load"] and not page._loads.busy, timeout=WAIT_MS)
    for _ in range(5):  # while one load runs, the rest make one more, not five
        ops.changed.emit(frozenset({"decision"}))
    qtbot.waitUntil(lambda: not page._loads.busy, timeout=WAIT_MS)
    assert loads == ["load"] * 3
