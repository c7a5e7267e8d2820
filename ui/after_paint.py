"""Run something once the window has painted what was just changed: work that must not delay the frame.

The review page starts its look-ahead read (the next item's look-ups, on a
reader thread) once the item is shown. A 0 ms timer ran before the paint:
Qt delivers a widget's paint request as a posted event of low priority, and
timers come first. The reader then held the interpreter while the GUI
thread's paint waited for it (the next item painted 8 ms after it arrived
when alone, 13–17 ms with the read's start in between; measured with
``benchmarks/bench_next_item.py``). :func:`after_paint` posts its call with
the same low priority, after the paint request already posted, so it runs
once the frame is painted. The start-up's page imports (a background thread,
``desktop.pages.warm_page_imports``) wait for the first window's paint the same way.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt

_CALL = QEvent.Type(QEvent.registerEventType())


class _Call(QEvent):
    def __init__(self, fn: Callable[[], None]) -> None:
        super().__init__(_CALL)
        self.fn = fn


class _Caller(QObject):
    """Receives only the calls :func:`after_paint` posts, so no other event meets Python on its way."""

    def event(self, event: QEvent) -> bool:
        if event.type() == _CALL and isinstance(event, _Call):
            event.fn()
            return True
        return super().event(event)


def after_paint(owner: QObject, fn: Callable[[], None]) -> None:
    """Call *fn* on *owner*'s thread after the paints already asked for there; never if *owner* is deleted first
    (the call is posted to a child of *owner*, deleted with it)."""
    caller = owner.findChild(_Caller, options=Qt.FindChildOption.FindDirectChildrenOnly) or _Caller(owner)
    QCoreApplication.postEvent(caller, _Call(fn), Qt.EventPriority.LowEventPriority.value)
