"""Decision rows: recording, revoking and counting decisions, each write one transaction with its event.

Rows are never updated or deleted (triggers refuse it); undo appends a row
whose ``revokes_id`` names the decision it takes back. "Current" means a
row that neither revokes nor has been revoked (``decisions_revokes`` index).
A decision closes its item (or, escalated, moves it) and ends its lease in
the same transaction. Guards that fail raise :class:`~review.store.Refused`
and leave nothing written; ``review.decisions`` words them.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from review import VERSION
from review.clock import iso, ms_between, parse
from review.store import Queue, Refused, events, items, leases, serving_changes
from review.store import cases as case_rows
from review.store import escalations as escalation_rows
from review.store import people as people_rows
from review.store.connection import in_transaction
from review.store.replay import replayed

if TYPE_CHECKING:
    from review.store import Store, User

CLIENT_VERSION = f"veil {VERSION}"  # written on every row, so a bad release's decisions can be found


def m034(db: Any) -> None:
    """The schema step: ``decisions_user`` carries the columns a person's recent work is read with.

    Every claim under a rotation rule reads the person's decisions of the
    last days (``review.store.roster.RecentDecisions``: queue, handle
    time, whether revoked or a case's) inside its write lock; through the
    bare ``(user_id, decided_at)`` index each of those rows was a look-up
    in the table, about 850 at a million decisions (issue 22). Same name and
    leading columns, so every other reader keeps its plan.
    """
    db.execute("DROP INDEX decisions_user")
    db.execute("CREATE INDEX decisions_user ON decisions (user_id, decided_at, queue_id, handle_ms, revokes_id,"
               " source)")


def append(
    store: Store,
    *,
    item_id: int,
    user_id: int,
    queue_id: int,
    action: str,
    labels: Sequence[str],
    note: str,
    shown_at: str | None,
    decided_at: str,
    handle_ms: int | None,
    revealed_ms: int,
    source: str,
    revokes_id: int | None = None,
) -> int:
    """Append one decision row; its id."""
    row = store.db.execute(
        "INSERT INTO decisions (item_id, user_id, queue_id, action, labels, note, shown_at, decided_at,"
        " handle_ms, revealed_ms, client_version, source, revokes_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [item_id, user_id, queue_id, action, json.dumps(list(labels)), note, shown_at, decided_at,
         handle_ms, revealed_ms, CLIENT_VERSION, source, revokes_id],
    ).fetchone()
    return int(row[0])


@dataclass(frozen=True)
class Made:
    """A decision just stored: its id, the queue it was made in, when, its handle time, where it escalated to."""

    id: int
    queue: Queue
    decided_at: str
    handle_ms: int | None
    escalated_to: Queue | None = None


def record(
    store: Store,
    user: User,
    item_id: int,
    *,
    claim: int,
    worked_by: Mapping[str, Collection[str]],
    action: str,
    labels: Sequence[str],
    note: str,
    shown_at: str | None,
    revealed_ms: int,
    escalate: bool,
    escalate_to: str | None = None,
    decided_at: str | None = None,
    ordinary: bool = False,
    problem: str | None = None,
) -> Made:
    """Store *user*'s decision on the item *claim* holds, in one transaction (run again whole after a server's
    deadlock: :func:`review.store.replay.replayed`).

    Refused as :func:`review.store.leases.hold` says (the claim must still
    hold the item, pending, in a queue the user may work now by *worked_by*
    — queue kind → roles, their roles re-read here; a lapsed claim
    nobody touched is resumed, with its event, before the decision), or, if
    *escalate*, ``"no_escalation"`` (detail: the queue) when the queue has
    no escalation queue and ``"no_route"`` (detail: *escalate_to*) when
    *escalate_to* is not one of its routes. An escalated item moves, still
    pending, to *escalate_to* (None: the queue's default route) with that
    queue's due time, and its escalation row is written
    (:func:`review.store.escalations.escalate`); any other decision closes
    the item and ends the escalation it was waiting in, if any.

    *ordinary*: an ordinary decision (``review.decisions.decide``), Refused
    ``"complaint"`` on an item that is a complaint, which only its own
    ending decides (``review.complaints.resolve``); then *problem*, a rule
    the decision breaks in words (Refused ``"problem"``, detail: the words).
    Both come after the claim's checks and from the same read of the item,
    so a decision reads nothing before its lock.

    *decided_at* is when the person pressed the key, if it is stored later
    (the app kept it while the server was away): the decision's time and
    handle time are then theirs, not the outage's. Only a moment between
    *shown_at* and now counts; the claim is checked, and the item moved,
    now.
    """
    nested = in_transaction(store.db)
    check = _Check(ordinary, problem)
    return replayed(store, lambda: _record(store, user, item_id, claim, worked_by, action, labels, note, shown_at,
                                           revealed_ms, escalate, escalate_to, decided_at, nested, check),
                    row_locked=True)


@dataclass(frozen=True)
class _Check:
    """What :func:`record` refuses before the claim's own checks: a complaint (if *ordinary*), a rule broken."""

    ordinary: bool
    problem: str | None


def _record(store: Store, user: User, item_id: int, claim: int, worked_by: Mapping[str, Collection[str]],
            action: str, labels: Sequence[str], note: str, shown_at: str | None, revealed_ms: int, escalate: bool,
            escalate_to: str | None, pressed: str | None, nested: bool, check: _Check) -> Made:
    """:func:`record`'s unit of work, inside its row-locked transaction (leases.hold locks the item's row first)."""
    now = store.now()
    held = leases.hold(store, user, item_id, claim=claim, worked_by=worked_by, now=now,
                       kept=serving_changes.kept(store, nested=nested))
    if check.ordinary and held.complaint:
        raise Refused("complaint")
    if check.problem is not None:
        raise Refused("problem", check.problem)
    queue = held.queue
    target = _route(store, queue, escalate_to) if escalate else None
    at = _decided_at(pressed, shown_at, now)
    handle_ms = ms_between(shown_at, at) if shown_at else None
    decision_id = append(
        store, item_id=item_id, user_id=user.id, queue_id=queue.id, action=action, labels=labels, note=note,
        shown_at=shown_at, decided_at=at, handle_ms=handle_ms, revealed_ms=revealed_ms, source="review",
    )
    ended = escalation_rows.close_open(store, item_id, queue, user, now, decision_id)
    where: dict[str, object] = {"ended_escalation": ended} if ended is not None else {}
    if target is not None:
        escalation, due = escalation_rows.escalate(store, item_id, decision_id, target, now)
        where = {**where, "escalated_to": target.name, "escalated_to_id": target.id, "escalation": escalation,
                 "due_at": due}
    elif held.case_id is not None:
        case_rows.follow(store, item_id, decision_id, user, now)  # its case's other reports get it too
    store.mark_changed("decision")  # what store.log says of the event appended here
    events.append_deferred(  # the lease ends in the event's statement, sent with the commit on a server
        store.db, leases.DROPPED, {"item": item_id}, at=store.now(), actor=user.name, kind="decision.made",
        subject=f"item:{item_id}",
        payload={"decision": decision_id, "action": action, "labels": list(labels), "queue": queue.name,
                 "escalated": escalate, **where, **facts(at, handle_ms, shown_at, revealed_ms, note)})
    if target is None:
        items.close(store, item_id)  # after the chain's lock, never waiting for it (items.close says why)
    return Made(decision_id, queue, at, handle_ms, target)


def _decided_at(pressed: str | None, shown_at: str | None, now: str) -> str:
    """When the decision was made: *pressed* if it lies between the item's showing and now, else now."""
    if pressed is None:
        return now
    moment = parse(pressed)
    if moment > parse(now) or (shown_at is not None and moment < parse(shown_at)):
        return now
    return iso(moment)


def record_past_escalation(store: Store, user: User, item_id: int, *, action: str, escalate_to: str, reason: str,
                           escalated_at: str) -> int:
    """Store an escalation made earlier (the demo's), as if made in review at *escalated_at*; its decision id.

    One transaction, the row and event of :func:`record` (``decision.made``, ``escalated``, ``past``) with
    no claim and no handle time. Refused ``"no_item"`` unless the item waits in a review queue, or as
    :func:`record` refuses an escalation.
    """
    with store.transaction():
        found = items.queue_and_state(store, item_id)
        if found is None or found[1] != "pending":
            raise Refused("no_item")
        queue = store.queue_by_id(found[0])
        target = _route(store, queue, escalate_to)
        decision_id = append(
            store, item_id=item_id, user_id=user.id, queue_id=queue.id, action=action, labels=(), note=reason,
            shown_at=None, decided_at=escalated_at, handle_ms=None, revealed_ms=0, source="review",
        )
        escalation, due = escalation_rows.escalate(store, item_id, decision_id, target, escalated_at)
        store.log(user.name, "decision.made", f"item:{item_id}",
                  {"decision": decision_id, "action": action, "labels": [], "queue": queue.name,
                   "escalated": True, "escalated_to": target.name, "escalated_to_id": target.id,
                   "escalation": escalation, "due_at": due,
                   "past": True, **facts(escalated_at, None, None, 0, reason)})
    return decision_id


def _route(store: Store, queue: Queue, escalate_to: str | None) -> Queue:
    """The escalation queue an escalation from *queue* goes to: *escalate_to*, or the default route."""
    allowed = escalation_rows.routes(store, queue)
    if not allowed:
        raise Refused("no_escalation", queue.name)
    if escalate_to is None:
        return allowed[0]
    chosen = next((q for q in allowed if q.name == escalate_to), None)
    if chosen is None:
        raise Refused("no_route", escalate_to)
    return chosen


def record_past(
    store: Store,
    user: User,
    item_id: int,
    *,
    action: str,
    labels: Sequence[str],
    decided_at: str,
    note: str,
    handle_ms: int | None,
    source: str,
) -> int:
    """Store a decision made earlier, elsewhere, in one transaction; its id.

    No lease is involved; the item is closed like any decided item (and a
    lease left on it ends). Refused ``"no_item"`` if there is no such item.
    """
    shown_at = iso(parse(decided_at) - _dt.timedelta(milliseconds=handle_ms)) if handle_ms is not None else None
    with store.transaction():
        found = items.queue_and_state(store, item_id)
        if found is None:
            raise Refused("no_item")
        decision_id = append(
            store, item_id=item_id, user_id=user.id, queue_id=found[0], action=action, labels=labels, note=note,
            shown_at=shown_at, decided_at=decided_at, handle_ms=handle_ms, revealed_ms=0, source=source,
        )
        items.close(store, item_id)
        leases.drop(store, item_id)  # closed: nobody holds it any more
        case_rows.follow(store, item_id, decision_id, user, store.now())
        store.log(user.name, "decision.recorded", f"item:{item_id}",
                  {"decision": decision_id, "action": action, "labels": list(labels), "source": source,
                   "queue": store.queue_by_id(found[0]).name, **facts(decided_at, handle_ms, shown_at, 0, note)})
    return decision_id


def revoke(
    store: Store, user: User, decision_id: int, *, worked_by: Mapping[str, Collection[str]], window_ms: float,
    lease_seconds: int, screen: leases.Veto,
) -> tuple[int, int]:
    """Revoke *user*'s own decision within *window_ms* and lease its item back to them; (item id, claim).

    Appends a revoking row, reopens the item in the queue it was decided in
    (or the one that queue was merged into since) and leases it to the user
    under a new claim (its ``item.claimed`` event), in one transaction.
    Refused ``"no_decision"``, ``"not_owner"``, ``"superseded"`` (already
    undone or decided again), ``"too_late"``, ``"taken"`` (someone else
    holds the item now) or ``"not_worked"`` (detail: the queue's name) when
    the item would reopen in a queue the user may not work now (by
    *worked_by*, their roles re-read here, or by a lead's queue limit): a
    lead who lost the role since deciding an escalation, a queue merged
    meanwhile into one of another kind, a moderator limited since to other
    queues. The lease undo hands out must not be one no claim could give.
    """
    with store.transaction():
        row = revocable(store, decision_id)
        if row is None:
            raise Refused("no_decision")
        item_id, owner_id, queue_id, decided_at = row
        if owner_id != user.id:
            raise Refused("not_owner")
        if current_id(store, item_id) != decision_id:
            raise Refused("superseded")
        now = store.now()
        if ms_between(decided_at, now) > window_ms:
            raise Refused("too_late")
        holder = leases.live_holder(store, item_id, now)
        if holder is not None and holder[0] != user.id:
            raise Refused("taken", holder[1])
        items.reopen(store, item_id, queue_id)
        found = items.queue_and_state(store, item_id)
        assert found is not None  # a decision's item exists (foreign key)
        reopened = store.queue_by_id(found[0])
        allowed = people_rows.allowed_queue_ids(store, store.user(user.name))  # a lead's limit, as a claim has it
        if reopened.kind not in leases.kinds_worked_now(store, user, worked_by) or (
                allowed is not None and reopened.id not in allowed):
            raise Refused("not_worked", reopened.name)  # the transaction undoes the reopening
        screen(reopened, parse(now))  # the roster and the rotation rules, as a claim has them
        revoke_id = append(
            store, item_id=item_id, user_id=user.id, queue_id=queue_id, action="revoke", labels=(), note="undo",
            shown_at=None, decided_at=now, handle_ms=None, revealed_ms=0, source="review", revokes_id=decision_id,
        )
        escalation = escalation_rows.revoked(store, user, decision_id, now)  # which escalation it undid, reopened
        case_rows.unfollow(store, user, decision_id, revoke_id, now)  # the reports its case's decision closed
        store.log(user.name, "decision.revoked", f"item:{item_id}",
                  {"decision": decision_id, "revocation": revoke_id,
                   **escalation, **facts(now, None, None, 0, "undo")})
        expires = iso(parse(now) + _dt.timedelta(seconds=lease_seconds))
        claim = store.log(user.name, "item.claimed", f"item:{item_id}", {"expires_at": expires, "undo": decision_id})
        leases.grant(store, item_id, user.id, claim, now, expires)
    return item_id, claim


def facts(
    decided_at: str, handle_ms: int | None, shown_at: str | None, revealed_ms: int, note: str
) -> dict[str, object]:
    """The rest of a decision row, as its event records it, so ``verify`` can tell a back-dated or edited row.

    Times feed handle-time and SLA figures, so they are kept as written;
    the note only as its SHA-256: the log is append-only and a note may
    quote the content, so the note itself stays in the row alone.
    """
    return {"decided_at": decided_at, "handle_ms": handle_ms, "shown_at": shown_at, "revealed_ms": revealed_ms,
            "note_sha256": note_digest(note)}


def note_digest(note: str) -> str:
    return hashlib.sha256(note.encode("utf-8")).hexdigest()


def current_id(store: Store, item_id: int) -> int | None:
    """The id of the item's current decision, or None."""
    row = store.db.execute(
        """SELECT d.id FROM decisions d
           WHERE d.item_id = ? AND d.revokes_id IS NULL
             AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id)
           ORDER BY d.id DESC LIMIT 1""",
        [item_id],
    ).fetchone()
    return row[0] if row else None


def revocable(store: Store, decision_id: int) -> tuple[int, int, int, str] | None:
    """(item id, user id, queue id, decided_at) of a decision that is not itself a revocation."""
    row = store.db.execute(
        "SELECT item_id, user_id, queue_id, decided_at FROM decisions WHERE id = ? AND revokes_id IS NULL",
        [decision_id],
    ).fetchone()
    return (row[0], row[1], row[2], row[3]) if row else None
