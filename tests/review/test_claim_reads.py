"""What a claim and the queue overview read (issue 22 §2): the serving rules once until they change, no item counted.

A claim re-read the person, the queues, the rotation rules, the roster and
the gates on every claim, and asked each queue for its candidate in its own
statement; the queue overview counted every waiting item on every look.
Now a claim reads the rules once and keeps them until a change to them is
counted (``review.store.serving_changes``) — through Veil or behind its back
— and the overview reads the kept counts (``review.store.queue_counts``).
"""

from __future__ import annotations

import re

import pytest
from builders import behind_veils_back, decided_item, people, statements_run, text_items
from test_server_roles import site  # noqa: F401  (the fixture)

from desktop import wiring
from review import admin, decisions, serving, settings, taxonomy
from review.clock import parse_stored
from review.media import viewing
from review.planning import rotation
from review.store import queue_counts
from review.store import roster as roster_rows

RULE_TABLES = re.compile(r"\bFROM (queues|settings|shifts|queue_gates)\b")


def _floor(store):
    people(store, ana="moderator", lee="lead")
    for n in range(4):
        text_items(store, store.add_queue(f"q{n}"), 3)


def _claim_reads(store, who="ana") -> list[str]:
    with statements_run(store) as seen:
        serving.claim_next(store, store.user(who))
    return seen


def test_a_claim_reads_the_serving_rules_once_until_they_change(store):
    _floor(store)
    _claim_reads(store)
    again = _claim_reads(store)
    assert not [s for s in again if RULE_TABLES.search(s)]
    assert len([s for s in again if "FROM items i" in s and "ORDER BY" in s]) == 1  # four queues, one statement
    admin.set_paused(store, "lee", "q0", True)  # a change to the rules: read again, and it holds
    assert [s for s in _claim_reads(store) if RULE_TABLES.search(s)]
    served = {serving.claim_next(store, store.user("ana")).item.queue_name for _ in range(6)}
    assert "q0" not in served


def test_a_change_behind_veils_back_is_counted_too(store):
    _floor(store)
    _claim_reads(store)
    with behind_veils_back(store) as db:
        db.execute("UPDATE users SET roles = 'auditor' WHERE name = 'ana'")
    assert [s for s in _claim_reads(store, "lee") if RULE_TABLES.search(s)]
    with behind_veils_back(store) as db:
        db.execute("UPDATE queues SET paused = 1")
    assert serving.claim_next(store, store.user("lee")) is None


def test_a_rotation_rule_reads_the_persons_work_on_every_claim_and_the_rules_once(store):
    """Issue 22: under a rotation rule every claim re-read the rules, the roster, the gates and the merges as well
    as the person's decisions (five reads inside the claim's lock); only the decisions change with their work."""
    _floor(store)
    severe = store.add_queue("gore", priority=5)  # served first while the rule allows it
    text_items(store, severe, 3)
    rotation.set_rules(store, "lee", severe_queues=["gore"], max_minutes=60, max_days=None)
    assert serving.claim_next(store, store.user("ana")).item.queue_name == "gore"
    again = _claim_reads(store)
    assert not [s for s in again if RULE_TABLES.search(s)]
    assert [s for s in again if re.search(r"\bFROM decisions WHERE user_id", s)]
    # An hour of severe work recorded within the same minute (no rule changed): the next claim counts it.
    decided_item(store, "gore", "ana", decided_at=store.now(), handle_ms=3_600_000)
    assert serving.claim_next(store, store.user("ana")).item.queue_name != "gore"


def test_a_rotation_rule_reads_only_the_decisions_since_the_persons_last_claim(store, monkeypatch):
    """Issue 22: every claim under a rotation rule fetched and parsed the person's last days of decisions (about a
    thousand at a busy desk: half of a claim's CPU). The claim's connection follows them: the next claim reads
    only what was decided since, and still counts it."""
    _floor(store)
    severe = store.add_queue("gore", priority=5)
    text_items(store, severe, 3)
    rotation.set_rules(store, "lee", severe_queues=["gore"], max_minutes=60, max_days=None)
    for minute in range(5):
        decided_item(store, "gore", "ana", decided_at=f"2026-01-05T07:{minute:02d}:00.000Z", handle_ms=60_000)
    assert serving.claim_next(store, store.user("ana")).item.queue_name == "gore"
    parsed = []
    monkeypatch.setattr(roster_rows, "parse_stored", lambda text: parsed.append(text) or parse_stored(text))
    assert serving.claim_next(store, store.user("ana")).item.queue_name == "gore"
    assert parsed == []  # nothing new: nothing read again
    decided_item(store, "gore", "ana", decided_at=store.now(), handle_ms=55 * 60_000)
    assert serving.claim_next(store, store.user("ana")).item.queue_name != "gore"  # 60 minutes: counted
    assert parsed == [store.now()]


def _decision(store, row_id, item_id, user_id, queue_id, decided_at, handle_ms):
    """A decision row with the id given: on a server, ids are taken in one order and committed in another."""
    with store.transaction():
        store.db.execute("INSERT INTO decisions (id, item_id, user_id, queue_id, action, decided_at, handle_ms,"
                         " client_version) VALUES (?, ?, ?, ?, 'no_violation', ?, ?, 'test')",
                         [row_id, item_id, user_id, queue_id, decided_at, handle_ms])


@pytest.mark.server_only  # on a file one writer at a time takes the next id: none commits behind the newest
def test_recent_decisions_catch_one_committed_behind_the_newest_they_hold(store):
    """A decision whose id is below the newest one already read (its transaction took the id first and committed
    later) is not found by id; the window's count, read in the same statement, says one is missing, and the
    window is read whole again: the rows given are always a fresh read's."""
    ana = people(store, ana="moderator")["ana"]
    queue = store.add_queue("gore")
    items = text_items(store, queue, 4)
    since, until = "2026-01-05T00:00:00.000Z", "2026-01-05T12:00:00.000Z"
    _decision(store, 10, items[0], ana.id, queue.id, "2026-01-05T08:00:00.000Z", 1000)
    _decision(store, 30, items[1], ana.id, queue.id, "2026-01-05T08:10:00.000Z", 3000)
    followed = roster_rows.RecentDecisions(ana.id)
    assert [ms for _, _, ms in followed.between(store, since, until)] == [1000, 3000]
    _decision(store, 20, items[2], ana.id, queue.id, "2026-01-05T08:05:00.000Z", 2000)
    _decision(store, 40, items[3], ana.id, queue.id, "2026-01-05T13:00:00.000Z", 4000)  # after *until*: not given
    fresh = roster_rows.RecentDecisions(ana.id).between(store, since, until)
    assert followed.between(store, since, until) == fresh
    assert [ms for _, _, ms in fresh] == [1000, 2000, 3000]
    later = "2026-01-05T08:06:00.000Z"  # the window's start moves on past the first two
    assert [ms for _, _, ms in followed.between(store, later, "2026-01-05T14:00:00.000Z")] == [3000, 4000]


def test_recent_decisions_read_a_window_whose_start_moved_back_whole(store):
    """The rows held are those from the window's start on; a later start drops the first, and an earlier one
    again (a lead lengthening the days rule) must find them, not only the decisions after the newest held."""
    ana = people(store, ana="moderator")["ana"]
    store.add_queue("gore")
    decided_item(store, "gore", "ana", decided_at="2026-01-05T08:00:00.000Z", handle_ms=1000)
    decided_item(store, "gore", "ana", decided_at="2026-01-05T10:00:00.000Z", handle_ms=2000)
    followed = roster_rows.RecentDecisions(ana.id)
    until = "2026-01-05T12:00:00.000Z"
    assert [ms for _, _, ms in followed.between(store, "2026-01-05T09:00:00.000Z", until)] == [2000]
    assert [ms for _, _, ms in followed.between(store, "2026-01-05T07:00:00.000Z", until)] == [1000, 2000]


def test_the_queue_overview_counts_no_waiting_item(store):
    _floor(store)
    with statements_run(store) as seen:
        store.queue_health()
    whole = re.compile(r"COUNT\(\*\).*FROM items WHERE queue_id = \S+ AND state = 'pending'\s*$", re.S)
    assert not [s for s in seen if whole.search(" ".join(s.split()))]
    assert [s for s in seen if "queue_states" in s]


@pytest.mark.server_only
def test_a_person_on_their_own_role_moves_the_counts_and_the_counter(site, clock):  # noqa: F811
    """The counts and the counter are written by whoever changes an item or a rule: a moderator too."""
    with wiring.open_store(site.url("ana"), clock=clock) as ana_store:
        ana = ana_store.user("ana")
        settings.write(ana_store, ana, viewing.PERSONAL_VIEW, {"reduced_detail": True}, user=ana)  # the counter moves
        lease = serving.claim_next(ana_store, ana)
        decisions.decide(ana_store, taxonomy.load(), ana, lease.item.id, claim=lease.claim, action="no_violation")
    assert list(queue_counts.problems(site.store.db)) == []
