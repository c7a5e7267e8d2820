"""A closed dialog gives the keys back (walk finding F1): the page's window is active, the page has the focus,
and the next key acts — also where nothing re-activates the window (no window manager, the screenshot tool)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget
from test_review_page import _close, _services, workspace  # noqa: F401 (a fixture)

from ui import keymap
from ui.pages.review import ReviewPage

WAIT_MS = 5000


def _hosted(qtbot, store):
    """Ana's review page inside a window (as in the main window), active and with the keys."""
    window = QWidget()
    qtbot.addWidget(window)
    page = ReviewPage(_services(store))
    QVBoxLayout(window).addWidget(page)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    page.setFocus()
    return window, page


def _elsewhere(qtbot):
    """Another window takes the activation, as a closed dialog leaves it when no window manager hands it back."""
    other = QLineEdit()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(other.isActiveWindow)
    return other


def _press(window, key, modifier=Qt.KeyboardModifier.NoModifier):
    """A key press as the system delivers it: to the focused widget of the active window, not to a chosen one."""
    QTest.keyClick(window.windowHandle(), key, modifier)


def test_keys_act_on_the_page_after_the_cheat_sheet_closes(qtbot, workspace):  # noqa: F811 (the fixture)
    window, page = _hosted(qtbot, workspace)
    try:
        def close_sheet():
            sheet = QApplication.activeModalWidget()
            assert isinstance(sheet, keymap.CheatSheet)
            _elsewhere(qtbot).hide()  # the activation went away and did not come back by itself
            sheet.reject()

        QTimer.singleShot(0, close_sheet)
        page.show_help()
        qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
        assert page.hasFocus()
        _press(window, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: page.item is not None, timeout=WAIT_MS)
        _press(window, Qt.Key.Key_1)
        assert page.decision.chosen_labels()
    finally:
        _close(page)


def test_keys_act_on_the_page_after_the_policy_text_closes(qtbot, workspace):  # noqa: F811 (the fixture)
    window, page = _hosted(qtbot, workspace)
    try:
        _press(window, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: page.item is not None, timeout=WAIT_MS)
        _press(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)  # Ctrl+P (Ctrl+I's list: the same)
        qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None, timeout=WAIT_MS)
        dialog = QApplication.activeModalWidget()
        _elsewhere(qtbot).hide()
        dialog.reject()
        qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
        assert page.hasFocus()
        _press(window, Qt.Key.Key_1)
        assert page.decision.chosen_labels()
    finally:
        _close(page)


def test_a_dialog_opened_with_open_returning_gives_the_keys_back_to_its_parent(qtbot):
    """The lead's pages (people, roster, QA, queue admin, export, Help) open their dialogs this way."""
    from PySide6.QtWidgets import QDialog

    from ui.widgets.modal import open_returning

    window = QWidget()
    field = QLineEdit(window)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    dialog = QDialog(field)
    open_returning(dialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    _elsewhere(qtbot).hide()
    dialog.reject()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    assert field.hasFocus()
