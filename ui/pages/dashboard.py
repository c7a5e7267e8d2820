"""The lead's dashboard: queues, flow, handle time, accuracy and the team's exposure at a glance.

Two tabs. **Queues**: a backlog chart (waiting items per queue, split into
breached / at risk / on time), received vs decided per hour over the last
24 hours (all queues, or the queue selected in the table), and a table with
every figure in words and numbers. **People**: accuracy by moderator with
its Wilson 95 % interval and n, severe-content time today against the daily
budget, and the table (throughput, handle time, accuracy, exposure).

Where a lead would rather look than read there is a chart; every charted
number is also in a table, so nothing is carried by a picture alone. The
charts are painted with ``QPainter`` (:mod:`ui.widgets.charts`): Qt Essentials has
no QtCharts, and a plotting library would add tens of megabytes to the
bundle for four simple charts.

Nothing slow runs on the GUI thread: :func:`load_dashboard` (the figures,
on the worker's own connection — the desktop layer wraps it) and the chart
images are both made on the page's :class:`~ui.tasks.TaskRunner`; the GUI
thread only fills tables and paints finished images. The page refreshes on
show, every 60 seconds while visible, and on F5, and says when its figures
are from ("Updated 09:41"). A resize or a new queue selection re-renders
the charts from the figures already loaded.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QImage, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from audit import dashboard as audit_dashboard
from audit.metrics import Proportion
from review import dashboard
from review.clock import parse
from review.dashboard import Dashboard, HandleTime, PersonFigures, QueueFigures
from review.store import Store, User
from review.wellbeing import format_duration
from ui import theme
from ui.widgets import charts
from ui.pages.queues import human_age, sla_text
from ui.refresh import SingleFlight, reason
from ui.tasks import TaskRunner

__all__ = ["DashboardData", "DashboardPage", "load_dashboard", "render_charts"]


# ------------------------------------------------------------------- data
@dataclass(frozen=True)
class DashboardData:
    board: Dashboard
    audit: audit_dashboard.AuditFigures

    @property
    def at(self) -> _dt.datetime:
        return parse(self.board.at)


def load_dashboard(store: Store, lead: User | str) -> DashboardData:
    """Every figure of the page, for *lead* (PermissionError for anyone else); run it on a worker."""
    return DashboardData(dashboard.compute(store, lead), audit_dashboard.figures(store, lead))


# ------------------------------------------------------------------ words
def seconds_text(ms: float | None) -> str:
    """A handle time: "8.4 s", "42 s", "1 min 05 s"; "—" when unknown."""
    if ms is None:
        return "—"
    seconds = ms / 1000
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def handle_text(handle: HandleTime) -> str:
    return "—" if not handle.n else f"{seconds_text(handle.median_ms)} · {seconds_text(handle.p90_ms)}"


def handle_tip(handle: HandleTime) -> str:
    if not handle.n:
        return f"No decisions with a measured handle time in the last {dashboard.WEEK_DAYS} days"
    return (f"Median {seconds_text(handle.median_ms)}, 90th percentile {seconds_text(handle.p90_ms)}; "
            f"n = {handle.n:,} decisions in the last {dashboard.WEEK_DAYS} days")


def accuracy_text(p: Proportion | None) -> str:
    """"93% (n=40)" (the tooltip has the interval); "no audits" when nothing was audited."""
    if p is None or not p.n:
        return "no audits"
    return f"{p.value * 100:.0f}% (n={p.n:,})"


def accuracy_tip(p: Proportion | None, since: str) -> str:
    day = parse(since).astimezone().strftime("%Y-%m-%d")
    if p is None or not p.n:
        return f"No audited decisions since {day}"
    low, high = p.ci95
    return (f"{p.k:,} of {p.n:,} audited decisions correct (final verdicts, after disputes) since {day}; "
            f"Wilson 95 % interval {low * 100:.1f}–{high * 100:.1f}%")


def short_duration(ms: int) -> str:
    """Exposure: seconds under a minute (a reveal is often short), else the meter's wording."""
    return f"{ms // 1000} s" if ms < 60_000 else format_duration(ms)


def severe_ms(person: PersonFigures) -> int:
    return person.exposure.severe_ms if person.exposure else 0


def budget_text(person: PersonFigures) -> str:
    """"1 h 10 of 4 h (29%)": severe time today against the day's budget."""
    used, budget = severe_ms(person), person.severe_budget_ms
    return f"{short_duration(used)} of {format_duration(budget)} ({used / budget * 100:.0f}%)"


def hour_labels(hours: Sequence[str]) -> list[str]:
    """Bucket starts as the lead's local clock hour ("09"); minutes too where the zone is not whole-hour."""
    local = [parse(h).astimezone() for h in hours]
    return [f"{t:%H}" if t.minute == 0 else f"{t:%H:%M}" for t in local]


# ----------------------------------------------------------------- charts
_FALLBACK_SIZE = (560, 280)  # a chart on a tab not laid out yet


def _on_time(q: QueueFigures) -> int:
    return max(0, q.health.waiting - q.health.breached - q.health.at_risk)


def render_charts(data: DashboardData, sizes: dict[str, tuple[int, int]], ratio: float = 1.0,
                  flow_queue: str | None = None) -> dict[str, QImage]:
    """The four chart images at *sizes* (logical pixels) × *ratio*; safe on a worker thread."""
    board = data.board

    def size(name: str) -> tuple[int, int]:
        width, height = sizes.get(name, _FALLBACK_SIZE)
        if width < 120 or height < 80:
            width, height = _FALLBACK_SIZE
        return max(1, round(width * ratio)), max(1, round(height * ratio))

    queues = list(board.queues)
    flow = [q for q in queues if q.queue.name == flow_queue] or queues
    where = flow_queue if flow_queue and len(flow) == 1 else "all queues"
    names = {p.user.name: p.user.display_name for p in board.people}
    graded = sorted(data.audit.by_moderator.items(), key=lambda pair: names.get(pair[0], pair[0]).casefold())
    images = {
        "backlog": charts.stacked_hbar_chart(
            "Waiting by queue", [q.queue.name for q in queues],
            {"Breached": [q.health.breached for q in queues], "At risk": [q.health.at_risk for q in queues],
             "On time": [_on_time(q) for q in queues]},
            colors={"Breached": "breached", "At risk": "at_risk", "On time": "accent"}, size=size("backlog")),
        "flow": charts.line_chart(
            f"Flow per hour — {where}", hour_labels(board.hours),
            {"Received": [sum(q.received[h] for q in flow) for h in range(len(board.hours))],
             "Decided": [sum(q.decided[h] for q in flow) for h in range(len(board.hours))]},
            size=size("flow")),
        "accuracy": charts.hbar_chart(
            f"Accuracy by moderator, last {audit_dashboard.ACCURACY_DAYS} days (95 % interval)",
            [f"{names.get(name, name)} (n={p.n})" for name, p in graded],
            [p.value * 100 if p.n else None for _, p in graded],
            intervals=[(p.ci95[0] * 100, p.ci95[1] * 100) if p.ci95 else None for _, p in graded],
            unit="%", size=size("accuracy")),
        "exposure": _budget_chart(board.people, size("exposure")),
    }
    for image in images.values():
        image.setDevicePixelRatio(ratio)
    return images


def _budget_chart(people: Sequence[PersonFigures], size: tuple[int, int]) -> QImage:
    """One bar per person as long as their severe budget, filled by today's use (and any overrun)."""
    used = [severe_ms(p) / 60_000 for p in people]
    budget = [p.severe_budget_ms / 60_000 for p in people]
    series = {"Used": [min(u, b) for u, b in zip(used, budget)],
              "Left": [max(0.0, b - u) for u, b in zip(used, budget)]}
    if any(u > b for u, b in zip(used, budget)):
        series["Over"] = [max(0.0, u - b) for u, b in zip(used, budget)]
    return charts.stacked_hbar_chart(
        "Severe content today within the daily budget", [p.user.display_name for p in people], series,
        colors={"Used": "accent", "Left": "#4a4f56", "Over": "breached"}, unit="min", size=size)


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


# ----------------------------------------------------------------- tables
@dataclass(frozen=True)
class Column:
    title: str
    tip: str
    text: Callable[[Any], str]
    sort: Callable[[Any], Any]
    tooltip: Callable[[Any], str | None] = lambda row: None
    color: Callable[[Any], str | None] = lambda row: None
    left: bool = False


@dataclass(frozen=True)
class QueueRow:
    figures: QueueFigures
    accuracy: Proportion | None
    disputes: int
    at: _dt.datetime
    since: str

    @property
    def key(self) -> str:
        return self.figures.queue.name

    def oldest_s(self) -> float:
        oldest = self.figures.health.oldest_received_at
        return max(0.0, (self.at - parse(oldest)).total_seconds()) if oldest else 0.0


@dataclass(frozen=True)
class PersonRow:
    person: PersonFigures
    accuracy: Proportion | None
    since: str

    @property
    def key(self) -> str:
        return self.person.user.name


def _sla_color(row: QueueRow) -> str | None:
    health = row.figures.health
    return "breached" if health.breached else "at_risk" if health.at_risk else None


def _accuracy_sort(p: Proportion | None) -> float:
    return p.value if p is not None and p.n else -1.0


QUEUE_COLUMNS = (
    Column("Queue", "The queue's name (hover for its description)", lambda r: r.key, lambda r: r.key.casefold(),
           tooltip=lambda r: f"{r.figures.queue.kind.capitalize()} queue. {r.figures.queue.description}".strip(),
           left=True),
    Column("Waiting", "Items nobody has decided yet", lambda r: f"{r.figures.health.waiting:,}",
           lambda r: r.figures.health.waiting),
    Column("Oldest", "How long the oldest waiting item has waited",
           lambda r: human_age(r.oldest_s()) if r.figures.health.waiting else "—", QueueRow.oldest_s),
    Column("SLA", "Breached: past due · At risk: due within the last quarter of the SLA",
           lambda r: sla_text(r.figures.health), lambda r: (r.figures.health.breached, r.figures.health.at_risk),
           color=_sla_color, left=True),
    Column("24 h\nin · out", "Items received · decisions made (net of undo) in the last 24 hours; "
           "an escalated item counts as received in its escalation queue",
           lambda r: f"{sum(r.figures.received):,} · {sum(r.figures.decided):,}",
           lambda r: sum(r.figures.received) - sum(r.figures.decided)),
    Column("Handle time\nmedian · p90", f"Handle time over the last {dashboard.WEEK_DAYS} days",
           lambda r: handle_text(r.figures.handle), lambda r: r.figures.handle.median_ms or -1.0,
           tooltip=lambda r: handle_tip(r.figures.handle)),
    Column("Accuracy", "Share of audited decisions judged correct, with n",
           lambda r: accuracy_text(r.accuracy), lambda r: _accuracy_sort(r.accuracy),
           tooltip=lambda r: accuracy_tip(r.accuracy, r.since)),
    Column("Disputes", "Open disputes about audits of this queue's decisions, for a lead to resolve",
           lambda r: f"{r.disputes:,}", lambda r: r.disputes),
)


def _seen(row: PersonRow, what: Callable[[Any], int]) -> int:
    return what(row.person.exposure) if row.person.exposure else 0


def _on_screen(e) -> int:
    return e.blurred_ms + e.revealed_ms + e.region_ms


def _revealed(e) -> int:
    return e.revealed_ms + e.region_ms


PERSON_COLUMNS = (
    Column("Person", "Everyone who reviews, or decided in the last 7 days", lambda r: r.person.user.display_name,
           lambda r: r.person.user.display_name.casefold(), tooltip=lambda r: ", ".join(r.person.user.roles),
           left=True),
    Column("Today", "Decisions today (UTC day), net of undo", lambda r: f"{r.person.decided_today:,}",
           lambda r: r.person.decided_today),
    Column("Last\n7 days", "Decisions in the last 7 days, net of undo", lambda r: f"{r.person.decided_week:,}",
           lambda r: r.person.decided_week),
    Column("Handle time\nmedian · p90", f"Handle time over the last {dashboard.WEEK_DAYS} days",
           lambda r: handle_text(r.person.handle), lambda r: r.person.handle.median_ms or -1.0,
           tooltip=lambda r: handle_tip(r.person.handle)),
    Column("Accuracy", "Share of their audited decisions judged correct, with n",
           lambda r: accuracy_text(r.accuracy), lambda r: _accuracy_sort(r.accuracy),
           tooltip=lambda r: accuracy_tip(r.accuracy, r.since)),
    Column("On screen\ntoday", "Time items were on their screen today, blurred or revealed",
           lambda r: short_duration(_seen(r, _on_screen)), lambda r: _seen(r, _on_screen)),
    Column("Revealed\ntoday", "Time they chose to unblur (whole item or a region) today",
           lambda r: short_duration(_seen(r, _revealed)), lambda r: _seen(r, _revealed)),
    Column("Severe time\nvs budget", "Time on severe items today against the daily budget (including any lift)",
           lambda r: budget_text(r.person), lambda r: severe_ms(r.person) / r.person.severe_budget_ms, left=True),
    Column("Breaks today\nprompted · taken", "Break prompts today, and breaks that ran their full length "
           "(time away long enough counts too)", lambda r: _breaks_text(r.person.exposure),
           lambda r: _breaks(r.person.exposure)[0]),
    Column("Budget\nlifts", "Times a lead lifted this person's severe budget today (each with a recorded reason)",
           lambda r: str(len(r.person.exposure.overrides)) if r.person.exposure else "0",
           lambda r: len(r.person.exposure.overrides) if r.person.exposure else 0,
           tooltip=lambda r: "; ".join(lift.reason for lift in r.person.exposure.overrides) if r.person.exposure else ""),
)


def _breaks(exposure) -> tuple[int, int]:
    if exposure is None:
        return 0, 0
    return exposure.breaks_prompted, exposure.breaks_taken + exposure.breaks_natural


def _breaks_text(exposure) -> str:
    prompted, taken = _breaks(exposure)
    return f"{prompted} · {taken}"


class FigureTableModel(QAbstractTableModel):
    """Read-only rows under a fixed set of :class:`Column` definitions."""

    SortRole = Qt.ItemDataRole.UserRole + 1
    KeyRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, columns: Sequence[Column], parent: QObject | None = None):
        super().__init__(parent)
        self.columns = tuple(columns)
        self._rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        """Same keys in the same order: updated in place (selection stays); otherwise a reset."""
        rows = list(rows)
        if [r.key for r in rows] == [r.key for r in self._rows]:
            self._rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(self.columns) - 1))
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rows(self) -> list[Any]:
        return list(self._rows)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tip
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(column)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row, column = self._rows[index.row()], self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(column)
        if role == Qt.ItemDataRole.ForegroundRole:
            name = column.color(row)
            return theme.color(name) if name else None
        if role == self.SortRole:
            return column.sort(row)
        if role == self.KeyRole:
            return row.key
        return None


def _alignment(column: Column) -> Qt.AlignmentFlag:
    side = Qt.AlignmentFlag.AlignLeft if column.left else Qt.AlignmentFlag.AlignRight
    return side | Qt.AlignmentFlag.AlignVCenter


def _table(model: FigureTableModel, name: str, accessible: str) -> QTableView:
    proxy = QSortFilterProxyModel(model)
    proxy.setSourceModel(model)
    proxy.setSortRole(FigureTableModel.SortRole)
    view = QTableView()
    view.setObjectName(name)
    view.setModel(proxy)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the loader's order until a click
    view.setSortingEnabled(True)
    # A click on a header sorts (again: reverses); no arrow, whose reserved room would squeeze the names out.
    view.horizontalHeader().setSortIndicatorShown(False)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(32)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    # Every column as wide as its contents, names included; the spare width goes to the last column,
    # and a window too narrow for all of them scrolls sideways rather than cutting names short.
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    view.setAccessibleName(accessible)
    return view


# ------------------------------------------------------------------- page
class DashboardPage(QWidget):
    """The "Dashboard" page for leads.

    *load* returns a :class:`DashboardData`; it runs on a worker thread, so
    it must open its own connection (the desktop layer wraps
    :func:`load_dashboard` with ``Store.second_connection()``). A *runner*
    may be shared; by default the page owns one and closes it in
    :meth:`close_page`.
    """

    refreshed = Signal()  # new figures are in the tables
    charts_rendered = Signal()  # new chart images are on screen
    refresh_failed = Signal(str)

    REFRESH_MS = 60_000
    RENDER_DELAY_MS = 120  # let a window resize settle before painting charts again

    def __init__(self, load: Callable[[], DashboardData], *, runner: TaskRunner | None = None,
                 refresh_ms: int = REFRESH_MS, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dashboardPage")
        self._load = load
        self._own_runner = runner is None
        self._runner = runner or TaskRunner(self, max_threads=1, name="dashboard")
        self._data: DashboardData | None = None
        self._loads = SingleFlight(load, self._runner, parent=self)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(self._failed)
        self._rendering = self._render_again = False
        self._closed = False

        title = QLabel("Dashboard")
        title.setObjectName("pageTitle")
        self.summary = QLabel("")
        self.summary.setObjectName("dashboardSummary")
        self.summary.setWordWrap(True)  # wraps on a narrow window instead of widening it
        self.updated = QLabel("Loading…")
        self.updated.setObjectName("updated")
        self.updated.setWordWrap(True)
        self.updated.setToolTip("Refreshes every minute while this page is open; F5 refreshes now")
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
        self.queue_table = _table(self.queue_model, "dashboardQueues", "Queues")
        self.people_table = _table(self.people_model, "dashboardPeople", "People")
        self.queue_table.selectionModel().selectionChanged.connect(lambda *_: self._flow_selection_changed())

        self.tabs = QTabWidget()
        self.tabs.setObjectName("dashboardTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._tab(("backlog", "flow"), self.queue_table,
                                   "Select a queue to see its flow  ·  Esc shows all queues"), "Queues")
        self.tabs.addTab(self._tab(("accuracy", "exposure"), self.people_table,
                                   "Accuracy counts final verdicts (after disputes)  ·  "
                                   "Exposure and throughput days are UTC days"), "People")

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
        self._runner.submit(render_charts, self._data, sizes, ratio, self.flow_queue(),
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
        """Stop refreshing and the background runner (sign-out, quit)."""
        if self._closed:
            return
        self._closed = True
        self._loads.close()
        self.timer.stop()
        self.render_timer.stop()
        if self._own_runner:
            self._runner.close()

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
        queues = data.board.queues
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
