"""Escalation rows: routes a queue may escalate along, each escalation's facts and end, a lead's moves.

An escalation's who, why, from where and when are its escalating
decision's row (user, note, queue, time); the ``escalations`` row (schema
m012) adds where it went, the item's due time before, and how it ended.
The escalating decision itself is written by :func:`review.store.decisions.record`,
which calls :func:`escalate` and :func:`close_open` inside its transaction;
the lead's own changes here (take, send back, move) are each one
transaction with one event, and each re-reads, under the write lock,
whether the lead may work the escalation's queue now (:func:`_may_work`:
active, the queue's kind, their queue limit). Queue admin's move of items
out of the escalation queues ends their escalations (:func:`close_moved_out`),
so only a decision in an escalation queue ever decides one. Guards that
fail raise :class:`~review.store.Refused` and leave nothing written;
``review.escalations`` words them.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from review.clock import iso, parse
from review.store import Refused, items, leases, queue_admin, reads
from review.store import decisions as decision_rows  # its note digest; it calls this module, at run time only
from review.store.people import allowed_queue_ids

if TYPE_CHECKING:
    from review.store import Queue, Store, User


@dataclass(frozen=True)
class Facts:
    """One escalation as a lead (and a moderator it comes back to) reads it."""

    id: int
    item_id: int
    escalated_by: str  # the moderator's name
    reason: str  # the escalating decision's note
    origin: str  # the queue it was escalated from (its name now)
    sent_to: str  # the escalation queue the moderator chose
    escalated_at: str
    outcome: str | None  # None while open; decided, sent_back, undone or moved_out
    closed_by: str | None
    closed_at: str | None
    outcome_note: str  # the lead's note when sent back


_FACTS = """
SELECT e.id, e.item_id, u.name, d.note, o.name, s.name, d.decided_at, e.outcome, c.name, e.closed_at, e.outcome_note
FROM escalations e JOIN decisions d ON d.id = e.decision_id JOIN users u ON u.id = d.user_id
JOIN queues o ON o.id = d.queue_id JOIN queues s ON s.id = e.sent_to_id LEFT JOIN users c ON c.id = e.closed_by
"""


# ------------------------------------------------------------------- routes
def routes(store: Store, queue: Queue) -> list[Queue]:
    """The escalation queues *queue* may escalate to: its default first, then the others in their order.

    Queues merged away are left out (a merge reroutes to the queue they went into).
    """
    return [store.queue_by_id(queue_id) for queue_id in reads.run(store.db, _routes_read(queue.id))]


def route_names_read(queue_id: int) -> reads.Read[tuple[str, ...]]:
    """The names of :func:`routes` of the queue *queue_id*, as a look-up that may share a round trip."""
    return reads.then(_routes_read(queue_id), lambda routed: tuple(routed.values()))


#: A queue's default escalation queue (part 0), then its other routes in their order (part 1), merged ones left out.
_ROUTES = """SELECT e.id, e.name, 0, 0 FROM queues q JOIN queues e ON e.id = q.escalation_queue_id
WHERE q.id = ? AND e.merged_into_id IS NULL
UNION ALL SELECT e.id, e.name, 1, r.position FROM escalation_routes r JOIN queues e ON e.id = r.escalation_queue_id
WHERE r.queue_id = ? AND e.merged_into_id IS NULL ORDER BY 3, 4, 2"""


def _routes_read(queue_id: int) -> reads.Read[dict[int, str]]:
    """{escalation queue id: name} of the queue's routes, the default first (a default also listed counts once)."""
    def first_each(rows: list[Any]) -> dict[int, str]:
        routed: dict[int, str] = {}
        for queue, name, _part, _position in rows:
            routed.setdefault(int(queue), str(name))
        return routed

    return reads.one(_ROUTES, [queue_id, queue_id], first_each)


def route_names(store: Store) -> dict[int, list[str]]:
    """{queue id: names of its escalation queues, default first} for every queue with a route."""
    return {q.id: [r.name for r in routes(store, q)] for q in store.queues()}


def set_routes(store: Store, queue: Queue, targets: Sequence[Queue]) -> tuple[list[str], list[str]] | None:
    """Make *targets* the queue's routes, the first its default; (old names, new names), or None if unchanged.

    Runs inside the caller's transaction. Refused ``"target_merged"`` (detail: its name) for a target
    merged away since the caller checked.
    """
    for target in targets:
        if queue_admin.merged_into_name(store, target.id):
            raise Refused("target_merged", target.name)
    old = [q.name for q in routes(store, store.queue_by_id(queue.id))]
    new = [t.name for t in targets]
    if old == new:
        return None
    store.db.execute("DELETE FROM escalation_routes WHERE queue_id = ?", [queue.id])
    for position, target in enumerate(targets):
        store.db.execute("INSERT INTO escalation_routes (queue_id, escalation_queue_id, position) VALUES (?, ?, ?)",
                         [queue.id, target.id, position])
    store.db.execute("UPDATE queues SET escalation_queue_id = ? WHERE id = ?",
                     [targets[0].id if targets else None, queue.id])
    return old, new


def reroute(store: Store, source_id: int, target_id: int) -> None:
    """A merge: routes to *source_id* now go to *target_id* (once per queue; never a queue to itself).

    Runs inside the merge's transaction; each queue's default follows its first remaining route.
    """
    store.db.execute(
        "DELETE FROM escalation_routes WHERE escalation_queue_id = :src AND (queue_id = :dst OR queue_id IN"
        " (SELECT queue_id FROM escalation_routes WHERE escalation_queue_id = :dst))",
        {"src": source_id, "dst": target_id})
    store.db.execute("UPDATE escalation_routes SET escalation_queue_id = ? WHERE escalation_queue_id = ?",
                     [target_id, source_id])
    store.db.execute(
        "UPDATE queues SET escalation_queue_id = (SELECT r.escalation_queue_id FROM escalation_routes r"
        " WHERE r.queue_id = queues.id ORDER BY r.position LIMIT 1) WHERE escalation_queue_id = ?"
        " OR id IN (SELECT queue_id FROM escalation_routes WHERE escalation_queue_id = ?)",
        [source_id, target_id])


# --------------------------------------------------- inside a decision's write
def escalate(store: Store, item_id: int, decision_id: int, target: Queue, now: str) -> tuple[int, str]:
    """Send the item, still pending, to *target* with that queue's due time (now + its SLA); (row id, due).

    Runs inside the decision's transaction; the item's due time before is kept on the row.
    """
    due_before = store.db.execute("SELECT due_at FROM items WHERE id = ?", [item_id]).fetchone()[0]
    due = iso(parse(now) + _dt.timedelta(seconds=target.sla_seconds))
    items.move_to(store, item_id, target.id, due_at=due)
    row = store.db.execute(
        "INSERT INTO escalations (item_id, decision_id, sent_to_id, due_before) VALUES (?, ?, ?, ?) RETURNING id",
        [item_id, decision_id, target.id, due_before]).fetchone()
    return int(row[0]), due


def close_open(store: Store, item_id: int, queue: Queue, user: User, now: str, decision_id: int) -> int | None:
    """The item's open escalation ends with *decision_id*, a decision made in *queue*; its row id, or None.

    Only a decision in an escalation queue (a lead's) decides an escalation; anywhere else it stays as it is.
    """
    row = open_id(store, item_id) if queue.kind == "escalation" else None
    if row is not None:
        _close(store, row, user, now, "decided", decision_id=decision_id)
    return row


def revoked(store: Store, user: User, decision_id: int, now: str) -> dict[str, int]:
    """Undo of *decision_id*, inside the undo's transaction; what it did, for the undo's event.

    ``escalation_undone``: the escalation *decision_id* opened ends (the item gets its old due time
    back); ``escalation_reopened``: the escalation it decided is open again. A lead who escalated
    an escalation onwards does both: the first escalation is not lost.
    """
    done: dict[str, int] = {}
    sent = store.db.execute("SELECT id, item_id, due_before FROM escalations WHERE decision_id = ?"
                            " AND closed_at IS NULL", [decision_id]).fetchone()
    if sent is not None:
        _close(store, sent[0], user, now, "undone")
        store.db.execute("UPDATE items SET due_at = ? WHERE id = ?", [sent[2], sent[1]])
        done["escalation_undone"] = sent[0]
    reopened = store.db.execute(
        "UPDATE escalations SET closed_at = NULL, closed_by = NULL, outcome = NULL, outcome_decision_id = NULL"
        " WHERE outcome_decision_id = ? RETURNING id", [decision_id]).fetchall()
    if reopened:
        done["escalation_reopened"] = reopened[0][0]
    return done


def close_moved_out(store: Store, item_ids: Sequence[int], target: Queue, user: User, now: str) -> list[int]:
    """Queue admin moved *item_ids* into *target*: if it is not an escalation queue, their open
    escalations end ``moved_out`` (a moderator must never decide one); the rows ended.

    Inside the move's transaction; its event names them.
    """
    if target.kind == "escalation":
        return []
    ended: list[int] = []
    for start in range(0, len(item_ids), 500):
        chunk = list(item_ids[start : start + 500])
        ended.extend(r[0] for r in store.db.execute(
            f"SELECT id FROM escalations WHERE closed_at IS NULL AND item_id IN ({','.join('?' * len(chunk))})",
            chunk))
    for row in ended:
        _close(store, row, user, now, "moved_out")
    return sorted(ended)


# ------------------------------------------------------------ a lead's writes
def take(store: Store, user: User, item_id: int, *, worked_by: Mapping[str, Collection[str]],
         lease_seconds: int, screen: leases.Veto) -> int:
    """Lease this item (waiting in an escalation queue) to *user* under a new claim; the claim.

    One transaction. Refused ``"decided"`` (not pending any more), ``"not_escalated"`` (detail: the
    queue; it is not in an escalation queue now), as :func:`_may_work` refuses (the user re-read
    here), or ``"held"`` (detail: the holder) when someone holds a live lease on it. *screen* (the
    serving layer's roster and rotation rules, as a claim has them) raises, under the same lock,
    where they keep *user* off the queue.
    """
    with store.transaction():
        now_dt = store.clock.now()
        now, expires = iso(now_dt), iso(now_dt + _dt.timedelta(seconds=lease_seconds))
        queue = _waiting_queue(store, item_id)
        _may_work(store, user, queue, worked_by)
        screen(queue, now_dt)
        holder = leases.live_holder(store, item_id, now)
        if holder is not None:
            raise Refused("held", holder[1])
        claim: int = store.log(user.name, "item.claimed", f"item:{item_id}",
                               {"expires_at": expires, "escalation": open_id(store, item_id)})
        leases.grant(store, item_id, user.id, claim, now, expires)
    return claim


def send_back(store: Store, user: User, item_id: int, note: str, *, claim: int | None,
              worked_by: Mapping[str, Collection[str]]) -> str:
    """Return the item to the queue it was escalated from, with the lead's *note*; that queue's name.

    One transaction: the item goes back, pending, with the due time it had before it was escalated, and
    in front of its queue: its priority is raised above every other waiting item's there (serving orders a
    queue by item priority first), so the next moderator served from that queue reads the lead's note. The
    raised priority stays (it matters only while the item waits); the event keeps the old and the new one.
    The escalation ends ``sent_back``; any lease on it ends. Refused as :func:`take` says (a lease
    counts unless it is *claim*'s, held by *user*), or ``"no_escalation"`` when no moderator
    escalated it (it arrived in the escalation queue directly). The event keeps the note's digest.
    """
    with store.transaction():
        now = store.now()
        queue = _waiting_queue(store, item_id)
        _may_work(store, user, queue, worked_by)
        _not_held(store, user, item_id, claim, now)
        row = store.db.execute(
            "SELECT e.id, d.queue_id, e.due_before FROM escalations e JOIN decisions d ON d.id = e.decision_id"
            " WHERE e.item_id = ? AND e.closed_at IS NULL", [item_id]).fetchone()
        if row is None:
            raise Refused("no_escalation", queue.name)
        escalation, origin_id, due_before = row
        items.reopen(store, item_id, origin_id)  # or where that queue was merged into since
        back_id, was = store.db.execute("SELECT queue_id, priority FROM items WHERE id = ?", [item_id]).fetchone()
        ahead = store.db.execute(
            "SELECT MAX(priority) FROM items WHERE queue_id = ? AND state = 'pending' AND id != ?",
            [back_id, item_id]).fetchone()[0]
        priority = was if ahead is None or ahead < was else ahead + 1
        store.db.execute("UPDATE items SET due_at = ?, priority = ? WHERE id = ?", [due_before, priority, item_id])
        _close(store, escalation, user, now, "sent_back", note=note)
        leases.drop(store, item_id)
        found = items.queue_and_state(store, item_id)
        assert found is not None  # the item was just read above
        back = store.queue_by_id(found[0])
        store.log(user.name, "escalation.sent_back", f"item:{item_id}",
                  {"escalation": escalation, "from": queue.name, "to": back.name, "due_at": due_before,
                   "claim": claim, "note_sha256": decision_rows.note_digest(note),
                   "priority": {"old": was, "new": priority}})
        store.mark_changed("item")  # the Queues page, the dashboard and queue admin count it elsewhere now
    return back.name


def move(store: Store, user: User, item_id: int, target: Queue, *, claim: int | None,
         worked_by: Mapping[str, Collection[str]]) -> str:
    """Move the waiting item to another escalation queue; its due time is when it was escalated (or
    received, if it arrived directly) plus *target*'s SLA. The new due time.

    One transaction with its event; any lease on it ends. Refused as :func:`take` says, or
    ``"same_queue"`` / ``"target_merged"`` (detail: the target's name).
    """
    with store.transaction():
        now = store.now()
        queue = _waiting_queue(store, item_id)
        _may_work(store, user, queue, worked_by)
        if queue.id == target.id:
            raise Refused("same_queue", target.name)
        if queue_admin.merged_into_name(store, target.id):
            raise Refused("target_merged", target.name)
        _not_held(store, user, item_id, claim, now)
        since = store.db.execute(
            "SELECT COALESCE((SELECT d.decided_at FROM escalations e JOIN decisions d ON d.id = e.decision_id"
            " WHERE e.item_id = i.id AND e.closed_at IS NULL), i.received_at) FROM items i WHERE i.id = ?",
            [item_id]).fetchone()[0]
        due = iso(parse(since) + _dt.timedelta(seconds=target.sla_seconds))
        items.move_to(store, item_id, target.id, due_at=due)
        leases.drop(store, item_id)
        store.log(user.name, "escalation.moved", f"item:{item_id}",
                  {"escalation": open_id(store, item_id), "from": queue.name, "to": target.name, "due_at": due,
                   "claim": claim})
        store.mark_changed("item")
    return due


# ------------------------------------------------------------------- reading
def open_id(store: Store, item_id: int) -> int | None:
    """The id of the item's open escalation (at most one: a unique index), or None."""
    row = store.db.execute("SELECT id FROM escalations WHERE item_id = ? AND closed_at IS NULL", [item_id]).fetchone()
    return int(row[0]) if row else None


def latest(store: Store, item_id: int) -> Facts | None:
    """The item's open escalation, else how its last one ended; None if it was never escalated.

    Open first: undoing a lead's onward escalation reopens an older row while the newer one ends.
    """
    return reads.run(store.db, latest_read(item_id))


def latest_read(item_id: int) -> reads.Read[Facts | None]:
    """:func:`latest` as a look-up that may share a round trip."""
    return reads.one(_FACTS + " WHERE e.item_id = ? ORDER BY e.closed_at IS NULL DESC, e.id DESC LIMIT 1", [item_id],
                     lambda rows: Facts(*rows[0]) if rows else None)


@dataclass(frozen=True)
class Waiting:
    """One item waiting in an escalation queue, as the workbench lists it."""

    item_id: int
    external_id: str
    kind: str
    category: str | None
    severity: str | None
    queue: str  # the escalation queue it waits in
    sla_seconds: int
    since: str  # escalated at, or received at if it arrived directly
    due_at: str
    escalation: Facts | None  # None: reported straight to this queue
    held_by: str | None  # the lead who has it open now


def waiting(store: Store, user: User) -> list[Waiting]:
    """Every pending item in an active escalation queue *user*'s queue limit allows: breached first, then by due."""
    now = store.now()
    allowed = allowed_queue_ids(store, store.user(user.name))
    rows = store.db.execute(
        """SELECT i.id, i.external_id, i.kind, i.metadata, i.severity, q.name,
                  q.sla_seconds, i.received_at, i.due_at, e.id,
                  (SELECT u.name FROM leases l JOIN users u ON u.id = l.user_id
                    WHERE l.item_id = i.id AND l.expires_at > :now), q.id
           FROM items i JOIN queues q ON q.id = i.queue_id
           LEFT JOIN escalations e ON e.item_id = i.id AND e.closed_at IS NULL
           WHERE q.kind = 'escalation' AND q.merged_into_id IS NULL AND i.state = 'pending'
           ORDER BY CASE WHEN i.due_at <= :now THEN 0 ELSE 1 END, i.due_at, i.id""", {"now": now}).fetchall()
    rows = [r for r in rows if allowed is None or r[11] in allowed]
    ids = [r[9] for r in rows if r[9] is not None]
    facts: dict[int, Facts] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in store.db.execute(_FACTS + f" WHERE e.id IN ({','.join('?' * len(chunk))})", chunk):
            facts[row[0]] = Facts(*row)
    result = []
    for r in rows:
        found = facts.get(r[9]) if r[9] is not None else None
        category = json.loads(r[3] or "{}").get("category")
        result.append(Waiting(r[0], r[1], r[2], category, r[4], r[5], r[6], found.escalated_at if found else r[7],
                              r[8], found, r[10]))
    return result


# ----------------------------------------------------------------- internals
def _close(store: Store, row_id: int, user: User, now: str, outcome: str, *, decision_id: int | None = None,
           note: str = "") -> None:
    store.db.execute(
        "UPDATE escalations SET closed_at = ?, closed_by = ?, outcome = ?, outcome_decision_id = ?, outcome_note = ?"
        " WHERE id = ?", [now, user.id, outcome, decision_id, note, row_id])


def _waiting_queue(store: Store, item_id: int) -> Queue:
    """The escalation queue the item waits in; Refused ``"decided"`` or ``"not_escalated"`` otherwise."""
    found = items.queue_and_state(store, item_id)
    if found is None or found[1] != "pending":
        raise Refused("decided")
    queue = store.queue_by_id(found[0])
    if queue.kind != "escalation":
        raise Refused("not_escalated", queue.name)
    return queue


def _may_work(store: Store, user: User, queue: Queue, worked_by: Mapping[str, Collection[str]]) -> None:
    """Refused unless *user*, re-read here, may work *queue* now: ``"inactive"``, ``"queue_kind"`` or
    ``"queue_not_allowed"`` (detail: the queue's name; outside their queue limit)."""
    current = store.user(user.name)
    if not current.active:
        raise Refused("inactive", user.name)
    if queue.kind not in leases.worked_kinds(current, worked_by):
        raise Refused("queue_kind", queue.name)
    allowed = allowed_queue_ids(store, current)
    if allowed is not None and queue.id not in allowed:
        raise Refused("queue_not_allowed", queue.name)


def _not_held(store: Store, user: User, item_id: int, claim: int | None, now: str) -> None:
    """Refused ``"held"`` (detail: the holder) unless no live lease holds the item or *user* holds it
    under *claim* (another lead's claim, handed in, is not theirs to use)."""
    holder = leases.live_holder(store, item_id, now)
    if holder is None:
        return
    ours = claim is not None and holder[0] == user.id and store.db.execute(
        "SELECT 1 FROM leases WHERE item_id = ? AND claim_id = ?", [item_id, claim]).fetchone() is not None
    if not ours:
        raise Refused("held", holder[1])
