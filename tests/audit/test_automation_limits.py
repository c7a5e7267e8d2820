"""What automation may never decide (issue 20 §7, review finding 1): only plain review work, never a complaint,
an escalated item, a gold item or copy, a training course's item or a calibration set's member."""

from __future__ import annotations

import json

import pytest
from builders import decided_item, people, text_items

from audit import calibration, gold
from audit.training import courses
from review import taxonomy
from review.desk import ReviewDesk
from review.imports.manifest import import_manifest
from review.known.automation import Outcome, apply
from review.store import automation as automation_rows


@pytest.fixture
def team(store):
    people(store, lee="lead", ana="moderator")
    store.add_queue("general")
    return store


def _automated(store, item_id, action="remove"):
    """Hand one automated outcome to apply; (decisions made, the item's suggestion)."""
    with store.transaction():
        made = apply(store, [Outcome(item_id, action, automated=True)], rule="list:x", version=1, actor="lee")
    return made, automation_rows.suggestion(store, item_id)


def test_an_escalated_item_is_never_decided_by_automation(team):
    store = team
    store.add_queue("lead escalations", "escalation")
    store.add_queue("spam", escalation_queue="lead escalations")
    text_items(store, "spam", 1)
    desk = ReviewDesk(taxonomy.load())
    shown = desk.claim(store, store.user("ana"))
    desk.decide(store, store.user("ana"), shown.item.id, "escalate", note="unsure", claim=shown.claim)
    assert _automated(store, shown.item.id) == (0, ("remove", (), "list:x", 1))
    assert store.db.execute("SELECT state FROM items WHERE id = ?", [shown.item.id]).fetchone()[0] == "pending"


def test_a_complaint_is_never_decided_solely_by_automated_means(team, tmp_path):
    store = team
    decided_item(store, "general", "ana", decided_at="2026-01-04T10:00:00Z", action="remove", external_id="post-1")
    manifest = tmp_path / "c.jsonl"
    manifest.write_text(json.dumps({"id": "c-1", "queue": "general", "text": "unfair", "complaint_of": "post-1",
                                    "received_at": "2026-01-05T08:30:00Z"}) + "\n")
    assert import_manifest(store, manifest, actor="lee", create_queues=True).committed
    complaint = store.db.execute("SELECT id FROM items WHERE external_id = 'c-1'").fetchone()[0]
    assert store.db.execute("SELECT COUNT(*) FROM complaints WHERE item_id = ?", [complaint]).fetchone()[0] == 1
    assert _automated(store, complaint, "no_violation")[0] == 0


def test_a_gold_item_and_its_planted_copy_are_never_decided(team):
    store = team
    original = text_items(store, "general", 1)[0]
    gold.add_gold(store, "lee", original, "no_violation")
    copy = gold.plant_gold(store, "lee", original, "general")[0]
    assert _automated(store, original)[0] == 0
    assert _automated(store, copy)[0] == 0
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0


def test_a_training_course_item_is_never_decided(team):
    store = team
    item = text_items(store, "general", 1)[0]
    gold.add_gold(store, "lee", item, "no_violation")
    courses.save_course(store, "lee", "Spam basics", [item], taxonomy_version=1)
    assert _automated(store, item)[0] == 0


def test_calibration_work_is_never_decided(team):
    store = team
    store.add_queue("calibrate", "calibration")
    in_review_queue = text_items(store, "general", 1)[0]
    in_calibration_queue = text_items(store, "calibrate", 1)[0]
    calibration.create_set(store, "lee", "March", [in_review_queue])
    assert _automated(store, in_review_queue)[0] == 0
    assert _automated(store, in_calibration_queue)[0] == 0


def test_plain_review_work_beside_them_is_still_decided(team):
    store = team
    item = text_items(store, "general", 1)[0]
    assert _automated(store, item) == (1, None)
