"""The lead's Export dialog: what (decisions, audits, metrics, transparency counts, the PDF report), format,
period, filters, file; runs in the background.

The export itself is :func:`audit.exports.export` (tables) or
:func:`ui.reports.pdf.export_report` (the PDF), run as slow work on the
window's operations runner (``ops.query`` with progress: a long read on a
reader connection), with progress in the dialog. The queues and people
offered as filters are a read through the same runner. Cancel stops it at
the next batch of rows (or page); the file is written under a temporary
name and renamed only when complete and its ``export.written`` event is
stored (on the writer), so a cancelled export, or one whose event cannot
be written, leaves nothing behind, and an existing file of the same name
is left as it was.

Closing the dialog while an export runs cancels it and waits for the
worker to stop.

:func:`attach_export_action` puts it in the window's Session menu
(Export…, Ctrl+E) for a signed-in lead.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QEventLoop, QSettings, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audit import exports
from audit.exports import pseudonyms
from audit.exports.about import NAMES_NOBODY, verify_command
from review.errors import VeilError
from review.store import Queue, Store, User
from ui.operations import Operations
from ui.reports import pdf as report_pdf
from ui.reports.export_periods import PERIODS, period_dates
from ui.widgets.modal import open_returning

if TYPE_CHECKING:
    from ui.main_window import MainWindow

__all__ = ["ExportDialog", "attach_export_action"]

WHAT = (("Decisions", "decisions"), ("Audits", "audits"), ("Metrics", "metrics"),
        ("Transparency counts (DSA)", "transparency"), ("Report (PDF)", "report"))
TABLE_FORMATS = (("Excel workbook (XLSX) — for people", "xlsx"),
                 ("CSV — for spreadsheets, headed by its period", "csv"), ("JSON Lines — for machines", "jsonl"))
PDF_FORMAT = (("PDF report with charts", "pdf"),)
_FILTERS = {"csv": "CSV (*.csv)", "jsonl": "JSON Lines (*.jsonl)", "xlsx": "Excel workbook (*.xlsx)",
            "pdf": "PDF (*.pdf)"}

ChooseFile = Callable[[QWidget, str, str], str]  # parent, suggested path, filter -> chosen path or ""


#: Where the last export went, per machine (the window's ``QSettings``): the next one starts there.
FOLDER_KEY = "export/folder"


def default_folder() -> Path:
    """The user's Documents folder when there is one, else their home: never the working directory."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


def _save_dialog(parent: QWidget, suggested: str, file_filter: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, "Export to", suggested, file_filter)
    return path


def _choices(store: Store) -> tuple[list[Queue], list[User]]:
    """The queues and people the filters offer (a read, off the GUI thread)."""
    return store.queues(), store.users()


class ExportDialog(QDialog):
    """Export as *user* (a lead) through *ops*; open with ``open()`` or ``exec()``.

    *now* is the store's clock (the period presets are its UTC days); *period* the preset it opens with
    (Session ▸ Export opens on "Last week").
    :attr:`choices_loaded` tells when the queue and moderator filters are
    filled; :attr:`ended` when an export finished, failed or was cancelled.
    """

    choices_loaded = Signal()
    ended = Signal()

    def __init__(self, user: User, ops: Operations, *, now: Callable[[], _dt.datetime],
                 folder: str | Path | None = None, choose_file: ChooseFile | None = None,
                 period: str = "Last 30 days", remember: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export")
        self.setMinimumWidth(660)
        self._user, self._ops, self._now = user, ops, now
        self._choose = choose_file or _save_dialog
        self._remember = remember
        last = str(remember.value(FOLDER_KEY) or "") if remember is not None else ""  # gone since: the default
        self._folder = Path(folder) if folder else Path(last) if last and Path(last).is_dir() else default_folder()
        self._cancel = threading.Event()
        self._running = False
        self.result_: exports.ExportResult | None = None

        self.what = QComboBox()
        for text, key in WHAT:
            self.what.addItem(text, key)
        self.format = QComboBox()
        self.period = QComboBox()
        self.period.addItems(PERIODS)
        self.period.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.since, self.until = QDateEdit(), QDateEdit()
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.queue = QComboBox()
        self.queue.addItem("All queues", None)
        self.moderator = QComboBox()
        self.moderator.addItem("Everyone", None)
        self.pseudonymise = QCheckBox("Pseudonymise people's names (e.g. mod-3f9a2c)")
        self.pseudonymise.setToolTip("Stable across exports from this store. Names inside notes and comments are "
                                     "replaced where spelled as in Veil.")
        self.path = QLineEdit()
        self.path.setAccessibleName("File to write")
        self.choose = QPushButton("C&hoose…")
        self.choose.setAutoDefault(False)  # Enter in the dialog exports; it never reopens the file chooser
        self.choose.clicked.connect(self.choose_path)

        dates = QHBoxLayout()
        dates.addWidget(self.period, 1)
        dates.addWidget(QLabel("from"))
        dates.addWidget(self.since)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.until)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.choose)
        self.form = QFormLayout()
        self.form.addRow("Export", self.what)
        self.form.addRow("Format", self.format)
        self.form.addRow("Period", dates)
        self.form.addRow("Queue", self.queue)
        self.form.addRow("Moderator", self.moderator)
        self.form.addRow("", self.pseudonymise)
        self.form.addRow("File", file_row)

        self.note = QLabel("Exports never contain media or media paths. Days are UTC and select decisions by "
                           "when they were made. Metrics, transparency counts and the report cover the whole team "
                           "(the transparency counts take notices by when they were received).")
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the dialog keeps its size when the bar appears
        self.progress.setSizePolicy(policy)
        self.progress.hide()
        self.status = QLabel(" ")
        self.status.setObjectName("exportStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_button = QPushButton("&Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.close_button = QPushButton("Close")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self._close_or_cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        # Word-wrapped labels make Qt size a new window too short; never below what the rows need.
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)
        layout.setContentsMargins(22, 20, 22, 18)
        layout.setSpacing(12)
        layout.addLayout(self.form)
        layout.addWidget(self.note)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self.what.currentIndexChanged.connect(self._what_changed)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.period.currentIndexChanged.connect(self._period_changed)
        self.period.setCurrentText(period)
        self._what_changed()
        self._period_changed()
        ops.query(_choices, on_done=self._fill_choices, on_error=self._choices_failed, owner=self)

    def _fill_choices(self, choices: tuple[list[Queue], list[User]]) -> None:
        queues, people = choices
        for queue in queues:
            self.queue.addItem(queue.name, queue.name)
        for person in people:
            if person.has("moderator") or person.has("lead"):
                self.moderator.addItem(person.display_name, person.name)
        self.choices_loaded.emit()

    def _choices_failed(self, exc: BaseException) -> None:
        self._say(f"The queues and people to filter by could not be read: {exc}")

    # ------------------------------------------------------------ choices
    def kind(self) -> str:
        return self.what.currentData()

    def file_format(self) -> str:
        return self.format.currentData()

    def filters(self) -> exports.Filters:
        since = until = None
        if self.period.currentText() != "All time":
            since = self.since.date().toString("yyyy-MM-dd")
            until = self.until.date().toString("yyyy-MM-dd")
        tables = self.kind() in ("decisions", "audits")
        return exports.Filters(since, until, self.queue.currentData() if tables else None,
                               self.moderator.currentData() if tables else None)

    def _what_changed(self) -> None:
        kind = self.kind()
        self.format.blockSignals(True)
        previous = self.format.currentData()
        self.format.clear()
        for text, key in PDF_FORMAT if kind == "report" else TABLE_FORMATS:
            self.format.addItem(text, key)
        index = self.format.findData(previous)
        self.format.setCurrentIndex(max(0, index))
        self.format.blockSignals(False)
        self._sync_enabled()
        self._format_changed()

    def _format_changed(self) -> None:
        suffix = exports.SUFFIXES[self.file_format()]
        current = self.path.text().strip()
        stamp = self._now().strftime("%Y-%m-%d")
        if not current:
            self.path.setText(str(self._folder / f"veil-{self.kind()}-{stamp}{suffix}"))
            return
        path = Path(current)
        stem = path.stem
        for _, kind in WHAT:
            stem = stem.replace(f"veil-{kind}-", f"veil-{self.kind()}-")
        self.path.setText(str(path.with_name(stem + suffix)))

    def _sync_enabled(self) -> None:
        """Queue and moderator only narrow decisions and audits; counts that name nobody have nothing to
        pseudonymise; dates are typed only for "Custom"."""
        narrow = self.kind() in ("decisions", "audits")
        self.pseudonymise.setEnabled(self.kind() not in NAMES_NOBODY)
        for combo in (self.queue, self.moderator):
            self.form.setRowVisible(combo, narrow)
            combo.setEnabled(narrow)
        for edit in (self.since, self.until):
            edit.setEnabled(self.period.currentText() == "Custom")

    def _period_changed(self) -> None:
        period = self.period.currentText()
        self._sync_enabled()
        if period == "Custom":
            return
        first, last = period_dates(period, self._now().date())
        if first is not None and last is not None:
            self.since.setDate(QDate(first.year, first.month, first.day))
            self.until.setDate(QDate(last.year, last.month, last.day))
        for edit in (self.since, self.until):
            edit.setVisible(first is not None)

    def choose_path(self) -> None:
        chosen = self._choose(self, self.path.text(), _FILTERS[self.file_format()])
        if chosen:
            path = Path(chosen)
            suffix = exports.SUFFIXES[self.file_format()]
            self.path.setText(str(path if path.suffix.lower() == suffix else path.with_name(path.name + suffix)))

    # ------------------------------------------------------------ running
    def running(self) -> bool:
        """Whether an export is under way (one whose runner was closed never answers: not running)."""
        return self._running and not self._ops.closed

    def start(self) -> None:
        """Check the choices, then export in the background."""
        if self.running():
            return
        path = Path(self.path.text().strip()).expanduser()
        if not self.path.text().strip():
            self._say("Choose a file to write.")
            return
        if not path.parent.is_dir():
            self._say(f"The folder {path.parent} does not exist.")
            return
        filters = self.filters()
        try:
            filters.window()
        except ValueError as exc:
            self._say(str(exc).replace("--since", "From").replace("--until", "To"))
            return
        self._cancel.clear()
        self._running = True
        self._set_busy(True)
        self._say(f"Exporting {self.what.currentText().lower()}…")
        who, kind, fmt, pseudonymise = self._user.name, self.kind(), self.file_format(), self.pseudonymise.isChecked()
        job = partial(self._job, who=who, kind=kind, fmt=fmt, path=path, filters=filters,
                      pseudonymise=pseudonymise, cancel=self._cancel)

        def export(_: object = None) -> None:  # the file, on a reader connection, with progress
            self._ops.query(job, on_done=record, on_error=self._failed, on_progress=self._progressed, owner=self)

        def record(result: exports.ExportResult) -> None:  # its event, with the head it was read at, on the writer
            size = {"pages" if kind == "report" else "rows": result.rows}
            staged = result.staged
            assert staged is not None  # exported with record=False: still under its temporary name

            def log_then_publish(store: Store) -> None:  # the file appears only once its event is stored
                try:
                    exports.log_export(store, who, kind, fmt, path, filters, pseudonymise, head=result.head, **size)
                except BaseException:
                    staged.discard()
                    raise
                staged.publish()

            self._ops.write(log_then_publish, on_done=lambda _: self._done(result), on_error=self._failed,
                            owner=self)

        if pseudonymise:  # the store's secret may not exist yet: creating it is a write
            self._ops.write(lambda store: pseudonyms.ensure_secret(store, who), on_done=export,
                            on_error=self._failed, owner=self)
        else:
            export()

    @staticmethod
    def _job(reader: Store, *, who: str, kind: str, fmt: str, path: Path, filters: exports.Filters,
             pseudonymise: bool, cancel: threading.Event, progress: Callable[[int, int], None]
             ) -> exports.ExportResult:
        """On the worker: the domain's export on the reader connection the runner gives."""
        if kind == "report":
            return report_pdf.export_report(reader, who, path, since=filters.since, until=filters.until,
                                            pseudonymise=pseudonymise, progress=progress, cancelled=cancel.is_set,
                                            record=False)
        return exports.export(reader, who, kind, fmt, path, filters=filters, pseudonymise=pseudonymise,
                              progress=progress, cancelled=cancel.is_set, record=False)

    def cancel(self) -> None:
        if self.running():
            self._cancel.set()
            self._say("Cancelling…")

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(min(done, total))

    def _done(self, result: exports.ExportResult) -> None:
        self._running = False
        self._set_busy(False)
        self.result_ = result
        self.progress.setValue(self.progress.maximum())
        size = f"{result.rows} page{'s' if result.rows != 1 else ''}" if result.format == "pdf" else \
            f"{result.rows:,} row{'s' if result.rows != 1 else ''}"
        if self._remember is not None:
            self._remember.setValue(FOLDER_KEY, str(Path(result.path).parent))
        head = result.head  # said here too: a CSV or JSON Lines file cannot carry it itself
        self._say(f"Exported {size} to {result.path}. Made from event {head.events}; to check later that nothing "
                  f"before it was rewritten: {verify_command(head)}")
        self.ended.emit()

    def _failed(self, exc: BaseException) -> None:
        self._running = False
        self._set_busy(False)
        self.progress.hide()
        if isinstance(exc, exports.ExportCancelled):
            self._say("Cancelled: nothing was written.")
        elif isinstance(exc, (VeilError, PermissionError, ValueError, OSError)):
            self._say(f"Not exported: {exc}")
        else:
            self._say(f"Not exported: something went wrong ({type(exc).__name__}: {exc}).")
        self.ended.emit()

    def _set_busy(self, busy: bool) -> None:
        for i in range(self.form.rowCount()):
            for role in (QFormLayout.ItemRole.LabelRole, QFormLayout.ItemRole.FieldRole):
                item = self.form.itemAt(i, role)
                _enable(item, not busy)
        if not busy:
            self._sync_enabled()
        self.export_button.setEnabled(not busy)
        self.close_button.setText("Cancel" if busy else "Close")
        if busy:
            self.progress.setMaximum(0)  # busy until the first count arrives
            self.progress.setValue(0)
            self.progress.show()

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _close_or_cancel(self) -> None:
        if self.running():
            self.cancel()
        else:
            self.reject()

    def reject(self) -> None:
        """Esc, Close or the window's close button: a running export is cancelled and waited for.

        Its file never appears; the worker stops at its next batch of rows.
        """
        if self.running():
            self._cancel.set()
            waiting = QEventLoop()
            self.ended.connect(waiting.quit)
            QTimer.singleShot(30_000, waiting, waiting.quit)  # a worker stuck in the file system: give up
            waiting.exec()
        super().reject()


def _enable(item, enabled: bool) -> None:
    """Enable or disable a form cell, whether it holds a widget or a row of them."""
    if item is None:
        return
    if item.widget() is not None:
        item.widget().setEnabled(enabled)
    elif item.layout() is not None:
        layout = item.layout()
        for i in range(layout.count()):
            _enable(layout.itemAt(i), enabled)


def attach_export_action(window: MainWindow, ops: Callable[[], Operations], now: Callable[[], _dt.datetime]) -> None:
    """Session ▸ Export… (Ctrl+E) for a signed-in lead: this dialog on "Last week", on the session's runner *ops()*.

    Only leads get the action (exports are a lead's; the domain refuses anyone else all the same). One dialog
    at a time: Ctrl+E again brings it forward. Sign-out removes the action and closes the dialog (a running
    export is cancelled and leaves no file). Connected before the desktop closes the session's runner.
    """
    current: dict[str, Any] = {}

    def open_dialog() -> None:
        dialog = current.get("dialog")
        if dialog is not None:
            dialog.raise_()
            dialog.activateWindow()
            return
        dialog = ExportDialog(current["user"], ops(), now=now, period="Last week", remember=window.settings,
                              parent=window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.destroyed.connect(lambda: current.pop("dialog", None))
        current["dialog"] = dialog
        open_returning(dialog)

    def user_changed(user: User | None) -> None:
        dialog = current.pop("dialog", None)
        if dialog is not None:
            dialog.reject()
        action = current.pop("action", None)
        if action is not None:
            window.remove_session_action(action)
            action.deleteLater()
        if user is None or not user.has("lead"):
            return
        action = QAction("Export…", window)
        action.setObjectName("exportAction")
        action.setShortcut(QKeySequence("Ctrl+E"))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip("Export decisions, audits, metrics, transparency counts or the PDF report (Ctrl+E)")
        action.triggered.connect(open_dialog)
        window.add_session_action(action)
        current.update(user=user, action=action)

    window.user_changed.connect(user_changed)
