"""What the three tabs of the QA setup page share: a table that reloads itself, a row of buttons, a status line.

Each tab (:mod:`ui.pages.qa_plans`, :mod:`ui.pages.qa_gold`,
:mod:`ui.pages.qa_calibration`) loads its rows with one domain read
through the operations runner (``SingleFlight``: again whenever a write
changed the kinds it shows, while it is visible), and makes each change
in a :class:`~ui.pages.queue_admin_dialogs.ChangeDialog`: the inputs, what
will happen in words, one domain call written through ``ops.write``, and
the domain's refusal said in the dialog, which stays open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QTabBar, QTabWidget, QVBoxLayout, QWidget

from review.store import Store, User
from ui.operations import Operations
from ui.pages.qa_common import ReadOnlyTable
from ui.pages.queue_admin_dialogs import ChangeDialog, in_words
from ui.refresh import SingleFlight
from ui.widgets.modal import open_returning
from ui.widgets.page_parts import status_line


class SetupTab(QWidget):
    """A table of *columns* loaded by *load(reader)*, reloaded on *reload_on* changes, with buttons below."""

    refreshed = Signal()
    changed = Signal(str)  # after each change, in words

    def __init__(self, lead: User, ops: Operations, *, name: str, columns: Sequence[str], stretch: int,
                 load: Callable[[Store], Any], reload_on: Iterable[str], hint: str):
        super().__init__()
        self.setObjectName(name)
        self.lead, self.ops = lead, ops
        self._watched: QTabBar | None = None  # the page's tab bar: its focus passes to the shown tab's table
        self.rows: dict[int, Any] = {}  # by key (the table's row keys)
        self._loads = SingleFlight(load, ops, parent=self, reload_on=reload_on, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(lambda exc: self.status.setText(f"Could not load: {in_words(exc)}"))
        explain = QLabel(hint)
        explain.setObjectName("hint")
        explain.setWordWrap(True)
        self.table = ReadOnlyTable(columns, name + "Table", stretch=stretch)
        self.table.itemSelectionChanged.connect(self.selection_changed)
        self.buttons: dict[str, QPushButton] = {}
        self.bar = QHBoxLayout()
        self.status = status_line()
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(0, 10, 0, 0)
        self.body.addWidget(explain)
        self.body.addWidget(self.table, 1)
        self.body.addLayout(self.bar)
        self.body.addWidget(self.status)
        self.setFocusProxy(self.table)
        reload = QShortcut(QKeySequence(Qt.Key.Key_F5), self)
        reload.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        reload.activated.connect(self.refresh)

    # ------------------------------------------------------------------ API
    def add_button(self, key: str, text: str, slot: Callable[[], Any]) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(lambda _=False: slot())
        self.bar.addWidget(button)
        self.buttons[key] = button
        return button

    def refresh(self) -> bool:
        return self._loads.request()

    def selected(self) -> Any:
        """The row (domain record) selected in the table, or None."""
        key = self.table.current_key()
        return self.rows.get(key) if key is not None else None

    def changed_to(self, words: str) -> None:
        """A change was made (a dialog says so): show it; the table reloads on the change notification."""
        self.status.setText(words)
        self.table.setFocus()  # the window's focus once the dialog closes: arrows move along the rows again
        self.changed.emit(words)

    def close_page(self) -> None:
        self._loads.close()

    # ------------------------------------------------------------ for tabs
    def cells(self, row: Any) -> Sequence[str]:
        raise NotImplementedError

    def key(self, row: Any) -> int:
        """The row's lasting id, so a reload keeps it selected."""
        raise NotImplementedError

    def selection_changed(self) -> None:
        """Enable the buttons that need a selected row (tabs override to say more)."""

    def need_selected(self, what: str) -> Any:
        row = self.selected()
        if row is None:
            self.status.setText(f"Select {what} first.")
        return row

    @staticmethod
    def form(dialog: ChangeDialog, *rows: tuple[str, QWidget]) -> None:
        """Add labelled inputs to *dialog*; the summary is redrawn whenever one changes."""
        for text, widget in rows:
            dialog.form.addRow(text, widget)
            dialog.fields[text] = widget
            for signal in ("textChanged", "valueChanged", "currentIndexChanged", "toggled", "itemChanged"):
                if hasattr(widget, signal):
                    getattr(widget, signal).connect(dialog.update_summary)

    @staticmethod
    def open(dialog: ChangeDialog, focus: QWidget) -> ChangeDialog:
        dialog.update_summary()
        open_returning(dialog)
        focus.setFocus()
        return dialog

    # ------------------------------------------------------------ internals
    def _loaded(self, rows: list[Any]) -> None:
        if self.status.text() == "Loading…":
            self.status.setText("" if rows else "Nothing here yet.")
        self.rows = {self.key(r): r for r in rows}
        self.table.set_rows([(self.cells(r), key) for key, r in self.rows.items()])
        self.selection_changed()
        self.refreshed.emit()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh()
        tabs = self.parentWidget().parentWidget() if self.parentWidget() is not None else None
        if isinstance(tabs, QTabWidget) and tabs.tabBar() is not self._watched:
            self._watched = tabs.tabBar()
            self._watched.installEventFilter(self)
        self._take_focus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._watched and event.type() == QEvent.Type.FocusIn:
            QTimer.singleShot(0, self, self._take_focus)  # not after this tab is gone
        return False

    def _take_focus(self) -> None:
        """The tab bar has the focus (the window showed the page, or a tab was chosen): the table takes it, so Up
        and Down move along the rows at once; focus anywhere else is left where the person put it."""
        if self.isVisible() and self._watched is not None and QApplication.focusWidget() is self._watched:
            self.table.setFocus()
