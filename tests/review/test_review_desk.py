"""The review desk: a decision, its hooks and the next claim in one call, with no page involved."""

from __future__ import annotations

import pytest

from review import decisions, serving, taxonomy
from review.desk import Claim, ReviewDesk
from review.serving import LeaseLost


@pytest.fixture
def policy():
    return taxonomy.load()


def test_claim_gives_the_item_and_what_it_was_seen_as_before(store, setup, policy):
    ana, ben, _ = setup
    desk = ReviewDesk(policy)
    first = desk.claim(store, ben)
    desk.decide(store, ben, first.item.id, "remove", ["spam"], claim=first.claim)
    shown = desk.claim(store, ana)
    assert shown.item.external_id == "x1"
    assert shown.seen_before == {"remove": 1}
    assert serving.holder(store, shown.item.id)[0] == "ana"


def test_decide_stores_the_decision_and_claims_the_next_item_in_one_call(store, setup, policy):
    ana, _, _ = setup
    desk = ReviewDesk(policy)
    first = desk.claim(store, ana)
    made, claimed = desk.decide(store, ana, first.item.id, "no_violation", shown_at=store.now(), revealed_ms=250,
                                claim=first.claim, then_claim=Claim())
    assert (made.item_id, made.action, made.revealed_ms) == (first.item.id, "no_violation", 250)
    assert serving.load_item(store, first.item.id).state == "decided"
    assert claimed.error is None and claimed.shown.item.external_id == "x1"
    assert claimed.shown.seen_before == {"no_violation": 1}
    assert serving.holder(store, claimed.shown.item.id)[0] == "ana"


def test_decide_without_then_claim_claims_nothing(store, setup, policy):
    ana, _, _ = setup
    desk = ReviewDesk(policy)
    first = desk.claim(store, ana)
    _, claimed = desk.decide(store, ana, first.item.id, "no_violation", claim=first.claim)
    assert claimed is None
    assert store.db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0


def test_the_hook_runs_for_a_decision_made_through_the_desk(store, setup, policy):
    ana, _, _ = setup
    seen = []
    desk = ReviewDesk(policy, after_decision=(lambda s, d: seen.append((s, d.id)),))
    first = desk.claim(store, ana)
    made, _ = desk.decide(store, ana, first.item.id, "no_violation", claim=first.claim)
    assert seen == [(store, made.id)]


def test_gold_is_scored_for_a_decision_made_without_any_page(store, setup, policy):
    from audit import gold

    ana, _, _ = setup
    lee = store.add_user("lee", ["lead"])
    gold.add_gold(store, lee, 1, "remove", ["spam"], taxonomy=policy)
    desk = ReviewDesk(policy, after_decision=(gold.after_decision,))
    shown = desk.claim(store, ana)
    assert shown.item.id == 1
    desk.decide(store, ana, 1, "no_violation", claim=shown.claim)
    assert store.db.execute("SELECT correct FROM gold_results").fetchone()[0] == 0


def test_a_failing_hook_keeps_the_decision_and_the_later_hooks_still_run(store, setup, policy, caplog):
    ana, _, _ = setup
    later = []

    def broken(_store, _decision):
        raise RuntimeError("gold table gone")

    desk = ReviewDesk(policy, after_decision=(broken, lambda s, d: later.append(d.id)))
    first = desk.claim(store, ana)
    made, claimed = desk.decide(store, ana, first.item.id, "no_violation", claim=first.claim, then_claim=Claim())
    assert store.db.execute("SELECT action FROM decisions WHERE id = ?", [made.id]).fetchone()[0] == "no_violation"
    assert later == [made.id]
    assert claimed.shown is not None
    assert "gold table gone" in caplog.text


def test_a_refused_decision_runs_no_hook_and_claims_nothing(store, setup, policy):
    ana, _, _ = setup
    seen = []
    desk = ReviewDesk(policy, after_decision=(lambda s, d: seen.append(d),))
    first = desk.claim(store, ana)
    with pytest.raises(decisions.DecisionError, match="label"):
        desk.decide(store, ana, first.item.id, "remove", claim=first.claim, then_claim=Claim())
    assert seen == []
    assert serving.holder(store, first.item.id)[0] == "ana"
    assert store.db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 1


def test_a_failing_follow_up_claim_returns_the_stored_decision_and_why(store, setup, policy):
    ana, _, _ = setup
    desk = ReviewDesk(policy)
    first = desk.claim(store, ana)
    made, claimed = desk.decide(store, ana, first.item.id, "no_violation", claim=first.claim,
                                then_claim=Claim(severe="sometimes"))
    assert serving.load_item(store, made.item_id).state == "decided"
    assert claimed.shown is None and "severe rule" in str(claimed.error)


def test_a_lost_lease_is_raised_and_nothing_is_stored(store, setup, policy, clock):
    ana, ben, _ = setup
    desk = ReviewDesk(policy)
    first = desk.claim(store, ana)
    clock.advance(serving.LEASE_SECONDS + 1)
    assert desk.claim(store, ben).item.id == first.item.id
    with pytest.raises(LeaseLost):
        desk.decide(store, ana, first.item.id, "no_violation", claim=first.claim, then_claim=Claim())
    with pytest.raises(LeaseLost):
        desk.renew(store, ana, first.item.id, claim=first.claim)
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0


def test_skip_gives_the_item_back_and_claims_another(store, setup, policy):
    ana, _, _ = setup
    desk = ReviewDesk(policy)
    first = desk.claim(store, ana)
    claimed = desk.skip(store, ana, first.item.id, claim=first.claim, then_claim=Claim(exclude=[first.item.id]))
    assert claimed.shown.item.id != first.item.id
    assert serving.holder(store, first.item.id) is None
    reason = store.db.execute(
        "SELECT payload FROM events WHERE kind = 'item.released' ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert "skip" in reason


def test_undo_brings_the_item_back_and_gives_back_the_one_on_screen(store, setup, policy):
    ana, _, _ = setup
    desk = ReviewDesk(policy)
    first = desk.claim(store, ana)
    made, claimed = desk.decide(store, ana, first.item.id, "no_violation", claim=first.claim, then_claim=Claim())
    second = claimed.shown.item
    back = desk.undo(store, ana, made.id, give_back=claimed.shown)
    assert back.item.id == first.item.id and back.item.state == "pending"
    assert serving.holder(store, first.item.id)[0] == "ana"
    assert serving.holder(store, second.id) is None


def test_a_refused_undo_keeps_the_item_on_screen_held(store, setup, policy, clock):
    ana, _, _ = setup
    desk = ReviewDesk(policy)
    first = desk.claim(store, ana)
    made, claimed = desk.decide(store, ana, first.item.id, "no_violation", claim=first.claim, then_claim=Claim())
    clock.advance(decisions.UNDO_WINDOW_S + 1)
    with pytest.raises(decisions.DecisionError, match="Undo is possible"):
        desk.undo(store, ana, made.id, give_back=claimed.shown)
    assert serving.holder(store, claimed.shown.item.id)[0] == "ana"


def test_peek_renew_release_and_servable_queues(store, setup, policy):
    ana, _, _ = setup
    desk = ReviewDesk(policy)
    assert [q.name for q in desk.servable_queues(store, ana)] == ["spam"]
    upcoming = desk.peek(store, ana)
    first = desk.claim(store, ana)
    assert upcoming.id == first.item.id
    assert desk.peek(store, ana, exclude=[first.item.id]).external_id == "x1"
    assert desk.renew(store, ana, first.item.id, claim=first.claim) > store.now()
    desk.release(store, ana, first.item.id, "break", claim=first.claim)
    assert serving.holder(store, first.item.id) is None


def test_release_held_gives_back_whatever_this_desk_holds_for_the_person(store, setup, policy):
    ana, _, _ = setup
    desk = ReviewDesk(policy)
    desk.release_held(store, ana, "closed")  # nothing held: nothing happens
    first = desk.claim(store, ana)
    _, claimed = desk.decide(store, ana, first.item.id, "no_violation", claim=first.claim, then_claim=Claim())
    desk.release_held(store, ana, "closed")
    assert serving.holder(store, claimed.shown.item.id) is None
    assert store.db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0
