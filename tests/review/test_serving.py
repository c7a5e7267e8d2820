"""Claims and leases: order, one holder per item, expiry, release, two processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from builders import people, text_items

from desktop import wiring
from review import serving

RECEIVED = "2026-01-05T08:00:00.000Z"  # an hour before the test clock: waiting, within any SLA here


@pytest.fixture
def team(store):
    return tuple(people(store, ana="moderator", ben="moderator", lee="lead").values())


def test_claim_order_is_queue_priority_then_item_priority_then_due_then_arrival(store, team):
    ana = team[0]
    low = store.add_queue("low", priority=0, sla_seconds=3600)
    high = store.add_queue("high", priority=5, sla_seconds=86400)
    store.add_items([
        {"external_id": "low-old", "queue_id": low.id, "kind": "text", "received_at": "2026-01-01T00:00:00.000Z"},
        {"external_id": "high-late", "queue_id": high.id, "kind": "text", "received_at": "2026-01-05T08:00:00.000Z"},
        {"external_id": "high-early", "queue_id": high.id, "kind": "text", "received_at": "2026-01-05T07:00:00.000Z"},
        {"external_id": "high-urgent", "queue_id": high.id, "kind": "text", "priority": 3,
         "received_at": "2026-01-05T08:30:00.000Z"},
    ])
    order = []
    for _ in range(4):
        lease = serving.claim_next(store, ana)
        order.append(lease.item.external_id)
        serving.release(store, ana, lease.item.id, claim=lease.claim)
        store.db.execute("UPDATE items SET state = 'decided' WHERE id = ?", [lease.item.id])
    assert order == ["high-urgent", "high-early", "high-late", "low-old"]
    assert serving.claim_next(store, ana) is None


def test_a_leased_item_is_not_served_to_anyone_else(store, team):
    ana, ben, _ = team
    queue = store.add_queue("spam")
    text_items(store, queue, 2, received_at=RECEIVED)
    first = serving.claim_next(store, ana).item
    second = serving.claim_next(store, ben).item
    assert first.id != second.id
    assert serving.claim_next(store, ben) is None  # every claim takes another item: none is left
    assert serving.holder(store, first.id)[0] == "ana"


def test_an_expired_lease_puts_the_item_back(store, team, clock):
    ana, ben, _ = team
    queue = store.add_queue("spam")
    text_items(store, queue, 1, received_at=RECEIVED)
    lease = serving.claim_next(store, ana, lease_seconds=600)
    clock.advance(599)
    assert serving.claim_next(store, ben) is None
    clock.advance(2)
    assert serving.claim_next(store, ben).item.id == lease.item.id
    with pytest.raises(serving.LeaseLost, match="ben is working on this item"):
        serving.renew(store, ana, lease.item.id, claim=lease.claim)


def test_renew_keeps_the_item_while_it_is_open(store, team, clock):
    ana, ben, _ = team
    queue = store.add_queue("spam")
    text_items(store, queue, 1, received_at=RECEIVED)
    lease = serving.claim_next(store, ana, lease_seconds=600)
    for _ in range(5):
        clock.advance(500)
        serving.renew(store, ana, lease.item.id, claim=lease.claim, lease_seconds=600)
    assert serving.claim_next(store, ben) is None


def test_release_and_skip_exclusion(store, team):
    ana, ben, _ = team
    queue = store.add_queue("spam")
    text_items(store, queue, 2, received_at=RECEIVED)
    first = serving.claim_next(store, ana)
    serving.release(store, ana, first.item.id, claim=first.claim, reason="skip")
    second = serving.claim_next(store, ana, exclude=[first.item.id])
    assert second.item.id != first.item.id
    assert serving.claim_next(store, ben).item.id == first.item.id
    serving.release(store, ana, second.item.id, claim=second.claim, reason="signed out")
    assert serving.holder(store, second.item.id) is None
    assert store.db.execute("SELECT COUNT(*) FROM events WHERE kind = 'item.released'").fetchone()[0] == 2
    serving.release(store, ana, second.item.id, claim=second.claim)  # nothing held any more: no event
    assert store.db.execute("SELECT COUNT(*) FROM events WHERE kind = 'item.released'").fetchone()[0] == 2


def test_peek_does_not_take_the_item(store, team):
    ana, ben, _ = team
    queue = store.add_queue("spam")
    text_items(store, queue, 3, received_at=RECEIVED)
    peeked = serving.peek_next(store, ana)
    assert serving.holder(store, peeked.id) is None
    assert serving.claim_next(store, ben).item.id == peeked.id
    assert serving.peek_next(store, ana).id != peeked.id


def test_paused_queues_serve_nobody_and_escalations_only_serve_leads(store, team):
    ana, _, lee = team
    escalations = store.add_queue("escalations", "escalation")
    paused = store.add_queue("paused")
    store.db.execute("UPDATE queues SET paused = 1 WHERE id = ?", [paused.id])
    text_items(store, escalations, ["e0"], received_at=RECEIVED)
    text_items(store, paused, ["p0"], received_at=RECEIVED)
    assert serving.claim_next(store, ana) is None
    assert serving.claim_next(store, lee).item.external_id == "e0"


CLAIMER = """
import json, sys
from desktop import wiring
from review import serving
store = wiring.open_store(sys.argv[1])
user = store.user(sys.argv[2])
got = []
while True:
    lease = serving.claim_next(store, user)
    if lease is None:
        break
    got.append(lease.item.id)
    store.db.execute("UPDATE items SET state = 'decided' WHERE id = ?", [lease.item.id])
print(json.dumps(got))
"""


def test_two_processes_never_hold_the_same_item(tmp_path):
    path = tmp_path / "shared.db"
    with wiring.open_store(path) as store:
        people(store, ana="moderator", ben="moderator")
        queue = store.add_queue("spam")
        text_items(store, queue, 300, received_at=RECEIVED)
    script = tmp_path / "claimer.py"
    script.write_text(CLAIMER)
    procs = [
        subprocess.Popen([sys.executable, str(script), str(path), name], stdout=subprocess.PIPE, text=True,
                         cwd=Path(__file__).resolve().parents[2])
        for name in ("ana", "ben")
    ]
    results = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    a, b = (set(r) for r in results)
    assert not (a & b)
    assert len(a | b) == 300


def test_severe_rules_prefer_milder_items_or_refuse_severe_ones(store, team):
    ana = team[0]
    queue = store.add_queue("mixed")
    store.add_items([
        {"external_id": "gore", "queue_id": queue.id, "kind": "text", "severity": "severe",
         "received_at": "2026-01-05T07:00:00Z"},
        {"external_id": "spam", "queue_id": queue.id, "kind": "text", "severity": "low",
         "received_at": "2026-01-05T08:00:00Z"},
    ])
    assert serving.peek_next(store, ana).external_id == "gore"
    assert serving.peek_next(store, ana, severe="prefer_mild").external_id == "spam"
    mild = serving.claim_next(store, ana, severe="never")
    assert mild.item.external_id == "spam"
    serving.release(store, ana, mild.item.id, claim=mild.claim)
    store.db.execute("UPDATE items SET state = 'decided' WHERE id = ?", [mild.item.id])
    assert serving.claim_next(store, ana, severe="never") is None
    assert serving.claim_next(store, ana, severe="prefer_mild").item.external_id == "gore"
    with pytest.raises(ValueError):
        serving.claim_next(store, ana, severe="sometimes")


def test_a_lease_from_before_claims_matches_no_claim_and_simply_lapses(store, team, clock):
    """A lease row written before m008 has no claim: nobody can renew or decide it; it lapses like any."""
    ana = team[0]
    queue = store.add_queue("spam")
    [old] = text_items(store, queue, 1, received_at=RECEIVED)
    store.db.execute("INSERT INTO leases (item_id, user_id, claimed_at, expires_at) VALUES (?, ?, ?, ?)",
                     [old, ana.id, store.now(), "2026-01-05T09:05:00.000Z"])
    assert serving.claim_next(store, ana) is None  # still live: held, even from ana's new window
    clock.advance(301)
    lease = serving.claim_next(store, ana)
    assert lease.item.id == old
    assert serving.renew(store, ana, old, claim=lease.claim) > store.now()
