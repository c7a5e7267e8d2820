"""QA setup without code: plans by queue id (renames, merges, the upgrade), plan changes and the dry run."""

from __future__ import annotations

import json

import pytest
import sqlite_utils
from builders import decided_item, events, people, text_items

from audit import plans, sampling
from audit.plans import PlanError
from audit.store import schema as audit_schema
from desktop import wiring
from review import admin
from review import people as people_admin
from review.store import Store

DECIDED = "2026-01-04T10:00:00.000Z"


@pytest.fixture
def team(store):
    people(store, ana="moderator", ben="moderator", cat="auditor", lee="lead")
    store.add_queue("spam")
    store.add_queue("abuse")
    return store


def _drawn(store, plan_name):
    return {s.decision_id for s in sampling.run_plans(store, "lee", names=[plan_name])[0].samples}


# ------------------------------------------------------------ the bug: plans held names
def test_a_renamed_queue_stays_in_its_plan(team):
    """Issue 13: renaming a queue silently switched off the plans that named it."""
    plans.create_plan(team, "lee", "spam qa", rate=1.0, queues=["spam"], starts_at="2026-01-01", seed="s")
    admin.rename_queue(team, "lee", "spam", "Spam & scams")
    decision = decided_item(team, "Spam & scams", "ana", decided_at=DECIDED)
    assert _drawn(team, "spam qa") == {decision}
    assert [q.name for q in plans.plan(team, "spam qa").queues] == ["Spam & scams"]


def test_a_merged_queues_plan_samples_the_queue_it_was_merged_into(team):
    """Issue 13: a merge switched the plan off too; now it follows the surviving queue."""
    plans.create_plan(team, "lee", "spam qa", rate=1.0, queues=["spam"], starts_at="2026-01-01", seed="s")
    before = decided_item(team, "spam", "ana", decided_at=DECIDED)
    admin.merge(team, "lee", "spam", "abuse")
    after = decided_item(team, "abuse", "ben", decided_at=DECIDED)
    assert _drawn(team, "spam qa") == {before, after}
    assert plans.plan(team, "spam qa").queue_words() == "spam (merged into abuse)"
    with pytest.raises(PlanError, match="merged into 'abuse'"):
        plans.create_plan(team, "lee", "other", rate=1.0, queues=["spam"])


def test_a_plan_follows_every_merge_in_the_chain(team):
    """Review of issue 13: spam merged into abuse, abuse later into a third queue: the plan covered spam and
    the last queue only, never abuse's own decisions (the merge rewrites spam's merged_into_id past abuse)."""
    team.add_queue("trust")
    team.add_queue("other")
    plans.create_plan(team, "lee", "spam qa", rate=1.0, queues=["spam"], starts_at="2026-01-01", seed="s")
    in_spam = decided_item(team, "spam", "ana", decided_at=DECIDED)
    admin.merge(team, "lee", "spam", "abuse")
    admin.rename_queue(team, "lee", "abuse", "Abuse")  # renames along the way are followed too
    in_abuse = decided_item(team, "Abuse", "ben", decided_at=DECIDED)
    decided_item(team, "other", "ben", decided_at=DECIDED)
    admin.merge(team, "lee", "other", "trust")  # merged into the same queue, not through spam's chain
    admin.merge(team, "lee", "Abuse", "trust")
    in_trust = decided_item(team, "trust", "ana", decided_at=DECIDED)
    assert _drawn(team, "spam qa") == {in_spam, in_abuse, in_trust}
    assert plans.plan(team, "spam qa").queue_words() == "spam (merged into trust)"


# ------------------------------------------------------------ the upgrade from names to ids
def _store_before_ids(path):
    """A store as the Veil before issue 13 wrote it: the audit schema up to m002, plans holding queue names."""
    old = sqlite_utils.Migrations("audit")
    old(name="m001_audit")(audit_schema.m001_audit)
    old(name="m002_append_only_guards")(audit_schema.m002_append_only_guards)
    return Store.open(path, migration_sets=[old])


def _old_plan(old, name, queues):
    """A plan row as the old ``save_plan`` stored it, with its ``audit.plan_saved`` event."""
    with old.transaction():
        old.db.execute(
            "INSERT INTO audit_plans (name, rate, queues, seed, starts_at, created_by, created_at, updated_at)"
            " VALUES (?, 1.0, ?, 's', '2026-01-01T00:00:00.000Z', 'lee', ?, ?)",
            [name, json.dumps(queues) if queues is not None else None, old.now(), old.now()])
        old.log("lee", "audit.plan_saved", f"plan:{name}", {"queues": queues})


def test_the_upgrade_turns_names_into_ids_follows_renames_and_keeps_unknown_names_visible(tmp_path):
    path = tmp_path / "old.db"
    with _store_before_ids(path) as old:
        people(old, ana="moderator", lee="lead")
        old.add_queue("spam")
        old.add_queue("scams")
        for n, names in enumerate((["spam"], ["scams"], ["spam", "long gone"], ["long gone"], None, [])):
            _old_plan(old, f"p{n}", names)
        admin.rename_queue(old, "lee", "scams", "fraud")  # p1 had silently stopped sampling it
    with wiring.open_store(path) as store:
        found = {p.name: p for p in plans.plans(store)}
        assert found["p0"].queue_words() == "spam"
        assert found["p1"].queue_words() == "fraud"
        assert found["p2"].queue_words() == "long gone (queue gone), spam"
        assert found["p3"].queue_words() == "long gone (queue gone)" and found["p3"].queue_ids() == []
        assert found["p4"].queues is None and found["p4"].queue_words() == "every queue"
        assert found["p5"].queue_ids() == [] and "samples nothing" in found["p5"].queue_words()  # '[]' stays none
        decision = decided_item(store, "fraud", "ana", decided_at=DECIDED)
        assert _drawn(store, "p1") == {decision}
        assert _drawn(store, "p3") == set()  # a gone queue samples nothing, never every queue
        assert _drawn(store, "p5") == set()
        assert "queues" not in store.db["audit_plans"].columns_dict


@pytest.mark.parametrize("renamed_before", [False, True])
def test_the_upgrade_follows_only_the_renames_made_after_the_plan_was_saved(tmp_path, renamed_before):
    """Review of issue 13: a name freed by one rename and taken by another crashed the upgrade (UNIQUE
    constraint) and tied the plan to the wrong queue; names were followed through every rename ever."""
    path = tmp_path / "old.db"
    with _store_before_ids(path) as old:
        people(old, lee="lead")
        if renamed_before:  # a rename before the plan was saved is not followed
            old.add_queue("Hate & harassment")
            admin.rename_queue(old, "lee", "Hate & harassment", "Abuse")
        old.add_queue("Hate & harassment")
        old.add_queue("Spam & scams")
        spam, hate = old.queue("Spam & scams").id, old.queue("Hate & harassment").id
        _old_plan(old, "both", ["Spam & scams", "Hate & harassment"])
        _old_plan(old, "hate", ["Hate & harassment"])
        admin.rename_queue(old, "lee", "Spam & scams", "Spam (old)")
        admin.rename_queue(old, "lee", "Hate & harassment", "Spam & scams")
    with wiring.open_store(path) as store:
        assert plans.plan(store, "both").queue_ids() == sorted([spam, hate])
        assert plans.plan(store, "both").queue_words() == "Spam & scams, Spam (old)"
        assert plans.plan(store, "hate").queue_ids() == [hate]


# ------------------------------------------------------------ create, edit, pause, resume
def test_plan_changes_are_a_leads_and_each_logs_old_and_new(team):
    with pytest.raises(PermissionError, match="lead"):
        plans.create_plan(team, "ana", "qa", rate=0.1)
    made = plans.create_plan(team, "lee", "qa", rate=0.1, queues=["spam"])
    assert events(team, "audit.plan_created")[-1].payload["new"]["queues"] == ["spam"]
    with pytest.raises(PlanError, match="already a plan"):
        plans.create_plan(team, "lee", "qa", rate=0.5)

    edited = plans.edit_plan(team, "lee", "qa", rate=0.25, queues=["spam", "abuse"])
    assert edited.rate == 0.25 and edited.seed == made.seed and edited.starts_at == made.starts_at
    change = events(team, "audit.plan_edited")[-1]
    assert change.actor == "lee" and change.payload == {
        "old": {"rate": 0.1, "queues": ["spam"]}, "new": {"rate": 0.25, "queues": ["abuse", "spam"]}}
    plans.edit_plan(team, "lee", "qa", rate=0.25)  # no change, no event
    assert len(events(team, "audit.plan_edited")) == 1
    with pytest.raises(PlanError, match="no setting period"):
        plans.edit_plan(team, "lee", "qa", period="week")
    with pytest.raises(KeyError):
        plans.edit_plan(team, "lee", "nope", rate=0.2)
    with pytest.raises(PermissionError):
        plans.set_active(team, "cat", "qa", False)

    assert not plans.set_active(team, "lee", "qa", False).active
    assert events(team, "audit.plan_paused")[-1].payload == {"old": {"active": True}, "new": {"active": False}}
    assert plans.plans(team, active_only=True) == []
    assert plans.set_active(team, "lee", "qa", True).active
    assert len(events(team, "audit.plan_resumed")) == 1


def test_a_paused_plan_draws_nothing_until_resumed_and_nothing_from_its_pause(team, clock):
    """Review of issue 13: a named run drew from a paused plan, and resuming drew the whole paused period."""
    plans.create_plan(team, "lee", "qa", rate=1.0, starts_at="2026-01-01", seed="s")
    before = decided_item(team, "spam", "ana", decided_at="2026-01-04T08:00:00.000Z")
    plans.set_active(team, "lee", "qa", False)
    paused = decided_item(team, "spam", "ana", decided_at="2026-01-05T08:00:00.000Z")
    with pytest.raises(PlanError, match="paused"):
        sampling.run_plans(team, "lee", names=["qa"])
    assert team.db.execute("SELECT COUNT(*) FROM audit_samples").fetchone()[0] == 0
    clock.advance(3600)
    resumed = plans.set_active(team, "lee", "qa", True)
    assert resumed.starts_at == team.now()
    change = events(team, "audit.plan_resumed")[-1].payload
    assert change == {"old": {"active": False, "starts_at": "2026-01-01T00:00:00.000Z"},
                      "new": {"active": True, "starts_at": team.now()}}
    after = decided_item(team, "spam", "ben", decided_at=team.now())
    drawn = _drawn(team, "qa")
    assert after in drawn and paused not in drawn and before not in drawn
    plans.set_active(team, "lee", "qa", False)
    clock.advance(60)
    assert plans.edit_plan(team, "lee", "qa", active=True).starts_at == team.now()  # an edit resumes alike


def test_samples_go_to_active_auditors_only(team):
    """Review of issue 13: a deactivated auditor was still handed new samples."""
    people(team, dee="auditor")
    people_admin.deactivate(team, "lee", "cat")
    plans.create_plan(team, "lee", "qa", rate=1.0, starts_at="2026-01-01", seed="s")
    for who in ("ana", "ben", "ana"):
        decided_item(team, "spam", who, decided_at=DECIDED)
    [run] = sampling.run_plans(team, "lee", names=["qa"])
    assert [s.auditor for s in run.samples] == ["dee", "dee", "dee"]


# ------------------------------------------------------------ the dry run
def test_preview_counts_what_a_run_would_draw_and_draws_nothing(team):
    plans.create_plan(team, "lee", "qa", rate=1.0, queues=["spam"], starts_at="2026-01-01", seed="s")
    for who in ("ana", "ana", "ben"):
        decided_item(team, "spam", who, decided_at=DECIDED)
    decided_item(team, "abuse", "ben", decided_at=DECIDED)
    logged = len(events(team))
    with pytest.raises(PermissionError, match="lead"):
        sampling.preview_plan(team, "cat", "qa")
    seen = sampling.preview_plan(team, "lee", "qa")
    assert (seen.drawn, seen.unsampled, seen.by_queue, seen.by_moderator, seen.by_reason) == (
        3, 3, {"spam": 3}, {"ana": 2, "ben": 1}, {"rate": 3})
    assert team.db.execute("SELECT COUNT(*) FROM audit_samples").fetchone()[0] == 0
    assert len(events(team)) == logged
    assert len(_drawn(team, "qa")) == seen.drawn
    assert sampling.preview_plan(team, "lee", "qa").drawn == 0


def test_preview_lists_what_it_would_draw_and_says_why_it_would_draw_none(team):
    """Walkthrough of issue 13: the preview gave a count only, and "0 of 17" with no reason."""
    plans.create_plan(team, "lee", "qa", rate=1.0, queues=["spam"], starts_at="2026-01-03", seed="s")
    assert sampling.preview_plan(team, "lee", "qa").why_none[0].startswith("Nothing has been decided in its queues")
    early = decided_item(team, "spam", "ana", decided_at="2026-01-02T10:00:00.000Z")
    [why] = sampling.preview_plan(team, "lee", "qa").why_none
    assert why.startswith("All 1 decisions in its queues were made before the plan started (2026-01-03 00:00 UTC)")
    first = decided_item(team, "spam", "ben", decided_at="2026-01-04T09:00:00.000Z")
    second = decided_item(team, "spam", "ana", decided_at="2026-01-04T08:00:00.000Z")
    seen = sampling.preview_plan(team, "lee", "qa")
    assert [(d.id, d.queue, d.moderator, d.decided_at, d.reason) for d in seen.decisions] == [
        (second, "spam", "ana", "2026-01-04T08:00:00.000Z", "rate"),
        (first, "spam", "ben", "2026-01-04T09:00:00.000Z", "rate")]
    assert seen.why_none == () and early not in {d.id for d in seen.decisions}
    _drawn(team, "qa")
    again = sampling.preview_plan(team, "lee", "qa")
    assert (again.drawn, again.decisions) == (0, ())
    assert again.why_none[0].startswith("2 of the 2 decisions since it started are sampled already")
    plans.create_plan(team, "lee", "rare", rate=0.0001, queues=["abuse"], starts_at="2026-01-03", seed="s")
    decided_item(team, "abuse", "ana", decided_at="2026-01-04T08:00:00.000Z")
    assert "fixed 0% chance" in sampling.preview_plan(team, "lee", "rare").why_none[0]


def test_a_plan_draws_neither_pending_items_nor_decisions_made_before_it_starts(team):
    plans.create_plan(team, "lee", "qa", rate=1.0, starts_at="2026-01-03")
    decided_item(team, "spam", "ana", decided_at="2026-01-02T23:59:59.999Z")  # the day before it starts
    text_items(team, "spam", 3)
    seen = sampling.preview_plan(team, "lee", "qa")
    assert (seen.drawn, seen.unsampled) == (0, 0)
    on_time = decided_item(team, "spam", "ana", decided_at="2026-01-03T00:00:00.000Z")
    assert _drawn(team, "qa") == {on_time}
