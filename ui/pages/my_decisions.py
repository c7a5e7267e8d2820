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
when decisions change, F5 reloads it. The page's skeleton (list, item
face, reason form, keys) is ``ui.pages.decided_page``, shared with the
lead's "Corrections" at the other end of the request.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from review import corrections
from review.corrections import MyDecision
from review.taxonomy import Taxonomy
from ui.pages.decided_page import DecidedPage, Listing, ReasonAsk
from ui.pages.my_decisions_view import DeskServices
from ui.pages.qa_common import decision_words, local_time, text_label

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


class MyDecisionsPage(DecidedPage[MyDecision]):
    """The person's own decisions; the page's answer is asking a lead to correct one (C)."""

    asked = Signal()

    def __init__(self, services: DeskServices, parent: QWidget | None = None):
        user, states = services.user, services.audit_states
        facts = text_label("decisionFacts")  # beside the item on its view
        facts.setMinimumWidth(360)
        super().__init__(
            services, lambda reader: corrections.my_decisions(reader, user, audit_states=states),
            name="myDecisionsPage", side=facts, detail_name="decisionDetail", keys=(KEYS, ITEM_KEYS),
            listing=Listing("My decisions", COLUMNS, "Item", "myDecisionsTable", "My recent decisions",
                            "your decisions"),
            ask=ReasonAsk(ASK_KEY, "Ask a lead to correct…", "correctionReason", "Why the decision should be corrected",
                          "Why should a lead correct it? Enter sends, Esc cancels", send_button="Send to a lead"),
            parent=parent)
        self.facts = facts

    def cells(self, row: MyDecision) -> tuple[str, ...]:
        return (local_time(row.decided_at), item_words(row), decision_words(self.taxonomy, row.action, row.labels),
                now_words(row))

    def summary_text(self, found: list[MyDecision]) -> str:
        waiting = sum(1 for d in found if d.open_request is not None)
        return (f"Your last {len(found)} decisions" + (f" · {waiting} waiting for a lead" if waiting else "")
                if found else "No decisions yet.")

    def detail_text(self, row: MyDecision) -> str:
        return detail_text(row, self.taxonomy)

    def may_ask(self, row: MyDecision) -> bool:
        return row.may_ask

    def decision_id(self, row: MyDecision) -> int:
        return row.id

    def showing(self, row: MyDecision) -> None:
        self.facts.setText("Your decision\n" + detail_text(row, self.taxonomy))

    # ------------------------------------------------------------- requests
    def start_answer(self) -> None:
        """C: the reason field for the selected decision, or why it cannot be asked about."""
        chosen = self.selected()
        if chosen is None:
            self.message.setText("Choose a decision first.")
            return
        if not self.ask_button.isEnabled():
            self.message.setText("A request is already waiting for a lead." if chosen.open_request is not None
                                 else f"This decision is {chosen.state}: there is nothing to correct.")
            return
        self.open_form()

    def send_answer(self) -> None:
        chosen = self.selected()
        if chosen is None or self.sending:
            return
        user, decision_id, text = self.user, chosen.id, self.reason.text()
        self.sending = True
        self.ops.write(lambda store: corrections.request(store, user, decision_id, text), on_done=self._sent,
                       on_error=self._said, owner=self)

    def _sent(self, _row: object) -> None:
        self.sending = False
        self.close_form()
        self.message.setText("Sent: a lead will correct the decision or say why it stands; the answer shows here.")
        self.asked.emit()
        self.stack.refocus()
