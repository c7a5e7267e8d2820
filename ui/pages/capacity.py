"""The lead's "Capacity" page: will each queue meet its SLA, how many people it needs, and what would change it.

A table of every queue's forecast (``review.planning.forecast``: flow,
handle time, when the backlog clears, the first breach, people needed and
to roster), one sentence on the most urgent queue, and a chart of the
selected queue's backlog over the next 24 hours at the current pace
against its SLA line (:mod:`ui.pages.capacity_chart`). The what-if panel
adds people to every queue, gives the selected queue another SLA or scales
its inflow; the forecast is recomputed through the operations runner on a
reader connection (never on the GUI thread), and the table and chart show
the what-if next to today's pace. Nothing here writes: a what-if is a
question, not a plan. F5 reloads; a write in this window that changes
queues or decisions reloads too.
"""

from __future__ import annotations

import datetime as _dt

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from review.planning.forecast import QueueForecast, WhatIf, forecast
from review.store import Store, User
from ui.operations import Operations
from ui.pages.capacity_chart import COLUMNS, ForecastRow, most_urgent, render_chart, summary
from ui.pages.dashboard import ChartView
from ui.pages.dashboard_tables import FigureTableModel, figure_table
from ui.pages.queues import QUEUE_CHANGES
from ui.refresh import SingleFlight, reason
from ui.widgets.lists import page_title

__all__ = ["CapacityPage", "load"]

Loaded = tuple[_dt.datetime, list[QueueForecast], list[QueueForecast] | None]


def load(reader: Store, lead: User, what_if: WhatIf) -> Loaded:
    """Today's forecast and, when *what_if* changes anything, the what-if's, at one moment."""
    now = reader.clock.now()
    tried = forecast(reader, lead, now=now, what_if=what_if) if what_if != WhatIf() else None
    return now, forecast(reader, lead, now=now), tried


class CapacityPage(QWidget):
    """The "Capacity" page for leads; every figure comes through *ops* for *lead*."""

    refreshed = Signal()  # new forecasts are in the table
    chart_rendered = Signal()
    RECOMPUTE_MS = 300  # a what-if being typed recomputes once the typing pauses

    def __init__(self, lead: User, ops: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("capacityPage")
        self._lead, self._ops = lead, ops
        self._what_if = WhatIf()
        self._sla: dict[int, int] = {}
        self._inflow: dict[int, float] = {}
        self._rows: dict[str, ForecastRow] = {}
        self._closed = self._rendering = False
        self._loads = SingleFlight(lambda reader: load(reader, lead, self._what_if), ops, parent=self,
                                   reload_on=QUEUE_CHANGES, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(self._failed)

        self.summary = QLabel("")
        self.summary.setObjectName("capacitySummary")
        self.summary.setWordWrap(True)
        self.updated = QLabel("Loading…")
        self.updated.setObjectName("updated")
        self.updated.setToolTip("F5 recomputes now")
        head = QHBoxLayout()
        head.addWidget(page_title("Capacity"))
        head.addSpacing(16)
        head.addWidget(self.summary, 1, Qt.AlignmentFlag.AlignBottom)
        head.addWidget(self.updated, 0, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignRight)

        self.chart = ChartView("The selected queue's backlog over the next 24 hours, with its SLA line")
        self.model = FigureTableModel(COLUMNS, self)
        self.table = figure_table(self.model, "capacityQueues", "Queues' forecasts")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())

        row = QHBoxLayout()
        row.setSpacing(12)
        row.addWidget(self.chart, 1)
        row.addWidget(self._what_if_panel())
        note = QLabel("Today's pace: the last 24 hours' flow · Needed: people working at once · To roster: after "
                      "shrinkage · Method: docs/operations.md")
        note.setObjectName("hint")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addLayout(row, 1)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        self.setFocusProxy(self.table)

        self.recompute_timer = QTimer(self, singleShot=True, interval=self.RECOMPUTE_MS)
        self.recompute_timer.timeout.connect(self.refresh)
        self.render_timer = QTimer(self, singleShot=True, interval=120)
        self.render_timer.timeout.connect(self.render)
        self.chart.resized.connect(self.render_timer.start)
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_F5), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.refresh)

    def _what_if_panel(self) -> QGroupBox:
        box = QGroupBox("What if…")
        box.setObjectName("whatIf")
        form = QFormLayout(box)
        self.extra_people = QSpinBox(minimum=-50, maximum=500, suffix=" people")
        self.extra_people.setAccessibleName("People added to every queue")
        self.extra_people.setToolTip("Each adds what one person decides in a working hour, after shrinkage; "
                                     "a negative number is people leaving")
        self.queue_label = QLabel("—")
        self.sla_hours = QDoubleSpinBox(minimum=0.01, maximum=24 * 60, decimals=2, suffix=" h")
        self.sla_hours.setAccessibleName("SLA to try for the selected queue, hours")
        self.inflow_factor = QDoubleSpinBox(minimum=0.0, maximum=20.0, decimals=2, singleStep=0.1, prefix="× ")
        self.inflow_factor.setAccessibleName("Inflow factor for the selected queue")
        self.reset = QPushButton("&Reset what-if")
        self.reset.clicked.connect(self.reset_what_if)
        for label, field in (("&Add people", self.extra_people), ("Queue", self.queue_label),
                             ("&SLA", self.sla_hours), ("&Inflow", self.inflow_factor)):
            caption = QLabel(label)
            caption.setBuddy(field)
            form.addRow(caption, field)
        form.addRow(self.reset)
        self.extra_people.valueChanged.connect(
            lambda n: self.extra_people.setSuffix(" person" if abs(n) == 1 else " people"))
        self.extra_people.valueChanged.connect(self._what_if_changed)
        self.sla_hours.valueChanged.connect(self._queue_what_if_changed)
        self.inflow_factor.valueChanged.connect(self._queue_what_if_changed)
        box.setMaximumWidth(250)
        return box

    # ------------------------------------------------------------------ API
    def what_if(self) -> WhatIf:
        return self._what_if

    def rows(self) -> list[ForecastRow]:
        return self.model.rows()

    def selected(self) -> ForecastRow | None:
        picked = self.table.selectionModel().selectedRows()
        return self._rows.get(picked[0].data(FigureTableModel.KeyRole)) if picked else None

    def refresh(self) -> bool:
        """Recompute the forecasts (with the what-if) in the background; True if started now."""
        return not self._closed and self._loads.request()

    def select_queue(self, name: str) -> None:
        proxy = self.table.model()
        for r in range(proxy.rowCount()):
            if proxy.index(r, 0).data(FigureTableModel.KeyRole) == name:
                self.table.selectRow(r)
                return

    def reset_what_if(self) -> None:
        self._sla.clear()
        self._inflow.clear()
        for spin in (self.extra_people, self.sla_hours, self.inflow_factor):
            spin.blockSignals(True)
        self.extra_people.setValue(0)
        self._fill_queue_inputs()
        for spin in (self.extra_people, self.sla_hours, self.inflow_factor):
            spin.blockSignals(False)
        self._what_if_changed()

    def render(self) -> bool:
        """Paint the selected queue's chart at the view's size, on the pool."""
        row = self.selected()
        if self._closed or row is None:
            return False
        if self._rendering:
            self.render_timer.start()
            return False
        self._rendering = True
        self._ops.run(render_chart, row, self.chart.logical_size(), max(1.0, self.devicePixelRatioF()),
                      on_done=self._rendered, on_error=self._render_failed, owner=self)
        return True

    def close_page(self) -> None:
        self._closed = True
        self._loads.close()
        self.recompute_timer.stop()
        self.render_timer.stop()

    def sizeHint(self) -> QSize:
        return QSize(1100, 640)

    # ------------------------------------------------------------ internals
    def _what_if_changed(self) -> None:
        self._what_if = WhatIf(self.extra_people.value(), dict(self._sla) or None, dict(self._inflow) or None)
        self.recompute_timer.start()

    def _queue_what_if_changed(self) -> None:
        row = self.selected()
        if row is None:
            return
        queue_id, sla = row.now.queue_id, round(self.sla_hours.value() * 3600)
        if sla == row.now.sla_seconds:
            self._sla.pop(queue_id, None)
        else:
            self._sla[queue_id] = sla
        if self.inflow_factor.value() == 1.0:
            self._inflow.pop(queue_id, None)
        else:
            self._inflow[queue_id] = self.inflow_factor.value()
        self._what_if_changed()

    def _fill_queue_inputs(self) -> None:
        row = self.selected()
        for spin in (self.sla_hours, self.inflow_factor):
            spin.blockSignals(True)
            spin.setEnabled(row is not None)
        if row is not None:
            self.queue_label.setText(row.key)
            self.sla_hours.setValue(self._sla.get(row.now.queue_id, row.now.sla_seconds) / 3600)
            self.inflow_factor.setValue(self._inflow.get(row.now.queue_id, 1.0))
        for spin in (self.sla_hours, self.inflow_factor):
            spin.blockSignals(False)

    def _selection_changed(self) -> None:
        self._fill_queue_inputs()
        self.render_timer.start()

    def _loaded(self, result: Loaded) -> None:
        at, now, tried = result
        by_id = {f.queue_id: f for f in tried or []}
        keep = self.selected()
        rows = [ForecastRow(f, by_id.get(f.queue_id), at) for f in now]
        self._rows = {r.key: r for r in rows}
        self.model.set_rows(rows)
        self.summary.setText(summary(rows))
        self.updated.setText(f"Forecast at {at.astimezone():%H:%M}" + (" · what-if applied" if tried else ""))
        urgent = most_urgent(rows)
        pick = keep.key if keep is not None and keep.key in self._rows else urgent.key if urgent else None
        if pick is not None and self.selected() is None:
            self.select_queue(pick)  # the queue in hand, else the most urgent one
        self._fill_queue_inputs()
        self.render()
        self.refreshed.emit()

    def _failed(self, exc: BaseException) -> None:
        self.updated.setText(f"Could not compute the forecast: {reason(exc)}")

    def _rendered(self, image: QImage) -> None:
        self._rendering = False
        self.chart.set_image(image)
        self.chart_rendered.emit()

    def _render_failed(self, exc: BaseException) -> None:
        self._rendering = False
        self.updated.setText(f"Could not draw the chart: {reason(exc)}")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._closed:
            self.refresh()
