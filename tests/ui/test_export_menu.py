"""Session ▸ Export… (Ctrl+E) opens the export dialog for leads, on last week (issue 13 §3).

The dialog existed, but nothing opened it: a lead could export only from the
command line. Offscreen, against the real window built by the desktop.
"""

from __future__ import annotations

import pytest
from builders import people
from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence

from desktop import app as desktop_app
from ui.reports.export_dialog import ExportDialog

WAIT_MS = 5000


@pytest.fixture
def window(store, qtbot, tmp_path):
    people(store, lee=(["lead"], "Lee Park"), ana=(["moderator"], "Ana Silva"))
    built = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(built)
    built.show()
    yield built
    built.sign_out()  # nothing when nobody is signed in


def _export_actions(window):
    return [a for a in window.session_menu.actions() if a.objectName() == "exportAction"]


def test_a_lead_exports_from_the_session_menu_with_ctrl_e(window, qtbot):
    window.sign_in_as("lee")
    (action,) = _export_actions(window)
    assert action.text() == "Export…" and action.shortcut() == QKeySequence("Ctrl+E")
    assert action in window.actions()  # works while the menu bar is hidden
    action.trigger()
    dialog = window.findChild(ExportDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.period.currentText() == "Last week"
    assert dialog.period.findText("Last month") >= 0
    qtbot.waitUntil(lambda: dialog.moderator.count() > 1, timeout=WAIT_MS)  # its filters load through the runner
    action.trigger()  # again: the same dialog comes forward, no second one
    assert len(window.findChildren(ExportDialog)) == 1
    window.sign_out()  # the dialog goes with the session
    qtbot.waitUntil(lambda: not window.findChildren(ExportDialog), timeout=WAIT_MS)
    assert _export_actions(window) == []


def test_a_moderator_has_no_export(window):
    window.sign_in_as("ana")
    assert _export_actions(window) == []
    assert not any(a.shortcut() == QKeySequence("Ctrl+E") for a in window.actions())


def test_the_file_starts_in_documents_or_home_and_then_where_the_last_export_went(window, qtbot, tmp_path,
                                                                                  monkeypatch):
    """Walkthrough of issue 13: the default file was in the working directory's /root/…; now Documents (or home),
    then the folder of the last export on this machine."""
    from ui.reports import export_dialog

    monkeypatch.setattr(export_dialog.Path, "home", lambda: tmp_path / "home")
    (tmp_path / "home").mkdir()
    window.sign_in_as("lee")
    _export_actions(window)[0].trigger()
    dialog = window.findChild(ExportDialog)
    first = export_dialog.Path(dialog.path.text()).parent
    assert first == export_dialog.default_folder()
    assert not dialog.choose.autoDefault() and dialog.export_button.text() == "&Export"
    elsewhere = tmp_path / "reports"
    elsewhere.mkdir()
    dialog.path.setText(str(elsewhere / "week.csv"))
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    with qtbot.waitSignal(dialog.ended, timeout=WAIT_MS):
        dialog.start()
    assert (elsewhere / "week.csv").exists()
    dialog.reject()
    qtbot.waitUntil(lambda: not window.findChildren(ExportDialog), timeout=WAIT_MS)
    _export_actions(window)[0].trigger()
    again = window.findChild(ExportDialog)
    assert export_dialog.Path(again.path.text()).parent == elsewhere


def test_a_lead_exports_the_transparency_counts_from_the_dialog(window, store, qtbot, tmp_path):
    """Issue 21 §7: the transparency counts are one of the dialog's exports, as a table in words with its About
    block; they name nobody, so there is nothing to pseudonymise."""
    import csv

    from audit.compliance import transparency

    window.sign_in_as("lee")
    _export_actions(window)[0].trigger()
    dialog = window.findChild(ExportDialog)
    dialog.what.setCurrentIndex(dialog.what.findData("transparency"))
    assert [dialog.format.itemData(i) for i in range(dialog.format.count())] == ["xlsx", "csv", "jsonl"]
    assert not dialog.pseudonymise.isEnabled()
    assert not dialog.queue.isEnabled() and not dialog.moderator.isEnabled()
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    assert "veil-transparency-" in dialog.path.text()
    dialog.period.setCurrentText("All time")
    out = tmp_path / "counts.csv"
    dialog.path.setText(str(out))
    with qtbot.waitSignal(dialog.ended, timeout=WAIT_MS):
        dialog.start()
    assert out.exists(), dialog.status.text()
    lines = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert dict(lines[:lines.index([])])["Veil export"] == "Transparency counts (DSA)"
    rows = lines[lines.index([]) + 2:]
    total = transparency.counts(store, "lee")["notices"]["total"]
    assert ["Notices", "total", "all", str(total), "", ""] in rows
