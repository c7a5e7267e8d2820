"""The lead's "Roster" page: who works when on which queues, coverage against the forecast's need, rotation rules.

A day shows one row per shift across the 24 UTC hours (the queues worked in
each hour) and, under it, coverage: people rostered per queue per hour
against the forecast's need (:func:`review.planning.roster.coverage`), a
gap in red. A week shows each shift in its day's column. A shift that
breaks a rotation rule is amber, with the rule in its tooltip and in the
warnings line. "Mark away" is a what-if: coverage is recomputed as if the
selected shift's person were off that day; nothing is saved.

Every change is a small dialog (:mod:`ui.pages.roster_dialogs`) making
one domain call through the operations runner; the page reloads when the
roster, the rules, people or queues change, whichever window changed them.

Keys: Alt + the underlined letter of each button; Insert adds a shift,
Enter edits the selected one, Delete deletes it; Page Up / Page Down go
to the previous / next day (or week); F5 reloads.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from review.planning import roster, rotation
from review.planning.roster import Coverage, Shift
from review.serving import REVIEWERS
from review.store import Store, User, queue_admin
from ui import theme
from ui.operations import Operations
from ui.pages import roster_dialogs
from ui.pages.queue_admin_dialogs import in_words
from ui.refresh import SingleFlight
from ui.widgets.lists import page_title, read_only_rows
from ui.widgets.page_parts import add_keys, button_row, status_line

#: Change kinds (``ops.changed``) that alter what the page shows.
ROSTER_CHANGES = frozenset({"roster", "setting", "user", "queue", "decision"})
HOURS = [f"{h:02d}" for h in range(24)]


class HourCell(QStyledItemDelegate):
    """Paints an hour's cell itself — its colour (a shift, a warning, a gap) and its text centred, unpadded.

    The theme styles table items (padding, no background), which would hide
    both in a column a twenty-fourth of the table wide.
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        painter.save()
        fill = index.data(Qt.ItemDataRole.BackgroundRole)
        if fill is not None:
            painter.fillRect(option.rect.adjusted(0, 2, 0, -2), fill)
        elif option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, theme.color("accent_soft"))
        pen = index.data(Qt.ItemDataRole.ForegroundRole)
        painter.setPen(pen.color() if isinstance(pen, QBrush) else theme.color("text"))
        painter.drawText(option.rect, Qt.AlignmentFlag.AlignCenter, str(index.data() or ""))
        painter.restore()


@dataclass(frozen=True)
class RosterView:
    """What the page shows for a day or a week, read in one query."""

    first_day: str
    days: int
    shifts: list[Shift]
    warnings: dict[int, list[str]]
    coverage: Coverage | None  # a day only
    rules: rotation.Rules
    people: list[str]  # who may be rostered: active people who review
    queues: list[tuple[int, str]]  # queues a shift may name: live review and escalation queues


def load_view(reader: Store, lead: str, first_day: str, days: int, away: Sequence[str]) -> RosterView:
    """Everything the page shows, from one reader (off the GUI thread)."""
    last = (_dt.date.fromisoformat(first_day) + _dt.timedelta(days=days - 1)).isoformat()
    found = roster.shifts(reader, lead, first_day, last)
    merged = queue_admin.merged_into(reader)
    return RosterView(
        first_day, days, found, rotation.shift_warnings(reader, [s.row for s in found]),
        roster.coverage(reader, lead, first_day, away=away) if days == 1 else None, rotation.rules(reader),
        sorted(u.name for u in reader.users() if u.active and any(u.has(r) for r in REVIEWERS)),
        [(q.id, q.name) for q in reader.queues() if q.kind in ("review", "escalation") and q.id not in merged])


def _cell(text: str, tip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    item.setToolTip(tip or text)
    return item


class RosterPage(QWidget):
    """The "Roster" page for *lead*; every read and change goes through *ops*."""

    refreshed = Signal()
    changed = Signal(str)

    def __init__(self, lead: User, ops: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("rosterPage")
        self.lead, self.ops = lead, ops
        self.day = ops.store.clock.now().date()  # UTC: shifts are UTC days
        self.days = 1  # 7 in the week view; read by the load, off the GUI thread, so not a widget
        self.away: set[str] = set()
        self.view: RosterView | None = None
        self._loads = SingleFlight(self._load, ops, parent=self, reload_on=ROSTER_CHANGES, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(lambda exc: self.status.setText(f"Could not load the roster: {in_words(exc)}"))

        explain = QLabel("Who works when (UTC) and on which queues. During a shift a person is served only its "
                         "queues; outside every shift, serving is as without a roster. Red: fewer people rostered "
                         "than the forecast needs. Amber: a shift that breaks a rotation rule.")
        explain.setObjectName("hint")
        explain.setWordWrap(True)
        self.period = QLabel("")
        self.period.setObjectName("rosterPeriod")
        self.week = QCheckBox("&Week")
        self.week.toggled.connect(self._week)
        nav = QHBoxLayout()
        for text, step in (("◀ &Previous", -1), ("&Today", 0), ("&Next ▶", 1)):
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, s=step: self.go(s))
            nav.addWidget(button)
        nav.addWidget(self.period, 1)
        nav.addWidget(self.week)

        self.shifts = QTableWidget()
        read_only_rows(self.shifts, "rosterShifts", row_height=28)
        self.shifts.setAccessibleName("Shifts")
        self.coverage = QTableWidget()
        read_only_rows(self.coverage, "rosterCoverage", row_height=22)
        self.hour_cell = HourCell(self)
        for table in (self.shifts, self.coverage):
            table.horizontalHeader().setObjectName("hourHeader")  # narrow sections: resources/theme.qss
        self.coverage.setAccessibleName("Coverage against need")
        self.coverage.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.coverage_title = QLabel("Coverage: people rostered / needed per hour")
        self.warnings = QLabel("")
        self.warnings.setObjectName("rosterWarnings")
        self.warnings.setWordWrap(True)

        bar, self.buttons = button_row((
            ("add", "&Add shift…", self.add_shift), ("edit", "&Edit…", self.edit_shift),
            ("delete", "&Delete…", self.delete_shift), ("away", "Mark awa&y", self.toggle_away),
            ("import", "&Import CSV…", self.import_file), ("rules", "R&otation rules…", self.edit_rules),
        ), name_prefix="roster")
        self.status = status_line()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(8)
        for widget in (page_title("Roster"), explain):
            layout.addWidget(widget)
        layout.addLayout(nav)
        layout.addWidget(self.shifts, 2)
        layout.addWidget(self.warnings)
        layout.addWidget(self.coverage_title)
        layout.addWidget(self.coverage, 3)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        self.setFocusProxy(self.shifts)
        add_keys(self, ((Qt.Key.Key_F5, self.refresh, self), (Qt.Key.Key_PageUp, lambda: self.go(-1), self),
                        (Qt.Key.Key_PageDown, lambda: self.go(1), self), (Qt.Key.Key_Insert, self.add_shift, self),
                        (Qt.Key.Key_Return, self.edit_shift, self.shifts),
                        (Qt.Key.Key_Enter, self.edit_shift, self.shifts),
                        (Qt.Key.Key_Delete, self.delete_shift, self.shifts)))
        self.shifts.doubleClicked.connect(lambda _i: self.edit_shift())
        self.shifts.itemSelectionChanged.connect(self._enable)
        self._enable()

    # ------------------------------------------------------------------ API
    def refresh(self) -> bool:
        return self._loads.request()

    def go(self, step: int) -> None:
        """Move a day (a week in the week view) back or on; 0: back to today."""
        if step == 0:
            self.day = self.ops.store.clock.now().date()
        else:
            self.day += _dt.timedelta(days=step * self.days)
        self.away.clear()  # a what-if belongs to the day it was made for
        self.refresh()

    def selected(self) -> Shift | None:
        rows = self.shifts.selectionModel().selectedRows()
        if self.view is None or not rows or rows[0].row() >= len(self.view.shifts):
            return None
        return self.view.shifts[rows[0].row()]

    def changed_to(self, words: str) -> None:
        self.status.setText(words)
        self.changed.emit(words)

    def close_page(self) -> None:
        self._loads.close()

    # -------------------------------------------------------------- changes
    def add_shift(self) -> roster_dialogs.ChangeDialog | None:
        if self.view is None:
            return None
        return roster_dialogs.shift_dialog(self, self.view.people, [n for _, n in self.view.queues],
                                           self.day.isoformat())

    def edit_shift(self) -> roster_dialogs.ChangeDialog | None:
        shift = self._need_selected()
        if shift is None or self.view is None:
            return None
        return roster_dialogs.shift_dialog(self, self.view.people, [n for _, n in self.view.queues], shift.day,
                                           shift)

    def delete_shift(self) -> roster_dialogs.ChangeDialog | None:
        shift = self._need_selected()
        return roster_dialogs.delete_dialog(self, shift) if shift else None

    def import_file(self, path: Path | None = None) -> roster_dialogs.ChangeDialog | None:
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Import roster", "", "CSV files (*.csv);;All files (*)")
            if not chosen:
                return None
            path = Path(chosen)
        return roster_dialogs.import_dialog(self, path)

    def edit_rules(self) -> roster_dialogs.ChangeDialog | None:
        if self.view is None:
            return None
        return roster_dialogs.rules_dialog(self, self.view.rules, self.view.queues)

    def toggle_away(self) -> None:
        """Count the selected shift's person as off for the day shown (a what-if), or back again."""
        shift = self._need_selected()
        if shift is None:
            return
        self.away.symmetric_difference_update({shift.person})
        self.refresh()

    # ------------------------------------------------------------ internals
    def _load(self, reader: Store) -> RosterView:
        return load_view(reader, self.lead.name, self.day.isoformat(), self.days, sorted(self.away))

    def _week(self, on: bool) -> None:
        self.days = 7 if on else 1
        self.refresh()

    def _loaded(self, view: RosterView) -> None:
        keep = self.selected()
        self.view = view
        first = _dt.date.fromisoformat(view.first_day)
        last = first + _dt.timedelta(days=view.days - 1)
        self.period.setText(first.strftime("%A %d %B %Y") if view.days == 1 else
                            f"{first:%d %b} – {last:%d %b %Y}")
        self._fill_shifts(view)
        self._fill_coverage(view)
        warned = [f"{s.person} {s.day} {s.starts}–{s.ends}: {w}"
                  for s in view.shifts for w in view.warnings.get(s.id, [])]
        self.warnings.setText("⚠ " + " · ".join(warned) if warned else "")
        self.warnings.setVisible(bool(warned))
        away = f"What-if: {', '.join(sorted(self.away))} marked away — coverage recomputed, nothing saved. " \
            if self.away else ""
        self.status.setText(away + (f"{len(view.shifts)} shifts" if view.shifts else "No shifts in this period: "
                                    "add one (Insert) or import a CSV."))
        rows = [i for i, s in enumerate(view.shifts) if keep and s.id == keep.id]
        if rows or view.shifts:
            self.shifts.selectRow(rows[0] if rows else 0)
        self._enable()
        self.refreshed.emit()

    def _fill_shifts(self, view: RosterView) -> None:
        first = _dt.date.fromisoformat(view.first_day)
        columns = HOURS if view.days == 1 else [f"{first + _dt.timedelta(days=d):%a %d}" for d in range(view.days)]
        self.shifts.clear()
        self.shifts.setColumnCount(3 + len(columns))
        self.shifts.setHorizontalHeaderLabels(["Person", "Shift", "Queues", *columns])
        self.shifts.setRowCount(len(view.shifts))
        amber = theme.color("at_risk")
        for row, shift in enumerate(view.shifts):
            warned = view.warnings.get(shift.id, [])
            tip = "; ".join(warned) or ", ".join(shift.queues)
            away = shift.person in self.away
            self.shifts.setItem(row, 0, _cell(shift.person + (" (away)" if away else ""), tip))
            self.shifts.setItem(row, 1, _cell(f"{shift.starts}–{shift.ends}", tip))
            text = ", ".join(shift.queues)
            self.shifts.setItem(row, 2, _cell(text, tip))
            if view.days == 1:
                start, end = roster.clock_minutes(shift.starts), roster.clock_minutes(shift.ends)
                spans = [h for h in range(24) if h * 60 < end and start < (h + 1) * 60]
            else:
                spans = [(_dt.date.fromisoformat(shift.day) - first).days]
            for column in spans:
                item = _cell("⚠" if warned else "", f"{shift.person}: {text}" + (f" — {tip}" if warned else ""))
                item.setBackground(QBrush(theme.color("faint") if away else amber if warned else theme.color("accent")))
                self.shifts.setItem(row, 3 + column, item)
        header = self.shifts.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(2, 200)
        header.setMinimumSectionSize(18)
        for column in range(3, 3 + len(columns)):
            self.shifts.setItemDelegateForColumn(column, self.hour_cell)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)

    def _fill_coverage(self, view: RosterView) -> None:
        found = view.coverage
        self.coverage.setVisible(found is not None)
        self.coverage_title.setVisible(found is not None)
        if found is None:
            return
        self.coverage.clear()
        self.coverage.setColumnCount(25)
        self.coverage.setHorizontalHeaderLabels(["Queue", *HOURS])
        self.coverage.setRowCount(2 * len(found.queues))
        red, muted = theme.color("breached"), theme.color("muted")
        for index, (queue_id, name) in enumerate(found.queues):
            row = 2 * index  # the people rostered, then (muted) the people needed
            self.coverage.setItem(row, 0, _cell(name))
            self.coverage.setItem(row + 1, 0, _cell("   needed", f"{name}: people to roster, from the forecast"))
            self.coverage.item(row + 1, 0).setForeground(QBrush(muted))
            for hour in range(24):
                have, need = found.rostered[queue_id][hour], found.need[queue_id][hour]
                gap = found.gap(queue_id, hour)
                tip = (f"{name} {hour:02d}:00–{hour + 1:02d}:00 UTC: {have:.2f} rostered"
                       + (", not forecast" if need is None else f", {need} needed") + (" — a gap" if gap else ""))
                item = _cell(f"{have:.1f}".removesuffix(".0"), tip)
                if gap:
                    item.setBackground(QBrush(red))
                    item.setForeground(QBrush(theme.color("accent_text")))
                self.coverage.setItem(row, 1 + hour, item)
                needed = _cell("" if need is None else str(need), tip)
                needed.setForeground(QBrush(muted))
                self.coverage.setItem(row + 1, 1 + hour, needed)
        header = self.coverage.horizontalHeader()
        header.setMinimumSectionSize(18)
        for column in range(1, 25):
            self.coverage.setItemDelegateForColumn(column, self.hour_cell)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        if not found.queues:
            self.coverage_title.setText("Coverage: nobody is rostered and the forecast needs nobody this day")
        else:
            gaps = len(found.gaps())
            self.coverage_title.setText(f"Coverage: people rostered / needed per hour (UTC) — "
                                        f"{gaps} hour{'s' if gaps != 1 else ''} short" if gaps else
                                        "Coverage: people rostered / needed per hour (UTC) — no gaps")

    def _need_selected(self) -> Shift | None:
        shift = self.selected()
        if shift is None:
            self.status.setText("Select a shift first.")
        return shift

    def _enable(self, *_args: Any) -> None:
        chosen = self.selected() is not None
        for key in ("edit", "delete", "away"):
            self.buttons[key].setEnabled(chosen)
        self.buttons["away"].setEnabled(chosen and self.days == 1)  # a what-if on the day's coverage
        shift = self.selected()
        self.buttons["away"].setText("Back from awa&y" if shift and shift.person in self.away else "Mark awa&y")

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh()
