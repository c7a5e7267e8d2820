"""The dashboard's tables: every figure in words and numbers, and the words the charts share.

The Dashboard page (:mod:`ui.pages.dashboard`) shows three tables, queues,
people and QA auditors (:class:`AuditorTab`, their throughput, time per
audit and overturn rates); each column is one :class:`Column` (title,
tooltip, the text of a cell, its sort key, its colour), so a figure is
described once. The word
helpers (handle time "8.4 s", accuracy "93% (n=40)", severe time against
the budget) are also used by the charts' captions.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QStyleOptionViewItem, QTableView, QVBoxLayout, QWidget

from audit.metrics import Proportion
from audit.metrics.auditors import AuditorWork
from review import dashboard
from review.clock import parse
from review.dashboard import HandleTime, PersonFigures, QueueFigures
from review.wellbeing.durations import format_duration, short_duration
from ui import theme
from ui.pages.queues import human_age, sla_text
from ui.widgets.lists import read_only_rows

__all__ = [
    "AUDITOR_COLUMNS", "PERSON_COLUMNS", "QUEUE_COLUMNS", "AuditorRow", "AuditorTab", "Column", "FigureTableModel",
    "PersonRow", "QueueRow", "figure_table",
    "hour_labels", "severe_ms",
]


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


def severe_ms(person: PersonFigures) -> int:
    return person.exposure.severe_ms if person.exposure else 0


def budget_text(person: PersonFigures) -> str:
    """"1 h 10 of 4 h (29%)": severe time today against the day's budget."""
    used, budget = severe_ms(person), person.severe_budget_ms
    return f"{short_duration(used)} of {format_duration(budget)} ({used / budget * 100:.0f}%)"


def severe_text(person: PersonFigures) -> str:
    """The budget column's words with today's lifts in them ("… (1 lift)"): read without a mouse or a far column."""
    lifts = len(person.exposure.overrides) if person.exposure else 0
    return budget_text(person) + (f" ({lifts} lift{'s' if lifts != 1 else ''})" if lifts else "")


def hour_labels(hours: Sequence[str]) -> list[str]:
    """Bucket starts as the lead's local clock hour ("09"); minutes too where the zone is not whole-hour."""
    local = [parse(h).astimezone() for h in hours]
    return [f"{t:%H}" if t.minute == 0 else f"{t:%H:%M}" for t in local]



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
           lambda r: severe_text(r.person), lambda r: severe_ms(r.person) / r.person.severe_budget_ms, left=True,
           tooltip=lambda r: "Lifted today: " + "; ".join(lift.reason for lift in r.person.exposure.overrides)
           if r.person.exposure and r.person.exposure.overrides else None),
    Column("Breaks today\nprompted · taken", "Break prompts today, and breaks that ran their full length "
           "(time away long enough counts too)", lambda r: _breaks_text(r.person.exposure),
           lambda r: _breaks(r.person.exposure)[0]),
    Column("Budget\nlifts", "Times a lead lifted this person's severe budget today (each with a recorded reason)",
           lambda r: str(len(r.person.exposure.overrides)) if r.person.exposure else "0",
           lambda r: len(r.person.exposure.overrides) if r.person.exposure else 0,
           tooltip=lambda r: "; ".join(lift.reason for lift in r.person.exposure.overrides)
           if r.person.exposure else ""),
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
        # Qt asks for a dozen roles of each cell it measures or paints (14,000 calls to show 205 people): the
        # roles this model has nothing for are turned away first, by plain integers, not enum comparisons.
        role = int(role)
        if role not in _ANSWERED:
            return None
        number = index.row()
        if not 0 <= number < len(self._rows) or not index.isValid():
            return None
        row, column = self._rows[number], self.columns[index.column()]
        if role == _DISPLAY or role == _ACCESSIBLE_TEXT:
            return column.text(row)
        if role == _TOOL_TIP:
            return column.tooltip(row)
        if role == _ALIGNMENT:
            return _alignment(column)
        if role == _FOREGROUND:
            name = column.color(row)
            return theme.color(name) if name else None
        if role == _SORT:
            return column.sort(row)
        return row.key


_DISPLAY, _ACCESSIBLE_TEXT, _TOOL_TIP, _ALIGNMENT, _FOREGROUND = (int(role) for role in (
    Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.ForegroundRole))
_SORT, _KEY = int(FigureTableModel.SortRole), int(FigureTableModel.KeyRole)
_ANSWERED = frozenset({_DISPLAY, _ACCESSIBLE_TEXT, _TOOL_TIP, _ALIGNMENT, _FOREGROUND, _SORT, _KEY})


def _alignment(column: Column) -> Qt.AlignmentFlag:
    side = Qt.AlignmentFlag.AlignLeft if column.left else Qt.AlignmentFlag.AlignRight
    return side | Qt.AlignmentFlag.AlignVCenter


#: Rows whose texts set a figure table's column widths: a site's people and queues, all of them; of the thousands of
#: refused statements, the first (Qt's own measuring stops sooner: ui.widgets.lists.MEASURED_ROWS).
FITTED_ROWS = 500


def fit_columns(view: QTableView, model: FigureTableModel) -> None:
    """Each column as wide as its title and its widest text, measured from the rows' texts.

    Qt's own measuring (``ResizeToContents``) asks the model for a dozen roles of every cell it measures,
    through Python, each time the table is shown or its rows change: 14,000 calls and ~70 ms of the GUI thread
    to show the dashboard's People tab for 205 people (issue 22: ≤ 100 ms a GUI action). One real cell's size
    hint per column gives the delegate's padding; the rest is one text width a cell."""
    rows = model.rows()[:FITTED_ROWS]
    header, metrics, proxy = view.horizontalHeader(), view.fontMetrics(), view.model()
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    for number, column in enumerate(model.columns):
        width = header.sectionSizeHint(number)
        if rows:
            first = proxy.index(0, number)
            padding = (view.itemDelegate().sizeHint(option, first).width()
                       - metrics.horizontalAdvance(str(first.data() or "")))
            width = max(width, padding + max(map(metrics.horizontalAdvance, map(column.text, rows))))
        header.resizeSection(number, width)


def figure_table(model: FigureTableModel, name: str, accessible: str) -> QTableView:
    proxy = QSortFilterProxyModel(model)
    proxy.setSourceModel(model)
    proxy.setSortRole(FigureTableModel.SortRole)
    view = QTableView()
    view.setModel(proxy)
    header = read_only_rows(view, name, row_height=32)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # widths from fit_columns, not Qt's measuring
    model.modelReset.connect(lambda: fit_columns(view, model))
    model.dataChanged.connect(lambda *_: fit_columns(view, model))
    header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the loader's order until a click
    view.setSortingEnabled(True)
    # A click on a header sorts (again: reverses); no arrow, whose reserved room would squeeze the names out.
    header.setSortIndicatorShown(False)
    # The spare width goes to the last column, and a window too narrow for all of them
    # scrolls sideways rather than cutting names short.
    header.setStretchLastSection(True)
    view.setAccessibleName(accessible)
    view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # arrows move along the rows and scroll to far columns
    return view


# ------------------------------------------------------------ QA auditors
@dataclass(frozen=True)
class AuditorRow:
    work: AuditorWork
    days: int  # the period, for the tooltips

    @property
    def key(self) -> str:
        return self.work.auditor


def share_text(p: Proportion) -> str:
    """"22% (2 of 9)"; "—" when there is nothing to share out."""
    return "—" if p.value is None else f"{p.value * 100:.0f}% ({p.k:,} of {p.n:,})"


def _disputes_text(row: AuditorRow) -> str:
    w = row.work
    return f"{w.disputes_opened} · {w.disputes_upheld} · {w.overturned.k}" if w.disputes_opened else "none"


AUDITOR_COLUMNS = (
    Column("Auditor", "Everyone with the auditor role, and anyone who scored audits in the period",
           lambda r: r.work.display_name, lambda r: r.work.display_name.casefold(), left=True),
    Column("Audits", "Audits scored in the period (by when they were scored)", lambda r: f"{r.work.audits:,}",
           lambda r: r.work.audits, tooltip=lambda r: f"{r.work.audits:,} audits scored in the last {r.days} days"),
    Column("Per day", "Audits per day over the period", lambda r: f"{r.work.per_day:.1f}", lambda r: r.work.per_day),
    # No time (imported audits, or opened and scored in the same instant) is "—", never "0.0 min".
    Column("Time per\naudit", "Median time from opening a sample to its score",
           lambda r: f"{r.work.minutes_median:.1f} min" if r.work.minutes_median else "—",
           lambda r: r.work.minutes_median or -1.0,
           tooltip=lambda r: f"Median over {r.work.timed:,} audits opened in Veil (imported ones have no time)"),
    Column("Judged\nwrong", "Share of their audits scored incorrect: how often they overturned the decision",
           lambda r: share_text(r.work.judged_wrong), lambda r: r.work.judged_wrong.value or 0.0),
    Column("Overturned\non dispute", "Of the disputes about their verdicts that a lead resolved, the share the "
           "lead overturned", lambda r: share_text(r.work.overturned), lambda r: r.work.overturned.value or 0.0),
    Column("Disputes\nopened · upheld · overturned", "Disputes about their verdicts; open ones are still "
           "with a lead", _disputes_text, lambda r: r.work.disputes_opened,
           tooltip=lambda r: f"{r.work.disputes_open} still open" if r.work.disputes_open else None),
    Column("Holding", "Open samples assigned to or claimed by them now", lambda r: f"{r.work.holding:,}",
           lambda r: r.work.holding),
)


class AuditorTab(QWidget):
    """The dashboard's "QA auditors" tab: one row per auditor, following the page's figures.

    It reads the figures the page already loaded (``DashboardData.audit.auditors``,
    ``audit.metrics.auditors``) each time the page says it refreshed, so it
    adds no load of its own.
    """

    def __init__(self, page: Any, days: int):
        """*page*: the Dashboard page (its ``refreshed`` signal and ``data()``); *days*: the figures' period."""
        super().__init__(page)
        self._page, self._days = page, days
        self.model = FigureTableModel(AUDITOR_COLUMNS, self)
        self.table = figure_table(self.model, "dashboardAuditors", "QA auditors")
        self.empty = QLabel("Nobody has the auditor role, and nobody scored audits in the period.")
        self.empty.setObjectName("emptyState")
        self.empty.hide()
        note = QLabel(f"Audits scored in the last {days} days  ·  Judged wrong: scored incorrect  ·  "
                      "Overturned: of the disputes a lead resolved, the share overturned")
        note.setObjectName("hint")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(note)
        page.refreshed.connect(self.show_figures)

    def show_figures(self) -> None:
        data = self._page.data()
        if data is None:
            return
        rows = [AuditorRow(work, self._days) for work in data.audit.auditors]
        self.model.set_rows(rows)
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
