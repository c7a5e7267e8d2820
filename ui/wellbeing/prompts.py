"""The two break prompts: the gentle banner strip, then the modal dialog with its limited snooze."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolBar,
    QVBoxLayout,
    QWidget,
)


class BreakBanner(QToolBar):
    """A thin, non-modal strip: the first, gentlest prompt (and budget notes).

    A tool bar, so a main window gives it a row of its own across the whole
    width (``addToolBar(BottomToolBarArea, banner)``, above the status bar)
    instead of a slot beside the meter; it grows a line when a narrow window
    wraps its words, and hides as a whole.
    """

    take_break = Signal()
    later = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Break reminder", parent)
        self.setObjectName("breakBar")
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)  # not one of the window's optional tool bars
        self.frame = QFrame()
        self.frame.setObjectName("breakBanner")  # its ground, edge and words: resources/theme.qss, by name
        self.frame.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.take_button = QPushButton("Take a break now")
        self.later_button = QPushButton("Later")
        for button in (self.take_button, self.later_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a strip must not steal the reviewer's keys
        self.take_button.clicked.connect(self._take)
        self.later_button.clicked.connect(self._later)
        layout = QHBoxLayout(self.frame)
        layout.setContentsMargins(12, 6, 8, 6)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.take_button)
        layout.addWidget(self.later_button)
        self.addWidget(self.frame)
        self.message.installEventFilter(self)
        self.hide()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.show()
        self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.message and event.type() == QEvent.Type.Resize:
            self._fit()
        return False

    def _fit(self) -> None:
        """As tall as the words need at the width they have (a tool bar asks no label for it)."""
        margins = self.frame.layout().contentsMargins()
        needed = self.message.heightForWidth(self.message.width()) + margins.top() + margins.bottom()
        if self.frame.minimumHeight() != needed:
            self.frame.setMinimumHeight(needed)

    def _take(self) -> None:
        self.hide()
        self.take_break.emit()

    def _later(self) -> None:
        self.hide()
        self.later.emit()


class BreakDialog(QDialog):
    """The second prompt: modal, with "Take a break" and a limited snooze.

    With no snoozes left the second button is "Finish this item first": the
    break then starts at the next item boundary. Each button names its key:
    Enter takes the break, Esc (or closing the window) is the second button
    — a snooze while one is left, otherwise "Finish this item first". A
    dialog must not close without saying what closing it did, and a
    reflexive Esc that used up a snooze without a word would do just that.
    """

    take_break = Signal()
    snooze = Signal()
    acknowledged = Signal()

    def __init__(self, text: str, snoozes_left: int, snooze_min: float = 5, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("breakDialog")
        self.setWindowTitle("Time for a break")
        self.setModal(True)
        self.snoozes_left = snoozes_left
        self.choice: str | None = None
        message = QLabel(text)
        message.setWordWrap(True)
        message.setMinimumWidth(360)
        self.take_button = QPushButton("Take a break · Enter")
        self.take_button.setDefault(True)
        if snoozes_left > 0:
            self.second_button = QPushButton(f"Snooze {snooze_min:g} min ({snoozes_left} left) · Esc")
        else:
            self.second_button = QPushButton("Finish this item first · Esc")
        self.take_button.clicked.connect(lambda: self._choose("take"))
        self.second_button.clicked.connect(lambda: self._choose("snooze" if self.snoozes_left > 0 else "ack"))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.second_button)
        buttons.addWidget(self.take_button)
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addLayout(buttons)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        {"take": self.take_break, "snooze": self.snooze, "ack": self.acknowledged}[choice].emit()
        self.accept()

    def reject(self) -> None:  # Esc or the window's close button
        if self.choice is None:
            self._choose("snooze" if self.snoozes_left > 0 else "ack")
        else:
            super().reject()
