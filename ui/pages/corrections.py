"""The lead's "Corrections" page: moderators' requests to correct a decision, declined or corrected.

A page of its own rather than a tab of Escalations: that page is the
claim-and-decide workbench for pending items (at its 500-line limit),
while a correction is about a decision already made — no claim, no SLA,
the item stays decided — and mixing the two lists would make Enter mean
two things. The list holds every open request, oldest first: when it was
asked, by whom, the item, the decision and the moderator's reason
(``review.corrections.open_requests``). Enter opens the item on the
read-only item view (``ui.pages.my_decisions_view``: veiled, exposure
booked) with the decision panel beside it:

- the label keys and an action's key **correct** it: the lead's action and
  labels replace the decision (the original stays in the history), N
  writes the note of the new decision first;
- **D** declines it: the reason (required) goes back to the moderator;
  Enter sends, Esc cancels.

Backspace returns to the list. Each is one write through the operations
runner; the list reloads when decisions change, F5 reloads it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from review import corrections
from review.corrections import Row
from review.errors import VeilError
from review.serving import Item
from review.taxonomy import Taxonomy
from ui.item.view import ItemView
from ui.pages.my_decisions_view import DecidedItemStack, DecidedServices
from ui.pages.qa_common import ReadOnlyTable, decision_words, local_time, text_label
from ui.pages.review_panels import DecisionPanel
from ui.refresh import SingleFlight, reason
from ui.widgets.lists import page_title

COLUMNS = ("Asked", "By", "Item", "Queue", "Decision", "Reason")
DECLINE_KEY = "D"
KEYS = "↑/↓ choose · Enter opens the item (veiled) to correct it · D declines · F5 refreshes"
ITEM_KEYS = ("Labels and an action's key correct the decision · N note · D declines · Hold Space to see · "
             "Esc hides · T thread · Backspace back to the list")


def request_text(row: Row, taxonomy: Taxonomy) -> str:
    """The request in full: who asks, about which decision, why, and the note they decided with."""
    return (f"{row.requested_by} asks {local_time(row.requested_at)} to correct "
            f"{decision_words(taxonomy, row.action, row.labels)} on {row.external_id} ({row.queue}), "
            f"decided {local_time(row.decided_at)}:\n“{row.reason}”"
            + (f"\nTheir note then: “{row.note}”" if row.note else ""))


class CorrectionsPage(QWidget):
    loaded = Signal()
    answered = Signal()

    def __init__(self, services: DecidedServices, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("correctionsPage")
        self.services = services
        self.ops, self.user, self.taxonomy = services.ops, services.user, services.taxonomy
        self.requests: dict[int, Row] = {}
        self.shown: Row | None = None  # the request whose item is open
        self.declining: Row | None = None  # the request D chose: a reload reselecting the list never changes it
        self.sending = False
        user = self.user
        self._loads = SingleFlight(lambda reader: corrections.open_requests(reader, user), self.ops, parent=self,
                                   reload_on={"decision"}, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(lambda exc: self.summary.setText(f"Could not load the requests: {reason(exc)}"))
        self._build()

    def _build(self) -> None:
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("hint")
        head = QHBoxLayout()
        head.addWidget(page_title("Corrections"))
        head.addSpacing(16)
        head.addWidget(self.summary, 0, Qt.AlignmentFlag.AlignBottom)
        head.addStretch(1)
        self.table = ReadOnlyTable(COLUMNS, "correctionsTable", stretch=COLUMNS.index("Reason"))
        self.table.setAccessibleName("Requests to correct a decision")
        self.table.itemSelectionChanged.connect(self._selected)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        self.facts = text_label("requestFacts")
        self.decision = DecisionPanel(self.taxonomy)
        self.decision.action_clicked.connect(self.correct)
        self.decision.note_done.connect(lambda: self.stack.refocus())
        column.addWidget(self.facts)
        column.addWidget(self.decision)
        self.stack = DecidedItemStack(self.table, self.services, side=side, key_scope=self)
        self.stack.returned.connect(self._returned)
        self.detail = text_label("requestDetail")
        self.decline_button = QPushButton(f"Decline…  ({DECLINE_KEY})")
        self.decline_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.decline_button.clicked.connect(self.start_decline)
        self.reason = QLineEdit()
        self.reason.setObjectName("declineReason")
        self.reason.setAccessibleName("Why the decision stands")
        self.reason.setPlaceholderText("Why does the decision stand? The moderator reads it. Enter sends, Esc cancels")
        self.reason.setMaxLength(corrections.MAX_REASON_CHARS)
        self.reason.returnPressed.connect(self.send_decline)
        self.form = QFrame()
        row = QHBoxLayout(self.form)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.reason, 1)
        self.form.hide()
        actions = QHBoxLayout()
        actions.addWidget(self.decline_button, 0, Qt.AlignmentFlag.AlignLeft)
        actions.addWidget(self.form, 1)
        self.message = text_label("ruleMessage")
        self.keys = QLabel(KEYS)
        self.keys.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)  # the item face needs the room at 1280×720
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.detail)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        layout.addWidget(self.keys)
        self.setFocusProxy(self.table)
        self.deciding: list[QShortcut] = []
        for binding in self.services.bindings:
            command = binding.command
            if command.startswith("action:"):
                self.deciding.append(self._key(binding.key, partial(self.correct, command.split(":", 1)[1])))
            elif command.startswith("label:"):
                self.deciding.append(self._key(binding.key, partial(self._label, command.split(":", 1)[1])))
            elif command == "note":
                self.deciding.append(self._key(binding.key, self.decision.note.setFocus))
        for key, handler in ((DECLINE_KEY, self.start_decline), ("Return", self.open_selected),
                             ("Esc", self.escape), ("F5", self.refresh)):
            self._key(key, handler)
        self._deciding(False)

    def _key(self, key: str, handler: Callable[[], object]) -> QShortcut:
        shortcut = QShortcut(QKeySequence(key), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(handler)
        return shortcut

    def _deciding(self, on: bool) -> None:
        for shortcut in self.deciding:  # the decision keys mean something only with the item open
            shortcut.setEnabled(on)

    @property
    def item_view(self) -> ItemView:
        """The item face's view (``desktop.pages.apply_personal_view`` hands a newly saved view to it)."""
        return self.stack.item_view

    # ------------------------------------------------------------- the list
    def refresh(self) -> None:
        self._loads.request()

    def _loaded(self, found: list[Row]) -> None:
        self.requests = {r.id: r for r in found}
        self.table.set_rows([((local_time(r.requested_at), r.requested_by, r.external_id, r.queue,
                               decision_words(self.taxonomy, r.action, r.labels), r.reason), r.id) for r in found])
        self.summary.setText(f"{len(found)} open request{'' if len(found) == 1 else 's'}" if found
                             else "No open requests.")
        self._selected()
        self.loaded.emit()

    def selected(self) -> Row | None:
        if self.stack.item is not None and self.shown is not None:
            return self.shown
        key = self.table.current_key()
        return self.requests.get(key) if key is not None else None

    def _selected(self) -> None:
        chosen = self.selected()
        self.detail.setText(request_text(chosen, self.taxonomy) if chosen is not None else "")
        self.decline_button.setEnabled(chosen is not None)

    # ------------------------------------------------------------- the item
    def open_selected(self) -> None:
        chosen = self.selected()
        if chosen is None or self.reason.hasFocus() or self.decision.note.hasFocus() or self.stack.item is not None:
            return
        user, decision_id = self.user, chosen.decision_id
        self.ops.query(lambda reader: corrections.item_for(reader, user, decision_id),
                       on_done=lambda item: self._show(chosen, item), on_error=self._said, owner=self)

    def _show(self, chosen: Row, item: Item) -> None:
        if not self.stack.open(item):
            self.message.setText("On a break: items are shown again after it.")
            return
        self.shown = chosen
        self.facts.setText(request_text(chosen, self.taxonomy))
        self.detail.hide()  # said beside the item
        self.decision.reset()
        self.decision.set_enabled(True)
        self.keys.setText(ITEM_KEYS)
        self.stack.refocus()
        self._deciding(True)

    def _returned(self) -> None:
        self.shown = None
        self.detail.show()
        self._deciding(False)
        self.keys.setText(KEYS)
        self.table.setFocus()

    def _label(self, key: str) -> None:
        if not self.decision.note.hasFocus():
            self.decision.toggle_label_key(key)

    # ------------------------------------------------------------- answers
    def correct(self, action: str) -> None:
        """An action's key (or button) with the item open: the lead's decision replaces the one asked about."""
        chosen = self.shown
        if chosen is None or self.sending or self.decision.note.hasFocus():
            return
        user, policy, request_id = self.user, self.taxonomy, chosen.id
        labels, note = self.decision.chosen_labels(), self.decision.note.text()
        self.sending = True
        self.ops.write(lambda store: corrections.correct(store, policy, user, request_id, action, labels, note),
                       on_done=lambda done: self._answered(f"Corrected: {done.external_id} now has your decision; "
                                                           f"{done.requested_by} sees it in their list."),
                       on_error=self._said, owner=self)

    def start_decline(self) -> None:
        """D: the reason field for the selected request, which stays the one declined whatever the list does."""
        chosen = self.selected()
        if chosen is None:
            self.message.setText("Choose a request first.")
            return
        self.declining = chosen
        self.message.setText(f"Declining {chosen.requested_by}'s request about {chosen.external_id}: "
                             "Enter sends your reason, Esc cancels.")
        self.form.show()
        self.reason.setFocus()

    def escape(self) -> None:
        """Esc: leave the reason field or the note; otherwise, on the item, hide the media as everywhere."""
        if self.form.isVisible():
            self.declining = None
            self.reason.clear()
            self.form.hide()
            self.message.clear()
            self.stack.refocus()
        elif self.decision.note.hasFocus():
            self.stack.refocus()
        else:
            self.stack.escape()

    def send_decline(self) -> None:
        chosen = self.declining
        if chosen is None or self.sending:
            return
        user, request_id, text = self.user, chosen.id, self.reason.text()
        self.sending = True
        self.ops.write(lambda store: corrections.decline(store, user, request_id, text),
                       on_done=lambda done: self._answered(f"Declined: {done.requested_by} reads your reason."),
                       on_error=self._said, owner=self)

    def _answered(self, text: str) -> None:
        self.sending = False
        self.declining = None
        self.reason.clear()
        self.form.hide()
        self.stack.back()
        self.message.setText(text)
        self.answered.emit()

    def _said(self, exc: BaseException) -> None:
        self.sending = False
        text = str(exc) if isinstance(exc, VeilError) else f"Not done: {reason(exc)}"
        self.message.setText(text)
        if self.stack.item is not None:
            self.decision.say(text)

    # ------------------------------------------------------------ plumbing
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def close_page(self) -> None:
        self._loads.close()
        self.stack.close_view()
