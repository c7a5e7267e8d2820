"""My settings fits a 1280 × 720 screen: the key bindings form is no wider than the page (FIX DESK-B 3).

Two columns of unwrapped command names ("Complaints: uphold the decision
complained of (reason in the note)") made the form about 1050 pixels wide
at its smallest: the page scrolled sideways and every form's Save button was
cut off at the right edge.
"""

from __future__ import annotations

from builders import people
from PySide6.QtCore import QPoint, QSettings
from PySide6.QtWidgets import QScrollArea

from desktop import app as desktop_app


def test_my_settings_fits_1280_wide_with_every_save_button_in_view(qtbot, store, tmp_path, themed):
    people(store, ana="moderator")
    window = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    window.sign_in_as("ana")
    page = window.show_page("my-settings")
    qtbot.waitUntil(lambda: not page.keys_form.edits["start"].keySequence().isEmpty(), timeout=5000)
    area = page.findChild(QScrollArea)
    qtbot.waitUntil(lambda: area.viewport().width() > 0)
    room = area.viewport().width()
    assert page.keys_form.minimumSizeHint().width() <= room
    assert area.widget().minimumSizeHint().width() <= room and not area.horizontalScrollBar().isVisible()
    for form in page.forms.values():
        right = form.save_button.mapTo(area.viewport(), QPoint(form.save_button.width(), 0)).x()
        assert right <= room, type(form).__name__
    assert window.height() <= 720
    window.close()
