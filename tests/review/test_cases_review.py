"""The review findings on cases (issue 20 §5), each a test that failed before its fix.

A history import's decision on a report stranded its case's other reports; near copies of one picture in one
chunk joined a case across queues; every earlier report of a content was a candidate for each new one (30,000
copies: quadratic); a case decided by automation was stated as decided by a person; the rows a case applied
counted as the moderator's work in rotation and in QA's "first decisions"; a claim walked every report waiting
for a lead; PDQ neighbours in other queues crowded out the report's own queue.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import people
from pdq_pictures import half_size, picture

from audit.exports import Filters
from audit.exports import tables as export_tables
from audit.store import plans
from audit.store import statements as statement_rows
from desktop import wiring
from desktop.commands.import_cmd import row_handlers
from review import taxonomy
from review.desk import ReviewDesk
from review.imports import manifest as importer
from review.known import cases
from review.known.automation import Outcome
from review.known.automation import apply as automate
from review.store import automation as automation_rows
from review.store import cases as case_rows
from review.store import dialect, integrity, roster
from review.store.schema import migrations

SETS = [migrations, *wiring.migration_sets()]


def verified(store):
    return integrity.check(store.db, SETS, escalating={"escalate"}).problems


def imported(store, tmp_path: Path, rows, name="m.jsonl", **options):
    path = tmp_path / name
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = importer.import_manifest(store, path, actor="lee", **options)
    assert result.committed, result.rejected
    return {ext: i for ext, i in store.db.execute("SELECT external_id, id FROM items")}


def columns(store):
    return {ext: (q, case_id, case_of) for ext, q, case_id, case_of in store.db.execute(
        "SELECT i.external_id, q.name, i.case_id, i.case_of FROM items i JOIN queues q ON q.id = i.queue_id"
        " ORDER BY i.id")}


@pytest.fixture
def floor(store):
    store.add_queue("spam")
    store.add_queue("other")
    return people(store, lee="lead", ana="moderator", ben="moderator")


# Finding 1 (high): a history import's decision closed the lead and left the case's other reports waiting.
def test_a_history_decision_on_a_report_decides_its_case(store, floor, tmp_path):
    ids = imported(store, tmp_path, [{"id": n, "queue": "spam", "text": "same words"} for n in "abc"])
    imported(store, tmp_path, [{"type": "decision", "item": "a", "queue": "spam", "moderator": "ana",
                                "action": "no_violation", "decided_at": "2026-01-01T00:00:00Z"}],
             name="history.jsonl", handlers=row_handlers(taxonomy.load()))
    (past,) = store.db.execute("SELECT id FROM decisions WHERE item_id = ? AND source = 'import'", [ids["a"]])
    assert store.db.execute("SELECT item_id, action, source, applies_id FROM decisions WHERE source = 'case'"
                            " ORDER BY item_id").fetchall() == [(ids["b"], "no_violation", "case", past[0]),
                                                                (ids["c"], "no_violation", "case", past[0])]
    assert store.db.execute("SELECT COUNT(*) FROM items WHERE state = 'pending'").fetchone() == (0,)
    assert ReviewDesk(taxonomy.load()).claim(store, floor["ben"], ["spam"]) is None
    assert verified(store) == ()


def test_verify_names_reports_stranded_behind_a_decided_lead(store, floor, tmp_path):
    ids = imported(store, tmp_path, [{"id": n, "queue": "spam", "text": "same words"} for n in "abc"])
    store.db.execute("UPDATE items SET state = 'decided' WHERE id = ?", [ids["a"]])  # behind Veil's back
    stranded = [p for p in verified(store) if "still waits for case" in p]
    assert len(stranded) == 2 and f"item {ids['b']} " in stranded[0] and f"item {ids['c']} " in stranded[1]


# Finding 2 (high): a near copy in the same chunk joined a case in another queue (it took the new report's queue).
def test_near_copies_in_one_chunk_join_no_case_across_queues(store, floor, tmp_path):
    original = picture(3, (640, 480))
    original.save(tmp_path / "a.png")
    half_size(original).convert("RGB").save(tmp_path / "b.png")
    imported(store, tmp_path, [{"id": "x", "queue": "other", "media": "a.png"},
                               {"id": "y", "queue": "spam", "media": "b.png"},
                               {"id": "z", "queue": "spam", "media": "a.png"}])
    x, y, z = (columns(store)[n] for n in "xyz")
    assert x == ("other", None, None)
    assert y[1] is not None and y[1:] == (y[1], None) and z[1:] == (y[1], y[1])  # one case in spam, led by y
    assert store.db.execute("SELECT q.name FROM cases c JOIN queues q ON q.id = c.queue_id").fetchall() == [("spam",)]
    assert verified(store) == ()


def test_verify_names_a_report_joined_from_another_queue(store, floor, tmp_path):
    ids = imported(store, tmp_path, [{"id": "x", "queue": "other", "text": "one"},
                                     {"id": "y", "queue": "spam", "text": "two"}])
    spam = store.queue("spam").id
    with store.transaction():  # a join as the bug made it: y's case is of "spam", x came from "other"
        case_rows.join(store, opened=[(ids["y"], spam, "pdq")], joined={ids["y"]: [ids["x"]]}, actor="lee")
    (problem,) = [p for p in verified(store) if "from queue" in p]
    assert f"item {ids['x']} joined case {ids['y']} from queue {store.queue('other').id}" in problem


# Finding 3 (high): every earlier report of a content was a candidate for each new one.
def test_an_earlier_content_offers_one_case_and_one_lone_report_per_queue(store, floor, tmp_path):
    imported(store, tmp_path, [{"id": f"s{n}", "queue": "spam", "text": "viral words"} for n in range(6)]
             + [{"id": "o1", "queue": "other", "text": "viral words"}])
    (sha,) = {s for (s,) in store.db.execute("SELECT content_sha256 FROM items")}
    anchors = case_rows.anchors_by_sha(store, [sha], before=10_000)[sha]
    lead = columns(store)["s0"][1]
    other = store.db.execute("SELECT id FROM items WHERE external_id = 'o1'").fetchone()[0]
    assert sorted(anchors, key=lambda a: a.item_id) == sorted(
        [case_rows.Anchor(lead, store.queue("spam").id, lead), case_rows.Anchor(other, store.queue("other").id, None)],
        key=lambda a: a.item_id)


# Finding 6 (medium): a case decided by automation was stated (DSA) and exported as decided by a person.
def test_a_case_decided_by_automation_is_stated_and_exported_as_the_rules(store, floor, tmp_path):
    ids = imported(store, tmp_path, [{"id": n, "queue": "spam", "text": "same words"} for n in "abc"])
    with store.transaction():
        assert automate(store, [Outcome(ids["a"], "remove", ("spam",), automated=True)], rule="known-spam",
                        version=3, actor="lee") == 1
    (made,) = store.db.execute("SELECT id FROM decisions WHERE item_id = ?", [ids["a"]]).fetchone()
    stated = {f.item_id: f.decided_by for f in statement_rows.decisions_between(store, "2000-01-01", "2100-01-01")}
    assert stated[ids["b"]] == stated[ids["c"]] == stated[ids["a"]] == automation_rows.SOURCE
    (table,) = export_tables.decisions(store, "lee", Filters())
    names = [c.name for c in table.columns]
    rows = {r[names.index("item_id")]: r for r in table.rows}
    for name in "bc":
        row = rows[ids[name]]
        assert (row[names.index("rule")], row[names.index("rule_version")], row[names.index("applies_id")]) == (
            "known-spam", 3, made)
    assert rows[ids["a"]][names.index("applies_id")] is None


# Finding 7 (medium): the rows a case applied counted as the moderator's work.
@pytest.fixture
def decided(store, floor, tmp_path):
    imported(store, tmp_path, [{"id": n, "queue": "spam", "text": "same words"} for n in "abcd"])
    desk = ReviewDesk(taxonomy.load())
    shown = desk.claim(store, floor["ana"], ["spam"])
    made, _ = desk.decide(store, floor["ana"], shown.item.id, "remove", labels=["spam"], claim=shown.claim)
    return floor["ana"], made


def test_rotation_counts_the_moderators_own_decision_once(store, decided):
    ana, made = decided
    work = roster.RecentDecisions(ana.id).between(store, "2000-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z")
    assert len(work) == 1


def test_qa_first_decisions_of_a_new_moderator_leave_out_a_cases_rows(store, decided):
    ana, made = decided
    assert plans.first_decisions(store, [ana.id], 50) == {made.id}


# Finding 8 (medium): a claim walked every report waiting for a lead (case_of IS NULL checked row by row).
def test_the_claim_probe_skips_waiting_reports_by_index(store, floor):
    sql = ("SELECT i.id FROM items i WHERE i.queue_id = ? AND i.state = 'pending' AND i.case_of IS NULL"
           " ORDER BY i.priority DESC, i.due_at, i.received_at, i.id LIMIT 1")
    if dialect.is_server(store.db):
        store.db.execute("SET enable_seqscan = off")  # a tiny table: ask which index the planner may use
        plan = " ".join(str(r[0]) for r in store.db.execute("EXPLAIN " + sql, [1]))
    else:
        plan = " ".join(str(r[-1]) for r in store.db.execute("EXPLAIN QUERY PLAN " + sql, [1]))
    assert "items_serving_alone" in plan, plan


# Finding 9 (low): the 500 nearest PDQ neighbours were cut before their queue was looked at.
def test_pdq_neighbours_of_other_queues_do_not_crowd_out_the_reports_own(store, floor, tmp_path, monkeypatch):
    monkeypatch.setattr(cases, "_NEIGHBOURS", 1)  # the cap, shrunk: one copy in "other" used to fill it
    original = picture(5, (640, 480))
    original.save(tmp_path / "a.png")
    half_size(original).convert("RGB").save(tmp_path / "b.png")
    imported(store, tmp_path, [{"id": "x", "queue": "other", "media": "a.png"}], name="1.jsonl")
    imported(store, tmp_path, [{"id": "y", "queue": "spam", "media": "b.png"}], name="2.jsonl")
    imported(store, tmp_path, [{"id": "z", "queue": "spam", "media": "a.png"}], name="3.jsonl")  # x is nearest
    found = columns(store)
    assert found["y"][1:] == (found["y"][1], None) and found["y"][1] is not None  # y leads a case
    assert found["z"][1:] == (found["y"][1], found["y"][1]) and found["x"][1] is None
    assert verified(store) == ()
