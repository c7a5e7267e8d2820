"""My recent decisions, and asking a lead to correct one: the request, and the lead declining or correcting it.

Undo lasts ten seconds; after that a moderator who sees they were wrong asks
a lead (issue 14 §1). Everyone who decides (moderators and leads) reads
their own last decisions — never anyone else's — with what became of each:
undone, corrected, escalated, audited (QA's answer comes from the audit
domain through the *audit_states* hook the composition root hands in:
review never reads audit tables), and their correction requests. A request
needs a reason (at most :data:`MAX_REASON_CHARS`); one may be open per
decision, and only for a decision that still stands on a decided item.

QA's answer is shown only once an audit is done: an open sample is never
told to the person it samples. A decision replaced since (a correction, a
complaint's reversal) is "superseded" and cannot be asked about again.

Leads see the open requests of the queues their limit reaches and end each
one: **decline** with a reason (the moderator reads it in their list) or
**correct** with a decision of their own, recorded beside the original as
a complaint's reversal is: it becomes the item's current decision, while
the original is not revoked, so QA, gold and the SLA of the period it was
made in keep it. A lead does not end a request about their own decision,
nor one outside their queue limit (re-checked in the write). Each is one event
(``decision.correction_requested``, ``decision.correction_declined``,
``decision.corrected``), replayed by ``review.store.reconcile_corrections``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from review.auth import require
from review.errors import NotAllowed, VeilError
from review.serving import REVIEWERS, Item, load_item
from review.store import Refused, Store, User
from review.store import corrections as rows
from review.store.corrections import Row
from review.store.people import allowed_queue_ids
from review.taxonomy import Taxonomy

__all__ = ["MAX_REASON_CHARS", "RECENT", "CorrectionRefused", "MyDecision", "Row", "correct", "decline",
           "item_for", "my_decisions", "open_requests", "request"]

RECENT = 50  # decisions "My decisions" lists
MAX_REASON_CHARS = 1000
EXCERPT_CHARS = 120  # of a text item's text in the list; the item view shows it whole

#: decision ids → the audit state of each that QA sampled ("open", "audited", "cancelled"); from the audit domain.
#: Only "audited" reaches the person: an open sample told to the moderator it samples would no longer be blind.
AuditStates = Callable[[Store, Sequence[int]], Mapping[int, str]]


class CorrectionRefused(VeilError, ValueError):
    """A request, decline or correction that cannot be kept; the message says why."""


@dataclass(frozen=True)
class MyDecision:
    """One of the person's decisions and what became of it (read-only)."""

    id: int
    item_id: int
    external_id: str
    kind: str
    excerpt: str  # the start of the item's text (text is never veiled; media is shown only on the item view)
    has_media: bool
    severity: str | None
    queue: str
    action: str
    labels: tuple[str, ...]
    note: str
    decided_at: str
    escalated: bool
    undone: bool
    replaced_by: str | None  # the source of a later decision now current on the item ("correction", "complaint"…)
    audited: bool  # QA finished auditing it (an open sample is never said: see AuditStates)
    requests: tuple[Row, ...]  # the person's correction requests about it, oldest first

    @property
    def open_request(self) -> Row | None:
        return next((r for r in self.requests if r.outcome is None), None)

    @property
    def state(self) -> str:
        """What became of it, in words: undone, corrected by a lead, escalated, superseded (replaced by a later
        decision: a complaint's reversal, a lead deciding again) or stands."""
        if self.undone:
            return "undone"
        if any(r.outcome == "corrected" for r in self.requests):
            return "corrected by a lead"
        if self.escalated:
            return "escalated"
        return "superseded" if self.replaced_by is not None else "stands"

    @property
    def may_ask(self) -> bool:
        """Whether a correction may be asked for now: it stands and no request about it is open."""
        return self.state == "stands" and self.open_request is None


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS - 1] + "…"


def my_decisions(store: Store, who: User | str, *, limit: int = RECENT,
                 audit_states: AuditStates | None = None) -> list[MyDecision]:
    """*who*'s last *limit* decisions (clamped to 1…:data:`RECENT`), newest first: their own only, nobody reads
    another's list here."""
    user = require(store, who, *REVIEWERS, to="read their decisions")
    found = rows.decisions_of(store, user.id, min(max(int(limit), 1), RECENT))
    ids = [row[0] for row in found]
    states = audit_states(store, ids) if audit_states is not None and ids else {}
    audited = {decision_id for decision_id, state in states.items() if state == "audited"}
    asked: dict[int, list[Row]] = {}
    for row in rows.request_rows(store, user_id=user.id, decision_ids=ids) if ids else []:
        asked.setdefault(row.decision_id, []).append(row)
    listed = []
    for (decision_id, item_id, external_id, kind, text, media_path, severity, queue, action, labels, note,
         decided_at, escalated, undone, replaced_by) in found:
        listed.append(MyDecision(
            decision_id, item_id, external_id, kind, _excerpt(text or ""), bool(media_path), severity, queue, action,
            tuple(_labels(labels)), note, decided_at, bool(escalated), bool(undone), replaced_by,
            decision_id in audited, tuple(asked.get(decision_id, ()))))
    return listed


def _labels(text: str | None) -> list[str]:
    value = json.loads(text or "[]")
    return [str(v) for v in value] if isinstance(value, list) else []


def _reason(text: str, what: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise CorrectionRefused(f"Say why {what}: the reason is required")
    if len(reason) > MAX_REASON_CHARS:
        raise CorrectionRefused(f"A reason is at most {MAX_REASON_CHARS:,} characters ({len(reason):,} written)")
    return reason


_REFUSALS = {
    "no_decision": "There is no such decision",
    "superseded": "This decision no longer stands (undone, corrected or decided again since): nothing to correct",
    "escalated": "This decision sent the item to a lead, who decides it: there is nothing to correct yet",
    "complaint": "A complaint is about this decision (or it ended one): the complaint decides it, not a correction",
    "no_request": "There is no such correction request",
    "own_decision": "You made this decision: another lead answers your request",
}


def _said(refused: Refused) -> VeilError:
    if refused.reason == "not_owner":
        return NotAllowed("Only the person who made a decision can ask to correct it")
    if refused.reason == "not_lead":
        return NotAllowed("Only a lead can answer correction requests")
    if refused.reason == "already_open":
        return CorrectionRefused(f"A request to correct this decision is already open (request {refused.detail}): "
                                 "a lead answers it first")
    if refused.reason == "queue_not_allowed":
        return NotAllowed(f"Your queue limit does not reach {refused.detail}: a lead of that queue answers it")
    if refused.reason == "ended":
        return CorrectionRefused(f"This request was already {refused.detail}")
    return CorrectionRefused(_REFUSALS.get(refused.reason, refused.reason))


def request(store: Store, who: User | str, decision_id: int, reason: str) -> Row:
    """Ask a lead to correct *who*'s own *decision_id*, saying why (one ``decision.correction_requested``)."""
    user = require(store, who, *REVIEWERS, to="ask for a correction")
    said = _reason(reason, "it should be corrected")
    try:
        return rows.add_request(store, user, decision_id, said)
    except Refused as refused:
        raise _said(refused) from None


def open_requests(store: Store, who: User | str) -> list[Row]:
    """Every open request of an item in a queue the lead's limit reaches, oldest first (leads only)."""
    lead = require(store, who, "lead", to="see correction requests")
    return rows.request_rows(store, open_only=True, queue_ids=allowed_queue_ids(store, lead))


def decline(store: Store, who: User | str, request_id: int, reason: str) -> Row:
    """A lead declines the request with a reason the moderator reads (one ``decision.correction_declined``)."""
    lead = require(store, who, "lead", to="answer correction requests")
    said = _reason(reason, "the decision stands")
    try:
        return rows.decline(store, lead, request_id, said)
    except Refused as refused:
        raise _said(refused) from None


def correct(store: Store, taxonomy: Taxonomy, who: User | str, request_id: int, action: str,
            labels: Collection[str] = (), note: str = "") -> Row:
    """A lead corrects the decision: their *action* and *labels* replace it, by the taxonomy's rules.

    The action may not escalate (the lead is who an escalation goes to) and
    must differ from the decision it corrects (else decline the request).
    """
    lead = require(store, who, "lead", to="answer correction requests")
    chosen = list(dict.fromkeys(labels))
    note = (note or "").strip()
    problem = taxonomy.check(action, chosen, note)
    if problem:
        raise CorrectionRefused(problem)
    if taxonomy.action(action).escalates:
        raise CorrectionRefused("A correction decides the item: choose the action that replaces the decision")
    found = rows.request_row(store, request_id)
    if found is not None and found.action == action and sorted(found.labels) == sorted(chosen):
        raise CorrectionRefused("That is the decision already made: decline the request instead, saying why")
    try:
        return rows.correct(store, lead, request_id, action=action, labels=chosen, note=note)
    except Refused as refused:
        raise _said(refused) from None


def item_for(store: Store, who: User | str, decision_id: int) -> Item:
    """The item of *decision_id* for the read-only item view: the decision's maker, or a lead whose queue limit
    reaches the item's queue (the requests they answer)."""
    user = require(store, who, *REVIEWERS, to="open a decided item")
    maker = rows.decision_maker(store, decision_id)
    if maker is None:
        raise CorrectionRefused("There is no such decision")
    item_id, user_id = maker
    if user_id != user.id:
        if not user.has("lead"):
            raise NotAllowed("You can open only the items of your own decisions")
        if not rows.within_limit(store, user, item_id):
            raise NotAllowed("Your queue limit does not reach this item's queue")
    return load_item(store, item_id)
