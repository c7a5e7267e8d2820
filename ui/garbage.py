"""Python's cyclic garbage collected on the GUI thread, never on a worker thread.

Python collects reference cycles on whichever thread allocates past a threshold. When that is a runner's writer
or reader thread, it frees the QObjects in a cycle (a window's controller and its timer, a page) under the GUI
thread, and Qt crashes the process in its event loop: CI crashed so, a segfault or a bus error with the GUI
thread in ``exec``, once a writer thread ran Python while a test's garbage waited. Here automatic collection is
turned off and a timer on the GUI thread collects by the same thresholds (the recipe PyQt applications use).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the GUI thread looks whether a collection is due.
INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Turns Python's automatic collection off and collects, as it would, on this object's (the GUI) thread."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start(interval_ms)

    def collect_due(self) -> None:
        """Collect the generations whose counts passed their thresholds, youngest first, as Python would."""
        young, middle, old = gc.get_count()
        if young > self._thresholds[0]:
            gc.collect(0)
            if middle > self._thresholds[1]:
                gc.collect(1)
                if old > self._thresholds[2]:
                    gc.collect(2)

    def stop(self) -> None:
        """Give collection back to Python (the app is closing, or a test is done)."""
        self._timer.stop()
        gc.enable()
