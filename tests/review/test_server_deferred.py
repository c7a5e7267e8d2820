"""Statements deferred to a server transaction's next round trip (``ServerDatabase.execute_deferred``).

A decision's last writes (its queue's counts, the event chain's append) and
a claim's event lock rows every desk of a site writes; deferred, they go to
the server with the ``COMMIT``, in one message, so those locks are held
while the server runs them and never across a trip to the client. These
tests hold the mechanism to what the domain relies on: nothing deferred
runs before its trip (the chain stays free meanwhile), whatever runs next
sends it first (a later read sees it), a rollback (whole or to a savepoint)
drops it, its errors are the transaction's, and the driver's binding of
its parameters keeps every value exactly (the chain's hashes prove it).
"""

from __future__ import annotations

import pytest

from review.errors import StoreConflict
from review.store import dialect, events

pytestmark = pytest.mark.server_only

AWKWARD = "it's 50% \\ \"quoted\" ; -- not a comment\n é 漢字 🙂 ?"


@pytest.fixture
def scratch(store):
    store.db.execute("CREATE TABLE scratch (id INTEGER PRIMARY KEY, v TEXT, n INTEGER, f REAL, b BLOB)")
    return store


def _rows(store):
    return store.db.execute("SELECT id, v, n, f, b FROM scratch ORDER BY id").fetchall()


def _chain_free(store) -> bool:
    """Whether another connection can take the event chain's lock now (and lets it go at once)."""
    other = store.second_connection()
    try:
        taken = other.db.execute("SELECT pg_try_advisory_lock(?)", [events.CHAIN_LOCK]).fetchone()[0]
        if taken:
            other.db.execute("SELECT pg_advisory_unlock(?)", [events.CHAIN_LOCK])
        return bool(taken)
    finally:
        other.close()


def test_a_deferred_write_runs_with_the_commit_and_gives_its_row_after_it(scratch):
    with scratch.transaction(row_locked=True):
        written = dialect.execute_deferred(scratch.db, "INSERT INTO scratch (id, v) VALUES (?, ?) RETURNING id, v",
                                           [1, "one"])
        with pytest.raises(RuntimeError):
            written.first()  # not sent yet
        assert scratch.second_connection().db.execute("SELECT COUNT(*) FROM scratch").fetchone()[0] == 0
    assert written.first() == (1, "one")
    assert _rows(scratch) == [(1, "one", None, None, None)]


def test_the_event_chain_is_free_until_the_commit_carries_the_append(scratch):
    with scratch.transaction(row_locked=True):
        appended = events.append_deferred(scratch.db, "INSERT INTO scratch (id, n) VALUES (1, :event) RETURNING n",
                                          {}, at=scratch.now(), actor="system", kind="test.deferred",
                                          payload={"text": AWKWARD})
        assert _chain_free(scratch)  # the lock is deferred with the append: nobody waits for this client
    event_id = appended.first()[0]
    assert scratch.db.execute("SELECT kind, payload FROM events WHERE id = ?", [event_id]).fetchone() == (
        "test.deferred", events.canonical_json({"text": AWKWARD}))
    assert events.verify_chain(scratch.db)[1] is None  # the server hashed the bound text as Veil does
    assert _chain_free(scratch)


def test_what_runs_next_sends_the_deferred_first_so_it_sees_them(scratch):
    with scratch.transaction(row_locked=True):
        dialect.execute_deferred(scratch.db, "INSERT INTO scratch (id, v) VALUES (1, 'first')")
        dialect.execute_deferred(scratch.db, "UPDATE scratch SET v = v || ', then second' WHERE id = 1")
        assert scratch.db.execute("SELECT v FROM scratch WHERE id = 1").fetchone() == ("first, then second",)
        later = dialect.execute_deferred(scratch.db, "UPDATE scratch SET n = 7 WHERE id = 1 RETURNING n")
        assert dialect.rows_together(scratch.db, [("SELECT n FROM scratch", None)]) == [[(7,)]]
        assert later.first() == (7,)


def test_the_drivers_binding_keeps_every_value_exactly(scratch):
    values = [1, AWKWARD, -(2**62), 0.1 + 0.2, b"\x00\xff'\\%"]
    with scratch.transaction(row_locked=True):
        dialect.execute_deferred(scratch.db, "INSERT INTO scratch (id, v, n, f, b) VALUES (?, ?, ?, ?, ?)", values)
        dialect.execute_deferred(scratch.db, "INSERT INTO scratch (id, v) VALUES (:id, :v)", {"id": 2, "v": None})
    assert _rows(scratch) == [tuple(values), (2, None, None, None, None)]


def test_a_rollback_drops_what_was_deferred(scratch):
    with pytest.raises(KeyError), scratch.transaction(row_locked=True):
        dropped = dialect.execute_deferred(scratch.db, "INSERT INTO scratch (id) VALUES (1)")
        raise KeyError("the unit of work failed")
    with pytest.raises(RuntimeError):
        dropped.first()
    with scratch.transaction(row_locked=True):
        dialect.execute_deferred(scratch.db, "INSERT INTO scratch (id) VALUES (2)")  # nothing left over to send
    assert [row[0] for row in _rows(scratch)] == [2]


def test_a_savepoint_keeps_what_was_deferred_before_it_and_drops_what_was_deferred_inside(scratch):
    with scratch.transaction(row_locked=True):
        dialect.execute_deferred(scratch.db, "INSERT INTO scratch (id) VALUES (1)")
        with pytest.raises(KeyError), scratch.transaction(row_locked=True):
            dialect.execute_deferred(scratch.db, "INSERT INTO scratch (id) VALUES (2)")
            raise KeyError("the nested unit failed")
        with scratch.transaction(row_locked=True):
            dialect.execute_deferred(scratch.db, "INSERT INTO scratch (id) VALUES (3)")
    assert [row[0] for row in _rows(scratch)] == [1, 3]


def test_a_deferred_statements_error_is_the_transactions_and_stores_nothing(scratch):
    scratch.db.execute("INSERT INTO scratch (id) VALUES (1)")
    with pytest.raises(StoreConflict), scratch.transaction(row_locked=True):
        scratch.db.execute("INSERT INTO scratch (id) VALUES (2)")
        events.append_deferred(scratch.db, "INSERT INTO scratch (id, n) VALUES (1, :event)", {},
                               at=scratch.now(), actor="system", kind="test.clash")
    assert [row[0] for row in _rows(scratch)] == [1]
    assert scratch.db.execute("SELECT COUNT(*) FROM events WHERE kind = 'test.clash'").fetchone()[0] == 0
    assert not scratch.db.in_transaction and _chain_free(scratch)


def test_deferring_outside_a_transaction_is_refused(scratch):
    with pytest.raises(RuntimeError):
        dialect.execute_deferred(scratch.db, "INSERT INTO scratch (id) VALUES (1)")
    assert _rows(scratch) == []
