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
runner; the list reloads when decisions change, F5 reloads it. The
page's skeleton is ``ui.pages.decided_page``, shared with "My decisions".
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QVBoxLayout, QWidget

from review import corrections
from review.corrections import Row
from review.taxonomy import Taxonomy
from ui.pages.decided_page import DecidedPage, Listing, ReasonAsk
from ui.pages.my_decisions_view import DeskServices, page_key
from ui.pages.qa_common import decision_words, local_time, text_label
from ui.pages.review_panels import DecisionPanel

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


class CorrectionsPage(DecidedPage[Row]):
    """The open requests; the lead's answers are correcting (the decision keys, item open) or declining (D)."""

    answered = Signal()

    def __init__(self, services: DeskServices, parent: QWidget | None = None):
        user = services.user
        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        facts = text_label("requestFacts")
        decision = DecisionPanel(services.taxonomy)
        column.addWidget(facts)
        column.addWidget(decision)
        super().__init__(
            services, lambda reader: corrections.open_requests(reader, user),
            name="correctionsPage", side=side, detail_name="requestDetail", keys=(KEYS, ITEM_KEYS),
            listing=Listing("Corrections", COLUMNS, "Reason", "correctionsTable",
                            "Requests to correct a decision", "the requests"),
            ask=ReasonAsk(DECLINE_KEY, "Decline…", "declineReason", "Why the decision stands",
                          "Why does the decision stand? The moderator reads it. Enter sends, Esc cancels"),
            parent=parent)
        self.facts, self.decision = facts, decision
        self.shown: Row | None = None  # the request whose item is open
        self.declining: Row | None = None  # the request D chose: a reload reselecting the list never changes it
        decision.action_clicked.connect(self.correct)
        decision.note_done.connect(lambda: self.stack.refocus())
        self.deciding: list[QShortcut] = []
        for binding in services.bindings:
            command = binding.command
            if command.startswith("action:"):
                self.deciding.append(page_key(self, binding.key, partial(self.correct, command.split(":", 1)[1])))
            elif command.startswith("label:"):
                self.deciding.append(page_key(self, binding.key, partial(self._label, command.split(":", 1)[1])))
            elif command == "note":
                self.deciding.append(page_key(self, binding.key, decision.note.setFocus))
        self._deciding(False)

    def _deciding(self, on: bool) -> None:
        for shortcut in self.deciding:  # the decision keys mean something only with the item open
            shortcut.setEnabled(on)

    # ------------------------------------------------------------- the list
    def cells(self, row: Row) -> tuple[str, ...]:
        return (local_time(row.requested_at), row.requested_by, row.external_id, row.queue,
                decision_words(self.taxonomy, row.action, row.labels), row.reason)

    def summary_text(self, found: list[Row]) -> str:
        return f"{len(found)} open request{'' if len(found) == 1 else 's'}" if found else "No open requests."

    def detail_text(self, row: Row) -> str:
        return request_text(row, self.taxonomy)

    def decision_id(self, row: Row) -> int:
        return row.decision_id

    def selected(self) -> Row | None:
        """With the item open, the request it belongs to (the list behind it may have reloaded)."""
        if self.stack.item is not None and self.shown is not None:
            return self.shown
        return super().selected()

    # ------------------------------------------------------------- the item
    def typing(self) -> bool:
        return super().typing() or self.decision.note.hasFocus()

    def showing(self, row: Row) -> None:
        self.shown = row
        self.facts.setText(request_text(row, self.taxonomy))
        self.decision.reset()
        self.decision.set_enabled(True)
        self._deciding(True)

    def _returned(self) -> None:
        self.shown = None
        self._deciding(False)
        super()._returned()

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

    def start_answer(self) -> None:
        """D: the reason field for the selected request, which stays the one declined whatever the list does."""
        chosen = self.selected()
        if chosen is None:
            self.message.setText("Choose a request first.")
            return
        self.declining = chosen
        self.open_form(f"Declining {chosen.requested_by}'s request about {chosen.external_id}: "
                       "Enter sends your reason, Esc cancels.")

    def close_form(self) -> None:
        self.declining = None
        super().close_form()

    def escape(self) -> None:
        """Esc: leave the reason field or the note; otherwise, on the item, hide the media as everywhere."""
        if not self.form.isVisible() and self.decision.note.hasFocus():
            self.stack.refocus()
        else:
            super().escape()

    def send_answer(self) -> None:
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
        self.close_form()
        self.stack.back()
        self.message.setText(text)
        self.answered.emit()

    def _said(self, exc: BaseException) -> None:
        super()._said(exc)
        if self.stack.item is not None:
            self.decision.say(self.message.text())
