"""Two desks deciding in one queue at once never wait for each other's counts (issue 15: 200 desks on a server).

Every decision adds to the decision summaries (``review.store.summaries``) and moves its item between queue
counts (``review.store.queue_counts``) in its own transaction; on a server a row another open transaction has
updated is locked until it commits. Kept one row per queue and hour, the second desk's decision waited for the
first's commit: the 200-client run's tail. Now a summary row is one decider's and a count is split by item id,
so the second desk's writes touch no row the first holds.
"""

from __future__ import annotations

import threading

import pytest
from builders import people, text_items

pytestmark = [pytest.mark.server_only, pytest.mark.usefixtures("clock")]

DECIDE = ("INSERT INTO decisions (item_id, user_id, queue_id, action, labels, note, shown_at, decided_at, handle_ms,"
          " revealed_ms, client_version, source)"
          " VALUES (?, ?, ?, 'remove', '[]', '', NULL, ?, 1200, 0, 'test', 'live')")


def _decide(db, item_id: int, user_id: int, queue_id: int, at: str) -> None:
    """What a decision writes that the counts follow: its row (the summaries' trigger) and its item closed."""
    db.execute(DECIDE, [item_id, user_id, queue_id, at])
    db.execute("UPDATE items SET state = 'decided' WHERE id = ?", [item_id])


def test_a_second_desks_decision_in_the_same_queue_and_hour_does_not_wait_for_the_first(store):
    ana, ben = people(store, ana="moderator", ben="moderator").values()
    queue = store.add_queue("spam")
    text_items(store, queue, 2)  # same queue, same due hour, same arrival hour
    first, second = (row[0] for row in store.db.execute("SELECT id FROM items ORDER BY id").fetchall())
    at = store.now()
    other = store.second_connection()
    failed: list[BaseException] = []

    def ben_decides() -> None:
        try:
            with other.transaction(row_locked=True) as db:  # as a decision is: the write lock shared
                db.execute("SET LOCAL lock_timeout = '5s'")
                _decide(db, second, ben.id, queue.id, at)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failed.append(error)

    try:
        with store.transaction(row_locked=True) as db:  # ana's decision, not committed while ben decides
            _decide(db, first, ana.id, queue.id, at)
            deciding = threading.Thread(target=ben_decides)
            deciding.start()
            deciding.join(timeout=30)
            assert not deciding.is_alive() and failed == []
    finally:
        other.close()
    assert store.db.execute("SELECT COUNT(*) FROM items WHERE state = 'decided'").fetchone()[0] == 2
