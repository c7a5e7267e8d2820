"""Decisions: append-only rows, each written in one transaction with its event.

A decision closes its item (``state = 'decided'``) and releases its lease.
Undo never deletes: it appends a row whose ``revokes_id`` points at the
revoked decision and puts the item back to ``pending``. An item's current
decision is its latest row that neither revokes nor has been revoked.

This module holds the rules (the taxonomy's, the undo window) and says
what a refusal means; the transactions and their SQL are
:mod:`review.store.decisions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from review import near_copies
from review.auth import require
from review.clock import normalise
from review.errors import NotAllowed, VeilError
from review.near_copies import SeenBefore
from review.serving import LEASE_SECONDS, REVIEWERS, WORKED_BY, Item, Lease, claim_refused, load_item, refuse_unplanned
from review.store import Refused, Store, User
from review.store import complaints as complaint_rows
from review.store import decisions as decision_rows
from review.taxonomy import Taxonomy

UNDO_WINDOW_S = 10.0


class DecisionError(VeilError):
    """A decision that cannot be stored; the message is said on screen."""


class RouteGone(DecisionError):
    """The escalation queue chosen is not one the item's queue escalates to any more (a lead changed its
    routes since the item was shown); ``routes`` are the ones it offers now, read by the desk."""

    routes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    id: int
    item_id: int
    user: str
    queue_id: int
    action: str
    labels: tuple[str, ...]
    note: str
    decided_at: str
    handle_ms: int | None
    revealed_ms: int
    source: str
    escalated_to: str | None = None  # the escalation queue it was sent to, if it escalated


def record_past_decision(
    store: Store,
    *,
    item_id: int,
    user: str,
    action: str,
    labels: Sequence[str] = (),
    decided_at: str,
    note: str = "",
    handle_ms: int | None = None,
    source: str = "import",
) -> int:
    """Store a decision made earlier, elsewhere (history import, demo data).

    No lease is involved: the decision happened outside this store's
    serving. The item is closed like any decided item.
    """
    try:
        return decision_rows.record_past(
            store, store.user(user), item_id, action=action, labels=labels, decided_at=normalise(decided_at),
            note=note, handle_ms=handle_ms, source=source,
        )
    except Refused:
        raise DecisionError(f"no item with id {item_id}") from None


def decide(
    store: Store,
    taxonomy: Taxonomy,
    user: User,
    item_id: int,
    *,
    claim: int,
    action: str,
    labels: Sequence[str] = (),
    note: str = "",
    shown_at: str | None = None,
    revealed_ms: int = 0,
    escalate_to: str | None = None,
    decided_at: str | None = None,
) -> Decision:
    """Record *user*'s decision on the item their *claim* holds, in one transaction (*decided_at*: when it was
    pressed, if earlier than it is stored; see ``review.store.decisions.record``).

    Deciding needs the caller's own claim, still holding the item, pending,
    in a queue they may work now (review queues: moderators and leads;
    escalation queues: leads alone). A lapsed claim nobody touched counts:
    the decision resumes it, and ``item.lease_resumed`` is logged with it
    in the same transaction, so the history says the hold had lapsed.

    Raises NotAllowed (the role), LeaseLost (the claim ended: decided,
    escalated or given back elsewhere, or taken again) or DecisionError (a
    rule not met). ``escalate`` moves the item, still pending, to
    *escalate_to* — one of the escalation queues its queue allows (None:
    the first, its default) — with that queue's due time, for a lead to
    decide; it needs a reason (the note), whatever the taxonomy says.
    A complaint is refused either way (DecisionError): deciding it here
    would close it with no outcome, and escalating it would let the
    person complained of take it from the lead queue; it ends with
    :func:`review.complaints.resolve`.
    """
    problem = taxonomy.check(action, labels, note)
    escalates = taxonomy.action(action).escalates
    if not problem and escalates and not note.strip():
        problem = "Escalating needs a reason: say in the note why a lead should decide"
    if shown_at is not None:
        try:
            shown_at = normalise(shown_at)
        except (ValueError, TypeError, AttributeError):
            raise DecisionError(f"shown_at {shown_at!r} is not an ISO 8601 time") from None
    try:
        made = decision_rows.record(
            store, user, item_id, claim=claim, worked_by=WORKED_BY, action=action, labels=labels, note=note,
            shown_at=shown_at, revealed_ms=int(revealed_ms), escalate=escalates, escalate_to=escalate_to,
            decided_at=decided_at, ordinary=True, problem=problem or None,
        )
    except Refused as refused:
        if refused.reason in ("unknown", "inactive", "works_no_queue", "queue_kind"):
            require(store, user, *REVIEWERS, to="decide items")  # the words for one who may decide nothing at all
        if refused.reason == "complaint":  # an item is a complaint from its insert on, for good
            raise DecisionError("This item is a complaint: end it with Uphold or Reverse, which record the "
                                "outcome (a complaint is not decided as an ordinary item, nor escalated)") from None
        if refused.reason == "problem":
            raise DecisionError(refused.detail) from None
        if refused.reason == "no_escalation":
            raise RouteGone(
                f"The queue {refused.detail!r} has no escalation queue; ask a lead to set one") from None
        if refused.reason == "no_route":
            raise RouteGone(f"This queue does not escalate to “{refused.detail}” any more; press the escalate "
                            "key again to choose among the escalation queues it offers now") from None
        raise claim_refused(store, user, refused) from None
    return Decision(made.id, item_id, user.name, made.queue.id, action, tuple(labels), note, made.decided_at,
                    made.handle_ms, int(revealed_ms), "review",
                    made.escalated_to.name if made.escalated_to is not None else None)


_UNDO_REFUSALS = {
    "no_decision": "There is no such decision to undo",
    "not_owner": "Only the person who made a decision can undo it",
    "superseded": "This decision was already undone or superseded",
    "taken": "Someone else is already working on this item",
}


def undo(
    store: Store, user: User, decision_id: int, *, window_s: float = UNDO_WINDOW_S, lease_seconds: int = LEASE_SECONDS
) -> Lease:
    """Revoke the user's own recent decision and hand the item back to them, under a new claim.

    Appends a revoking row (nothing is deleted), reopens the item in the
    queue it was decided in, and leases it to the user again (its
    ``item.claimed`` event is the new claim). NotAllowed when that queue is
    one the person may not work now (a lead who lost the role since
    deciding an escalation; a queue merged meanwhile into one of another
    kind): undo hands out no lease a claim could not. DecisionError for a
    complaint's resolution or reversal: undoing either would leave the
    complaint's row naming a revoked decision (its ending is final).
    """
    user = require(store, user, *REVIEWERS, to="undo decisions")
    ended = complaint_rows.ended_by(store, decision_id)  # set with the decision, in its transaction: never later
    if ended is not None:
        raise DecisionError(f"This decision is a complaint's {ended}: a complaint's ending is final; a lead can "
                            "correct the item with a new decision")
    try:
        item_id, claim = decision_rows.revoke(store, user, decision_id, worked_by=WORKED_BY,
                                              window_ms=window_s * 1000, lease_seconds=lease_seconds,
                                              screen=refuse_unplanned(store, user))
    except Refused as refused:
        if refused.reason == "not_worked":
            raise NotAllowed(f"The decision stands: undoing it would reopen the item in “{refused.detail}”, "
                             f"a queue {user.name} may not work now") from None
        if refused.reason == "too_late":
            raise DecisionError(
                f"Undo is possible for {window_s:.0f} s after a decision; ask a lead to change it now") from None
        raise DecisionError(_UNDO_REFUSALS[refused.reason]) from None
    return Lease(load_item(store, item_id), claim)


def seen_before(store: Store, item: Item, *, bits: int | None = None) -> SeenBefore:
    """Current decisions on the same content elsewhere: {"remove": 3, ...}, with the nearest copy's distance.

    "The same content" is the same SHA-256 (bytes, or the text's normal form) or a PDQ hash within the
    organisation's threshold (:data:`review.near_copies.THRESHOLD`), so a re-upload or a re-encoded, resized
    copy shows its earlier outcome ("Seen before: remove ×3, 4 bits"). Every copy within the threshold is
    found (:mod:`review.media.pdq_index`) and counted in memory (:mod:`review.content_index`). *bits*: that
    threshold, when the caller read it with its other look-ups (None: read now).
    """
    return near_copies.seen_before(store, item.id, item.content_sha256, item.pdq, bits=bits)
