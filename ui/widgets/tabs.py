"""Tabs whose contents are built the first time they are shown.

A page opens on its first tab, and most visits never leave it; building
every other tab's widgets (and the reads they start) with the page made
each first opening wait for all of them on the GUI thread (issue 22: every
action ≤ 100 ms). A tab added here holds an empty placeholder until it is
first made current, then its real widget takes the placeholder's place,
so ``tabs.currentWidget()`` is always the real one once shown.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QTabWidget, QWidget


def add_when_shown(tabs: QTabWidget, title: str, build: Callable[[], QWidget]) -> None:
    """Add a tab titled *title* (mnemonic and all) whose widget *build* makes the first time it is shown."""
    placeholder = QWidget()
    tabs.addTab(placeholder, title)

    def shown(index: int) -> None:
        if tabs.widget(index) is not placeholder:
            return
        tabs.currentChanged.disconnect(shown)
        built = build()
        with QSignalBlocker(tabs):  # one tab changing places with another, not a change of tab
            tabs.removeTab(index)
            tabs.insertTab(index, built, title)
            tabs.setCurrentIndex(index)
        placeholder.deleteLater()

    tabs.currentChanged.connect(shown)
