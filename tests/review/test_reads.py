"""Look-ups that share round trips (``review.store.reads``, issue 15): each round of many look-ups is one trip.

A claim read what its item's screen shows beside it — the account, list matches, case, suggestion, routes,
complaint, escalation — one round trip each: twelve after its transaction on a server, each a wait for a core
at a site of 200 desks. The trips are counted as calls of ``dialect.rows_together`` (one pipeline each)."""

from __future__ import annotations

import psycopg
import pytest

from review import taxonomy
from review.desk import ReviewDesk
from review.errors import VeilError
from review.store import dialect, reads, user_read
from review.store.connection import in_transaction, rows_at_one_moment


@pytest.fixture
def trips(monkeypatch):
    """The statements of each round trip the look-ups make, as lists of SQL."""
    made: list[list[str]] = []
    together = dialect.rows_together

    def counted(db, statements):
        made.append([sql for sql, _ in statements])
        return together(db, statements)

    monkeypatch.setattr(dialect, "rows_together", counted)
    return made


def _count(sql: str) -> reads.Read[int]:
    return reads.one(sql, None, lambda rows: int(rows[0][0]))


def test_look_ups_given_together_go_in_one_round_trip_a_round_and_answer_in_order(store, trips):
    store.add_user("ana", ["moderator"])
    trips.clear()
    two_rounds = reads.then(_count("SELECT COUNT(*) FROM users"),
                            lambda n: reads.then(_count(f"SELECT {n} + 40"), lambda m: ("second round", m)))
    answers = reads.together(store.db, [user_read("ana"), two_rounds, reads.known("known"),
                                        _count("SELECT 7")])
    assert [answers[0].name, *answers[1:]] == ["ana", ("second round", 41), "known", 7]
    assert [len(trip) for trip in trips] == [3, 1]  # three look-ups' statements, then the one still going


def test_look_ups_that_need_no_statement_send_nothing(store, trips):
    assert reads.together(store.db, [reads.known(1), reads.then(reads.known(2), lambda n: n + 1)]) == [1, 3]
    assert trips == []


def test_a_look_up_that_fails_fails_the_whole_read_with_its_own_error(store, trips):
    with pytest.raises(KeyError, match="nobody"):
        reads.together(store.db, [_count("SELECT 1"), user_read("nobody")])


def test_a_claim_reads_what_its_item_shows_in_one_round_trip(store, trips):
    """Without a look-ahead, everything beside the item but "Seen before" (the content index's own reads): the
    account's first round, what is known, the routes, the complaint and the escalation."""
    store.add_user("ana", ["moderator"])
    store.add_queue("escalations", "escalation")
    queue = store.add_queue("posts", escalation_queue="escalations")
    store.add_items([{"external_id": "p", "queue_id": queue.id, "kind": "text", "text": "post",
                      "metadata": {"author": "mallory"}, "received_at": "2026-01-05T08:00:00.000Z"}])
    ana = store.user("ana")
    trips.clear()
    shown = ReviewDesk(taxonomy.load()).claim(store, ana)
    assert shown is not None and shown.routes == ("escalations",) and shown.account.author == "mallory"
    shown_beside = ("account_notes", "list_matches", "item_suggestions", "escalation_routes", "FROM complaints",
                    "FROM escalations")
    (trip,) = [trip for trip in trips if any(table in sql for sql in trip for table in shown_beside)]
    assert all(any(table in sql for sql in trip) for table in shown_beside)


def test_reads_at_one_moment_that_fail_leave_no_snapshot_open(store):
    """A server's snapshot is begun and ended in the reads' own round trip; a read that fails must end it there
    too, or the connection's next statement would meet an aborted transaction."""
    store.add_user("ana", ["moderator"])
    with pytest.raises((VeilError, psycopg.Error)):  # a mistake in SQL is the driver's error on a server
        rows_at_one_moment(store.db, [("SELECT COUNT(*) FROM users", None), ("SELECT * FROM no_such_table", None)])
    assert not in_transaction(store.db)
    assert rows_at_one_moment(store.db, [("SELECT COUNT(*) FROM users", None)]) == [[(1,)]]
