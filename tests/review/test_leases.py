"""Leases are claims (issue 11 §3): a renewal, a decision or a give-back acts only on the claim that took the item.

Each window (each ``ReviewDesk``) gets its own claim: the id of the
``item.claimed`` event that leased the item. A claim ends when its item is
decided, escalated or given back, or when someone (the same person in
another window too) takes the item after the lease lapsed; from then on the
old window can neither renew nor decide. A lapsed claim nobody touched is
resumed, with an event saying how long it had lapsed.
"""

from __future__ import annotations

import pytest
from builders import events, people, text_items

from review import serving, taxonomy
from review.decisions import DecisionError
from review.desk import Claim, ReviewDesk
from review.errors import NotAllowed
from review.serving import LeaseLost


@pytest.fixture
def policy():
    return taxonomy.load()


@pytest.fixture
def windows(policy):
    """Two windows of one front end each: a desk per window, as the desktop wiring builds them."""
    return ReviewDesk(policy), ReviewDesk(policy)


def _claimed_events(store):
    return [(actor, subject) for actor, _kind, subject, _payload in events(store, "item.claimed")]


def test_one_person_in_two_windows_gets_two_different_items(store, setup, windows):
    ana, _, _ = setup
    one, two = windows
    first, second = one.claim(store, ana), two.claim(store, ana)
    assert first.item.id != second.item.id
    assert first.claim != second.claim
    assert _claimed_events(store) == [("ana", f"item:{first.item.id}"), ("ana", f"item:{second.item.id}")]


def test_a_claim_is_the_id_of_the_event_that_took_the_item(store, setup, windows):
    ana, _, _ = setup
    shown = windows[0].claim(store, ana)
    kind, subject = store.db.execute("SELECT kind, subject FROM events WHERE id = ?", [shown.claim]).fetchone()
    assert (kind, subject) == ("item.claimed", f"item:{shown.item.id}")


def test_renew_within_the_lease_writes_no_event(store, setup, windows, clock):
    ana, _, _ = setup
    shown = windows[0].claim(store, ana)
    before = len(events(store))
    clock.advance(serving.LEASE_SECONDS - 1)
    assert windows[0].renew(store, ana, shown.item.id, claim=shown.claim) > store.now()
    assert len(events(store)) == before


@pytest.mark.parametrize("ended_by", ["escalated", "decided", "given back"])
def test_renew_is_refused_once_the_claim_ended(store, setup, windows, ended_by):
    ana, _, _ = setup
    desk = windows[0]
    shown = desk.claim(store, ana)
    if ended_by == "escalated":
        desk.decide(store, ana, shown.item.id, "escalate", note="threat?", claim=shown.claim)
    elif ended_by == "decided":
        desk.decide(store, ana, shown.item.id, "no_violation", claim=shown.claim)
    else:
        desk.release(store, ana, shown.item.id, "break", claim=shown.claim)
    with pytest.raises(LeaseLost, match=r"\w"):
        desk.renew(store, ana, shown.item.id, claim=shown.claim)
    assert store.db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0


def test_the_other_window_escalates_and_this_one_can_neither_renew_nor_close_the_escalation(
        store, setup, windows, clock):
    """The issue's GUI finding at domain level: one moderator, two windows, one item."""
    ana, _, _ = setup
    one, two = windows
    first = one.claim(store, ana)
    clock.advance(serving.LEASE_SECONDS + 1)  # window one's laptop slept
    again = two.claim(store, ana)
    assert again.item.id == first.item.id and again.claim != first.claim  # a lapsed item goes back to the queue
    with pytest.raises(LeaseLost, match="another window"):
        one.renew(store, ana, first.item.id, claim=first.claim)
    two.decide(store, ana, again.item.id, "escalate", note="credible threat?", claim=again.claim)
    with pytest.raises(LeaseLost):
        one.renew(store, ana, first.item.id, claim=first.claim)
    with pytest.raises(LeaseLost):
        one.decide(store, ana, first.item.id, "no_violation", claim=first.claim)
    moved = serving.load_item(store, first.item.id)
    assert (moved.queue_name, moved.state) == ("escalations", "pending")
    assert store.db.execute("SELECT action FROM decisions").fetchall() == [("escalate",)]


def test_a_lapsed_lease_another_moderator_escalated_cannot_be_renewed_or_decided(store, setup, windows, clock):
    ana, ben, _ = setup
    one, two = windows
    first = one.claim(store, ana)
    clock.advance(serving.LEASE_SECONDS + 1)
    taken = two.claim(store, ben)
    assert taken.item.id == first.item.id
    with pytest.raises(LeaseLost, match="ben is working on this item"):
        one.renew(store, ana, first.item.id, claim=first.claim)
    two.decide(store, ben, taken.item.id, "escalate", note="not sure", claim=taken.claim)
    with pytest.raises(LeaseLost):
        one.renew(store, ana, first.item.id, claim=first.claim)
    with pytest.raises(LeaseLost):
        one.decide(store, ana, first.item.id, "no_violation", claim=first.claim)
    assert serving.load_item(store, first.item.id).state == "pending"


def test_a_lapsed_lease_nobody_touched_is_resumed_with_an_event(store, setup, windows, clock):
    ana, ben, _ = setup
    desk = windows[0]
    shown = desk.claim(store, ana)
    clock.advance(serving.LEASE_SECONDS + 90)
    expires = desk.renew(store, ana, shown.item.id, claim=shown.claim)
    assert expires > store.now()
    [(actor, _, subject, payload)] = events(store, "item.lease_resumed")
    assert (actor, subject) == ("ana", f"item:{shown.item.id}")
    assert payload == {"claim": shown.claim, "lapsed_ms": 90_000}
    assert windows[1].claim(store, ben).item.id != shown.item.id  # held again
    desk.renew(store, ana, shown.item.id, claim=shown.claim)
    assert len(events(store, "item.lease_resumed")) == 1  # live again: no second event


def test_a_decision_on_a_lapsed_claim_nobody_touched_resumes_it_first(store, setup, windows, clock):
    ana, _, _ = setup
    desk = windows[0]
    shown = desk.claim(store, ana)
    clock.advance(serving.LEASE_SECONDS + 30)
    made, _ = desk.decide(store, ana, shown.item.id, "no_violation", claim=shown.claim)
    assert made.item_id == shown.item.id
    kinds = [kind for _, kind, subject, _ in events(store) if subject == f"item:{shown.item.id}"]
    assert kinds == ["item.claimed", "item.lease_resumed", "decision.made"]
    assert events(store, "item.lease_resumed")[0].payload == {"claim": shown.claim, "lapsed_ms": 30_000}


def test_renew_never_creates_a_lease_on_an_item_nobody_claimed(store, setup, windows):
    ana, _, _ = setup
    desk = windows[0]
    shown = desk.claim(store, ana)
    other = 3 if shown.item.id != 3 else 2
    with pytest.raises(LeaseLost):
        desk.renew(store, ana, other, claim=shown.claim)  # a claim names one item
    with pytest.raises(LeaseLost):
        desk.decide(store, ana, other, "no_violation", claim=shown.claim)
    assert serving.holder(store, other) is None
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0


def test_deciding_needs_the_callers_own_claim(store, setup, windows):
    ana, ben, _ = setup
    one, two = windows
    anas = one.claim(store, ana)
    with pytest.raises(LeaseLost, match="ana is working on this item"):
        two.decide(store, ben, anas.item.id, "no_violation", claim=anas.claim)  # her claim, not his
    with pytest.raises(LeaseLost):
        one.decide(store, ana, anas.item.id, "no_violation", claim=anas.claim + 1000)
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0


def test_an_auditor_only_account_can_neither_claim_nor_decide(store, setup, windows):
    ana, _, _ = setup
    dana = people(store, dana="auditor")["dana"]
    desk = windows[0]
    with pytest.raises(NotAllowed, match="dana is not a moderator or a lead"):
        desk.claim(store, dana)
    anas = desk.claim(store, ana)
    with pytest.raises(NotAllowed, match="dana is not a moderator or a lead"):
        desk.decide(store, dana, anas.item.id, "no_violation", claim=anas.claim)
    assert desk.peek(store, dana) is None
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0


def test_a_role_removed_meanwhile_stops_the_decision(store, setup, windows):
    ana, _, _ = setup
    desk = windows[0]
    shown = desk.claim(store, ana)
    store.db.execute("UPDATE users SET roles = 'auditor' WHERE id = ?", [ana.id])
    with pytest.raises(NotAllowed):
        desk.decide(store, ana, shown.item.id, "no_violation", claim=shown.claim)
    with pytest.raises(NotAllowed):
        desk.renew(store, ana, shown.item.id, claim=shown.claim)


def test_a_moderator_cannot_decide_in_an_escalation_queue_whatever_lease_they_have(store, setup, windows):
    ana, _, _ = setup
    desk = windows[0]
    shown = desk.claim(store, ana)
    # However a moderator's lease came to sit on an item in an escalation queue, it decides nothing there.
    store.db.execute("UPDATE items SET queue_id = ? WHERE id = ?", [store.queue("escalations").id, shown.item.id])
    with pytest.raises(NotAllowed, match="only a lead can decide escalations"):
        desk.decide(store, ana, shown.item.id, "no_violation", claim=shown.claim)
    with pytest.raises(NotAllowed, match="only a lead"):
        desk.renew(store, ana, shown.item.id, claim=shown.claim)
    assert serving.load_item(store, shown.item.id).state == "pending"


def test_a_lead_decides_escalations(store, setup, windows):
    ana, _, _ = setup
    lee = people(store, lee="lead")["lee"]
    one, two = windows
    shown = one.claim(store, ana)
    one.decide(store, ana, shown.item.id, "escalate", note="threat?", claim=shown.claim)
    escalated = two.claim(store, lee, ["escalations"])
    assert escalated.item.id == shown.item.id
    made, _ = two.decide(store, lee, escalated.item.id, "remove", ["spam"], claim=escalated.claim)
    assert made.queue_id == store.queue("escalations").id
    assert serving.load_item(store, shown.item.id).state == "decided"


def test_every_give_back_leaves_an_event_with_its_claim(store, setup, windows):
    ana, _, _ = setup
    desk = windows[0]
    first = desk.claim(store, ana)
    claimed = desk.skip(store, ana, first.item.id, claim=first.claim, then_claim=Claim(exclude=[first.item.id]))
    second = claimed.shown
    desk.release(store, ana, second.item.id, "break", claim=second.claim)
    third = desk.claim(store, ana)
    made, claimed = desk.decide(store, ana, third.item.id, "no_violation", claim=third.claim, then_claim=Claim())
    fourth = claimed.shown
    back = desk.undo(store, ana, made.id, give_back=fourth)
    desk.release_held(store, ana, "closed")
    released = [(e.subject, e.payload) for e in events(store, "item.released")]
    assert released == [
        (f"item:{first.item.id}", {"reason": "skip", "claim": first.claim}),
        (f"item:{second.item.id}", {"reason": "break", "claim": second.claim}),
        (f"item:{fourth.item.id}", {"reason": "undo", "claim": fourth.claim}),
        (f"item:{back.item.id}", {"reason": "closed", "claim": back.claim}),
    ]
    assert store.db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0


def test_undo_hands_the_item_back_under_a_new_claim(store, setup, windows):
    ana, _, _ = setup
    desk = windows[0]
    shown = desk.claim(store, ana)
    made, _ = desk.decide(store, ana, shown.item.id, "no_violation", claim=shown.claim)
    back = desk.undo(store, ana, made.id)
    assert back.item.id == shown.item.id and back.claim != shown.claim
    assert store.db.execute("SELECT kind FROM events WHERE id = ?", [back.claim]).fetchone()[0] == "item.claimed"
    with pytest.raises(LeaseLost):
        desk.renew(store, ana, shown.item.id, claim=shown.claim)  # the old claim ended with the decision
    made, _ = desk.decide(store, ana, back.item.id, "remove", ["spam"], claim=back.claim)
    assert made.action == "remove"


def test_closing_one_window_gives_back_only_its_own_items(store, setup, windows):
    ana, _, _ = setup
    one, two = windows
    mine, theirs = one.claim(store, ana), two.claim(store, ana)
    one.release_held(store, ana, "closed")
    assert serving.holder(store, mine.item.id) is None
    assert serving.holder(store, theirs.item.id)[0] == "ana"
    two.renew(store, ana, theirs.item.id, claim=theirs.claim)
    made, _ = two.decide(store, ana, theirs.item.id, "no_violation", claim=theirs.claim)
    assert made.item_id == theirs.item.id


def test_a_give_back_with_a_claim_that_ended_changes_nothing(store, setup, windows, clock):
    ana, _, _ = setup
    one, two = windows
    first = one.claim(store, ana)
    clock.advance(serving.LEASE_SECONDS + 1)
    again = two.claim(store, ana)
    one.release(store, ana, first.item.id, "break", claim=first.claim)  # window one's claim ended: no effect
    assert serving.holder(store, again.item.id)[0] == "ana"
    assert events(store, "item.released") == []


def test_a_refused_rule_keeps_the_claim(store, setup, windows):
    ana, _, _ = setup
    desk = windows[0]
    shown = desk.claim(store, ana)
    with pytest.raises(DecisionError, match="label"):
        desk.decide(store, ana, shown.item.id, "remove", claim=shown.claim)
    desk.renew(store, ana, shown.item.id, claim=shown.claim)


def test_a_paused_queues_items_cannot_be_taken_through_renew_and_decide(store, setup, windows):
    """The issue's route round the queue rules: renew used to lease any item it was given."""
    ana, _, spam = setup
    desk = windows[0]
    shown = desk.claim(store, ana)
    paused = store.add_queue("paused")
    [waiting] = text_items(store, paused, ["p0"], received_at="2026-01-05T08:00:00.000Z")
    store.db.execute("UPDATE queues SET paused = 1 WHERE id = ?", [paused.id])
    with pytest.raises(LeaseLost):
        desk.renew(store, ana, waiting, claim=shown.claim)
    with pytest.raises(LeaseLost):
        desk.decide(store, ana, waiting, "no_violation", claim=shown.claim)
    assert serving.holder(store, waiting) is None and serving.load_item(store, waiting).state == "pending"
    # A claim taken before its queue was paused may still be finished: pausing stops serving, not work in hand.
    store.db.execute("UPDATE queues SET paused = 1 WHERE id = ?", [spam.id])
    made, _ = desk.decide(store, ana, shown.item.id, "no_violation", claim=shown.claim)
    assert made.queue_id == spam.id


@pytest.fixture
def roles_change_at_the_lock(store, monkeypatch):
    """``change(name, roles)``: another connection (a lead elsewhere) sets *name*'s roles the moment the next
    write transaction on *store* begins — after every check made before it, before anything it writes."""
    other = store.second_connection()
    begin = store.transaction

    def change(name, roles):
        def transaction(**how):
            monkeypatch.setattr(store, "transaction", begin)  # once
            other.db.execute("UPDATE users SET roles = ? WHERE name = ?", [roles, name])
            return begin(**how)

        monkeypatch.setattr(store, "transaction", transaction)

    yield change
    other.close()


@pytest.mark.parametrize("step", ["claim", "renew", "decide"])
def test_a_role_removed_after_the_check_but_before_the_write_stops_the_write(
        store, setup, windows, roles_change_at_the_lock, step):
    """Roles are read under the write lock: a check made a moment before it proves nothing."""
    ana, _, _ = setup
    desk = windows[0]
    shown = desk.claim(store, ana)
    claimed = len(events(store, "item.claimed"))
    roles_change_at_the_lock("ana", "auditor")
    with pytest.raises(NotAllowed, match="ana is not a moderator or a lead"):
        if step == "claim":
            desk.claim(store, ana)
        elif step == "renew":
            desk.renew(store, ana, shown.item.id, claim=shown.claim)
        else:
            desk.decide(store, ana, shown.item.id, "no_violation", claim=shown.claim)
    assert store.user("ana").roles == ("auditor",)  # the change did land, before the write
    assert len(events(store, "item.claimed")) == claimed
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0
    assert serving.load_item(store, shown.item.id).state == "pending"


def test_a_lead_demoted_before_the_write_lock_cannot_decide_an_escalation(store, setup, windows,
                                                                          roles_change_at_the_lock):
    ana, _, _ = setup
    lee = people(store, lee="lead")["lee"]
    one, two = windows
    shown = one.claim(store, ana)
    one.decide(store, ana, shown.item.id, "escalate", note="threat?", claim=shown.claim)
    escalated = two.claim(store, lee, ["escalations"])
    roles_change_at_the_lock("lee", "moderator")
    with pytest.raises(NotAllowed, match="only a lead can decide escalations"):
        two.decide(store, lee, escalated.item.id, "remove", ["spam"], claim=escalated.claim)
    moved = serving.load_item(store, shown.item.id)
    assert (moved.queue_name, moved.state) == ("escalations", "pending")
    assert store.db.execute("SELECT action FROM decisions").fetchall() == [("escalate",)]
