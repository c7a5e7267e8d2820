"""Queue administration: leads only, one event per change, merges and moves lose nothing."""

from __future__ import annotations

import collections
import datetime as _dt
import tempfile
from pathlib import Path

import pytest
from builders import ago, events, people, text_items
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop import wiring
from review import admin, decisions, serving, taxonomy
from review.admin import AdminError, ChangedError, CollisionError, Selection
from review.clock import FakeClock, iso
from review.store import Refused, queue_admin


def _add(store, queue: str, *external_ids: str, hours_ago: float = 1, severity=None, category=None) -> list[int]:
    """Harmless items with the two things admin selections filter on: a severity and a metadata category."""
    return text_items(store, queue, external_ids, received_at=ago(store, hours_ago), text="a harmless sample",
                      severity=severity, metadata={"category": category} if category else {})


def _decide(store, item_id: int, labels=("spam",), action="remove") -> int:
    return decisions.record_past_decision(store, item_id=item_id, user="ana", action=action, labels=list(labels),
                                          decided_at=store.now())


def _where_items(store) -> dict[int, str]:
    return dict(store.db.execute("SELECT i.id, q.name FROM items i JOIN queues q ON q.id = i.queue_id"))


@pytest.fixture
def team(store):
    """ana moderates, lee leads; spam and scams escalate to escalations."""
    people(store, ana="moderator", lee=["lead", "moderator"])
    store.add_queue("escalations", "escalation", priority=9)
    store.add_queue("spam", priority=3, sla_seconds=3600, escalation_queue="escalations")
    store.add_queue("scams", priority=1, escalation_queue="escalations")
    return store


# ------------------------------------------------------------------ roles
CHANGES = {
    "create": lambda s, who: admin.create_queue(s, who, "new"),
    "rename": lambda s, who: admin.rename_queue(s, who, "spam", "junk"),
    "pause": lambda s, who: admin.set_paused(s, who, "spam", True),
    "priority": lambda s, who: admin.set_priority(s, who, "spam", 7),
    "sla": lambda s, who: admin.set_sla(s, who, "spam", 600),
    "escalation": lambda s, who: admin.set_escalation(s, who, "spam", []),
    "merge": lambda s, who: admin.merge(s, who, "spam", "scams"),
    "move": lambda s, who: admin.move(s, who, Selection(queues=("spam",)), "scams"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_only_a_lead_may_change_queues(team, change):
    _add(team, "spam", "s1")
    before = (events(team), team.queues(), _where_items(team))
    with pytest.raises(PermissionError, match="ana is not a lead: only a lead can"):
        CHANGES[change](team, "ana")
    with pytest.raises(PermissionError, match="not a user of this store"):
        CHANGES[change](team, "mallory")
    assert (events(team), team.queues(), _where_items(team)) == before
    CHANGES[change](team, "lee")  # the same call works for a lead
    assert len(events(team)) == len(before[0]) + 1  # one change, one event


# ----------------------------------------------------------- simple edits
def test_create_rename_pause_priority_sla_escalation_each_log_one_event(team):
    created = admin.create_queue(team, "lee", "  fraud  ", priority=4, sla_seconds=7200, escalation_queue="escalations")
    assert (created.name, created.priority, created.sla_seconds) == ("fraud", 4, 7200)
    assert created.escalation_queue_id == team.queue("escalations").id
    admin.rename_queue(team, "lee", "fraud", "fraud & scams")
    admin.set_paused(team, "lee", "fraud & scams", True)
    admin.set_paused(team, "lee", "fraud & scams", True)  # already paused: nothing to record
    admin.set_priority(team, "lee", "fraud & scams", 8)
    admin.set_sla(team, "lee", "fraud & scams", 1800)
    admin.set_escalation(team, "lee", "fraud & scams", [])
    admin.set_paused(team, "lee", "fraud & scams", False)
    queue = team.queue("fraud & scams")
    assert (queue.priority, queue.sla_seconds, queue.paused, queue.escalation_queue_id) == (8, 1800, False, None)
    logged = [(k, s, p) for a, k, s, p in events(team) if a == "lee"]
    assert logged == [
        ("queue.created", "queue:fraud", {"kind": "review", "priority": 4, "sla_seconds": 7200}),
        ("queue.renamed", "queue:fraud & scams", {"from": "fraud", "to": "fraud & scams"}),
        ("queue.paused", "queue:fraud & scams", {}),
        ("queue.priority_set", "queue:fraud & scams", {"from": 4, "to": 8}),
        ("queue.sla_seconds_set", "queue:fraud & scams", {"from": 7200, "to": 1800}),
        ("queue.escalation_set", "queue:fraud & scams",
         {"from": ["escalations"], "to": [], "queue_id": queue.id, "to_ids": []}),
        ("queue.resumed", "queue:fraud & scams", {}),
    ]


@pytest.mark.parametrize("call, words", [
    (lambda s: admin.create_queue(s, "lee", "spam"), "already a queue named “spam”"),
    (lambda s: admin.create_queue(s, "lee", "   "), "needs a name"),
    (lambda s: admin.create_queue(s, "lee", "x", sla_seconds=0), "longer than zero"),
    (lambda s: admin.create_queue(s, "lee", "x", escalation_queue="scams"), "scams” is a review queue"),
    (lambda s: admin.rename_queue(s, "lee", "spam", "scams"), "already a queue named “scams”"),
    (lambda s: admin.rename_queue(s, "lee", "nope", "x"), "no queue named “nope”"),
    (lambda s: admin.set_priority(s, "lee", "spam", "high"), "whole number"),
    (lambda s: admin.set_sla(s, "lee", "spam", -5), "longer than zero"),
    (lambda s: admin.set_escalation(s, "lee", "spam", ["spam"]), "cannot escalate into itself"),
    (lambda s: admin.set_escalation(s, "lee", "escalations", ["escalations"]), "only a review queue escalates"),
])
def test_bad_edits_are_refused_in_words_and_change_nothing(team, call, words):
    before = (events(team), team.queues())
    with pytest.raises(AdminError, match=words):
        call(team)
    assert (events(team), team.queues()) == before


def test_a_paused_queue_serves_nobody_and_keeps_its_items(team):
    _add(team, "spam", "s1")
    ana = team.user("ana")
    admin.set_paused(team, "lee", "spam", True)
    admin.set_paused(team, "lee", "scams", True)
    assert serving.claim_next(team, ana) is None
    admin.set_paused(team, "lee", "spam", False)
    assert serving.claim_next(team, ana).item.external_id == "s1"


def test_a_new_sla_applies_to_new_arrivals_waiting_items_keep_their_due_time(team):
    [old] = _add(team, "spam", "old", hours_ago=0)
    due_before = serving.load_item(team, old).due_at
    admin.set_sla(team, "lee", "spam", 600)
    [new] = _add(team, "spam", "new", hours_ago=0)
    assert serving.load_item(team, old).due_at == due_before
    assert serving.load_item(team, new).due_at == iso(team.clock.now() + _dt.timedelta(seconds=600))


# ------------------------------------------------------------------ merge
def test_merge_preview_counts_every_state_and_changes_nothing(team):
    leased, _pending, decided = _add(team, "spam", "l", "p", "d")
    _decide(team, decided)
    assert serving.claim_next(team, team.user("ana"), ["spam"]).item.id == leased
    events_before = events(team)
    preview = admin.preview_merge(team, "spam", "scams")
    assert (preview.target, preview.total, preview.pending, preview.leased, preview.decided, preview.removed) == (
        "scams", 3, 2, 1, 1, 0)
    assert preview.collisions == () and preview.selection == "everything in spam"
    assert events(team) == events_before and set(_where_items(team).values()) == {"spam"}


def test_merge_moves_everything_keeps_history_and_marks_the_source(team, clock):
    ids = _add(team, "spam", "a", "b", "c")
    _add(team, "scams", "z")
    first = _decide(team, ids[0])
    before_decisions = team.db.execute("SELECT id, item_id, queue_id FROM decisions ORDER BY id").fetchall()
    outcome = admin.merge(team, "lee", "spam", "scams", expected=3)
    assert outcome.moved == 3 and outcome.left == ()
    assert _where_items(team) == {ids[0]: "scams", ids[1]: "scams", ids[2]: "scams", ids[2] + 1: "scams"}
    # decisions keep the queue they were made in, as written
    assert team.db.execute("SELECT id, item_id, queue_id FROM decisions ORDER BY id").fetchall() == before_decisions
    assert before_decisions[0][2] == team.queue("spam").id and before_decisions[0][0] == first
    rows = {r.queue.name: r for r in admin.queue_rows(team)}
    assert rows["spam"].merged_into == "scams" and rows["spam"].queue.paused and rows["spam"].items == 0
    assert rows["scams"].items == 4 and rows["scams"].waiting == 3
    assert "spam" not in [q.name for q in serving.servable_queues(team, team.user("lee"))]
    [(actor, kind, subject, payload)] = events(team, "queue.merged")
    assert (actor, subject) == ("lee", "queue:spam")
    assert payload == {"into": "scams", "total": 3, "pending": 2, "leased": 0, "decided": 1, "removed": 0,
                       "reroutes": [], "item_ids": [[ids[0], ids[2]]]}
    with pytest.raises(AdminError, match="merged into “scams”"):
        admin.rename_queue(team, "lee", "spam", "again")
    with pytest.raises(AdminError, match="merged into “scams”"):
        admin.move(team, "lee", Selection(), "spam")


def test_a_leased_item_moves_with_its_lease_and_the_decision_still_lands(team, clock):
    [item_id] = _add(team, "spam", "held")
    ana = team.user("ana")
    policy = taxonomy.load()
    lease = serving.claim_next(team, ana, ["spam"])
    assert lease.item.id == item_id
    admin.merge(team, "lee", "spam", "scams")
    assert serving.holder(team, item_id)[0] == "ana"  # nobody else can take it
    assert serving.claim_next(team, team.user("lee"), ["scams"]) is None
    serving.renew(team, ana, item_id, claim=lease.claim)
    made = decisions.decide(team, policy, ana, item_id, claim=lease.claim, action="remove", labels=["spam"])
    assert made.queue_id == team.queue("scams").id  # decided where the item now is
    assert serving.load_item(team, item_id).state == "decided"


def test_escalations_of_a_merged_escalation_queue_follow_it(team):
    team.add_queue("minor safety", "escalation")
    admin.set_escalation(team, "lee", "scams", ["minor safety"])
    preview = admin.preview_merge(team, "minor safety", "escalations")
    assert preview.reroutes == ("scams",)
    admin.merge(team, "lee", "minor safety", "escalations")
    assert team.queue("scams").escalation_queue_id == team.queue("escalations").id
    [(_, _, _, payload)] = events(team, "queue.merged")
    assert payload["reroutes"] == ["scams"]


def test_merge_collisions_are_reported_before_anything_happens(team):
    _add(team, "spam", "dup1", "dup2", "own")
    _add(team, "scams", "dup1", "dup2")
    preview = admin.preview_merge(team, "spam", "scams")
    assert preview.collisions == ("dup1", "dup2") and preview.total == 3
    before = (events(team), _where_items(team), team.queues())
    with pytest.raises(CollisionError, match="2 item.* same external id .*dup1, dup2.*nothing was merged") as caught:
        admin.merge(team, "lee", "spam", "scams")
    assert caught.value.preview.collisions == ("dup1", "dup2")
    assert (events(team), _where_items(team), team.queues()) == before


@pytest.mark.parametrize("source, target, words", [
    ("spam", "spam", "into itself"),
    ("spam", "escalations", "only queues of the same kind merge"),
    ("spam", "nope", "no queue named “nope”"),
])
def test_impossible_merges_are_refused(team, source, target, words):
    _add(team, "spam", "s")
    with pytest.raises(AdminError, match=words):
        admin.merge(team, "lee", source, target)
    assert set(_where_items(team).values()) == {"spam"}


def test_a_change_refuses_when_the_confirmed_numbers_are_stale(team):
    _add(team, "spam", "a", "b")
    confirmed = admin.preview_merge(team, "spam", "scams").total
    _add(team, "spam", "late arrival")
    with pytest.raises(ChangedError, match="3 items now match, not 2"):
        admin.merge(team, "lee", "spam", "scams", expected=confirmed)
    assert set(_where_items(team).values()) == {"spam"} and events(team, "queue.merged") == []
    with pytest.raises(ChangedError):
        admin.move(team, "lee", Selection(queues=("spam",)), "scams", expected=confirmed)


# ------------------------------------------------------------------- move
@pytest.fixture
def mixed(team, clock):
    """Items in spam and scams with different labels, ages and severities."""
    old = _add(team, "spam", "old-severe", hours_ago=30, severity="severe", category="scam_fraud")
    new = _add(team, "spam", "new-low", hours_ago=1, severity="low", category="spam")
    labelled = _add(team, "scams", "decided-as-scam", hours_ago=5, severity="high", category="spam")
    _decide(team, labelled[0], labels=["scam_fraud"])
    team.add_queue("fraud")
    return team, {"old": old[0], "new": new[0], "labelled": labelled[0]}


@pytest.mark.parametrize("selection, moved", [
    (Selection(label="scam_fraud"), {"old", "labelled"}),  # reported category or current decision label
    (Selection(queues=("spam",), label="scam_fraud"), {"old"}),
    (Selection(received_before="2026-01-05T00:00:00Z"), {"old"}),
    (Selection(received_after="2026-01-05T06:00"), {"new"}),
    (Selection(severities=("severe", "high")), {"old", "labelled"}),
    (Selection(states=("decided",)), {"labelled"}),
    (Selection(queues=("spam", "scams"), states=("pending",), severities=("low",)), {"new"}),
    (Selection(), {"old", "new", "labelled"}),
])
def test_move_takes_exactly_the_matching_items(mixed, selection, moved):
    team, ids = mixed
    preview = admin.preview_move(team, selection, "fraud")
    assert preview.total == len(moved)
    outcome = admin.move(team, "lee", selection, "fraud", expected=preview.total)
    assert outcome.moved == len(moved)
    where = _where_items(team)
    assert {name for name, item in ids.items() if where[item] == "fraud"} == moved
    [(_, _, subject, payload)] = events(team, "items.moved")
    assert subject == "queue:fraud" and payload["total"] == len(moved) and payload["selection"] == selection.describe()


def test_a_revoked_decision_label_no_longer_matches(team, clock):
    ana = team.user("ana")
    [item_id] = _add(team, "spam", "x")
    team.add_queue("fraud")
    lease = serving.claim_next(team, ana)
    made = decisions.decide(team, taxonomy.load(), ana, item_id, claim=lease.claim, action="remove",
                            labels=["scam_fraud"])
    assert admin.preview_move(team, Selection(label="scam_fraud"), "fraud").total == 1
    decisions.undo(team, ana, made.id)
    assert admin.preview_move(team, Selection(label="scam_fraud"), "fraud").total == 0


def test_a_label_matches_only_the_category_or_a_current_decision_label_exactly(team):
    """The label is looked for in JSON text first; only an exact category or label counts."""
    team.add_queue("fraud")
    q = team.queue("spam")
    team.add_items([
        {"external_id": e, "queue_id": q.id, "kind": "text", "received_at": team.now(), "metadata": metadata}
        for e, metadata in (("elsewhere", {"note": "scam_fraud"}), ("longer", {"category": "scam_fraud_x"}),
                            ("accented", {"category": "fraude_é"}), ("exact", {"category": "scam_fraud"}))
    ])
    ids = dict(team.db.execute("SELECT external_id, id FROM items"))
    _decide(team, ids["elsewhere"], labels=["spam", "fraude_é"])
    assert admin.preview_move(team, Selection(label="scam_fraud"), "fraud").total == 1
    assert admin.preview_move(team, Selection(label="fraude_é"), "fraud").total == 2  # metadata and decision
    outcome = admin.move(team, "lee", Selection(label="fraude_é"), "fraud")
    assert outcome.moved == 2 and {i for i, n in _where_items(team).items() if n == "fraud"} == {
        ids["elsewhere"], ids["accented"]}


def test_a_change_recounts_in_its_transaction_and_refuses_what_was_not_confirmed(team):
    """Between a lead's look and the change, a claim changes the numbers: the change is refused, nothing moves."""
    _add(team, "spam", "a", "b")
    fraud = team.add_queue("fraud")
    criteria = queue_admin.Criteria(queues=("spam",))
    confirmed, _ = queue_admin.tally(team, criteria, fraud.id)
    serving.claim_next(team, team.user("ana"), ["spam"])
    for change in (lambda: queue_admin.move(team, "lee", criteria, fraud, confirmed=confirmed, payload={}),
                   lambda: queue_admin.merge(team, "lee", team.queue("spam"), fraud, confirmed=confirmed, payload={})):
        with pytest.raises(Refused, match="changed"):
            change()
    assert set(_where_items(team).values()) == {"spam"} and events(team, "items.moved") == []
    assert queue_admin.move(team, "lee", criteria, fraud, confirmed=queue_admin.tally(team, criteria, fraud.id)[0],
                            payload={})[0] == 2


def test_move_carries_leased_items_and_skips_collisions_only_when_asked(team):
    ids = _add(team, "spam", "held", "dup", "free")
    _add(team, "scams", "dup")
    ana = team.user("ana")
    assert serving.claim_next(team, ana, ["spam"]).item.id == ids[0]
    preview = admin.preview_move(team, Selection(queues=("spam",)), "scams")
    assert (preview.total, preview.leased, preview.collisions, preview.colliding) == (3, 1, ("dup",), 1)
    with pytest.raises(CollisionError, match="1 external id.*dup.*nothing was moved"):
        admin.move(team, "lee", Selection(queues=("spam",)), "scams")
    assert set(_where_items(team).values()) == {"spam", "scams"} and events(team, "items.moved") == []
    outcome = admin.move(team, "lee", Selection(queues=("spam",)), "scams", expected=3, skip_collisions=True)
    assert (outcome.moved, outcome.left) == (2, ("dup",))
    where = _where_items(team)
    assert (where[ids[0]], where[ids[1]], where[ids[2]]) == ("scams", "spam", "scams")
    assert serving.holder(team, ids[0])[0] == "ana"
    [(_, _, _, payload)] = events(team, "items.moved")
    assert payload["left"] == ["dup"] and payload["leased"] == 1
    assert payload["item_ids"] == [[ids[0], ids[0]], [ids[2], ids[2]]]


def test_items_from_two_queues_with_one_external_id_collide_with_each_other(team):
    _add(team, "spam", "same")
    _add(team, "scams", "same")
    team.add_queue("fraud")
    preview = admin.preview_move(team, Selection(), "fraud")
    assert (preview.collisions, preview.colliding) == (("same",), 2)
    with pytest.raises(CollisionError):
        admin.move(team, "lee", Selection(), "fraud")


def test_move_refuses_audit_queues_and_bad_dates(team):
    team.add_queue("qa", "audit")
    with pytest.raises(AdminError, match="holds sampled decisions"):
        admin.preview_move(team, Selection(), "qa")
    with pytest.raises(AdminError, match="not a date"):
        admin.preview_move(team, Selection(received_before="yesterday"), "scams")


# --------------------------------------------------------------- property
QUEUES = ("q0", "q1", "q2", "q3")
operation = st.one_of(
    st.tuples(st.just("merge"), st.sampled_from(QUEUES), st.sampled_from(QUEUES)),
    st.tuples(st.just("move"), st.sampled_from((None, *QUEUES)), st.sampled_from(QUEUES),
              st.sampled_from([None, "low", "severe"]), st.booleans()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    placed=st.lists(st.tuples(st.sampled_from(QUEUES), st.integers(0, 6), st.sampled_from(["low", "severe"])),
                    max_size=25),
    operations=st.lists(operation, max_size=8),
    leased=st.integers(0, 3),
)
def test_merges_and_moves_never_lose_or_duplicate_an_item(placed, operations, leased):
    with tempfile.TemporaryDirectory() as folder, wiring.open_store(Path(folder) / "p.db", clock=FakeClock()) as store:
        store.add_user("lee", ["lead", "moderator"])
        for name in QUEUES:
            store.add_queue(name)
        store.add_items([  # one transaction; a repeated (queue, external id) is skipped as on import
            {"external_id": f"e{external}", "queue_id": store.queue(queue).id, "kind": "text", "severity": severity,
             "received_at": store.now()}
            for queue, external, severity in placed
        ])
        for _ in range(leased):
            serving.claim_next(store, store.add_user(f"m{_}", ["moderator"]))
        before = collections.Counter(r[0] for r in store.db.execute("SELECT id FROM items"))
        for op in operations:
            try:
                if op[0] == "merge":
                    admin.merge(store, "lee", op[1], op[2])
                else:
                    selection = Selection(queues=(op[1],) if op[1] else (), severities=(op[3],) if op[3] else ())
                    admin.move(store, "lee", selection, op[2], skip_collisions=op[4])
            except AdminError:
                pass  # refused (collision, merged queue, same queue): nothing happened
        after = collections.Counter(r[0] for r in store.db.execute("SELECT id FROM items"))
        assert after == before
        homes = store.db.execute(
            "SELECT i.id, q.merged_into_id FROM items i LEFT JOIN queues q ON q.id = i.queue_id").fetchall()
        assert len(homes) == len(before) and all(merged is None for _, merged in homes)  # each in one live queue
        pairs = store.db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT queue_id || '/' || external_id) FROM items").fetchone()
        assert pairs[0] == pairs[1]


def test_undo_after_a_merge_reopens_the_item_in_the_merged_queue(store):
    from review import admin, decisions, serving, taxonomy

    lee = store.add_user("lee-undo", ["lead"])
    ana = store.add_user("ana-undo", ["moderator"])
    old = store.add_queue("old-undo")
    new = store.add_queue("new-undo")
    store.add_items([{"external_id": "x", "queue_id": old.id, "kind": "text", "received_at": store.now()}])
    lease = serving.claim_next(store, ana, ["old-undo"])
    made = decisions.decide(store, taxonomy.load(), ana, lease.item.id, claim=lease.claim, action="no_violation")
    admin.merge(store, lee, "old-undo", "new-undo")
    decisions.undo(store, ana, made.id)
    assert serving.load_item(store, lease.item.id).queue_id == new.id
    assert "old-undo" not in [h.queue.name for h in store.queue_health()]


# ------------------------------------------- races with a merge of the escalation queue
def _merged_meanwhile(store, monkeypatch):
    """The escalation queue passes the lead's check, then another lead merges it away before the write."""
    store.add_queue("lead escalations", "escalation", priority=8)
    checked = admin._escalation_target

    def check_then_merge(store_, name, queue):
        target = checked(store_, name, queue)
        admin.merge(store_, "lee", "escalations", "lead escalations")
        return target

    monkeypatch.setattr(admin, "_escalation_target", check_then_merge)


def test_an_escalation_queue_merged_meanwhile_is_refused_not_stored(team, monkeypatch):
    _merged_meanwhile(team, monkeypatch)
    admin.set_escalation(team, "lee", "scams", [])
    with pytest.raises(AdminError, match="“escalations” was merged into “lead escalations”"):
        admin.set_escalation(team, "lee", "scams", ["escalations"])
    assert team.queue("scams").escalation_queue_id is None
    with pytest.raises(Refused, match="target_merged"):
        queue_admin.set_escalation(team, "lee", team.queue("scams"), [team.queue("escalations")])


def test_a_new_queue_never_escalates_into_a_queue_merged_meanwhile(team, monkeypatch):
    _merged_meanwhile(team, monkeypatch)
    with pytest.raises(AdminError, match="“escalations” was merged into “lead escalations”"):
        admin.create_queue(team, "lee", "fraud", escalation_queue="escalations")
    assert "fraud" not in [q.name for q in team.queues()]
