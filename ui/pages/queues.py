"""Queue overview: every queue's waiting work and SLA state at a glance, and what keeps one from the person.

:class:`QueueTableModel` is a table model over :class:`~review.store.QueueHealth` rows; :class:`QueueOverview`
shows it, loading the rows through the operations runner (a reader) with a ``load(store)`` the desktop layer
provides: on show, on F5, and whenever a write in this window changed items, decisions or queues (``ops.changed``);
a slow timer (every 5 minutes while visible) only picks up what *other* Veil processes changed. Given the person,
the same read asks why a queue does not serve them (:mod:`ui.pages.queues_status`: a course, their shift), so the
Status column says it before Enter does. Everyone lands here: Enter with no queue chosen starts their work
(:func:`enter_starts`), Enter or a double-click on a queue emits its name; an audit or calibration queue (QA's work,
"17 samples") goes to :attr:`QueueOverview.qa_queue_chosen` (keys: :mod:`ui.pages.queues_keys`).

SLA trouble is written in words ("At risk: 4", "Breached: 12"); the amber and brick colours only repeat them.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from review.clock import UTC, parse
from review.store import QueueHealth, Store, User
from ui import theme
from ui.operations import Operations
from ui.pages.queues_keys import table_key
from ui.pages.queues_status import not_served, status_words
from ui.refresh import SingleFlight, reason
from ui.widgets.lists import page_title, read_only_rows

__all__ = ["COLUMNS", "QA_KINDS", "QA_WORK_PLACE", "QUEUE_CHANGES", "QueueOverview", "QueueTableModel", "enter_starts",
           "human_age", "sla_text", "waiting_text"]

#: Change kinds (``ops.changed``) that can move a queue's figures: a write of one of them refreshes the page.
QUEUE_CHANGES = frozenset({"item", "items", "decision", "decisions", "queue", "audit", "gold", "calibration"})

COLUMNS = ("Queue", "Kind", "Waiting", "Oldest", "SLA", "Priority", "Status")
QUEUE, KIND, WAITING, OLDEST, SLA, PRIORITY, STATUS = range(len(COLUMNS))

LEGEND = (  # one line at the default window size; wraps on narrow windows
    "Waiting: reports not yet decided  ·  Oldest: the longest wait  ·  "
    "SLA: our promise to decide in time — At risk: due soon, Breached: late"
)

#: Queue kinds whose waiting work is QA's (samples, calibration answers), and where that work is done.
QA_WORK_PLACE = {"audit": "auditors work it on the Audit page", "calibration": "answers are not given from here"}
QA_KINDS = frozenset(QA_WORK_PLACE)
_WAITING_WORDS = {"audit": ("sample", "samples"), "calibration": ("answer", "answers")}
STARTS = {"reviewing": "Enter starts all your queues", "auditing": "Enter opens the Audit page on your samples"}


def enter_starts(roles: Sequence[str]) -> str:
    """What Enter on Queues starts for *roles* with no queue chosen (a :data:`STARTS` key): reviewing for a moderator
    or lead, auditing for an auditor who reviews nothing (whose Enter said "your role does not include reviewing")."""
    return "reviewing" if {"moderator", "lead"} & set(roles) else "auditing"

_WAITING_TIPS = {"audit": "Sampled decisions not yet audited, each due the SLA after it was drawn (Audit page)",
                 "calibration": "Answers still to give: each item of the sets in this queue, once per person "
                                "who may answer; due the SLA after the set was made"}

_HEADER_TIPS = {
    QUEUE: "The queue's name; Enter or a double-click opens it",
    KIND: "Review, escalation (hard cases for leads), audit (QA re-checks) or calibration",
    WAITING: "Items in the queue that nobody has decided yet",
    OLDEST: "How long the oldest waiting item has been in the queue",
    SLA: "Service level: the time within which we promise to decide. "
    "At risk = due within the last quarter of that time; Breached = already past due",
    PRIORITY: "Higher numbers are served first when working several queues",
    STATUS: "Paused queues keep their items but serve none to moderators; otherwise what keeps a queue from you "
    "(a course to pass, your shift, a rotation rule), if anything",
}


def human_age(seconds: float | None) -> str:
    """A duration as a person says it: "under 1 min", "45 min", "3 h 20 min", "2 d 4 h"."""
    if seconds is None:
        return "—"
    total = int(seconds)
    if total < 60:
        return "under 1 min"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def sla_text(health: QueueHealth) -> str:
    """"OK", "At risk: 4" or "Breached: 12" (breached wins when both)."""
    if health.breached:
        return f"Breached: {health.breached}"
    if health.at_risk:
        return f"At risk: {health.at_risk}"
    return "OK"


def waiting_text(health: QueueHealth) -> str:
    """"1,204" for a review queue; "17 samples" / "1 answer" for a QA queue, whose work is not items."""
    words = _WAITING_WORDS.get(health.queue.kind, ("", ""))
    return f"{health.waiting:,} {words[health.waiting != 1]}".rstrip()


def _age_seconds(health: QueueHealth, now: _dt.datetime) -> float | None:
    if not health.oldest_received_at:
        return None
    return max(0.0, (now - parse(health.oldest_received_at)).total_seconds())


class QueueTableModel(QAbstractTableModel):
    """Read-only table of queue health; ages are computed against ``now``."""

    QueueNameRole = Qt.ItemDataRole.UserRole + 1  # the queue's name, any column
    SortRole = Qt.ItemDataRole.UserRole + 2  # a sortable raw value
    SlaStateRole = Qt.ItemDataRole.UserRole + 3  # "ok" | "at risk" | "breached"

    def __init__(self, rows: Sequence[QueueHealth] = (), now: _dt.datetime | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._rows: list[QueueHealth] = list(rows)
        self._now = now or _dt.datetime.now(UTC)
        self._not_served: Mapping[int, str] = {}  # queue id → why the person signed in is not served it now

    # ------------------------------------------------------------------ API
    def set_rows(self, rows: Sequence[QueueHealth], now: _dt.datetime, refused: Mapping[int, str] | None = None
                 ) -> None:
        """Replace the rows (and why the person is not served some, by queue id).  Same queues in the same order:
        an in-place update (views keep selection and scroll); otherwise a reset."""
        rows, self._not_served = list(rows), refused or {}
        same_shape = [h.queue.name for h in rows] == [h.queue.name for h in self._rows]
        if same_shape:
            self._rows, self._now = rows, now
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))
        else:
            self.beginResetModel()
            self._rows, self._now = rows, now
            self.endResetModel()

    def rows(self) -> list[QueueHealth]:
        return list(self._rows)

    def now(self) -> _dt.datetime:
        return self._now

    def health(self, row: int) -> QueueHealth:
        return self._rows[row]

    def row_of(self, queue_name: str) -> int:
        return next((i for i, health in enumerate(self._rows) if health.queue.name == queue_name), -1)

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _HEADER_TIPS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(section)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= column < len(COLUMNS)):
            return None
        health, queue = self._rows[row], self._rows[row].queue
        if role == Qt.ItemDataRole.AccessibleTextRole and column == STATUS and queue.id in self._not_served:
            return self._not_served[queue.id]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._display(health, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(health, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == SLA and health.sla_state != "ok":
                return theme.color("breached" if health.breached else "at_risk")
            if column == STATUS and (queue.paused or queue.id in self._not_served):
                return theme.color("muted")
            return None
        if role == self.QueueNameRole:
            return queue.name
        if role == self.SlaStateRole:
            return health.sla_state
        if role == self.SortRole:
            return self._sort_value(health, column)
        return None

    # ------------------------------------------------------------ internals
    def _display(self, health: QueueHealth, column: int) -> str:
        queue = health.queue
        if column == QUEUE:
            return queue.name
        if column == KIND:
            return queue.kind.capitalize()
        if column == WAITING:
            return waiting_text(health)
        if column == OLDEST:
            return human_age(_age_seconds(health, self._now)) if health.waiting else "—"
        if column == SLA:
            return sla_text(health)
        if column == PRIORITY:
            return str(queue.priority)
        if queue.paused:
            return "Paused"
        return status_words(queue.name, self._not_served[queue.id]) if queue.id in self._not_served else "Active"

    def _tooltip(self, health: QueueHealth, column: int) -> str | None:
        queue = health.queue
        if column == QUEUE:
            return queue.description or queue.name
        if column == WAITING:
            return _WAITING_TIPS.get(queue.kind)
        if column == OLDEST and health.oldest_received_at:
            received = parse(health.oldest_received_at).astimezone()
            what = {"audit": "sample drawn", "calibration": "set made"}.get(queue.kind, "item received")
            return f"Oldest waiting {what} {received:%Y-%m-%d %H:%M}"
        if column == SLA:
            limit, soon = human_age(queue.sla_seconds), human_age(queue.sla_seconds / 4)
            parts = [f"Promise: decide within {limit}."]
            if health.breached:
                parts.append(f"{health.breached} waiting past their due time.")
            if health.at_risk:
                parts.append(f"{health.at_risk} due within the next {soon}.")
            if not (health.breached or health.at_risk):
                parts.append(f"Nothing due within the next {soon}.")
            return " ".join(parts)
        if column == STATUS:
            return "Paused: items wait but are not served" if queue.paused else self._not_served.get(
                queue.id, "Active: items are being served")
        return None

    def _sort_value(self, health: QueueHealth, column: int) -> Any:
        queue = health.queue
        if column == WAITING:
            return health.waiting
        if column == OLDEST:
            return _age_seconds(health, self._now) or 0.0
        if column == SLA:
            return (health.breached, health.at_risk)
        if column == PRIORITY:
            return queue.priority
        return self._display(health, column)


class _KeepColourDelegate(QStyledItemDelegate):
    """Keeps the amber/brick SLA colour on a selected row (words stay the same either way)."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        foreground = index.data(Qt.ItemDataRole.ForegroundRole)
        if isinstance(foreground, QColor):
            option.palette.setColor(QPalette.ColorRole.HighlightedText, foreground)


def _alignment(column: int) -> Qt.AlignmentFlag:
    horizontal = Qt.AlignmentFlag.AlignRight if column in (WAITING, OLDEST, PRIORITY) else Qt.AlignmentFlag.AlignLeft
    return horizontal | Qt.AlignmentFlag.AlignVCenter


_Loaded = tuple[list[QueueHealth], _dt.datetime, dict[int, str]]  # rows, their time, why some do not serve the person


class QueueOverview(QWidget):
    """The "Queues" page.

    *load(store)* returns the rows; it runs through *ops* on a reader
    connection.  *now* gives the time ages are measured against (the
    store's clock), also called on the worker right after *load*.
    """

    queue_chosen = Signal(str)  # a review or escalation queue's name
    qa_queue_chosen = Signal(str, str)  # an audit or calibration queue's name and kind
    refreshed = Signal()  # after each refresh that changed the rows (tests, status)
    refresh_failed = Signal(str)

    REFRESH_MS = 5 * 60_000  # only for other processes' changes: this window's come through ops.changed

    def __init__(
        self,
        load: Callable[[Store], Sequence[QueueHealth]],
        ops: Operations,
        *,
        now: Callable[[], _dt.datetime] | None = None,
        refresh_ms: int = REFRESH_MS,
        start: str = "reviewing",
        user: User | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("queueOverview")
        self.start = start  # what Enter starts with no queue chosen (enter_starts)
        self._ops = ops
        self._clock = now or (lambda: _dt.datetime.now(UTC))
        self._closed = False
        # A write in this window that moves the figures refreshes them now (on show if hidden).
        self._loads = SingleFlight(self._fetch(load, self._clock, user), ops, parent=self,
                                   reload_on=QUEUE_CHANGES, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(self._failed)
        self._updated_at: _dt.datetime | None = None

        self.model = QueueTableModel(parent=self)

        title = page_title("Queues")
        self.summary = QLabel("")
        self.summary.setObjectName("hint")
        self.legend = QLabel(LEGEND)
        self.legend.setObjectName("legend")
        self.legend.setWordWrap(True)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(_KeepColourDelegate(self.table))
        header = read_only_rows(self.table, "queueTable", row_height=36)
        header.setSectionResizeMode(QUEUE, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(80)
        self.table.doubleClicked.connect(self.choose)
        self.table.installEventFilter(self)
        self.table.setAccessibleName("Queues")

        self.empty = QLabel("No queues yet. A lead creates queues; items arrive by import.")
        self.empty.setObjectName("emptyState")
        self.empty.hide()

        self.updated = QLabel("Loading…")
        self.updated.setObjectName("updated")
        self.keys = QLabel(f"Enter — start {start}  ·  F5 refreshes", objectName="hint",
                           toolTip=f"{STARTS[start]}; ↑ ↓ choose one queue, then Enter opens it")

        head = QHBoxLayout()
        head.addWidget(title)
        head.addSpacing(16)
        head.addWidget(self.summary, 0, Qt.AlignmentFlag.AlignBottom)
        head.addStretch(1)
        foot = QHBoxLayout()
        foot.addWidget(self.updated)
        foot.addStretch(1)
        foot.addWidget(self.keys)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.legend)
        layout.addSpacing(4)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(foot)
        self.setFocusProxy(self.table)

        self.timer = QTimer(self)
        self.timer.setInterval(refresh_ms)
        self.timer.timeout.connect(self.refresh)

        for sequence in {QKeySequence(Qt.Key.Key_F5), QKeySequence(QKeySequence.StandardKey.Refresh)}:
            if sequence.isEmpty():
                continue
            shortcut = QShortcut(sequence, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.refresh)

    # ------------------------------------------------------------------ API
    def refresh(self) -> bool:
        """Start a background refresh; if one is running, one more follows it.

        Returns True if a load was started now."""
        if self._closed:
            return False
        return self._loads.request()

    def is_refreshing(self) -> bool:
        return self._loads.busy

    def selected_queue(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        return self.model.data(index, QueueTableModel.QueueNameRole)

    def select_queue(self, name: str) -> bool:
        return self.select_row(self.model.row_of(name))

    def select_row(self, row: int) -> bool:
        if not 0 <= row < self.model.rowCount():
            return False
        self.table.setCurrentIndex(self.model.index(row, max(self.table.currentIndex().column(), 0)))
        self.table.selectRow(row)
        return True

    def close_page(self) -> None:
        """Stop refreshing and drop rows still on their way (called on sign-out/quit)."""
        if self._closed:
            return
        self._closed = True
        self._loads.close()
        self.timer.stop()

    # ------------------------------------------------------------ internals
    @staticmethod
    def _fetch(load: Callable[[Store], Sequence[QueueHealth]], clock: Callable[[], _dt.datetime], user: User | None
               ) -> Callable[[Store], _Loaded]:
        def work(store: Store) -> _Loaded:  # on the worker; with the person, why some queues do not serve them
            rows = list(load(store))
            return rows, clock(), not_served(store, user, rows) if user is not None else {}

        return work

    def _loaded(self, result: _Loaded) -> None:
        rows, now, notes = result
        chosen = self.selected_queue()  # none at first: Enter starts all the person's queues
        keep = self.model.health(self.table.currentIndex().row()).queue.id if chosen else None  # by id: renames
        had_focus = self.table.hasFocus()
        self.model.set_rows(rows, now, notes)
        if keep is not None:
            self.select_row(next((r for r, health in enumerate(rows) if health.queue.id == keep), -1))
        if had_focus:
            self.table.setFocus()
        self._updated_at = now
        self.updated.setText(f"Updated {now.astimezone():%H:%M}")
        self.updated.setToolTip("Refreshes when queues or items change; F5 refreshes now")
        self._update_summary(rows)
        self.empty.setVisible(not rows)
        self.table.setVisible(bool(rows))
        self.refreshed.emit()

    def _failed(self, exc: BaseException) -> None:
        why = reason(exc)
        if self._updated_at is not None:
            since = f"{self._updated_at.astimezone():%H:%M}"
            self.updated.setText(f"Could not refresh ({why}); showing figures from {since}")
        else:
            self.updated.setText(f"Could not load the queues: {why}")
        self.refresh_failed.emit(why)

    def _update_summary(self, rows: Sequence[QueueHealth]) -> None:
        reports = [h for h in rows if h.queue.kind not in QA_KINDS]  # QA's samples and answers are not reports
        plural = "s" if len(reports) != 1 else ""
        parts = [f"{sum(h.waiting for h in reports):,} waiting in {len(reports)} queue{plural}"]
        samples = sum(h.waiting for h in rows if h.queue.kind == "audit")
        for count, words in ((sum(h.breached for h in reports), "breached"), (sum(h.at_risk for h in reports),
                             "at risk"), (samples, "sample to audit" if samples == 1 else "samples to audit")):
            if count:
                parts.append(f"{count:,} {words}")
        self.summary.setText("  ·  ".join(parts))

    def choose(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        queue = self.model.health(index.row()).queue
        if queue.kind in QA_KINDS:
            self.qa_queue_chosen.emit(queue.name, queue.kind)
        else:
            self.queue_chosen.emit(queue.name)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            return table_key(self, event) or super().eventFilter(watched, event)
        return super().eventFilter(watched, event)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._closed:
            return
        self.refresh()
        self.timer.start()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.timer.stop()
