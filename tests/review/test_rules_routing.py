"""Routing rules at intake (issue 20 §6): versions a lead applies, and what the current one does to new items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import events, people

from desktop import wiring
from review import admin
from review.errors import NotAllowed
from review.imports import manifest as importer
from review.known import lists, routing
from review.known.rules import RulesError
from review.store import automation as automation_rows
from review.store import integrity
from review.store import rules as rule_rows
from review.store.schema import migrations
from review.taxonomy import load

RECEIVED = "2026-01-05T08:00:00.000Z"


@pytest.fixture
def floor(store):
    """lee (lead) imports into "inbox" (SLA a day); "graphic" has an SLA of an hour; ana moderates."""
    people(store, lee="lead", ana="moderator")
    store.add_queue("inbox", sla_seconds=86_400)
    store.add_queue("graphic", sla_seconds=3_600)
    store.add_queue("leads", "escalation")
    return store


def imported(store, tmp_path: Path, rows, name="m.jsonl") -> int:
    path = tmp_path / name
    path.write_text("".join(json.dumps({"queue": "inbox", "received_at": RECEIVED, **row}) + "\n" for row in rows),
                    encoding="utf-8")
    result = importer.import_manifest(store, path, actor="lee")
    assert not result.rejected, result.rejected
    return result.added


def items(store):
    """external id → (queue, due, priority, severity, routed rule, routed version, state)."""
    return {r[0]: tuple(r[1:]) for r in store.db.execute(
        "SELECT i.external_id, q.name, i.due_at, i.priority, i.severity, i.routed_rule, i.routed_version, i.state"
        " FROM items i JOIN queues q ON q.id = i.queue_id ORDER BY i.id")}


def verified(store):
    return integrity.check(store.db, [migrations, *wiring.migration_sets()], escalating={"escalate"}).problems


GRAPHIC = """
[[rule]]
name = "graphic, many reporters"
when = { category = "violent_graphic", reporters_min = 5 }
then = { queue = "graphic", priority = 9, severity = "severe" }

[[rule]]
name = "sure spam"
when = { category = "spam", score.classifier_score = 0.9 }
then = { action = "remove", labels = ["spam"] }

[[rule]]
name = "sure scam, automated"
when = { category = "scam_fraud" }
then = { action = "remove", labels = ["scam_fraud"], automated = true }
"""


def test_without_a_rule_set_nothing_is_routed(floor, tmp_path):
    imported(floor, tmp_path, [{"id": "a", "text": "x", "category": "violent_graphic", "reporter_count": 9}])
    assert items(floor)["a"][0] == "inbox" and items(floor)["a"][4:6] == (None, None)
    assert events(floor, "items.routed") == []


def test_the_current_version_routes_new_items_at_intake(floor, tmp_path):
    assert routing.apply(floor, "lee", GRAPHIC, "rules.toml", policy=load()) == 1
    imported(floor, tmp_path, [
        {"id": "g", "text": "graphic", "category": "violent_graphic", "reporter_count": 7, "priority": 1},
        {"id": "few", "text": "graphic, few", "category": "violent_graphic", "reporter_count": 2},
        {"id": "spam", "text": "spam", "category": "spam", "classifier_score": "0.95"},
        {"id": "scam", "text": "scam", "category": "scam_fraud"},
    ])
    found = items(floor)
    assert found["g"] == ("graphic", "2026-01-05T09:00:00.000Z", 9, "severe", "graphic, many reporters", 1, "pending")
    assert found["few"] == ("inbox", "2026-01-06T08:00:00.000Z", 0, None, None, None, "pending")
    assert found["spam"][4:] == ("sure spam", 1, "pending")
    assert found["scam"][4:] == ("sure scam, automated", 1, "decided")
    ids = dict(floor.db.execute("SELECT external_id, id FROM items"))
    assert automation_rows.suggestion(floor, ids["spam"]) == ("remove", ("spam",), "sure spam", 1)
    (routed,) = events(floor, "items.routed")
    assert routed.actor == "lee" and routed.payload["rules"] == {
        "graphic, many reporters": 1, "sure scam, automated": 1, "sure spam": 1}
    assert routed.payload["moved"] == 1 and routed.payload["version"] == 1
    assert verified(floor) == ()


def test_reimporting_the_manifest_adds_no_copy_of_a_moved_item(floor, tmp_path):
    routing.apply(floor, "lee", GRAPHIC, "rules.toml", policy=load())
    rows = [{"id": "g", "text": "graphic", "category": "violent_graphic", "reporter_count": 7},
            {"id": "n", "text": "n"}]
    assert imported(floor, tmp_path, rows) == 2
    assert imported(floor, tmp_path, rows) == 0
    assert floor.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 2
    inbox = floor.queue("inbox").id
    assert floor.existing_external_ids(inbox, ["g", "n", "other"]) == {"g", "n"}
    # "g" is not graphic's own report: a row of graphic's manifest with that id is refused (test_rules_intake)
    assert floor.existing_external_ids(floor.queue("graphic").id, ["g", "n"]) == set()
    assert set(rule_rows.routed_here(floor, floor.queue("graphic").id, ["g", "n"])) == {"g"}


def test_an_item_whose_id_the_target_queue_holds_stays_where_it_arrived(floor, tmp_path):
    graphic = floor.queue("graphic")
    floor.add_items([{"external_id": "g", "queue_id": graphic.id, "kind": "text", "text": "older",
                      "received_at": RECEIVED}])
    routing.apply(floor, "lee", GRAPHIC, "rules.toml", policy=load())
    imported(floor, tmp_path, [{"id": "g", "text": "graphic", "category": "violent_graphic", "reporter_count": 7}])
    in_inbox = floor.db.execute("SELECT q.name, i.priority, i.routed_rule FROM items i JOIN queues q"
                                " ON q.id = i.queue_id WHERE i.routed_rule IS NOT NULL").fetchall()
    assert in_inbox == [("inbox", 9, "graphic, many reporters")]
    assert events(floor, "items.routed")[0].payload["stayed"] == 1


def test_a_renamed_queue_keeps_its_rules_and_a_merged_one_passes_them_on(floor, tmp_path):
    routing.apply(floor, "lee", GRAPHIC, "rules.toml", policy=load())
    admin.rename_queue(floor, "lee", "graphic", "gore")
    imported(floor, tmp_path, [{"id": "a", "text": "a", "category": "violent_graphic", "reporter_count": 7}])
    assert items(floor)["a"][0] == "gore"
    floor.add_queue("severe", sla_seconds=600)
    admin.merge(floor, "lee", "gore", "severe", expected=admin.preview_merge(floor, "gore", "severe").total)
    imported(floor, tmp_path, [{"id": "b", "text": "b", "category": "violent_graphic", "reporter_count": 7}], "2.jsonl")
    assert items(floor)["b"][:2] == ("severe", "2026-01-05T08:10:00.000Z")


def test_versions_are_stored_with_who_when_and_an_event(floor):
    first = "[[rule]]\nname = \"a\"\nwhen = { kind = \"text\" }\n"
    assert routing.apply(floor, "lee", first, "one.toml", policy=load()) == 1
    assert routing.apply(floor, "lee", GRAPHIC, "two.toml", policy=load()) == 2
    assert [(v.version, v.source, v.rules, v.created_by) for v in routing.versions(floor, "lee")] == [
        (2, "two.toml", 3, "lee"), (1, "one.toml", 1, "lee")]
    assert routing.current(floor, "lee").text == GRAPHIC
    assert routing.version(floor, "lee", 1).text == first
    with pytest.raises(KeyError, match="no version 3"):
        routing.version(floor, "lee", 3)
    applied = events(floor, "rules.applied")
    assert [(e.subject, e.payload["version"], e.payload["old_version"]) for e in applied] == [
        ("rules:v1", 1, None), ("rules:v2", 2, 1)]
    assert applied[1].payload["old_sha256"] == applied[0].payload["sha256"] != applied[1].payload["sha256"]
    assert verified(floor) == ()


def test_a_file_with_problems_stores_nothing(floor):
    with pytest.raises(RulesError, match="rules.toml:3: unknown queue 'nowhere'"):
        routing.apply(floor, "lee", '[[rule]]\nname = "a"\nthen = { queue = "nowhere" }\n', "rules.toml",
                      policy=load())
    assert routing.current(floor, "lee") is None and events(floor, "rules.applied") == []


def test_only_a_lead_applies_checks_or_reads_rules(floor):
    for call in (lambda: routing.apply(floor, "ana", GRAPHIC, "r.toml", policy=load()),
                 lambda: routing.check(floor, "ana", GRAPHIC, "r.toml", policy=load()),
                 lambda: routing.current(floor, "ana"), lambda: routing.versions(floor, "ana")):
        with pytest.raises(NotAllowed, match="ana is not a lead: only a lead can"):
            call()
    assert routing.current(floor, "lee") is None


def test_a_list_condition_reads_the_matches_recorded_at_intake(floor, tmp_path):
    signals = tmp_path / "known.csv"
    signals.write_text("signal_type,signal,tag\ntext,buy cheap pills,pharma\n", encoding="utf-8")
    lists.import_list(floor, "lee", signals, name="known-spam", taxonomy=load())
    routing.apply(floor, "lee", '[[rule]]\nname = "listed"\nwhen = { list = "known-spam", list_distance = 0 }\n'
                  'then = { queue = "graphic" }\n', "r.toml", policy=load())
    imported(floor, tmp_path, [{"id": "listed", "text": "Buy  CHEAP pills"}, {"id": "other", "text": "hello"}])
    assert items(floor)["listed"][0] == "graphic" and items(floor)["other"][0] == "inbox"


def test_a_cases_reports_follow_their_lead_item(floor, tmp_path):
    routing.apply(floor, "lee", GRAPHIC, "rules.toml", policy=load())
    rows = [{"id": f"r{n}", "text": "the same post", "category": "violent_graphic", "reporter_count": 9 - 4 * n}
            for n in range(3)]  # only the first (the case's lead item) has reporters enough of its own
    imported(floor, tmp_path, rows)
    assert [items(floor)[f"r{n}"][:5] for n in range(3)] == [
        ("graphic", "2026-01-05T09:00:00.000Z", 9, "severe", "graphic, many reporters")] * 3
    assert floor.db.execute("SELECT COUNT(*) FROM items WHERE case_of IS NOT NULL").fetchone()[0] == 2
    assert verified(floor) == ()


def test_a_version_stored_behind_veils_back_is_named(floor):
    routing.apply(floor, "lee", GRAPHIC, "rules.toml", policy=load())
    with floor.transaction():
        floor.db.execute("INSERT INTO rule_sets (text, source, text_sha256, rules, created_by, created_at)"
                         " VALUES ('', 'forged.toml', 'x', 0, 'lee', '2026-01-05T09:00:00.000Z')")
    assert list(rule_rows.rule_set_problems(floor.db)) == [
        "rule set version 2 has no rules.applied event: it was stored behind Veil's back"]


def test_apply_refuses_when_another_lead_applied_since_the_text_was_loaded(floor):
    people(floor, kim="lead")
    assert routing.apply(floor, "lee", GRAPHIC, "lee.toml", policy=load(), expected_version=0) == 1
    assert routing.apply(floor, "kim", GRAPHIC, "kim.toml", policy=load(), expected_version=1) == 2
    with pytest.raises(routing.RulesChanged) as refused:  # lee still edits what she loaded: version 1
        routing.apply(floor, "lee", GRAPHIC + "\n", "lee.toml", policy=load(), expected_version=1)
    assert str(refused.value) == ("The routing rules changed since you loaded them (version 2 by kim at "
                                  "2026-01-05 09:00Z): reload to see that version, then apply again.")
    assert refused.value.newest.version == 2 and routing.current(floor, "lee").source == "kim.toml"
    assert [e.payload["version"] for e in events(floor, "rules.applied")] == [1, 2]
    assert routing.apply(floor, "lee", GRAPHIC + "\n", "lee.toml", policy=load(), expected_version=2) == 3
    assert routing.apply(floor, "lee", GRAPHIC, "any.toml", policy=load()) == 4  # None: over whatever is newest
