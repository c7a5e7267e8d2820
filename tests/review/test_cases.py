"""Cases (issue 20 §5): reports of one content in one queue join one case, reviewed once.

Each finding of the issue is a test here: reports of the same text (by its normal form), the same content id
or the same picture joined nothing and were each served; deciding one decided none of the others; a report
arriving after the decision waited for a person again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import people

from desktop import wiring
from review import decisions, escalations, serving, taxonomy
from review.desk import ReviewDesk
from review.imports import manifest as importer
from review.known import cases
from review.store import cases as case_rows
from review.store import integrity
from review.store.schema import migrations

SETS = [migrations, *wiring.migration_sets()]


@pytest.fixture
def desk():
    return ReviewDesk(taxonomy.load())


@pytest.fixture
def floor(store):
    """lee (lead) imports; ana and ben moderate; "spam" escalates to "lead escalations"."""
    store.add_queue("lead escalations", "escalation", sla_seconds=8 * 3600)
    store.add_queue("spam", sla_seconds=24 * 3600, escalation_queue="lead escalations")
    store.add_queue("other")
    return people(store, lee="lead", ana="moderator", ben="moderator")


def imported(store, tmp_path: Path, rows, name="m.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps({"queue": "spam", **row}) + "\n" for row in rows), encoding="utf-8")
    result = importer.import_manifest(store, path, actor="lee")
    assert result.committed, result.rejected
    return {ext: i for ext, i in store.db.execute("SELECT external_id, id FROM items")}


def case_columns(store):
    return {ext: (case_id, case_of) for ext, case_id, case_of in
            store.db.execute("SELECT external_id, case_id, case_of FROM items ORDER BY id")}


def verified(store):
    return integrity.check(store.db, SETS, escalating={"escalate"}).problems


def current(store, item_id):
    return store.db.execute(
        "SELECT d.action, d.source, d.applies_id, u.name FROM decisions d JOIN users u ON u.id = d.user_id"
        " WHERE d.item_id = ? AND d.revokes_id IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id) ORDER BY d.id DESC LIMIT 1",
        [item_id]).fetchone()


def test_reports_of_one_text_in_one_queue_join_one_case_led_by_the_first(store, floor, tmp_path):
    ids = imported(store, tmp_path, [
        {"id": "a", "text": "Buy  CHEAP pills"},
        {"id": "b", "text": "buy cheap pills"},  # the same normal form
        {"id": "c", "text": "something else"},
        {"id": "d", "text": "BUY cheap pills "},
        {"id": "e", "queue": "other", "text": "buy cheap pills"},  # another queue: not this case
    ])
    lead = ids["a"]
    assert case_columns(store) == {"a": (lead, None), "b": (lead, lead), "c": (None, None), "d": (lead, lead),
                                   "e": (None, None)}
    (row,) = case_rows.case_rows(store, open_only=True)
    assert (row.id, row.queue, row.key, row.reports, row.open_reports) == (lead, "spam", "sha256", 3, 3)
    assert verified(store) == ()


def test_only_reports_in_review_queues_join_cases(store, floor, tmp_path, desk):
    """A calibration or audit queue serves every item on purpose, and a complaint is about a decision, not its
    content: three of each with one text join nothing (three identical complaints were once one case, and only
    the first was ever served)."""
    store.add_queue("calibration", "calibration")
    imported(store, tmp_path, [{"id": "p", "text": "the post"}])
    shown = desk.claim(store, floor["ana"], ["spam"])
    desk.decide(store, floor["ana"], shown.item.id, "remove", labels=["spam"], claim=shown.claim)
    imported(store, tmp_path, [{"id": f"k{n}", "queue": "calibration", "text": "same words"} for n in range(3)]
             + [{"id": f"c{n}", "text": "I object", "complaint_of": "p"} for n in range(3)], name="later.jsonl")
    assert {case for case, _ in case_columns(store).values()} == {None}


def test_only_the_lead_is_served_and_its_decision_applies_to_every_open_report(store, floor, tmp_path, desk):
    ids = imported(store, tmp_path, [{"id": n, "text": "same words"} for n in "abc"] + [{"id": "z", "text": "z"}])
    ana = floor["ana"]
    shown = desk.claim(store, ana, ["spam"])
    assert shown.item.id == ids["a"]
    assert shown.known.case is not None and (shown.known.case.reports, shown.known.case.open_reports) == (3, 3)
    other = desk.claim(store, floor["ben"], ["spam"])
    assert other.item.id == ids["z"]  # b and c wait for their case
    assert desk.claim(store, floor["ben"], ["spam"]) is None
    made, _ = desk.decide(store, ana, shown.item.id, "remove", labels=["spam"], claim=shown.claim)
    for name in "bc":
        assert current(store, ids[name]) == ("remove", "case", made.id, "ana")
    rows = store.db.execute("SELECT shown_at, handle_ms, revealed_ms, labels FROM decisions WHERE source = 'case'")
    assert rows.fetchall() == [(None, None, 0, '["spam"]')] * 2  # no exposure, no handle time
    assert store.db.execute("SELECT state FROM items WHERE id IN (?, ?)", [ids["b"], ids["c"]]).fetchall() == [
        ("decided",), ("decided",)]
    assert cases.facts(store, serving.load_item(store, ids["b"]).case_id).decided_action == "remove"
    assert case_rows.case_rows(store, open_only=True) == []
    assert verified(store) == ()


def test_a_report_arriving_after_the_decision_gets_it_at_intake_marked_so(store, floor, tmp_path, desk):
    ids = imported(store, tmp_path, [{"id": "a", "text": "same words"}, {"id": "b", "text": "same words"}])
    shown = desk.claim(store, floor["ana"], ["spam"])
    made, _ = desk.decide(store, floor["ana"], shown.item.id, "no_violation", claim=shown.claim)
    ids = imported(store, tmp_path, [{"id": "late", "text": "SAME words"}], name="late.jsonl")
    assert current(store, ids["late"]) == ("no_violation", "case", made.id, "ana")
    (event,) = [json.loads(p) for (p,) in store.db.execute(
        "SELECT payload FROM events WHERE kind = 'decision.recorded' AND subject = ?", [f"item:{ids['late']}"])]
    assert event["at_intake"] is True and event["applies"] == made.id
    assert desk.claim(store, floor["ben"], ["spam"]) is None
    assert verified(store) == ()


def test_a_decided_report_alone_opens_a_decided_case_when_its_copy_arrives(store, floor, tmp_path, desk):
    imported(store, tmp_path, [{"id": "a", "text": "same words"}])
    shown = desk.claim(store, floor["ana"], ["spam"])
    made, _ = desk.decide(store, floor["ana"], shown.item.id, "remove", labels=["spam"], claim=shown.claim)
    ids = imported(store, tmp_path, [{"id": "b", "text": "same words"}], name="b.jsonl")
    assert case_columns(store)["b"] == (ids["a"], ids["a"])
    assert current(store, ids["b"]) == ("remove", "case", made.id, "ana")


def test_undo_of_the_case_decision_reopens_its_reports_in_the_case(store, floor, tmp_path, desk):
    ids = imported(store, tmp_path, [{"id": n, "text": "same words"} for n in "abc"])
    ana = floor["ana"]
    shown = desk.claim(store, ana, ["spam"])
    made, _ = desk.decide(store, ana, shown.item.id, "remove", labels=["spam"], claim=shown.claim)
    again = desk.undo(store, ana, made.id)
    assert again.item.id == ids["a"]
    assert store.db.execute("SELECT external_id, state FROM items ORDER BY id").fetchall() == [
        ("a", "pending"), ("b", "pending"), ("c", "pending")]
    assert current(store, ids["b"]) is None
    assert case_columns(store)["b"] == (ids["a"], ids["a"])  # still in the case, waiting for it
    assert desk.claim(store, floor["ben"], ["spam"]) is None
    final, _ = desk.decide(store, ana, again.item.id, "no_violation", claim=again.claim)
    assert current(store, ids["c"]) == ("no_violation", "case", final.id, "ana")
    assert verified(store) == ()


def test_escalating_the_lead_carries_the_case_and_the_leads_resolution_applies(store, floor, tmp_path, desk):
    ids = imported(store, tmp_path, [{"id": n, "text": "same words"} for n in "ab"])
    shown = desk.claim(store, floor["ana"], ["spam"])
    desk.decide(store, floor["ana"], shown.item.id, "escalate", note="is this spam?", claim=shown.claim)
    assert store.db.execute("SELECT state FROM items WHERE id = ?", [ids["b"]]).fetchone() == ("pending",)
    assert current(store, ids["b"]) is None
    late = imported(store, tmp_path, [{"id": "c", "text": "same words"}], name="c.jsonl")
    assert case_columns(store)["c"] == (ids["a"], ids["a"])  # joins the escalated case; waits with it
    taken = desk.take(store, floor["lee"], ids["a"])
    made, _ = desk.decide(store, floor["lee"], ids["a"], "remove", labels=["spam"], claim=taken.claim)
    assert escalations.latest(store, ids["a"]) is not None
    for name in "bc":
        assert current(store, late[name]) == ("remove", "case", made.id, "lee")
    assert verified(store) == ()


def test_same_content_id_in_metadata_joins_a_case(store, floor, tmp_path):
    ids = imported(store, tmp_path, [{"id": "a", "text": "one wording", "content_id": "post-77"},
                                     {"id": "b", "text": "another wording", "content_id": "post-77"}])
    assert case_columns(store)["b"] == (ids["a"], ids["a"])
    assert case_rows.case_rows(store, open_only=True)[0].key == "content_id"
    later = imported(store, tmp_path, [{"id": "c", "text": "third", "content_id": "post-77"}], name="c.jsonl")
    assert case_columns(store)["c"] == (later["a"], later["a"])


def test_a_history_import_of_the_leads_decision_applies_too(store, floor, tmp_path):
    ids = imported(store, tmp_path, [{"id": n, "text": "same words"} for n in "ab"])
    decision = decisions.record_past_decision(store, item_id=ids["a"], user="ana", action="remove",
                                              labels=["spam"], decided_at="2026-01-05T08:30:00Z")
    assert current(store, ids["b"]) == ("remove", "case", decision, "ana")
    assert verified(store) == ()


def test_only_leads_list_cases(store, floor, tmp_path):
    ids = imported(store, tmp_path, [{"id": n, "text": "same words"} for n in "ab"])
    (case,) = cases.open_cases(store, "lee")
    assert [(r.external_id, r.lead) for r in case.reports] == [("a", True), ("b", False)]
    assert case.row.id == ids["a"]
    assert cases.open_cases(store, "lee", queue="other") == []
    with pytest.raises(PermissionError, match="only a lead"):
        cases.open_cases(store, "ana")


def test_a_case_is_one_decision_of_the_moderator_in_their_day_and_every_reports_in_its_queue(store, floor, tmp_path,
                                                                                              desk):
    imported(store, tmp_path, [{"id": n, "text": "same words"} for n in "abcd"])
    shown = desk.claim(store, floor["ana"], ["spam"])
    made, _ = desk.decide(store, floor["ana"], shown.item.id, "remove", labels=["spam"], claim=shown.claim)
    ana = floor["ana"].id
    assert store.db.execute("SELECT SUM(decisions) FROM person_days WHERE user_id = ?", [ana]).fetchone() == (1,)
    assert store.db.execute("SELECT SUM(decisions) FROM decided_hours").fetchone() == (4,)  # each report decided
    desk.undo(store, floor["ana"], made.id)
    assert store.db.execute("SELECT SUM(decisions), SUM(revocations) FROM person_days WHERE user_id = ?",
                            [ana]).fetchone() == (1, 1)
    assert verified(store) == ()  # the summaries equal a recount


def test_verify_names_a_report_let_out_of_its_case_or_a_case_row_added(store, floor, tmp_path):
    ids = imported(store, tmp_path, [{"id": n, "text": "same words"} for n in "ab"] + [{"id": "c", "text": "c"}])
    with store.transaction():
        store.db.execute("UPDATE items SET case_of = NULL WHERE id = ?", [ids["b"]])  # it would be served again
    (problem,) = verified(store)
    assert f"item {ids['b']} is in case {ids['a']} (waiting for None)" in problem
    with store.transaction():
        store.db.execute("UPDATE items SET case_of = case_id WHERE id = ?", [ids["b"]])
        store.db.execute("INSERT INTO cases (id, queue_id, opened_at, key) VALUES (?, ?, ?, 'sha256')",
                         [ids["c"], store.queue("spam").id, "2026-01-05T09:00:00.000Z"])
    assert verified(store) == (f"case {ids['c']} has no cases.joined event that opened it: written behind Veil's "
                               "back",)


def test_a_report_linked_to_two_cases_joins_the_older_and_cases_never_merge(store, floor, tmp_path):
    ids = imported(store, tmp_path, [{"id": "a1", "text": "first words"}, {"id": "a2", "text": "first words"},
                                     {"id": "b1", "text": "second words", "content_id": "k"},
                                     {"id": "b2", "text": "second words"}])
    later = imported(store, tmp_path, [{"id": "both", "text": "first words", "content_id": "k"}], name="2.jsonl")
    assert case_columns(store)["both"] == (ids["a1"], ids["a1"])
    assert case_columns(store)["b2"] == (ids["b1"], ids["b1"])  # the other case keeps its reports
    assert later["both"] not in (ids["a1"], ids["b1"])
    assert verified(store) == ()


def test_items_without_a_content_hash_never_join_a_case(store, floor):
    from review.known import intake

    queue = store.queue("spam")
    store.add_items([{"external_id": f"gold-{n}", "queue_id": queue.id, "kind": "text", "text": "same words",
                      "received_at": "2026-01-05T08:00:00Z", "metadata": {"content_id": "k"}} for n in range(2)])
    with store.transaction():
        intake.after_items_added(store, [i for (i,) in store.db.execute("SELECT id FROM items ORDER BY id")],
                                 actor="lee")
    assert set(case_columns(store).values()) == {(None, None)}
    assert store.db.execute("SELECT COUNT(*) FROM cases").fetchone() == (0,)
