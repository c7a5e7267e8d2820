"""Escalating from the keyboard: which escalation queue (when there are several), then why.

:class:`RouteChooser` is the small list of queues an item may go to,
every one of them, a digit each for the first nine: a digit picks, Up and
Down mark another (the tenth and later have no digit), Enter takes the
marked one (the first, the default, until another is marked), Esc
cancels. It holds the keys while open (digits toggle labels otherwise).
:class:`EscalationFlow` is the review page's escalate key: with several
routes it opens the chooser first, then asks for the reason in the note
unless one is written (a reason is required), then hands the choice to
the page's commit; with one route there is no chooser. The workbench
reuses the chooser to move an escalation to another escalation queue.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from review.decisions import RouteGone

if TYPE_CHECKING:  # the panel holds the chooser; the flow only drives it
    from review.desk import Shown
    from ui.pages.review_panels import DecisionPanel

NOTE_HINT = "Note (N) — Enter or Esc to return"
REASON_HINT = "Why escalate? Type the reason, then Enter (Esc cancels)"
_KEYS = {Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape, Qt.Key.Key_Up, Qt.Key.Key_Down}
_MARK = "▸ "


class RouteChooser(QFrame):
    """Queues to pick from with a digit or Up/Down and Enter; Esc cancels. Hidden until :meth:`offer`."""

    chosen = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("routeChooser")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.title = QLabel()
        self.title.setObjectName("sectionTitle")
        self.lines = QLabel()
        self.lines.setTextFormat(Qt.TextFormat.PlainText)
        self.lines.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.lines)
        self.routes: list[str] = []
        self.marked = 0  # the route Enter takes
        self._first = ""
        self._notes: list[str] = []
        self.setVisible(False)

    def offer(self, routes: Sequence[str], title: str = "Escalate to which queue?",
              first: str = "default", notes: Sequence[str] = ()) -> None:
        """Show every one of *routes* (a digit for each of the first nine), each with its note from *notes* if
        any ("arrives 2 h over"), the first marked, and take the keys."""
        self.routes, self.marked, self._first = list(routes), 0, first
        self._notes = list(notes)
        self.title.setText(title)
        self._paint()
        self.setVisible(True)
        self.setFocus()

    def _paint(self) -> None:
        lines = [(_MARK if n == self.marked + 1 else " " * len(_MARK)) + (f"{n}  " if n <= 9 else "   ") + name
                 + (f"  ({self._first})" if n == 1 and self._first else "")
                 + (f"  — {self._notes[n - 1]}" if n <= len(self._notes) and self._notes[n - 1] else "")
                 for n, name in enumerate(self.routes, 1)]
        more = "↑↓ mark the rest · " if len(self.routes) > 9 else "↑↓ mark · "
        self.lines.setText("\n".join(lines) + f"\nDigit picks · {more}Enter takes the marked one · Esc cancels")

    def close_choice(self) -> None:
        self.routes = []
        self.setVisible(False)

    def event(self, event: QEvent) -> bool:
        """While open, digits, Enter and Esc are the chooser's, not the page's shortcuts."""
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and self._mine(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._mine(event):
            super().keyPressEvent(event)
            return
        key = Qt.Key(event.key())
        if key == Qt.Key.Key_Escape:
            self.close_choice()
            self.cancelled.emit()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.marked = (self.marked + (1 if key == Qt.Key.Key_Down else -1)) % len(self.routes)
            self._paint()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.pick(self.marked + 1)
        else:
            self.pick(key - Qt.Key.Key_0)

    def pick(self, number: int) -> None:
        """The route numbered *number* (1 is the first); out of range does nothing."""
        if 1 <= number <= len(self.routes):
            name = self.routes[number - 1]
            self.close_choice()
            self.chosen.emit(name)

    def _mine(self, event: QKeyEvent) -> bool:
        if not self.routes or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        key = event.key()
        return key in _KEYS or Qt.Key.Key_1 <= key <= Qt.Key.Key_9


class EscalationFlow:
    """The escalate key on the review page: chooser (several routes), reason, then *commit(action, route)*.

    *say* puts a sentence on the page; *refocus* gives the keys back to it.
    """

    def __init__(self, panel: DecisionPanel, action: str | None, *, commit: Callable[[str, str | None], None],
                 say: Callable[[str], None], refocus: Callable[[], None]):
        self.panel, self.action, self.commit, self.say, self.refocus = panel, action, commit, say, refocus
        self.active = False
        self.route: str | None = None
        panel.chooser.chosen.connect(self._chosen)
        panel.chooser.cancelled.connect(self.cancel)

    def start(self, routes: Sequence[str]) -> None:
        """The escalate key: choose among several *routes* first; none is refused by the desk in words."""
        if self.action is None:
            return
        self.active, self.route = True, None
        if len(routes) > 1:
            self.panel.chooser.offer(routes)
            self.say("Escalate to which queue? Press its digit, or Enter for the first.")
            return
        self._chosen(routes[0] if routes else None)

    def _chosen(self, route: str | None) -> None:
        self.route = route
        if self.panel.note.text().strip():
            self._send()
            return
        self.panel.note.setPlaceholderText(REASON_HINT)
        self.panel.note.setFocus()
        self.say(f"Escalating to {route}: type the reason in the note, then press Enter." if route else
                 "Escalation needs a reason: type it in the note, then press Enter.")

    def note_done(self) -> bool:
        """Enter in the note: send the escalation if one is under way (True), else nothing (False)."""
        if not self.active:
            return False
        self._send()
        return True

    def cancel(self) -> None:
        """Esc: drop the escalation under way, if any, and give the keys back to the page."""
        if self.active:
            self.reset()
            self.say("Escalation cancelled.")
        self.refocus()

    def refused(self, shown: Shown | None, exc: BaseException) -> Shown | None:
        """A decision refused: if the route was (``RouteGone``: a lead changed the queue's routes since the
        item came), end this escalation and return *shown* with the routes offered now, else *shown*.

        The reason stays in the note, so the escalate key sends it again at once where one route is left.
        """
        if not isinstance(exc, RouteGone) or shown is None:
            return shown
        self.reset()
        return dataclasses.replace(shown, routes=exc.routes)

    def reset(self) -> None:
        self.active, self.route = False, None
        self.panel.chooser.close_choice()
        self.panel.note.setPlaceholderText(NOTE_HINT)

    def _send(self) -> None:
        if self.action is not None:
            self.commit(self.action, self.route)
