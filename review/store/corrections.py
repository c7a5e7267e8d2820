"""Correction requests' rows: a person asks a lead to correct one of their decisions; a lead declines or corrects.

Two append-only tables (schema step m018, :func:`m018`): ``correction_requests``
(which decision, who asked, why, when) and ``correction_outcomes`` (how a
lead ended one: declined with a reason, or corrected by a new decision).
Nothing is updated: a request is open while it has no outcome, so the
history of every request stays as it was written. A correction is modelled
on a complaint's reversal (``review.store.complaints``): the lead's decision
is recorded on the item (``decision.recorded``, source ``correction``) and
nothing is revoked, so the new one is the item's current decision (the
latest live one: exports, account history, statements) while the original
stays live where it was made: QA may still audit it, gold still scores
it, and its period's figures keep it. Each write is one transaction with its
events; a failed guard raises :class:`~review.store.Refused` and
``review.corrections`` words it. A lead's queue limit bounds what they see
and answer, re-read inside the write as undo and the escalation workbench do.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlite_utils

from review.store import Refused, items
from review.store import decisions as decision_rows
from review.store.people import allowed_queue_ids

if TYPE_CHECKING:
    from review.store import Store, User

SOURCE = "correction"  # decisions.source of a lead's correcting decision
OUTCOMES = ("declined", "corrected")


def m018(db: sqlite_utils.Database) -> None:
    """The schema step: both tables, append-only (no UPDATE, no DELETE, no REPLACE), and their indexes."""
    from review.store.schema import _append_only, refuse_replace  # the schema's own guards, as every table has

    db.executescript(
        """
        CREATE TABLE correction_requests (
            id INTEGER PRIMARY KEY,
            decision_id INTEGER NOT NULL REFERENCES decisions(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            reason TEXT NOT NULL CHECK (reason != ''),
            requested_at TEXT NOT NULL
        );
        CREATE INDEX correction_requests_decision ON correction_requests (decision_id, id);
        CREATE INDEX correction_requests_user ON correction_requests (user_id, id);
        CREATE TABLE correction_outcomes (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL UNIQUE REFERENCES correction_requests(id),
            outcome TEXT NOT NULL CHECK (outcome IN ('declined', 'corrected')),
            lead_id INTEGER NOT NULL REFERENCES users(id),
            note TEXT NOT NULL,
            decision_id INTEGER REFERENCES decisions(id),
            ended_at TEXT NOT NULL,
            CHECK (outcome = 'corrected' OR note != ''),
            CHECK ((outcome = 'corrected') = (decision_id IS NOT NULL))
        );
        """
    )
    for table in ("correction_requests", "correction_outcomes"):
        _append_only(db, table)
        refuse_replace(db, table)


#: A request with its decision, item and outcome: the columns :class:`Row` takes, in order.
_ROWS = """
SELECT r.id, r.decision_id, u.name, r.reason, r.requested_at, d.item_id, i.external_id, q.name, d.action, d.labels,
       d.note, d.decided_at, o.outcome, l.name, o.note, o.ended_at, o.decision_id
FROM correction_requests r
JOIN decisions d ON d.id = r.decision_id
JOIN users u ON u.id = r.user_id
JOIN items i ON i.id = d.item_id
JOIN queues q ON q.id = d.queue_id
LEFT JOIN correction_outcomes o ON o.request_id = r.id
LEFT JOIN users l ON l.id = o.lead_id
"""


@dataclass(frozen=True)
class Row:
    """One request as stored: the decision it is about (item, queue, action, labels, note, when) and its outcome."""

    id: int
    decision_id: int
    requested_by: str
    reason: str
    requested_at: str
    item_id: int
    external_id: str
    queue: str
    action: str
    labels: tuple[str, ...]
    note: str
    decided_at: str
    outcome: str | None
    ended_by: str | None
    outcome_note: str | None
    ended_at: str | None
    correction_id: int | None


def _row(values: Sequence[Any]) -> Row:
    found = list(values)
    found[9] = tuple(json.loads(found[9] or "[]"))
    return Row(*found)


def request_rows(store: Store, *, open_only: bool = False, user_id: int | None = None,
                 decision_ids: Sequence[int] = (), queue_ids: Collection[int] | None = None) -> list[Row]:
    """Requests, oldest first: open ones only, one person's, those about *decision_ids*, or those whose item is in
    one of *queue_ids* (a lead's queue limit; None: any queue)."""
    where: list[str] = []
    params: list[int] = []
    if open_only:
        where.append("o.id IS NULL")
    if queue_ids is not None:
        where.append(f"i.queue_id IN ({','.join('?' * len(queue_ids))})" if queue_ids else "1 = 0")
        params.extend(sorted(queue_ids))
    if user_id is not None:
        where.append("r.user_id = ?")
        params.append(user_id)
    if decision_ids:
        where.append(f"r.decision_id IN ({','.join('?' * len(decision_ids))})")
        params.extend(decision_ids)
    sql = _ROWS + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY r.id"
    return [_row(values) for values in store.db.execute(sql, params).fetchall()]


def request_row(store: Store, request_id: int) -> Row | None:
    found = store.db.execute(_ROWS + " WHERE r.id = ?", [request_id]).fetchone()
    return _row(found) if found else None


#: A person's decisions, newest first (``decisions_user`` serves it), with what became of each: id, item id,
#: external id, item kind, text, media path, severity, queue, action, labels, note, decided at,
#: escalated, undone (a revocation names it), and the source of a later live decision that replaced it as the
#: item's current one ('correction', 'complaint', 'review' …; None while it is the current one).
_MINE = """
SELECT d.id, d.item_id, i.external_id, i.kind, i.text, i.media_path, i.severity, q.name, d.action,
       d.labels, d.note, d.decided_at,
       EXISTS (SELECT 1 FROM escalations e WHERE e.decision_id = d.id),
       EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id),
       (SELECT n.source FROM decisions n WHERE n.item_id = d.item_id AND n.id > d.id AND n.revokes_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM decisions x WHERE x.revokes_id = n.id) ORDER BY n.id DESC LIMIT 1)
FROM decisions d JOIN items i ON i.id = d.item_id JOIN queues q ON q.id = d.queue_id
WHERE d.user_id = ? AND d.revokes_id IS NULL AND d.source IS DISTINCT FROM 'case'
ORDER BY d.decided_at DESC, d.id DESC LIMIT ?
"""


def decisions_of(store: Store, user_id: int, limit: int) -> list[tuple[Any, ...]]:
    """The person's last *limit* decisions (never revocations), newest first, as :data:`_MINE` lists them."""
    return [tuple(row) for row in store.db.execute(_MINE, [user_id, limit]).fetchall()]


def _open_request(store: Store, decision_id: int) -> int | None:
    row = store.db.execute(
        "SELECT r.id FROM correction_requests r WHERE r.decision_id = ?"
        " AND NOT EXISTS (SELECT 1 FROM correction_outcomes o WHERE o.request_id = r.id) ORDER BY r.id LIMIT 1",
        [decision_id]).fetchone()
    return int(row[0]) if row else None


def _standing(store: Store, decision_id: int) -> tuple[int, int, int]:
    """(item id, its maker's id, queue id) of a decision that is its item's current one and closed it.

    Refused ``no_decision``, ``superseded`` (undone, corrected or decided again since: a correction and a
    complaint's reversal are later live decisions, so the original is no longer the current one), ``escalated``
    (the item waits for a lead), ``complaint`` (a complaint's ending, or a complaint against it waits).
    """
    row = decision_rows.revocable(store, decision_id)
    if row is None:
        raise Refused("no_decision")
    item_id, user_id, queue_id, _decided_at = row
    if decision_rows.current_id(store, item_id) != decision_id:
        raise Refused("superseded")
    found = items.queue_and_state(store, item_id)
    if found is None or found[1] != "decided":
        raise Refused("escalated")
    if store.db.execute(
            "SELECT 1 FROM complaints c WHERE c.resolution_id = ? OR c.reversal_id = ? OR (c.decision_id = ?"
            " AND c.outcome IS NULL) LIMIT 1", [decision_id, decision_id, decision_id]).fetchone():
        raise Refused("complaint")
    return item_id, user_id, queue_id


def add_request(store: Store, user: User, decision_id: int, reason: str) -> Row:
    """Keep *user*'s request about their own *decision_id*, with its ``decision.correction_requested`` event.

    Refused ``not_owner``, ``already_open`` (detail: the open request's id), or as :func:`_standing` says.
    """
    with store.transaction():
        item_id, owner_id, _queue_id = _standing(store, decision_id)
        if owner_id != user.id:
            raise Refused("not_owner")
        if (already := _open_request(store, decision_id)) is not None:
            raise Refused("already_open", str(already))
        now = store.now()
        request_id = int(store.db.execute(
            "INSERT INTO correction_requests (decision_id, user_id, reason, requested_at) VALUES (?, ?, ?, ?)"
            " RETURNING id", [decision_id, user.id, reason, now]).fetchone()[0])
        store.log(user.name, "decision.correction_requested", f"item:{item_id}",
                  {"request": request_id, "decision": decision_id, "requested_at": now,
                   "reason_sha256": decision_rows.note_digest(reason)})
    found = request_row(store, request_id)
    assert found is not None  # just written
    return found


def within_limit(store: Store, user: User, item_id: int) -> bool:
    """Whether *user*'s queue limit, re-read now, reaches the queue the item is in (merges followed)."""
    allowed = allowed_queue_ids(store, store.user(user.name))
    where = items.queue_and_state(store, item_id)
    return allowed is None or (where is not None and where[0] in allowed)


def _open_for(store: Store, lead: User, request_id: int) -> Row:
    """The open request *lead* may end: refused ``no_request``, ``ended`` (detail: how), ``not_lead``,
    ``own_decision``, ``queue_not_allowed`` (detail: the queue; the item is outside the lead's queue limit)."""
    found = request_row(store, request_id)
    if found is None:
        raise Refused("no_request")
    if found.outcome is not None:
        raise Refused("ended", found.outcome)
    if not store.user(lead.name).has("lead"):  # roles re-read under the write lock
        raise Refused("not_lead")
    if found.requested_by == lead.name:
        raise Refused("own_decision")
    if not within_limit(store, lead, found.item_id):  # the limit re-read under the write lock, as undo does
        raise Refused("queue_not_allowed", found.queue)
    return found


def decline(store: Store, lead: User, request_id: int, reason: str) -> Row:
    """End the open request as declined, with the lead's *reason* and its ``decision.correction_declined`` event."""
    with store.transaction():
        found = _open_for(store, lead, request_id)
        now = store.now()
        store.db.execute(
            "INSERT INTO correction_outcomes (request_id, outcome, lead_id, note, ended_at) VALUES (?, ?, ?, ?, ?)",
            [request_id, "declined", lead.id, reason, now])
        store.log(lead.name, "decision.correction_declined", f"item:{found.item_id}",
                  {"request": request_id, "decision": found.decision_id, "ended_at": now,
                   "note_sha256": decision_rows.note_digest(reason)})
    ended = request_row(store, request_id)
    assert ended is not None
    return ended


def correct(store: Store, lead: User, request_id: int, *, action: str, labels: Sequence[str], note: str) -> Row:
    """Correct the decision of the open request: record the lead's decision, end the request — one transaction.

    As a complaint's reversal does, the new decision (``decision.recorded``,
    source ``correction``, in the queue the original was made in) is added
    beside the original, which is not revoked: the new one is the item's
    current decision, the original keeps its QA sample, gold score and its
    period's figures. ``veil verify`` matches the row with its event as it
    matches every decision; ``decision.corrected`` ends the request. The item
    stays decided (nobody holds it: a decision drops its lease). Refused as
    :func:`_open_for` and :func:`_standing` say.
    """
    with store.transaction():
        found = _open_for(store, lead, request_id)
        item_id, _owner, queue_id = _standing(store, found.decision_id)
        now = store.now()
        corrected = decision_rows.append(
            store, item_id=item_id, user_id=lead.id, queue_id=queue_id, action=action, labels=labels, note=note,
            shown_at=None, decided_at=now, handle_ms=None, revealed_ms=0, source=SOURCE)
        store.log(lead.name, "decision.recorded", f"item:{item_id}",
                  {"decision": corrected, "action": action, "labels": list(labels), "source": SOURCE,
                   "queue": store.queue_by_id(queue_id).name, "correction_request": request_id,
                   **decision_rows.facts(now, None, None, 0, note)})
        store.db.execute(
            "INSERT INTO correction_outcomes (request_id, outcome, lead_id, note, decision_id, ended_at)"
            " VALUES (?, ?, ?, ?, ?, ?)", [request_id, "corrected", lead.id, note, corrected, now])
        store.log(lead.name, "decision.corrected", f"item:{item_id}",
                  {"request": request_id, "decision": found.decision_id, "correction": corrected, "action": action,
                   "labels": list(labels), "ended_at": now, "note_sha256": decision_rows.note_digest(note)})
    ended = request_row(store, request_id)
    assert ended is not None
    return ended


def decision_maker(store: Store, decision_id: int) -> tuple[int, int] | None:
    """(item id, maker's user id) of a decision, or None."""
    row = store.db.execute("SELECT item_id, user_id FROM decisions WHERE id = ?", [decision_id]).fetchone()
    return (int(row[0]), int(row[1])) if row else None
