"""The key bindings form: every command and its key, re-bound with a conflict check as keys are pressed.

A key that would mean two things — two commands, or a command and a key
the window keeps (``ui.keymap.RESERVED``: page switching, break, export,
sign-out, quit) — is refused at once, with both named
(``ui.keymap.build``), and Save stays off until it is fixed. Space (hold
to see) and Esc (hide everything) are the same for everyone and are not
offered. Only the keys that differ from the defaults are stored. Each box
names its key as the README and the cheat sheet do ("Enter", not Qt's
"Return": ``ui.keymap.shown_key``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QKeySequenceEdit, QLineEdit, QPushButton, QWidget

from review.store import Store
from review.taxonomy import Taxonomy
from ui import keymap
from ui.operations import Operations
from ui.pages.settings_forms import SettingForm

GROUPS = ("Flow", "Decide", "Labels", "Viewing", "Video", "Escalations", "Complaints")


class KeyEdit(QKeySequenceEdit):
    """One key, pressed into the box and named there as everywhere else in Veil (``keymap.shown_key``)."""

    def __init__(self) -> None:
        super().__init__()
        self.setMaximumSequenceLength(1)
        self.setClearButtonEnabled(False)
        self.line = self.findChild(QLineEdit)  # Qt writes its own name for the key here, then says it changed
        self.keySequenceChanged.connect(self._name)

    def _name(self, sequence: QKeySequence) -> None:
        if self.line is not None and not sequence.isEmpty():
            self.line.setText(keymap.shown_key(sequence.toString(QKeySequence.SequenceFormat.PortableText)))


class KeysForm(SettingForm):
    """Each command's key under the taxonomy *policy*; the value is ``{command: key}`` for the changed ones."""

    def __init__(self, ops: Operations, write: Callable[[Store, Any, Any], Any], policy: Taxonomy,
                 parent: QWidget | None = None):
        super().__init__(
            "Key bindings",
            "Press the new key in a command's box (Tab moves between them). Space (hold to see) and Esc (hide "
            "everything) stay the same for everyone. New keys apply from your next sign-in.", ops, write, parent)
        self.policy = policy
        self.defaults = {b.command: b for b in keymap.default_bindings(policy)}
        self.edits: dict[str, KeyEdit] = {}
        ordered = sorted(self.defaults.values(), key=lambda b: GROUPS.index(b.group) if b.group in GROUPS else 9)
        shown = [b for b in ordered if b.command not in keymap.SAFETY]
        taken = keymap.unbound_defaults(policy, None)  # desk commands whose default key is a policy action's
        half = (len(shown) + 1) // 2
        for index, binding in enumerate(shown):
            edit = KeyEdit()
            edit.setAccessibleName(f"Key for {binding.text}")
            if binding.command in taken:  # an empty box: say why, and that a key may be chosen
                edit.setToolTip(f"{keymap.shown_key(keymap.FIXED[binding.command][0])} is "
                                f"{taken[binding.command]!r} in your organisation's policy: press a key for this")
            edit.keySequenceChanged.connect(self.edited)
            self.add_row(index % half, binding.text, edit, column=index // half)
            self.fields.itemAtPosition(index % half, index // half * 2).widget().setWordWrap(True)
            self.edits[binding.command] = edit
        self.defaults_button = QPushButton("Default keys")
        self.defaults_button.clicked.connect(self.use_defaults)
        self.fields.addWidget(self.defaults_button, half, 0)
        # The long names wrap and the name columns share the width: unwrapped, two columns of them were wider than
        # My settings at 1280 pixels, which then scrolled sideways and cut every form's Save button off.
        self.fields.setColumnStretch(0, 1)
        self.fields.setColumnStretch(2, 1)

    def show_value(self, value: dict[str, str]) -> None:
        for command, edit in self.edits.items():
            edit.setKeySequence(QKeySequence(value.get(command, self.defaults[command].key)))

    def value(self) -> dict[str, str]:
        chosen = {}
        for command, edit in self.edits.items():
            typed = edit.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
            key = keymap.normalise(typed) if typed else ""  # as stored ("Shift+?" is "?"), so a saved form is clean
            default = self.defaults[command].key
            if key and key != (keymap.normalise(default) if default else ""):
                chosen[command] = key
        return chosen

    def problem(self, value: dict[str, str]) -> str | None:
        empty = [self.defaults[c].text for c, e in self.edits.items()
                 if e.keySequence().isEmpty() and self.defaults[c].key]  # no default: the policy's action took it
        if empty:
            return f"“{empty[0]}” has no key; press one, or choose Default keys."
        try:
            keymap.build(self.policy, value)
        except keymap.KeymapError as exc:
            return f"{exc}. Choose another key."
        return None

    def use_defaults(self) -> None:
        self.show_value({})
        self.edited()

