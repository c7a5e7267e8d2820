"""Item rows: reading one, closing, escalating and reopening it (copies of its content: :mod:`review.store.hashes`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from review.store import dialect, media_root

if TYPE_CHECKING:
    from review.store import Store

#: The columns ``review.serving.Item`` is built from, in its field order.
_ITEM_SELECT = """
SELECT i.id, i.external_id, i.queue_id, q.name, i.kind, i.media_path, i.media_type, i.text, i.metadata,
       i.severity, i.priority, i.content_sha256, i.content_md5, i.pdq, i.pdq_quality, i.received_at, i.due_at,
       i.state, i.case_id
FROM items i JOIN queues q ON q.id = i.queue_id
"""


def item_row(store: Store, item_id: int) -> Sequence[Any] | None:
    """The item's columns with its queue's name (``metadata`` still JSON text, ``media_path`` the file), or None.

    Every reader of an item comes here, so a relative media name becomes a file in the store's media root
    in this one place (:func:`review.store.media_root.resolve`).
    """
    return _resolved(store, store.db.execute(_ITEM_SELECT + " WHERE i.id = ?", [item_id]).fetchone())


def item_row_deferred(store: Store, item_id: int) -> Callable[[], Sequence[Any] | None]:
    """:func:`item_row` read with the open transaction's next round trip (``dialect.execute_deferred``): a claim's
    item as its lease found it, for no round trip of its own (on a server, in its commit's message)."""
    deferred = dialect.execute_deferred(store.db, _ITEM_SELECT + " WHERE i.id = ?", [item_id])
    return lambda: _resolved(store, deferred.first())


def _resolved(store: Store, row: Sequence[Any] | None) -> Sequence[Any] | None:
    if row is None or row[5] is None:
        return row
    return (*row[:5], media_root.resolve(store.media_root, row[5]), *row[6:])


def queue_and_state(store: Store, item_id: int) -> tuple[int, str] | None:
    """(queue id, state) of the item, or None if there is no such item."""
    row = store.db.execute("SELECT queue_id, state FROM items WHERE id = ?", [item_id]).fetchone()
    return (row[0], row[1]) if row else None


def close(store: Store, item_id: int) -> None:
    """Mark the item decided: it leaves its queue. Deferred (:func:`~review.store.dialect.execute_deferred`):
    the queue's counts it moves are rows every desk deciding in the queue writes, locked until the commit.

    A decision closes its item after its event's append (deferred too, behind the event chain's lock): closed
    before it, the transaction held its count rows while it queued for the chain, and every desk deciding in the
    same shard queued behind it. 200 desks on a 1 M-item server store, 10 minutes, the same hour: backends
    waiting for another's row 0.12 per sample, decide p95 15.4 ms; closed after the append, 0.00 and 10.8 ms."""
    dialect.execute_deferred(store.db, "UPDATE items SET state = 'decided' WHERE id = ?", [item_id])


def move_to(store: Store, item_id: int, queue_id: int, *, due_at: str) -> None:
    """Put the item, still pending, in another queue (an escalation, a lead's move) with that queue's due time."""
    store.db.execute("UPDATE items SET queue_id = ?, due_at = ? WHERE id = ?", [queue_id, due_at, item_id])


def reopen(store: Store, item_id: int, queue_id: int) -> None:
    """Make the item pending again in *queue_id*, or in the queue that one was merged into since."""
    store.db.execute(
        "UPDATE items SET state = 'pending',"
        " queue_id = COALESCE((SELECT merged_into_id FROM queues WHERE id = ?), ?) WHERE id = ?",
        [queue_id, queue_id, item_id],
    )


def ids_by_external_id(store: Store) -> dict[str, int]:
    """Every item's id by its external id (for a store whose external ids are unique across queues)."""
    return {r[0]: r[1] for r in store.db.execute("SELECT external_id, id FROM items")}
