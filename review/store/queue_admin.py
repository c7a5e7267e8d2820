"""Queue administration's rows: counts per queue, a lead's queue changes, and moving items between queues.

Each change is one transaction with its event. Merges and moves recount
what they take inside their transaction and are refused (``"changed"``)
unless it is exactly what the lead confirmed, so what happens is what was
shown. Selections use bound value lists (``IN (?, ?, …)``), never a JSON
function of one dialect: the one JSON question, "is *label* the item's
reported category or a label of its current decision?", is narrowed in SQL
by a plain ``LIKE`` over the stored JSON text (which can only over-match)
and answered exactly in Python.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from review.store import Refused, queue_counts
from review.store import escalations as escalation_rows
from review.store.bound import marks, slices

if TYPE_CHECKING:
    from review.store import Queue, Store

NUMBER_COLUMNS = ("priority", "sla_seconds")

_CURRENT_LABELS = """(SELECT d.labels FROM decisions d WHERE d.id = (
    SELECT MAX(c.id) FROM decisions c WHERE c.item_id = i.id AND c.revokes_id IS NULL
      AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = c.id)))"""


@dataclass(frozen=True)
class Criteria:
    """Which items a move takes; every criterion given must hold (times are canonical UTC text)."""

    queues: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    received_before: str | None = None
    received_after: str | None = None
    label: str | None = None


class SelectedItem(NamedTuple):
    """An item a merge or move would take (a tuple: selections can hold a million)."""

    id: int
    external_id: str
    state: str
    leased: bool  # someone holds a live lease on it now
    in_target: bool  # the target queue already holds an item with this external id


@dataclass(frozen=True)
class Tally:
    """What taking a selection into a target queue means, counted."""

    total: int
    pending: int
    leased: int  # pending items someone is working on now
    decided: int
    removed: int
    collisions: tuple[str, ...]  # external ids that would meet their twin in the target
    colliding: int  # selected items carrying those ids


# ------------------------------------------------------------------ reading
def item_counts(store: Store) -> dict[int, tuple[int, int]]:
    """{queue id: (every item, pending items)} for queues holding any item, from the kept counts
    (:mod:`.queue_counts`: a few rows per queue, not every item)."""
    return {queue_id: (sum(states.values()), states.get("pending", 0))
            for queue_id, states in queue_counts.per_state(store).items()}


def merged_into(store: Store) -> dict[int, int]:
    """{merged queue id: id of the queue it was merged into}."""
    rows = store.db.execute("SELECT id, merged_into_id FROM queues WHERE merged_into_id IS NOT NULL")
    return {r[0]: r[1] for r in rows}


def followed_ids(queue_ids: Iterable[int], merged: Mapping[int, int]) -> set[int]:
    """Each of *queue_ids* and every queue it was merged into since, along *merged* (:func:`merged_into`).

    What a queue limit, a shift or a severe flag names stays true of the
    queue holding those items now, however many merges ago; a loop in the
    map (a hand-edited store) ends the walk rather than hanging it.
    """
    followed: set[int] = set()
    for queue_id in queue_ids:
        step: int | None = queue_id
        while step is not None and step not in followed:
            followed.add(step)
            step = merged.get(step)
    return followed


def merged_into_name(store: Store, queue_id: int) -> str | None:
    """The name of the queue *queue_id* was merged into, or None if it was not merged."""
    row = store.db.execute(
        "SELECT m.name FROM queues q JOIN queues m ON m.id = q.merged_into_id WHERE q.id = ?", [queue_id]
    ).fetchone()
    return row[0] if row else None


def name_taken(store: Store, name: str) -> bool:
    return store.db.execute("SELECT 1 FROM queues WHERE name = ?", [name]).fetchone() is not None


def escalating_into(store: Store, queue_id: int, *, besides: int) -> list[str]:
    """Names of the queues (other than *besides*) that may escalate to *queue_id*."""
    return [r[0] for r in store.db.execute(
        "SELECT name FROM queues WHERE id != ? AND (escalation_queue_id = ? OR id IN"
        " (SELECT queue_id FROM escalation_routes WHERE escalation_queue_id = ?)) ORDER BY name",
        [besides, queue_id, queue_id])]


def tally(store: Store, criteria: Criteria, target_id: int) -> tuple[Tally, list[SelectedItem]]:
    """Count what moving the items *criteria* select (never the target's own) into *target_id* means."""
    selected = selected_items(store, criteria, target_id)
    states = Counter(i.state for i in selected)
    per_id = Counter(i.external_id for i in selected)
    in_target = {i.external_id for i in selected if i.in_target}
    collisions = tuple(sorted(e for e, n in per_id.items() if n > 1 or e in in_target))
    leased = sum(1 for i in selected if i.state == "pending" and i.leased)
    counted = Tally(len(selected), states["pending"], leased, states["decided"], states["removed"], collisions,
                    sum(per_id[e] for e in collisions))
    return counted, selected


def selected_items(store: Store, criteria: Criteria, target_id: int) -> list[SelectedItem]:
    """The items outside queue *target_id* that match every criterion given."""
    clauses = ["i.queue_id != ?"]
    params: list[Any] = [target_id]
    for column, values in (("q.name", criteria.queues), ("i.state", criteria.states),
                           ("i.severity", criteria.severities)):
        if values:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    if criteria.received_before:
        clauses.append("i.received_at < ?")
        params.append(criteria.received_before)
    if criteria.received_after:
        clauses.append("i.received_at >= ?")
        params.append(criteria.received_after)
    label = criteria.label
    extra = ""
    if label:
        # Labels are stored by json.dumps with ASCII escapes, metadata without: look for both spellings. The
        # backslash of an escape is matched as itself on both databases (PostgreSQL's LIKE escapes with it).
        spellings = sorted({f"%{_literal(json.dumps(label))}%", f"%{_literal(json.dumps(label, ensure_ascii=False))}%"})
        like = " OR ".join(["{col} LIKE ? ESCAPE '\\'"] * len(spellings))
        clauses.append(f"({like.format(col='i.metadata')} OR EXISTS (SELECT 1 FROM decisions d"
                       f" WHERE d.item_id = i.id AND ({like.format(col='d.labels')})))")
        params.extend([*spellings, *spellings])
        extra = f", i.metadata, {_CURRENT_LABELS}"
    rows = store.db.execute(
        f"""SELECT i.id, i.external_id, i.state,
                   CASE WHEN EXISTS (SELECT 1 FROM leases l WHERE l.item_id = i.id AND l.expires_at > ?)
                        THEN 1 ELSE 0 END,
                   CASE WHEN EXISTS (SELECT 1 FROM items t WHERE t.queue_id = ? AND t.external_id = i.external_id)
                        THEN 1 ELSE 0 END{extra}
            FROM items i JOIN queues q ON q.id = i.queue_id WHERE {' AND '.join(clauses)}""",
        [store.now(), target_id, *params],
    )
    return [SelectedItem(r[0], r[1], r[2], r[3] == 1, r[4] == 1) for r in rows
            if not label or _labelled(r[5], r[6], label)]


def _literal(text: str) -> str:
    """*text* as a LIKE pattern matching exactly it (with ``ESCAPE '\\'``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _labelled(metadata: str | None, labels: str | None, label: str) -> bool:
    """Whether *label* is the reported category (metadata JSON) or in the current decision's labels (JSON)."""
    reported = json.loads(metadata or "{}")
    if isinstance(reported, dict) and reported.get("category") == label:
        return True
    return labels is not None and label in json.loads(labels)


# ------------------------------------------------------------------ changes
def rename(store: Store, actor: str, queue: Queue, new_name: str) -> None:
    """Rename a queue that is not merged away; Refused ``"merged"`` or ``"taken"``."""
    with store.transaction():
        if name_taken(store, new_name):
            raise Refused("taken", new_name)
        _update_active(store, "UPDATE queues SET name = ?", [new_name], queue)
        store.log(actor, "queue.renamed", f"queue:{new_name}", {"from": queue.name, "to": new_name})


def set_paused(store: Store, actor: str, queue: Queue, paused: bool) -> None:
    """Pause or resume a queue that is not merged away; no event if it already was."""
    with store.transaction():
        if _update_active(store, "UPDATE queues SET paused = ?", [int(paused)], queue, unless=("paused", int(paused))):
            store.log(actor, "queue.paused" if paused else "queue.resumed", f"queue:{queue.name}")


def set_number(store: Store, actor: str, queue: Queue, column: str, value: int) -> None:
    """Set one of the queue's :data:`NUMBER_COLUMNS`; the event says from what; none if unchanged."""
    if column not in NUMBER_COLUMNS:
        raise ValueError(f"{column!r} is not a number a lead sets on a queue")
    with store.transaction():
        old = store.db.execute(f"SELECT {column} FROM queues WHERE id = ?", [queue.id]).fetchone()[0]
        if _update_active(store, f"UPDATE queues SET {column} = ?", [value], queue, unless=(column, value)):
            store.log(actor, f"queue.{column}_set", f"queue:{queue.name}", {"from": old, "to": value})


def set_escalation(store: Store, actor: str, queue: Queue, targets: Sequence[Queue]) -> None:
    """Make *targets* the escalation queues the queue may escalate to (the first its default; none: escalation
    is refused there); the event names the old and new lists; none if unchanged."""
    with store.transaction():
        if merged_into_name(store, queue.id):
            raise Refused("merged")
        changed = escalation_rows.set_routes(store, queue, targets)
        if changed is not None:
            store.log(actor, "queue.escalation_set", f"queue:{queue.name}",
                      {"from": changed[0], "to": changed[1], "queue_id": queue.id, "to_ids": [t.id for t in targets]})


def merge(store: Store, actor: str, source: Queue, target: Queue, *, confirmed: Tally,
          payload: dict[str, Any]) -> tuple[int, int]:
    """Move every item of *source* into *target*, reroute escalations, mark *source* merged and paused.

    One transaction, refused ``"changed"`` unless the recount is *confirmed*
    and both queues are still active. Returns (items moved, event id); the
    event carries *payload* and the moved ids.
    """
    with store.transaction():
        counted, _ = tally(store, Criteria(queues=(source.name,)), target.id)
        if counted != confirmed or merged_into_name(store, source.id) or merged_into_name(store, target.id):
            raise Refused("changed")
        moved = [r[0] for r in store.db.execute(
            "UPDATE items SET queue_id = ? WHERE queue_id = ? RETURNING id", [target.id, source.id])]
        escalation_rows.reroute(store, source.id, target.id)
        store.db.execute("UPDATE queues SET merged_into_id = ? WHERE merged_into_id = ?", [target.id, source.id])
        store.db.execute("UPDATE queues SET merged_into_id = ?, paused = 1 WHERE id = ?", [target.id, source.id])
        event = store.log(actor, "queue.merged", f"queue:{source.name}", {**payload, "item_ids": _ranges(moved)})
    return len(moved), event


def move(store: Store, actor: str, criteria: Criteria, target: Queue, *, confirmed: Tally,
         payload: dict[str, Any]) -> tuple[int, int]:
    """Move the selected items into *target*, leaving those whose external id collides.

    One transaction, refused ``"changed"`` unless the recount is *confirmed*.
    Returns (items moved, event id); the event carries *payload* and the moved ids,
    and ``escalations_closed`` when items left the escalation queues for *target*:
    their open escalations end ``moved_out`` (no moderator decides an escalation).
    """
    with store.transaction():
        counted, selected = tally(store, criteria, target.id)
        if counted != confirmed or merged_into_name(store, target.id):
            raise Refused("changed")
        left = set(counted.collisions)
        ids = [i.id for i in selected if i.external_id not in left]
        moved: list[int] = []
        for chunk in slices(ids):
            moved.extend(r[0] for r in store.db.execute(
                f"UPDATE items SET queue_id = ? WHERE id IN ({marks(chunk)}) RETURNING id",
                [target.id, *chunk]))
        ended = escalation_rows.close_moved_out(store, moved, target, store.user(actor), store.now())
        event = store.log(actor, "items.moved", f"queue:{target.name}",
                          {**payload, "item_ids": _ranges(moved), **({"escalations_closed": ended} if ended else {})})
    return len(moved), event


def _update_active(store: Store, update: str, values: list[Any], queue: Queue,
                   unless: tuple[str, Any] | None = None) -> bool:
    """Run ``update … WHERE`` the queue is not merged away (Refused ``"merged"`` if it is).

    With *unless* = (column, value), rows already holding that value are left
    alone; returns whether the row changed.
    """
    if merged_into_name(store, queue.id):
        raise Refused("merged")
    skip = f" AND {unless[0]} != ?" if unless else ""
    changed = store.db.execute(f"{update} WHERE id = ?{skip} RETURNING id",
                               [*values, queue.id, *([unless[1]] if unless else [])]).fetchall()
    return bool(changed)


def _ranges(ids: Sequence[int]) -> list[list[int]]:
    """[3, 4, 5, 9] → [[3, 5], [9, 9]]: moved ids, compact enough for the event log."""
    spans: list[list[int]] = []
    for item_id in sorted(ids):
        if spans and item_id == spans[-1][1] + 1:
            spans[-1][1] = item_id
        else:
            spans.append([item_id, item_id])
    return spans
