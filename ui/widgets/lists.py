"""The shared look of Veil's list pages: the page title and the read-only table.

Every page that lists records (queues, queue admin, the dashboard's
figures, audit results, disputes) shows them the same way, so a person who
learns one table knows them all: whole rows selected one at a time, never
edited in place, calm (no grid, alternating rows), Tab leaves the table,
no row numbers, and columns as wide as their contents so names are never
cut short.
"""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView


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
    return header
