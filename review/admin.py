"""Queue administration for leads: create, rename, pause, prioritise, merge, move.

Every change here is refused with ``PermissionError`` unless the acting
person is a lead *now* (re-read from the store), and is one transaction
with one event, so the log and the queues can never disagree.

Merge and move follow three rules:

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
escalate into the queue it was merged into. Items keep their due times:
the promise made when a report arrived does not change with its queue
(nor with a new SLA, which applies to items arriving from then on).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from review.auth import require
from review.clock import normalise
from review.store import Queue, Store, User

#: Kinds of queue that hold items (audit queues hold sampled decisions instead).
HOLDS_ITEMS = ("review", "escalation", "calibration")


class AdminError(ValueError):
    """A change that cannot be made; the message is said on screen as it is."""


class CollisionError(AdminError):
    """Items would meet an item with the same external id; nothing was changed."""

    def __init__(self, message: str, preview: "Preview"):
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
    escalation: str | None  # the escalation queue's name
    merged_into: str | None


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
    """Every queue with its item counts, escalation and merge target (one query)."""
    names = {q.id: q.name for q in store.queues()}
    counts = {
        row[0]: (row[1], row[2])
        for row in store.db.execute(
            "SELECT queue_id, COUNT(*), COALESCE(SUM(state = 'pending'), 0) FROM items GROUP BY queue_id"
        )
    }
    merged = dict(store.db.execute("SELECT id, merged_into_id FROM queues WHERE merged_into_id IS NOT NULL"))
    return [
        AdminQueue(q, *counts.get(q.id, (0, 0)), names.get(q.escalation_queue_id), names.get(merged.get(q.id)))
        for q in store.queues()
    ]


def preview_merge(store: Store, source: str, target: str) -> Preview:
    """What merging *source* into *target* would move; AdminError if it may not happen."""
    src, dst = _merge_pair(store, source, target)
    base = _preview(store, Selection(queues=(src.name,)), dst)
    reroutes = tuple(
        r[0] for r in store.db.execute(
            "SELECT name FROM queues WHERE escalation_queue_id = ? AND id != ? ORDER BY name", [src.id, dst.id]
        )
    )
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
    with store.transaction():
        name = _new_name(store, name)
        if escalation_queue:
            _escalation_target(store, escalation_queue, None)
        return store.add_queue(name, kind, description=description, priority=_int(priority, "priority"),
                               sla_seconds=sla_seconds, escalation_queue=escalation_queue or None, actor=lead.name)


def rename_queue(store: Store, who: User | str, name: str, new_name: str) -> Queue:
    lead = require(store, who, "lead", to="rename queues")
    with store.transaction():
        queue = _active(store, name)
        new_name = _new_name(store, new_name)
        store.db.execute("UPDATE queues SET name = ? WHERE id = ?", [new_name, queue.id])
        store.log(lead.name, "queue.renamed", f"queue:{new_name}", {"from": queue.name, "to": new_name})
    return store.queue(new_name)


def set_paused(store: Store, who: User | str, name: str, paused: bool) -> Queue:
    """Pause (items wait, nobody is served) or resume a queue; no event if nothing changes."""
    lead = require(store, who, "lead", to="pause or resume queues")
    with store.transaction():
        queue = _active(store, name)
        if queue.paused != bool(paused):
            store.db.execute("UPDATE queues SET paused = ? WHERE id = ?", [int(bool(paused)), queue.id])
            store.log(lead.name, "queue.paused" if paused else "queue.resumed", f"queue:{name}")
    return store.queue(name)


def set_priority(store: Store, who: User | str, name: str, priority: int) -> Queue:
    """Higher priority queues are served first when someone works several."""
    return _set_column(store, who, name, "priority", _int(priority, "priority"), to="set queue priorities")


def set_sla(store: Store, who: User | str, name: str, sla_seconds: int) -> Queue:
    """The time within which items arriving from now on are due; waiting items keep theirs."""
    _check_sla(sla_seconds)
    return _set_column(store, who, name, "sla_seconds", sla_seconds, to="set queue SLAs")


def set_escalation(store: Store, who: User | str, name: str, escalation_queue: str | None) -> Queue:
    """Where "escalate" sends this queue's hard cases (None: escalation is refused there)."""
    lead = require(store, who, "lead", to="set escalation queues")
    with store.transaction():
        queue = _active(store, name)
        new = _escalation_target(store, escalation_queue, queue).id if escalation_queue else None
        if new != queue.escalation_queue_id:
            old = store.queue_by_id(queue.escalation_queue_id).name if queue.escalation_queue_id else None
            store.db.execute("UPDATE queues SET escalation_queue_id = ? WHERE id = ?", [new, queue.id])
            store.log(lead.name, "queue.escalation_set", f"queue:{name}", {"from": old, "to": escalation_queue or None})
    return store.queue(name)


def merge(store: Store, who: User | str, source: str, target: str, *, expected: int | None = None) -> Outcome:
    """Move every item of *source* into *target* and mark *source* merged, as one change.

    Raises CollisionError (external ids in both queues), ChangedError (the
    total is no longer *expected*) or AdminError; then nothing has changed.
    """
    lead = require(store, who, "lead", to="merge queues")
    with store.transaction():
        seen = preview_merge(store, source, target)
        _check_expected(seen, expected)
        if seen.collisions:
            raise CollisionError(
                f"{len(seen.collisions)} item(s) of {source} have the same external id as items already in "
                f"{target} ({_examples(seen.collisions)}); nothing was merged. Move them to another queue first.",
                seen,
            )
        src, dst = store.queue(source), store.queue(target)
        moved = [r[0] for r in store.db.execute(
            "UPDATE items SET queue_id = ? WHERE queue_id = ? RETURNING id", [dst.id, src.id])]
        store.db.execute(
            "UPDATE queues SET escalation_queue_id = CASE WHEN id = :dst THEN NULL ELSE :dst END"
            " WHERE escalation_queue_id = :src",
            {"src": src.id, "dst": dst.id},
        )
        store.db.execute("UPDATE queues SET merged_into_id = ? WHERE merged_into_id = ?", [dst.id, src.id])
        store.db.execute("UPDATE queues SET merged_into_id = ?, paused = 1 WHERE id = ?", [dst.id, src.id])
        event = store.log(lead.name, "queue.merged", f"queue:{source}", {
            "into": target, **_counts(seen), "reroutes": list(seen.reroutes), "item_ids": _ranges(moved),
        })
    return Outcome(len(moved), (), event)


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
    with store.transaction():
        seen = preview_move(store, selection, target)
        _check_expected(seen, expected)
        if seen.collisions and not skip_collisions:
            raise CollisionError(
                f"{len(seen.collisions)} external id(s) would appear twice in {target} "
                f"({_examples(seen.collisions)}); nothing was moved.",
                seen,
            )
        dst = store.queue(target)
        where, params = _where(store, selection, dst)
        params["dst"] = dst.id
        params["left"] = json.dumps(list(seen.collisions))
        moved = [r[0] for r in store.db.execute(
            f"UPDATE items SET queue_id = :dst WHERE id IN (SELECT i.id FROM items i JOIN queues q ON q.id = i.queue_id"
            f" WHERE {where} AND i.external_id NOT IN (SELECT value FROM json_each(:left))) RETURNING id",
            params,
        )]
        event = store.log(lead.name, "items.moved", f"queue:{target}", {
            "selection": selection.describe(), **_counts(seen), "left": list(seen.collisions), "item_ids": _ranges(moved),
        })
    return Outcome(len(moved), seen.collisions, event)


# ---------------------------------------------------------------- internals
def _preview(store: Store, selection: Selection, dst: Queue) -> Preview:
    where, params = _where(store, selection, dst)
    params["now"] = store.now()
    total, pending, leased, decided, removed = store.db.execute(
        f"""SELECT COUNT(*), COALESCE(SUM(i.state = 'pending'), 0),
                   COALESCE(SUM(i.state = 'pending' AND EXISTS (
                       SELECT 1 FROM leases l WHERE l.item_id = i.id AND l.expires_at > :now)), 0),
                   COALESCE(SUM(i.state = 'decided'), 0), COALESCE(SUM(i.state = 'removed'), 0)
            FROM items i JOIN queues q ON q.id = i.queue_id WHERE {where}""",
        params,
    ).fetchone()
    found = store.db.execute(
        f"""SELECT i.external_id, COUNT(*) FROM items i JOIN queues q ON q.id = i.queue_id WHERE {where}
            GROUP BY i.external_id
            HAVING COUNT(*) > 1 OR EXISTS (SELECT 1 FROM items t WHERE t.queue_id = :dst AND t.external_id = i.external_id)
            ORDER BY i.external_id""",
        {**params, "dst": dst.id},
    ).fetchall()
    return Preview(dst.name, total, pending, leased, decided, removed, tuple(e for e, _ in found),
                   sum(n for _, n in found), selection=selection.describe())


def _where(store: Store, selection: Selection, dst: Queue) -> tuple[str, dict[str, Any]]:
    """The SQL condition (over ``items i JOIN queues q``) for *selection*, never matching *dst*'s items."""
    clauses = ["i.queue_id != :dst_id"]
    params: dict[str, Any] = {"dst_id": dst.id}

    def any_of(column: str, key: str, values: Sequence[str]) -> None:
        clauses.append(f"{column} IN (SELECT value FROM json_each(:{key}))")
        params[key] = json.dumps(list(values))

    if selection.queues:
        any_of("q.name", "queues", selection.queues)
    if selection.states:
        any_of("i.state", "states", selection.states)
    if selection.severities:
        any_of("i.severity", "severities", selection.severities)
    for key, op in (("received_before", "<"), ("received_after", ">=")):
        value = getattr(selection, key)
        if value:
            try:
                params[key] = normalise(value)
            except ValueError:
                raise AdminError(f"“{value}” is not a date and time (use 2026-01-05 or 2026-01-05T09:00)") from None
            clauses.append(f"i.received_at {op} :{key}")
    if selection.label:
        params["label"] = selection.label
        clauses.append(
            """(json_extract(i.metadata, '$.category') = :label OR EXISTS (
                SELECT 1 FROM decisions d, json_each(d.labels) j
                WHERE j.value = :label AND d.id = (
                    SELECT MAX(c.id) FROM decisions c WHERE c.item_id = i.id AND c.revokes_id IS NULL
                      AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = c.id))))"""
        )
    return " AND ".join(clauses), params


def _active(store: Store, name: str) -> Queue:
    """The queue called *name*, if it exists and has not been merged away."""
    try:
        queue = store.queue(name)
    except KeyError:
        raise AdminError(f"There is no queue named “{name}”.") from None
    into = store.db.execute("SELECT m.name FROM queues q JOIN queues m ON m.id = q.merged_into_id WHERE q.id = ?",
                            [queue.id]).fetchone()
    if into:
        raise AdminError(f"“{name}” was merged into “{into[0]}”; change that queue instead.")
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


def _set_column(store: Store, who: User | str, name: str, column: str, value: int, *, to: str) -> Queue:
    lead = require(store, who, "lead", to=to)
    with store.transaction():
        queue = _active(store, name)
        old = getattr(queue, column)
        if old != value:
            store.db.execute(f"UPDATE queues SET {column} = ? WHERE id = ?", [value, queue.id])
            store.log(lead.name, f"queue.{column}_set", f"queue:{name}", {"from": old, "to": value})
    return store.queue(name)


def _new_name(store: Store, name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise AdminError("A queue needs a name.")
    if store.db.execute("SELECT 1 FROM queues WHERE name = ?", [name]).fetchone():
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


def _counts(seen: Preview) -> dict[str, int]:
    return {"total": seen.total, "pending": seen.pending, "leased": seen.leased, "decided": seen.decided,
            "removed": seen.removed}


def _examples(external_ids: Sequence[str], shown: int = 5) -> str:
    more = len(external_ids) - shown
    return ", ".join(external_ids[:shown]) + (f" and {more} more" if more > 0 else "")


def _ranges(ids: Sequence[int]) -> list[list[int]]:
    """[3, 4, 5, 9] → [[3, 5], [9, 9]]: moved ids, compact enough for the event log."""
    spans: list[list[int]] = []
    for item_id in sorted(ids):
        if spans and item_id == spans[-1][1] + 1:
            spans[-1][1] = item_id
        else:
            spans.append([item_id, item_id])
    return spans
