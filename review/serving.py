"""Serving items to reviewers: claims, leases, renewal, release.

A claim is one ``BEGIN IMMEDIATE`` transaction: find the best unleased
pending item, then take it with an upsert that only succeeds over a missing
or expired lease (``INSERT … ON CONFLICT … DO UPDATE … WHERE expired
RETURNING``). The immediate write lock means two processes can never both
see the same item as free; the guarded upsert means that even if they could,
only one would get it. An expired lease simply stops counting, so a killed
client's item returns to the queue by itself.

Order: queue priority, then item priority, then due time, then arrival.
Each queue's best candidate comes from the ``items_serving`` index, so a
claim costs a few index probes however large the store is.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from typing import Any, Sequence

from review.clock import iso
from review.store import Queue, Store, User

LEASE_SECONDS = 600


class LeaseLost(Exception):
    """The user no longer holds the item (expired and taken by someone else)."""


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
    content_sha256: str | None
    phash: str | None
    received_at: str
    due_at: str
    state: str

    @property
    def category(self) -> str | None:
        return self.metadata.get("category")

    @property
    def description(self) -> str:
        return str(self.metadata.get("description") or "")


_ITEM_SQL = """
SELECT i.id, i.external_id, i.queue_id, q.name, i.kind, i.media_path, i.media_type, i.text, i.metadata,
       i.severity, i.priority, i.content_sha256, i.phash, i.received_at, i.due_at, i.state
FROM items i JOIN queues q ON q.id = i.queue_id
"""


def _item(row: Sequence[Any]) -> Item:
    values = list(row)
    values[8] = json.loads(values[8] or "{}")
    return Item(*values)


def load_item(store: Store, item_id: int) -> Item:
    row = store.db.execute(_ITEM_SQL + " WHERE i.id = ?", [item_id]).fetchone()
    if row is None:
        raise KeyError(f"no item with id {item_id}")
    return _item(row)


def servable_queues(store: Store, user: User, names: Sequence[str] | None = None) -> list[Queue]:
    """The queues *user* may be served from: the named ones, else all of theirs.

    Moderators work review queues; leads also work escalation queues.
    Paused queues serve nobody.
    """
    kinds = {"review"} | ({"escalation"} if user.has("lead") else set())
    queues = [q for q in store.queues() if not q.paused and q.kind in kinds]
    if names:
        wanted = set(names)
        queues = [q for q in queues if q.name in wanted]
    return queues


def _best_candidate(
    store: Store, queues: Sequence[Queue], now: str, exclude: Sequence[int] = (), *, severe: bool = True
) -> tuple[int, int] | None:
    """(item id, queue id) of the next unleased pending item, or None.

    With ``severe=False`` items whose severity is ``severe`` are passed over.
    """
    best_key, best = None, None
    skip = f"AND i.id NOT IN ({','.join(str(int(i)) for i in exclude)})" if exclude else ""
    if not severe:
        skip += " AND (i.severity IS NULL OR i.severity != 'severe')"
    for queue in queues:
        row = store.db.execute(
            f"""
            SELECT i.id, i.priority, i.due_at, i.received_at FROM items i
            WHERE i.queue_id = ? AND i.state = 'pending' {skip}
              AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.item_id = i.id AND l.expires_at > ?)
            ORDER BY i.priority DESC, i.due_at, i.received_at, i.id LIMIT 1
            """,
            [queue.id, now],
        ).fetchone()
        if row is None:
            continue
        key = (-queue.priority, -row[1], row[2], row[3], row[0])
        if best_key is None or key < best_key:
            best_key, best = key, (row[0], queue.id)
    return best


SEVERE_RULES = ("allow", "prefer_mild", "never")


def _check_rule(severe: str) -> None:
    if severe not in SEVERE_RULES:
        raise ValueError(f"unknown severe rule {severe!r} (one of {', '.join(SEVERE_RULES)})")


def _pick(store: Store, queues: Sequence[Queue], now: str, exclude: Sequence[int], severe: str) -> tuple[int, int] | None:
    """Apply the severe rule on top of the serving order."""
    _check_rule(severe)
    found = None
    if severe != "allow":
        found = _best_candidate(store, queues, now, exclude, severe=False)
    if found is None and severe != "never":
        found = _best_candidate(store, queues, now, exclude)
    return found


def peek_next(
    store: Store, user: User, queues: Sequence[str] | None = None, exclude: Sequence[int] = (), *, severe: str = "allow"
) -> Item | None:
    """The item a claim would most likely get next, without taking it (for prefetch)."""
    found = _pick(store, servable_queues(store, user, queues), iso(store.clock.now()), exclude, severe)
    return load_item(store, found[0]) if found else None


def claim_next(
    store: Store,
    user: User,
    queues: Sequence[str] | None = None,
    *,
    exclude: Sequence[int] = (),
    lease_seconds: int = LEASE_SECONDS,
    severe: str = "allow",
) -> Item | None:
    """Lease the next item for *user*; None when nothing is waiting.

    *exclude* holds items this session skipped, so a skip is not served
    straight back to the person who skipped it. *severe* is the wellbeing
    rule for severe items: ``"allow"``, ``"prefer_mild"`` (serve something
    milder if anything milder waits) or ``"never"`` (the person's daily
    severe budget is spent).
    """
    _check_rule(severe)
    with store.transaction():
        candidates = servable_queues(store, user, queues)  # read under the write lock: a queue paused now serves nobody
        now_dt = store.clock.now()
        now, expires = iso(now_dt), iso(now_dt + _dt.timedelta(seconds=lease_seconds))
        # One item at a time: give back what is already held. Only a pending
        # item counts: a live lease left on a closed item (a history import
        # closed it) must not hide the pending one the user also holds.
        held = store.db.execute(
            "SELECT l.item_id FROM leases l JOIN items i ON i.id = l.item_id"
            " WHERE l.user_id = ? AND l.expires_at > ? AND i.state = 'pending'"
            " ORDER BY l.claimed_at, l.item_id LIMIT 1",
            [user.id, now],
        ).fetchone()
        if held is not None:
            return load_item(store, held[0])
        found = _pick(store, candidates, now, exclude, severe)
        if found is None:
            return None
        taken = store.db.execute(
            """
            INSERT INTO leases (item_id, user_id, claimed_at, expires_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (item_id) DO UPDATE SET user_id = excluded.user_id, claimed_at = excluded.claimed_at,
                expires_at = excluded.expires_at
            WHERE leases.expires_at <= excluded.claimed_at
            RETURNING item_id
            """,
            [found[0], user.id, now, expires],
        ).fetchone()
        if taken is None:
            return None
        store.log(user.name, "item.claimed", f"item:{found[0]}", {"expires_at": expires})
    return load_item(store, found[0])


def holder(store: Store, item_id: int) -> tuple[str, str] | None:
    """(user name, expires_at) of the live lease on the item, if any."""
    row = store.db.execute(
        "SELECT u.name, l.expires_at FROM leases l JOIN users u ON u.id = l.user_id"
        " WHERE l.item_id = ? AND l.expires_at > ?",
        [item_id, iso(store.clock.now())],
    ).fetchone()
    return (row[0], row[1]) if row else None


def ensure_held(store: Store, user: User, item_id: int) -> None:
    """Raise LeaseLost unless *user* holds the item or nobody else does.

    Called inside a write transaction. A lapsed lease that nobody else took
    is still good: the reviewer was slow, not wrong.
    """
    current = holder(store, item_id)
    if current is not None and current[0] != user.name:
        raise LeaseLost(f"{current[0]} is working on this item now (your hold on it expired)")


def renew(store: Store, user: User, item_id: int, *, lease_seconds: int = LEASE_SECONDS) -> str:
    """Extend the user's lease while the item stays open; returns the new expiry."""
    with store.transaction():
        ensure_held(store, user, item_id)
        now_dt = store.clock.now()
        expires = iso(now_dt + _dt.timedelta(seconds=lease_seconds))
        store.db.execute(
            "INSERT INTO leases (item_id, user_id, claimed_at, expires_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (item_id) DO UPDATE SET user_id = excluded.user_id, expires_at = excluded.expires_at",
            [item_id, user.id, iso(now_dt), expires],
        )
    return expires


def release(store: Store, user: User, item_id: int, *, reason: str = "released") -> None:
    """Give the item back to its queue (skip, sign-out, close)."""
    with store.transaction():
        gone = store.db.execute("DELETE FROM leases WHERE item_id = ? AND user_id = ?", [item_id, user.id]).rowcount
        if gone:
            store.log(user.name, "item.released", f"item:{item_id}", {"reason": reason})


def release_all(store: Store, user: User, *, reason: str = "signed out") -> int:
    with store.transaction():
        items = [r[0] for r in store.db.execute("SELECT item_id FROM leases WHERE user_id = ?", [user.id])]
        store.db.execute("DELETE FROM leases WHERE user_id = ?", [user.id])
        for item_id in items:
            store.log(user.name, "item.released", f"item:{item_id}", {"reason": reason})
    return len(items)
