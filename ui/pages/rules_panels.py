"""The Rules page's three panels beside the editor: problems (each jumps to its line), a test's figures, versions.

Each panel only shows what the page hands it (the page makes every domain call through the operations runner);
their tables are read-only lists with accessible names, worked with the arrow keys and Enter.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from review.known.rule_trial import Trial
from review.store.rules import StoredRuleSet

LINE_ROLE = Qt.ItemDataRole.UserRole


class ProblemsPanel(QWidget):
    """Every problem of the last check as "Line N: reason"; a click or Enter asks the page to go to that line."""

    line_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel("Press Check (Ctrl+Enter) to check the rules against this store.")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)  # rule, list and queue names are stored text
        self.summary.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAccessibleName("Problems")
        self.list.setWordWrap(True)
        self.list.itemActivated.connect(self._chosen)
        self.list.itemClicked.connect(self._chosen)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)

    def show_problems(self, source: str, problems: Sequence[tuple[int | None, str]]) -> None:
        self.list.clear()
        count = len(problems)
        self.summary.setText(f"{count} problem{'s' if count != 1 else ''} in {source}; nothing can be applied "
                             "until each is fixed. Click one, or press Enter on it, to go to its line.")
        for line, reason in problems:
            entry = QListWidgetItem(f"Line {line}: {reason}" if line is not None else reason)
            entry.setData(LINE_ROLE, line)
            self.list.addItem(entry)
        self.list.setCurrentRow(0)

    def show_fine(self, rules: int) -> None:
        self.list.clear()
        self.summary.setText(f"{rules} rule{'s' if rules != 1 else ''}, fine: ready to test and apply.")

    def _chosen(self, entry: QListWidgetItem) -> None:
        line = entry.data(LINE_ROLE)
        if isinstance(line, int):
            self.line_chosen.emit(line)


def _table(name: str, headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setAccessibleName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setTabKeyNavigation(False)
    table.verticalHeader().hide()
    table.setWordWrap(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: Sequence[Sequence[str]]) -> None:
    table.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            cell = QTableWidgetItem(text)
            cell.setToolTip(text)  # a narrow panel cuts long names short
            if c >= 1 and text[:1].isdigit():
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, cell)
    table.resizeRowsToContents()


TRIAL_COLUMNS = ("Rule", "Matched", "Agreement")


class TrialPanel(QWidget):
    """Test over the last N days: the button, progress while it runs, and a row of figures per rule."""

    run_asked = Signal(int)  # days

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.days = QSpinBox()
        self.days.setRange(1, 3650)
        self.days.setValue(30)
        self.days.setSuffix(" days")
        self.days.setAccessibleName("Test over the last days")
        self.run = QPushButton("&Test")
        self.run.setAccessibleName("Test the rules on history")
        self.run.clicked.connect(lambda: self.run_asked.emit(self.days.value()))
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Test progress")
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.summary = QLabel("What each rule would have done to the items received in the window, and how often "
                              "people decided them as the rule would.")
        self.summary.setWordWrap(True)
        self.table = _table("Test figures per rule", TRIAL_COLUMNS)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        row = QHBoxLayout()
        over = QLabel("Over the last")
        over.setBuddy(self.days)
        row.addWidget(over)
        row.addWidget(self.days)
        row.addWidget(self.run)
        row.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def started(self) -> None:
        self.run.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.summary.setText("Testing…")

    def advanced(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done:,} of {total:,} items")

    def ended(self, words: str) -> None:
        self.run.setEnabled(True)
        self.progress.hide()
        self.summary.setText(words)

    def show_trial(self, trial: Trial) -> None:
        rows = []
        for rule in trial.rules:
            queues = ", ".join(f"{name} {n:,}" for name, n in rule.queues.most_common())
            agreement = (f"{rule.agreement:.0%} (n = {rule.decided:,})" if rule.agreement is not None
                         else "n = 0" if rule.action else "—")
            rows.append((f"{rule.name}\n{rule.effect}" + (f"\nin queues: {queues}" if queues else ""),
                         f"{rule.matched:,}", agreement))
        _fill(self.table, rows)
        self.ended(f"{trial.items:,} item{'s' if trial.items != 1 else ''} received since {trial.since[:16]}Z; "
                   f"{trial.unmatched:,} matched no rule. Agreement: the share of the items people decided whose "
                   "decision was the rule's action, with n.")


VERSION_COLUMNS = ("Version", "Applied by", "When", "File", "Rules")


class VersionsPanel(QWidget):
    """Every applied version, newest first; Enter or "Open in editor" asks the page to edit that version's text."""

    version_chosen = Signal(object)  # StoredRuleSet

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._versions: list[StoredRuleSet] = []
        self.table = _table("Rule set versions", VERSION_COLUMNS)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(VERSION_COLUMNS.index("File"), QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(lambda _index: self._open())
        self.open = QPushButton("Open in &editor")
        self.open.setAccessibleName("Open the chosen version in the editor")
        self.open.clicked.connect(self._open)
        layout = QVBoxLayout(self)
        about = QLabel("Each Apply stores a new version; the newest routes every item imported from then on.")
        about.setWordWrap(True)
        layout.addWidget(about)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.open, 0, Qt.AlignmentFlag.AlignLeft)

    def show_versions(self, versions: Sequence[StoredRuleSet]) -> None:
        self._versions = list(versions)
        _fill(self.table, [(f"{v.version}", v.created_by, v.created_at[:16].replace("T", " "), v.source,
                            f"{v.rules}") for v in versions])
        if versions:
            self.table.selectRow(0)
        self.open.setEnabled(bool(versions))

    def _open(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.version_chosen.emit(self._versions[rows[0].row()])
