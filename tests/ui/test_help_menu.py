"""Help menu (issue 14 §3): F1 shows the person's keys, the user guide opens, About names version, store and policy."""

from __future__ import annotations

import pytest
from builders import people
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from desktop import __version__
from desktop import app as desktop_app
from review import taxonomy
from ui import keymap

WAIT_MS = 5000


@pytest.fixture
def window(qtbot, store, tmp_path):
    people(store, ana="moderator")
    made = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(made)
    with qtbot.waitActive(made):
        made.show()
        made.activateWindow()
    made.sign_in_as("ana")
    yield made
    made.sign_out()


def _shown(window, kind):
    return [w for w in window.findChildren(kind) if w.isVisible()]


def test_help_lists_shortcuts_guide_and_about(window):
    assert [a.text() for a in window.help_menu.actions() if not a.isSeparator()] == [
        "&Keyboard shortcuts", "&User guide", "&About Veil"]
    assert window.shortcuts_action.shortcut().toString() == "F1"


def test_f1_shows_the_signed_in_persons_keys(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: bool(_shown(window, keymap.CheatSheet)), timeout=WAIT_MS)
    sheet = _shown(window, keymap.CheatSheet)[0]
    text = sheet.area.widget().text()
    assert "Decide" in text and "Window (every page)" in text  # the review keys of this person, and the window's
    sheet.close()
    qtbot.waitUntil(lambda: not window.findChildren(keymap.CheatSheet), timeout=WAIT_MS)  # gone, not kept hidden


def test_about_names_version_store_and_taxonomy_version(qtbot, window, store):
    window.about_action.trigger()
    box = _shown(window, QMessageBox)[0]
    assert f"Version {__version__}" in box.text()
    assert str(store.path) in box.text()
    assert f"version {taxonomy.load().version}" in box.text()
    box.close()


def test_the_user_guide_opens_the_readme_in_the_browser(window, monkeypatch):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window.guide_action.trigger()
    assert len(opened) == 1 and opened[0].isLocalFile() and opened[0].fileName() == "README.md"


def test_without_a_readme_or_a_browser_the_guide_is_built_in(window, monkeypatch):
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
    window.guide_action.trigger()
    box = _shown(window, QMessageBox)[0]
    assert box.windowTitle() == "User guide" and "hold Space" in box.text()
    box.close()


def test_f1_is_the_windows_so_no_personal_binding_can_take_it():
    """F1 opens the shortcuts on every page: a command bound to it would make it mean two things."""
    from review import taxonomy
    from ui import keymap

    with pytest.raises(keymap.KeymapError, match="F1 is kept for showing every key"):
        keymap.build(taxonomy.load(), {"skip": "F1"})
