"""A write on a server store is on disk before Veil says it is stored, though its locks go before the flush.

``review.store.server`` commits each write transaction with
``synchronous_commit`` off, so the write lock, the event chain's lock and its
row locks are released at once instead of after the WAL flush (the next writer
no longer queues behind this one's disk), then flushes the WAL with a
one-statement transaction before returning. These tests hold it to that: the
WAL is flushed past the commit when the transaction returns, on a session
whose own commits are synchronous (the test server's default is not), and the
flush runs on every role, a moderator's included.
"""

from __future__ import annotations

import pytest
from test_server_roles import site  # noqa: F401  (the fixture)
from test_server_roles_flows import as_person, policy  # noqa: F401

from review import serving

pytestmark = pytest.mark.server_only


def _flushed_past(store, lsn: str) -> bool:
    return bool(store.db.execute("SELECT pg_current_wal_flush_lsn() >= CAST(? AS pg_lsn)", [lsn]).fetchone()[0])


def test_a_write_is_flushed_to_the_wal_before_the_transaction_returns(store):
    store.db.conn.execute("SET synchronous_commit = on")  # as a site runs (the test server's default is off)
    with store.transaction():
        store.add_queue("spam")
        before_commit = str(store.db.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0])
        assert store.db.execute("SELECT current_setting('synchronous_commit')").fetchone() == ("off",)
    assert _flushed_past(store, before_commit)
    assert store.db.execute("SELECT current_setting('synchronous_commit')").fetchone() == ("on",)  # local only


def test_a_moderators_claim_is_flushed_on_their_own_role(site, as_person):  # noqa: F811
    ana_store = as_person("ana")
    ana_store.db.conn.execute("SET synchronous_commit = on")
    before = str(ana_store.db.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0])
    assert serving.claim_next(ana_store, ana_store.user("ana")) is not None
    assert _flushed_past(ana_store, before)
