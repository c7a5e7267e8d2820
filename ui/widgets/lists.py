"""The shared look of Veil's list pages: the page title and the read-only table.

Every page that lists records (queues, queue admin, the dashboard's
figures, audit results, disputes) shows them the same way, so a person who
learns one table knows them all: whole rows selected one at a time, never
edited in place, calm (no grid, alternating rows), Tab leaves the table,
no row numbers, and columns as wide as their contents so names are never
cut short.

"As wide as their contents" is measured on the rows in view and the
:data:`MEASURED_ROWS` after them, not Qt's default thousand: a width is
worked out by asking the model for every role of every cell it measures, on
the GUI thread, at each refresh. The dashboard's People tab on a site of
205 people took 80 ms of the GUI thread to show and 90 ms to refresh (31,000
calls to the model); 29 and 39 ms now (issue 22: ≤ 100 ms a GUI action at
5 M items).
"""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView

#: Rows beyond those in view whose contents set a column's width (``QHeaderView.resizeContentsPrecision``).
MEASURED_ROWS = 64


def page_title(text: str) -> QLabel:
    """The page's title, styled by the theme (``#pageTitle``)."""
    title = QLabel(text)
    title.setObjectName("pageTitle")
    return title


def read_only_rows(view: QTableView, name: str, *, row_height: int = 34) -> QHeaderView:
    """Give *view* the list look; returns its horizontal header for the page's own column rules."""
    view.setObjectName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(row_height)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setResizeContentsPrecision(MEASURED_ROWS)
    return header
