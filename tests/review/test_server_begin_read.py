"""The serving rules' counter read with a row-locked transaction's ``BEGIN`` (``ServerDatabase.read_at_begin``).

Every claim and decision reads the counter first (``review.store.serving_changes``); on a server it now goes
in the ``BEGIN``'s round trip, one trip fewer for each. These tests hold it to being the same read: answered
from the ``BEGIN`` only as the transaction's first statement, and read afresh once anything else ran (the
transaction itself may have moved the counter) or the transaction ended.
"""

from __future__ import annotations

import psycopg
import pytest

from review.store import serving_changes
from review.store.connection import executemany

pytestmark = pytest.mark.server_only


@pytest.fixture
def sent(store, monkeypatch):
    """The SQL of each statement the store's connection sends outside a pipeline (a round trip of its own)."""
    trips: list[str] = []
    execute = psycopg.Connection.execute

    def counted(conn, query, *args, **kwargs):
        if conn._pipeline is None:  # noqa: SLF001 - psycopg's own flag for pipeline mode
            trips.append(str(query))
        return execute(conn, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", counted)
    return trips


def _counter(store) -> int:
    return int(store.db.execute(serving_changes.COUNTER).fetchone()[0])


def test_a_row_locked_transactions_first_read_of_the_counter_costs_no_trip(store, sent):
    before = _counter(store)
    sent.clear()
    with store.transaction(row_locked=True):
        assert _counter(store) == before
    assert not [sql for sql in sent if "serving_changes" in sql]


@pytest.mark.parametrize("first", ["execute", "executemany"])
def test_the_counter_is_read_afresh_once_the_transaction_changed_it(store, first):
    store.add_user("ana", ["moderator"])
    before = _counter(store)
    with store.transaction(row_locked=True):
        rename = "UPDATE users SET display_name = ? WHERE name = ?"  # moves the counter, in this transaction
        if first == "execute":
            store.db.execute(rename, ["Ana", "ana"])
        else:
            executemany(store.db, rename, [["Ana", "ana"]])
        assert _counter(store) > before


def test_after_the_transaction_the_counter_is_read_afresh(store):
    before = _counter(store)
    with store.transaction(row_locked=True):
        pass  # the read sent with the BEGIN, never asked for
    with store.second_connection() as other:
        other.add_user("ben", ["moderator"])
    assert _counter(store) > before
