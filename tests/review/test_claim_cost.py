"""What a claim and a decision cost in statements (issue 22 §2, issue 15's per-cycle cost), and that the rules hold.

A claim read the person (roles), their break and the complaints against
their decisions before its transaction, and the item again after it; a
decision read the person and whether the item is a complaint before its
transaction, then the lease, the item's state, its queue, the person again
and its case in five more. Now both read nothing before their lock: the
person, the queues and the person's last break come from what the
connection keeps until a change to them is counted
(``review.store.serving_changes``, breaks since schema step m030), the
complaints are passed over by the claim's own candidate statement, and a
decision reads the item, its lease, its case and "is it a complaint" in one.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from builders import behind_veils_back, people, statements_run, text_items
from test_server_roles import site  # noqa: F401  (the fixture)

from desktop import wiring
from review import decisions, serving, taxonomy
from review.clock import iso
from review.errors import NotAllowed
from review.store import wellbeing as ws
from review.wellbeing.breaks import OnBreak

POLICY = taxonomy.load()
PERSON_READS = re.compile(r"\bFROM (users|wellbeing_breaks|queues)\b")


@pytest.fixture
def floor(store):
    people(store, ana="moderator", ben="moderator", lee="lead")
    for n in range(3):
        text_items(store, store.add_queue(f"q{n}", priority=n), 4)
    for _ in range(2):  # the connection keeps the serving rules from here on
        lease = serving.claim_next(store, store.user("ana"))
        decisions.decide(store, POLICY, store.user("ana"), lease.item.id, claim=lease.claim, action="no_violation")
    return store


def _flat(statements: list[str]) -> list[str]:
    return [" ".join(s.split()) for s in statements]


def test_a_claim_reads_nothing_before_its_lock_and_nothing_the_connection_keeps(floor):
    ana = floor.user("ana")
    with statements_run(floor) as seen:
        lease = serving.claim_next(floor, ana)
    assert lease is not None
    run = _flat(seen)
    assert not [s for s in run if PERSON_READS.search(s)]  # roles, break, queues: kept
    assert not [s for s in run if s.startswith("SELECT c.item_id FROM complaints")]  # in the candidate now
    if floor.path is not None:  # a file's trace shows the transaction: nothing before BEGIN
        assert run[0] == "BEGIN IMMEDIATE"


def test_a_decision_reads_its_item_lease_and_case_once_and_nothing_before_its_lock(floor):
    ana = floor.user("ana")
    lease = serving.claim_next(floor, ana)
    with statements_run(floor) as seen:
        decisions.decide(floor, POLICY, ana, lease.item.id, claim=lease.claim, action="no_violation")
    run = _flat(seen)
    assert not [s for s in run if PERSON_READS.search(s)]
    assert not [s for s in run if "c.original_item_id" in s]  # "is it a complaint?" was a read of its own
    assert not [s for s in run if s.startswith("SELECT case_id FROM items")]  # in no case: nothing to follow
    assert len([s for s in run if s.startswith("SELECT") and "leases" in s]) == 1
    if floor.path is not None:
        assert run[0] == "BEGIN IMMEDIATE"


def test_a_break_begun_on_another_connection_stops_the_next_claim(floor, clock):
    ana = floor.user("ana")
    other = floor.second_connection()
    try:
        ws.start_break(other, ana, "break_started", {}, started_at=floor.now(),
                       ends_at=iso(clock.now().replace(minute=clock.now().minute + 5)), reason="micro", cooldown=False)
    finally:
        other.close()
    with pytest.raises(OnBreak, match="ana is on a break: 5 minutes left"):
        serving.claim_next(floor, ana)
    assert serving.claim_next(floor, floor.user("ben")) is not None  # ben's claims go on
    clock.advance(5 * 60)
    assert serving.claim_next(floor, ana) is not None  # served again when it ends


def test_a_break_written_behind_veils_back_moves_the_counter_too(floor, clock):
    ana = floor.user("ana")
    with behind_veils_back(floor) as db:
        db.execute("INSERT INTO wellbeing_breaks (user_id, started_at, ends_at, reason, enforced, cooldown)"
                   " VALUES (?, ?, ?, 'micro', 0, 0)", [ana.id, floor.now(), "2100-01-01T00:00:00.000Z"])
    with pytest.raises(OnBreak):
        serving.claim_next(floor, ana)


def test_refusals_read_under_the_lock_keep_their_words(floor):
    """Nothing is checked before the lock any more; who may not claim or decide is still told so, as before."""
    people(floor, dana="auditor")
    lease = serving.claim_next(floor, floor.user("ana"))
    dana, stranger = floor.user("dana"), dataclasses.replace(floor.user("ana"), name="nobody")
    for person, words in ((dana, "dana is not a moderator or a lead: only a moderator or a lead can"),
                          (stranger, "'nobody' is not a user of this store")):
        with pytest.raises(NotAllowed, match=words):
            serving.claim_next(floor, person)
        with pytest.raises(NotAllowed, match=words):
            decisions.decide(floor, POLICY, person, lease.item.id, claim=lease.claim, action="no_violation")


def test_a_complaint_against_ones_own_decision_is_never_claimed_nor_peeked(floor):
    ana = floor.user("ana")
    decided = floor.db.execute("SELECT item_id, id FROM decisions WHERE user_id = ? ORDER BY id LIMIT 1",
                               [ana.id]).fetchone()
    external = floor.db.execute("SELECT external_id FROM items WHERE id = ?", [decided[0]]).fetchone()[0]
    queue = floor.add_queue("appeals", priority=9)
    floor.add_items([{"external_id": "complaint-1", "queue_id": queue.id, "kind": "text", "text": "unfair",
                      "received_at": "2026-01-05T08:00:00Z", "metadata": {"complaint_of": external}}])
    complaint = floor.db.execute("SELECT item_id FROM complaints").fetchone()[0]
    assert serving.peek_next(floor, ana).id != complaint
    assert serving.claim_next(floor, ana).item.id != complaint
    assert serving.claim_next(floor, floor.user("ben")).item.id == complaint  # anyone else gets it first


@pytest.mark.server_only
def test_a_break_a_person_begins_on_their_own_role_stops_their_next_claim(site, clock):  # noqa: F811
    """On a server a moderator writes their own break as their own role: its trigger moves the counter too."""
    with wiring.open_store(site.url("ana"), clock=clock) as ana_store:
        ana = ana_store.user("ana")
        first = serving.claim_next(ana_store, ana)  # the rules are kept from here on
        serving.release(ana_store, ana, first.item.id, claim=first.claim)
        ws.start_break(ana_store, ana, "break_started", {}, started_at=ana_store.now(),
                       ends_at=iso(clock.now().replace(minute=clock.now().minute + 5)), reason="micro", cooldown=False)
        with pytest.raises(OnBreak, match="ana is on a break"):
            serving.claim_next(ana_store, ana)
