"""The lead's dashboard: queues, flow, handle time, accuracy and the team's exposure at a glance.

Two tabs. **Queues**: a backlog chart (waiting items per queue, split into
breached / at risk / on time), received vs decided per hour over the last
24 hours (all queues, or the queue selected in the table), and a table with
every figure in words and numbers (:mod:`ui.pages.dashboard_tables`).
**People**: accuracy by moderator with its Wilson 95 % interval and n,
severe-content time today against the daily budget, and the table
(throughput, handle time, accuracy, exposure).

Where a lead would rather look than read there is a chart; every charted
number is also in a table, so nothing is carried by a picture alone. The
charts are painted with ``QPainter`` (:mod:`ui.widgets.charts`): Qt Essentials has
no QtCharts, and a plotting library would add tens of megabytes to the
bundle for four simple charts.

Nothing slow runs on the GUI thread: the figures (``audit.dashboard.load``,
one lead-service read) come through the operations runner on a reader
connection, and the chart images are drawn with ``ops.run`` on the app's
one pool; the GUI thread only fills tables and paints finished images. The
page refreshes on show, on F5, and whenever a write in this window changed
something it shows (``ops.changed``: items, decisions, queues, audits,
disputes, exposure …); a slow timer (every 5 minutes while visible) only
picks up what *other* Veil processes on the same store changed. It says
when its figures are from ("Updated 09:41"). A resize or a new queue
selection re-renders the charts from the figures already loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTableView, QTabWidget, QVBoxLayout, QWidget

from audit.dashboard import ACCURACY_DAYS, DashboardData
from review.dashboard import PersonFigures, QueueFigures
from review.store import Store, User
from ui import theme
from ui.operations import Operations
from ui.pages.dashboard_automation import AutomationTab
from ui.pages.dashboard_tables import (
    PERSON_COLUMNS,
    QUEUE_COLUMNS,
    AuditorTab,
    FigureTableModel,
    PersonRow,
    QueueRow,
    budget_text,
    figure_table,
    hour_labels,
    severe_ms,
)
from ui.pages.dashboard_targets import TargetsTab
from ui.pages.dashboard_training import TrainingTab
from ui.pages.queues import QA_KINDS, QUEUE_CHANGES
from ui.refresh import SingleFlight, reason
from ui.widgets import charts
from ui.widgets.charts.bars import HBarChart, StackedHBarChart
from ui.widgets.charts.lines import LineChart
from ui.widgets.lists import page_title

__all__ = ["SHOWN_CHANGES", "DashboardPage", "budget_chart", "chart_specs", "render_charts"]

#: Change kinds (``ops.changed``) whose data the dashboard shows: a write of one of them refreshes it.
SHOWN_CHANGES = QUEUE_CHANGES | {"audits", "dispute", "wellbeing", "user"}


# ----------------------------------------------------------------- charts
_FALLBACK_SIZE = (560, 280)  # a chart on a tab not laid out yet


def _on_time(q: QueueFigures) -> int:
    return max(0, q.health.waiting - q.health.breached - q.health.at_risk)


def chart_specs(data: DashboardData, flow_queue: str | None = None) -> dict[str, charts.Painted]:
    """The four charts as descriptions (what they show, their axis titles and units), before any painting."""
    board = data.board
    queues = list(board.queues)
    flow = [q for q in queues if q.queue.name == flow_queue] or queues
    where = flow_queue if flow_queue and len(flow) == 1 else "all queues"
    names = {p.user.name: p.user.display_name for p in board.people}
    graded = sorted(data.audit.by_moderator.items(), key=lambda pair: names.get(pair[0], pair[0]).casefold())
    return {
        "backlog": StackedHBarChart(
            "Waiting by queue", [q.queue.name for q in queues],
            {"Breached": [q.health.breached for q in queues], "At risk": [q.health.at_risk for q in queues],
             "On time": [_on_time(q) for q in queues]},
            {"Breached": "breached", "At risk": "at_risk", "On time": "accent"}, axis="items waiting now",
            counts=True),
        "flow": LineChart(
            f"Flow per hour — {where}", hour_labels(board.hours),
            {"Received": [sum(q.received[h] for q in flow) for h in range(len(board.hours))],
             "Decided": [sum(q.decided[h] for q in flow) for h in range(len(board.hours))]},
            x_title="hour starting (your local time), last 24 hours", y_title="items per hour", counts=True),
        "accuracy": HBarChart(
            f"Accuracy by moderator, last {ACCURACY_DAYS} days (95 % interval)",
            [f"{names.get(name, name)} (n={p.n})" for name, p in graded],
            [p.value * 100 if p.n else None for _, p in graded],
            [(p.ci95[0] * 100, p.ci95[1] * 100) if p.ci95 else None for _, p in graded],
            unit="%", axis="share of audited decisions correct (final verdicts)"),
        "exposure": budget_chart(board.people),
    }


def render_charts(data: DashboardData, sizes: dict[str, tuple[int, int]], ratio: float = 1.0,
                  flow_queue: str | None = None) -> dict[str, QImage]:
    """The four chart images at *sizes* (logical pixels) × *ratio*; safe on a worker thread."""

    def size(name: str) -> tuple[int, int]:
        width, height = sizes.get(name, _FALLBACK_SIZE)
        if width < 120 or height < 80:
            width, height = _FALLBACK_SIZE
        return max(1, width), max(1, height)

    return {name: charts.render(chart, size(name), ratio=ratio)
            for name, chart in chart_specs(data, flow_queue).items()}


def budget_chart(people: Sequence[PersonFigures]) -> StackedHBarChart:
    """Severe time today against each person's own budget (with any lead's lift), most of it used first.

    Each bar is as long as that person's budget and filled by what they used (and any overrun); its words
    say "used of budget (share)", never the budget alone, so five people who used 2, 40 and 0 minutes
    of 240 read as three different days, not five identical 240-minute bars.
    """
    ordered = sorted(people, key=lambda p: (-severe_ms(p) / max(1, p.severe_budget_ms), p.user.display_name))
    used = [severe_ms(p) / 60_000 for p in ordered]
    budget = [p.severe_budget_ms / 60_000 for p in ordered]
    series = {"Used": [min(u, b) for u, b in zip(used, budget)],
              "Left": [max(0.0, b - u) for u, b in zip(used, budget)]}
    if any(u > b for u, b in zip(used, budget)):
        series["Over"] = [max(0.0, u - b) for u, b in zip(used, budget)]
    return StackedHBarChart(
        "Severe time today vs budget", [p.user.display_name for p in ordered], series,
        {"Used": "accent", "Left": theme.COLORS["track"], "Over": "breached"}, unit="min",  # read at each render
        axis="minutes on severe items (bar: the day's budget)",
        value_labels=[budget_text(p) for p in ordered])


class ChartView(QWidget):
    """Paints a finished chart image, scaled to fit until the page renders one at the new size."""

    resized = Signal()

    def __init__(self, description: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dashboardChart")
        self.image: QImage | None = None
        self.setAccessibleName(description)
        self.setMinimumSize(280, 180)

    def set_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def logical_size(self) -> tuple[int, int]:
        return self.width(), self.height()

    def sizeHint(self) -> QSize:
        return QSize(*_FALLBACK_SIZE)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.resized.emit()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.color("base"))
        if self.image is None or self.image.isNull():
            painter.setPen(theme.color("faint"))
            painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter), "Loading…")
            return
        ratio = self.image.devicePixelRatio()
        width, height = self.image.width() / ratio, self.image.height() / ratio
        scale = min(self.width() / width, self.height() / height)
        target = QRectF((self.width() - width * scale) / 2, (self.height() - height * scale) / 2,
                        width * scale, height * scale)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(target, self.image)


# ------------------------------------------------------------------- page
class DashboardPage(QWidget):
    """The "Dashboard" page for leads.

    *load(store)* returns a :class:`~audit.dashboard.DashboardData` (the
    desktop passes ``audit.dashboard.load`` for the signed-in lead); it runs
    through *ops* on a reader connection. The page listens to
    ``ops.changed`` and refreshes when a kind in :data:`SHOWN_CHANGES`
    changed while it is visible (on its next show otherwise).
    """

    refreshed = Signal()  # new figures are in the tables
    charts_rendered = Signal()  # new chart images are on screen
    refresh_failed = Signal(str)

    REFRESH_MS = 5 * 60_000  # only for other processes' changes: this window's come through ops.changed
    RENDER_DELAY_MS = 120  # let a window resize settle before painting charts again

    def __init__(self, load: Callable[[Store], DashboardData], ops: Operations, *, lead: User | None = None,
                 refresh_ms: int = REFRESH_MS, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dashboardPage")
        self._ops = ops
        self._data: DashboardData | None = None
        # A write in this window that changed what the page shows refreshes it now (on show if hidden).
        self._loads = SingleFlight(load, ops, parent=self, reload_on=SHOWN_CHANGES, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(self._failed)
        self._rendering = self._render_again = False
        self._closed = False

        title = page_title("Dashboard")
        self.summary = QLabel("")
        self.summary.setObjectName("dashboardSummary")
        self.summary.setWordWrap(True)  # wraps on a narrow window instead of widening it
        self.updated = QLabel("Loading…")
        self.updated.setObjectName("updated")
        self.updated.setWordWrap(True)
        self.updated.setToolTip("Refreshes when something it shows changes; F5 refreshes now")
        head = QHBoxLayout()
        head.addWidget(title)
        head.addSpacing(16)
        head.addWidget(self.summary, 1, Qt.AlignmentFlag.AlignBottom)
        head.addWidget(self.updated, 0, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignRight)

        self.charts = {
            "backlog": ChartView("Waiting items per queue: breached, at risk, on time"),
            "flow": ChartView("Items received and decided per hour over the last 24 hours"),
            "accuracy": ChartView("Accuracy by moderator with 95 % intervals"),
            "exposure": ChartView("Severe-content time today within each person's daily budget"),
        }
        self.queue_model = FigureTableModel(QUEUE_COLUMNS, self)
        self.people_model = FigureTableModel(PERSON_COLUMNS, self)
        self.queue_table = figure_table(self.queue_model, "dashboardQueues", "Queues")
        self.people_table = figure_table(self.people_model, "dashboardPeople", "People")
        self.queue_table.selectionModel().selectionChanged.connect(lambda *_: self._flow_selection_changed())

        self.tabs = QTabWidget()
        self.tabs.setObjectName("dashboardTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._tab(("backlog", "flow"), self.queue_table,
                                   "Select a queue to see its flow  ·  Esc shows all queues"), "Queues")
        self.tabs.addTab(self._tab(("accuracy", "exposure"), self.people_table,
                                   "Accuracy counts final verdicts (after disputes)  ·  "
                                   "Exposure and throughput days are UTC days"), "People")
        self.auditors_tab = AuditorTab(self, ACCURACY_DAYS)  # QA auditors' work, from the figures this page loads
        self.tabs.addTab(self.auditors_tab, "QA auditors")
        if lead is not None:  # targets and cost per unit (ui.pages.dashboard_targets), read for this lead
            self.targets_tab = TargetsTab(lead, ops, self)
            self.tabs.addTab(self.targets_tab, "Targets")
            self.tabs.addTab(TrainingTab(lead, ops, self), "Training")  # ui.pages.dashboard_training (issue 17)
            self.automation_tab = AutomationTab(lead, ops, self)  # ui.pages.dashboard_automation (issue 20)
            self.tabs.addTab(self.automation_tab, "Automation")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.tabs, 1)
        self.setFocusProxy(self.queue_table)

        self.timer = QTimer(self)
        self.timer.setInterval(refresh_ms)
        self.timer.timeout.connect(self.refresh)
        self.render_timer = QTimer(self)
        self.render_timer.setSingleShot(True)
        self.render_timer.setInterval(self.RENDER_DELAY_MS)
        self.render_timer.timeout.connect(self.render)
        for view in self.charts.values():
            view.resized.connect(self._chart_resized)

        for sequence in {QKeySequence(Qt.Key.Key_F5), QKeySequence(QKeySequence.StandardKey.Refresh)}:
            if not sequence.isEmpty():
                shortcut = QShortcut(sequence, self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(self.refresh)
        self.queue_table.installEventFilter(self)

    def _tab(self, names: tuple[str, str], table: QTableView, hint: str) -> QWidget:
        page = QWidget()
        row = QHBoxLayout()
        row.setSpacing(12)
        for name in names:
            row.addWidget(self.charts[name], 1)
        note = QLabel(hint)
        note.setObjectName("hint")
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 12, 0, 0)
        column.setSpacing(10)
        column.addLayout(row, 1)
        column.addWidget(table, 1)
        column.addWidget(note)
        return page

    # ------------------------------------------------------------------ API
    def data(self) -> DashboardData | None:
        return self._data

    def refresh(self) -> bool:
        """Load new figures in the background; one more follows if one is running. True if started now."""
        if self._closed:
            return False
        return self._loads.request()

    def is_refreshing(self) -> bool:
        return self._loads.busy

    def render(self) -> bool:
        """Paint the charts for the figures in hand, at the views' sizes, in the background."""
        if self._closed or self._data is None:
            return False
        if self._rendering:
            self._render_again = True
            return False
        self._rendering = True
        sizes = {name: view.logical_size() for name, view in self.charts.items()}
        ratio = max(1.0, self.devicePixelRatioF())
        self._ops.run(render_charts, self._data, sizes, ratio, self.flow_queue(),
                      on_done=self._rendered, on_error=self._render_failed, owner=self)
        return True

    def flow_queue(self) -> str | None:
        """The queue whose flow the chart shows (the table's selection), or None for all."""
        rows = self.queue_table.selectionModel().selectedRows()
        return rows[0].data(FigureTableModel.KeyRole) if rows else None

    def select_queue(self, name: str | None) -> bool:
        if name is None:
            self.queue_table.clearSelection()
            return True
        proxy = self.queue_table.model()
        for row in range(proxy.rowCount()):
            if proxy.index(row, 0).data(FigureTableModel.KeyRole) == name:
                self.queue_table.selectRow(row)
                return True
        return False

    def close_page(self) -> None:
        """Stop refreshing and drop figures still on their way (sign-out, quit)."""
        if self._closed:
            return
        self._closed = True
        self._loads.close()
        self.timer.stop()
        self.render_timer.stop()

    # ------------------------------------------------------------ internals
    def _loaded(self, data: DashboardData) -> None:
        keep = self.flow_queue()
        self._data = data
        board, audit = data.board, data.audit
        at = data.at
        self.queue_model.set_rows([
            QueueRow(q, audit.by_queue.get(q.queue.name), audit.open_disputes.get(q.queue.name, 0), at, audit.since)
            for q in board.queues
        ])
        self.people_model.set_rows([PersonRow(p, audit.by_moderator.get(p.user.name), audit.since)
                                    for p in board.people])
        if keep is not None and self.flow_queue() != keep:
            self.select_queue(keep)
        self.summary.setText(self._summary(data))
        self.updated.setText(f"Updated {at.astimezone():%H:%M}")
        self.refreshed.emit()
        self.render()

    def _failed(self, exc: BaseException) -> None:
        why = reason(exc)
        if self._data is not None:
            self.updated.setText(f"Could not refresh ({why}); figures from {self._data.at.astimezone():%H:%M}")
        else:
            self.updated.setText(f"Could not load the dashboard: {why}")
        self.refresh_failed.emit(why)

    def _rendered(self, images: dict[str, QImage]) -> None:
        self._rendering = False
        for name, image in images.items():
            self.charts[name].set_image(image)
        self.charts_rendered.emit()
        if self._render_again:
            self._render_again = False
            self.render()

    def _render_failed(self, exc: BaseException) -> None:
        self._rendering = self._render_again = False
        self.updated.setText(f"{self.updated.text()}  ·  charts could not be drawn ({exc})")

    def _chart_resized(self) -> None:
        if self._data is not None and not self._closed and self.isVisible():
            self.render_timer.start()

    def _flow_selection_changed(self) -> None:
        if self._data is not None:
            self.render()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Esc in the queue table clears the selection: the flow chart shows all queues again."""
        if (watched is self.queue_table and event.type() == QEvent.Type.KeyPress
                and event.key() == Qt.Key.Key_Escape and self.queue_table.selectionModel().hasSelection()):
            self.queue_table.clearSelection()
            return True
        return super().eventFilter(watched, event)

    @staticmethod
    def _summary(data: DashboardData) -> str:
        queues = [q for q in data.board.queues if q.queue.kind not in QA_KINDS]  # samples are not reports
        waiting = sum(q.health.waiting for q in queues)
        parts = [f"{waiting:,} waiting"]
        breached = sum(q.health.breached for q in queues)
        at_risk = sum(q.health.at_risk for q in queues)
        if breached:
            parts.append(f"{breached:,} breached")
        if at_risk:
            parts.append(f"{at_risk:,} at risk")
        escalations, disputes = data.board.open_escalations, data.audit.open_disputes_total
        parts.append(f"{escalations:,} open escalation{'s' if escalations != 1 else ''}")
        parts.append(f"{disputes:,} open dispute{'s' if disputes != 1 else ''}")
        return "  ·  ".join(parts)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._closed:
            return
        self.refresh()
        self.timer.start()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.timer.stop()
        self.render_timer.stop()
