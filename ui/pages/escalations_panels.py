"""The escalation workbench's pieces: a waiting escalation in words, and the hand-over bar.

:func:`row_cells` turns one ``review.escalations.Waiting`` into the cells
of the list (waiting time against the escalation queue's SLA, the item,
who sent it up from which queue, and why; the page filters by queue). :class:`HandOverBar` is the
line under the list or the item where a lead writes the note that goes
back with a send-back (Enter sends; the page's Esc cancels) or picks the escalation
queue to move it to (:class:`~ui.pages.escalate_chooser.RouteChooser`: a
digit picks; each queue says whether the escalation would arrive there
already past its SLA). None of them touch the store.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from review import escalations
from review.clock import parse
from review.escalations import Waiting
from review.store import Queue
from ui.pages.escalate_chooser import RouteChooser
from ui.pages.queues import human_age

COLUMNS = ("Waiting", "Item", "Sent up by", "Why")
WAITING, ITEM, BY, WHY = range(len(COLUMNS))
KIND_WORDS = {"mixed": "post with media"}


def arrival_words(due_at: str, now: _dt.datetime) -> str:
    """How a moved escalation would arrive: "arrives 2 h 44 min over its SLA" or "due in 40 min there"."""
    left = (parse(due_at) - now).total_seconds()
    return f"arrives {human_age(-left)} over its SLA" if left <= 0 else f"due in {human_age(left)} there"


def breached(row: Waiting, now: _dt.datetime) -> bool:
    return parse(row.due_at) <= now


def waiting_text(row: Waiting, now: _dt.datetime) -> str:
    """"2 h 10 min of 8 h" while within the SLA; "6 h · 1 h over" once past it."""
    waited = human_age((now - parse(row.since)).total_seconds())
    left = (parse(row.due_at) - now).total_seconds()
    if left <= 0:
        return f"{waited} · {human_age(-left)} over"
    return f"{waited} of {human_age(row.sla_seconds)}"


def row_cells(row: Waiting, now: _dt.datetime, category_name: str) -> list[str]:
    """The list's cells for *row*; an item reported straight to the queue says so where the escalator goes."""
    severity = f" · {row.severity}" if row.severity else ""
    item = f"{category_name}{severity} · {KIND_WORDS.get(row.kind, row.kind)}"
    if row.held_by:
        item += f" · {row.held_by} has it open"
    facts = row.escalation
    if facts is None:
        return [waiting_text(row, now), item, "reported here directly", "—"]
    return [waiting_text(row, now), item, f"{facts.escalated_by} · {facts.origin}", facts.reason]


def side_panel(decision: QWidget, send_back: Callable[[], None], move: Callable[[], None]) -> QWidget:
    """The open escalation's side: the decision panel, then the two ways to hand it over (their keys named)."""
    side = QWidget()
    layout = QVBoxLayout(side)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(decision)
    row = QHBoxLayout()
    for text, slot in (("B  Send back…", send_back), ("M  Move…", move)):
        button = QPushButton(text)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # every key stays with the page
        button.clicked.connect(slot)
        row.addWidget(button)
    layout.addLayout(row)
    return side


def overlaid(area: QWidget, bar: QWidget) -> QGridLayout:
    """*bar* laid over the bottom of *area*, not under it: opening it (a note row, a list of queues) takes no height
    from the window, whose minimum would otherwise grow past a 720-pixel screen and push the key hints and the
    status bar off it."""
    layout = QGridLayout()
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(area, 0, 0)
    layout.addWidget(bar, 0, 0, Qt.AlignmentFlag.AlignBottom)
    bar.raise_()
    return layout


class HandOverBar(QFrame):
    """Send back (a note for the moderator, Enter sends) or move (a digit picks the queue); hidden when idle."""

    send = Signal(str)  # the note
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("handOverBar")
        self.setAutoFillBackground(True)  # it lies over the list or the item
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.prompt = QLabel()
        self.note = QLineEdit()
        self.note.setObjectName("sendBackNote")
        self.note.setAccessibleName("Send-back note")
        self.note.setPlaceholderText("What should the moderator do? Enter sends it back, Esc cancels")
        self.note.returnPressed.connect(lambda: self.send.emit(self.note.text()))
        self.chooser = RouteChooser()
        self.chooser.cancelled.connect(self.cancelled)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.prompt)
        row.addWidget(self.note, 1)
        self.note_row = QWidget()
        self.note_row.setLayout(row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.note_row)
        layout.addWidget(self.chooser)
        self.close_bar()

    def ask_note(self, origin: str) -> None:
        self.chooser.close_choice()
        self.prompt.setText(f"Send back to “{origin}” with a note:")
        self.note.clear()
        self.note_row.setVisible(True)
        self.setVisible(True)
        self.note.setFocus()

    def offer(self, queues: list[Queue], since: str, now: _dt.datetime) -> None:
        """The queues to move to, each saying when the escalation (waiting since *since*) would be due there."""
        self.note_row.setVisible(False)
        self.setVisible(True)
        self.chooser.offer([q.name for q in queues], title="Move to which escalation queue?", first="",
                           notes=[arrival_words(escalations.due_if_moved(since, q), now) for q in queues])

    def is_open(self) -> bool:
        return self.isVisible()

    def close_bar(self) -> None:
        self.chooser.close_choice()
        self.note.clear()
        self.note_row.setVisible(False)
        self.setVisible(False)
