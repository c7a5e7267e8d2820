""""My decisions": the person's last 50 decisions, read-only, and asking a lead to correct one.

For moderators and leads (everyone who decides). Each row says when, the
item (a text item's first words; media is never shown here,
only veiled on the item view), the action and labels, and what became of
it: undone, corrected by a lead, escalated, audited by QA, a correction
asked for, declined (with the lead's reason) or made. Enter opens the item
on the read-only item view (``ui.pages.my_decisions_view``: veiled,
exposure booked), Backspace returns. **C** asks a lead to correct the
selected decision: the reason (required, at most 1,000 characters), Enter
sends it, Esc cancels; one request may be open per decision, and the
domain (``review.corrections``) says why when it refuses. Everything is
one read or one write through the operations runner; the list reloads
when decisions change, F5 reloads it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from review import corrections
from review.corrections import MyDecision
from review.errors import VeilError
from review.serving import Item
from review.taxonomy import Taxonomy
from ui.item.view import ItemView
from ui.pages.my_decisions_view import DecidedItemStack, DecidedServices
from ui.pages.qa_common import ReadOnlyTable, decision_words, local_time, text_label
from ui.refresh import SingleFlight, reason
from ui.widgets.lists import page_title

COLUMNS = ("Decided", "Item", "Decision", "Now")  # the queue is in the line under the list: the item needs the room
EXCERPT_SHOWN = 36  # characters of a text item in the list; the detail line and the item view show more
ASK_KEY = "C"
KEYS = f"↑/↓ choose · Enter opens the item (veiled) · {ASK_KEY} asks a lead to correct it · F5 refreshes"
ITEM_KEYS = f"Hold Space to see · Esc hides · T thread · Backspace back to the list · {ASK_KEY} asks for a correction"


def now_words(decision: MyDecision) -> str:
    """What became of the decision in a few words: "stands · audited · correction asked" (QA only once audited)."""
    parts = [decision.state, "audited" if decision.audited else ""]
    if decision.requests:
        last = decision.requests[-1].outcome
        parts.append({None: "correction asked", "declined": "correction declined"}.get(last, ""))
    return " · ".join(part for part in parts if part)


def item_words(decision: MyDecision) -> str:
    """The item as the list shows it: its id and a text item's first words, never its media."""
    if decision.has_media:
        return f"{decision.external_id} · {decision.kind} (veiled)"
    text = decision.excerpt if len(decision.excerpt) <= EXCERPT_SHOWN else decision.excerpt[:EXCERPT_SHOWN - 1] + "…"
    return f"{decision.external_id} · {text}" if text else decision.external_id


def detail_text(decision: MyDecision, taxonomy: Taxonomy) -> str:
    """The selected decision in full: the note, and each correction request with its answer."""
    lines = [f"{decision.queue} · {local_time(decision.decided_at)} · "
             f"{decision_words(taxonomy, decision.action, decision.labels)} · {decision.state}"]
    if decision.note:
        lines.append(f"Your note: “{decision.note}”")
    for asked in decision.requests:
        line = f"You asked {local_time(asked.requested_at)}: “{asked.reason}”"
        if asked.outcome == "declined":
            line += f" — declined by {asked.ended_by}: “{asked.outcome_note}”"
        elif asked.outcome == "corrected":
            line += f" — corrected by {asked.ended_by}" + (f": “{asked.outcome_note}”" if asked.outcome_note else "")
        else:
            line += " — waiting for a lead"
        lines.append(line)
    return "\n".join(lines)


class MyDecisionsPage(QWidget):
    loaded = Signal()
    asked = Signal()

    def __init__(self, services: DecidedServices, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("myDecisionsPage")
        self.services = services
        self.ops, self.user, self.taxonomy = services.ops, services.user, services.taxonomy
        self.decisions: dict[int, MyDecision] = {}
        self.sending = False
        user, states = self.user, services.audit_states
        self._loads = SingleFlight(lambda reader: corrections.my_decisions(reader, user, audit_states=states),
                                   self.ops, parent=self, reload_on={"decision"}, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(lambda exc: self.summary.setText(f"Could not load your decisions: {reason(exc)}"))
        self._build()

    def _build(self) -> None:
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("hint")
        head = QHBoxLayout()
        head.addWidget(page_title("My decisions"))
        head.addSpacing(16)
        head.addWidget(self.summary, 0, Qt.AlignmentFlag.AlignBottom)
        head.addStretch(1)
        self.table = ReadOnlyTable(COLUMNS, "myDecisionsTable", stretch=COLUMNS.index("Item"))
        self.table.setAccessibleName("My recent decisions")
        self.table.itemSelectionChanged.connect(self._selected)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.facts = text_label("decisionFacts")  # beside the item on its view
        self.facts.setMinimumWidth(360)
        self.stack = DecidedItemStack(self.table, self.services, side=self.facts, key_scope=self)
        self.stack.returned.connect(self._returned)
        self.detail = text_label("decisionDetail")
        self.ask_button = QPushButton(f"Ask a lead to correct…  ({ASK_KEY})")
        self.ask_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.ask_button.clicked.connect(self.start_request)
        self.reason = QLineEdit()
        self.reason.setObjectName("correctionReason")
        self.reason.setAccessibleName("Why the decision should be corrected")
        self.reason.setPlaceholderText("Why should a lead correct it? Enter sends, Esc cancels")
        self.reason.setMaxLength(corrections.MAX_REASON_CHARS)
        self.reason.returnPressed.connect(self.send_request)
        send = QPushButton("Send to a lead")
        send.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        send.clicked.connect(self.send_request)
        self.form = QFrame()
        row = QHBoxLayout(self.form)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.reason, 1)
        row.addWidget(send)
        self.form.hide()
        actions = QHBoxLayout()
        actions.addWidget(self.ask_button, 0, Qt.AlignmentFlag.AlignLeft)
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
        for key, handler in ((ASK_KEY, self.start_request), ("Return", self.open_selected),
                             ("Esc", self.cancel_request), ("F5", self.refresh)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(handler)

    @property
    def item_view(self) -> ItemView:
        """The item face's view (``desktop.pages.apply_personal_view`` hands a newly saved view to it)."""
        return self.stack.item_view

    # ------------------------------------------------------------- the list
    def refresh(self) -> None:
        self._loads.request()

    def _loaded(self, found: list[MyDecision]) -> None:
        self.decisions = {d.id: d for d in found}
        self.table.set_rows([(self._cells(d), d.id) for d in found])
        waiting = sum(1 for d in found if d.open_request is not None)
        self.summary.setText(f"Your last {len(found)} decisions" + (f" · {waiting} waiting for a lead" if waiting
                                                                      else "") if found else "No decisions yet.")
        self._selected()
        self.loaded.emit()

    def _cells(self, d: MyDecision) -> tuple[str, ...]:
        return (local_time(d.decided_at), item_words(d), decision_words(self.taxonomy, d.action, d.labels),
                now_words(d))

    def selected(self) -> MyDecision | None:
        key = self.table.current_key()
        return self.decisions.get(key) if key is not None else None

    def _selected(self) -> None:
        chosen = self.selected()
        self.detail.setText(detail_text(chosen, self.taxonomy) if chosen is not None else "")
        self.ask_button.setEnabled(chosen is not None and chosen.may_ask)

    # ------------------------------------------------------------- the item
    def open_selected(self) -> None:
        """Enter: the selected decision's item on the read-only item view (Enter in the reason sends instead)."""
        chosen = self.selected()
        if chosen is None or self.reason.hasFocus() or self.stack.item is not None:
            return
        user, decision_id = self.user, chosen.id
        self.ops.query(lambda reader: corrections.item_for(reader, user, decision_id),
                       on_done=lambda item: self._show(chosen, item), on_error=self._said, owner=self)

    def _show(self, decision: MyDecision, item: Item) -> None:
        if not self.stack.open(item):
            self.message.setText("On a break: items are shown again after it.")
            return
        self.facts.setText("Your decision\n" + detail_text(decision, self.taxonomy))
        self.detail.hide()  # said beside the item
        self.keys.setText(ITEM_KEYS)
        self.stack.refocus()

    def _returned(self) -> None:
        self.detail.show()
        self.keys.setText(KEYS)
        self.table.setFocus()

    # ------------------------------------------------------------- requests
    def start_request(self) -> None:
        """C: the reason field for the selected decision."""
        chosen = self.selected()
        if chosen is None:
            self.message.setText("Choose a decision first.")
            return
        if not self.ask_button.isEnabled():
            self.message.setText("A request is already waiting for a lead." if chosen.open_request is not None
                                 else f"This decision is {chosen.state}: there is nothing to correct.")
            return
        self.message.clear()
        self.form.show()
        self.reason.setFocus()

    def cancel_request(self) -> None:
        """Esc: leave the reason field; otherwise, on the item view, hide the media as everywhere."""
        if not self.form.isVisible():
            self.stack.escape()
            return
        self.reason.clear()
        self.form.hide()
        self.message.clear()
        self.stack.refocus()

    def send_request(self) -> None:
        chosen = self.selected()
        if chosen is None or self.sending:
            return
        user, decision_id, text = self.user, chosen.id, self.reason.text()
        self.sending = True
        self.ops.write(lambda store: corrections.request(store, user, decision_id, text), on_done=self._sent,
                       on_error=self._said, owner=self)

    def _sent(self, _row: object) -> None:
        self.sending = False
        self.reason.clear()
        self.form.hide()
        self.message.setText("Sent: a lead will correct the decision or say why it stands; the answer shows here.")
        self.asked.emit()
        self.stack.refocus()

    def _said(self, exc: BaseException) -> None:
        self.sending = False
        self.message.setText(str(exc) if isinstance(exc, VeilError) else f"Not done: {reason(exc)}")

    # ------------------------------------------------------------ plumbing
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def close_page(self) -> None:
        self._loads.close()
        self.stack.close_view()
