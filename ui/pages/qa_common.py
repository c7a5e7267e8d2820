"""What the three QA pages (audit, my results, disputes) show the same way.

A decision, a verdict and a time read identically on every page, in words
from the team's taxonomy rather than stored ids ("Remove · Hate speech",
"Incorrect — missed violation, major"), and every list is the same calm
read-only table: whole-row selection, keyboard navigation, no editing.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QWidget

from review.clock import parse
from review.taxonomy import Taxonomy
from ui.widgets.lists import read_only_rows

_KEY = Qt.ItemDataRole.UserRole


def action_name(taxonomy: Taxonomy, action: str) -> str:
    try:
        return taxonomy.action(action).name
    except KeyError:
        return action.replace("_", " ").capitalize()


def label_names(taxonomy: Taxonomy, labels: Sequence[str]) -> str:
    names = []
    for label in labels:
        try:
            names.append(taxonomy.label(label).name)
        except KeyError:
            names.append(label.replace("_", " ").capitalize())
    return ", ".join(names) or "no label"


def decision_words(taxonomy: Taxonomy, action: str, labels: Sequence[str]) -> str:
    """"Remove · Hate speech, Spam" or "No violation · no label"."""
    return f"{action_name(taxonomy, action)} · {label_names(taxonomy, labels)}"


def words(value: str | None) -> str:
    """A stored id as words: "missed_violation" → "missed violation"; None → "—"."""
    return value.replace("_", " ") if value else "—"


def verdict_words(verdict: str, error_type: str | None, severity: str | None) -> str:
    """"Correct" or "Incorrect — missed violation, major"."""
    if verdict != "incorrect":
        return verdict.capitalize()
    return f"Incorrect — {words(error_type)}, {words(severity)}"


def local_time(stamp: str | None) -> str:
    """A stored UTC time in the person's time zone, to the minute."""
    return f"{parse(stamp).astimezone():%Y-%m-%d %H:%M}" if stamp else "—"


def local_day(stamp: str | None) -> str:
    """A stored UTC time as the person's local date (lists; details give the minute)."""
    return f"{parse(stamp).astimezone():%Y-%m-%d}" if stamp else "—"


def score_text(score: float | None) -> str:
    return "—" if score is None else f"{score:g} / 100"


def text_label(name: str, text: str = "", *, rich: bool = False) -> QLabel:
    """A wrapping, selectable label styled by its object name; plain text unless *rich* (whose caller escapes what
    it puts in): names, tags and reasons come from the store and from partners' files, and Qt would render markup
    in them, even a local picture (``<img src=…>``), unblurred."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ReadOnlyTable(QTableWidget):
    """A list of records: one key (the record's id) per row, selected whole, never edited."""

    def __init__(self, columns: Sequence[str], name: str, *, stretch: int, parent: QWidget | None = None):
        """*stretch* is the column that takes the spare width (and elides), so every column stays in view."""
        super().__init__(0, len(columns), parent)
        self.setHorizontalHeaderLabels(list(columns))
        header = read_only_rows(self, name)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)

    def set_rows(self, rows: Sequence[tuple[Sequence[str], int]]) -> None:
        """Replace the rows, each (cell texts, key); the selected key stays selected if it is still there.

        Selection signals wait for the rebuild and fire once, only when the selected key changed: a refresh
        that keeps the selection must look like nothing to a page (clearing the rows on the way used to cancel
        a confirmation asked for the selected row)."""
        keep = self.current_key()
        with QSignalBlocker(self):
            self.setRowCount(0)
            self.setRowCount(len(rows))
            for r, (cells, key) in enumerate(rows):
                for c, text in enumerate(cells):
                    cell = QTableWidgetItem(text)
                    cell.setToolTip(text)
                    cell.setData(_KEY, key)
                    self.setItem(r, c, cell)
            again = next((r for r, (_, key) in enumerate(rows) if key == keep), 0 if rows else -1)
            if again >= 0:
                self.selectRow(again)
        if self.current_key() != keep:
            self.itemSelectionChanged.emit()

    def current_key(self) -> int | None:
        """The key of the selected row (None when nothing is selected)."""
        row = self.currentRow()
        if row < 0 or self.item(row, 0) is None or not self.selectionModel().isRowSelected(row, self.rootIndex()):
            return None
        return self.item(row, 0).data(_KEY)

    def texts(self) -> list[list[str]]:
        """Every cell's text, row by row (what a person reads)."""
        return [[self.item(r, c).text() for c in range(self.columnCount())] for r in range(self.rowCount())]
