"""The parts a lead's page is built from: a row of buttons, a status line, the keys' hint at its foot, page keys.

Every page where a lead changes something (people, queues admin, roster,
hash lists, cases, rules, QA setup) is a table with buttons under it and a
line that says what was loaded or what a change did, so a person who learns
one page knows them all: Alt + the underlined letter presses a button, the
status line speaks in plain text (it names people, queues and lists, stored
text that must never be read as markup), and the keys a page adds are
written at its foot. Each page says only what is its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

#: A button: its key in the page's ``buttons``, its text (``&`` before the Alt letter) and what a click calls.
ButtonSpec = tuple[str, str, Callable[[], Any]]


def button_row(specs: Iterable[ButtonSpec], *, name_prefix: str = "") -> tuple[QHBoxLayout, dict[str, QPushButton]]:
    """The buttons in order, then a stretch; each click calls its slot with no argument (the checked flag
    dropped). *name_prefix*: each button's object name is ``<prefix>_<key>`` (what tests and the theme find)."""
    row, buttons = QHBoxLayout(), {}
    for key, text, slot in specs:
        button = QPushButton(text)
        button.setProperty("inRow", True)  # the theme's narrower padding: a row of eight fits a 1280-wide window
        if name_prefix:
            button.setObjectName(f"{name_prefix}_{key}")
        button.clicked.connect(lambda _checked=False, call=slot: call())
        row.addWidget(button)
        buttons[key] = button
    row.addStretch(1)
    return row, buttons


def status_line() -> QLabel:
    """"Loading…" until the page's first load says otherwise; plain text, wrapped (``#updated`` in the theme)."""
    status = QLabel("Loading…")
    status.setObjectName("updated")
    status.setTextFormat(Qt.TextFormat.PlainText)
    status.setWordWrap(True)
    return status


def foot(status: QLabel, keys: str) -> QHBoxLayout:
    """The status line, and beside it on the right the page's keys in words (``#hint``)."""
    hint = QLabel(keys)
    hint.setObjectName("hint")
    row = QHBoxLayout()
    row.addWidget(status, 1)
    row.addWidget(hint, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    return row


def add_keys(page: QWidget, bindings: Iterable[tuple[Qt.Key, Callable[[], Any], QWidget]]) -> None:
    """Each key calls its slot: anywhere on *page* when its target is the page itself, else only while the target
    (a table) has the focus, so that Enter or Delete in a dialog or a field stays that widget's own."""
    for key, slot, target in bindings:
        shortcut = QShortcut(QKeySequence(key), target)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut if target is page
                            else Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(slot)
