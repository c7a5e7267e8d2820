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


def _people_table(qtbot, people: int):
    """A figure table (ui/pages/dashboard_tables.py) of *people* rows, the longest name far down, counting the
    model's answers."""
    from dataclasses import dataclass

    from ui.pages.dashboard_tables import Column, FigureTableModel, figure_table

    @dataclass(frozen=True)
    class Person:
        key: str
        decided: int

    class Counted(FigureTableModel):
        asked = 0

        def data(self, index, role=Qt.ItemDataRole.DisplayRole):
            Counted.asked += 1
            return super().data(index, role)

    columns = [Column("Person", "who", lambda p: p.key, lambda p: p.key, left=True),
               Column("Decided", "how many", lambda p: f"{p.decided:,}", lambda p: p.decided)]
    model = Counted(columns)
    view = figure_table(model, "people", "People")
    qtbot.addWidget(view)
    view.resize(500, 300)
    model.set_rows([Person(f"person {n}" if n != people - 3 else "a person with a much longer name than all", n)
                    for n in range(people)])
    return model, view


def test_a_figure_tables_columns_fit_every_rows_text_without_asking_qt_to_measure_each_cell(qtbot):
    """The People tab for 205 people: Qt's measuring asked the model 14,000 times on the GUI thread (~70 ms to
    show it); its own widths now come from the rows' texts, as wide as Qt's measure of every row."""
    model, view = _people_table(qtbot, 205)
    Counted = type(model)
    Counted.asked = 0
    view.show()
    qtbot.waitExposed(view)
    assert Counted.asked < 2_000, Counted.asked
    header = view.horizontalHeader()
    for column in range(2):
        assert header.sectionSize(column) >= view.sizeHintForColumn(column)  # the long name far down is whole
    assert header.sectionSize(0) >= view.fontMetrics().horizontalAdvance("a person with a much longer name")
