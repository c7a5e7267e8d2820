"""Decisions: append-only rows, each written in one transaction with its event.

A decision closes its item (``state = 'decided'``) and releases its lease.
Undo never deletes: it appends a row whose ``revokes_id`` points at the
revoked decision and puts the item back to ``pending``. An item's current
decision is its latest row that neither revokes nor has been revoked.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from typing import Sequence

from review import VERSION
from review.clock import iso, normalise, parse
from review.media import phash_distance
from review.serving import LEASE_SECONDS, Item, LeaseLost, ensure_held
from review.store import Store, User
from review.taxonomy import Taxonomy

UNDO_WINDOW_S = 10.0
CLIENT_VERSION = f"veil {VERSION}"


class DecisionError(Exception):
    """A decision that cannot be stored; the message is said on screen."""


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


def _insert(
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
    cursor = store.db.execute(
        "INSERT INTO decisions (item_id, user_id, queue_id, action, labels, note, shown_at, decided_at,"
        " handle_ms, revealed_ms, client_version, source, revokes_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [item_id, user_id, queue_id, action, json.dumps(list(labels)), note, shown_at, decided_at,
         handle_ms, revealed_ms, CLIENT_VERSION, source, revokes_id],
    )
    return cursor.lastrowid


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
    user_row = store.user(user)
    with store.transaction():
        queue_id = store.db.execute("SELECT queue_id FROM items WHERE id = ?", [item_id]).fetchone()
        if queue_id is None:
            raise DecisionError(f"no item with id {item_id}")
        decided_at = iso(parse(decided_at))
        shown_at = iso(parse(decided_at) - _dt.timedelta(milliseconds=handle_ms)) if handle_ms is not None else None
        decision_id = _insert(
            store, item_id=item_id, user_id=user_row.id, queue_id=queue_id[0], action=action, labels=labels,
            note=note, shown_at=shown_at, decided_at=decided_at, handle_ms=handle_ms, revealed_ms=0, source=source,
        )
        store.db.execute("UPDATE items SET state = 'decided' WHERE id = ?", [item_id])
        store.db.execute("DELETE FROM leases WHERE item_id = ?", [item_id])  # closed: nobody holds it any more
        store.log(user, "decision.recorded", f"item:{item_id}",
                  {"decision": decision_id, "action": action, "labels": list(labels), "source": source})
    return decision_id


def _current(store: Store, item_id: int) -> tuple | None:
    return store.db.execute(
        """SELECT d.id, d.user_id, d.queue_id, d.action, d.decided_at FROM decisions d
           WHERE d.item_id = ? AND d.revokes_id IS NULL
             AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id)
           ORDER BY d.id DESC LIMIT 1""",
        [item_id],
    ).fetchone()


def decide(
    store: Store,
    taxonomy: Taxonomy,
    user: User,
    item_id: int,
    *,
    action: str,
    labels: Sequence[str] = (),
    note: str = "",
    shown_at: str | None = None,
    revealed_ms: int = 0,
) -> Decision:
    """Record *user*'s decision on a claimed item, in one transaction.

    Raises DecisionError (rule not met, item gone) or LeaseLost (someone
    else holds the item). ``escalate`` moves the item to its queue's
    escalation queue, still pending, for a lead to decide.
    """
    problem = taxonomy.check(action, labels, note)
    if problem:
        raise DecisionError(problem)
    escalates = taxonomy.action(action).escalates
    if shown_at is not None:
        try:
            shown_at = normalise(shown_at)
        except (ValueError, TypeError, AttributeError):
            raise DecisionError(f"shown_at {shown_at!r} is not an ISO 8601 time") from None
    with store.transaction():
        ensure_held(store, user, item_id)
        row = store.db.execute("SELECT queue_id, state FROM items WHERE id = ?", [item_id]).fetchone()
        if row is None or row[1] != "pending":
            raise DecisionError("This item has already been decided")
        # The lease row (live or lapsed) must still be the user's. Deciding,
        # escalating and giving an item back delete it, so a second window
        # showing the same item cannot decide it again, e.g. close an item
        # the first window just escalated to a lead.
        lease = store.db.execute("SELECT user_id FROM leases WHERE item_id = ?", [item_id]).fetchone()
        if lease is None or lease[0] != user.id:
            raise LeaseLost("You no longer hold this item (it was escalated, decided or given back meanwhile)")
        queue = store.queue_by_id(row[0])
        if escalates and queue.escalation_queue_id is None:
            raise DecisionError(f"The queue {queue.name!r} has no escalation queue; ask a lead to set one")
        now = store.now()
        handle_ms = _ms_between(shown_at, now) if shown_at else None
        decision_id = _insert(
            store, item_id=item_id, user_id=user.id, queue_id=queue.id, action=action, labels=labels, note=note,
            shown_at=shown_at, decided_at=now, handle_ms=handle_ms, revealed_ms=int(revealed_ms), source="review",
        )
        if escalates:
            store.db.execute("UPDATE items SET queue_id = ? WHERE id = ?", [queue.escalation_queue_id, item_id])
        else:
            store.db.execute("UPDATE items SET state = 'decided' WHERE id = ?", [item_id])
        store.db.execute("DELETE FROM leases WHERE item_id = ?", [item_id])
        store.log(user.name, "decision.made", f"item:{item_id}",
                  {"decision": decision_id, "action": action, "labels": list(labels), "queue": queue.name})
    return Decision(decision_id, item_id, user.name, queue.id, action, tuple(labels), note, now, handle_ms,
                    int(revealed_ms), "review")


def undo(store: Store, user: User, decision_id: int, *, window_s: float = UNDO_WINDOW_S, lease_seconds: int = LEASE_SECONDS) -> int:
    """Revoke the user's own recent decision and hand the item back to them.

    Appends a revoking row (nothing is deleted), reopens the item in the
    queue it was decided in, and leases it to the user again. Returns the
    item id.
    """
    with store.transaction():
        row = store.db.execute(
            "SELECT item_id, user_id, queue_id, decided_at FROM decisions WHERE id = ? AND revokes_id IS NULL",
            [decision_id],
        ).fetchone()
        if row is None:
            raise DecisionError("There is no such decision to undo")
        item_id, owner_id, queue_id, decided_at = row
        if owner_id != user.id:
            raise DecisionError("Only the person who made a decision can undo it")
        current = _current(store, item_id)
        if current is None or current[0] != decision_id:
            raise DecisionError("This decision was already undone or superseded")
        now = store.now()
        if _ms_between(decided_at, now) > window_s * 1000:
            raise DecisionError(f"Undo is possible for {window_s:.0f} s after a decision; ask a lead to change it now")
        current_holder = store.db.execute(
            "SELECT user_id FROM leases WHERE item_id = ? AND expires_at > ?", [item_id, now]
        ).fetchone()
        if current_holder is not None and current_holder[0] != user.id:
            raise DecisionError("Someone else is already working on this item")
        revoke_id = _insert(
            store, item_id=item_id, user_id=user.id, queue_id=queue_id, action="revoke", labels=(), note="undo",
            shown_at=None, decided_at=now, handle_ms=None, revealed_ms=0, source="review", revokes_id=decision_id,
        )
        # Back to the queue it was decided in, or where that queue was merged since.
        store.db.execute(
            "UPDATE items SET state = 'pending',"
            " queue_id = COALESCE((SELECT merged_into_id FROM queues WHERE id = ?), ?) WHERE id = ?",
            [queue_id, queue_id, item_id],
        )
        expires = iso(parse(now) + _dt.timedelta(seconds=lease_seconds))
        store.db.execute(
            "INSERT INTO leases (item_id, user_id, claimed_at, expires_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (item_id) DO UPDATE SET user_id = excluded.user_id, claimed_at = excluded.claimed_at,"
            " expires_at = excluded.expires_at",
            [item_id, user.id, now, expires],
        )
        store.log(user.name, "decision.revoked", f"item:{item_id}", {"decision": decision_id, "revocation": revoke_id})
    return item_id


NEAR_DUPLICATE_BITS = 6


def history(store: Store, item: Item, *, near_bits: int = NEAR_DUPLICATE_BITS) -> dict[str, int]:
    """Current decisions on the same content elsewhere: {"remove": 3, ...}.

    "The same content" is the same SHA-256, or a perceptual hash within
    *near_bits* of this one, so a re-upload or a re-encoded, cropped copy
    shows its earlier outcome ("seen before: removed ×3"). Candidates come
    from the indexed hash quarters (see schema m004); the distance is exact.
    """
    if not item.content_sha256 and not item.phash:
        return {}
    same: set[int] = set()
    if item.content_sha256:
        same.update(r[0] for r in store.db.execute(
            "SELECT id FROM items WHERE content_sha256 = ? AND id != ?", [item.content_sha256, item.id]))
    if item.phash and len(item.phash) == 16:
        quarters = [item.phash[i : i + 4] for i in (0, 4, 8, 12)]
        rows = store.db.execute(
            "SELECT id, phash FROM items WHERE id != ? AND (substr(phash, 1, 4) = ? OR substr(phash, 5, 4) = ?"
            " OR substr(phash, 9, 4) = ? OR substr(phash, 13, 4) = ?)",
            [item.id, *quarters],
        )
        same.update(i for i, other in rows if phash_distance(item.phash, other) <= near_bits)
    counts: dict[str, int] = {}
    for start in range(0, len(same), 500):
        chunk = sorted(same)[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for action, count in store.db.execute(
            f"""SELECT d.action, COUNT(*) FROM decisions d WHERE d.item_id IN ({marks})
                AND d.revokes_id IS NULL AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id)
                GROUP BY d.action""",
            chunk,
        ):
            counts[action] = counts.get(action, 0) + count
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _ms_between(start: str, end: str) -> int:
    return int((parse(end) - parse(start)).total_seconds() * 1000)
