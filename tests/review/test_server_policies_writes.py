"""Rows a moderator's own transactions change, changed only as Veil's own code changes them (issue 15, beside leases).

Before these rules a moderator with ``psql`` and their own password could
set any item's state, queue or due time (reopen a decided item, pull an
escalation back into their queue and then lease it), end any complaint
however they liked, and certify themselves for a gated queue. Each test
logs in as the person (never ``SET ROLE``) and tries one with direct SQL;
the last ones run Veil's own paths that change those rows on a
moderator's role: decide, escalate, undo, resolve a complaint.
"""

from __future__ import annotations

import pytest
from builders import decided_item, text_item
from test_server_roles import _refused, site  # noqa: F401  (the fixture)
from test_server_roles_flows import as_person, policy  # noqa: F401

from review import complaints
from review.desk import ReviewDesk

pytestmark = pytest.mark.server_only


def _item_of(site, decision_id: int) -> int:  # noqa: F811
    return site.store.db.execute("SELECT item_id FROM decisions WHERE id = ?", [decision_id]).fetchone()[0]


def _complaint(site, tmp_path, of: str) -> int:  # noqa: F811
    from review.imports.manifest import import_manifest

    manifest = tmp_path / "complaints.jsonl"
    manifest.write_text(f'{{"id": "c-{of}", "queue": "complaints", "text": "a joke", "complaint_of": "{of}",'
                        ' "received_at": "2026-01-05T08:00:00Z"}\n')
    import_manifest(site.store, manifest, actor="lee", create_queues=True)
    return site.store.db.execute("SELECT id FROM items WHERE external_id = ?", [f"c-{of}"]).fetchone()[0]


# ------------------------------------------------------------- forbidden
def test_a_moderator_cannot_reopen_an_item_someone_else_decided(site):  # noqa: F811
    item_id = _item_of(site, decided_item(site.store, "spam", "ben", decided_at="2026-01-04T10:00:00Z"))
    with site.sql("ana") as conn:
        _refused(conn, "UPDATE items SET state = 'pending' WHERE id = %s", (item_id,))
    assert site.store.db.execute("SELECT state FROM items WHERE id = ?", [item_id]).fetchone() == ("decided",)


def test_a_moderator_cannot_pull_an_escalated_item_into_a_review_queue(site):  # noqa: F811
    site.store.add_queue("esc", "escalation")
    item_id = text_item(site.store, "esc")
    with site.sql("ana") as conn:
        _refused(conn, "UPDATE items SET queue_id = %s WHERE id = %s", (site.store.queue("spam").id, item_id))


def test_a_moderator_cannot_move_an_items_due_time_they_do_not_hold(site):  # noqa: F811
    item_id = text_item(site.store, "spam")
    with site.sql("ana") as conn:
        _refused(conn, "UPDATE items SET due_at = '2099-01-01T00:00:00.000Z' WHERE id = %s", (item_id,))


def test_a_moderator_cannot_end_a_complaint_without_their_decision_on_it(site, tmp_path):  # noqa: F811
    decided_item(site.store, "spam", "ben", decided_at="2026-01-04T10:00:00Z", external_id="post-b")
    complaint = _complaint(site, tmp_path, "post-b")
    with site.sql("ana") as conn:
        _refused(conn, "UPDATE complaints SET outcome = 'upheld', resolved_at = 'x', resolved_by = %s"
                       " WHERE item_id = %s", (site.id("ana"), complaint))


def test_a_moderator_cannot_end_a_complaint_against_their_own_decision(site, tmp_path):  # noqa: F811
    decided_item(site.store, "spam", "ana", decided_at="2026-01-04T10:00:00Z", external_id="post-a")
    complaint = _complaint(site, tmp_path, "post-a")
    with site.sql("ana") as conn:
        ended = conn.execute("UPDATE complaints SET outcome = 'upheld', resolved_at = 'x', resolved_by = %s"
                             " WHERE item_id = %s RETURNING id", (site.id("ana"), complaint)).fetchall()
    assert ended == []


def test_a_moderator_cannot_certify_themselves_without_a_passed_attempt(site):  # noqa: F811
    with site.sql("ana") as conn:
        _refused(conn, "INSERT INTO certifications (user_id, course_id, taxonomy_version, attempt_id, certified_at)"
                       " VALUES (%s, 1, 1, 1, 'x')", (site.id("ana"),))


# --------------------------------------------------------------- allowed
def test_a_moderator_decides_escalates_and_undoes_on_their_own_role(site, as_person, policy):  # noqa: F811
    site.store.add_queue("esc", "escalation")
    site.store.add_queue("hot", escalation_queue="esc")
    text_item(site.store, "hot")
    ana_store = as_person("ana")
    ana = ana_store.user("ana")
    desk = ReviewDesk(policy)
    shown = desk.claim(ana_store, ana, ["hot"])
    made, _ = desk.decide(ana_store, ana, shown.item.id, "escalate", note="unsure", claim=shown.claim)
    desk.undo(ana_store, ana, made.id)  # the item comes back from the escalation queue, leased to her again
    assert site.store.db.execute("SELECT state, queue_id FROM items WHERE id = ?", [shown.item.id]).fetchone() == (
        "pending", site.store.queue("hot").id)


@pytest.mark.parametrize("outcome", ["upheld", "reversed"])
def test_a_moderator_resolves_a_complaint_on_their_own_role(site, as_person, policy, tmp_path, outcome):  # noqa: F811
    decided_item(site.store, "spam", "ben", decided_at="2026-01-04T10:00:00Z", external_id="post-b",
                 action="remove", labels=["spam"])
    complaint = _complaint(site, tmp_path, "post-b")
    ana_store = as_person("ana")
    ana = ana_store.user("ana")
    desk = ReviewDesk(policy)
    shown = desk.claim(ana_store, ana, ["complaints"])
    assert shown is not None and shown.item.id == complaint
    complaints.resolve(ana_store, policy, ana, complaint, claim=shown.claim, outcome=outcome,
                       action="no_violation" if outcome == "reversed" else None, labels=[], note="on appeal")
    assert site.store.db.execute("SELECT outcome FROM complaints WHERE item_id = ?", [complaint]).fetchone() == (
        outcome,)
