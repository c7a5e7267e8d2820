"""Rotation rules and the roster as serving honours them: refused queues skipped, said, re-checked under the lock."""

from __future__ import annotations

import datetime as _dt
import random

import pytest
from builders import decided_item, events, people, statements_run, text_item, text_items

from review import admin, decisions, escalations, serving, settings, taxonomy
from review.clock import iso, parse
from review.errors import NotAllowed, StoreConflict
from review.planning import roster, rotation
from review.store import roster as roster_rows
from review.store.connection import in_transaction

HOUR_MS = 3_600_000


@pytest.fixture
def floor(store):
    team = people(store, ana="moderator", ben="moderator", lee="lead")
    gore = store.add_queue("gore", priority=5)  # the most urgent queue: served first when allowed
    spam = store.add_queue("spam")
    text_items(store, gore, 3)
    text_items(store, spam, 3)
    return team


def _severe(store, *names, minutes=120, days=3):
    rotation.set_rules(store, "lee", severe_queues=list(names), max_minutes=minutes, max_days=days)


def test_without_rules_or_roster_serving_is_unchanged(store, floor):
    assert serving.claim_next(store, floor["ana"]).item.queue_name == "gore"
    assert [q.name for q in serving.servable_queues(store, floor["ana"])] == ["gore", "spam"]


def test_serving_refuses_a_severe_queue_after_two_hours_today(store, floor):
    _severe(store, "gore")
    decided_item(store, "gore", "ana", decided_at="2026-01-05T07:00:00.000Z", handle_ms=HOUR_MS)
    assert serving.claim_next(store, floor["ana"]).item.queue_name == "gore"  # one hour: still allowed
    decided_item(store, "gore", "ana", decided_at="2026-01-05T08:00:00.000Z", handle_ms=HOUR_MS)
    lease = serving.claim_next(store, floor["ana"])
    assert lease.item.queue_name == "spam"
    assert [q.name for q in serving.servable_queues(store, floor["ana"])] == ["spam"]
    assert "spent 120 min on severe queues today" in serving.why_not_served(store, floor["ana"], "gore")
    assert serving.claim_next(store, floor["ben"]).item.queue_name == "gore"  # ben's day is his own
    assert serving.claim_next(store, floor["ana"], ["gore"]) is None  # asked by name: nothing, and the page says why


def test_yesterdays_time_does_not_count_but_days_in_a_row_do(store, floor):
    _severe(store, "gore", days=3)
    for day in ("02", "03", "04"):
        decided_item(store, "gore", "ana", decided_at=f"2026-01-{day}T10:00:00.000Z", handle_ms=3 * HOUR_MS)
    assert "3 days in a row" in rotation.serving_refusal(store, floor["ana"], store.queue("gore"),
                                                         store.clock.now())
    assert serving.claim_next(store, floor["ana"]).item.queue_name == "spam"
    _severe(store, "gore", minutes=120, days=None)  # the days rule off: yesterday's three hours do not count today
    assert serving.claim_next(store, floor["ana"]).item.queue_name == "gore"


def test_a_gap_day_breaks_the_run(store, floor):
    _severe(store, "gore", days=2)
    decided_item(store, "gore", "ana", decided_at="2026-01-02T10:00:00.000Z", handle_ms=1000)
    decided_item(store, "gore", "ana", decided_at="2026-01-04T10:00:00.000Z", handle_ms=1000)
    assert rotation.plan(store, floor["ana"], store.clock.now()).work()[1] == 1
    assert rotation.serving_refusal(store, floor["ana"], store.queue("gore"), store.clock.now()) is None


def test_rules_are_a_lead_setting_with_old_and_new_and_a_conflict_check(store, floor):
    before = rotation.rules(store)
    _severe(store, "gore", minutes=90)
    changed = [e for e in events(store, "setting.changed") if e.subject.endswith(":rotation")]
    assert changed and changed[-1].payload["value"]["max_severe_minutes_per_day"] == 90
    with pytest.raises(StoreConflict):
        rotation.set_rules(store, "lee", severe_queues=[], max_minutes=60, max_days=None, expected=before)
    with pytest.raises(settings.SettingError, match="whole number"):
        rotation.set_rules(store, "lee", severe_queues=[], max_minutes=0, max_days=None)
    with pytest.raises(Exception, match="only a lead"):
        rotation.set_rules(store, "ana", severe_queues=[], max_minutes=60, max_days=None)


def test_a_roster_limits_queues_during_a_shift_and_not_outside_it(store, floor, clock):
    roster.add_shift(store, "lee", "ana", "2026-01-05", "08:00", "10:00", ["spam"])
    assert [q.name for q in serving.servable_queues(store, floor["ana"])] == ["spam"]
    assert serving.claim_next(store, floor["ana"]).item.queue_name == "spam"
    assert "Your shift until 10:00 UTC is on “spam”" in serving.why_not_served(store, floor["ana"], "gore")
    assert serving.claim_next(store, floor["ben"]).item.queue_name == "gore"  # no shift: served as before
    clock.advance(3600)  # 10:00: the shift is over, serving is as without a roster
    assert serving.why_not_served(store, floor["ana"], "gore") is None
    assert serving.claim_next(store, floor["ana"]).item.queue_name == "gore"


def test_the_rule_is_rechecked_inside_the_claims_transaction(store, floor, monkeypatch):
    """A rule met between the page's look and the claim holds: the claim asks again under the write lock."""
    _severe(store, "gore")
    assert [q.name for q in serving.servable_queues(store, floor["ana"])] == ["gore", "spam"]  # what the page saw
    asked_in_transaction = []
    real = rotation.plan

    def spy(store_, user, now):
        asked_in_transaction.append(in_transaction(store_.db))
        return real(store_, user, now)

    monkeypatch.setattr(rotation, "plan", spy)
    other = store.second_connection()
    try:  # another process records ana's two hours after the page looked
        decided_item(other, "gore", "ana", decided_at="2026-01-05T08:30:00.000Z", handle_ms=2 * HOUR_MS)
    finally:
        other.close()
    assert serving.claim_next(store, floor["ana"]).item.queue_name == "spam"
    assert asked_in_transaction and all(asked_in_transaction)


def test_the_roster_warns_about_shifts_that_break_a_rule(store, floor):
    _severe(store, "gore", minutes=120, days=2)
    long_one = roster.add_shift(store, "lee", "ana", "2026-01-05", "08:00", "12:00", ["gore"])
    mixed = roster.add_shift(store, "lee", "ben", "2026-01-05", "08:00", "12:00", ["gore", "spam"])
    for day in ("06", "07"):
        roster.add_shift(store, "lee", "ben", f"2026-01-{day}", "08:00", "09:00", ["gore"])
    planned = [s.row for s in roster.shifts(store, "lee", "2026-01-05", "2026-01-07")]
    warnings = rotation.shift_warnings(store, planned)
    assert warnings[long_one.id] == ["4 h 00 on severe queues only; the rule allows 120 min a day"]
    assert mixed.id not in warnings
    third = next(s for s in planned if s.person == "ben" and s.day == "2026-01-07")
    assert warnings[third.id] == ["a severe queue 3 days in a row; the rule allows 2"]
    milder = roster.add_shift(store, "lee", "ben", "2026-01-07", "10:00", "11:00", ["spam"])
    assert milder.id not in rotation.shift_warnings(store, [milder.row])  # the milder queue the rule asks for


# ------------------------------------------------ review findings (each failed before its fix)
def test_a_night_shift_counts_its_severe_minutes_across_midnight(store, floor, clock):
    """Finding 1: the limit reset at UTC midnight, so a 22:00–06:00 shift got 120 min before it and 120 after."""
    _severe(store, "gore")
    roster.add_shift(store, "lee", "ana", "2026-01-05", "22:00", "24:00", ["gore", "spam"])
    roster.add_shift(store, "lee", "ana", "2026-01-06", "00:00", "06:00", ["gore", "spam"])
    decided_item(store, "gore", "ana", decided_at="2026-01-05T23:50:00.000Z", handle_ms=2 * HOUR_MS)
    clock.advance(15.5 * 3600)  # 2026-01-06 00:30, the same shift
    assert serving.claim_next(store, floor["ana"]).item.queue_name == "spam"
    assert "spent 120 min on severe queues" in serving.why_not_served(store, floor["ana"], "gore")


def test_three_nights_in_a_row_are_three_days_not_four(store, floor, clock):
    """Finding 1: days in a row counted UTC dates, so the third night, past midnight, read as a fourth day."""
    _severe(store, "gore", minutes=None, days=3)
    for night in ("2026-01-05T23:00", "2026-01-06T01:00", "2026-01-06T23:00", "2026-01-07T01:00",
                  "2026-01-07T23:00"):
        decided_item(store, "gore", "ana", decided_at=f"{night}:00.000Z", handle_ms=60_000)
    clock.advance(63.5 * 3600)  # 2026-01-08 00:30, inside the third night
    assert rotation.serving_refusal(store, floor["ana"], store.queue("gore"), clock.now()) is None
    clock.advance(21 * 3600)  # 21:30, a fourth night would start: now the rule holds
    assert "3 days in a row" in rotation.serving_refusal(store, floor["ana"], store.queue("gore"), clock.now())


def test_a_shift_whose_queues_serve_nothing_does_not_lock_the_person_out(store, floor):
    """Finding 2: a shift on a paused queue left nothing servable while other queues held items."""
    roster.add_shift(store, "lee", "ana", "2026-01-05", "08:00", "10:00", ["gore"])
    admin.set_paused(store, "lee", "gore", True)
    assert [q.name for q in serving.servable_queues(store, floor["ana"])] == ["spam"]
    assert serving.claim_next(store, floor["ana"]).item.queue_name == "spam"


def test_a_severe_only_shift_past_its_limit_serves_a_milder_queue(store, floor):
    """Finding 2: "then a milder queue" — the rotation rule still applies outside the shift's queues."""
    _severe(store, "gore")
    roster.add_shift(store, "lee", "ana", "2026-01-05", "08:00", "10:00", ["gore"])
    decided_item(store, "gore", "ana", decided_at="2026-01-05T08:30:00.000Z", handle_ms=2 * HOUR_MS)
    assert serving.claim_next(store, floor["ana"]).item.queue_name == "spam"
    assert "you are served outside your shift" in serving.why_not_served(store, floor["ana"], "gore")


def test_a_claim_without_roster_or_rules_costs_at_most_two_more_statements(store, floor, monkeypatch):
    """Finding 4: every queue asked the roster and the rules again (28 statements per claim became 52)."""
    for n in range(6):
        text_items(store, store.add_queue(f"q{n}"), 1)

    def statements() -> int:
        with statements_run(store) as seen:
            serving.claim_next(store, floor["ben"])
        return len(seen)

    statements()  # the first claim reads what later ones keep (review.store.serving_changes): compare later ones
    planned = statements()
    monkeypatch.setattr(serving, "planned", lambda store_, user: lambda queues, now, every, kept=None: queues)
    assert planned <= statements() + 3  # the roster, the rules and (issue 17) the certification gates: one read each


def test_a_claim_during_a_shift_reads_no_queue_name(store, floor):
    """Found in session 13: each queue the shift left out had its refusal written, naming the shift's queues with
    a read each, on every claim (three reads inside the demo's claim transaction; on a server, round trips with
    the claim's lock held). Only :func:`serving.why_not_served` says why."""
    for n in range(4):
        text_items(store, store.add_queue(f"q{n}"), 1)
    roster.add_shift(store, "lee", "ana", "2026-01-05", "08:00", "10:00", ["spam", "q0"])
    serving.claim_next(store, floor["ana"])  # the first claim reads what later ones keep
    with statements_run(store) as seen:
        claimed = serving.claim_next(store, floor["ana"])
    assert claimed.item.queue_name in ("spam", "q0")
    assert not [sql for sql in seen if "FROM queues WHERE id" in " ".join(sql.split())], seen


def test_taking_a_severe_escalation_honours_the_rotation_rule(store, floor):
    """Finding 5: the escalation workbench leased items without asking the roster or the rules."""
    store.add_queue("threats", "escalation")
    _severe(store, "threats")
    waiting = text_item(store, "threats")
    decided_item(store, "threats", "lee", decided_at="2026-01-05T08:30:00.000Z", handle_ms=2 * HOUR_MS)
    with pytest.raises(NotAllowed, match="spent 120 min on severe queues"):
        escalations.take(store, "lee", waiting)
    assert not events(store, "item.claimed")


def test_undo_does_not_reopen_a_severe_item_past_the_rule(store, floor, clock):
    """Finding 5: undo's reopening claim leased a severe item the rule no longer allowed."""
    _severe(store, "gore")
    decided_item(store, "gore", "ana", decided_at="2026-01-05T08:00:00.000Z", handle_ms=HOUR_MS)
    lease = serving.claim_next(store, floor["ana"])
    assert lease.item.queue_name == "gore"
    shown_at = iso(clock.now())
    clock.advance(3600)  # an hour on it: two hours on severe queues today
    made = decisions.decide(store, taxonomy.load(), floor["ana"], lease.item.id, claim=lease.claim,
                            action="no_violation", shown_at=shown_at)
    with pytest.raises(NotAllowed, match="spent 120 min on severe queues"):
        decisions.undo(store, floor["ana"], made.id)


def _work_counted_again(store, user, now, shift_start, severe, days):
    """What the rules count, worked out the plain way from every decision in the window (the oracle for
    :func:`test_the_running_tally_gives_what_counting_every_decision_again_gives`)."""
    found = store.db.execute(
        "SELECT decided_at, queue_id, COALESCE(handle_ms, 0) FROM decisions WHERE user_id = ? AND decided_at"
        " BETWEEN ? AND ? AND revokes_id IS NULL ORDER BY decided_at, id",
        [user.id, iso(now - _dt.timedelta(days=days + 2)), iso(now)]).fetchall()
    decided = [(parse(at), queue_id, ms) for at, queue_id, ms in found]
    idle = _dt.timedelta(hours=rotation.IDLE_HOURS)
    stretches, last = [], None
    for at, queue_id, ms in decided:
        if last is None or at - last >= idle:
            stretches.append([at - _dt.timedelta(milliseconds=ms), False])
        stretches[-1][1] |= queue_id in severe
        last = at
    current = stretches[-1][0] if stretches and now - last < idle else None
    began = shift_start or current or now
    minutes = sum(ms for at, queue_id, ms in decided if at >= began and queue_id in severe) // 60_000
    held_days = {start.date() for start, held in stretches if held and start.date() < began.date()}
    streak = 0
    while began.date() - _dt.timedelta(days=streak + 1) in held_days:
        streak += 1
    return minutes, streak, shift_start is not None


def test_the_running_tally_gives_what_counting_every_decision_again_gives(store, floor, clock):
    """Issue 22: a claim's connection keeps running sums of the person's last days of decisions and brings them
    up to date at the next claim. Whatever happens in between — decisions after the newest, one decided earlier
    than the newest, another person's, the window's start moving on, a long gap, a shift, the severe queues
    changing — its answer
    is the one counting every decision again gives."""
    rng = random.Random(22)
    ana, queues = floor["ana"], ["gore", "spam"]
    kept = roster_rows.RecentDecisions(ana.id)
    severe_sets = [["gore"], ["gore", "spam"], ["spam"]]
    for step in range(160):
        if step % 40 == 0:
            _severe(store, *severe_sets[step // 40 % 3], days=2)
        now = clock.now()
        roll = rng.random()
        if roll < 0.6:  # ana's, or someone else's the follower must leave out
            decided_item(store, rng.choice(queues), "ana" if roll < 0.5 else "ben", decided_at=iso(now),
                         handle_ms=rng.randint(0, 20 * 60_000))
        elif roll < 0.7:  # decided earlier than the newest held (an import, a server's late commit)
            decided_item(store, rng.choice(queues), "ana", handle_ms=rng.randint(0, 600_000),
                         decided_at=iso(now - _dt.timedelta(minutes=rng.randint(1, 600))))
        else:
            clock.advance(rng.choice([60, 600, 3600, 8 * 3600, 9 * 3600]))  # 8 h: a stretch ends just so
        now = clock.now()
        shift_start = now - _dt.timedelta(hours=rng.randint(0, 9)) if rng.random() < 0.3 else None
        plans = [rotation.plan(store, ana, now) for _ in range(2)]
        plans[0].recent = kept  # the other reads afresh
        for found in plans:
            found.shift_start = shift_start
        rules = rotation.rules(store)
        expected = _work_counted_again(store, ana, now, shift_start, rotation.severe_ids(store, rules),
                                       rules.max_days)
        assert [found.work() for found in plans] == [expected, expected], step
    assert kept.first > 0  # the window's start moved on: rows left the front of the tally
