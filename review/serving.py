"""Serving items to reviewers: claims, leases, renewal, release — and who may work which queue.

A claim is one transaction: find the best unleased pending item, log its
``item.claimed`` event, then take it with an upsert that only succeeds over
a missing or expired lease (``INSERT … ON CONFLICT … DO UPDATE … WHERE
expired RETURNING``). On a file the immediate write lock means two
processes can never both see the same item as free; on a server claims run
side by side and each locks its candidate ``FOR UPDATE SKIP LOCKED``
(``review.store.leases``); either way the guarded upsert means that even two
that saw it free could not both get it.

**A claim has an identity**: the id of its ``item.claimed`` event, kept on
the lease row. Renewing, deciding and giving back name the claim, and act
only while the lease row still carries it and the item is still pending
in a queue the person may work now. So a window whose item was escalated,
decided or given back — in another window, by a lead, or after its lease
lapsed and someone took the item — can neither bring the lease back nor
decide: it is told (``LeaseLost``) and moves on.

**Every claim takes a new item.** The same person in two windows gets two
different items; nothing is ever "given back to you" by a claim. A window
that crashed or was killed simply stops renewing: its lease lapses and the
item returns to its queue for anyone, that person included (then under a
new claim, which ends the old one).

**A lapsed lease nobody touched is resumed**, not lost: the reviewer was
slow (a sleeping laptop), not wrong. Renewing it, or deciding on it,
resumes the claim and logs ``item.lease_resumed`` with how long it had
lapsed, in the same transaction. A renewal within a live lease logs
nothing: it comes every minute an item is open, and the claim's own event
already says who held the item from when.

**Who works what** (:data:`WORKED_BY`): review queues are worked by
moderators and leads, escalation queues by leads alone. This module is the
one place that knows the rule; the store's transactions receive it and
re-read the person's roles under the write lock on every claim, renewal,
decision and undo, so a role removed after the first check (``require``,
which gives the words) still stops the write. A lead may narrow it per
person (``review.people.set_queues``: only these queues) and deactivate a
person (served nothing); both are re-read under the same lock. Paused
queues serve nobody, but a claim taken before the pause may still be decided.

**The roster and the rotation rules** (``review.planning``): during one of
their shifts a person is served only that shift's queues, and a severe
queue whose rotation rule the person has met today is skipped; both are
checked before the claim and again under its write lock. Outside every
shift, serving is as it was without a roster.

**Certification gates** (``review.certification``): a queue that requires
a course serves only people who passed it (for the taxonomy version the
gate asks) or whom a lead waived; leads are not gated. Asked before the
roster, before the claim and again under its write lock.

**A complaint** (``review.complaints``) is never served to the person who
made the decision it is against: the claim's own candidate statement passes
those items over (``review.store.leases.best_unleased``'s *not_against*).

Order: queue priority, then item priority, then due time, then arrival.
Each queue's best candidate comes from the ``items_serving`` index, so a
claim costs a few index probes however large the store is.

This module says who is served what (roles, the severe rule) and what a
refusal means; the transactions and their SQL are :mod:`review.store.leases`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from review import certification
from review.auth import one_of, require
from review.clock import iso, ms_between
from review.errors import NotAllowed, VeilError
from review.planning import rotation
from review.store import Queue, Refused, Store, User, items, leases
from review.store.people import allowed_queue_ids, queue_name
from review.store.serving_changes import Kept
from review.wellbeing.breaks import OnBreak

LEASE_SECONDS = 600

#: Who works each kind of queue: the roles that may claim, renew and decide its items.
WORKED_BY = {"review": ("moderator", "lead"), "escalation": ("lead",)}
REVIEWERS = ("moderator", "lead")  # everyone who works some kind of queue


class LeaseLost(VeilError):
    """The claim no longer holds the item (decided, escalated, given back, or taken again); the page moves on."""


@dataclass(frozen=True)
class Item:
    id: int
    external_id: str
    queue_id: int
    queue_name: str
    kind: str
    media_path: str | None
    media_type: str | None
    text: str
    metadata: dict[str, Any]
    severity: str | None
    priority: int
    content_sha256: str | None  # of the file's bytes, or of the text's normal form
    content_md5: str | None  # of the file's bytes; None for a text, or media not yet rehashed
    pdq: str | None  # PDQ hex; a video's keyframes separated by spaces (review.near_copies.hashes_of)
    pdq_quality: int | None  # 0..100, a video's lowest keyframe's
    received_at: str
    due_at: str
    state: str
    case_id: int | None = None  # the case it is a report of (review.known.cases), if any

    @property
    def category(self) -> str | None:
        return self.metadata.get("category")

    @property
    def description(self) -> str:
        return str(self.metadata.get("description") or "")


def _item(row: Sequence[Any]) -> Item:
    values = list(row)
    values[8] = json.loads(values[8] or "{}")
    return Item(*values)


@dataclass(frozen=True)
class Lease:
    """An item served to one person under one claim (the id of the ``item.claimed`` event that took it)."""

    item: Item
    claim: int


def load_item(store: Store, item_id: int) -> Item:
    row = items.item_row(store, item_id)
    if row is None:
        raise KeyError(f"no item with id {item_id}")
    return _item(row)


def worked_kinds(user: User) -> set[str]:
    """The kinds of queue *user* works, by their roles (:data:`WORKED_BY`)."""
    return leases.worked_kinds(user, WORKED_BY)


def servable_queues(store: Store, user: User, names: Sequence[str] | None = None) -> list[Queue]:
    """The queues *user* may be served from: the named ones, else all of theirs.

    Moderators work review queues; leads also work escalation queues;
    anyone else none; a queue limit a lead set narrows that, and a
    deactivated person works none. Paused queues serve nobody. NotAllowed,
    saying which queues they may work, when *names* holds one outside
    their limit.
    """
    current = store.user(user.name)
    if not current.active:
        return []
    kinds, allowed = worked_kinds(current), allowed_queue_ids(store, current)
    try:
        queues = leases.serving_queues(store, kinds, names, allowed)
    except Refused as refused:
        raise claim_refused(store, current, refused) from None
    every = queues if names is None else leases.serving_queues(store, kinds, None, allowed)
    return planned(store, current)(queues, store.clock.now(), every, None)


#: What :func:`planned` gives: (queues asked for, a moment, every queue the person could work, what the claim's
#: connection keeps, None outside its lock) -> the queues they may be served from.
Screen = Callable[[list[Queue], datetime, list[Queue], Kept | None], list[Queue]]


def planned(store: Store, user: User) -> Screen:
    """The queues of a list that the gates, the roster and the rotation rules let *user* work at a time.

    Called with the queues asked for and every queue the person could work
    (a shift whose queues serve nothing of those is set aside). Serving
    asks it before a claim and the claim's transaction asks it again under
    the write lock (``leases.claim``'s *screen*): one read of the gates, the
    roster and the rules each time (``certification.screen``,
    ``rotation.plan``); a queue it drops is one :func:`why_not_served`
    explains. Under the claim's lock it is also given what the connection
    keeps of the serving rules (:mod:`review.store.serving_changes`): the
    gates' verdict and the roster's plan are kept there for the minute they
    hold for (a shift begins and ends on a minute), so a claim reads them
    once a minute, not once a claim (issue 22: four reads fewer inside each
    claim's lock). What a rotation rule counts — the person's own recent
    decisions, which their last decision changed — is followed on the same
    connection: each claim reads only the decisions since the last
    (``roster.RecentDecisions``).
    """
    def screen(queues: list[Queue], now: datetime, every: list[Queue], kept: Kept | None = None) -> list[Queue]:
        key = (user.id, user.roles, tuple(q.id for q in queues), tuple(q.id for q in every))
        minute = iso(now)[:16]
        if kept is not None and (found := kept.screens.get(key)) is not None and found[0] == minute:
            gated, (rules, shift, shift_start, merged) = found[1]
            # The same minute's roster at this moment; the work a rule counts is followed (the person decided).
            plan = rotation.Plan(store, user, now, rules, shift, shift_start, _merged=merged)
        else:
            plan = rotation.plan(store, user, now)
            gated = certification.screen(store, user, queues, every)  # gates first
            if kept is not None:  # the plan's rows, not the plan: what a connection keeps holds no store
                merged = plan.merged() if plan.shift is not None or plan.rules.severe_queue_ids else None
                kept.screens[key] = (minute, (gated, (plan.rules, plan.shift, plan.shift_start, merged)))
        if kept is not None:
            plan.recent = kept.recent_decisions(user.id)
        return plan.screen(*gated)

    return screen



def refusal(store: Store, user: User) -> Callable[[Queue, datetime], str | None]:
    """Why the roster or a rotation rule keeps *user* off a queue at a time, in words; None when neither does."""
    def refused(queue: Queue, now: datetime) -> str | None:
        current = store.user(user.name)
        found = rotation.plan(store, current, now)
        if found.shift is None:
            return found.refusal(queue)
        return found.refusal(queue, leases.serving_queues(store, worked_kinds(current), None,
                                                          allowed_queue_ids(store, current)))
    return refused


def refuse_unplanned(store: Store, user: User) -> Callable[[Queue, datetime], None]:
    """For writes that lease an item without a claim (an escalation taken, a decision undone): raises
    NotAllowed, inside their transaction, where a certification gate, the roster or a rotation rule keeps
    *user* off the queue."""
    words = refusal(store, user)

    def refuse(queue: Queue, now: datetime) -> None:
        refused = certification.refusal(store, store.user(user.name), queue) or words(queue, now)
        if refused is not None:
            raise NotAllowed(refused)
    return refuse


def why_not_served(store: Store, user: User, name: str) -> str | None:
    """Why *user* is not served from the queue *name*, in words; None when they are.

    The review page asks it when it is told to open a queue that is not
    among :func:`servable_queues` (the Queues page lists every queue): it says
    which rule keeps the person out — deactivated, the queue's kind, a
    lead's queue limit, a pause, their shift, a rotation rule — rather than
    only that it is not theirs.
    """
    current = store.user(user.name)
    if not current.active:
        return f"{current.name} is deactivated: a lead can reactivate them"
    if current.limit_unreadable:
        return ("A lead's limit on your queues cannot be read, so you are served nothing: ask a lead to set your "
                "queues again (People page)")
    try:
        queue = store.queue(name)
    except KeyError:
        return f"There is no queue called “{name}”"
    if queue.kind not in worked_kinds(current):
        workers = WORKED_BY.get(queue.kind)
        return (f"“{name}” is worked by {one_of(workers)} only" if workers
                else f"“{name}” is {one_of([queue.kind])} queue: its items are not reviewed here")
    allowed = allowed_queue_ids(store, current)
    if allowed is not None and queue.id not in allowed:
        limit = ", ".join(f"“{queue_name(store, q)}”" for q in current.queue_ids)
        return f"A lead limited you to {limit}: ask a lead to add “{name}” (People page)"
    if queue.paused:
        return f"“{name}” is paused: it serves nobody until a lead resumes it"
    return certification.refusal(store, current, queue) or refusal(store, current)(queue, store.clock.now())


SEVERE_RULES = ("allow", "prefer_mild", "never")


def _passes(severe: str) -> tuple[bool, ...]:
    """The severe rule as the serving passes to try: may a pass serve a severe item?"""
    if severe not in SEVERE_RULES:
        raise ValueError(f"unknown severe rule {severe!r} (one of {', '.join(SEVERE_RULES)})")
    return {"allow": (True,), "prefer_mild": (False, True), "never": (False,)}[severe]


def peek_next(
    store: Store, user: User, queues: Sequence[str] | None = None, exclude: Sequence[int] = (), *, severe: str = "allow"
) -> Item | None:
    """The item a claim would most likely get next, without taking it (for prefetch)."""
    found = leases.next_free(store, servable_queues(store, user, queues), iso(store.clock.now()), exclude,
                             _passes(severe), not_against=user.id)
    return load_item(store, found) if found is not None else None


def claim_next(
    store: Store,
    user: User,
    queues: Sequence[str] | None = None,
    *,
    exclude: Sequence[int] = (),
    lease_seconds: int = LEASE_SECONDS,
    severe: str = "allow",
) -> Lease | None:
    """Lease the next item for *user* under a new claim; None when nothing is waiting.

    Every call takes another item (see the module's docstring). *exclude*
    holds items this session skipped, so a skip is not served straight
    back to the person who skipped it. *severe* is the wellbeing rule for
    severe items: ``"allow"``, ``"prefer_mild"`` (serve something milder if
    anything milder waits) or ``"never"`` (the person's daily severe budget
    is spent). NotAllowed for someone who works no queue (an auditor), also
    when their last such role went just before the claim; ``OnBreak`` (with
    the time left) while the person's break runs, whichever window, process
    or front end asks (``review.wellbeing.breaks``).

    Every rule is checked once, under the claim's write lock, from what the
    connection keeps of the serving rules (:mod:`review.store.serving_changes`):
    nothing is read before the lock, so a claim costs its own rows, and a
    role, a deactivation or a break that came a moment ago holds all the same.
    """
    passes = _passes(severe)

    def screen(current: User, listed: list[Queue], now: datetime, every: list[Queue], kept: Kept) -> list[Queue]:
        _refuse_during_break(current, kept.last_break_ends(store, current.id), now)
        return planned(store, current)(listed, now, every, kept)

    try:
        found = leases.claim(store, user, worked_by=WORKED_BY, names=queues, passes=passes, exclude=exclude,
                             lease_seconds=lease_seconds, screen=screen)
    except Refused as refused:
        if refused.reason != "queue_not_allowed":  # unknown, deactivated, or works no queue: said as ever
            require(store, user, *REVIEWERS, to="review items")
        raise claim_refused(store, user, refused) from None
    return Lease(_item(found[1]), found[2]) if found is not None else None


def _refuse_during_break(user: User, break_ends: str | None, now: datetime) -> None:
    """:func:`review.wellbeing.breaks.refuse_during_break`'s rule, from the person's last break as the claim's
    connection keeps it (breaks never change once written: whether it runs is its end against *now*)."""
    if break_ends is None:
        return
    left = ms_between(iso(now), break_ends)
    if left > 0:
        raise OnBreak(user.name, math.ceil(left / 1000))


def holder(store: Store, item_id: int) -> tuple[str, str] | None:
    """(user name, expires_at) of the live lease on the item, if any."""
    row = leases.live_holder(store, item_id, iso(store.clock.now()))
    return (row[1], row[2]) if row else None


def renew(store: Store, user: User, item_id: int, *, claim: int, lease_seconds: int = LEASE_SECONDS) -> str:
    """Extend *claim*'s lease while the item stays open; returns the new expiry.

    LeaseLost once the claim ended (the item was decided, escalated or
    given back, or taken again after a lapse — by anyone, the same person
    in another window too); NotAllowed if the item now sits in a queue the
    person may not work. A lapsed lease nobody touched is resumed, with
    its event.
    """
    user = require(store, user, *REVIEWERS, to="review items")
    try:
        return leases.renew(store, user, item_id, claim=claim, worked_by=WORKED_BY, lease_seconds=lease_seconds)
    except Refused as refused:
        raise claim_refused(store, user, refused) from None


def claim_refused(store: Store, user: User, refused: Refused) -> VeilError:
    """The words for a claim that no longer holds its item (:func:`review.store.leases.hold`'s refusals)."""
    if refused.reason == "held":
        return LeaseLost(f"{refused.detail} is working on this item now (your hold on it lapsed)")
    if refused.reason == "other_window":
        return LeaseLost("You have this item open in another window now; it stays there")
    if refused.reason == "queue_kind":
        kind = store.queue(refused.detail).kind
        if kind in WORKED_BY:
            wanted = one_of(WORKED_BY[kind])
            return NotAllowed(f"{user.name} is not {wanted}: only {wanted} can decide {kind}s "
                              f"(this item is in “{refused.detail}” now)")
        return NotAllowed(f"“{refused.detail}” is a {kind} queue: its items are not reviewed here")
    if refused.reason == "decided":
        return LeaseLost("This item was decided meanwhile")
    if refused.reason == "inactive":
        return NotAllowed(f"{user.name} is deactivated: a lead can reactivate them")
    if refused.reason == "unknown":
        return NotAllowed(f"{user.name!r} is not a user of this store")
    if refused.reason == "works_no_queue":  # the roles read under the write lock work none
        wanted = one_of(REVIEWERS)
        return NotAllowed(f"{user.name} is not {wanted}: only {wanted} can review items")
    if refused.reason == "queue_not_allowed":
        limit = ", ".join(f"“{queue_name(store, q)}”" for q in store.user(user.name).queue_ids)
        return NotAllowed(f"{user.name} does not work “{refused.detail}”: a lead limited {user.name} to {limit} "
                          "(People page)")
    return LeaseLost("This item was decided, escalated or given back in another window "
                     "(or by someone else after your hold lapsed)")


def release(store: Store, user: User, item_id: int, *, claim: int, reason: str = "released") -> bool:
    """Give the item back to its queue (skip, break, sign-out, close) if *claim* still holds it; True if so."""
    return leases.release(store, user, item_id, claim=claim, reason=reason)
