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


def test_a_decision_waiting_for_the_event_chain_holds_none_of_its_queues_count_rows(store):
    """Issue 15, 200 desks: a decision moved its item's counts before its event's append, so while it queued for
    the event chain's lock its count rows stayed locked, and every desk deciding in the same shard queued behind
    it (200 desks, 1 M items: 0.12 backends waiting on a row per sample). Its counts now move after the append."""
    import time

    from review import taxonomy
    from review.desk import ReviewDesk
    from review.store import events

    ana = people(store, ana="moderator")["ana"]
    queue = store.add_queue("spam")
    text_items(store, queue, 2)
    desk = ReviewDesk(taxonomy.load())
    deciding_conn, chain_holder = store.second_connection(), store.second_connection()
    shown = desk.claim(deciding_conn, ana)
    failed: list[BaseException] = []

    def decide() -> None:
        try:
            desk.decide(deciding_conn, ana, shown.item.id, "no_violation", claim=shown.claim)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failed.append(error)

    chain_holder.db.execute("SELECT pg_advisory_lock(?)", [events.CHAIN_LOCK])  # the desk ahead in the chain
    deciding = threading.Thread(target=decide)
    try:
        deciding.start()
        deadline = time.monotonic() + 30
        while not _waits_for_the_chain(store) and deciding.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)  # another connection's wait: nothing to wait on but the server's view of it
        assert _waits_for_the_chain(store)
        with store.transaction(row_locked=True) as db:  # another desk's decision touching the counts' rows
            db.execute("SET LOCAL lock_timeout = '1s'")
            locked = db.execute("SELECT COUNT(*) FROM (SELECT 1 FROM queue_states WHERE queue_id = ?"
                                " FOR UPDATE NOWAIT) held", [queue.id]).fetchone()[0]
        assert locked > 0  # every count row of the queue taken at once: none was held by the waiting decision
    finally:
        chain_holder.db.execute("SELECT pg_advisory_unlock(?)", [events.CHAIN_LOCK])
        deciding.join(timeout=30)
        chain_holder.close()
        deciding_conn.close()
    assert not deciding.is_alive() and failed == []
    assert store.db.execute("SELECT state FROM items WHERE id = ?", [shown.item.id]).fetchone() == ("decided",)


def _waits_for_the_chain(store) -> bool:
    """Whether some backend waits for the event chain's advisory lock (the server's own view, ``pg_locks``)."""
    from review.store import events

    return bool(store.db.execute(
        "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND ((classid::bigint << 32) | objid::bigint) = ?", [events.CHAIN_LOCK]).fetchone()[0])
