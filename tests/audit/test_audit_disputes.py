"""Disputes: who may dispute and resolve, what an outcome changes, and that history is kept."""

from __future__ import annotations

import pytest
from builders import audited, decided_item, people, sql_as_veil

from audit import disputes
from audit.disputes import DisputeError
from audit.metrics import assembly as report
from review.errors import StoreConflict


@pytest.fixture
def team(store):
    return people(store, ana="moderator", ben=["moderator", "lead"], cat=["auditor", "lead"], dan="auditor",
                  lee="lead")


def _audit(store, moderator, verdict, *, auditor="dan", error=("over_enforcement", "major"), blind="no_violation"):
    """One audited decision; returns the audit id."""
    queue = store.queue("spam") if any(q.name == "spam" for q in store.queues()) else store.add_queue("spam")
    decision_id = decided_item(store, queue, moderator, action="remove", labels=["harassment"],
                               decided_at="2026-01-02T10:00:00Z")
    correct = verdict == "correct"
    return audited(store, decision_id, lead="lee", auditor=auditor, blind_action=blind,
                   blind_labels=[] if blind == "no_violation" else ["harassment"], verdict=verdict,
                   error=None if correct else error, comment="" if correct else "not abuse")


def test_a_moderator_sees_only_their_own_results(store, team):
    wrong = _audit(store, "ana", "incorrect")
    _audit(store, "ana", "correct", blind="remove")
    _audit(store, "ben", "correct", blind="remove")
    mine = disputes.my_results(store, "ana")
    assert [r.audit_id for r in mine] == [2, 1]
    first = mine[1]
    assert (first.audit_id, first.verdict, first.error_type, first.severity, first.score) == (
        wrong, "incorrect", "over_enforcement", "major", 60.0)
    assert (first.action, first.labels, first.blind_action, first.blind_labels) == (
        "remove", ("harassment",), "no_violation", ())
    assert first.dispute is None and first.comment == "not abuse"
    assert not hasattr(first, "auditor")  # auditors stay anonymous to the people they audit
    assert len(disputes.my_results(store, "ben")) == 1


def test_overturned_dispute_flips_the_final_verdict_and_keeps_the_audit(store, team):
    audit_id = _audit(store, "ana", "incorrect")
    before = store.db.execute("SELECT * FROM audits WHERE id = ?", [audit_id]).fetchone()
    dispute_id = disputes.open_dispute(store, "ana", audit_id, "the post quotes a slur to report it")
    assert disputes.my_results(store, "ana")[0].dispute == "open"
    assert [d.id for d in disputes.disputes(store, open_only=True)] == [dispute_id]
    resolved = disputes.resolve_dispute(store, "lee", dispute_id, "overturned", "counter-speech")
    assert (resolved.state, resolved.lead, resolved.note) == ("overturned", "lee", "counter-speech")
    result = disputes.my_results(store, "ana")[0]
    assert (result.verdict, result.error_type, result.severity, result.score) == ("correct", None, None, 100.0)
    assert (result.original_verdict, result.dispute) == ("incorrect", "overturned")
    assert store.db.execute("SELECT * FROM audits WHERE id = ?", [audit_id]).fetchone() == before
    assert [s["step"] for s in disputes.history(store, audit_id)] == [
        "blind", "revealed", "scored", "disputed", "resolved"]
    assert disputes.disputes(store, open_only=True) == []
    kinds = [r[0] for r in store.db.execute("SELECT kind FROM events WHERE kind LIKE 'dispute.%' ORDER BY id")]
    assert kinds == ["dispute.opened", "dispute.resolved"]


def test_an_upheld_dispute_changes_nothing_but_the_history(store, team):
    audit_id = _audit(store, "ana", "incorrect")
    disputes.resolve_dispute(store, "lee", disputes.open_dispute(store, "ana", audit_id, "I disagree"), "upheld")
    result = disputes.my_results(store, "ana")[0]
    assert (result.verdict, result.error_type, result.score, result.dispute) == (
        "incorrect", "over_enforcement", 60.0, "upheld")


def test_an_overturn_raises_accuracy_in_the_metrics(store, team):
    wrong = _audit(store, "ana", "incorrect")
    _audit(store, "ana", "correct", blind="remove")
    _audit(store, "ana", "incorrect", error=("wrong_label", "minor"))
    before = report.build(store, "lee")["groups"][0]
    assert (before["n"], before["correct"], before["errors"]) == (3, 1, {"over_enforcement": 1, "wrong_label": 1})
    disputes.resolve_dispute(store, "lee", disputes.open_dispute(store, "ana", wrong, "context"), "overturned")
    after = report.build(store, "lee")["groups"][0]
    assert (after["n"], after["correct"]) == (3, 2)
    assert after["accuracy"] > before["accuracy"]
    assert after["errors"] == {"wrong_label": 1}
    assert after["disputes"] == {"opened": 1, "open": 0, "upheld": 0, "overturned": 1}
    assert after["mean_score"] == pytest.approx((100 + 100 + 90) / 3)


def test_only_the_decisions_moderator_disputes(store, team):
    audit_id = _audit(store, "ana", "incorrect")
    for who in ("ben", "dan", "lee"):
        with pytest.raises(PermissionError, match="only the moderator"):
            disputes.open_dispute(store, who, audit_id, "no")
    with pytest.raises(DisputeError, match="why"):
        disputes.open_dispute(store, "ana", audit_id, "  ")
    disputes.open_dispute(store, "ana", audit_id, "context")
    with pytest.raises(DisputeError, match="already"):
        disputes.open_dispute(store, "ana", audit_id, "again")
    correct = _audit(store, "ana", "correct", blind="remove")
    with pytest.raises(DisputeError, match="incorrect"):
        disputes.open_dispute(store, "ana", correct, "I agree, just checking")
    with pytest.raises(KeyError):
        disputes.open_dispute(store, "ana", 999, "missing")


def test_only_a_lead_resolves_and_never_their_own_case(store, team):
    ana_case = disputes.open_dispute(store, "ana", _audit(store, "ana", "incorrect"), "context")
    with pytest.raises(PermissionError, match="lead"):
        disputes.resolve_dispute(store, "dan", ana_case, "overturned")
    with pytest.raises(PermissionError, match="lead"):
        disputes.resolve_dispute(store, "ana", ana_case, "overturned")
    ben_case = disputes.open_dispute(store, "ben", _audit(store, "ben", "incorrect"), "context")
    with pytest.raises(PermissionError, match="own decision"):
        disputes.resolve_dispute(store, "ben", ben_case, "overturned")  # ben is a lead, but it is his decision
    cat_audit = disputes.open_dispute(store, "ana", _audit(store, "ana", "incorrect", auditor="cat"), "context")
    with pytest.raises(PermissionError, match="auditor"):
        disputes.resolve_dispute(store, "cat", cat_audit, "upheld")  # cat scored it
    with pytest.raises(DisputeError, match="outcome"):
        disputes.resolve_dispute(store, "lee", ana_case, "halved")
    disputes.resolve_dispute(store, "cat", ana_case, "upheld")
    with pytest.raises(DisputeError, match="already resolved"):
        disputes.resolve_dispute(store, "lee", ana_case, "overturned")


def test_dispute_rows_are_append_only(store, team):
    case = disputes.open_dispute(store, "ana", _audit(store, "ana", "incorrect"), "context")
    disputes.resolve_dispute(store, "lee", case, "upheld")
    for sql in ("UPDATE disputes SET reason = 'x'", "DELETE FROM disputes",
                "UPDATE dispute_resolutions SET outcome = 'overturned'", "DELETE FROM dispute_resolutions"):
        with pytest.raises(StoreConflict, match="append-only"):
            sql_as_veil(store, sql)


def test_a_moderator_reads_only_their_own_audit_history_and_never_the_auditor(store, team):
    """Regression: disputes.history had no viewer check and named the auditor to the moderator."""
    mine = _audit(store, "ana", "incorrect")
    theirs = _audit(store, "ben", "incorrect")
    steps = disputes.history_for(store, "ana", mine)
    assert [s["step"] for s in steps] == ["blind", "revealed", "scored"]
    assert all(s["by"] is None for s in steps)  # the auditor stays anonymous
    assert "dan" not in repr(steps)
    with pytest.raises(PermissionError):
        disputes.history_for(store, "ana", theirs)
    assert disputes.history_for(store, "dan", theirs)[0]["by"] == "dan"  # the auditor who did it
    assert disputes.history_for(store, "lee", mine)[0]["by"] == "dan"  # a lead
    with pytest.raises(PermissionError):
        disputes.history_for(store, "nobody", mine)
    with pytest.raises(KeyError):
        disputes.history_for(store, "ana", 999)
