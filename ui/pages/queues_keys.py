"""What a key does on the Queues page's table: Enter opens the chosen queue or starts the person's work; ↓ ↑ choose.

Kept apart from the page (which loads and shows the rows) so the keys are
read in one place. With no queue chosen, Enter starts the obvious work (a
reviewer's "All my queues", an auditor's samples) and ↓ starts at the
first row (↑ at the last) whatever row focus left current: Qt makes the
first row current, unselected, when the table takes the focus with rows
on screen, so a page shown again would otherwise begin at the second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent

from ui.pages.review_queues import ALL_QUEUES

if TYPE_CHECKING:
    from ui.pages.queues import QueueOverview

_PLAIN = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)


def table_key(page: QueueOverview, event: QKeyEvent) -> bool:
    """Act on a key pressed on *page*'s table; True when it was used (the table does not see it then)."""
    key, chosen = event.key(), page.selected_queue()
    if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and event.modifiers() in _PLAIN:
        if chosen is not None:
            page.choose(page.table.currentIndex())
        elif page.start == "auditing":  # nothing chosen yet: the obvious thing, their own work
            page.qa_queue_chosen.emit(ALL_QUEUES, "audit")
        else:
            page.queue_chosen.emit(ALL_QUEUES)
        return True
    rows = page.model.rowCount()
    if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and event.modifiers() in _PLAIN and chosen is None and rows:
        return page.select_row(0 if key == Qt.Key.Key_Down else rows - 1)
    return False
