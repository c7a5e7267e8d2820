"""The decision summaries (``review.store.summaries``) equal a full recount, whatever happens, on both stores.

A random mix of live decisions, undos, corrections, imported history (some
of it dated after now) and audits, with the clock moving between them; after
each mix the summaries must equal a recount of ``decisions`` (what ``veil
verify`` checks) and every dashboard figure built from them must equal the
same figure counted the plain way, from every decision row of the window
(the code before the summaries, with handle times taken to the precision
the page shows). Then: ``veil verify`` names a summary row that disagrees,
and a store made before the summaries gets them filled by the migration.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter, defaultdict

from builders import audited, decided_item, people, text_item
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.store.schema import ANSWERED
from desktop import wiring
from review import corrections, dashboard, decisions, serving, taxonomy
from review.clock import iso
from review.store import integrity, summaries
from review.store.connection import connect
from review.store.schema import migrations as review_migrations

QUEUES = ("spam", "hate")
MODERATORS = ("ana", "ben")
HANDLES = st.one_of(st.none(), st.integers(0, 20_000), st.sampled_from([49, 50, 9_949, 9_950, 10_499, 10_500]),
                    st.integers(20_000, 400_000))
STEPS = st.one_of(
    st.tuples(st.just("live"), st.sampled_from(MODERATORS), st.sampled_from(QUEUES), st.integers(0, 90_000),
              st.booleans()),
    st.tuples(st.just("import"), st.sampled_from(MODERATORS), st.sampled_from(QUEUES), HANDLES,
              st.floats(-9 * 24, 3)),  # hours from now: from before the week to after now
    st.tuples(st.just("correct"), st.sampled_from(MODERATORS)),
    st.tuples(st.just("audit"), st.integers(0, 10_000)),
    st.tuples(st.just("clock"), st.floats(0, 30)),  # hours
)


def _plain_figures(store, board):
    """The dashboard's decision figures counted from every decision row, as ``review.dashboard`` did before."""
    now = store.clock.now()
    now_text, today = iso(now), iso(now)[:10]
    week_start = iso(now - _dt.timedelta(days=dashboard.WEEK_DAYS))
    hours = {iso(s)[:13]: n for n, s in enumerate(dashboard.hour_starts(now))}
    decided: dict[int, list[int]] = defaultdict(lambda: [0] * dashboard.HOURS)
    week, today_counts, rows = Counter(), Counter(), Counter()
    by_queue, by_user = defaultdict(Counter), defaultdict(Counter)
    for queue_id, user_id, decided_at, handle_ms, revokes_id in store.db.execute(
            "SELECT queue_id, user_id, decided_at, handle_ms, revokes_id FROM decisions ORDER BY id"):
        sign = 1 if revokes_id is None else -1
        if decided_at[:13] in hours:  # the hour in progress counts all its rows, an imported future one too
            decided[queue_id][hours[decided_at[:13]]] += sign
        if not week_start <= decided_at <= now_text:
            continue
        week[user_id] += sign
        rows[user_id] += 1
        if decided_at >= today:
            today_counts[user_id] += sign
        if revokes_id is None and handle_ms is not None:
            kept = (handle_ms + 50) // 100 * 100 if handle_ms < 9_950 else (handle_ms + 500) // 1000 * 1000
            by_queue[queue_id][kept] += 1
            by_user[user_id][kept] += 1

    def handle(counts):
        ordered = sorted(counts.elements())
        return dashboard.HandleTime(len(ordered), dashboard.percentile(ordered, 50), dashboard.percentile(ordered, 90))

    assert {q.queue.id: (q.decided, q.handle) for q in board.queues} == {
        q.queue.id: (tuple(decided[q.queue.id]), handle(by_queue[q.queue.id])) for q in board.queues}
    assert {p.user.id: (p.decided_today, p.decided_week, p.handle) for p in board.people} == {
        p.user.id: (today_counts[p.user.id], week[p.user.id], handle(by_user[p.user.id])) for p in board.people}
    assert {u.id for u in store.users() if rows[u.id]} <= {p.user.id for p in board.people}


def _step(store, clock, step, rules):
    kind, *args = step
    if kind == "live":
        who, queue, handle_ms, undo = args
        text_item(store, queue, text="a harmless post")
        user = store.user(who)
        lease = serving.claim_next(store, user, [queue])
        if lease is None:
            return
        shown_at = iso(clock.now())
        clock.advance(handle_ms / 1000)
        made = decisions.decide(store, rules, user, lease.item.id, claim=lease.claim, action="no_violation",
                                shown_at=shown_at)
        if undo:
            decisions.undo(store, user, made.id)  # the item is theirs again: their next claim serves it
    elif kind == "import":
        who, queue, handle_ms, hours = args
        decided_at = iso(clock.now() + _dt.timedelta(hours=hours))
        decided_item(store, queue, who, decided_at=decided_at, handle_ms=handle_ms, text="history")
    elif kind == "correct":
        (who,) = args
        mine = [d for d in corrections.my_decisions(store, who) if d.may_ask and d.action == "no_violation"]
        if mine:
            asked = corrections.request(store, who, mine[0].id, "it was spam after all")
            corrections.correct(store, rules, "lee", asked.id, "remove", ["spam"])
    elif kind == "audit":
        (pick,) = args
        open_ones = [d for (d,) in store.db.execute(
            f"SELECT d.id FROM decisions d JOIN items i ON i.id = d.item_id WHERE {ANSWERED} AND d.user_id <> ?"
            " AND i.state = 'decided' AND NOT EXISTS (SELECT 1 FROM audit_samples s WHERE s.decision_id = d.id)"
            " ORDER BY d.id",
            [store.user("dana").id])]
        if open_ones:
            audited(store, open_ones[pick % len(open_ones)], lead="lee", auditor="dana", blind_action="no_violation")
    else:
        clock.advance(args[0] * 3600)


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEPS, min_size=1, max_size=25))
def test_summaries_equal_a_recount_after_any_mix(store, clock, steps):
    if not store.users():
        people(store, ana="moderator", ben="moderator", lee="lead", dana="auditor")
        for queue in QUEUES:
            store.add_queue(queue)
    rules = taxonomy.load()
    for step in steps:
        _step(store, clock, step, rules)
    assert list(summaries.problems(store.db)) == []
    _plain_figures(store, dashboard.compute(store, "lee"))


def _verify(store) -> tuple[str, ...]:
    return integrity.check(store.db, [review_migrations, *wiring.migration_sets()], escalating={"escalate"}).problems


def test_verify_names_a_summary_that_disagrees_with_its_recount(store):
    people(store, ana="moderator", lee="lead")
    store.add_queue("spam")
    decided_item(store, "spam", "ana", decided_at="2026-01-04T08:00:00.000Z", handle_ms=12_340)
    assert _verify(store) == ()
    with store.transaction() as db:  # a summary edited behind Veil's back (no trigger guards them: they are counts)
        db.execute("UPDATE person_days SET decisions = decisions + 1 WHERE handle_ms = 12000")
        db.execute("DELETE FROM queue_days")
    assert _verify(store) == (
        "the summary person_days disagrees with a recount of the decisions in 2 row(s) (first: day 2026-01-04,"
        " user_id 1, handle_ms 12000): something changed it, or the decisions, behind Veil's back",
        "the summary queue_days disagrees with a recount of the decisions in 1 row(s) (first: day 2026-01-04,"
        " queue_id 1, handle_ms 12000, user_id 1): something changed it, or the decisions, behind Veil's back",
    )


def test_a_store_made_before_the_summaries_gets_them_filled(tmp_path, clock):
    path = tmp_path / "old.db"
    db = connect(path)
    review_migrations.apply(db, stop_before="m022_decision_summaries")
    db.execute("INSERT INTO users (name, display_name, roles, created_at) VALUES ('ana', 'Ana', 'moderator', 'x'),"
               " ('lee', 'Lee', 'lead', 'x')")
    db.execute("INSERT INTO queues (name, kind, created_at) VALUES ('spam', 'review', 'x')")
    for n, (decided_at, handle_ms, revokes) in enumerate([("2026-01-05T08:10:00.000Z", 8_449, None),
                                                          ("2026-01-05T08:20:00.000Z", 31_600, None),
                                                          ("2026-01-05T08:30:00.000Z", None, 2),
                                                          ("2026-01-04T23:59:59.999Z", None, None)], start=1):
        db.execute("INSERT INTO items (external_id, queue_id, kind, received_at, due_at, created_at)"
                   " VALUES (?, 1, 'text', 'x', 'x', 'x')", [f"i{n}"])
        db.execute("INSERT INTO decisions (item_id, user_id, queue_id, action, decided_at, handle_ms, client_version,"
                   " revokes_id) VALUES (?, 1, 1, 'no_violation', ?, ?, 'old', ?)", [n, decided_at, handle_ms, revokes])
    db.conn.commit()
    db.close()
    with wiring.open_store(path, clock=clock) as upgraded:
        assert list(summaries.problems(upgraded.db)) == []
        assert upgraded.db.execute("SELECT hour, decisions, revocations FROM decided_hours ORDER BY hour").fetchall() \
            == [("2026-01-04T23", 1, 0), ("2026-01-05T08", 2, 1)]
        assert upgraded.db.execute("SELECT handle_ms, decisions FROM queue_days ORDER BY handle_ms").fetchall() \
            == [(8_400, 1), (32_000, 1)]
        (ana,) = [p for p in dashboard.compute(upgraded, "lee").people if p.user.name == "ana"]
        assert (ana.decided_today, ana.decided_week) == (1, 2)
        assert ana.handle == dashboard.HandleTime(2, 20_200.0, 29_640.0)
