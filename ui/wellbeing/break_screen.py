"""The break screen: covers everything while a break counts down, with the cool-down puzzle and the private check-in."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui import theme
from ui.wellbeing.cooldown import BlockGame, CooldownPuzzle


class BreakScreen(QWidget):
    """Covers everything in its host while a break runs; cannot be dismissed before the countdown ends.

    Shows the time left (mm:ss), why this break (the session's words), the
    cool-down puzzle after severe items, and the optional check-in (1–5 by
    key or click, private). When the countdown ends, "Back to work" appears.
    """

    back_to_work = Signal()
    checked_in = Signal(int)

    # Window-level keys that still work on a break: quit and sign out are the person's right.
    PASSTHROUGH = (QKeySequence("Ctrl+Q"), QKeySequence("Ctrl+Shift+L"))

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.setObjectName("breakScreen")
        self.host = host
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAutoFillBackground(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.finished = False
        self.remaining = 0

        self.title = QLabel("Break")
        self.title.setObjectName("breakTitle")
        self.countdown = QLabel("00:00")
        self.countdown.setObjectName("breakCountdown")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("breakNote")  # the quieter lines: resources/theme.qss colours them by name
        for label in (self.title, self.countdown, self.message):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.puzzle_caption = QLabel("If you like: a calm puzzle. ← → move, ↑ turns, ↓ drops.")
        self.puzzle_caption.setObjectName("breakNote")
        self.puzzle_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.puzzle = CooldownPuzzle()

        self.checkin_label = QLabel("How are you right now?  Press or click 1 = rough … 5 = fine"
                                    "  (optional, only you see it)")
        self.checkin_label.setObjectName("breakNote")
        self.checkin_buttons: list[QPushButton] = []
        checkin_row = QHBoxLayout()
        checkin_row.addStretch(1)
        for score in range(1, 6):
            button = QPushButton(str(score))
            button.setMinimumWidth(44)
            button.clicked.connect(lambda _=False, s=score: self._check_in(s))
            self.checkin_buttons.append(button)
            checkin_row.addWidget(button)
        checkin_row.addStretch(1)
        self.checkin_thanks = QLabel("")
        self.checkin_thanks.setObjectName("breakNote")
        self.checkin_thanks.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.back_button = QPushButton("Back to work")
        self.back_button.clicked.connect(self.dismiss)
        self.back_button.hide()

        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(self.title)
        column.addWidget(self.countdown)
        column.addWidget(self.message)
        column.addSpacing(12)
        column.addWidget(self.puzzle_caption)
        column.addWidget(self.puzzle, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addSpacing(12)
        column.addWidget(self.checkin_label, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addLayout(checkin_row)
        column.addWidget(self.checkin_thanks)
        column.addSpacing(8)
        column.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(column, 3)
        layout.addStretch(1)
        host.installEventFilter(self)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._keep_focus)
        self.hide()

    # --------------------------------------------------------- lifecycle
    def start(self, seconds: int, cooldown: bool, text: str) -> None:
        """Cover the host and count down *seconds*, saying *text* (the session's words for this break);
        the puzzle only if *cooldown*."""
        self.finished = False
        self.back_button.hide()
        self.title.setText("Break")
        self.message.setText(text)
        self.puzzle_caption.setVisible(cooldown)
        self.puzzle.setVisible(cooldown)
        if cooldown:
            self.puzzle.new_game(BlockGame())
        for button in self.checkin_buttons:
            button.setEnabled(True)
        self.checkin_thanks.setText("")
        self.set_remaining(seconds)
        self.setGeometry(self.host.rect())
        self.show()
        self.raise_()
        self._focus_target().setFocus()
        # The page may take focus back on its way out of the call that started the break
        # (``_commit`` ends with ``setFocus()``): take it again once that call has returned.
        QTimer.singleShot(0, self, lambda: self.isVisible() and not self.finished and self._focus_target().setFocus())

    def _focus_target(self) -> QWidget:
        return self.puzzle if self.puzzle.isVisibleTo(self) else self

    def _keep_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        """While the countdown runs, no widget of the window behind the screen gets the keys.

        A page built or shown after the break began (a sign-in during a
        break) takes focus; its shortcuts (Enter claims) must not fire.
        """
        if (new is None or not self.isVisible() or self.finished or new is self or self.isAncestorOf(new)
                or new.window() is not self.window()):
            return
        self._focus_target().setFocus()

    def release(self) -> None:
        """Sign-out: stop the puzzle and stop watching the host and the application's focus."""
        self.puzzle.gravity.stop()
        self.host.removeEventFilter(self)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.disconnect(self._keep_focus)

    def set_remaining(self, seconds: int) -> None:
        self.remaining = max(0, int(seconds))
        minutes, secs = divmod(self.remaining, 60)
        self.countdown.setText(f"{minutes:02d}:{secs:02d}")

    def finish(self) -> None:
        """The countdown is over: offer the way back."""
        self.finished = True
        self.set_remaining(0)
        self.title.setText("Break over")
        self.back_button.show()
        self.back_button.setFocus()

    def dismiss(self) -> bool:
        """Leave the screen; refused (False) while the countdown runs."""
        if not self.finished:
            return False
        self.puzzle.gravity.stop()
        self.hide()
        self.back_to_work.emit()
        return True

    def _check_in(self, score: int) -> None:
        for button in self.checkin_buttons:
            button.setEnabled(False)
        self.checkin_thanks.setText("Thank you. Only you can see your answers.")
        self.checked_in.emit(score)

    # ------------------------------------------------------------ events
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # isHidden, not isVisible: a break taken up at sign-in starts while the window is still
        # hidden, and must follow the window's size once it is shown.
        if watched is self.host and event.type() == QEvent.Type.Resize and not self.isHidden():
            self.setGeometry(self.host.rect())
        return False

    def event(self, event: QEvent) -> bool:
        # While the screen is up, no page shortcut fires (Enter would claim an item, Space reveal, …).
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            pressed = QKeySequence(event.keyCombination())
            if not any(pressed.matches(k) == QKeySequence.SequenceMatch.ExactMatch for k in self.PASSTHROUGH):
                event.accept()
                return True
        return super().event(event)

    CHECKIN_KEYS = {Qt.Key.Key_1: 1, Qt.Key.Key_2: 2, Qt.Key.Key_3: 3, Qt.Key.Key_4: 4, Qt.Key.Key_5: 5}

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.finished:
            self.dismiss()
        elif (key in self.CHECKIN_KEYS and self.checkin_buttons[0].isEnabled()
              and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
            self._check_in(self.CHECKIN_KEYS[key])  # keyboard first: the bare digit is the answer, once (not Ctrl+2)
        event.accept()  # Esc and everything else: nothing happens, and nothing reaches the page

    def mousePressEvent(self, event: QMouseEvent) -> None:
        event.accept()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.color("window"))  # opaque: nothing of the page shows through
        painter.end()
