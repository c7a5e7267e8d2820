"""The queue counts (``review.store.queue_counts``) equal a full recount after every kind of change, on both stores.

Each test compares the kept counts with a recount of ``items`` (what ``veil
verify`` checks) and the queue health read from them with the same figures
counted the plain way — every pending item of every queue, as
``Store.queue_health`` did before the counts — at moments chosen to fall on
the hour boundaries the counts are bucketed by. Then: ``veil verify`` names a
count that disagrees, and a store made before the counts gets them filled.
"""

from __future__ import annotations

import datetime as _dt
import uuid

from builders import behind_veils_back, decided_item, people, text_items
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit import gold
from desktop import wiring
from review import admin, corrections, decisions, escalations, serving, taxonomy
from review.clock import iso
from review.desk import ReviewDesk
from review.store import QueueHealth, integrity, queue_counts
from review.store.connection import connect
from review.store.schema import migrations as review_migrations

QUEUES = ("spam", "hate")


def _plain_health(store) -> list[QueueHealth]:
    """Every queue's health counted from every pending item: the code before the counts."""
    now = store.clock.now()
    merged = {r[0] for r in store.db.execute("SELECT id FROM queues WHERE merged_into_id IS NOT NULL")}
    escalated_at = ("COALESCE((SELECT d.decided_at FROM escalations e JOIN decisions d ON d.id = e.decision_id"
                    " WHERE e.item_id = items.id AND e.closed_at IS NULL), received_at)")
    result = []
    for queue in (q for q in store.queues() if q.id not in merged):
        soon = now + _dt.timedelta(seconds=queue.sla_seconds / 4)
        since = escalated_at if queue.kind == "escalation" else "received_at"
        waiting, oldest, breached, at_risk = store.db.execute(
            f"SELECT COUNT(*), MIN({since}), COALESCE(SUM(CASE WHEN due_at <= :now THEN 1 ELSE 0 END), 0),"
            " COALESCE(SUM(CASE WHEN due_at > :now AND due_at <= :soon THEN 1 ELSE 0 END), 0)"
            " FROM items WHERE queue_id = :queue AND state = 'pending'",
            {"now": iso(now), "soon": iso(soon), "queue": queue.id}).fetchone()
        result.append(QueueHealth(queue, waiting, oldest, breached, at_risk))
    return result


def _plain_states(store) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    for queue_id, state, n in store.db.execute("SELECT queue_id, state, COUNT(*) FROM items GROUP BY queue_id, state"):
        counts.setdefault(queue_id, {})[state] = n
    return counts


def _exact(store, clock) -> None:
    """The counts equal a recount, and every figure read from them equals the plain one, at several moments."""
    assert list(queue_counts.problems(store.db)) == []
    assert queue_counts.per_state(store) == _plain_states(store)
    for hours in (0, 0.25, 0.75, 6, 24):
        clock.advance(hours * 3600)
        assert store.queue_health() == _plain_health(store)
        clock.advance(-hours * 3600)


def _verify(store) -> tuple[str, ...]:
    return integrity.check(store.db, [review_migrations, *wiring.migration_sets()], escalating={"escalate"}).problems


# ------------------------------------------------------------------ every kind of change, through Veil
def test_counts_stay_exact_through_the_work_of_a_floor(store, clock):
    people(store, ana="moderator", ben="moderator", lee="lead")
    esc = store.add_queue("escalations", "escalation", sla_seconds=3600)
    spam = store.add_queue("spam", sla_seconds=4 * 3600, escalation_queue="escalations")
    hate = store.add_queue("hate", sla_seconds=86_400)
    rules = taxonomy.load()
    desk = ReviewDesk(rules)
    now = clock.now()
    # imports: arrivals over two days, some due at explicit times on the hour boundaries, several priorities
    for n in range(24):
        received = iso(now - _dt.timedelta(hours=n * 2, minutes=n))
        text_items(store, spam if n % 2 else hate, 2, received_at=received, priority=n % 3)
    text_items(store, spam, 3, due_at=iso(now.replace(minute=0, second=0, microsecond=0)))
    text_items(store, hate, 2, due_at=iso(now), received_at=iso(now - _dt.timedelta(hours=1)))
    _exact(store, clock)

    ana = store.user("ana")
    shown = desk.claim(store, ana)  # a claim changes no count
    _exact(store, clock)
    desk.decide(store, ana, shown.item.id, "no_violation", claim=shown.claim)  # decide
    _exact(store, clock)
    lease = serving.claim_next(store, ana, ["spam"])
    made = decisions.decide(store, rules, ana, lease.item.id, claim=lease.claim, action=rules.escalation.id,
                            note="hard case")  # escalate: another queue and due time
    _exact(store, clock)
    taken = escalations.take(store, "lee", lease.item.id)
    escalations.send_back(store, "lee", lease.item.id, "yours", claim=taken.claim)  # back, with its due time
    _exact(store, clock)
    undone = decisions.undo(store, ana, made.id)  # reopened to the person who decided it
    _exact(store, clock)
    decisions.decide(store, rules, ana, undone.item.id, claim=undone.claim, action="no_violation")
    mine = [d for d in corrections.my_decisions(store, "ana") if d.may_ask]
    asked = corrections.request(store, "ana", mine[0].id, "it was spam after all")
    corrections.correct(store, rules, "lee", asked.id, "remove", ["spam"])  # a correction
    _exact(store, clock)
    decided_item(store, "hate", "ben", decided_at=iso(now - _dt.timedelta(hours=3)))  # imported history
    _exact(store, clock)
    gold_item = text_items(store, hate, ["gold-source"])[0]
    gold.add_gold(store, "lee", gold_item, "no_violation")
    gold.plant_gold(store, "lee", gold_item, "spam", copies=2)  # gold copies
    _exact(store, clock)
    admin.move(store, "lee", admin.Selection(queues=("hate",), states=("pending",)), "spam")  # a lead's move
    _exact(store, clock)
    extra = store.add_queue("extra")
    text_items(store, extra, 3)
    admin.merge(store, "lee", "extra", "hate")  # a merge
    _exact(store, clock)
    assert esc.id in {h.queue.id for h in store.queue_health()}


# ------------------------------------------------------------------ any change, behind the API's back
CHANGES = st.lists(st.one_of(
    st.tuples(st.just("add"), st.sampled_from(QUEUES), st.integers(-3, 3), st.floats(-50, 50), st.floats(-3, 30)),
    st.tuples(st.just("state"), st.integers(0, 40), st.sampled_from(("pending", "decided", "removed"))),
    st.tuples(st.just("queue"), st.integers(0, 40), st.sampled_from(QUEUES)),
    st.tuples(st.just("due"), st.integers(0, 40), st.floats(-50, 50)),
    st.tuples(st.just("priority"), st.integers(0, 40), st.integers(-3, 3)),
    st.tuples(st.just("delete"), st.integers(0, 40)),
), min_size=1, max_size=30)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=CHANGES)
def test_counts_equal_a_recount_after_any_change_to_items(store, clock, changes):
    """Routing rules, automation and queue moves all change ``items`` columns: every such change is counted."""
    if not store.queues():
        for name in QUEUES:
            store.add_queue(name, sla_seconds=8 * 3600)
    now = clock.now()
    for change in changes:
        kind, *args = change
        ids = [r[0] for r in store.db.execute("SELECT id FROM items ORDER BY id")]
        target = ids[args[0] % len(ids)] if ids and kind != "add" else None
        with store.transaction() as db:
            if kind == "add":
                queue, priority, received_hours, due_hours = args
                received = now + _dt.timedelta(hours=received_hours)
                text_items(store, queue, [uuid.uuid4().hex], received_at=iso(received), priority=priority,
                           due_at=iso(received + _dt.timedelta(hours=due_hours)))
            elif target is None:
                continue
            elif kind == "state":
                db.execute("UPDATE items SET state = ? WHERE id = ?", [args[1], target])
            elif kind == "queue":
                db.execute("UPDATE items SET queue_id = ? WHERE id = ?", [store.queue(args[1]).id, target])
            elif kind == "due":
                db.execute("UPDATE items SET due_at = ? WHERE id = ?", [iso(now + _dt.timedelta(hours=args[1])),
                                                                         target])
            elif kind == "priority":
                db.execute("UPDATE items SET priority = ? WHERE id = ?", [args[1], target])
            else:
                db.execute("DELETE FROM items WHERE id = ?", [target])
    _exact(store, clock)


def test_health_counts_items_due_exactly_at_the_moment_and_in_its_hour(store, clock):
    """The hour a moment falls in is counted item by item: due at it is breached, a millisecond later at risk."""
    spam = store.add_queue("spam", sla_seconds=4 * 3600)  # at risk: due within the next hour
    now = clock.now()
    at = lambda **delta: iso(now + _dt.timedelta(**delta))  # noqa: E731
    for due in (at(), at(milliseconds=1), at(milliseconds=-1), at(hours=1), at(hours=1, milliseconds=1),
                at(hours=-30), at(days=3)):
        text_items(store, spam, 1, due_at=due, received_at=at(hours=-40))
    [health] = store.queue_health()
    assert (health.waiting, health.breached, health.at_risk) == (7, 3, 2)
    assert health.oldest_received_at == at(hours=-40)
    _exact(store, clock)


# ------------------------------------------------------------------ verify, and stores made before
def test_verify_names_a_count_that_disagrees_with_its_recount(store):
    store.add_queue("spam")
    text_items(store, "spam", 3)
    assert _verify(store) == ()
    with behind_veils_back(store) as db:  # counts edited behind Veil's back (no trigger guards them: they are counts)
        db.execute("UPDATE queue_states SET items = items + 1 WHERE state = 'pending'")
        db.execute("DELETE FROM queue_due_hours")
    assert _verify(store) == (
        "the queue counts queue_states disagree with a recount of the items in 6 row(s) (first: queue_id 1,"
        " state 'pending', due_day '2026-01-02', received_hour '2026-01-01T00', shard 1): something changed them,"
        " or the items, behind Veil's back",  # three items, each in its own shard: three rows held, three due
        "the queue counts queue_due_hours disagree with a recount of the items in 3 row(s) (first: queue_id 1,"
        " due_hour '2026-01-02T00', priority 0, shard 1): something changed them, or the items, behind Veil's back",
    )


def test_a_store_made_before_the_counts_gets_them_filled(tmp_path, clock):
    path = tmp_path / "old.db"
    db = connect(path)
    review_migrations.apply(db, stop_before="m027_queue_counts")
    db.execute("INSERT INTO queues (name, kind, created_at) VALUES ('spam', 'review', 'x')")
    for n, (state, received, due) in enumerate([("pending", "2026-01-04T08:10:00.000Z", "2026-01-05T08:10:00.000Z"),
                                               ("pending", "2026-01-04T08:20:00.000Z", "2026-01-05T08:20:00.000Z"),
                                               ("decided", "2026-01-04T09:00:00.000Z", "2026-01-05T09:00:00.000Z")]):
        db.execute("INSERT INTO items (external_id, queue_id, kind, received_at, due_at, state, created_at)"
                   " VALUES (?, 1, 'text', ?, ?, ?, 'x')", [f"i{n}", received, due, state])
    db.conn.commit()
    db.close()
    with wiring.open_store(path, clock=clock) as upgraded:
        assert list(queue_counts.problems(upgraded.db)) == []
        assert upgraded.db.execute("SELECT state, due_day, received_hour, SUM(items) FROM queue_states"
                                   " GROUP BY state, due_day, received_hour ORDER BY state").fetchall() == [
            ("decided", "", "", 1), ("pending", "2026-01-05", "2026-01-04T08", 2)]
        assert upgraded.db.execute("SELECT due_hour, priority, SUM(items) FROM queue_due_hours"
                                   " GROUP BY due_hour, priority").fetchall() == [
            ("2026-01-05T08", 0, 2)]
        [health] = upgraded.queue_health()
        assert (health.waiting, health.oldest_received_at) == (2, "2026-01-04T08:10:00.000Z")
