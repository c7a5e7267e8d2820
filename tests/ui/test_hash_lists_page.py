"""The lead's Hash lists page (issue 20 §3): the lists, an import by keyboard with its progress and result, a file's
bad lines listed FILE:LINE with nothing imported, rename, remove after a confirmation, export; a lead's page only.
Offscreen, against a real store."""

from __future__ import annotations

import pytest
from builders import events, people
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLineEdit

from desktop import app as desktop_app
from review import taxonomy
from review.known import lists
from review.store import hashlists
from ui.operations import Operations
from ui.pages.hash_list_dialogs import ChangeDialog, ImportDialog
from ui.pages.hash_lists import HashListsPage

WAIT_MS = 10_000
MD5 = "0123456789abcdef" * 2


@pytest.fixture
def floor(store, tmp_path):
    people(store, lee="lead", ana="moderator")
    store.add_queue("general")
    first = tmp_path / "first.csv"
    first.write_text(f"signal_type,signal,tag\nmd5,{MD5},partner\ntext,hello,greeting\n", encoding="utf-8")
    lists.import_list(store, "lee", first, name="partner-list", taxonomy=taxonomy.load(), action="remove",
                      labels=["spam"])
    return store


@pytest.fixture
def ops(floor):
    runner = Operations(floor)
    yield runner
    runner.close()


@pytest.fixture
def page(qtbot, floor, ops):
    shown = HashListsPage(floor.user("lee"), ops, taxonomy.load())
    qtbot.addWidget(shown)
    shown.resize(1280, 720)
    with qtbot.waitSignal(shown.refreshed, timeout=WAIT_MS), qtbot.waitActive(shown):
        shown.show()
        shown.activateWindow()
    yield shown
    shown.close_page()
    assert ops.wait_idle(WAIT_MS)


def _dialog(qtbot, page, kind=ChangeDialog):
    qtbot.waitUntil(lambda: any(d.isVisible() for d in page.findChildren(kind)), timeout=WAIT_MS)
    return next(d for d in page.findChildren(kind) if d.isVisible())


def _row(page, number=0):
    return [page.table.item(number, c).text() for c in range(page.table.columnCount())]


def test_the_lists_are_shown_with_what_a_match_does(page):
    assert _row(page)[:5] == ["partner-list", "1", "1 MD5 · 1 text", "suggests remove (spam)", "no"]
    assert page.status.text() == "1 list"


def test_a_list_is_imported_from_the_keyboard_with_its_progress(qtbot, floor, page, tmp_path):
    path = tmp_path / "new.csv"
    path.write_text("signal_type,signal,tag\n" + "".join(f"md5,{n:032x},t{n}\n" for n in range(50)),
                    encoding="utf-8")
    page.table.setFocus()
    qtbot.keyClick(page, Qt.Key.Key_Insert)
    dialog = _dialog(qtbot, page, ImportDialog)
    dialog.path.setText(str(path))
    dialog.name.setCurrentText("new-list")
    dialog.dihedral.setChecked(True)
    assert "Makes “new-list”, which shows each match" in dialog.summary.text()
    steps = []
    page.show_progress = lambda what, done, total, real=page.show_progress: (steps.append(what), real(what, done,
                                                                                                      total))
    dialog.ok.click()
    qtbot.waitUntil(lambda: page.status.text().startswith("Made new-list"), timeout=WAIT_MS)
    assert "50 new entries, 0 duplicates" in page.status.text()
    assert "Entries written" in steps and not page.progress.isVisible()
    qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=WAIT_MS)
    found = hashlists.list_named(floor, "new-list")
    assert (found.entries, found.dihedral, found.created_by) == ({"md5": 50}, True, "lee")


def test_a_bad_file_lists_every_bad_line_and_imports_nothing(qtbot, floor, page, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(f"signal_type,signal\nmd5,{MD5}\npdq,zz\nmd5,short\n", encoding="utf-8")
    page.import_list()
    dialog = _dialog(qtbot, page, ImportDialog)
    dialog.path.setText(str(path))
    dialog.name.setCurrentText("bad")
    dialog.ok.click()
    qtbot.waitUntil(dialog.problems.isVisible, timeout=WAIT_MS)
    said = [dialog.problems.item(i).text() for i in range(dialog.problems.count())]
    assert [line.split(": ", 1)[0] for line in said] == [f"{path}:3", f"{path}:4"]
    assert "2 bad lines" in dialog.error.text() and dialog.ok.isEnabled()
    assert hashlists.list_named(floor, "bad") is None
    dialog.reject()


def test_adding_to_a_list_keeps_its_settings(qtbot, floor, page, tmp_path):
    path = tmp_path / "more.txt"
    path.write_text(f"{'f' * 32}\n", encoding="utf-8")
    page.table.selectRow(0)
    dialog = page.import_list()
    assert dialog.name.currentText() == "partner-list" and dialog.action.currentData() == "remove"
    assert dialog.labels.chosen() == ["spam"]
    dialog.path.setText(str(path))
    dialog.signal_type.setCurrentIndex(dialog.signal_type.findData("md5"))
    dialog.ok.click()
    qtbot.waitUntil(lambda: page.status.text().startswith("Added to partner-list (version 2)"), timeout=WAIT_MS)
    found = hashlists.list_named(floor, "partner-list")
    assert (found.version, found.action, found.labels, found.entries["md5"]) == (2, "remove", ("spam",), 2)


def test_rename_and_remove_with_a_confirmation(qtbot, floor, page):
    page.table.setFocus()
    page.table.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_F2)
    dialog = _dialog(qtbot, page)
    dialog.fields["New name"].setText("shared-spam")
    dialog.ok.click()
    qtbot.waitUntil(lambda: _row(page)[0] == "shared-spam", timeout=WAIT_MS)
    with qtbot.waitActive(page):
        page.activateWindow()
    page.table.setFocus()
    page.table.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    dialog = _dialog(qtbot, page)
    assert "its 2 entries and the matches recorded against it go" in dialog.summary.text()
    assert dialog.focusWidget() is not dialog.ok and dialog.focusWidget().text() == "Cancel"  # Enter keeps it
    dialog.ok.click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=WAIT_MS)
    assert page.status.text() == "Removed shared-spam"
    assert [e.kind for e in events(floor) if e.kind.startswith("hashlist.")] == [
        "hashlist.imported", "hashlist.renamed", "hashlist.removed"]


def test_export_writes_the_file(qtbot, floor, page, tmp_path):
    out = tmp_path / "ours.csv"
    dialog = page.export()
    assert dialog.fields["Decided"].currentData() == "remove"
    dialog.fields["File"].findChild(QLineEdit).setText(str(out))
    with qtbot.waitSignal(page.changed, timeout=WAIT_MS):
        dialog.ok.click()
    assert out.read_text(encoding="utf-8") == "signal_type,signal,tag,note\n"
    assert page.status.text() == "Exported 0 items to ours.csv"


def test_hash_lists_is_a_lead_page(qtbot, floor, tmp_path):
    window = desktop_app.build_window(floor, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    assert "hash-lists" in window.page_keys(floor.user("lee"))
    assert "hash-lists" not in window.page_keys(floor.user("ana"))



def test_a_list_name_that_looks_like_markup_is_shown_as_written(qtbot, floor, page):
    """A list's name comes from a lead's file or typing: the page's status and its dialogs never render it as rich
    text (an ``<img src=…>`` would load a local picture)."""
    lists.rename_list(floor, "lee", "partner-list", '<img src="/tmp/x.png">')
    page.refresh()
    qtbot.waitUntil(lambda: _row(page)[0] == '<img src="/tmp/x.png">', timeout=WAIT_MS)
    page.table.setFocus()
    page.table.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    dialog = _dialog(qtbot, page)
    assert '<img src="/tmp/x.png">' in dialog.summary.text()
    assert dialog.summary.textFormat() == dialog.error.textFormat() == Qt.TextFormat.PlainText
    dialog.ok.click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=WAIT_MS)
    assert page.status.text() == 'Removed <img src="/tmp/x.png">'
    assert page.status.textFormat() == Qt.TextFormat.PlainText
