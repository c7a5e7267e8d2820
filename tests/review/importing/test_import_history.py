"""History import: past decisions and QA audits from another tool, through ``veil import``.

Every valid form lands as if it had happened in Veil; every invalid form is
named as FILE:LINE: reason; nothing is half-imported; re-importing adds
nothing; and ``veil metrics`` counts the imported audits.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from builders import IMPORTER

from audit import audits, sampling
from audit.metrics import assembly as report
from audit.past_audits import IMPORT_PLAN, IMPORT_REASON
from desktop import wiring
from desktop.commands.import_cmd import row_handlers
from desktop.main import main
from review.clock import FakeClock
from review.decisions import record_past_decision
from review.imports import manifest as importer
from review.imports.handlers import ImportResult, Problem
from review.store import events
from review.store import imports as import_store
from review.store.decisions import append as _insert

T0 = "2025-11-02T10:00:00Z"


# ------------------------------------------------------------------ helpers
def write_jsonl(path: Path, rows) -> Path:
    """Rows are dicts (dumped) or raw strings (written as they are)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)
    return path


def item(ext, queue="spam", text=None):
    return {"id": ext, "queue": queue, "text": text or f"the words of {ext}"}  # one content each: no cases


def decision(ext, moderator="ana", action="remove", labels=("harassment",), at="2025-11-02T10:15:00Z", **more):
    row = {"type": "decision", "item": ext, "moderator": moderator, "action": action, "labels": list(labels),
           "decided_at": at}
    return {**row, **more}


def audit(ext, moderator="ana", auditor="bo", verdict="correct", at="2025-11-03T08:00:00Z",
          blind_action="remove", blind_labels=("harassment",), **more):
    row = {"type": "audit", "item": ext, "moderator": moderator, "auditor": auditor, "blind_action": blind_action,
           "blind_labels": list(blind_labels), "verdict": verdict, "audited_at": at}
    return {**row, **more}


def wrong(ext, error_type="wrong_label", severity="minor", **more):
    return audit(ext, verdict="incorrect", error_type=error_type, severity=severity, **more)


def run(store, manifest, **options) -> ImportResult:
    options.setdefault("create_queues", True)
    options.setdefault("actor", IMPORTER)
    options.setdefault("handlers", row_handlers())
    return importer.import_manifest(store, manifest, **options)


def only_problem(result: ImportResult) -> Problem:
    assert len(result.rejected) == 1, result.problems
    return result.problems[0]


def snapshot(store) -> dict:
    """Everything a history import could change."""
    def one(sql):
        return store.db.execute(sql).fetchone()
    counts = {t: one(f"SELECT COUNT(*) FROM {t}")[0]
              for t in ("items", "queues", "decisions", "audit_samples", "audits", "users")}
    return {
        **counts,
        "events": one("SELECT COUNT(*), MAX(hash) FROM events"),
        "roles": store.db.execute("SELECT name, roles FROM users ORDER BY name").fetchall(),
        "states": store.db.execute("SELECT external_id, state FROM items ORDER BY id").fetchall(),
    }


def decisions(store) -> list[dict]:
    cursor = store.db.execute(
        """SELECT i.external_id AS item, q.name AS queue, u.name AS moderator, d.action, d.labels, d.note,
                  d.decided_at, d.shown_at, d.handle_ms, d.source, i.state
           FROM decisions d JOIN items i ON i.id = d.item_id JOIN users u ON u.id = d.user_id
           JOIN queues q ON q.id = d.queue_id ORDER BY d.id""")
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r)) for r in cursor]


def audit_rows(store) -> list[dict]:
    cursor = store.db.execute(
        """SELECT i.external_id AS item, m.name AS moderator, u.name AS auditor, s.plan, s.reason, s.state,
                  a.blind_action, a.blind_labels, a.blind_note, a.blind_at, a.revealed_at, a.verdict, a.error_type,
                  a.severity, a.comment, a.score, a.scored_at, a.decision_id = s.decision_id AS same_decision
           FROM audits a JOIN audit_samples s ON s.id = a.sample_id JOIN decisions d ON d.id = a.decision_id
           JOIN items i ON i.id = d.item_id JOIN users m ON m.id = d.user_id JOIN users u ON u.id = a.auditor_id
           ORDER BY a.id""")
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r)) for r in cursor]


def roles(store) -> dict[str, tuple[str, ...]]:
    return {u.name: u.roles for u in store.users()}


@pytest.fixture(params=["in one chunk", "a row a chunk"])
def chunked(request, monkeypatch) -> None:
    """History rows are resolved and written in chunks (from the import's scratch file): one, or a row each."""
    if request.param == "a row a chunk":
        monkeypatch.setattr(import_store, "WRITE_CHUNK_ROWS", 1)


@pytest.fixture
def drop(tmp_path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


@pytest.fixture
def seeded(store, drop):
    """A store that already holds items p1, p2 (queue spam), twin (spam and other) and ana's decision on p1."""
    result = run(store, write_jsonl(drop / "seed.jsonl", [
        item("p1"), item("p2"), item("twin"), item("twin", queue="other"),
        decision("p1", queue="spam", at="2025-11-01T09:00:00Z"),
    ]))
    assert result.committed and not result.rejected
    return store


# ------------------------------------------------------------ valid forms
def test_items_decisions_and_audits_from_one_file(store, drop, chunked):
    manifest = write_jsonl(drop / "h.jsonl", [
        decision("p1", queue="spam", note="slur", handle_ms=5400),  # before its item row: items are written first
        item("p1"), item("p2"),
        decision("p2", moderator="cy", action="no_violation", labels=(), at="2025-11-02T11:00:00+01:00"),
        wrong("p1", comment="harassment, not hate", blind_labels=("hate_speech",), note="blind note"),
        audit("p2", moderator="cy", auditor="bo", blind_action="no_violation", blind_labels=()),
    ])
    result = run(store, manifest)
    assert result.committed and result.rejected == []
    assert (result.rows, result.added, result.already_present) == (6, 6, 0)
    assert {t: (c.rows, c.added) for t, c in result.counts.items()} == {
        "item": (2, 2), "decision": (2, 2), "audit": (2, 2)}
    assert result.users_created == {"ana": ["moderator"], "cy": ["moderator"], "bo": ["auditor"]}
    assert result.roles_added == {}
    assert roles(store) == {"ana": ("moderator",), "bo": ("auditor",), "cy": ("moderator",), IMPORTER: ("lead",)}

    got = decisions(store)
    assert [(d["item"], d["moderator"], d["action"], json.loads(d["labels"])) for d in got] == [
        ("p1", "ana", "remove", ["harassment"]), ("p2", "cy", "no_violation", [])]
    assert got[0]["note"] == "slur" and got[0]["handle_ms"] == 5400
    assert got[0]["decided_at"] == "2025-11-02T10:15:00.000Z" and got[0]["shown_at"] == "2025-11-02T10:14:54.600Z"
    assert got[1]["decided_at"] == "2025-11-02T10:00:00.000Z"  # normalised to UTC
    assert all(d["source"] == "import" and d["state"] == "decided" and d["queue"] == "spam" for d in got)

    first, second = audit_rows(store)
    assert first == {
        "item": "p1", "moderator": "ana", "auditor": "bo", "plan": IMPORT_PLAN, "reason": IMPORT_REASON,
        "state": "audited", "blind_action": "remove", "blind_labels": '["hate_speech"]', "blind_note": "blind note",
        "blind_at": "2025-11-03T08:00:00.000Z", "revealed_at": "2025-11-03T08:00:00.000Z", "verdict": "incorrect",
        "error_type": "wrong_label", "severity": "minor", "comment": "harassment, not hate",
        "score": 100 - audits.DEFAULT_ERROR_WEIGHTS["wrong_label"] * audits.DEFAULT_SEVERITY_MULTIPLIERS["minor"],
        "scored_at": "2025-11-03T08:00:00.000Z", "same_decision": 1,
    }
    assert (second["moderator"], second["verdict"], second["error_type"], second["severity"], second["score"]) == (
        "cy", "correct", None, None, 100.0)

    kinds = [k for (k,) in store.db.execute("SELECT kind FROM events ORDER BY id")]
    assert kinds.count("decision.recorded") == 2 and kinds.count("audit.imported") == 2
    assert kinds.count("user.created") == 1 + 3  # the importing lead (the fixture's), then the three the file names
    assert {"items.imported", "decisions.imported", "audits.imported"} <= set(kinds)
    assert events.verify_chain(store.db)[1] is None


def test_history_rows_find_items_already_in_the_store(seeded, drop):
    manifest = write_jsonl(drop / "h.jsonl", [
        decision("p2", moderator="cy", action="no_violation", labels=()),  # no queue: p2 is in one queue only
        decision("twin", queue="other", moderator="cy", action="remove", labels=["spam"]),
        audit("p1"),  # the seed's decision by ana
        audit("twin", queue="other", moderator="cy"),
    ])
    result = run(seeded, manifest)
    assert result.committed and result.rejected == [] and result.count("audit").added == 2
    assert [(d["item"], d["queue"]) for d in decisions(seeded)][-2:] == [("p2", "spam"), ("twin", "other")]
    assert [(a["item"], a["moderator"]) for a in audit_rows(seeded)] == [("p1", "ana"), ("twin", "cy")]


def test_the_default_queue_applies_to_history_rows(seeded, drop):
    manifest = write_jsonl(drop / "h.jsonl", [decision("twin", moderator="cy")])
    assert "several queues" in only_problem(run(seeded, manifest)).reason
    result = run(seeded, manifest, default_queue="other")
    assert result.committed and decisions(seeded)[-1]["queue"] == "other"


def test_existing_users_get_the_missing_role(store, drop, chunked):
    store.add_user("lee", ["lead"])
    store.add_user("bo", ["moderator"])
    manifest = write_jsonl(drop / "h.jsonl", [
        item("p1"), decision("p1", moderator="lee"), audit("p1", moderator="lee", auditor="bo"),
        item("p2"), decision("p2", moderator="bo"), audit("p2", moderator="bo", auditor="ana"),
    ])
    result = run(store, manifest)
    assert result.committed and result.rejected == []
    assert result.roles_added == {"lee": ["moderator"], "bo": ["auditor"]}
    assert result.users_created == {"ana": ["auditor"]}
    assert roles(store) == {"ana": ("auditor",), "bo": ("moderator", "auditor"), "lee": ("moderator", "lead"),
                            IMPORTER: ("lead",)}
    changed = store.db.execute("SELECT actor, subject, payload FROM events WHERE kind = 'user.roles_changed'"
                               " ORDER BY id").fetchall()
    assert [(s, json.loads(p)["added"]) for _, s, p in changed] == [
        ("user:lee", ["moderator"]), ("user:bo", ["auditor"])]
    assert events.verify_chain(store.db)[1] is None


def test_a_moderator_who_is_also_an_auditor_gets_both_roles(store, drop):
    manifest = write_jsonl(drop / "h.jsonl", [
        item("p1"), item("p2"), decision("p1", moderator="ana"), decision("p2", moderator="bo"),
        audit("p1", moderator="ana", auditor="bo"), audit("p2", moderator="bo", auditor="ana"),
    ])
    result = run(store, manifest)
    assert result.users_created == {"ana": ["moderator", "auditor"], "bo": ["moderator", "auditor"]}
    assert roles(store) == {"ana": ("moderator", "auditor"), "bo": ("moderator", "auditor"), IMPORTER: ("lead",)}


def test_csv_history_rows_with_comma_separated_labels(store, drop):
    path = drop / "h.csv"
    header = ["type", "id", "queue", "text", "item", "moderator", "auditor", "action", "labels", "decided_at",
              "blind_action", "blind_labels", "verdict", "error_type", "severity", "audited_at", "handle_ms"]
    rows = [
        ["item", "p1", "spam", "words", "", "", "", "", "", "", "", "", "", "", "", "", ""],
        ["decision", "", "spam", "", "p1", "ana", "", "remove", "harassment, hate_speech", "2025-11-02T10:00:00Z",
         "", "", "", "", "", "", "1200"],
        ["audit", "", "", "", "p1", "ana", "bo", "", "", "", "remove", "harassment", "incorrect", "wrong_label",
         "Major", "2025-11-02T12:00:00Z", ""],
    ]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    result = run(store, path)
    assert result.committed and result.rejected == [], result.problems
    [got] = decisions(store)
    assert json.loads(got["labels"]) == ["harassment", "hate_speech"] and got["handle_ms"] == 1200
    [scored] = audit_rows(store)
    assert scored["severity"] == "major" and scored["score"] == 80.0


def test_the_audit_scores_the_moderators_latest_decision_before_it(store, drop, chunked):
    manifest = write_jsonl(drop / "h.jsonl", [
        item("p1"),
        decision("p1", action="no_violation", labels=(), at="2025-11-01T10:00:00Z"),
        audit("p1", blind_action="no_violation", blind_labels=(), at="2025-11-01T12:00:00Z"),  # scores line 2
        decision("p1", action="remove", at="2025-11-02T10:00:00Z"),
        audit("p1", auditor="cy", at="2025-11-02T12:00:00Z"),  # scores line 4
    ])
    result = run(store, manifest)
    assert result.committed and result.rejected == []
    scored = store.db.execute("SELECT d.action FROM audits a JOIN decisions d ON d.id = a.decision_id"
                              " ORDER BY a.id").fetchall()
    assert scored == [("no_violation",), ("remove",)]
    again = run(store, manifest)  # the same rows resolve to the same decisions: all present
    assert again.rejected == [] and again.added == 0 and again.already_present == 5


def test_taxonomy_given_checks_actions_and_labels(store, drop):
    from review import taxonomy

    custom = taxonomy.loads("""
        version = 3
        [[actions]]
        id = "keep"
        name = "Keep"
        [[actions]]
        id = "takedown"
        name = "Take down"
        requires_label = true
        [[labels]]
        id = "scam"
        name = "Scam"
        severity = "medium"
    """)
    manifest = write_jsonl(drop / "h.jsonl", [
        item("p1"), decision("p1", action="takedown", labels=["scam"]),
        audit("p1", blind_action="keep", blind_labels=()),
        item("p2"), decision("p2", action="remove"),
    ])
    result = run(store, manifest, handlers=row_handlers(custom))
    assert [(p.line, p.reason) for p in result.problems] == [
        (5, "unknown action 'remove' (actions: keep, takedown); unknown label 'harassment' in labels (labels: scam)")]


# ---------------------------------------------------------- invalid forms
def _case(*values, id: str):
    return pytest.param(values, id=id)


BAD = [
    # rows after line 1 (always a valid item row), a fragment of the reason, [the bad line if not the last]
    _case([decision("p2", action="nuke")], "unknown action 'nuke'", id="unknown-action"),
    _case([decision("p2", labels=["harassment", "gore"])], "unknown label 'gore' in labels", id="unknown-label"),
    _case([decision("p2", labels=[])], "action 'remove' needs at least one label", id="label-required"),
    _case([decision("p2", action="escalate", labels=())], "needs a note saying why", id="note-required"),
    _case([{**decision("p2"), "labels": "harassment;spam"}], "unknown label 'harassment;spam'",
          id="labels-bad-separator"),
    _case([decision("p2", labels=[1, 2])], "labels must be a list of label ids", id="labels-not-strings"),
    _case([decision("p2", at="yesterday")], "decided_at 'yesterday' is not an ISO 8601 time", id="bad-decided-at"),
    _case([decision("p2", at="2025-02-30")], "is not an ISO 8601 time", id="impossible-date"),
    _case([decision("p2", at=1730541600)], "decided_at must be an ISO 8601 time (a string)", id="epoch-number"),
    _case([decision("p2", at="2027-01-01T00:00:00Z")], "is in the future", id="future-decision"),
    _case([{**decision("p2"), "decided_at": None}], "missing decided_at", id="missing-decided-at"),
    _case([{**decision("p2"), "moderator": ""}], "missing moderator", id="missing-moderator"),
    _case([{**decision("p2"), "moderator": 7}], "moderator must be a user name", id="moderator-not-string"),
    _case([{**decision("p2"), "item": None}], "missing item", id="missing-item"),
    _case([decision("p2", handle_ms=-5)], "handle_ms -5 is not a whole number", id="bad-handle-ms"),
    _case([decision("p2", lables=["spam"])], "unknown field 'lables'", id="unknown-field"),
    _case([decision("p9")], "no item 'p9' (neither in the store nor an item row of this file)", id="no-item"),
    _case([decision("p2", queue="other")], "no item 'p2' in queue 'other'", id="no-item-in-queue"),
    _case([decision("twin")], "item 'twin' is in several queues (other, spam): add \"queue\"", id="ambiguous-item"),
    _case([decision("p1", at="2025-11-01T09:00:00Z", labels=["spam"]), decision("p1", at="2025-11-01T09:00:00Z")],
          "duplicate decision: line 2 has the same item, moderator, action and decided_at", id="duplicate-decision"),
    _case([audit("p2")], "no decision by 'ana' on item 'p2' in queue 'spam' to audit", id="audit-without-decision"),
    _case([audit("p1", moderator="cy")], "(it was decided by: ana)", id="audit-wrong-moderator"),
    _case([audit("p2"), decision("p2")], "the decision by 'ana' on item 'p2' in queue 'spam' is on line 3: "
                 "a decision row must come before the audit", 2, id="audit-before-its-decision-row"),
    _case([audit("p1", auditor="ana")], "'ana' is both moderator and auditor", id="self-audit"),
    _case([audit("p1", verdict="maybe")], "verdict 'maybe' is not one of correct, incorrect", id="bad-verdict"),
    _case([{**audit("p1"), "verdict": None}], "missing verdict", id="missing-verdict"),
    _case([audit("p1", verdict="incorrect", severity="minor")], "an incorrect verdict needs error_type",
                 id="incorrect-without-error-type"),
    _case([audit("p1", verdict="incorrect", error_type="procedural")], "an incorrect verdict needs severity",
                 id="incorrect-without-severity"),
    _case([audit("p1", error_type="procedural")], "a correct verdict has no error_type", id="correct-with-error"),
    _case([audit("p1", severity="minor")], "a correct verdict has no severity", id="correct-with-severity"),
    _case([wrong("p1", error_type="typo")], "error_type 'typo' is not one of", id="bad-error-type"),
    _case([wrong("p1", severity="high")], "severity 'high' is not one of minor, major, critical", id="bad-severity"),
    _case([audit("p1", blind_action="ban")], "unknown blind_action 'ban'", id="unknown-blind-action"),
    _case([audit("p1", blind_labels=["nope"])], "unknown label 'nope' in blind_labels", id="unknown-blind-label"),
    _case([audit("p1", blind_labels=[])], "blind_action 'remove' needs at least one label", id="blind-label-required"),
    _case([audit("p1", at="2025-10-01T00:00:00Z")], "audited_at '2025-10-01T00:00:00Z' is before the decision",
                 id="audited-before-decided"),
    _case([audit("p1", at="not a time")], "audited_at 'not a time' is not an ISO 8601 time", id="bad-audited-at"),
    _case([audit("p1", at="2030-01-01")], "audited_at '2030-01-01' is in the future", id="future-audit"),
    _case([audit("p1", handle_ms=3)], "unknown field 'handle_ms' (a audit row has", id="unknown-audit-field"),
    _case([audit("p1"), audit("p1")], "duplicate audit on line 2 (a decision is audited once)", id="duplicate-audit"),
    _case([audit("p1"), wrong("p1", auditor="cy")], "the decision it scores is already audited on line 2",
                 id="second-audit-of-a-decision"),
    _case([decision("p2", at="oops"), audit("p2")], "the decision it scores (line 2) has problems",
                 id="audit-of-a-rejected-decision"),
    _case([{"id": "new", "queue": "spam"}, decision("new")], "its row (line 2) has problems",
                 id="decision-on-a-rejected-item-row"),
    _case([{"type": "verdict"}], "unsupported row type 'verdict' (this import accepts: item, decision, audit)",
                 id="unknown-type"),
]


@pytest.mark.parametrize("case", BAD)
def test_each_invalid_row_is_named_with_its_line_and_nothing_is_written(seeded, drop, case, chunked):
    rows, fragment, *line = case
    manifest = write_jsonl(drop / "m.jsonl", [item("fine"), *rows])
    before = snapshot(seeded)
    result = run(seeded, manifest)
    assert not result.committed and snapshot(seeded) == before
    bad = line[0] if line else len(rows) + 1  # the last row, unless the case says otherwise
    matching = [p for p in result.problems if fragment in p.reason]
    assert [p.line for p in matching] == [bad], result.problems
    assert str(matching[0]).startswith(f"{manifest}:{bad}: ")


def test_audit_of_a_decision_veil_already_audited_or_sampled(seeded, drop):
    seeded.add_user("lee", ["lead"])
    seeded.add_user("cy", ["auditor"])
    p1 = seeded.db.execute("SELECT d.id FROM decisions d JOIN items i ON i.id = d.item_id"
                           " WHERE i.external_id = 'p1'").fetchone()[0]
    sample = sampling.add_sample(seeded, "lee", p1)
    manifest = write_jsonl(drop / "m.jsonl", [audit("p1")])
    assert f"already sampled for QA in Veil (sample {sample.id}, open)" in only_problem(run(seeded, manifest)).reason
    audits.start_audit(seeded, "cy", sample.id)
    audits.submit_blind(seeded, "cy", sample.id, "remove", ["harassment"])
    audits.reveal_original(seeded, "cy", sample.id)
    audits.score(seeded, "cy", sample.id, "correct")
    reason = only_problem(run(seeded, manifest)).reason
    assert f"already audited in Veil (sample {sample.id}, by cy: correct)" in reason


def test_an_undone_decision_is_not_audited(seeded, drop):
    user = seeded.user("ana")
    p2 = seeded.db.execute("SELECT id, queue_id FROM items WHERE external_id = 'p2'").fetchone()
    decided = record_past_decision(seeded, item_id=p2[0], user="ana", action="remove", labels=["spam"],
                                   decided_at="2025-11-01T10:00:00Z")
    with seeded.transaction():
        _insert(seeded, item_id=p2[0], user_id=user.id, queue_id=p2[1], action="revoke", labels=(), note="undo",
                shown_at=None, decided_at="2025-11-01T10:00:05.000Z", handle_ms=None, revealed_ms=0, source="review",
                revokes_id=decided)
    result = run(seeded, write_jsonl(drop / "m.jsonl", [audit("p2", blind_labels=["spam"])]))
    assert "no decision by 'ana' on item 'p2'" in only_problem(result).reason


def test_one_bad_row_among_many_writes_nothing(store, drop):
    rows = []
    for i in range(30):
        rows += [item(f"p{i}"), decision(f"p{i}", moderator=f"mod{i % 3}"),
                 audit(f"p{i}", moderator=f"mod{i % 3}", auditor=f"aud{i % 2}")]
    rows.append(audit("p7", moderator="mod1", auditor="mod1"))  # a self-audit, last
    manifest = write_jsonl(drop / "m.jsonl", rows)
    store.add_user("mod1", ["lead"])
    before = snapshot(store)
    result = run(store, manifest)
    assert not result.committed and [p.line for p in result.problems] == [91]
    assert snapshot(store) == before
    assert result.users_created == {} and result.count("decision").rejected == 0 and result.count("audit").rejected == 1


def test_skip_invalid_imports_the_rest_and_rejects_what_depends_on_a_bad_row(store, drop, chunked):
    manifest = write_jsonl(drop / "m.jsonl", [
        item("p1"), {"id": "p2", "queue": "spam"},  # p2 has nothing to review
        decision("p1"), decision("p2"),  # line 4 depends on the bad item
        audit("p1"), audit("p2"),  # line 6 depends on the rejected decision
        decision("p1", moderator="cy", at="soon"),  # a bad decision: line 7
    ])
    result = run(store, manifest, skip_invalid=True)
    assert result.committed
    assert [p.line for p in result.problems] == [2, 4, 6, 7]
    assert "its row (line 2) has problems" in result.problems[1].reason
    assert "its row (line 2) has problems" in result.problems[2].reason
    assert result.rejected[1][1] == json.dumps(decision("p2"))  # the start of the row as read, for the report
    assert [(d["item"], d["moderator"]) for d in decisions(store)] == [("p1", "ana")]
    assert [a["item"] for a in audit_rows(store)] == ["p1"]
    assert roles(store) == {"ana": ("moderator",), "bo": ("auditor",), IMPORTER: ("lead",)}  # cy's row was rejected
    assert {t: (c.added, c.rejected) for t, c in result.counts.items()} == {
        "item": (1, 1), "decision": (1, 2), "audit": (1, 1)}
    assert result.rows == result.added + result.already_present + len(result.rejected)


def test_dry_run_says_what_would_happen_and_writes_nothing(store, drop):
    store.add_user("bo", ["lead"])
    manifest = write_jsonl(drop / "m.jsonl", [item("p1"), decision("p1"), audit("p1")])
    before = snapshot(store)
    result = run(store, manifest, dry_run=True)
    assert not result.committed and snapshot(store) == before
    assert (result.added, result.count("decision").added, result.count("audit").added) == (3, 1, 1)
    assert result.users_created == {"ana": ["moderator"]} and result.roles_added == {"bo": ["auditor"]}
    assert result.queues_created == ["spam"]


def test_reimporting_the_same_file_adds_nothing(store, drop, chunked):
    manifest = write_jsonl(drop / "m.jsonl", [
        item("p1"), item("p2"), decision("p1"), decision("p2", moderator="cy", action="no_violation", labels=()),
        wrong("p1"), audit("p2", moderator="cy", blind_action="no_violation", blind_labels=()),
    ])
    first = run(store, manifest)
    assert first.committed and first.added == 6
    data = {k: v for k, v in snapshot(store).items() if k != "events"}
    again = run(store, manifest)
    assert again.committed and again.rejected == [] and again.added == 0 and again.already_present == 6
    assert {t: c.already_present for t, c in again.counts.items()} == {"item": 2, "decision": 2, "audit": 2}
    assert again.users_created == {} and again.roles_added == {}
    assert {k: v for k, v in snapshot(store).items() if k != "events"} == data
    kinds = store.db.execute("SELECT kind FROM events WHERE id > (SELECT MAX(id) FROM events"
                             " WHERE kind = 'audits.imported' AND id < (SELECT MAX(id) FROM events))").fetchall()
    assert {k for (k,) in kinds} <= {"items.imported", "decisions.imported", "audits.imported"}


def test_a_decision_already_stored_is_matched_on_item_moderator_action_and_time(seeded, drop):
    # The seed holds ana's "remove" on p1 at 09:00; the same action at another time is another decision.
    manifest = write_jsonl(drop / "m.jsonl", [
        decision("p1", at="2025-11-01T10:00:00+01:00", labels=["spam"]),  # the same moment, other labels: present
        decision("p1", at="2025-11-01T09:30:00Z"),
    ])
    result = run(seeded, manifest)
    assert (result.count("decision").already_present, result.count("decision").added) == (1, 1)


def test_without_history_handlers_history_rows_are_refused(store, drop):
    manifest = write_jsonl(drop / "m.jsonl", [item("p1"), decision("p1")])
    result = importer.import_manifest(store, manifest, create_queues=True, actor=IMPORTER)
    assert only_problem(result).reason == "unsupported row type 'decision' (this import accepts: item)"


def test_an_imported_audit_counts_like_one_done_in_veil(tmp_path, drop):
    """The same history, audited by import in one store and through Veil's blind audit in another."""
    clock = FakeClock("2026-01-05T09:00:00.000Z")
    base = [item("p1"), decision("p1")]
    with wiring.open_store(tmp_path / "a.db", clock=clock) as imported, \
            wiring.open_store(tmp_path / "b.db", clock=clock) as audited:
        run(imported, write_jsonl(drop / "a.jsonl", [*base, wrong("p1", error_type="wrong_action", severity="major",
                                                                  blind_action="label_only")]))
        run(audited, write_jsonl(drop / "b.jsonl", base))
        audited.add_user("lee", ["lead"])
        audited.add_user("bo", ["auditor"])
        sample = sampling.add_sample(audited, "lee", 1)
        audits.start_audit(audited, "bo", sample.id)
        audits.submit_blind(audited, "bo", sample.id, "label_only", ["harassment"])
        audits.reveal_original(audited, "bo", sample.id)
        audits.score(audited, "bo", sample.id, "incorrect", "wrong_action", "major")
        for by in ("moderator", "queue", "label"):
            left, right = report.build(imported, "bo", by=by), report.build(audited, "bo", by=by)
            assert left["groups"] == right["groups"] and left["overall"] == right["overall"]
        assert report.build(imported, "bo")["overall"]["mean_score"] == 70.0


# -------------------------------------------------------------------- CLI
def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_imports_history_and_metrics_count_it(capsys, drop, tmp_path, monkeypatch):
    monkeypatch.chdir(drop)
    db = tmp_path / "s.db"
    write_jsonl(drop / "h.jsonl", [
        item("p1"), item("p2"), item("p3"),
        decision("p1"), decision("p2", labels=["spam"]), decision("p3", moderator="cy"),
        audit("p1"), wrong("p2", error_type="wrong_label", severity="minor"),
        audit("p3", moderator="cy", auditor="ana"),
    ])
    code, out, err = cli(capsys, "--user", "lead1", "import", "h.jsonl", "--store", db, "--create-queues")
    assert code == 0, err
    lines = out.splitlines()
    assert "created 3 users: ana (moderator, auditor), bo (auditor), cy (moderator)" in lines
    assert lines[-1].startswith("imported 3 items, 3 decisions and 3 audits into 1 queue "
                                "(0 already present, 0 rejected) from h.jsonl in ")

    code, out, _ = cli(capsys, "metrics", "--json", "--store", db)
    assert code == 0
    data = json.loads(out)
    assert data["overall"]["n"] == 3 and data["overall"]["correct"] == 2
    assert data["overall"]["accuracy"] == pytest.approx(2 / 3)
    groups = {g["key"]: (g["n"], g["accuracy"]) for g in data["groups"]}
    assert groups == {"ana": (2, 0.5), "cy": (1, 1.0)}
    assert data["overall"]["errors"] == {"wrong_label": 1}

    code, out, _ = cli(capsys, "import", "h.jsonl", "--store", db)
    assert code == 0 and out.splitlines()[-1].startswith(
        "imported 0 items, 0 decisions and 0 audits into 1 queue (9 already present, 0 rejected)")
    code, out, _ = cli(capsys, "metrics", "--json", "--store", db)
    assert json.loads(out)["overall"]["n"] == 3
    with wiring.open_store(db) as store:
        actors = {a for (a,) in store.db.execute("SELECT actor FROM events WHERE kind LIKE '%.imported'")}
        assert "lead1" in actors
        assert events.verify_chain(store.db)[1] is None


def test_cli_bad_history_rows_exit_1_with_file_line_and_nothing_written(capsys, drop, tmp_path):
    db = tmp_path / "s.db"
    manifest = write_jsonl(drop / "h.jsonl", [
        item("p1"), decision("p1", action="nuke"), audit("p1", auditor="ana"),
    ])
    code, out, err = cli(capsys, "import", manifest, "--store", db, "--create-queues")
    assert code == 1
    assert err.splitlines() == [
        f"{manifest}:2: unknown action 'nuke' (actions: no_violation, remove, age_restrict, label_only, escalate)",
        f"{manifest}:3: 'ana' is both moderator and auditor: nobody audits their own decisions",
    ]
    assert "imported nothing" in out
    with wiring.open_store(db) as store:
        assert (snapshot(store)["items"], snapshot(store)["users"], snapshot(store)["decisions"]) == (0, 0, 0)


def test_cli_skip_invalid_and_dry_run_with_history(capsys, drop, tmp_path):
    db, rejects = tmp_path / "s.db", tmp_path / "rejects.jsonl"
    manifest = write_jsonl(drop / "h.jsonl", [item("p1"), decision("p1"), audit("p1", verdict="incorrect")])
    code, out, _ = cli(capsys, "import", manifest, "--store", db, "--create-queues", "--dry-run",
                       "--skip-invalid", rejects)
    assert code == 0 and "would create 1 user: ana (moderator)" in out
    assert out.splitlines()[-1].startswith("dry run: would import 1 item, 1 decision and 0 audits into 1 queue")
    code, out, _ = cli(capsys, "import", manifest, "--store", db, "--create-queues", "--skip-invalid", rejects)
    assert code == 0 and f"1 rejected row written to {rejects}" in out
    [record] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert record["line"] == 3 and "needs error_type" in record["reason"] and record["row"]["type"] == "audit"


def test_cli_taxonomy_option(capsys, drop, tmp_path):
    db = tmp_path / "s.db"
    policy = tmp_path / "policy.toml"
    policy.write_text('version = 1\n[[actions]]\nid = "keep"\nname = "Keep"\n'
                      '[[labels]]\nid = "scam"\nname = "Scam"\nseverity = "low"\n', encoding="utf-8")
    manifest = write_jsonl(drop / "h.jsonl", [item("p1"), decision("p1", action="keep", labels=["scam"])])
    code, _, err = cli(capsys, "import", manifest, "--store", db, "--create-queues", "--taxonomy", policy)
    assert code == 0, err
    code, _, err = cli(capsys, "import", manifest, "--store", tmp_path / "t.db", "--taxonomy", tmp_path / "absent.toml")
    assert code == 2 and "--taxonomy" in err and "absent.toml" in err
    assert not (tmp_path / "t.db").exists()


def test_cli_reads_the_teams_taxonomy_from_veil_home(capsys, drop, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("VEIL_HOME", str(home))
    (home / "taxonomy.toml").write_text('version = 1\n[[actions]]\nid = "keep"\nname = "Keep"\n'
                                        '[[labels]]\nid = "scam"\nname = "Scam"\nseverity = "low"\n', encoding="utf-8")
    manifest = write_jsonl(drop / "h.jsonl", [item("p1"), decision("p1", action="remove")])
    code, _, err = cli(capsys, "import", manifest, "--store", tmp_path / "s.db", "--create-queues")
    assert code == 1 and "unknown action 'remove' (actions: keep)" in err
    (home / "taxonomy.toml").write_text("version = [", encoding="utf-8")
    code, _, err = cli(capsys, "import", manifest, "--store", tmp_path / "s.db", "--create-queues")
    assert code == 2 and "taxonomy.toml" in err
