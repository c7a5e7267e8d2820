"""Everyday flows on each person's own role (beside ``test_server_roles_flows``): undo, disputes, an auditor's
own results page, corrections, calibration, gold, and a site whose owner may not create roles.

Each runs the domain calls a desk makes on a store opened with that person's URL, so the rules of
``review.store.server_policies`` (the audits, samples and consequences rules included) must let the everyday
work through.
"""

from __future__ import annotations

import psycopg
import pytest
from test_server_roles import site  # noqa: F401  (the fixture)
from test_server_roles_flows import as_person, policy  # noqa: F401

from desktop import wiring
from review import auth, people
from review.desk import ReviewDesk

pytestmark = pytest.mark.server_only


def test_moderator_escalates_and_the_lead_decides_it_on_their_own_roles(site, as_person, policy):  # noqa: F811
    from builders import text_items

    site.store.add_queue("esc", "escalation")
    queue = site.store.add_queue("hot", escalation_queue="esc")
    text_items(site.store, queue, 2)
    people.set_queues(site.store, "lee", "ana", ["hot"])
    ana_store = as_person("ana")
    ana = ana_store.user("ana")
    desk = ReviewDesk(policy)
    shown = desk.claim(ana_store, ana)
    desk.decide(ana_store, ana, shown.item.id, "escalate", note="not sure", claim=shown.claim)
    lee_store = as_person("lee")
    lee = lee_store.user("lee")
    taken = desk.claim(lee_store, lee, ["esc"])
    assert taken is not None and taken.item.id == shown.item.id
    desk.decide(lee_store, lee, taken.item.id, "no_violation", claim=taken.claim)


def test_moderator_undoes(site, as_person, policy):  # noqa: F811
    ana_store = as_person("ana")
    ana = ana_store.user("ana")
    desk = ReviewDesk(policy)
    shown = desk.claim(ana_store, ana)
    made, _ = desk.decide(ana_store, ana, shown.item.id, "no_violation", claim=shown.claim)
    desk.undo(ana_store, ana, made.id)


def test_moderator_disputes_an_incorrect_audit(site, as_person, policy):  # noqa: F811
    from audit.desk import AuditDesk

    dana_store = as_person("dana")
    dana = dana_store.user("dana")
    adesk = AuditDesk(policy)
    opened = adesk.take_next(dana_store, dana)
    adesk.submit_blind(dana_store, dana, opened.task.sample_id, "no_violation", [])
    scored = adesk.score(dana_store, dana, opened.task.sample_id, "incorrect", "over_enforcement", "minor")
    ben_store = as_person("ben")
    ben = ben_store.user("ben")
    page = adesk.my_page(ben_store, ben)
    assert len(page.rows) == 1
    adesk.dispute(ben_store, ben, scored.audit_id, "it was spam")
    lee_store = as_person("lee")
    assert adesk.disputes_board(lee_store, lee_store.user("lee"))


def test_an_auditor_reads_their_own_results_page(site, as_person, policy):  # noqa: F811
    from audit.desk import AuditDesk

    dana_store = as_person("dana")
    page = AuditDesk(policy).my_page(dana_store, dana_store.user("dana"))
    assert page.rows == [] and page.today is not None


def test_moderator_requests_a_correction_and_lead_corrects(site, as_person, policy):  # noqa: F811
    from review import corrections

    ana_store = as_person("ana")
    ana = ana_store.user("ana")
    desk = ReviewDesk(policy)
    shown = desk.claim(ana_store, ana)
    made, _ = desk.decide(ana_store, ana, shown.item.id, "no_violation", claim=shown.claim)
    row = corrections.request(ana_store, ana, made.id, "I misread it, it is spam")
    corrections.my_decisions(ana_store, ana)
    lee_store = as_person("lee")
    corrections.correct(lee_store, policy, lee_store.user("lee"), row.id, "remove", ["spam"], "agreed")


def test_calibration_answer_on_own_role(site, as_person, policy):  # noqa: F811
    from audit import calibration

    calibration.create_set(site.store, "lee", "cal", [1, 2])
    ana_store = as_person("ana")
    item = calibration.next_item(ana_store, "ana", "cal")
    calibration.answer(ana_store, "ana", "cal", item.id, "no_violation", [])


def test_moderator_decides_a_gold_item_on_own_role(site, as_person, policy):  # noqa: F811
    from audit import gold

    gold.add_gold(site.store, "lee", 1, "remove", ["spam"])
    gold.plant_gold(site.store, "lee", 1, "spam", 1)
    ana_store = as_person("ana")
    ana = ana_store.user("ana")
    from audit import gold as g
    desk = ReviewDesk(policy, after_decision=(g.after_decision,))
    for _ in range(6):
        shown = desk.claim(ana_store, ana)
        if shown is None:
            break
        desk.decide(ana_store, ana, shown.item.id, "no_violation", claim=shown.claim)
    assert site.store.db.execute("SELECT COUNT(*) FROM gold_results").fetchone()[0] >= 1


def _role(store, name: str) -> str:
    return str(store.db.execute("SELECT role FROM people_roles WHERE user_id = ?", [store.user(name).id]).fetchone()[0])


def test_a_createrole_owner_runs_a_site(postgres_server, clock):
    postgres_server.people_use_passwords()
    postgres_server.admin("DROP DATABASE IF EXISTS cr_site")
    postgres_server.admin("DROP ROLE IF EXISTS cr_owner")
    postgres_server.admin("CREATE ROLE cr_owner LOGIN CREATEROLE NOSUPERUSER PASSWORD 'cr owner pw'")
    postgres_server.admin("CREATE DATABASE cr_site OWNER cr_owner")
    try:
        with wiring.open_store(postgres_server.person_url("cr_site", "cr_owner", "cr owner pw"), clock=clock) as s:
            s.add_user("lee", ["lead"])
            auth.set_passphrase(s, "lee", "lee", "lee's passphrase")
            people.add_person(s, "lee", "crana", ["moderator"], passphrase="crana's passphrase")
            people.deactivate(s, "lee", "crana")
            people.reactivate(s, "lee", "crana")
            lee, crana = _role(s, "lee"), _role(s, "crana")
        with psycopg.connect(postgres_server.person_url("cr_site", crana, "crana's passphrase")) as conn:
            assert conn.execute("SELECT veil_person_name()").fetchone() == ("crana",)
        with wiring.open_store(postgres_server.person_url("cr_site", lee, "lee's passphrase"), clock=clock) as s:
            people.add_person(s, "lee", "crbo", ["moderator"], passphrase="crbo's passphrase")
            people.set_roles(s, "lee", "crbo", ["auditor"])
    finally:
        postgres_server.drop("cr_site")


def test_an_owner_without_createrole_can_still_run_a_blind_audit(postgres_server, clock):
    from builders import decided_item, text_items

    from audit import audits, sampling

    postgres_server.people_use_passwords()
    postgres_server.admin("DROP DATABASE IF EXISTS plain_site2")
    postgres_server.admin("DROP ROLE IF EXISTS plain_owner2")
    postgres_server.admin("CREATE ROLE plain_owner2 LOGIN NOCREATEROLE PASSWORD 'plain owner pw'")
    postgres_server.admin("CREATE DATABASE plain_site2 OWNER plain_owner2")
    try:
        with wiring.open_store(postgres_server.person_url("plain_site2", "plain_owner2", "plain owner pw"),
                               clock=clock) as store:
            store.add_user("lee", ["lead"])
            people.add_person(store, "lee", "pben", ["moderator"])
            people.add_person(store, "lee", "pdana", ["auditor"])
            queue = store.add_queue("spam")
            text_items(store, queue, 1)
            sampled = decided_item(store, queue, "pben", decided_at="2026-01-04T10:00:00Z", action="remove",
                                   labels=["spam"])
            sampling.add_sample(store, "lee", sampled, auditor="pdana")
            sample_id = store.db.execute("SELECT id FROM audit_samples").fetchone()[0]
            audits.start_audit(store, "pdana", sample_id)
            audits.submit_blind(store, "pdana", sample_id, "remove", ["spam"])
            assert audits.reveal_original(store, "pdana", sample_id)
    finally:
        postgres_server.drop("plain_site2")
