"""The server lets a person who is not a lead hold a lease only where a claim could give it (issue 15, leases).

A lease is what lets a moderator decide an item (the decisions rule asks
for it), so before this rule a moderator with ``psql`` and their own
password could lease any item as themselves — outside their queues, in an
escalation queue, decided, a complaint against their own decision, behind a
certification gate, someone else's live claim — and then decide it. Each
test logs in as the person with their own password (never ``SET ROLE``) and
tries one of those with direct SQL; the last ones run the app's own claim,
renewal, give-back, take-over after a lapse and decision on each person's
role, which must still work.
"""

from __future__ import annotations

import datetime as _dt

import psycopg
import pytest
from builders import decided_item, text_item
from test_server_roles import _refused, site  # noqa: F401  (the fixture)
from test_server_roles_flows import as_person, policy  # noqa: F401

from review import people, serving
from review.clock import UTC, iso
from review.desk import ReviewDesk
from review.store import server_policies

pytestmark = pytest.mark.server_only
LEASE = "INSERT INTO leases (item_id, user_id, claimed_at, expires_at, claim_id) VALUES (%s, %s, %s, %s, NULL)"


def _moment(minutes: float) -> str:
    """Veil's time text *minutes* from now by the real clock (the server's), not the tests' fake one."""
    return iso(_dt.datetime.now(UTC) + _dt.timedelta(minutes=minutes))


def _lease(conn: psycopg.Connection, item_id: int, user_id: int) -> None:
    conn.execute(LEASE, (item_id, user_id, _moment(0), _moment(10)))


def _pending(site, queue: str = "spam") -> int:  # noqa: F811
    return site.store.db.execute("SELECT MIN(i.id) FROM items i JOIN queues q ON q.id = i.queue_id"
                                 " WHERE q.name = ? AND i.state = 'pending'", [queue]).fetchone()[0]


def _holder(site, item_id: int) -> int | None:  # noqa: F811
    found = site.store.db.execute("SELECT user_id FROM leases WHERE item_id = ?", [item_id]).fetchone()
    return found[0] if found else None


# ------------------------------------------------------------- forbidden
def test_a_moderator_cannot_lease_an_item_outside_their_queue_limit(site):  # noqa: F811
    site.store.add_queue("other")
    text_item(site.store, "other")
    people.set_queues(site.store, "lee", "ana", ["other"])
    with site.sql("ana") as conn:
        _refused(conn, LEASE, (_pending(site), site.id("ana"), _moment(0), _moment(10)))
        _lease(conn, _pending(site, "other"), site.id("ana"))  # the queue she works: as a claim would


def test_a_moderator_cannot_lease_an_item_of_an_escalation_queue(site):  # noqa: F811
    site.store.add_queue("esc", "escalation")
    item_id = text_item(site.store, "esc")
    with site.sql("ana") as conn:
        _refused(conn, LEASE, (item_id, site.id("ana"), _moment(0), _moment(10)))


def test_a_moderator_cannot_lease_a_decided_item(site):  # noqa: F811
    decision = decided_item(site.store, "spam", "ben", decided_at="2026-01-04T10:00:00Z")
    item_id = site.store.db.execute("SELECT item_id FROM decisions WHERE id = ?", [decision]).fetchone()[0]
    with site.sql("ana") as conn:
        _refused(conn, LEASE, (item_id, site.id("ana"), _moment(0), _moment(10)))


def test_a_moderator_cannot_lease_a_report_waiting_for_its_cases_lead(site):  # noqa: F811
    lead_item, report = _pending(site), text_item(site.store, "spam")
    site.store.db.execute("UPDATE items SET case_of = ? WHERE id = ?", [lead_item, report])  # as cases.py marks it
    with site.sql("ana") as conn:
        _refused(conn, LEASE, (report, site.id("ana"), _moment(0), _moment(10)))


def test_a_moderator_cannot_lease_a_complaint_against_their_own_decision(site, tmp_path):  # noqa: F811
    from review.imports.manifest import import_manifest

    decided_item(site.store, "spam", "ana", decided_at="2026-01-04T10:00:00Z", external_id="post-a")
    manifest = tmp_path / "complaints.jsonl"
    manifest.write_text('{"id": "c-1", "queue": "complaints", "text": "a joke", "complaint_of": "post-a",'
                        ' "received_at": "2026-01-05T08:00:00Z"}\n')
    import_manifest(site.store, manifest, actor="lee", create_queues=True)
    complaint = _pending(site, "complaints")
    with site.sql("ana") as conn:
        _refused(conn, LEASE, (complaint, site.id("ana"), _moment(0), _moment(10)))
    with site.sql("ben") as conn:  # not his decision: served to him as to anyone
        _lease(conn, complaint, site.id("ben"))


def test_a_moderator_cannot_lease_an_item_of_a_queue_gated_by_a_course_they_lack(site):  # noqa: F811
    site.store.db.execute("INSERT INTO queue_gates (queue_id, course_id, course, taxonomy_version, set_by, set_at)"
                          " VALUES (?, 1, 'basics', 1, 'lee', ?)", [site.store.queue("spam").id, site.store.now()])
    with site.sql("ana") as conn:
        _refused(conn, LEASE, (_pending(site), site.id("ana"), _moment(0), _moment(10)))


def test_an_auditor_cannot_lease_an_item(site):  # noqa: F811
    with site.sql("dana") as conn:
        _refused(conn, LEASE, (_pending(site), site.id("dana"), _moment(0), _moment(10)))


def test_a_moderator_cannot_lease_an_item_as_someone_else(site):  # noqa: F811
    with site.sql("ana") as conn:
        _refused(conn, LEASE, (_pending(site), site.id("ben"), _moment(0), _moment(10)))


def test_a_moderator_cannot_take_over_someone_elses_live_lease_by_update(site):  # noqa: F811
    item_id = _pending(site)
    with site.sql("ben") as conn:
        _lease(conn, item_id, site.id("ben"))
    with site.sql("ana") as conn:
        taken = conn.execute("UPDATE leases SET user_id = %s, expires_at = %s WHERE item_id = %s RETURNING item_id",
                             (site.id("ana"), _moment(10), item_id)).fetchall()
    assert taken == [] and _holder(site, item_id) == site.id("ben")


def test_a_moderator_cannot_take_over_someone_elses_live_lease_by_upsert(site):  # noqa: F811
    item_id = _pending(site)
    with site.sql("ben") as conn:
        _lease(conn, item_id, site.id("ben"))
    with site.sql("ana") as conn:
        _refused(conn, LEASE[:-1] + ") ON CONFLICT (item_id) DO UPDATE SET user_id = excluded.user_id",
                 (item_id, site.id("ana"), _moment(0), _moment(10)))
    assert _holder(site, item_id) == site.id("ben")


def test_a_moderator_cannot_move_their_own_lease_onto_an_item_they_may_not_hold(site):  # noqa: F811
    site.store.add_queue("esc", "escalation")
    escalated = text_item(site.store, "esc")
    item_id = _pending(site)
    with site.sql("ana") as conn:
        _lease(conn, item_id, site.id("ana"))
        _refused(conn, "UPDATE leases SET item_id = %s WHERE item_id = %s", (escalated, item_id))


def test_a_moderator_cannot_decide_an_item_they_could_not_lease(site):  # noqa: F811
    """The point of the rule: the decisions rule asks for a lease, so no lease, no decision."""
    site.store.add_queue("esc", "escalation")
    item_id = text_item(site.store, "esc")
    with site.sql("ana") as conn:
        _refused(conn, LEASE, (item_id, site.id("ana"), _moment(0), _moment(10)))
        _refused(conn, "INSERT INTO decisions (item_id, user_id, queue_id, action, labels, note, decided_at,"
                       " revealed_ms, client_version, source)"
                       " VALUES (%s, %s, %s, 'no_violation', '[]', '', %s, 0, 'x', 'review')",
                 (item_id, site.id("ana"), site.store.queue("esc").id, _moment(0)))


def test_a_moderator_cannot_keep_an_item_from_everyone_with_a_far_future_expiry(site):  # noqa: F811
    item_id = _pending(site)
    with site.sql("ana") as conn:
        _refused(conn, LEASE, (item_id, site.id("ana"), _moment(0), _moment(60 * 24 * 365)))
        _lease(conn, item_id, site.id("ana"))  # as long as a claim's lease: hers
        _refused(conn, "UPDATE leases SET expires_at = %s WHERE item_id = %s", (_moment(60 * 24), item_id))
        conn.execute("UPDATE leases SET expires_at = %s WHERE item_id = %s", (_moment(10), item_id))  # a renewal


def test_the_servers_longest_lease_is_the_apps():
    assert server_policies.LONGEST_LEASE_SECONDS == serving.LEASE_SECONDS


# --------------------------------------------------------------- allowed
def test_a_moderator_takes_over_a_lease_that_lapsed_by_the_servers_clock(site):  # noqa: F811
    item_id = _pending(site)
    site.store.db.execute(LEASE.replace("%s", "?"), [item_id, site.id("ben"), _moment(-20), _moment(-10)])
    with site.sql("ana") as conn:
        conn.execute(LEASE[:-1] + ") ON CONFLICT (item_id) DO UPDATE SET user_id = excluded.user_id,"
                     " claimed_at = excluded.claimed_at, expires_at = excluded.expires_at",
                     (item_id, site.id("ana"), _moment(0), _moment(10)))
    assert _holder(site, item_id) == site.id("ana")


def test_the_app_claims_renews_gives_back_and_decides_on_a_moderators_role(site, as_person, policy):  # noqa: F811
    ana_store = as_person("ana")
    ana = ana_store.user("ana")
    desk = ReviewDesk(policy)
    shown = desk.claim(ana_store, ana)
    serving.renew(ana_store, ana, shown.item.id, claim=shown.claim)
    desk.release(ana_store, ana, shown.item.id, "skip", claim=shown.claim)
    again = desk.claim(ana_store, ana)
    made, _ = desk.decide(ana_store, ana, again.item.id, "no_violation", claim=again.claim)
    assert made.user == "ana"


def test_the_app_takes_over_a_lapsed_claim_of_someone_else(site, as_person, policy, clock):  # noqa: F811
    people.set_queues(site.store, "lee", "ana", ["spam"])  # a limit followed by the server too
    desk = ReviewDesk(policy)
    ben_store = as_person("ben")
    ben = ben_store.user("ben")
    held = [desk.claim(ben_store, ben) for _ in range(4)]
    assert all(h is not None for h in held)
    clock.advance(serving.LEASE_SECONDS + 1)  # every claim of ben's lapsed (the tests' clock is behind the server's)
    ana_store = as_person("ana")
    ana = ana_store.user("ana")
    taken = desk.claim(ana_store, ana)
    assert taken is not None and taken.item.id in {h.item.id for h in held}
    desk.decide(ana_store, ana, taken.item.id, "no_violation", claim=taken.claim)


def test_a_lead_claims_renews_gives_back_and_decides_on_their_own_role(site, as_person, policy):  # noqa: F811
    site.store.add_queue("esc", "escalation")
    escalated = text_item(site.store, "esc")
    lee_store = as_person("lee")
    lee = lee_store.user("lee")
    desk = ReviewDesk(policy)
    shown = desk.claim(lee_store, lee, ["esc"])  # leads are not bound by the moderators' rule
    assert shown is not None and shown.item.id == escalated
    serving.renew(lee_store, lee, shown.item.id, claim=shown.claim)
    desk.release(lee_store, lee, shown.item.id, "skip", claim=shown.claim)
    again = desk.claim(lee_store, lee, ["spam"])
    desk.decide(lee_store, lee, again.item.id, "no_violation", claim=again.claim)


def test_an_auditor_still_audits_on_their_own_role(site, as_person, policy):  # noqa: F811
    from audit.desk import AuditDesk

    dana_store = as_person("dana")
    opened = AuditDesk(policy).take_next(dana_store, dana_store.user("dana"))
    assert opened is not None


def test_the_rule_knows_which_roles_work_which_queues_as_serving_does():
    """The function hard-codes serving's rule for people who are not leads: say so if serving's changes."""
    assert serving.WORKED_BY == {"review": ("moderator", "lead"), "escalation": ("lead",)}
    assert "place.kind <> 'review'" in server_policies.FUNCTIONS and "%,moderator,%" in server_policies.FUNCTIONS
