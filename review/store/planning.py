"""What the capacity forecast reads: arrivals, decisions, handle times and pending due times per queue.

Every query is an indexed range (``decisions_time``, ``items_serving``)
except the arrivals count, which reads ``received_at`` of the window's
items, as the dashboard's hourly arrivals do. Times are Veil's canonical
UTC text, so text order is time order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from review.store import Store


def received_between(store: Store, since: str, until: str) -> dict[int, int]:
    """The arrivals of [since, until) per queue id: what each queue was given to work in the window.

    A review queue's are the items received in the window, counted in the
    queue they were received in (an item escalated out since still came
    to it). An escalation queue's are the escalations opened into it in the
    window, however old their item, plus items reported straight to it.
    """
    arrivals: dict[int, int] = defaultdict(int)
    for queue_id, count in store.db.execute(
            "SELECT COALESCE((SELECT d.queue_id FROM escalations e JOIN decisions d ON d.id = e.decision_id"
            " WHERE e.item_id = i.id ORDER BY e.id LIMIT 1), i.queue_id), COUNT(*)"
            " FROM items i WHERE i.received_at >= ? AND i.received_at < ? GROUP BY 1", [since, until]):
        arrivals[queue_id] += count
    for queue_id, count in store.db.execute(
            "SELECT e.sent_to_id, COUNT(*) FROM escalations e JOIN decisions d ON d.id = e.decision_id"
            " WHERE d.decided_at >= ? AND d.decided_at < ? GROUP BY e.sent_to_id", [since, until]):
        arrivals[queue_id] += count
    return dict(arrivals)


def decided_between(store: Store, since: str, until: str) -> dict[int, int]:
    """Decisions made in [since, until) per queue id, net of undo (a revocation takes one back)."""
    return dict(store.db.execute(
        "SELECT queue_id, SUM(CASE WHEN revokes_id IS NULL THEN 1 ELSE -1 END) FROM decisions"
        " WHERE decided_at >= ? AND decided_at < ? GROUP BY queue_id", [since, until]).fetchall())


def handle_ms_between(store: Store, since: str, until: str) -> dict[int, list[int]]:
    """Measured handle times (ms) of the decisions made in [since, until), per queue id (undos left out)."""
    by_queue: dict[int, list[int]] = defaultdict(list)
    for queue_id, handle_ms in store.db.execute(
            "SELECT queue_id, handle_ms FROM decisions WHERE decided_at >= ? AND decided_at < ?"
            " AND revokes_id IS NULL AND handle_ms IS NOT NULL", [since, until]):
        by_queue[queue_id].append(handle_ms)
    return dict(by_queue)


def pending_times(store: Store, queue_id: int, *, by_received: bool = False) -> Iterator[tuple[str, str]]:
    """(received_at, due_at) of every pending item of the queue, earliest due first (*by_received*: earliest
    received first), as the store hands them over: a forecast reads on only until its first breach, so a
    queue of a million waiting items that breaches today is not read whole."""
    order = "received_at, id" if by_received else "due_at, id"
    yield from store.db.execute(
        f"SELECT received_at, due_at FROM items WHERE queue_id = ? AND state = 'pending' ORDER BY {order}",
        [queue_id])
