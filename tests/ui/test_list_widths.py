"""A list's columns are sized from the rows in view and a few more, whatever its length (ui/widgets/lists.py).

Issue 22 (a GUI action blocks the event loop ≤ 100 ms at 5 M items): the
dashboard's People tab on a site of 205 people asked its model for 31,000
cells' roles to size its columns, 80 ms of the GUI thread to show and 90
to refresh, because Qt measures up to a thousand rows.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QTableView

from ui.widgets.lists import read_only_rows


class _Counted(QAbstractTableModel):
    """*rows* rows of four columns, the longest name last; counts the model's answers."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows, self.asked = rows, 0

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.rows

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 4

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        self.asked += 1
        if role == Qt.ItemDataRole.DisplayRole:
            return f"person {index.row()}" if index.row() else "a person with a long name, first"
        return None


def _asked_to_show(qtbot, rows: int) -> tuple[int, int]:
    """How often the model was asked to show *rows* rows, and the first column's width."""
    model = _Counted(rows)
    view = QTableView()
    qtbot.addWidget(view)
    read_only_rows(view, "counted")
    view.resize(600, 400)
    view.setModel(model)
    view.show()
    qtbot.waitExposed(view)
    return model.asked, view.columnWidth(0)


def test_sizing_the_columns_asks_the_same_of_the_model_for_200_rows_or_2000(qtbot):
    short, short_width = _asked_to_show(qtbot, 200)
    long, long_width = _asked_to_show(qtbot, 2_000)
    assert long <= short * 1.1, (short, long)  # Qt's default measured 1,000 rows of the 2,000: 5× the 200's
    assert long_width == short_width > 150  # the first row, in view, sets the width: its long name is whole
