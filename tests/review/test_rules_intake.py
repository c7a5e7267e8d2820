"""Routing at intake meets cases, queue kinds, a changed taxonomy and a queue's own reports (issue 20 §6, review).

Each test was a reviewer's finding: cases across chunks once a rule moved the first report, items imported into
escalation/calibration/audit queues, a rule deciding with an action or label the taxonomy lost, and a queue's own
report dropped unsaid as "already present" when a routed item holds its id.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import events, people

import resources
from desktop import wiring
from review.imports import manifest as importer
from review.known import cases, routing
from review.store import integrity
from review.store.schema import migrations
from review.taxonomy import load
from review.taxonomy import stored as stored_taxonomy

RECEIVED = "2026-01-05T08:00:00.000Z"
TO_GRAPHIC = '[[rule]]\nname = "graphic"\nwhen = { category = "violent_graphic" }\nthen = { queue = "graphic" }\n'
SCAMS = ('[[rule]]\nname = "scams"\nwhen = { category = "scam_fraud" }\n'
         'then = { action = "remove", labels = ["scam_fraud"], automated = true }\n')


@pytest.fixture
def floor(store):
    """lee (lead) imports into "inbox" (SLA a day); rules may send items to "graphic" (an hour)."""
    people(store, lee="lead", ana="moderator")
    store.add_queue("inbox", sla_seconds=86_400)
    store.add_queue("graphic", sla_seconds=3_600)
    return store


def imported(store, tmp_path: Path, rows, name="m.jsonl", queue="inbox"):
    path = tmp_path / name
    path.write_text("".join(json.dumps({"queue": queue, "received_at": RECEIVED, **row}) + "\n" for row in rows),
                    encoding="utf-8")
    return importer.import_manifest(store, path, actor="lee")


def items(store):
    """external id → (queue, case, case lead, routed rule, state)."""
    return {r[0]: tuple(r[1:]) for r in store.db.execute(
        "SELECT i.external_id, q.name, i.case_id, i.case_of, i.routed_rule, i.state FROM items i"
        " JOIN queues q ON q.id = i.queue_id ORDER BY i.id")}


def verified(store):
    return integrity.check(store.db, [migrations, *wiring.migration_sets()], escalating={"escalate"}).problems


def test_reports_in_later_chunks_join_the_case_a_rule_moved(floor, tmp_path):
    routing.apply(floor, "lee", TO_GRAPHIC, "r.toml", policy=load())
    for n in range(4):  # one report per import: each chunk finds the earlier ones where they arrived
        result = imported(floor, tmp_path, [{"id": f"r{n}", "text": "the same post", "category": "violent_graphic"}],
                          name=f"{n}.jsonl")
        assert result.added == 1 and not result.rejected
    found = items(floor)
    (lead,) = floor.db.execute("SELECT id FROM items WHERE external_id = 'r0'").fetchone()
    assert found["r0"] == ("graphic", lead, None, "graphic", "pending")
    assert [found[f"r{n}"][:4] for n in (1, 2, 3)] == [("graphic", lead, lead, "graphic")] * 3  # after their lead
    assert verified(floor) == ()


def test_a_case_is_listed_in_its_lead_items_queue(floor, tmp_path):
    routing.apply(floor, "lee", TO_GRAPHIC, "r.toml", policy=load())
    imported(floor, tmp_path, [{"id": f"r{n}", "text": "the same post", "category": "violent_graphic"}
                               for n in range(3)])
    (case,) = cases.open_cases(floor, "lee", queue="graphic")
    assert case.row.queue == "graphic" and case.row.reports == 3
    assert cases.open_cases(floor, "lee", queue="inbox") == []
    assert floor.db.execute("SELECT q.name FROM cases c JOIN queues q ON q.id = c.queue_id").fetchall() == [
        ("inbox",)]  # the row keeps the queue the reports came in


@pytest.mark.parametrize("kind", ["escalation", "calibration", "audit"])
def test_items_imported_into_other_kinds_of_queue_are_neither_routed_nor_decided(floor, tmp_path, kind):
    floor.add_queue("special", kind)
    routing.apply(floor, "lee", TO_GRAPHIC + "\n" + SCAMS, "r.toml", policy=load())
    result = imported(floor, tmp_path, [{"id": "c1", "text": "gold", "category": "violent_graphic"},
                                        {"id": "c2", "text": "gold 2", "category": "scam_fraud"}], queue="special")
    assert result.added == 2, result.rejected
    found = items(floor)
    assert [(found[i][0], found[i][3], found[i][4]) for i in ("c1", "c2")] == [("special", None, "pending")] * 2
    assert floor.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0
    assert events(floor, "items.routed") == []


def _without_label(label: str) -> str:
    text = resources.path("taxonomy.toml").read_text(encoding="utf-8")
    start = text.index(f'[[labels]]\nid = "{label}"')
    end = text.index("[[labels]]", start + 1)
    return text[:start] + text[end:]


def test_a_rule_whose_label_the_taxonomy_lost_decides_and_suggests_nothing(floor, tmp_path):
    routing.apply(floor, "lee", SCAMS, "r.toml", policy=load())
    stored_taxonomy.save(floor, "lee", {"file": "t.toml", "text": _without_label("scam_fraud")})
    imported(floor, tmp_path, [{"id": f"s{n}", "text": f"scam {n}", "category": "scam_fraud"} for n in range(3)])
    imported(floor, tmp_path, [{"id": "s9", "text": "scam 9", "category": "scam_fraud"}], name="2.jsonl")
    assert floor.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0
    assert floor.db.execute("SELECT COUNT(*) FROM item_suggestions").fetchone()[0] == 0
    assert {v[3:] for v in items(floor).values()} == {("scams", "pending")}  # routed (recorded), not decided
    stale = events(floor, "rules.stale")
    assert len(stale) == 2  # one per chunk, not one per item
    assert stale[0].subject == "rules:v1" and stale[0].payload["version"] == 1
    assert list(stale[0].payload["rules"]) == ["scams"] and "unknown label 'scam_fraud'" in stale[0].payload[
        "rules"]["scams"]
    assert verified(floor) == ()


def test_a_rule_whose_action_the_taxonomy_lost_is_stale_too(floor, tmp_path):
    routing.apply(floor, "lee", '[[rule]]\nname = "ok"\nwhen = { category = "spam" }\n'
                  'then = { action = "no_violation", automated = true }\n', "r.toml", policy=load())
    text = resources.path("taxonomy.toml").read_text(encoding="utf-8")
    start = text.index('[[actions]]\nid = "no_violation"')
    end = text.index("[[actions]]", start + 1)
    stored_taxonomy.save(floor, "lee", {"file": "t.toml", "text": text[:start] + text[end:]})
    imported(floor, tmp_path, [{"id": "a", "text": "fine", "category": "spam"}])
    assert floor.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0
    (stale,) = events(floor, "rules.stale")
    assert "unknown action 'no_violation'" in stale.payload["rules"]["ok"]


def test_a_rule_that_still_fits_the_stored_taxonomy_decides(floor, tmp_path):
    routing.apply(floor, "lee", SCAMS, "r.toml", policy=load())
    stored_taxonomy.save(floor, "lee", {"file": "t.toml", "text": _without_label("spam")})
    imported(floor, tmp_path, [{"id": "s", "text": "scam", "category": "scam_fraud"}])
    assert floor.db.execute("SELECT action, source FROM decisions").fetchall() == [("remove", "automation")]
    assert events(floor, "rules.stale") == []


def test_a_queues_own_report_is_refused_in_words_when_a_routed_item_holds_its_id(floor, tmp_path):
    routing.apply(floor, "lee", TO_GRAPHIC, "r.toml", policy=load())
    imported(floor, tmp_path, [{"id": "x1", "text": "inbox post", "category": "violent_graphic"}])
    result = imported(floor, tmp_path, [{"id": "x0", "text": "its own"}, {"id": "x1", "text": "graphic's own"}],
                      name="g.jsonl", queue="graphic")
    assert (result.added, result.already_present) == (0, 0)
    (problem,) = [p for p, _ in result.rejected]
    assert problem.line == 2 and problem.file.endswith("g.jsonl")
    assert problem.reason == ("this queue already holds an item with id 'x1': item 1, which rule 'graphic' "
                              "(version 1) moved here from queue 'inbox'; give this report an id of its own")
    assert floor.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 1  # nothing of a rejected file
    result = imported(floor, tmp_path, [{"id": "x1", "text": "inbox post", "category": "violent_graphic"}],
                      name="again.jsonl")
    assert (result.added, result.already_present, result.rejected) == (0, 1, [])  # its own manifest again: present
