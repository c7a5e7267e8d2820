"""People, run by a lead without code (issue 13 §1 "People"): add, roles, queues, deactivate, passphrases.

Issue 13 found that nobody could add a person ("Ask a lead to add you" at
sign-in, but a lead could not) and that the queues a person works were
whatever their roles allowed. Each test here goes through
:mod:`review.people` as a front end would, and checks what must really
happen: the event with old and new value (never a passphrase), the guard
rails, and the effects on serving, leases and ``veil verify``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from builders import behind_veils_back, events, people, text_items

from audit import calibration, disputes, exports
from audit.desk import AuditDesk
from desktop import wiring
from review import admin, auth, decisions, serving, taxonomy
from review import people as ppl
from review.dashboard import compute
from review.errors import NotAllowed
from review.people import PeopleError
from review.store import integrity
from review.store.schema import migrations as review_migrations
from review.wellbeing import checkins
from review.wellbeing.budget import lift_budget

SETS = [review_migrations, *wiring.migration_sets()]
PHRASE = "quiet harbour lights"


@pytest.fixture
def floor(store):
    """lee (lead), ana and ben (moderators), dana (auditor); "spam" and "hate" review queues, one escalation queue."""
    people(store, lee=(["lead"], "Lee Morgan"), ana="moderator", ben="moderator", dana="auditor")
    store.add_queue("escalations", "escalation")
    store.add_queue("spam", priority=5, escalation_queue="escalations")
    store.add_queue("hate", priority=1, escalation_queue="escalations")
    text_items(store, "spam", 2)
    text_items(store, "hate", 2)
    return store


def verify_problems(store) -> tuple[str, ...]:
    return integrity.check(store.db, SETS, escalating={"escalate"}).problems


# ------------------------------------------------------------------ adding
def test_a_lead_adds_a_person_with_a_passphrase_and_a_queue_limit_in_one_go(floor):
    eve = ppl.add_person(floor, "lee", " eve ", ["moderator"], display_name="Eve Ng", queues=["spam"],
                         passphrase=PHRASE)
    assert (eve.name, eve.display_name, eve.roles, eve.active) == ("eve", "Eve Ng", ("moderator",), True)
    assert eve.queue_ids == (floor.queue("spam").id,)
    assert auth.check_passphrase(floor, "eve", PHRASE)
    kinds = [e.kind for e in events(floor) if e.subject == "user:eve"]
    assert kinds == ["user.created", "user.queues_changed", "auth.passphrase_set"]
    assert events(floor, "user.queues_changed")[-1].payload == {
        "old": [], "queues": [floor.queue("spam").id], "old_names": [], "names": ["spam"]}
    log = floor.db.execute("SELECT group_concat(payload, ' ') FROM events").fetchone()[0]
    assert PHRASE not in log  # never the passphrase, in any event
    assert verify_problems(floor) == ()


def test_a_refused_passphrase_leaves_nobody_half_added(floor):
    with pytest.raises(PeopleError, match="at least 8"):
        ppl.add_person(floor, "lee", "eve", ["moderator"], passphrase="short")
    assert "eve" not in {u.name for u in floor.users()}


@pytest.mark.parametrize("name, words", [
    ("", "needs a name"), ("system", "keeps for itself"), ("Anonymous", "keeps for itself"),
    ("ev\x1be", "control character"), ("e" * 101, "at most 100"), ("Ana", "too like “ana”"),
    ("ana", "already here"),
])
def test_names_follow_the_import_rules_and_look_alikes_are_refused(floor, name, words):
    with pytest.raises(PeopleError, match=words):
        ppl.add_person(floor, "lee", name, ["moderator"])


@pytest.mark.parametrize("roles, words", [([], "at least one role"), (["admin"], "Unknown role admin")])
def test_a_person_needs_known_roles(floor, roles, words):
    with pytest.raises(PeopleError, match=words):
        ppl.add_person(floor, "lee", "eve", roles)


@pytest.mark.parametrize("change", [
    lambda s: ppl.add_person(s, "ana", "eve", ["moderator"]),
    lambda s: ppl.set_roles(s, "ana", "ben", ["lead"]),
    lambda s: ppl.set_queues(s, "ana", "ben", ["spam"]),
    lambda s: ppl.deactivate(s, "ana", "ben"),
    lambda s: ppl.reactivate(s, "ana", "ben"),
    lambda s: ppl.set_passphrase(s, "ana", "ben", PHRASE),
    lambda s: ppl.people(s, "ana"),
])
def test_every_change_is_a_leads(floor, change):
    with pytest.raises(NotAllowed, match="ana is not a lead"):
        change(floor)


# ------------------------------------------------------------------- roles
def test_roles_change_with_old_and_new_in_the_event(floor):
    ben = ppl.set_roles(floor, "lee", "ben", ["moderator", "lead"])  # kept in the order given
    assert ben.roles == ("moderator", "lead")
    assert events(floor, "user.roles_changed")[-1] == ("lee", "user.roles_changed", "user:ben",
                                                       {"old": ["moderator"], "roles": ["moderator", "lead"]})
    with pytest.raises(PeopleError, match="Nothing to change"):
        ppl.set_roles(floor, "lee", "ben", ["moderator", "lead"])
    assert verify_problems(floor) == ()


def test_the_last_active_lead_keeps_the_role_and_stays_active(floor):
    with pytest.raises(PeopleError, match="lee is the last active lead"):
        ppl.set_roles(floor, "lee", "lee", ["moderator"])
    with pytest.raises(PeopleError, match="lee is the last active lead"):
        ppl.deactivate(floor, "lee", "lee")
    ppl.set_roles(floor, "lee", "ben", ["lead"])
    ppl.deactivate(floor, "lee", "ben")  # a deactivated lead does not count
    with pytest.raises(PeopleError, match="last active lead"):
        ppl.set_roles(floor, "lee", "lee", ["moderator"])
    ppl.reactivate(floor, "lee", "ben")
    assert ppl.set_roles(floor, "ben", "lee", ["moderator"]).roles == ("moderator",)


def test_a_lead_cannot_deactivate_themself_from_their_own_window(floor):
    ppl.set_roles(floor, "lee", "ben", ["lead"])
    with pytest.raises(PeopleError, match="signed in as lee in this window.*Another lead can"):
        ppl.deactivate(floor, "lee", "lee", own_session=True)
    assert floor.user("lee").active


def test_a_queue_limit_must_fit_the_roles(floor):
    with pytest.raises(PeopleError, match="“escalations”: it is an escalation queue, worked by a lead"):
        ppl.set_queues(floor, "lee", "ana", ["escalations"])
    with pytest.raises(PeopleError, match="no queue called “nope”"):
        ppl.set_queues(floor, "lee", "ana", ["nope"])
    ppl.set_queues(floor, "lee", "ana", ["spam"])
    with pytest.raises(PeopleError, match="cannot be limited to “spam”"):  # an auditor works no queue
        ppl.set_roles(floor, "lee", "ana", ["auditor"])


# ----------------------------------------------------------- deactivating
def test_a_deactivated_person_is_served_nothing_and_their_items_go_back(floor):
    policy = taxonomy.load()
    held = serving.claim_next(floor, floor.user("ana"))
    assert held is not None
    released = ppl.deactivate(floor, "lee", "ana")
    assert released == 1
    assert serving.holder(floor, held.item.id) is None  # back in its queue
    assert events(floor, "user.deactivated")[-1].payload == {"old": True, "active": False,
                                                             "released": [held.item.id]}
    with pytest.raises(NotAllowed, match="ana is deactivated"):
        serving.claim_next(floor, floor.user("ana"))
    with pytest.raises(NotAllowed, match="ana is deactivated"):
        decisions.decide(floor, policy, floor.user("ana"), held.item.id, claim=held.claim, action="no_violation")
    taken = serving.claim_next(floor, floor.user("ben"))
    assert taken is not None and taken.item.id == held.item.id  # the best item, free again for the others
    assert verify_problems(floor) == ()


def test_deactivation_under_the_write_lock_stops_a_claim_that_passed_the_first_check(floor, monkeypatch):
    ana = floor.user("ana")
    assert serving.claim_next(floor, ana) is not None  # a claim reads nothing before its lock; ana's row is kept
    ppl.deactivate(floor, "lee", "ana")  # behind the kept row: the counter moves
    with pytest.raises(NotAllowed, match="ana is deactivated"):
        serving.claim_next(floor, ana)


def test_reactivating_brings_back_roles_and_limit(floor):
    ppl.set_queues(floor, "lee", "ana", ["hate"])
    ppl.deactivate(floor, "lee", "ana")
    ana = ppl.reactivate(floor, "lee", "ana")
    assert ana.active and ana.queue_ids == (floor.queue("hate").id,)
    assert events(floor, "user.reactivated")[-1].payload == {"old": False, "active": True}
    with pytest.raises(PeopleError, match="Nothing to change"):
        ppl.reactivate(floor, "lee", "ana")
    assert serving.claim_next(floor, ana).item.queue_name == "hate"


# ------------------------------------------------------------------ queues
def test_a_person_limited_to_queues_is_served_only_those(floor):
    ana = ppl.set_queues(floor, "lee", "ana", ["hate"])
    served = [serving.claim_next(floor, ana) for _ in range(3)]
    assert [s.item.queue_name for s in served if s] == ["hate", "hate"]  # spam has priority, but not for ana
    assert served[2] is None
    assert [q.name for q in serving.servable_queues(floor, ana)] == ["hate"]
    with pytest.raises(NotAllowed, match="ana does not work “spam”: a lead limited ana to “hate”"):
        serving.claim_next(floor, ana, ["spam"])
    ben = floor.user("ben")
    assert serving.claim_next(floor, ben).item.queue_name == "spam"  # nobody else is limited


def test_a_limit_set_while_an_item_is_open_stops_its_decision(floor):
    ana = floor.user("ana")
    held = serving.claim_next(floor, ana)
    assert held.item.queue_name == "spam"
    ppl.set_queues(floor, "lee", "ana", ["hate"])
    with pytest.raises(NotAllowed, match="does not work “spam”"):
        decisions.decide(floor, taxonomy.load(), ana, held.item.id, claim=held.claim, action="no_violation")


def test_a_limit_follows_its_queue_through_a_rename_and_a_merge(floor):
    ppl.set_queues(floor, "lee", "ana", ["hate"])
    admin.rename_queue(floor, "lee", "hate", "hate speech")
    assert ppl.people(floor, "lee")[0].queues == ("hate speech",)
    admin.merge(floor, "lee", "hate speech", "spam")
    served = serving.claim_next(floor, floor.user("ana"))
    assert served is not None and served.item.queue_name == "spam"  # hate's items are in spam now


def test_an_empty_limit_is_every_queue_the_roles_work(floor):
    ppl.set_queues(floor, "lee", "ana", ["hate"])
    ana = ppl.set_queues(floor, "lee", "ana", [])
    assert ana.queue_ids == ()
    assert serving.claim_next(floor, ana).item.queue_name == "spam"
    assert events(floor, "user.queues_changed")[-1].payload["old_names"] == ["hate"]


# -------------------------------------------------------------- passphrase
def test_a_lead_resets_a_forgotten_passphrase_without_the_old_one(floor):
    auth.set_passphrase(floor, "ana", "ana", PHRASE)
    ppl.set_passphrase(floor, "lee", "ana", "a brand new phrase")
    assert auth.check_passphrase(floor, "ana", "a brand new phrase")
    assert [p.has_passphrase for p in ppl.people(floor, "lee") if p.name == "ana"] == [True]


# ---------------------------------------------------------- budget lifts
def test_a_lift_shows_on_people_and_on_the_dashboards_budget_lifts_column(floor):
    lift_budget(floor, "lee", "ana", "training day", 30)
    ana = next(p for p in ppl.people(floor, "lee") if p.name == "ana")
    assert (ana.lifts, ana.severe_budget_ms - 4 * 3_600_000) == (1, 30 * 60_000)
    row = next(p for p in compute(floor, "lee").people if p.user.name == "ana")
    assert [lift.reason for lift in row.exposure.overrides] == ["training day"]


# ------------------------------------------------------------------ verify
def test_verify_names_an_active_flag_or_a_limit_changed_behind_veils_back(floor):
    ppl.set_queues(floor, "lee", "ana", ["spam"])
    ppl.deactivate(floor, "lee", "ben")
    assert verify_problems(floor) == ()
    with behind_veils_back(floor) as raw:
        raw.execute("UPDATE users SET active = 1 WHERE name = 'ben'")
        raw.execute("UPDATE users SET queue_ids = '' WHERE name = 'ana'")
    problems = verify_problems(floor)
    assert any("user 'ben' is active, but the events" in p and "make them deactivated" in p for p in problems)
    assert any("user 'ana' is limited to the queues none, but the events" in p for p in problems)


def test_a_deactivated_person_cannot_act_anywhere_in_the_domain(floor):
    ppl.set_roles(floor, "lee", "ben", ["lead"])
    ppl.deactivate(floor, "ben", "lee")
    with pytest.raises(NotAllowed, match="lee is deactivated"):
        ppl.people(floor, "lee")


def test_why_a_queue_is_not_served_is_said_for_the_queues_page(floor):
    ana = ppl.set_queues(floor, "lee", "ana", ["hate"])
    assert serving.why_not_served(floor, ana, "spam") == "A lead limited you to “hate”: ask a lead to add “spam” " \
                                                         "(People page)"
    assert serving.why_not_served(floor, ana, "hate") is None
    assert serving.why_not_served(floor, ana, "escalations") == "“escalations” is worked by a lead only"
    admin.set_paused(floor, "lee", "hate", True)
    assert "“hate” is paused" in serving.why_not_served(floor, ana, "hate")
    ppl.deactivate(floor, "lee", "ana")
    assert serving.why_not_served(floor, ana, "hate") == "ana is deactivated: a lead can reactivate them"


# ------------------------------------------------- review findings (issue 13 §1 People, second pass)
def _deactivated(store, *names):
    ppl.set_roles(store, "lee", "ben", ["moderator", "lead"])
    for name in names:
        ppl.deactivate(store, "lee", name)
    return store


@pytest.mark.parametrize("who, act", [
    ("ana", lambda s: disputes.open_dispute(s, "ana", 1, "the verdict is wrong")),
    ("ana", lambda s: checkins.checkins_of(s, "ana", "ana")),
    ("ana", lambda s: checkins.record_checkin(s, s.user("ana"), 3)),
    ("ana", lambda s: auth.set_passphrase(s, "ana", "ana", PHRASE)),
    ("ana", lambda s: lift_budget(s, "lee", "ana", "training day", 30)),  # the person lifted is deactivated
    ("dana", lambda s: AuditDesk(taxonomy.load()).take_next(s, s.user("dana"))),
    ("ana", lambda s: calibration.answer(s, "ana", "any set", 1, "no_violation")),
    ("ben", lambda s: exports.export(s, "ben", "decisions", "csv", Path(os.environ["VEIL_HOME"]).parent / "out.csv")),
    ("ben", lambda s: ppl.people(s, "ben")),
], ids=["dispute", "checkins", "checkin", "own-passphrase", "budget-lift", "audit-desk", "calibration", "export",
        "people"])
def test_a_deactivated_person_cannot_act_anywhere(floor, who, act):
    _deactivated(floor, who)
    with pytest.raises(NotAllowed, match=f"{who} is deactivated"):
        act(floor)


def test_an_unreadable_queue_limit_serves_nothing_and_verify_says_so(floor, caplog):
    ppl.set_queues(floor, "lee", "ana", ["spam"])
    with behind_veils_back(floor) as raw:
        raw.execute("UPDATE users SET queue_ids = ? WHERE name = 'ana'", [f"{floor.queue('spam').id},x"])
    ana = floor.user("ana")  # reading the row never crashes
    assert "ana" in caplog.text and "cannot read" in caplog.text
    assert [u.name for u in floor.users()] == ["ana", "ben", "dana", "lee"]
    assert serving.servable_queues(floor, ana) == []
    assert serving.claim_next(floor, ana) is None
    assert any(p.name == "ana" for p in ppl.people(floor, "lee"))
    problems = verify_problems(floor)
    assert any("user 'ana'" in p and "'3,x'" in p.replace(str(floor.queue("spam").id), "3") for p in problems)
    assert ppl.set_queues(floor, "lee", "ana", ["spam"]).queue_ids == (floor.queue("spam").id,)  # a lead mends it
    assert verify_problems(floor) == ()


@pytest.mark.parametrize("name, display, words", [
    ("le\u200be", None, "invisible or control character"),
    ("\u202eeel", "Lee Morgan", "invisible or control character"),
    ("\uff4c\uff45\uff45", None, "too like “lee”"),
    ("an\u2028a", None, "invisible or control character"),
    ("eve", "Lee Morgan", "“Lee Morgan” is already the display name of lee"),
    ("eve", "lee morgan", "“lee morgan” is already the display name of lee"),
    ("eve", "Eve\u200b", "invisible or control character"),
    ("le\u200de", None, "invisible or control character"),  # a joiner is a display name's, never a name's
    ("eve", "Lee\u200d Morgan", "already the display name of lee"),
])
def test_look_alike_names_are_refused(floor, name, display, words):
    with pytest.raises(PeopleError, match=words):
        ppl.add_person(floor, "lee", name, ["moderator"], display_name=display)
    assert len(floor.users()) == 4


def test_a_display_name_may_hold_the_joiners_its_script_needs(floor):
    """Persian and Indic names, and emoji sequences, are written with ZWNJ/ZWJ: refusing them refuses people."""
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "mi-khaham", joined by ZWNJ
    added = ppl.add_person(floor, "lee", "sara", ["moderator"], display_name=persian)
    assert added.display_name == persian


def test_the_name_rule_is_the_stores_so_imports_get_it_too(floor):
    with pytest.raises(ValueError, match="too like “lee”"):
        floor.add_user("\uff2c\uff25\uff25", ["moderator"])
    with pytest.raises(ValueError, match="invisible or control character"):
        floor.add_user("le\u200be", ["moderator"])


def test_the_look_alike_check_runs_under_the_write_lock(floor, monkeypatch):
    from review.store import people as people_store

    real = people_store.add

    def added_meanwhile(store, actor, name, *args, **kwargs):  # after the first check, before the transaction
        store.add_user("LEO", ["moderator"])
        return real(store, actor, name, *args, **kwargs)

    monkeypatch.setattr(people_store, "add", added_meanwhile)
    with pytest.raises(PeopleError, match="too like “LEO”"):
        ppl.add_person(floor, "lee", "leo", ["moderator"])


def test_roles_change_for_someone_limited_to_a_queue_merged_since(floor):
    ppl.set_queues(floor, "lee", "ana", ["hate"])
    admin.merge(floor, "lee", "hate", "spam")
    assert ppl.people(floor, "lee")[0].queues == ("spam",)  # the queue they work now, by its name
    assert ppl.set_roles(floor, "lee", "ana", ["moderator", "lead"]).roles == ("moderator", "lead")
    with pytest.raises(PeopleError, match="cannot be limited to “spam”"):  # an auditor works no queue
        ppl.set_roles(floor, "lee", "ana", ["auditor"])


def test_undo_checks_the_persons_queue_limit(floor):
    ana = floor.user("ana")
    held = serving.claim_next(floor, ana)
    assert held.item.queue_name == "spam"
    made = decisions.decide(floor, taxonomy.load(), ana, held.item.id, claim=held.claim, action="no_violation")
    ppl.set_queues(floor, "lee", "ana", ["hate"])
    with pytest.raises(NotAllowed, match="“spam”, a queue ana may not work now"):
        decisions.undo(floor, floor.user("ana"), made.id)
    assert serving.holder(floor, held.item.id) is None


def test_setting_a_passphrase_rechecks_the_lead_under_the_write_lock(floor, monkeypatch):
    ppl.set_roles(floor, "lee", "ben", ["moderator", "lead"])
    real = auth.hash_passphrase

    def demoted_meanwhile(passphrase, **kwargs):  # after require(), before the write
        ppl.set_roles(floor, "ben", "lee", ["moderator"])
        return real(passphrase, **kwargs)

    monkeypatch.setattr(auth, "hash_passphrase", demoted_meanwhile)
    with pytest.raises(NotAllowed, match="lee is not a lead any more"):
        ppl.set_passphrase(floor, "lee", "ana", PHRASE)
    assert not auth.has_passphrase(floor, "ana")


def test_a_lead_cannot_reset_another_leads_passphrase(floor):
    ppl.set_roles(floor, "lee", "ben", ["moderator", "lead"])
    auth.set_passphrase(floor, "ben", "ben", PHRASE)
    with pytest.raises(NotAllowed, match="ben is a lead: only ben can change their passphrase"):
        ppl.set_passphrase(floor, "lee", "ben", "a brand new phrase")
    assert auth.check_passphrase(floor, "ben", PHRASE)
    ppl.set_passphrase(floor, "ben", "ben", "a brand new phrase", current=PHRASE)  # their own, with the current
    ppl.set_passphrase(floor, "lee", "ana", "a brand new phrase")  # a moderator's: reset without the old one


def test_why_a_queue_is_not_served_uses_the_shared_wording(floor):
    floor.add_queue("audit backlog", "audit")
    assert serving.why_not_served(floor, floor.user("ana"), "audit backlog") == \
        "“audit backlog” is an audit queue: its items are not reviewed here"
