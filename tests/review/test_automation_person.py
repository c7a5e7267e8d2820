"""The system person automation decides as (issue 20 §7, review finding 4): a reserved name nobody may take, no
role, reactivation or passphrase whoever asks (the domain and the store's guards), no sign-in, and never listed
as a person: not on the People page, not among the dashboard's people, not a moderator in ``veil metrics``."""

from __future__ import annotations

import pytest
from builders import audited, people, text_items

from audit.metrics import assembly
from review import auth, dashboard
from review import people as people_api
from review.errors import VeilError
from review.known.automation import Outcome, apply
from review.store import Refused, ReservedName, passphrases
from review.store import people as people_rows

PASSPHRASE = "correct horse battery staple 12"


@pytest.fixture
def decided(store):
    people(store, lee="lead", ana="moderator", dana="auditor")
    store.add_queue("general")
    ids = text_items(store, "general", 2)
    with store.transaction():
        apply(store, [Outcome(i, "remove", ("spam",), automated=True) for i in ids], rule="r", version=1,
              actor="lee")
    return store


def test_nobody_can_be_named_automation(decided):
    with pytest.raises(VeilError, match="a name Veil keeps for itself"):
        people_api.add_person(decided, "lee", "Automation", ["moderator"])
    with pytest.raises(ReservedName), decided.transaction():
        decided.add_user("automation", ["moderator"])


@pytest.mark.parametrize("change", [
    lambda store: people_api.set_roles(store, "lee", "automation", ["moderator"]),
    lambda store: people_api.reactivate(store, "lee", "automation"),
    lambda store: people_api.set_passphrase(store, "lee", "automation", PASSPHRASE),
])
def test_the_system_person_cannot_be_given_a_role_a_sign_in_or_a_passphrase(decided, change):
    with pytest.raises(VeilError, match="system person"):
        change(decided)
    person = decided.user("automation")
    assert person.roles == () and not person.active
    assert passphrases.stored_hash(decided, "automation") is None


def test_the_store_refuses_it_too_whoever_asks(decided):
    store, lead = decided, decided.user("lee")
    with pytest.raises(Refused, match="system_person"):
        people_rows.set_roles(store, lead, "automation", ("moderator",))
    with pytest.raises(Refused, match="system_person"):
        people_rows.set_active(store, lead, "automation", True)
    with pytest.raises(Refused, match="system_person"):
        passphrases.save(store, store.user("automation"), auth.hash_passphrase(PASSPHRASE), by=lead)


def test_signing_in_as_it_says_it_is_a_system_person(decided):
    assert "is a system person" in (auth.sign_in_refusal(decided, "automation") or "")


def test_it_is_listed_as_nobodys_colleague(decided):
    store = decided
    assert "automation" in {u.name for u in store.users()}  # the store still knows it: decisions name it
    assert "automation" not in {p.name for p in people_api.people(store, "lee")}
    assert "automation" not in {p.user.name for p in dashboard.compute(store, "lee").people}
    decision = store.db.execute("SELECT id FROM decisions ORDER BY id").fetchone()[0]
    audited(store, decision, lead="lee", auditor="dana", blind_action="remove", verdict="correct")
    report = assembly.build(store, store.user("lee"), by="moderator", since=None, until=None)
    assert "automation" not in {g["key"] for g in report["groups"]}
