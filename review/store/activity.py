"""What arrived and what was decided when: the dashboard's hourly and weekly counts.

Every query is an indexed time range (``decisions_time``) except the hourly
arrivals, which read ``received_at`` of the window's items. Hours are the
first 13 characters of Veil's canonical UTC text ("2026-01-05T09").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from review.store import Store


def received_per_hour(store: Store, since: str, until: str) -> Iterator[tuple[int, str, int]]:
    """(queue id, hour, items received) for items received in [since, until], in the queue holding them now."""
    yield from store.db.execute(
        "SELECT queue_id, substr(received_at, 1, 13), COUNT(*) FROM items"
        " WHERE received_at >= ? AND received_at <= ? GROUP BY queue_id, substr(received_at, 1, 13)",
        [since, until],
    )


def decided_per_hour(store: Store, since: str, until: str) -> Iterator[tuple[int, str, int]]:
    """(queue id, hour, decisions net of undo) for decisions made in [since, until]."""
    yield from store.db.execute(
        "SELECT queue_id, substr(decided_at, 1, 13), SUM(CASE WHEN revokes_id IS NULL THEN 1 ELSE -1 END)"
        " FROM decisions WHERE decided_at >= ? AND decided_at <= ? GROUP BY queue_id, substr(decided_at, 1, 13)",
        [since, until],
    )


def decisions_between(
    store: Store, since: str, until: str, *, today: str
) -> Iterator[tuple[int, int, bool, int | None, bool]]:
    """(queue id, user id, made today?, handle_ms, a decision rather than a revocation?) per row in [since, until]."""
    for queue_id, user_id, decided_at, handle_ms, revokes_id in store.db.execute(
        "SELECT queue_id, user_id, decided_at, handle_ms, revokes_id FROM decisions"
        " WHERE decided_at >= ? AND decided_at <= ?",
        [since, until],
    ):
        yield queue_id, user_id, decided_at >= today, handle_ms, revokes_id is None
