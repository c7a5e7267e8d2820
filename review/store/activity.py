"""What arrived and what was decided when: the dashboard's hourly and weekly counts.

Decisions are read from their summaries (:mod:`review.store.summaries`,
kept by a trigger in each decision's transaction) for whole hours and whole
days, and from ``decisions`` itself (a ``decisions_time`` range) only for a
part of a day, to add or take away. Arrivals are counted from
the ``items_received`` index (items move between queues, and are counted in
the queue that holds them now). Hours are the first 13 characters of
Veil's canonical UTC text ("2026-01-05T09"), days the first 10.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from review.store.summaries import NOT_APPLIED, ROW

if TYPE_CHECKING:
    from review.store import Store

#: One row per (person or queue, handle time kept, decision rows, revocation rows); handle time
#: ``summaries.NO_HANDLE``: none. Ranges of decisions always have both bounds: with one, SQLite without statistics
#: groups through ``decisions_user`` and reads the whole table.
Counted = tuple[int, int, int, int]


def received_per_hour(store: Store, since: str, until: str) -> Iterator[tuple[int, str, int]]:
    """(queue id, hour, items received) for items received in [since, until], in the queue holding them now."""
    yield from store.db.execute(
        "SELECT queue_id, substr(received_at, 1, 13), COUNT(*) FROM items"
        " WHERE received_at >= ? AND received_at <= ? GROUP BY queue_id, substr(received_at, 1, 13)",
        [since, until],
    )


def decided_per_hour(store: Store, first_hour: str, last_hour: str) -> Iterator[tuple[int, str, int]]:
    """(queue id, hour, decisions net of undo) for the hours from *first_hour* to *last_hour* ("2026-01-05T09")."""
    yield from store.db.execute(
        "SELECT queue_id, hour, SUM(decisions - revocations) FROM decided_hours WHERE hour >= ? AND hour <= ?"
        " GROUP BY queue_id, hour",
        [first_hour, last_hour],
    )


def people_on_days(store: Store, first_day: str, last_day: str) -> Iterator[Counted]:
    """Per person and handle time kept, their decision and revocation rows on the UTC days first_day..last_day."""
    yield from store.db.execute(
        "SELECT user_id, handle_ms, SUM(decisions), SUM(revocations) FROM person_days"
        " WHERE day >= ? AND day <= ? GROUP BY user_id, handle_ms", [first_day, last_day])


def queues_on_days(store: Store, first_day: str, last_day: str) -> Iterator[Counted]:
    """Per day, queue and handle time kept, its decision rows with a handle time on the UTC days first_day..last_day.

    Grouped by day too, the caller adding the days up: that is the table's key order, so the rows (one per decider,
    ~70,000 a week at 30 moderators) are added up as they are read, where grouping across the days sorted them
    first (20 → 14 ms at 1 M decisions).
    """
    yield from store.db.execute(
        "SELECT queue_id, handle_ms, SUM(decisions), 0 FROM queue_days"
        " WHERE day >= ? AND day <= ? GROUP BY day, queue_id, handle_ms", [first_day, last_day])


_HANDLE, _PERSON_HANDLE = ROW["queue_handle"], ROW["person_handle"]


def totals_on_day(store: Store, day: str) -> Iterator[tuple[int, int]]:
    """(person, decisions net of undo) on the UTC *day*."""
    yield from store.db.execute(
        "SELECT user_id, SUM(decisions) - SUM(revocations) FROM person_days WHERE day = ? GROUP BY user_id", [day])


def people_between(store: Store, since: str, until: str) -> Iterator[Counted]:
    """As :func:`people_on_days`, counted from the decision rows made in [since, until) (a part of a day)."""
    yield from store.db.execute(
        f"SELECT user_id, {_PERSON_HANDLE}, SUM(CASE WHEN revokes_id IS NULL THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN revokes_id IS NULL THEN 0 ELSE 1 END) FROM decisions"
        f" WHERE decided_at >= ? AND decided_at < ? AND {NOT_APPLIED.format(d='')}"  # as person_days counts
        f" GROUP BY user_id, {_PERSON_HANDLE}", [since, until])


def queues_between(store: Store, since: str, until: str) -> Iterator[Counted]:
    """As :func:`queues_on_days`, counted from the decision rows made in [since, until) (a part of a day)."""
    yield from store.db.execute(
        f"SELECT queue_id, {_HANDLE}, COUNT(*), 0 FROM decisions"
        f" WHERE decided_at >= ? AND decided_at < ? AND revokes_id IS NULL AND handle_ms IS NOT NULL"
        f" GROUP BY queue_id, {_HANDLE}", [since, until])
