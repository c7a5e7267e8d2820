"""``ui.after_paint``: work that must not delay a frame runs once the frame is painted (ui/after_paint.py).

The review page started its look-ahead read with a 0 ms timer "after this
item is painted"; Qt ran the timer first, and the reader's start then held
the interpreter while the paint waited.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QLabel

from ui.after_paint import after_paint


class _Paints(QObject):
    def __init__(self, seen: list[str]) -> None:
        super().__init__()
        self.seen = seen

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.seen.append("paint")
        return False


def _shown_label(qtbot, seen: list[str]) -> QLabel:
    """A label on screen, painted once, whose paints are added to *seen*."""
    label = QLabel("first")
    qtbot.addWidget(label)
    label.watcher = _Paints(seen)
    label.installEventFilter(label.watcher)
    label.show()
    qtbot.waitUntil(lambda: "paint" in seen)
    return label


def _zero_timer(owner: QObject, fn) -> None:
    QTimer.singleShot(0, owner, fn)


@pytest.mark.parametrize(("start_later", "expected"),
                         [(_zero_timer, ["call", "paint"]), (after_paint, ["paint", "call"])])
def test_the_call_comes_after_the_paint_a_change_asked_for_where_a_zero_timer_came_before(qtbot, start_later,
                                                                                           expected):
    seen: list[str] = []
    label = _shown_label(qtbot, seen)
    seen.clear()
    label.setText("the next item")  # asks for a paint, as showing an item does
    start_later(label, lambda: seen.append("call"))
    qtbot.waitUntil(lambda: len(seen) >= 2)
    assert seen[:2] == expected


def test_nothing_is_called_for_an_owner_deleted_before(qtbot):
    seen: list[str] = []
    owner = QObject()
    after_paint(owner, lambda: seen.append("call"))
    owner.deleteLater()
    ticks: list[int] = []
    QTimer.singleShot(50, lambda: ticks.append(1))
    qtbot.waitUntil(lambda: ticks == [1])
    assert seen == []
