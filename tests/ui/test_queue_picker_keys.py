"""The review page's queue picker by keys (walk finding F2): Alt+Q ("&Queue") gives it the keys, the arrows change
the queue without claiming or moving anything else, Enter or Esc give the keys back to the page; F1 names the key."""

from __future__ import annotations

from PySide6.QtCore import Qt
from test_dialog_focus import WAIT_MS, _hosted, _press
from test_review_page import _close, workspace  # noqa: F401 (a fixture)

from ui import keymap
from ui.pages.review_queues import ALL_QUEUES


def test_alt_q_arrows_and_enter_choose_the_queue_by_keys(qtbot, workspace):  # noqa: F811 (the fixture)
    window, page = _hosted(qtbot, workspace)
    picker = page.queue_choice
    try:
        qtbot.waitUntil(lambda: picker.count() == 2, timeout=WAIT_MS)
        _press(window, Qt.Key.Key_Q, Qt.KeyboardModifier.AltModifier)
        assert picker.hasFocus()
        _press(window, Qt.Key.Key_Down)
        assert picker.currentText() == "graphic" and picker.hasFocus()  # still choosing: the keys stay here
        _press(window, Qt.Key.Key_Up)
        assert picker.currentText() == ALL_QUEUES
        _press(window, Qt.Key.Key_Down)
        _press(window, Qt.Key.Key_Return)
        assert page.hasFocus() and page.item is None  # Enter ended the choice; it did not also claim
        assert picker.chosen() == ["graphic"]
        _press(window, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: page.item is not None, timeout=WAIT_MS)
        assert page.item.queue_id == workspace.queue("graphic").id
        _press(window, Qt.Key.Key_Q, Qt.KeyboardModifier.AltModifier)
        _press(window, Qt.Key.Key_Escape)
        assert page.hasFocus() and not page.item_view.hidden  # Esc left the picker; it did not hide the media
    finally:
        _close(page)


def test_the_cheat_sheet_names_the_queue_key(qapp):
    sheet = keymap.CheatSheet([])
    assert f"<code>{keymap.QUEUE_PICKER_KEY}</code>" in sheet.area.widget().text()
