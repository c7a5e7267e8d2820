"""The review page's queue picker: which of the reviewer's queues to work ("All my queues" or one).

Its own job because the list has its own life: it is filled off the GUI
thread once the page is first shown and again whenever a queue is paused,
added or renamed, and a queue chosen on the Queues page before the list
arrived is remembered and taken once it does. A queue that is not one the
person may work is not silently ignored: the domain says which rule keeps
them out (``review.serving.why_not_served``).

Reached by keys too: the "&Queue" label's Alt+Q (``ui.keymap.QUEUE_PICKER_KEY``)
gives it the focus, the arrows change the queue, and Enter or Esc (or a
choice in its pop-up) give the keys back to the page. While it has the
focus it keeps those keys from the page's shortcuts (Enter would claim,
↑ ↓ move a storyboard, a digit tick a label).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from review.desk import ReviewDesk
from review.serving import why_not_served
from review.store import Queue, User
from ui.operations import Operations

ALL_QUEUES = "All my queues"
DONE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape)  # the page has the keys again


class QueuePicker(QComboBox):
    """"All my queues" and each queue *user* may be served from; *on_selected* runs when one is asked for by name,
    *on_done* when the person is done choosing (Enter, Esc, a pick in the pop-up)."""

    def __init__(self, ops: Operations, desk: ReviewDesk, user: User, *, say: Callable[[str], None],
                 on_selected: Callable[[], None], on_done: Callable[[], None], parent: QWidget | None = None):
        super().__init__(parent)
        self.ops, self.desk, self.user, self.say, self.on_selected = ops, desk, user, say, on_selected
        self.on_done = on_done
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        # Filled when the queue list arrives (after the first show): grow to fit the names then.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.addItem(ALL_QUEUES)
        self._wanted: str | None = None  # asked for before the queue list arrived
        self._loaded = False

    def event(self, event: QEvent) -> bool:
        """Keys without Ctrl (or Alt+↑ ↓, the pop-up's) are the picker's while it has the focus, not the page's."""
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if modifiers in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier) or (
                    modifiers == Qt.KeyboardModifier.AltModifier and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)):
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in DONE_KEYS and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.on_done()
            return
        super().keyPressEvent(event)

    def hidePopup(self) -> None:
        """A queue picked in the pop-up (or the pop-up left): back to the page's keys."""
        super().hidePopup()
        self.on_done()

    def label(self) -> QLabel:
        """Its "Queue" label, whose mnemonic (Alt+Q, ``ui.keymap.QUEUE_PICKER_KEY``) gives the picker the keys."""
        named = QLabel("&Queue")
        named.setBuddy(self)
        return named

    def load(self) -> None:
        user = self.user
        self.ops.query(lambda store: self.desk.servable_queues(store, user), on_done=self._fill,
                       on_error=lambda exc: self.say(f"Could not list your queues: {exc}"), owner=self)

    def _fill(self, queues: list[Queue]) -> None:
        chosen = self.currentText()
        self.clear()
        self.addItem(ALL_QUEUES)
        for queue in queues:
            self.addItem(queue.name)
        self.setCurrentIndex(max(0, self.findText(chosen)))
        self._loaded = True
        wanted, self._wanted = self._wanted, None
        if wanted is not None:
            self.select(wanted)

    def chosen(self) -> list[str] | None:
        """The queues to claim from (None: all of the person's)."""
        text = self.currentText()
        return None if text == ALL_QUEUES else [text]

    def select(self, name: str) -> None:
        """Work the queue *name* (chosen on the Queues page); say why not when it is not one of theirs."""
        if not self._loaded:
            self._wanted = name
            return
        index = self.findText(name)
        if index < 0:  # the domain says which rule keeps this person out (a lead's limit, the queue's kind …)
            user = self.user
            self.ops.query(lambda store: why_not_served(store, user, name),
                           on_done=lambda why: self.say(f"{why or f'“{name}” is not one of the queues you review'}."),
                           owner=self)
            return
        self.setCurrentIndex(index)
        self.on_selected()
