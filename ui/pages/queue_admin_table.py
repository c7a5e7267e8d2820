"""The Queues admin table: one row per queue, every figure and state in words.

:class:`QueueAdminModel` is a read-only model over ``review.admin``'s
:class:`~review.admin.AdminQueue` rows (items, waiting, priority, SLA,
escalation queue, and whether the queue is active, paused or merged away).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QWidget

from review.admin import AdminQueue
from ui import theme
from ui.pages.queues import human_age

__all__ = ["COLUMNS", "ESCALATION", "ITEMS", "KIND", "PRIORITY", "QUEUE", "SLA", "STATUS", "WAITING",
           "QueueAdminModel", "status_text"]

COLUMNS = ("Queue", "Kind", "Items", "Waiting", "Priority", "SLA", "Escalates to", "Status")
QUEUE, KIND, ITEMS, WAITING, PRIORITY, SLA, ESCALATION, STATUS = range(len(COLUMNS))


def status_text(row: AdminQueue) -> str:
    if row.merged_into:
        return f"Merged into {row.merged_into}"
    return "Paused" if row.queue.paused else "Active"


class QueueAdminModel(QAbstractTableModel):
    """Read-only table of :class:`~review.admin.AdminQueue` rows."""

    QueueNameRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[AdminQueue] = []

    def set_rows(self, rows: Sequence[AdminQueue]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[AdminQueue]:
        return list(self._rows)

    def row_of(self, name: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.queue.name == name), -1)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return self._display(row, column)  # the tooltip repeats a cell a narrow window cuts short
        if role == Qt.ItemDataRole.TextAlignmentRole:
            right = column in (ITEMS, WAITING, PRIORITY)
            side = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
            return side | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole and (row.merged_into or row.queue.paused):
            return theme.color("faint" if row.merged_into else "muted")
        if role == self.QueueNameRole:
            return row.queue.name
        return None

    @staticmethod
    def _display(row: AdminQueue, column: int) -> str:
        queue = row.queue
        return (
            queue.name, queue.kind.capitalize(), f"{row.items:,}", f"{row.waiting:,}", str(queue.priority),
            human_age(queue.sla_seconds), " · ".join(row.routes) or "—", status_text(row),
        )[column]
