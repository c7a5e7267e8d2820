"""Everyday work on a server store whose rules the server enforces: each person's own app, on their own role.

The domain calls a person's desk makes (claim and decide, wellbeing, the
blind audit, the lead's people admin, dashboard and export) run on a store
opened with that person's URL (``postgresql://ana:…@/db``), so every
statement meets the row-level security and grants of
``review.store.server_roles``. The site is built by the owner (the store
fixture) as ``tests/review/test_server_roles.py`` builds it.
"""

from __future__ import annotations

import pytest
from test_server_roles import PHRASE, site  # noqa: F401  (the fixture)

from desktop import wiring
from review import people, taxonomy
from review.desk import Claim, ReviewDesk
from review.errors import StoreUnavailable
from review.store import wellbeing as ws
from review.wellbeing import checkins
from review.wellbeing.exposure import ExposureRecord

pytestmark = pytest.mark.server_only


@pytest.fixture
def policy():
    return taxonomy.load()


@pytest.fixture
def as_person(site, clock):  # noqa: F811
    opened = []

    def open_as(name: str):
        store = wiring.open_store(site.url(name), clock=clock)
        opened.append(store)
        return store

    yield open_as
    for store in opened:
        store.close()


def test_a_moderator_claims_decides_and_claims_the_next_on_their_own_role(site, as_person, policy):  # noqa: F811
    ana_store = as_person("ana")
    ana = ana_store.user("ana")
    desk = ReviewDesk(policy)
    first = desk.claim(ana_store, ana)
    made, claimed = desk.decide(ana_store, ana, first.item.id, "no_violation", claim=first.claim, then_claim=Claim())
    assert made.user == "ana" and claimed.shown is not None
    desk.release(ana_store, ana, claimed.shown.item.id, "end of shift", claim=claimed.shown.claim)
    assert site.store.db.execute("SELECT COUNT(*) FROM decisions WHERE user_id = ?", [ana.id]).fetchone() == (1,)


def test_a_moderator_books_and_reads_their_own_wellbeing(site, as_person):  # noqa: F811
    ana_store = as_person("ana")
    ana = ana_store.user("ana")
    ws.add_exposure(ana_store, ana, "s2", ExposureRecord(item_id=2, severity=None, category=None,
                                                         started_at=ana_store.now(), ended_at=ana_store.now(),
                                                         blurred_ms=500))
    checkins.record_checkin(ana_store, ana, 5)
    assert [c.score for c in ws.checkins(ana_store, ana.id)] == [5]
    day = ana_store.now()[:10]
    assert set(ws.exposure_sums(ana_store, day)) == {ana.id}  # ben's exposure is not theirs to see


def test_a_moderator_changes_their_own_passphrase_and_logs_in_with_the_new_one(site, as_person):  # noqa: F811
    from review import auth

    ana_store = as_person("ana")
    auth.set_passphrase(ana_store, "ana", "ana", "a new passphrase", current=PHRASE["ana"])
    wiring.open_store(site.url("ana", "a new passphrase")).close()


def test_a_moderator_cannot_add_people_even_past_veil(site, as_person):  # noqa: F811
    ana_store = as_person("ana")
    with pytest.raises(StoreUnavailable, match="permission"):
        ana_store.add_user("mallory", ["lead"], actor="ana")


def test_an_auditor_audits_blind_then_scores_on_their_own_role(site, as_person, policy):  # noqa: F811
    from audit.desk import AuditDesk

    dana_store = as_person("dana")
    dana = dana_store.user("dana")
    desk = AuditDesk(policy)
    opened = desk.take_next(dana_store, dana)
    assert opened is not None and opened.reveal is None
    reveal = desk.submit_blind(dana_store, dana, opened.task.sample_id, "remove", ["spam"])
    assert reveal.original.action == "remove"
    scored = desk.score(dana_store, dana, opened.task.sample_id, "correct")
    assert scored.score == 100.0


def test_an_auditor_takes_a_sample_and_answers_blind_on_their_own_role(site, as_person):  # noqa: F811
    from audit import audits

    dana_store = as_person("dana")
    task = audits.start_audit(dana_store, "dana", dana_store.db.execute("SELECT id FROM audit_samples").fetchone()[0])
    audits.submit_blind(dana_store, "dana", task.sample_id, "remove", ["spam"])
    assert dana_store.db.execute("SELECT action FROM veil_original(?)", [task.sample_id]).fetchone() == ("remove",)


def test_a_lead_runs_people_the_dashboard_and_an_export_on_their_own_role(site, as_person, tmp_path):  # noqa: F811
    from audit import dashboard, exports

    lee_store = as_person("lee")
    people.add_person(lee_store, "lee", "eve", ["moderator"], passphrase=PHRASE["eve"])
    people.set_roles(lee_store, "lee", "eve", ["auditor"])
    people.set_passphrase(lee_store, "lee", "ben", "ben's new passphrase")
    assert {p.name for p in people.people(lee_store, "lee")} == {"lee", "ana", "ben", "dana", "eve"}
    dashboard.load(lee_store, "lee")
    exports.export(lee_store, "lee", "decisions", "csv", tmp_path / "decisions.csv")
    assert (tmp_path / "decisions.csv").exists()
    with wiring.open_store(site.url("eve")) as eve_store:
        assert eve_store.user("eve").roles == ("auditor",)


def test_a_store_needing_an_upgrade_tells_a_person_that_only_its_owner_can_make_it(site, as_person):  # noqa: F811
    site.store.db.execute("DELETE FROM _sqlite_migrations WHERE id = (SELECT MAX(id) FROM _sqlite_migrations)")
    with pytest.raises(StoreUnavailable, match="only the store's owner"):
        as_person("ana")


def test_verify_as_a_person_says_to_use_the_owners_url(site, as_person):  # noqa: F811
    from review.store import integrity

    with pytest.raises(StoreUnavailable, match="run it with the store owner's URL"):
        integrity.check(as_person("lee").db, wiring.schema_sets(), escalating={"escalate"})


def test_a_read_the_server_refuses_says_so_never_that_a_write_was_refused(site, as_person):  # noqa: F811
    """Review 6: every refusal read "may not write this … ask for write permission", a blind auditor's refused
    read included."""
    dana_store = as_person("dana")
    with pytest.raises(StoreUnavailable, match="may not do this on the store's server") as refused:
        dana_store.db.execute("SELECT action FROM decisions").fetchall()
    assert "write" not in str(refused.value)
