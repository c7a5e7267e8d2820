"""The two break prompts: the gentle banner strip, then the modal dialog with its limited snooze."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui import theme


class BreakBanner(QFrame):
    """A thin, non-modal strip: the first, gentlest prompt (and budget notes)."""

    take_break = Signal()
    later = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("breakBanner")
        self.setStyleSheet(
            f"QFrame#breakBanner {{ background: {theme.COLORS['raised']}; border: 1px solid {theme.COLORS['border']};"
            f" border-radius: 4px; }} QFrame#breakBanner QLabel {{ color: {theme.COLORS['text']}; }}"
        )
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.take_button = QPushButton("Take a break now")
        self.later_button = QPushButton("Later")
        for button in (self.take_button, self.later_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a strip must not steal the reviewer's keys
        self.take_button.clicked.connect(self._take)
        self.later_button.clicked.connect(self._later)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.take_button)
        layout.addWidget(self.later_button)
        self.hide()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.show()

    def _take(self) -> None:
        self.hide()
        self.take_break.emit()

    def _later(self) -> None:
        self.hide()
        self.later.emit()


class BreakDialog(QDialog):
    """The second prompt: modal, with "Take a break" and a limited snooze.

    With no snoozes left the second button is "Finish this item first": the
    break then starts at the next item boundary. Esc is a snooze while one
    is left, otherwise the same as "Finish this item first".
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
        self.take_button = QPushButton("Take a break")
        self.take_button.setDefault(True)
        if snoozes_left > 0:
            self.second_button = QPushButton(f"Snooze {snooze_min:g} min ({snoozes_left} left)")
        else:
            self.second_button = QPushButton("Finish this item first")
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
