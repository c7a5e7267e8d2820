"""Complaints against decisions (DSA Art. 20): what one is against, and ending it upheld or reversed.

A complaint is imported like an item, with ``complaint_of`` naming the
original item's external id (``review.imports.complaints``); it waits in
the queue its row names (a complaints queue is simply one holding them),
and is served like any item except to the person who made the decision
complained of (``review.serving``, re-checked in the claim's transaction
and again when it ends). Whoever holds it ends it here, with a reason:

- **upheld**: the decision stands; the complaint item is closed with the
  original's action and labels;
- **reversed**: a new decision (*action*, *labels*) is recorded on the
  original item, and closes the complaint item too. Where a statement of
  reasons had been sent for the original, the audit side sends one for
  the new decision (``audit.compliance``: a row in ``dsa_statements``).

Each ends with one ``complaint.upheld`` or ``complaint.reversed`` event,
besides the decision events ``veil verify`` matches rows with.
"""

from __future__ import annotations

from collections.abc import Sequence

from review.auth import require
from review.clock import normalise
from review.decisions import DecisionError
from review.errors import NotAllowed
from review.serving import REVIEWERS, WORKED_BY, claim_refused
from review.store import Refused, Store, User
from review.store import complaints as complaint_rows
from review.store.complaints import OUTCOMES, Against, Ended
from review.taxonomy import Taxonomy

__all__ = ["OUTCOMES", "Against", "Ended", "against", "resolve"]


def against(store: Store, item_id: int) -> Against | None:
    """What the item is a complaint against (for the review page to show beside it), or None for an ordinary item."""
    return complaint_rows.against(store, item_id)


def resolve(store: Store, taxonomy: Taxonomy, user: User | str, item_id: int, *, claim: int, outcome: str,
            note: str, action: str | None = None, labels: Sequence[str] = (), shown_at: str | None = None) -> Ended:
    """End the complaint *claim* holds as ``"upheld"`` or ``"reversed"`` (with the new *action* and *labels*).

    *note* is the reason, required: Art. 20(5) asks for a reasoned
    decision. A reversal's action and labels follow the taxonomy's rules
    and may not escalate or repeat the decision complained of.
    DecisionError for a rule not met, NotAllowed for the person who made
    the decision complained of, LeaseLost when the claim ended.
    """
    person = require(store, user, *REVIEWERS, to="decide complaints")
    if outcome not in OUTCOMES:
        raise DecisionError(f"a complaint ends {' or '.join(OUTCOMES)}, not {outcome!r}")
    if not note.strip():
        raise DecisionError("Say why in the note: the person who complained is told the reasons")
    found = complaint_rows.against(store, item_id)
    if found is None:
        raise DecisionError("This item is not a complaint")
    if outcome == "reversed":
        if not action:
            raise DecisionError("A reversal needs the new action")
        problem = taxonomy.check(action, labels, note)
        if problem:
            raise DecisionError(problem)
        if taxonomy.action(action).escalates:
            raise DecisionError("A complaint is decided, not escalated: choose the action that replaces the decision")
        if action == found.action and sorted(labels) == sorted(found.labels):
            raise DecisionError("That is the decision complained of: uphold it instead")
    if shown_at is not None:
        shown_at = normalise(shown_at)
    try:
        return complaint_rows.resolve(store, person, item_id, claim=claim, worked_by=WORKED_BY, outcome=outcome,
                                      action=action, labels=labels, note=note, shown_at=shown_at)
    except Refused as refused:
        if refused.reason == "own_decision":
            raise NotAllowed("You made the decision this complaint is against: someone else decides it") from None
        if refused.reason == "ended":
            raise DecisionError(f"This complaint was already {refused.detail}") from None
        if refused.reason == "not_complaint":
            raise DecisionError("This item is not a complaint") from None
        raise claim_refused(store, person, refused) from None
