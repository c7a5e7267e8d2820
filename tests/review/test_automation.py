"""Automated decisions (issue 20 §7): apply decides open items as the system person, or keeps a suggestion."""

from __future__ import annotations

import pytest
from builders import behind_veils_back, events, people, refusal, text_items

from desktop import wiring
from review.errors import NotAllowed
from review.known import automation
from review.known.automation import Outcome, apply
from review.store import automation as automation_rows
from review.store import integrity, reconcile_automation
from review.store.schema import migrations


@pytest.fixture
def floor(store):
    people(store, lee="lead", ana="moderator")
    store.add_queue("general")
    return store


def _problems(store):
    return integrity.check(store.db, [migrations, *wiring.migration_sets()], escalating={"escalate"}).problems


def _decisions(store):
    return store.db.execute(
        "SELECT d.item_id, u.name, d.action, d.labels, d.source, d.revealed_ms, d.handle_ms, a.rule, a.version"
        " FROM decisions d JOIN users u ON u.id = d.user_id"
        " LEFT JOIN automated_decisions a ON a.decision_id = d.id ORDER BY d.id").fetchall()


def test_automated_outcomes_decide_open_items_as_the_system_person(floor):
    store = floor
    first, second = text_items(store, "general", 2)
    with store.transaction():
        made = apply(store, [Outcome(first, "remove", ("spam",), automated=True),
                             Outcome(second, "remove", ("spam",), automated=True)],
                     rule="list:known-spam", version=3, actor="lee")
    assert made == 2
    assert _decisions(store) == [
        (first, "automation", "remove", '["spam"]', "automation", 0, None, "list:known-spam", 3),
        (second, "automation", "remove", '["spam"]', "automation", 0, None, "list:known-spam", 3)]
    assert {s for (s,) in store.db.execute("SELECT state FROM items")} == {"decided"}
    batch = events(store, "automation.decided")
    assert [(e.actor, e.payload["rule"], e.payload["version"], e.payload["count"]) for e in batch] == [
        ("lee", "list:known-spam", 3, 2)]
    assert store.db.execute("SELECT COUNT(*) FROM exposure").fetchone()[0] == 0  # nobody looked at anything
    assert not store.db.execute("SELECT COUNT(*) FROM leases").fetchone()[0]
    assert _problems(store) == ()


def test_the_system_person_holds_no_role_and_is_not_active(floor):
    store = floor
    item = text_items(store, "general", 1)[0]
    with store.transaction():
        apply(store, [Outcome(item, "remove", automated=True)], rule="r", version=1, actor="lee")
    person = store.user(automation_rows.AUTOMATION)
    assert person.roles == () and not person.active


def test_suggestions_leased_and_decided_items_are_not_decided(floor, clock):
    store = floor
    suggested, leased, decided, open_ = text_items(store, "general", 4)
    with store.transaction():
        store.db.execute("INSERT INTO leases (item_id, user_id, claimed_at, expires_at) VALUES (?, ?, ?, ?)",
                         [leased, store.user("ana").id, store.now(), "2999-01-01T00:00:00.000Z"])
        store.db.execute("UPDATE items SET state = 'decided' WHERE id = ?", [decided])
        made = apply(store, [Outcome(suggested, "remove", ("spam",)),
                             Outcome(leased, "remove", automated=True),
                             Outcome(decided, "remove", automated=True),
                             Outcome(open_, "remove", automated=True)], rule="r", version=2, actor="lee")
    assert made == 1
    assert [row[0] for row in _decisions(store)] == [open_]
    assert automation_rows.suggestion(store, suggested) == ("remove", ("spam",), "r", 2)
    assert automation_rows.suggestion(store, leased) == ("remove", (), "r", 2)
    assert automation_rows.suggestion(store, open_) is None


def test_nothing_to_do_writes_nothing(floor):
    store = floor
    before = store.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    with store.transaction():
        assert apply(store, [], rule="r", version=1, actor="lee") == 0
    assert store.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == before


def _decide(store, item_ids, *, rule="list:known-spam", version=1):
    with store.transaction():
        return apply(store, [Outcome(i, "remove", ("spam",), automated=True) for i in item_ids],
                     rule=rule, version=version, actor="lee")


def test_revoking_a_window_reopens_its_items_with_their_original_due_times(floor, clock):
    store = floor
    early, inside, other_rule = text_items(store, "general", 3)
    due = dict(store.db.execute("SELECT id, due_at FROM items"))
    _decide(store, [early])
    clock.advance(3600)
    start = store.now()
    _decide(store, [inside])
    _decide(store, [other_rule], rule="list:other")
    clock.advance(3600)
    assert automation.revocable(store, "lee", "list:known-spam", start, store.now()).revoked == 1
    assert automation.revoke(store, "lee", "list:known-spam", start, store.now(), reason="bad list").revoked == 1
    states = dict(store.db.execute("SELECT id, state FROM items"))
    assert states == {early: "decided", inside: "pending", other_rule: "decided"}
    assert dict(store.db.execute("SELECT id, due_at FROM items")) == due
    revoked = events(store, "automation.revoked")
    assert [(e.actor, e.payload["rule"], e.payload["count"], e.payload["reason"]) for e in revoked] == [
        ("lee", "list:known-spam", 1, "bad list")]
    # revoked once: a second revoke of the same window finds nothing standing
    assert automation.revoke(store, "lee", "list:known-spam", start, store.now()).revoked == 0
    assert _problems(store) == ()


def test_only_a_lead_revokes_or_resumes(floor):
    store = floor
    item = text_items(store, "general", 1)[0]
    _decide(store, [item])
    with pytest.raises(NotAllowed):
        automation.revoke(store, "ana", "list:known-spam", "2000-01-01", "2999-01-01")
    with pytest.raises(NotAllowed):
        automation.revocable(store, "ana", "list:known-spam", "2000-01-01", "2999-01-01")
    automation.suspend(store, "list:known-spam", {"floor": 0.95})
    with pytest.raises(NotAllowed):
        automation.resume(store, "ana", "list:known-spam", reason="fine")
    with pytest.raises(NotAllowed):
        automation.resume(store, automation_rows.AUTOMATION, "list:known-spam", reason="fine")
    assert store.db.execute("SELECT state FROM items").fetchone()[0] == "decided"


def test_a_suspended_rule_only_suggests_until_a_lead_resumes_it_with_a_reason(floor):
    store = floor
    first, second = text_items(store, "general", 2)
    assert automation.suspend(store, "r", {"floor": 0.95}) is True
    assert automation.suspend(store, "r", {"floor": 0.95}) is False  # once
    assert _decide(store, [first], rule="r") == 0
    assert automation_rows.suggestion(store, first) == ("remove", ("spam",), "r", 1)
    with pytest.raises(automation.AutomationError):
        automation.resume(store, "lee", "r", reason="  ")
    automation.resume(store, "lee", "r", reason="list fixed")
    with pytest.raises(automation.AutomationError):
        automation.resume(store, "lee", "r", reason="again")
    assert _decide(store, [second], rule="r") == 1
    kinds = [(e.actor, e.kind) for e in events(store) if e.kind.startswith("automation.")]
    assert kinds == [("system", "automation.suspended"), ("lee", "automation.resumed"), ("lee", "automation.decided")]
    assert _problems(store) == ()


def test_verify_names_a_rule_switched_back_on_or_a_decision_passed_off_as_automation(floor):
    store = floor
    item, other = text_items(store, "general", 2)
    _decide(store, [item])
    automation.suspend(store, "r", {"floor": 0.95})
    with behind_veils_back(store) as conn:
        conn.execute("UPDATE automation_rules SET suspended = 0 WHERE rule = 'r'")
    decision = store.db.execute("SELECT id FROM decisions").fetchone()[0]
    problems = reconcile_automation.automation_problems(store.db)
    assert problems == ["rule 'r' is deciding, but its events (last: event "
                        f"{events_id(store, 'automation.suspended')}) make it suspended"]
    with behind_veils_back(store) as conn, pytest.raises(refusal(store)):
        conn.execute(f"DELETE FROM automated_decisions WHERE decision_id = {decision}")  # append-only
    with behind_veils_back(store, "automated_decisions_no_delete") as conn:
        conn.execute(f"DELETE FROM automated_decisions WHERE decision_id = {decision}")
    assert f"decision {decision} is automation's but names no rule (its automated_decisions row is missing)" in (
        reconcile_automation.automation_problems(store.db))


def events_id(store, kind):
    return store.db.execute("SELECT MAX(id) FROM events WHERE kind = ?", [kind]).fetchone()[0]


def test_the_desk_shows_a_suggestion_only_while_the_item_waits(floor):
    from review.known.facts import Suggestion

    store = floor
    item = text_items(store, "general", 1)[0]
    with store.transaction():
        apply(store, [Outcome(item, "remove", ("spam",))], rule="r", version=4, actor="lee")
    assert automation.suggestion_for(store, item, "pending") == Suggestion("remove", ("spam",), "r", 4)
    assert automation.suggestion_for(store, item, "decided") is None


def test_deciding_a_case_decides_its_reports_and_revoking_reopens_them(floor, clock):
    from review.known import cases

    store = floor
    reports = text_items(store, "general", 3, text="same words", content_sha256="ab" * 32)
    with store.transaction():
        cases.join_chunk(store, reports, actor="lee")  # one case, led by the first report
    made = _decide(store, reports)  # all three matched: the lead decides, the others follow it once
    assert made == 1
    rows = store.db.execute("SELECT item_id, source FROM decisions ORDER BY id").fetchall()
    assert rows == [(reports[0], "automation"), (reports[1], "case"), (reports[2], "case")]
    assert automation.revoke(store, "lee", "list:known-spam", "2000-01-01", "2999-01-01").revoked == 1
    assert {s for (s,) in store.db.execute("SELECT state FROM items")} == {"pending"}
    assert _problems(store) == ()


def test_a_person_already_named_automation_stops_automation_with_words_not_a_crash(floor):
    store = floor
    with store.transaction():  # a store from before the name was reserved (add_user refuses it once it is)
        store.db.execute("INSERT INTO users (name, display_name, roles, created_at) VALUES (?, ?, ?, ?)",
                         [automation_rows.AUTOMATION, "Otto Mation", "moderator", store.now()])
    item = text_items(store, "general", 1)[0]
    with pytest.raises(automation.AutomationError, match="already has that name"), store.transaction():
        apply(store, [Outcome(item, "remove", automated=True)], rule="r", version=1, actor="lee")
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0


def test_veil_verify_runs_automations_check(floor):
    store = floor
    _decide(store, text_items(store, "general", 1), rule="r")
    automation.suspend(store, "r", {"floor": 0.95})
    assert _problems(store) == ()
    with behind_veils_back(store) as conn:
        conn.execute("UPDATE automation_rules SET suspended = 0 WHERE rule = 'r'")
    assert any("rule 'r' is deciding, but its events" in problem for problem in _problems(store))
