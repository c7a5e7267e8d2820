"""The lead's "Cases" page: open cases — reports of one content in one queue, reviewed once — and their reports.

One row per open case: its number (its lead item's id), queue, when it opened, how many reports it gathers and
how many still wait, the lead item (the only one served) and what joined them (same bytes or text, a PDQ near
copy, the same content id). Enter opens the chosen case's reports below (each with its own due time: every
report keeps its SLA clock); Esc goes back to the cases. The list comes from :func:`review.known.cases.open_cases`
on a reader (leads only, within the lead's queue limit: the domain's refusal is said here), and reloads when
items, decisions or cases change in any window; F5 reloads. Names and ids only: never an item's media.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from review.known import cases
from review.store import Store, User
from ui.operations import Operations
from ui.pages.queue_admin_dialogs import in_words
from ui.refresh import SingleFlight
from ui.widgets.lists import page_title, read_only_rows
from ui.widgets.page_parts import add_keys, status_line

#: Change kinds (``ops.changed``) that alter what the page shows: a chunk's joins, decisions, imports.
CASE_CHANGES = frozenset({"cases", "decision", "decisions", "items", "item"})
CASE_COLUMNS = ("Case", "Queue", "Opened", "Reports", "Waiting", "Lead item", "Joined by")
REPORT_COLUMNS = ("Item", "Queue", "State", "Received", "Due", "Role in the case")
JOINED_BY = {"sha256": "same bytes or text", "pdq": "near copy (PDQ)", "content_id": "same content id"}


def _when(text: str) -> str:
    return text[:16].replace("T", " ")


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    item.setToolTip(text)
    return item


def report_role(report: Any) -> str:
    """"lead: served, decides the case" / "waits for the case" / "decided by the case"."""
    if report.lead:
        return "lead: served, decides the case"
    return "decided by the case" if report.decided_by_case else "waits for the case"


class CasesPage(QWidget):
    """The "Cases" page for *lead*; every read goes through *ops*."""

    refreshed = Signal()

    def __init__(self, lead: User, ops: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("casesPage")
        self.lead, self.ops = lead, ops
        self.found: list[cases.Case] = []
        self._loads = SingleFlight(self._load, ops, parent=self, reload_on=CASE_CHANGES, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(lambda exc: self.status.setText(f"Could not load the cases: {in_words(exc)}"))

        explain = QLabel("Reports of the same content in one queue — the same bytes or text, a picture within the "
                         "PDQ threshold, or the same content id — form a case. Only its lead item is served; its "
                         "decision is applied to every report, each keeping its own due time. Enter shows a case's "
                         "reports, Esc returns, F5 reloads.")
        explain.setObjectName("hint")
        explain.setWordWrap(True)
        self.table = QTableWidget()
        header = read_only_rows(self.table, "casesTable")
        self.table.setAccessibleName("Open cases")
        self.table.setColumnCount(len(CASE_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(CASE_COLUMNS))
        header.setStretchLastSection(True)
        self.reports_title = QLabel("Reports")
        self.reports_title.setObjectName("sectionTitle")
        self.reports = QTableWidget()
        reports_header = read_only_rows(self.reports, "caseReportsTable")
        self.reports.setAccessibleName("Reports of the chosen case")
        self.reports.setColumnCount(len(REPORT_COLUMNS))
        self.reports.setHorizontalHeaderLabels(list(REPORT_COLUMNS))
        reports_header.setStretchLastSection(True)
        self.status = status_line()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(8)
        layout.addWidget(page_title("Cases"))
        layout.addWidget(explain)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.reports_title)
        layout.addWidget(self.reports, 2)
        layout.addWidget(self.status)
        self.setFocusProxy(self.table)
        add_keys(self, ((Qt.Key.Key_F5, self.refresh, self), (Qt.Key.Key_Return, self.open_case, self.table),
                        (Qt.Key.Key_Enter, self.open_case, self.table),
                        (Qt.Key.Key_Escape, self.table.setFocus, self.reports)))
        self.table.itemSelectionChanged.connect(self._show_reports)
        self.table.doubleClicked.connect(lambda _index: self.open_case())

    # ------------------------------------------------------------------ API
    def refresh(self) -> bool:
        return self._loads.request()

    def selected(self) -> cases.Case | None:
        chosen = self.table.selectionModel().selectedRows()
        if not chosen or chosen[0].row() >= len(self.found):
            return None
        return self.found[chosen[0].row()]

    def open_case(self) -> None:
        """Show the chosen case's reports and move the keyboard to them."""
        if self.selected() is None:
            self.status.setText("Select a case first.")
            return
        self._show_reports()
        self.reports.setFocus()
        if self.reports.rowCount():
            self.reports.selectRow(0)

    def close_page(self) -> None:
        self._loads.close()

    # ------------------------------------------------------------ internals
    def _load(self, reader: Store) -> list[cases.Case]:
        return cases.open_cases(reader, self.lead.name)

    def _loaded(self, found: list[cases.Case]) -> None:
        keep = self.selected()
        self.found = found
        self.table.setRowCount(len(found))
        for number, case in enumerate(found):
            row = case.row
            lead = next((r.external_id for r in case.reports if r.lead), "")
            for column, text in enumerate((str(row.id), row.queue, _when(row.opened_at), str(row.reports),
                                           str(row.open_reports), lead, JOINED_BY.get(row.key, row.key))):
                self.table.setItem(number, column, _cell(text))
        waiting = sum(c.row.open_reports for c in found)
        self.status.setText(f"{len(found)} open case{'s' if len(found) != 1 else ''}, {waiting:,} reports waiting"
                            if found else "No open cases: every report waits on its own, or its case is decided.")
        again = [i for i, case in enumerate(found) if keep and case.row.id == keep.row.id]
        if again or found:
            self.table.selectRow(again[0] if again else 0)
        self._show_reports()
        self.refreshed.emit()

    def _show_reports(self) -> None:
        case = self.selected()
        shown = case.reports if case is not None else ()
        self.reports_title.setText(f"Reports of case {case.row.id}" if case is not None else "Reports")
        self.reports.setRowCount(len(shown))
        for number, report in enumerate(shown):
            for column, text in enumerate((report.external_id, report.queue, report.state, _when(report.received_at),
                                           _when(report.due_at), report_role(report))):
                self.reports.setItem(number, column, _cell(text))

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh()
