"""Revoking a rule's window (issue 20 §7, review findings 2, 7 and 9): only decisions still current are
revoked (the skipped ones are counted and said), a confirmed count that no longer holds revokes nothing, and the
lead's revoking rows are a person's (``source = 'review'``)."""

from __future__ import annotations

import json

import pytest
from builders import events, people, text_items

from desktop import wiring
from review import complaints, serving, taxonomy
from review.imports.manifest import import_manifest
from review.known import automation
from review.known.automation import AutomationError, Outcome, apply
from review.store import integrity
from review.store.schema import migrations

WINDOW = ("2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z")


@pytest.fixture
def team(store):
    people(store, lee="lead", ana="moderator", ben="moderator")
    store.add_queue("reports")
    return store


def _decide(store, item_ids, rule="r"):
    with store.transaction():
        return apply(store, [Outcome(i, "remove", ("harassment",), automated=True) for i in item_ids], rule=rule,
                     version=1, actor="lee")


def _state(store, item_id):
    return store.db.execute("SELECT state FROM items WHERE id = ?", [item_id]).fetchone()[0]


def _problems(store):
    return integrity.check(store.db, [migrations, *wiring.migration_sets()], escalating={"escalate"}).problems


def test_a_decision_a_complaint_reversed_is_skipped_and_said(team, tmp_path):
    store = team
    post, other = text_items(store, "reports", ["post-1", "post-2"])
    assert _decide(store, [post, other]) == 2
    manifest = tmp_path / "c.jsonl"
    manifest.write_text(json.dumps({"id": "c-1", "queue": "complaints", "text": "unfair", "complaint_of": "post-1",
                                    "received_at": "2026-01-05T08:30:00Z"}) + "\n")
    assert import_manifest(store, manifest, actor="lee", create_queues=True).committed
    lease = serving.claim_next(store, store.user("ben"))
    complaints.resolve(store, taxonomy.load(), "ben", lease.item.id, claim=lease.claim, outcome="reversed",
                       action="no_violation", note="not harassment")
    assert _state(store, post) == "decided"
    asked = automation.revocable(store, "lee", "r", *WINDOW)
    assert (asked.revoked, asked.superseded) == (1, 1)
    done = automation.revoke(store, "lee", "r", *WINDOW, reason="bad rule")
    assert (done.revoked, done.superseded) == (1, 1)
    assert _state(store, post) == "decided"  # the reversal stands: nobody's decision is reopened
    assert _state(store, other) == "pending"
    assert "1 was left alone: a later decision (a complaint's reversal or a correction)" in done.words(done=True)
    assert events(store, "automation.revoked")[-1].payload["superseded"] == 1
    assert _problems(store) == ()


def test_a_confirmed_count_that_no_longer_holds_revokes_nothing(team):
    store = team
    first, second = text_items(store, "reports", 2)
    _decide(store, [first])
    counted = automation.revocable(store, "lee", "r", *WINDOW).revoked
    _decide(store, [second])  # the rule decided again between the count and the confirmation
    with pytest.raises(AutomationError, match="now holds 2 standing decision.*not the 1 you confirmed"):
        automation.revoke(store, "lee", "r", *WINDOW, expected=counted)
    assert {_state(store, first), _state(store, second)} == {"decided"}
    assert automation.revoke(store, "lee", "r", *WINDOW, expected=2).revoked == 2


def test_a_leads_revocation_rows_are_a_persons(team):
    store = team
    item = text_items(store, "reports", 1)[0]
    _decide(store, [item])
    automation.revoke(store, "lee", "r", *WINDOW)
    assert store.db.execute(
        "SELECT u.name, d.source FROM decisions d JOIN users u ON u.id = d.user_id WHERE d.revokes_id IS NOT NULL"
    ).fetchall() == [("lee", "review")]
    assert events(store, "decision.revoked")[-1].payload["automation"] is True
    assert _problems(store) == ()
