"""Claims at a site's scale (issue 15 §2): many clients at once, each with its own connection, on either store.

On a server the hot path's transactions run side by side (the write lock
taken shared, rows locked ``FOR UPDATE``/``SKIP LOCKED``, the event chain
behind a short lock of its own); on a file they take turns. Either way no
two clients ever get the same item, two decisions on one item never both
land, and the event log stays one chain ``veil verify`` accepts.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter

import pytest
from builders import people, text_items

from desktop import wiring
from review import taxonomy
from review.desk import ReviewDesk
from review.serving import LeaseLost
from review.store import events as event_log
from review.store import integrity, leases
from review.store.schema import migrations as review_migrations

SETS = [review_migrations, *wiring.migration_sets()]
CLIENTS = 6


@pytest.fixture
def desk():
    return ReviewDesk(taxonomy.load())


def _clients(store, count=CLIENTS):
    """*count* moderators, each with a connection of their own (as each desk of a site has)."""
    crowd = people(store, **{f"mod{n}": "moderator" for n in range(count)})
    return [(person, store.second_connection()) for person in crowd.values()]


def _together(work, clients):
    """Run work(person, connection) for every client in its own thread, all released at once; their errors."""
    start, errors = threading.Barrier(len(clients)), []

    def run(person, own):
        start.wait()
        try:
            work(person, own)
        except BaseException as exc:  # noqa: BLE001 - said by the test
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=run, args=client) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_clients_claiming_at_once_never_get_the_same_item(store, desk):
    store.add_queue("q")
    items = text_items(store, "q", 30)
    taken: Counter[int] = Counter()

    def claim_until_empty(person, own):
        while (shown := desk.claim(own, person)) is not None:
            taken[shown.item.id] += 1

    assert _together(claim_until_empty, _clients(store)) == []
    assert sorted(taken) == sorted(items) and set(taken.values()) == {1}  # every item once, none twice


def test_clients_in_other_processes_never_get_the_same_item(store, store_location):
    """Each process its own connection (a desk of its own), claiming until nothing waits; the items they print
    never overlap and cover the queue."""
    store.add_queue("q")
    items = text_items(store, "q", 24)
    people(store, **{f"mod{n}": "moderator" for n in range(3)})
    script = ("import sys\nfrom desktop import wiring\nfrom review import taxonomy\n"
              "from review.desk import ReviewDesk\ndesk = ReviewDesk(taxonomy.load())\n"
              "store = wiring.open_store(sys.argv[1])\n"
              "person = store.user(sys.argv[2])\n"
              "while (shown := desk.claim(store, person)) is not None:\n    print(shown.item.id, flush=True)\n")
    runs = [subprocess.Popen([sys.executable, "-c", script, str(store_location), f"mod{n}"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for n in range(3)]
    claimed = []
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        claimed += [int(line) for line in out.split()]
    assert sorted(claimed) == sorted(items)


def test_two_decisions_on_one_item_at_once_exactly_one_lands(store, desk):
    """The same claim decided from two connections at the same moment (a double press reaching two desks):
    the second waits for the first's lock on the item and then finds the claim ended."""
    store.add_queue("q")
    text_items(store, "q", 3)
    (ana, first), (_, second) = _clients(store, 2)
    shown = desk.claim(first, ana)
    outcomes: list[object] = []

    def decide(person, own):
        try:
            outcomes.append(desk.decide(own, ana, shown.item.id, "no_violation", claim=shown.claim)[0].id)
        except LeaseLost as lost:
            outcomes.append(lost)

    assert _together(decide, [(ana, first), (ana, second)]) == []
    assert sorted(type(o).__name__ for o in outcomes) == ["LeaseLost", "int"]
    rows = store.db.execute("SELECT COUNT(*) FROM decisions WHERE item_id = ?", [shown.item.id]).fetchone()[0]
    assert rows == 1


def test_a_decision_waits_for_the_one_holding_its_item_then_finds_its_claim_ended(store, desk):
    """While one transaction holds the item (its decision written, not yet committed) a second decision of the
    same claim cannot slip past the check: it waits, then is refused, and one decision stands."""
    store.add_queue("q")
    text_items(store, "q", 2)
    (ana, first), (_, second) = _clients(store, 2)
    shown = desk.claim(first, ana)
    late: list[BaseException] = []

    def second_press():
        try:
            desk.decide(second, ana, shown.item.id, "no_violation", note="second press", claim=shown.claim)
        except LeaseLost as lost:
            late.append(lost)

    pressed = threading.Thread(target=second_press)
    with first.transaction():
        desk.decide(first, ana, shown.item.id, "no_violation", claim=shown.claim)
        pressed.start()
        pressed.join(0.5)
        assert pressed.is_alive()  # held back by the first decision's lock, not past the check
    pressed.join(30)
    assert not pressed.is_alive() and len(late) == 1
    assert store.db.execute("SELECT action FROM decisions WHERE item_id = ?", [shown.item.id]).fetchall() == [
        ("no_violation",)]
    first.close()
    second.close()


def test_the_event_log_stays_one_chain_after_a_burst_of_clients(store, desk):
    store.add_queue("q")
    text_items(store, "q", 40)

    def work(person, own):
        for _ in range(5):
            shown = desk.claim(own, person)
            if shown is None:
                return
            if shown.item.id % 3:
                desk.decide(own, person, shown.item.id, "no_violation", claim=shown.claim)
            else:
                desk.skip(own, person, shown.item.id, claim=shown.claim)

    assert _together(work, _clients(store)) == []
    ids = [row[0] for row in store.db.execute("SELECT id FROM events ORDER BY id")]
    assert ids == list(range(1, len(ids) + 1))
    assert event_log.verify_chain(store.db)[1] is None
    assert integrity.check(store.db, SETS, escalating={"escalate"}).problems == ()
    decided = store.db.execute("SELECT item_id, COUNT(*) FROM decisions GROUP BY item_id HAVING COUNT(*) > 1")
    assert decided.fetchall() == []


@pytest.mark.server_only
def test_on_a_server_claims_run_side_by_side_but_never_beside_a_leads_write(store, desk):
    """Phase 1 ran every write under one lock; now a transaction of the hot path that holds an item (its row
    locked: a claim choosing it, a decision on it) does not hold up another person's claim, which passes that
    item over, while a lead's ordinary write (exclusive) waits for it to end. (Appends to the event log still
    take turns, each for the end of its transaction.)"""
    store.add_queue("q")
    first_item, second_item = text_items(store, "q", 2)
    (_, first), (ben, second) = _clients(store, 2)
    got: list[object] = []
    other = threading.Thread(target=lambda: got.append(desk.claim(second, ben)))
    lead_write = threading.Thread(target=lambda: store.add_queue("added while claims ran"))
    with first.transaction(row_locked=True):
        leases.lock_item(first, first_item)
        other.start()
        other.join(30)
        assert not other.is_alive() and got[0].item.id == second_item  # ran beside, passing the locked item over
        lead_write.start()
        lead_write.join(0.5)
        assert lead_write.is_alive()  # the exclusive write waits for the open transaction
    lead_write.join(30)
    assert not lead_write.is_alive() and store.queue("added while claims ran")
    first.close()
    second.close()


def test_an_appended_event_hashes_as_verify_does_whatever_its_text(store):
    """On a server the append's hash is computed by the server in the same statement as the insert: it must be
    the hash ``veil verify`` recomputes, for any text (quotes, escapes, control characters, non-ASCII)."""
    odd = 'é 🙂 "quoted" back\\slash\nnew line\ttab \x01 نص 中文'
    with store.transaction():
        store.log(odd, "setting.changed", f"setting:0:{odd}", {"old": odd, "value": [odd, 1.5, None]})
    row = store.db.execute("SELECT id, at, actor, kind, subject, payload, prev_hash, hash FROM events"
                           " ORDER BY id DESC LIMIT 1").fetchone()
    assert event_log.row_hash(*row[6:7], row[0], *row[1:6]) == row[7]
    assert event_log.verify_chain(store.db)[1] is None
