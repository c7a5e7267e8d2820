"""Queue administration for leads: create, rename, pause, prioritise, merge, move.

Every change here is refused with ``NotAllowed`` (a ``PermissionError``)
unless the acting person is a lead *now* (re-read from the store), and is
one transaction with one event, so the log and the queues can never
disagree.

The SQL and the transactions are :mod:`review.store.queue_admin`; this
module holds the rules and their words. Merge and move follow three rules:

* **Look first.** :func:`preview_merge` / :func:`preview_move` count what
  would move (pending, leased, decided, removed) and find external-id
  collisions, changing nothing; the lead confirms those numbers. Passing
  ``expected=`` (the confirmed total) makes the change refuse if the
  numbers changed in between, so what happens is what was confirmed.
* **Nothing lost, nothing doubled.** An item only ever changes its
  ``queue_id``: it is never copied or deleted. Two items with the same
  external id cannot share a queue (the store's unique key); such
  collisions are reported before anything happens. A merge with collisions
  is refused; a move may leave the colliding items where they are
  (``skip_collisions=True``), and says which.
* **Leased items move with their lease.** A moderator working on an item
  keeps it: the lease is on the item, not the queue, so their decision
  still lands (in the queue the item is in when they decide). Skipping
  leased items instead would make a merge unable to empty its queue and
  would strand items in a queue nobody is served from.

A merged queue is kept, marked ``merged_into`` and paused, never deleted:
decisions are append-only and name the queue they were made in, and that
history must still read correctly. Queues that escalated into it now
escalate into the queue it was merged into (every route, the default too). Items keep their due times:
the promise made when a report arrived does not change with its queue
(nor with a new SLA, which applies to items arriving from then on).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from review.auth import require
from review.clock import normalise
from review.errors import StoreConflict, VeilError
from review.store import Queue, Refused, Store, User, queue_admin
from review.store import escalations as escalation_rows

#: Kinds of queue that hold items (audit queues hold sampled decisions instead).
HOLDS_ITEMS = ("review", "escalation", "calibration")


class AdminError(VeilError, ValueError):
    """A change that cannot be made; the message is said on screen as it is."""


class CollisionError(AdminError):
    """Items would meet an item with the same external id; nothing was changed."""

    def __init__(self, message: str, preview: Preview):
        super().__init__(message)
        self.preview = preview


class ChangedError(AdminError):
    """The numbers changed since they were confirmed; nothing was changed."""


@dataclass(frozen=True)
class AdminQueue:
    """One row of the lead's queue table."""

    queue: Queue
    items: int  # every item in the queue, whatever its state
    waiting: int  # pending items
    escalation: str | None  # the default escalation queue's name
    merged_into: str | None
    routes: tuple[str, ...] = ()  # every escalation queue it may escalate to, the default first


@dataclass(frozen=True)
class Selection:
    """Which items a move takes; every criterion given must hold.

    ``label`` matches a label of the item's current decision or its
    reported category (metadata ``category``). Times are ISO 8601 and
    compare with ``received_at``: before is exclusive, after inclusive.
    """

    queues: tuple[str, ...] = ()  # empty: every queue except the target
    label: str | None = None
    received_before: str | None = None
    received_after: str | None = None
    severities: tuple[str, ...] = ()  # empty: any severity (and none)
    states: tuple[str, ...] = ()  # e.g. ("pending",); empty: any state

    def describe(self) -> str:
        """The selection in words, for the confirmation and the event log."""
        parts = [("from " + ", ".join(self.queues)) if self.queues else "from every queue"]
        if self.label:
            parts.append(f"labelled or reported as {self.label}")
        if self.received_after:
            parts.append(f"received from {self.received_after}")
        if self.received_before:
            parts.append(f"received before {self.received_before}")
        if self.severities:
            parts.append("severity " + " or ".join(self.severities))
        if self.states:
            parts.append(" or ".join(self.states))
        return ", ".join(parts)


@dataclass(frozen=True)
class Preview:
    """What a merge or move would do; nothing has happened yet."""

    target: str
    total: int
    pending: int
    leased: int  # pending items someone is working on now; they move with their lease
    decided: int
    removed: int
    collisions: tuple[str, ...]  # external ids that would meet their twin
    colliding: int  # selected items carrying those ids (they stay put if a move skips collisions)
    reroutes: tuple[str, ...] = ()  # merge: queues whose escalations will go to the target
    selection: str = ""


@dataclass(frozen=True)
class Outcome:
    """What a merge or move did."""

    moved: int
    left: tuple[str, ...] = field(default=())  # external ids left where they were (collisions)
    event_id: int = 0


# ------------------------------------------------------------------ reading
def queue_rows(store: Store) -> list[AdminQueue]:
    """Every queue with its item counts, escalation and merge target."""
    queues = store.queues()
    names = {q.id: q.name for q in queues}
    counts = queue_admin.item_counts(store)
    merged = queue_admin.merged_into(store)
    routes = escalation_rows.route_names(store)
    return [
        AdminQueue(q, *counts.get(q.id, (0, 0)), _name(names, q.escalation_queue_id), _name(names, merged.get(q.id)),
                   tuple(routes.get(q.id, ())))
        for q in queues
    ]


def _name(names: dict[int, str], queue_id: int | None) -> str | None:
    return names.get(queue_id) if queue_id is not None else None


def preview_merge(store: Store, source: str, target: str) -> Preview:
    """What merging *source* into *target* would move; AdminError if it may not happen."""
    src, dst = _merge_pair(store, source, target)
    base = _preview(store, Selection(queues=(src.name,)), dst)
    reroutes = tuple(queue_admin.escalating_into(store, src.id, besides=dst.id))
    return replace(base, reroutes=reroutes, selection=f"everything in {src.name}")


def preview_move(store: Store, selection: Selection, target: str) -> Preview:
    """What moving the *selection* to *target* would move; AdminError if it may not happen."""
    dst = _move_target(store, target)
    for name in selection.queues:
        _active(store, name)
    return _preview(store, selection, dst)


# ------------------------------------------------------------------ changes
def create_queue(
    store: Store,
    who: User | str,
    name: str,
    kind: str = "review",
    *,
    description: str = "",
    priority: int = 0,
    sla_seconds: int = 86_400,
    escalation_queue: str | None = None,
) -> Queue:
    lead = require(store, who, "lead", to="create queues")
    _check_sla(sla_seconds)
    name = _new_name(store, name)
    if escalation_queue:
        _check_escalates(kind, name)
        _escalation_target(store, escalation_queue, None)
    try:
        return store.add_queue(name, kind, description=description, priority=_int(priority, "priority"),
                               sla_seconds=sla_seconds, escalation_queue=escalation_queue or None, actor=lead.name)
    except Refused as refused:
        raise _said(store, refused, name) from None
    except StoreConflict:
        _new_name(store, name)  # created meanwhile: say so in words
        raise


def rename_queue(store: Store, who: User | str, name: str, new_name: str) -> Queue:
    lead = require(store, who, "lead", to="rename queues")
    queue = _active(store, name)
    new_name = _new_name(store, new_name)
    try:
        queue_admin.rename(store, lead.name, queue, new_name)
    except Refused as refused:
        raise _said(store, refused, name) from None
    return store.queue(new_name)


def set_paused(store: Store, who: User | str, name: str, paused: bool) -> Queue:
    """Pause (items wait, nobody is served) or resume a queue; no event if nothing changes."""
    lead = require(store, who, "lead", to="pause or resume queues")
    try:
        queue_admin.set_paused(store, lead.name, _active(store, name), bool(paused))
    except Refused as refused:
        raise _said(store, refused, name) from None
    return store.queue(name)


def set_priority(store: Store, who: User | str, name: str, priority: int) -> Queue:
    """Higher priority queues are served first when someone works several."""
    return _set_number(store, who, name, "priority", _int(priority, "priority"), to="set queue priorities")


def set_sla(store: Store, who: User | str, name: str, sla_seconds: int) -> Queue:
    """The time within which items arriving from now on are due; waiting items keep theirs."""
    _check_sla(sla_seconds)
    return _set_number(store, who, name, "sla_seconds", sla_seconds, to="set queue SLAs")


def set_escalation(store: Store, who: User | str, name: str, escalation_queues: Sequence[str]) -> Queue:
    """The escalation queues "escalate" in this queue may send a hard case to, the first the default
    (taken when the moderator does not choose); none: escalation is refused there."""
    lead = require(store, who, "lead", to="set escalation queues")
    queue = _active(store, name)
    _check_escalates(queue.kind, name)
    wanted = list(dict.fromkeys(n for n in escalation_queues if n))
    targets = [_escalation_target(store, target, queue) for target in wanted]
    try:
        queue_admin.set_escalation(store, lead.name, queue, targets)
    except Refused as refused:
        raise _said(store, refused, name) from None
    return store.queue(name)


def merge(store: Store, who: User | str, source: str, target: str, *, expected: int | None = None) -> Outcome:
    """Move every item of *source* into *target* and mark *source* merged, as one change.

    Raises CollisionError (external ids in both queues), ChangedError (the
    total is no longer *expected*, or changed while merging) or AdminError;
    then nothing has changed.
    """
    lead = require(store, who, "lead", to="merge queues")
    seen = preview_merge(store, source, target)
    _check_expected(seen, expected)
    if seen.collisions:
        raise CollisionError(
            f"{len(seen.collisions)} item(s) of {source} have the same external id as items already in "
            f"{target} ({_examples(seen.collisions)}); nothing was merged. Move them to another queue first.",
            seen,
        )
    payload = {"into": target, **_counts(seen), "reroutes": list(seen.reroutes)}
    try:
        moved, event = queue_admin.merge(store, lead.name, store.queue(source), store.queue(target),
                                         confirmed=_tally(seen), payload=payload)
    except Refused:
        raise _changed(preview_merge(store, source, target), seen) from None
    return Outcome(moved, (), event)


def move(
    store: Store,
    who: User | str,
    selection: Selection,
    target: str,
    *,
    expected: int | None = None,
    skip_collisions: bool = False,
) -> Outcome:
    """Move the items matching *selection* to *target*, as one change.

    Collisions refuse the move (CollisionError) unless *skip_collisions*:
    then those items stay where they are and ``Outcome.left`` names them.
    *expected* is the total the lead confirmed (collisions included).
    """
    lead = require(store, who, "lead", to="move items between queues")
    seen = preview_move(store, selection, target)
    _check_expected(seen, expected)
    if seen.collisions and not skip_collisions:
        raise CollisionError(
            f"{len(seen.collisions)} external id(s) would appear twice in {target} "
            f"({_examples(seen.collisions)}); nothing was moved.",
            seen,
        )
    payload = {"selection": selection.describe(), **_counts(seen), "left": list(seen.collisions)}
    try:
        moved, event = queue_admin.move(store, lead.name, _criteria(selection), store.queue(target),
                                        confirmed=_tally(seen), payload=payload)
    except Refused:
        raise _changed(preview_move(store, selection, target), seen) from None
    return Outcome(moved, seen.collisions, event)


# ---------------------------------------------------------------- internals
def _preview(store: Store, selection: Selection, dst: Queue) -> Preview:
    """Counts and external-id collisions of moving what *selection* matches into *dst*."""
    counted, _ = queue_admin.tally(store, _criteria(selection), dst.id)
    return Preview(dst.name, counted.total, counted.pending, counted.leased, counted.decided, counted.removed,
                   counted.collisions, counted.colliding, selection=selection.describe())


def _tally(seen: Preview) -> queue_admin.Tally:
    """The counts a lead confirmed, as the store recounts them."""
    return queue_admin.Tally(seen.total, seen.pending, seen.leased, seen.decided, seen.removed, seen.collisions,
                             seen.colliding)


def _criteria(selection: Selection) -> queue_admin.Criteria:
    """The *selection* with canonical times; AdminError for a time that is not one."""
    times: dict[str, str | None] = {}
    for key in ("received_before", "received_after"):
        value = getattr(selection, key)
        try:
            times[key] = normalise(value) if value else None
        except ValueError:
            raise AdminError(f"“{value}” is not a date and time (use 2026-01-05 or 2026-01-05T09:00)") from None
    return queue_admin.Criteria(selection.queues, selection.states, selection.severities,
                                label=selection.label or None, **times)


def _said(store: Store, refused: Refused, name: str) -> Exception:
    """The words for a change refused because *name* was merged away or a name taken meanwhile."""
    if refused.reason == "taken":
        return AdminError(f"There is already a queue named “{refused.detail}”.")
    if refused.reason == "target_merged":
        name = refused.detail  # the escalation queue, merged away meanwhile: say where it went
    try:
        _active(store, name)
    except AdminError as merged:
        return merged
    return refused


def _active(store: Store, name: str) -> Queue:
    """The queue called *name*, if it exists and has not been merged away."""
    try:
        queue = store.queue(name)
    except KeyError:
        raise AdminError(f"There is no queue named “{name}”.") from None
    into = queue_admin.merged_into_name(store, queue.id)
    if into:
        raise AdminError(f"“{name}” was merged into “{into}”; change that queue instead.")
    return queue


def _merge_pair(store: Store, source: str, target: str) -> tuple[Queue, Queue]:
    src, dst = _active(store, source), _active(store, target)
    if src.id == dst.id:
        raise AdminError("A queue cannot be merged into itself.")
    if src.kind != dst.kind:
        raise AdminError(f"“{source}” is a {src.kind} queue and “{target}” a {dst.kind} queue: only queues of the "
                         "same kind merge (an escalation queue's hard cases must not reach moderators unasked). "
                         "Use Move items for a deliberate subset.")
    if src.kind not in HOLDS_ITEMS:
        raise AdminError(f"{src.kind.capitalize()} queues hold sampled decisions, not items; they are not merged here.")
    return src, dst


def _move_target(store: Store, target: str) -> Queue:
    dst = _active(store, target)
    if dst.kind not in HOLDS_ITEMS:
        raise AdminError(f"“{target}” is an {dst.kind} queue, which holds sampled decisions, not items.")
    return dst


def _escalation_target(store: Store, name: str, queue: Queue | None) -> Queue:
    target = _active(store, name)
    if queue is not None and target.id == queue.id:
        raise AdminError("A queue cannot escalate into itself.")
    if target.kind != "escalation":
        raise AdminError(f"“{name}” is a {target.kind} queue; hard cases go to an escalation queue, "
                         "which only leads are served from.")
    return target


def _check_escalates(kind: str, name: str) -> None:
    """Only a review queue escalates: a chain of escalation queues would hide the first escalation's path."""
    if kind != "review":
        article = "an" if kind[:1] in ("a", "e", "i", "o", "u") else "a"
        raise AdminError(f"“{name}” is {article} {kind} queue: only a review queue escalates (an escalation goes "
                         "from moderators to leads, once).")


def _set_number(store: Store, who: User | str, name: str, column: str, value: int, *, to: str) -> Queue:
    lead = require(store, who, "lead", to=to)
    try:
        queue_admin.set_number(store, lead.name, _active(store, name), column, value)
    except Refused as refused:
        raise _said(store, refused, name) from None
    return store.queue(name)


def _new_name(store: Store, name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise AdminError("A queue needs a name.")
    if queue_admin.name_taken(store, name):
        raise AdminError(f"There is already a queue named “{name}”.")
    return name


def _check_sla(sla_seconds: int) -> None:
    if _int(sla_seconds, "SLA") <= 0:
        raise AdminError("An SLA must be longer than zero.")


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AdminError(f"The {what} must be a whole number.")
    return value


def _check_expected(seen: Preview, expected: int | None) -> None:
    if expected is not None and seen.total != expected:
        raise ChangedError(f"The numbers changed since you looked: {seen.total} items now match, not {expected}. "
                           "Nothing was changed; look again and confirm.")


def _changed(now: Preview, confirmed: Preview) -> ChangedError:
    """A change refused because the items changed between its preview and its transaction."""
    if now.total != confirmed.total:
        return ChangedError(f"The numbers changed since you looked: {now.total} items now match, not "
                            f"{confirmed.total}. Nothing was changed; look again and confirm.")
    return ChangedError("The items changed since you looked (one was claimed, decided or moved meanwhile). "
                        "Nothing was changed; look again and confirm.")


def _counts(seen: Preview) -> dict[str, int]:
    return {"total": seen.total, "pending": seen.pending, "leased": seen.leased, "decided": seen.decided,
            "removed": seen.removed}


def _examples(external_ids: Sequence[str], shown: int = 5) -> str:
    more = len(external_ids) - shown
    return ", ".join(external_ids[:shown]) + (f" and {more} more" if more > 0 else "")

