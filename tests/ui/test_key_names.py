"""My settings ▸ Key bindings names keys as the README and the cheat sheet do (walk finding F6): "Enter", "Esc",
not Qt's "Return", "Escape" — on a saved key and on one just pressed; the value stored stays Qt's."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from review import taxonomy
from ui.operations import Operations
from ui.pages.settings_keys import KeysForm


def _shown(edit):
    return edit.findChild(QLineEdit).text()


def test_key_boxes_say_enter_not_return(qtbot, store):
    ops = Operations(store)
    form = KeysForm(ops, lambda *_: None, taxonomy.load())
    qtbot.addWidget(form)
    try:
        form.show_value({})
        assert _shown(form.edits["start"]) == "Enter"
        assert _shown(form.edits["undo"]) == "Ctrl+Z"
        skip = form.edits["skip"]
        form.show()
        skip.setFocus()
        qtbot.keyClick(skip, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
        assert _shown(skip) == "Shift+Enter"
        assert form.value()["skip"] == "Shift+Return"  # stored as Qt writes it, read back by QKeySequence
    finally:
        ops.close()
