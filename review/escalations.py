"""The lead's escalation workbench: what waits in escalation queues, and taking, sending back or moving it.

A moderator escalates through the review desk (``review.decisions.decide``
with the escalate action and, where the queue allows several, the chosen
escalation queue); the escalation's facts — who, why (the note, required),
from which queue, when — are that decision's row, and
:mod:`review.store.escalations` keeps where it went and how it ended.

Here a lead lists what waits (:func:`waiting`, breached first), opens one
(:func:`take`: a claim on that very item, so the lead's decision goes
through the review desk like any other and ends the escalation),
sends it back to the moderators' queue with a note the next moderator
reads (:func:`send_back`), or moves it to another escalation queue
(:func:`move`). Every one of them is a lead's alone, checked here with
the person's roles re-read, and each change is one transaction with one
event (``item.claimed``, ``escalation.sent_back``, ``escalation.moved``).
"""

from __future__ import annotations

import datetime as _dt

from review.auth import require
from review.clock import iso, normalise, parse
from review.errors import NotAllowed, VeilError
from review.serving import LEASE_SECONDS, WORKED_BY, Lease, load_item, refuse_unplanned
from review.store import Queue, Refused, Store, User, queue_admin
from review.store import decisions as decision_rows
from review.store import escalations as rows
from review.store.escalations import Facts, Waiting
from review.taxonomy import Taxonomy
from review.wellbeing.breaks import refuse_during_break

__all__ = ["EscalationError", "Facts", "Waiting", "due_if_moved", "escalation_queues", "latest", "move",
           "record_past_escalation", "routes", "send_back", "take", "waiting"]


class EscalationError(VeilError):
    """An escalation change that cannot be made; the message is said on screen."""


def waiting(store: Store, who: User | str) -> list[Waiting]:
    """Every item waiting in an escalation queue, breached first: who escalated it, why, from where, since when."""
    lead = require(store, who, "lead", to="see the escalations")
    return rows.waiting(store, lead)


def escalation_queues(store: Store, who: User | str) -> list[Queue]:
    """The active escalation queues (where a lead may move an escalation)."""
    require(store, who, "lead", to="see the escalations")
    merged = queue_admin.merged_into(store)
    return [q for q in store.queues() if q.kind == "escalation" and q.id not in merged]


def routes(store: Store, queue: Queue) -> list[Queue]:
    """Where "escalate" in *queue* may send an item: its default escalation queue first."""
    return rows.routes(store, queue)


def latest(store: Store, item_id: int) -> Facts | None:
    """The item's latest escalation (open, or how it ended: a sent-back item carries the lead's note)."""
    return rows.latest(store, item_id)


def take(store: Store, who: User | str, item_id: int, *, lease_seconds: int = LEASE_SECONDS) -> Lease:
    """Open this escalation for the lead: the item, leased to them under a new claim (its ``item.claimed``).

    The lead decides it with ``ReviewDesk.decide`` and that claim, like any
    item. EscalationError when it was decided, moved out of the escalation
    queues, or another lead has it open; NotAllowed outside the lead's
    queue limit; OnBreak while their break runs (an escalation shows an
    item, as a claim does).
    """
    lead = require(store, who, "lead", to="work escalations")
    refuse_during_break(store, lead)
    try:
        claim = rows.take(store, lead, item_id, worked_by=WORKED_BY, lease_seconds=lease_seconds,
                          screen=refuse_unplanned(store, lead))
    except Refused as refused:
        raise _said(lead, refused) from None
    return Lease(load_item(store, item_id), claim)


def send_back(store: Store, who: User | str, item_id: int, note: str, *, claim: int | None = None) -> str:
    """Return the escalation to the queue it came from, with *note* for the moderator; that queue's name.

    The item gets back the due time it had before it was escalated and goes
    to the front of that queue (its priority raised above every waiting
    item's there), so the next moderator served from it reads the note soon. *claim*: the lead's own
    claim if they have it open (any other live claim refuses).
    """
    lead = require(store, who, "lead", to="send escalations back")
    note = (note or "").strip()
    if not note:
        raise EscalationError("Sending back needs a note: tell the moderator what to do with it")
    try:
        return rows.send_back(store, lead, item_id, note, claim=claim, worked_by=WORKED_BY)
    except Refused as refused:
        raise _said(lead, refused) from None


def due_if_moved(since: str, target: Queue) -> str:
    """The due time an escalation waiting since *since* (escalated, or received if it arrived directly) gets in
    *target*: what :func:`move` stores, so a lead sees before moving whether it would arrive breached."""
    return iso(parse(since) + _dt.timedelta(seconds=target.sla_seconds))


def move(store: Store, who: User | str, item_id: int, to: str, *, claim: int | None = None) -> str:
    """Move the waiting escalation to the escalation queue *to*; its new due time (escalated at + that SLA)."""
    lead = require(store, who, "lead", to="move escalations")
    try:
        target = store.queue(to)
    except KeyError:
        raise EscalationError(f"There is no queue named “{to}”.") from None
    if target.kind != "escalation":
        raise EscalationError(f"“{to}” is a {target.kind} queue; an escalation moves only to another escalation "
                              "queue (send it back to return it to moderators)")
    try:
        return rows.move(store, lead, item_id, target, claim=claim, worked_by=WORKED_BY)
    except Refused as refused:
        raise _said(lead, refused) from None


def record_past_escalation(store: Store, taxonomy: Taxonomy, *, item_id: int, user: str, escalate_to: str,
                           reason: str, escalated_at: str) -> int:
    """Store an escalation made earlier (the demo's): *user* escalated the item to *escalate_to*; the decision id."""
    action = taxonomy.escalation
    if action is None:
        raise EscalationError("The taxonomy has no escalating action")
    if not reason.strip():
        raise EscalationError("An escalation needs a reason")
    try:
        return decision_rows.record_past_escalation(store, store.user(user), item_id, action=action.id,
                                                    escalate_to=escalate_to, reason=reason,
                                                    escalated_at=normalise(escalated_at))
    except Refused as refused:
        raise EscalationError(f"item {item_id} cannot be escalated to “{escalate_to}” ({refused})") from None


def _said(lead: User, refused: Refused) -> VeilError:
    """A refused escalation change in words."""
    reason, detail = refused.reason, refused.detail
    if reason == "held":
        return EscalationError(f"{detail} has this escalation open now" if detail != lead.name
                               else "You have this escalation open in another window")
    if reason == "decided":
        return EscalationError("This escalation was decided meanwhile")
    if reason == "not_escalated":
        return EscalationError(f"This item is no longer waiting in an escalation queue (it is in “{detail}” now)")
    if reason == "no_escalation":
        return EscalationError(f"Nobody escalated this item: it was reported straight to “{detail}”, so there is "
                               "no moderators' queue to send it back to")
    if reason == "same_queue":
        return EscalationError(f"It is in “{detail}” already")
    if reason == "target_merged":
        return EscalationError(f"“{detail}” was merged into another queue; choose that one")
    if reason == "queue_kind":
        return NotAllowed(f"{lead.name} is not a lead: only a lead can work escalations")
    if reason == "queue_not_allowed":
        return NotAllowed(f"{lead.name} may not work “{detail}”: it is outside the queues set for them "
                          "(a lead changes that on the People page)")
    if reason == "inactive":
        return NotAllowed(f"{lead.name} was deactivated and can no longer work escalations")
    return EscalationError(str(refused))
