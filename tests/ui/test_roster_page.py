"""The lead's Roster page (issue 16 §4): shifts by hour, coverage against need with gaps, edits by keyboard,
a CSV import previewed first, the rotation rules, and "mark away" as a what-if. Offscreen, against a real store."""

from __future__ import annotations

import pytest
from builders import events, people
from PySide6.QtCore import QSettings, Qt

from desktop import app as desktop_app
from review.planning import forecast, roster, rotation
from ui import theme
from ui.operations import Operations
from ui.pages.queue_admin_dialogs import ChangeDialog
from ui.pages.roster import RosterPage

WAIT_MS = 5000
FIRST_HOUR = 3  # Person, Shift, Queues, then the hours


@pytest.fixture
def floor(store, monkeypatch):
    people(store, lee="lead", ana="moderator", ben="moderator")
    store.add_queue("gore")
    store.add_queue("spam")
    # the forecast needs two people on spam every hour from now (09:00 UTC on 2026-01-05)
    monkeypatch.setattr(forecast, "need_by_hour", lambda reader, viewer, *, hours=24, now=None: {
        reader.queue("spam").id: [2] * hours})
    roster.add_shift(store, "lee", "ana", "2026-01-05", "09:00", "13:00", ["spam"])
    roster.add_shift(store, "lee", "ben", "2026-01-05", "10:00", "12:00", ["spam"])
    return store


@pytest.fixture
def ops(floor):
    runner = Operations(floor)
    yield runner
    runner.close()


@pytest.fixture
def page(qtbot, floor, ops):
    shown = RosterPage(floor.user("lee"), ops)
    qtbot.addWidget(shown)
    shown.resize(1280, 640)
    with qtbot.waitSignal(shown.refreshed, timeout=WAIT_MS), qtbot.waitActive(shown):
        shown.show()
        shown.activateWindow()
    yield shown
    shown.close_page()
    assert ops.wait_idle(WAIT_MS)


def dialog_of(qtbot, page: RosterPage) -> ChangeDialog:
    qtbot.waitUntil(lambda: any(d.isVisible() for d in page.findChildren(ChangeDialog)), timeout=WAIT_MS)
    return next(d for d in page.findChildren(ChangeDialog) if d.isVisible())


def apply(qtbot, page: RosterPage, dialog: ChangeDialog) -> None:
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        dialog.ok.click()


def coverage_cell(page: RosterPage, queue: str, hour: int):
    rows = [page.coverage.item(r, 0).text() for r in range(page.coverage.rowCount())]
    return page.coverage.item(rows.index(queue), 1 + hour)


def test_shifts_are_drawn_by_hour_and_coverage_flags_gaps_in_red(page):
    assert [page.shifts.item(r, 0).text() for r in range(page.shifts.rowCount())] == ["ana", "ben"]
    assert page.shifts.item(0, FIRST_HOUR + 9) is not None and page.shifts.item(0, FIRST_HOUR + 13) is None
    assert coverage_cell(page, "spam", 9).text() == "1" and coverage_cell(page, "spam", 10).text() == "2"
    red = theme.color("breached")
    assert coverage_cell(page, "spam", 9).background().color() == red  # one rostered, two needed
    assert coverage_cell(page, "spam", 10).background().style() == Qt.BrushStyle.NoBrush
    assert page.coverage_title.text().endswith("— 13 hours short")  # 09, then 12 to 23: one person or none
    # gore: nobody rostered and nothing needed, so not listed; under each queue, what the forecast needs
    assert [page.coverage.item(r, 0).text().strip() for r in range(page.coverage.rowCount())] == ["spam", "needed"]
    assert page.coverage.item(1, 1 + 8).text() == "" and page.coverage.item(1, 1 + 9).text() == "2"  # 08: past


def test_marking_someone_away_recomputes_coverage_and_saves_nothing(qtbot, floor, page):
    page.shifts.selectRow(1)  # ben
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.buttons["away"].click()
    assert coverage_cell(page, "spam", 10).text() == "1" and coverage_cell(page, "spam", 10).background().color() \
        == theme.color("breached")
    assert "ben marked away" in page.status.text() and "nothing saved" in page.status.text()
    assert len(roster.shifts(floor, "lee", "2026-01-05")) == 2 and events(floor, "roster.shift_deleted") == []


def test_a_shift_is_added_edited_and_deleted_from_the_keyboard(qtbot, floor, page):
    qtbot.keyClick(page.shifts, Qt.Key.Key_Insert)
    dialog = dialog_of(qtbot, page)
    dialog.fields["Person"].setCurrentText("ben")
    dialog.fields["Starts (UTC)"].setText("14:00")
    dialog.fields["Ends (UTC)"].setText("18:00")
    queues = dialog.fields["Queues"]
    queues.item(1).setCheckState(Qt.CheckState.Checked)  # spam
    assert dialog.summary.text() == "ben works spam on 2026-01-05 from 14:00 to 18:00 UTC."
    apply(qtbot, page, dialog)
    assert [(s.person, s.starts) for s in roster.shifts(floor, "lee", "2026-01-05")][-1] == ("ben", "14:00")
    assert coverage_cell(page, "spam", 15).text() == "1"

    with qtbot.waitActive(page):  # back from the dialog: the keys go to the page again
        page.activateWindow()
    page.shifts.setFocus()
    page.shifts.selectRow(0)
    qtbot.keyClick(page.shifts, Qt.Key.Key_Return)
    dialog = dialog_of(qtbot, page)
    dialog.fields["Ends (UTC)"].setText("11:00")
    apply(qtbot, page, dialog)
    assert roster.shifts(floor, "lee", "2026-01-05")[0].ends == "11:00"
    [changed] = events(floor, "roster.shift_changed")
    assert (changed.payload["old"]["ends"], changed.payload["new"]["ends"]) == ("13:00", "11:00")

    with qtbot.waitActive(page):
        page.activateWindow()
    page.shifts.setFocus()
    page.shifts.selectRow(0)
    qtbot.keyClick(page.shifts, Qt.Key.Key_Delete)
    apply(qtbot, page, dialog_of(qtbot, page))
    assert [s.person for s in roster.shifts(floor, "lee", "2026-01-05")] == ["ben", "ben"]


def test_an_overlapping_shift_is_refused_in_the_dialog(qtbot, floor, page):
    dialog = page.add_shift()
    dialog.fields["Person"].setCurrentText("ana")
    dialog.fields["Starts (UTC)"].setText("12:00")
    dialog.fields["Ends (UTC)"].setText("15:00")
    dialog.fields["Queues"].item(0).setCheckState(Qt.CheckState.Checked)
    dialog.ok.click()
    qtbot.waitUntil(lambda: "already has a shift 09:00–13:00" in dialog.error.text(), timeout=WAIT_MS)
    assert dialog.isVisible()


def test_an_import_shows_its_problems_first_and_imports_only_a_clean_file(qtbot, floor, page, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("person,date,start,end,queues\nzed,2026-01-05,08:00,09:00,spam\n", encoding="utf-8")
    dialog = page.import_file(bad)
    problems = dialog.fields["Problems"]
    qtbot.waitUntil(lambda: problems.count() and problems.item(0).text() != "", timeout=WAIT_MS)
    assert problems.item(0).text() == "bad.csv:2: there is nobody called “zed”"
    assert not dialog.ok.isEnabled()
    dialog.reject()
    good = tmp_path / "good.csv"
    good.write_text("person,date,start,end,queues\nana,2026-01-05,15:00,17:00,gore;spam\n", encoding="utf-8")
    dialog = page.import_file(good)
    qtbot.waitUntil(dialog.ok.isEnabled, timeout=WAIT_MS)
    assert "1 shifts for 1 person-days; 1 shifts now on those days are replaced" in dialog.summary.text()
    apply(qtbot, page, dialog)
    assert [(s.person, s.starts) for s in roster.shifts(floor, "lee", "2026-01-05")] == [("ana", "15:00"),
                                                                                         ("ben", "10:00")]


def test_rotation_rules_are_set_here_and_a_breaking_shift_is_amber(qtbot, floor, page):
    dialog = page.edit_rules()
    dialog.fields["Severe queues"].item(0).setCheckState(Qt.CheckState.Checked)  # gore
    dialog.fields["Severe time"].setValue(60)
    apply(qtbot, page, dialog)
    assert rotation.rules(floor).max_minutes == 60 and rotation.rules(floor).severe_queue_ids == (
        floor.queue("gore").id,)
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        roster.add_shift(floor, "lee", "ben", "2026-01-05", "14:00", "16:00", ["gore"])
        page.refresh()
    assert "2 h 00 on severe queues only; the rule allows 60 min a day" in page.warnings.text()
    row = [page.shifts.item(r, 1).text() for r in range(page.shifts.rowCount())].index("14:00–16:00")
    assert page.shifts.item(row, FIRST_HOUR + 14).background().color() == theme.color("at_risk")


def test_the_week_shows_each_shift_in_its_days_column(qtbot, floor, page):
    roster.add_shift(floor, "lee", "ana", "2026-01-07", "09:00", "10:00", ["gore"])
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.week.setChecked(True)
    assert page.coverage.isHidden()
    days = [page.shifts.horizontalHeaderItem(c).text() for c in range(FIRST_HOUR, page.shifts.columnCount())]
    assert days[0] == "Mon 05" and len(days) == 7
    row = [page.shifts.item(r, 1).text() for r in range(page.shifts.rowCount())].index("09:00–10:00")
    assert page.shifts.item(row, FIRST_HOUR + 2) is not None
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(page, Qt.Key.Key_PageDown)
    assert "12 Jan" in page.period.text()


def test_roster_is_a_lead_page_right_after_capacity(qtbot, floor, tmp_path):
    window = desktop_app.build_window(floor, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    keys = window.registered_pages()
    assert keys.index("roster") == keys.index("capacity") + 1
    assert "roster" in window.page_keys(floor.user("lee")) and "roster" not in window.page_keys(floor.user("ana"))
