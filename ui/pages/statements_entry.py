"""One mapping entry's form on the Statements page: a field per statement field, the database's values to choose.

A choice is a combo box of the database's values (shown by their label,
kept by their key); a list is a checkable list; free text is a line or a
box. The form edits a copy of the entry and hands it back on every change
(:attr:`EntryForm.changed`); empty fields are dropped, so what the page
saves holds only what the lead set. Which fields an entry has comes from
:data:`FIELDS`, by section.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from audit.compliance import enums, mapping

_NONE = "(none)"
_LANGUAGES = {k: f"{k} — {v}" for k, v in enums.ALL_LANGUAGES.items()}
_COUNTRIES = {c: c for c in enums.EUROPEAN_COUNTRY_CODES}
_YES_NO = {v: v for v in enums.AUTOMATED_DETECTIONS}

# field -> (kind, values, words): kind is "one" (combo), "maybe" (combo with none), "many" (checks),
# "line" or "text"; words are the form's label.
FIELDS: dict[str, dict[str, tuple[str, Mapping[str, str], str]]] = {
    "platform": {
        "territorial_scope": ("many", _COUNTRIES, "Territorial scope"),
        "content_language": ("maybe", _LANGUAGES, "Default language"),
    },
    "labels": {
        "category": ("one", enums.STATEMENT_CATEGORIES, "Category"),
        "category_addition": ("many", enums.STATEMENT_CATEGORIES, "Additional categories"),
        "category_specification": ("many", enums.KEYWORDS, "Keywords"),
        "category_specification_other": ("line", {}, "Other keyword"),
        "decision_ground": ("one", enums.DECISION_GROUNDS, "Ground"),
        "ground": ("line", {}, "Legal or terms ground"),
        "reference_url": ("line", {}, "Reference URL"),
        "content_illegal": ("maybe", {v: v for v in enums.INCOMPATIBLE_CONTENT_ILLEGALS}, "Also illegal?"),
        "facts": ("text", {}, "Facts template"),
        "explanation": ("text", {}, "Explanation template"),
    },
    "actions": {
        "decision_visibility": ("many", enums.DECISION_VISIBILITIES, "Visibility"),
        "decision_visibility_other": ("line", {}, "Other visibility"),
        "decision_monetary": ("maybe", enums.DECISION_MONETARIES, "Monetary"),
        "decision_monetary_other": ("line", {}, "Other monetary"),
        "decision_provision": ("maybe", enums.DECISION_PROVISIONS, "Service"),
        "decision_account": ("maybe", enums.DECISION_ACCOUNTS, "Account"),
    },
    "kinds": {
        "content_type": ("many", enums.CONTENT_TYPES, "Content type"),
        "content_type_other": ("line", {}, "Other content type"),
    },
    "sources": {
        "source_type": ("one", enums.SOURCE_TYPES, "Source type"),
        "automated_detection": ("one", _YES_NO, "Detected automatically?"),
    },
    "deciders": {
        "person": ("one", enums.AUTOMATED_DECISIONS, "Decided by a person"),
        "rule": ("one", enums.AUTOMATED_DECISIONS, "Decided by a rule"),
    },
}
_HINTS = {
    "labels": "Templates may use " + ", ".join("{" + p + "}" for p in mapping.PLACEHOLDERS)
              + ": nothing about a person can reach a statement.",
    "actions": "Choose nothing for an action that restricts nothing: its decisions get no statement.",
    "sources": "Report sources are the items' “source”; “default” covers any other.",
}


class EntryForm(QWidget):
    """The form of one entry; :attr:`changed` carries the entry as it now reads."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("statementEntry")
        outer = QVBoxLayout(self)
        self.form = QFormLayout()
        outer.addLayout(self.form)
        outer.addStretch(1)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.section = ""
        self.editors: dict[str, QWidget] = {}
        self._filling = False

    def show_entry(self, section: str, title: str, entry: Any) -> None:
        """Rebuild the form for *section*'s entry *entry* (a table; the deciders' is the whole section)."""
        self._filling = True
        while self.form.rowCount():
            self.form.removeRow(0)
        self.section, self.editors = section, {}
        heading = QLabel(title)
        heading.setObjectName("entryTitle")
        self.form.addRow(heading)
        if section in _HINTS:
            hint = QLabel(_HINTS[section])
            hint.setWordWrap(True)
            hint.setObjectName("entryHint")
            self.form.addRow(hint)
        for name, (kind, values, words) in FIELDS[section].items():
            editor = self._editor(kind, values, entry.get(name) if isinstance(entry, dict) else None)
            editor.setObjectName(f"field_{name}")
            editor.setAccessibleName(words)
            self.editors[name] = editor
            self.form.addRow(words, editor)
        self._filling = False

    def _editor(self, kind: str, values: Mapping[str, str], current: Any) -> QWidget:
        if kind in ("one", "maybe"):
            combo = QComboBox()
            if kind == "maybe" or current is None:
                combo.addItem(_NONE, None)
            for key, label in values.items():
                combo.addItem(label, key)
                combo.setItemData(combo.count() - 1, key, Qt.ItemDataRole.ToolTipRole)
            combo.setCurrentIndex(max(0, combo.findData(current)))
            combo.currentIndexChanged.connect(self._edited)
            return combo
        if kind == "many":
            checks = QListWidget()
            checks.setMaximumHeight(150 if len(values) > 8 else 24 * len(values) + 6)
            for key, label in values.items():
                row = QListWidgetItem(label)
                row.setData(Qt.ItemDataRole.UserRole, key)
                row.setToolTip(key)
                row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                row.setCheckState(Qt.CheckState.Checked if key in (current or []) else Qt.CheckState.Unchecked)
                checks.addItem(row)
            chosen = [checks.item(i) for i in range(checks.count())
                      if checks.item(i).checkState() == Qt.CheckState.Checked]
            if chosen:
                checks.scrollToItem(chosen[0], QListWidget.ScrollHint.PositionAtTop)
            checks.itemChanged.connect(self._edited)
            return checks
        if kind == "line":
            line = QLineEdit(current or "")
            line.textEdited.connect(self._edited)
            return line
        box = QPlainTextEdit(current or "")
        box.setMaximumHeight(72)
        box.textChanged.connect(self._edited)
        return box

    def value(self) -> Any:
        """The entry as the form reads: set fields only (the deciders' section: its two choices)."""
        entry: dict[str, Any] = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QComboBox):
                value: Any = editor.currentData()
            elif isinstance(editor, QListWidget):
                value = [editor.item(i).data(Qt.ItemDataRole.UserRole) for i in range(editor.count())
                         if editor.item(i).checkState() == Qt.CheckState.Checked]
            elif isinstance(editor, QLineEdit):
                value = editor.text().strip()
            else:
                assert isinstance(editor, QPlainTextEdit)
                value = editor.toPlainText().strip()
            if value:
                entry[name] = value
        return entry

    def _edited(self, *_: Any) -> None:
        if not self._filling:
            self.changed.emit(self.value())
