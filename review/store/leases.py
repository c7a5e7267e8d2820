"""Leases: claiming, renewing and giving back items, each one transaction, and who holds what until when.

Times are Veil's canonical UTC text (``review.clock.iso``), so "still live"
is a plain text comparison that the ``leases`` and ``items_serving``
indexes answer.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from review.clock import iso
from review.store import Refused

if TYPE_CHECKING:
    from review.store import Queue, Store, User


# ------------------------------------------------------------------ writes
def claim(
    store: Store,
    user: User,
    *,
    kinds: Collection[str],
    names: Sequence[str] | None,
    passes: Sequence[bool],
    exclude: Sequence[int],
    lease_seconds: int,
) -> int | None:
    """Lease the next item to *user*, in one transaction; its id, or None when nothing waits.

    One item at a time: an item the user already holds (pending) comes back
    instead. The queues are read under the write lock, so a queue paused a
    moment ago serves nobody; *kinds*, *names* and *passes* are as for
    :func:`serving_queues` and :func:`next_free`.
    """
    with store.transaction():
        now_dt = store.clock.now()
        now, expires = iso(now_dt), iso(now_dt + _dt.timedelta(seconds=lease_seconds))
        held = held_pending(store, user.id, now)
        if held is not None:
            return held
        found = next_free(store, serving_queues(store, kinds, names), now, exclude, passes)
        if found is None or not take(store, found, user.id, now, expires):
            return None
        store.log(user.name, "item.claimed", f"item:{found}", {"expires_at": expires})
    return found


def renew(store: Store, user: User, item_id: int, *, lease_seconds: int) -> str:
    """Extend *user*'s lease on the item, in one transaction; the new expiry.

    Refused ``"held"`` (detail: the holder's name) if someone else holds a
    live lease on it. A lapsed lease nobody else took is renewed.
    """
    with store.transaction():
        now_dt = store.clock.now()
        now, expires = iso(now_dt), iso(now_dt + _dt.timedelta(seconds=lease_seconds))
        holder = live_holder(store, item_id, now)
        if holder is not None and holder[0] != user.id:
            raise Refused("held", holder[1])
        extend(store, item_id, user.id, now, expires)
    return expires


def release(store: Store, user: User, item_id: int, *, reason: str) -> None:
    """Give *user*'s item back to its queue, with its event; nothing happens if they do not hold it."""
    with store.transaction():
        if give_back(store, item_id, user.id):
            store.log(user.name, "item.released", f"item:{item_id}", {"reason": reason})


# ----------------------------------------------------------------- reading
def serving_queues(store: Store, kinds: Collection[str], names: Sequence[str] | None = None) -> list[Queue]:
    """Unpaused queues of these *kinds*, only the *names* given if any."""
    queues = [q for q in store.queues() if not q.paused and q.kind in kinds]
    if names:
        wanted = set(names)
        queues = [q for q in queues if q.name in wanted]
    return queues


def next_free(
    store: Store, queues: Sequence[Queue], now: str, exclude: Sequence[int], passes: Sequence[bool]
) -> int | None:
    """The id of the item a claim takes next from *queues*, or None.

    Order: queue priority, then item priority, then due time, then arrival.
    *passes* are tried in turn until one finds an item: ``True`` serves any
    item, ``False`` passes over severe ones (the wellbeing rule).
    """
    for severe in passes:
        best_key: tuple[int, int, str, str, int] | None = None
        for queue in queues:
            row = best_unleased(store, queue.id, now, exclude, severe=severe)
            if row is not None:
                key = (-queue.priority, -row[1], row[2], row[3], row[0])
                best_key = key if best_key is None or key < best_key else best_key
        if best_key is not None:
            return best_key[4]
    return None


def held_pending(store: Store, user_id: int, now: str) -> int | None:
    """The pending item *user_id* holds a live lease on (the earliest claimed), or None.

    Only a pending item counts: a live lease left on a closed item (a
    history import closed it) must not hide the pending one also held.
    """
    row = store.db.execute(
        "SELECT l.item_id FROM leases l JOIN items i ON i.id = l.item_id"
        " WHERE l.user_id = ? AND l.expires_at > ? AND i.state = 'pending'"
        " ORDER BY l.claimed_at, l.item_id LIMIT 1",
        [user_id, now],
    ).fetchone()
    return row[0] if row else None


def best_unleased(
    store: Store, queue_id: int, now: str, exclude: Sequence[int] = (), *, severe: bool = True
) -> tuple[int, int, str, str] | None:
    """(id, priority, due_at, received_at) of the queue's next unleased pending item, or None.

    With ``severe=False`` items whose severity is ``severe`` are passed over.
    One probe of the ``items_serving`` index.
    """
    skip = f" AND i.id NOT IN ({','.join('?' * len(exclude))})" if exclude else ""
    if not severe:
        skip += " AND (i.severity IS NULL OR i.severity != 'severe')"
    row = store.db.execute(
        f"""
        SELECT i.id, i.priority, i.due_at, i.received_at FROM items i
        WHERE i.queue_id = ? AND i.state = 'pending'{skip}
          AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.item_id = i.id AND l.expires_at > ?)
        ORDER BY i.priority DESC, i.due_at, i.received_at, i.id LIMIT 1
        """,
        [queue_id, *(int(i) for i in exclude), now],
    ).fetchone()
    return (row[0], row[1], row[2], row[3]) if row else None


def take(store: Store, item_id: int, user_id: int, now: str, expires: str) -> bool:
    """Lease the item to *user_id* unless someone holds a live lease on it; True if taken.

    The upsert only overwrites an expired lease, so even two writers that
    both saw the item free cannot both get it.
    """
    taken = store.db.execute(
        """
        INSERT INTO leases (item_id, user_id, claimed_at, expires_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (item_id) DO UPDATE SET user_id = excluded.user_id, claimed_at = excluded.claimed_at,
            expires_at = excluded.expires_at
        WHERE leases.expires_at <= excluded.claimed_at
        RETURNING item_id
        """,
        [item_id, user_id, now, expires],
    ).fetchone()
    return taken is not None


def grant(store: Store, item_id: int, user_id: int, now: str, expires: str) -> None:
    """Lease the item to *user_id* whatever lease it had (undo hands an item back)."""
    store.db.execute(
        "INSERT INTO leases (item_id, user_id, claimed_at, expires_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (item_id) DO UPDATE SET user_id = excluded.user_id, claimed_at = excluded.claimed_at,"
        " expires_at = excluded.expires_at",
        [item_id, user_id, now, expires],
    )


def extend(store: Store, item_id: int, user_id: int, now: str, expires: str) -> None:
    """Move the lease's expiry to *expires*, keeping when it was claimed (renewal)."""
    store.db.execute(
        "INSERT INTO leases (item_id, user_id, claimed_at, expires_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (item_id) DO UPDATE SET user_id = excluded.user_id, expires_at = excluded.expires_at",
        [item_id, user_id, now, expires],
    )


def live_holder(store: Store, item_id: int, now: str) -> tuple[int, str, str] | None:
    """(user id, user name, expires_at) of the live lease on the item, or None."""
    row = store.db.execute(
        "SELECT u.id, u.name, l.expires_at FROM leases l JOIN users u ON u.id = l.user_id"
        " WHERE l.item_id = ? AND l.expires_at > ?",
        [item_id, now],
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def owner(store: Store, item_id: int) -> int | None:
    """The user id on the item's lease row, live or lapsed; None if there is none."""
    row = store.db.execute("SELECT user_id FROM leases WHERE item_id = ?", [item_id]).fetchone()
    return row[0] if row else None


def drop(store: Store, item_id: int) -> None:
    """Remove whatever lease the item has (it was decided or escalated)."""
    store.db.execute("DELETE FROM leases WHERE item_id = ?", [item_id])


def give_back(store: Store, item_id: int, user_id: int) -> bool:
    """Remove *user_id*'s lease on the item; True if they had one."""
    gone = store.db.execute(
        "DELETE FROM leases WHERE item_id = ? AND user_id = ? RETURNING item_id", [item_id, user_id]
    ).fetchall()
    return bool(gone)

