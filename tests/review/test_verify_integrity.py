"""What ``verify`` proves from the file alone (issue 11, "History"): each tampering the issue lists is named.

Every test builds a store through the product's own calls, tampers with it
the way the issue's attacker did (through a plain connection, ``sqlite3`` on
a file, autocommit on a server: builders.behind_veils_back; triggers dropped
where needed), and asks :func:`review.store.integrity.check`.
"""

from __future__ import annotations

import sqlite3

import pytest
from builders import behind_veils_back, decided_item, people, text_items, trigger_sql

from desktop import wiring
from review import admin, taxonomy
from review.desk import ReviewDesk
from review.store import events, imports, integrity
from review.store.schema import migrations as review_migrations

SETS = [review_migrations, *wiring.migration_sets()]
ESCALATING = {"escalate"}


def check(store):
    return integrity.check(store.db, SETS, escalating=ESCALATING)


@pytest.fixture
def history(store):
    """Decisions of every kind: made in review, escalated and decided by a lead, undone, recorded from history;
    a role granted by an import, and a queue renamed after decisions were made in it."""
    people(store, ana="moderator", ben="moderator", lee="lead")
    store.add_queue("escalations", "escalation")
    store.add_queue("spam", escalation_queue="escalations")
    text_items(store, "spam", ["p0", "p1", "p2", "p3", "p4"])
    desk = ReviewDesk(taxonomy.load())
    ana, ben, lee = store.user("ana"), store.user("ben"), store.user("lee")
    shown = desk.claim(store, ana)
    desk.decide(store, ana, shown.item.id, "remove", ["spam"], claim=shown.claim)
    shown = desk.claim(store, ana)
    desk.decide(store, ana, shown.item.id, "escalate", note="not sure", claim=shown.claim)
    shown = desk.claim(store, ben)
    undone, _ = desk.decide(store, ben, shown.item.id, "no_violation", claim=shown.claim)
    again = desk.undo(store, ben, undone.id)
    desk.release(store, ben, again.item.id, "break", claim=again.claim)
    shown = desk.claim(store, lee, ["escalations"])
    desk.decide(store, lee, shown.item.id, "no_violation", claim=shown.claim)
    shown = desk.claim(store, ana, exclude=[again.item.id])
    desk.decide(store, ana, shown.item.id, "escalate", note="pending with a lead", claim=shown.claim)
    decided_item(store, "spam", "ben", decided_at="2026-01-04T10:00:00Z", action="remove", labels=["spam"])
    imports.change_roles(store, "ben", ["moderator", "auditor"], added="auditor", actor="lee")
    admin.rename_queue(store, "lee", "spam", "junk")
    return store


def test_an_untouched_store_has_no_problems(history):
    report = check(history)
    assert report.problems == ()
    assert report.ok
    assert report.head == events.head(history.db)
    kinds = {r[0] for r in history.db.execute("SELECT kind FROM events")}
    assert {"decision.made", "decision.recorded", "decision.revoked", "user.roles_changed", "queue.renamed"} <= kinds


def test_a_taxonomy_changed_since_an_escalation_raises_no_false_alarm(history):
    """Each decision.made event says whether it escalated, so the team's taxonomy today does not decide it."""
    assert integrity.check(history.db, SETS, escalating=set()).problems == ()
    assert integrity.check(history.db, SETS, escalating={"escalate", "remove", "no_violation"}).problems == ()


def test_queue_work_gold_and_undo_after_a_merge_leave_no_problems(history):
    """Merges, moves and gold copies change items' queues, never their states: nothing to report."""
    from audit import gold

    history.add_queue("general")
    admin.merge(history, "lee", "junk", "general")
    item = text_items(history, "general", ["g0"])[0]
    gold.add_gold(history, "lee", item, "remove", ["spam"])
    gold.plant_gold(history, "lee", item, "general", copies=2)
    desk = ReviewDesk(taxonomy.load())
    ana = history.user("ana")
    shown = desk.claim(history, ana)
    made, _ = desk.decide(history, ana, shown.item.id, "no_violation", claim=shown.claim)
    desk.undo(history, ana, made.id)
    assert check(history).problems == ()


def test_flipped_decisions_behind_a_dropped_and_recreated_trigger_are_named(history):
    """The issue's 738 remove→no_violation flips: the trigger is back, the chain intact, the rows disagree."""
    trigger = trigger_sql("decisions_no_update")
    with behind_veils_back(history, "decisions_no_update") as conn:
        conn.execute("UPDATE decisions SET action = 'no_violation', labels = '[]' WHERE action = 'remove'")
        conn.execute(trigger)
    problems = check(history).problems
    assert len(problems) == 2, problems
    assert all("disagrees with its event" in p and "action is 'no_violation' but the event says 'remove'" in p
               for p in problems)
    assert "decision.made" in problems[0] and "decision.recorded" in problems[1]


@pytest.mark.parametrize("column, value", [
    ("decided_at", "'2020-01-01T00:00:00.000Z'"), ("handle_ms", "1"), ("shown_at", "'2020-01-01T00:00:00.000Z'"),
    ("revealed_ms", "99"), ("note", "'forged'"),
])
def test_back_dated_or_edited_decisions_are_named(history, column, value):
    """When, how long and what note feed handle time and SLA figures: each is checked against its event."""
    changed = history.db.execute(
        f"SELECT COUNT(*) FROM decisions WHERE {column} IS DISTINCT FROM {value}").fetchone()[0]
    trigger = trigger_sql("decisions_no_update")
    with behind_veils_back(history, "decisions_no_update") as conn:
        conn.execute(f"UPDATE decisions SET {column} = {value}")
        conn.execute(trigger)
    problems, summaries = _apart(check(history).problems)  # the dashboard's counts of decisions then disagree too
    assert summaries == {"decided_at": {"decided_hours", "person_days"},  # queue_days: no handle times here
                         "handle_ms": {"person_days", "queue_days"}}.get(column, set()), summaries
    field = "note_sha256" if column == "note" else column
    assert changed and len(problems) == changed, problems
    assert all("disagrees with its event" in p and f"{field} is" in p for p in problems), problems


def test_decisions_moved_to_another_queue_are_named(history):
    """Per-queue metrics count a decision in its queue: moving rows changes them without a trace in the log."""
    trigger = trigger_sql("decisions_no_update")
    with behind_veils_back(history, "decisions_no_update") as conn:
        conn.execute("UPDATE decisions SET queue_id = (SELECT id FROM queues WHERE name = 'escalations')"
                     " WHERE revokes_id IS NULL AND action <> 'escalate' AND queue_id <> 1")
        conn.execute(trigger)
    problems, summaries = _apart(check(history).problems)
    assert summaries == {"decided_hours"}, summaries  # the counts per queue (queue_days: no handle times here)
    assert len(problems) == 3, problems
    assert all("queue is 'escalations' but the event says 'junk'" in p for p in problems)


def _apart(problems: tuple[str, ...]) -> tuple[list[str], set[str]]:
    """The problems other than the decision summaries', and the names of the summaries that disagree."""
    summaries = {p.split()[2] for p in problems if p.startswith("the summary ") and "disagrees with a recount" in p}
    return [p for p in problems if not p.startswith("the summary ")], summaries


@pytest.mark.parametrize("table", ["decisions", "events"])
def test_a_replace_through_a_plain_connection_is_refused(history, table):
    with behind_veils_back(history) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(f"INSERT OR REPLACE INTO {table} SELECT * FROM {table} WHERE id = 1")
    assert check(history).ok


def test_dropped_triggers_are_named(history):
    with behind_veils_back(history, "events_no_update", "decisions_no_replace"):
        pass
    problems = check(history).problems
    assert any("trigger events_no_update is missing" in p for p in problems), problems
    assert any("trigger decisions_no_replace is missing" in p for p in problems), problems


def test_a_weakened_or_foreign_trigger_is_named(history):
    with behind_veils_back(history, "decisions_no_delete") as conn:
        conn.execute("CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions WHEN OLD.user_id <> 2"
                     " BEGIN SELECT RAISE(ABORT, 'decisions is append-only'); END")
        conn.execute("CREATE TRIGGER helpful AFTER INSERT ON decisions BEGIN SELECT 1; END")
    problems = check(history).problems
    assert any("trigger decisions_no_delete is not as Veil creates it" in p for p in problems), problems
    assert any("trigger helpful is not one Veil creates" in p for p in problems), problems


def test_deleting_the_last_events_and_their_decisions_is_named(history):
    last = history.db.execute("SELECT MAX(id) FROM decisions").fetchone()[0]
    with behind_veils_back(history, "decisions_no_delete", "events_no_delete") as conn:
        conn.execute("DELETE FROM events WHERE id >= (SELECT id FROM events WHERE kind = 'decision.recorded')")
        conn.execute("DELETE FROM decisions WHERE id = ?", [last])
    problems = check(history).problems
    assert any(p.endswith("is decided, but it has no decision") for p in problems), problems
    assert check(history).head.events < events.head(history.db).events + 1


def test_deleting_every_event_and_decision_is_named(history):
    with behind_veils_back(history, "decisions_no_delete", "events_no_delete") as conn:
        conn.execute("DELETE FROM audit_samples")
        conn.execute("DELETE FROM decisions")
        conn.execute("DELETE FROM events")
    report = check(history)
    assert report.head == events.Head(0, events.GENESIS)
    assert any("the event log is empty, yet the store holds" in p for p in report.problems), report.problems
    assert any("has no user.created event" in p for p in report.problems)
    assert any("is decided, but it has no decision" in p for p in report.problems)


def test_an_inserted_decision_without_its_event_is_named(history):
    with behind_veils_back(history) as conn:
        conn.execute("INSERT INTO decisions (item_id, user_id, queue_id, action, labels, decided_at, client_version)"
                     " SELECT item_id, user_id, queue_id, 'remove', '[\"spam\"]', decided_at, client_version"
                     " FROM decisions WHERE id = 1")
    problems = check(history).problems
    assert len(problems) == 1 and "has no event: written behind Veil's back" in problems[0], problems


def test_a_decision_event_without_its_row_is_named(history):
    with behind_veils_back(history, "decisions_no_delete") as conn:
        conn.execute("DELETE FROM decisions WHERE id = (SELECT MAX(id) FROM decisions)")
    problems = check(history).problems
    assert any("which is no longer in the store" in p for p in problems), problems


def test_a_changed_role_is_named(history):
    with behind_veils_back(history) as conn:
        conn.execute("UPDATE users SET roles = 'moderator,lead' WHERE name = 'ana'")
    problems = check(history).problems
    assert list(problems) == [
        "user 'ana' holds the roles lead, moderator, but the events (last: event 1) give moderator"]


def test_a_user_added_behind_veils_back_is_named(history):
    with behind_veils_back(history) as conn:
        conn.execute("INSERT INTO users (name, display_name, roles, created_at) VALUES ('mallory', 'M', 'lead', 'x')")
    assert list(check(history).problems) == [
        "user 'mallory' (lead) has no user.created event: added behind Veil's back"]


def test_decided_items_flipped_back_to_pending_are_named(history):
    with behind_veils_back(history) as conn:
        flipped = conn.execute("UPDATE items SET state = 'pending' WHERE state = 'decided'").rowcount
    problems = check(history).problems
    assert flipped == 3 and len(problems) == 3, problems
    assert all("is pending, but its latest decision" in p and "closed it" in p for p in problems)


def test_an_escalated_or_undone_item_marked_decided_is_named(history):
    escalated = history.db.execute("SELECT id FROM items WHERE external_id = 'p3'").fetchone()[0]
    undone = history.db.execute("SELECT id FROM items WHERE external_id = 'p2'").fetchone()[0]
    with behind_veils_back(history) as conn:
        conn.execute("UPDATE items SET state = 'decided' WHERE id IN (?, ?)", [escalated, undone])
    problems = check(history).problems
    assert len(problems) == 2, problems
    assert any("sent it, pending, to a lead" in p for p in problems)
    assert any("(undo reopens it)" in p for p in problems)


def test_a_recomputed_chain_passes_alone_and_fails_against_an_anchor(history):
    """Back-dating an event and recomputing the chain is consistent in the file: only the anchor catches it."""
    anchor = events.head(history.db)
    trigger = trigger_sql("events_no_update")
    with behind_veils_back(history, "events_no_update") as conn:
        conn.execute("UPDATE events SET at = '2025-01-01T00:00:00.000Z' WHERE id = 2")
        prev = events.GENESIS
        for row in conn.execute("SELECT id, at, actor, kind, subject, payload FROM events ORDER BY id").fetchall():
            digest = events.row_hash(prev, *row)
            conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", [prev, digest, row[0]])
            prev = digest
        conn.execute(trigger)
    assert check(history).ok
    problem = integrity.anchor_problem(history.db, anchor.events, anchor.hash, check(history))
    assert problem is not None and "rewritten" in problem and f"event {anchor.events} now carries" in problem


def test_an_edited_event_without_recomputing_is_named_with_every_break(history):
    with behind_veils_back(history, "events_no_update") as conn:
        conn.execute("UPDATE events SET actor = 'mallory' WHERE id IN (2, 5)")
    problems = [p for p in check(history).problems if "hash chain" in p]
    assert problems == [f"event {n} breaks the hash chain: its content does not match its hash (the row was edited)"
                        for n in (2, 5)]


def test_anchors_hold_through_growth_and_name_truncation(history):
    anchor = events.head(history.db)
    assert integrity.anchor_problem(history.db, anchor.events, anchor.hash, check(history)) is None
    history.add_queue("later")  # growth after the anchor is fine
    assert integrity.anchor_problem(history.db, anchor.events, anchor.hash, check(history)) is None
    assert integrity.anchor_problem(history.db, 0, events.GENESIS, check(history)) is None
    with behind_veils_back(history, "events_no_delete") as conn:
        conn.execute("DELETE FROM events WHERE id >= ?", [anchor.events])
    problem = integrity.anchor_problem(history.db, anchor.events, anchor.hash, check(history))
    assert "truncated" in problem and f"ends at event {anchor.events - 1}" in problem


def test_an_anchor_on_a_deleted_event_names_it(history):
    third = history.db.execute("SELECT hash FROM events WHERE id = 3").fetchone()[0]
    with behind_veils_back(history, "events_no_delete") as conn:
        conn.execute("DELETE FROM events WHERE id = 3")
    problem = integrity.anchor_problem(history.db, 3, third, check(history))
    assert problem == f"anchor 3:{third}: event 3 is missing from the log"


@pytest.mark.parametrize("text", ["12", "x:" + "0" * 64, "3:abc", "3:" + "g" * 64, ""])
def test_a_malformed_anchor_is_refused(text):
    with pytest.raises(ValueError, match="not an anchor"):
        integrity.parse_anchor(text)


def test_many_problems_are_bounded_and_counted(history):
    with behind_veils_back(history) as conn:
        for n in range(integrity.LIMIT + 5):
            conn.execute("INSERT INTO users (name, display_name, roles, created_at) VALUES (?, 'x', 'lead', 'x')",
                         [f"m{n:03d}"])
    problems = check(history).problems
    assert len(problems) == integrity.LIMIT + 1
    assert problems[-1] == "… and 5 more like the above"


def test_values_of_the_wrong_type_are_named_not_a_crash(history):
    """A hostile row (a BLOB where Veil writes text) is a problem in the report, never a traceback."""
    with behind_veils_back(history) as conn:
        conn.execute("INSERT INTO events (id, at, actor, kind, subject, payload, prev_hash, hash)"
                     " SELECT id + 1, 'x', 'mallory', 'user.created', x'41', x'7b7d', hash, 'h' FROM events"
                     " ORDER BY id DESC LIMIT 1")
    problems = check(history).problems
    assert any("not text" in p for p in problems), problems
    assert any("does not say which roles" in p for p in problems), problems
