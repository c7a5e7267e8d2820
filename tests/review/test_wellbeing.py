"""Wellbeing domain under a fake clock: policy, the break coach, budgets, serving, check-ins, the lead's view."""

from __future__ import annotations

import dataclasses
import json
import re

import builders
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.devclock import ScaledClock, clock_from_env
from review import serving
from review.clock import FakeClock
from review.errors import StoreBusy
from review.media import viewing
from review.media.viewing import ViewSettings
from review.store import events
from review.store import wellbeing as wellbeing_store
from review.wellbeing import exposure
from review.wellbeing.budget import lift_budget, serving_rule
from review.wellbeing.checkins import checkins_of, record_checkin, team_checkins
from review.wellbeing.coach import BreakCoach
from review.wellbeing.durations import format_duration
from review.wellbeing.lead_view import person_exposure, team_exposure
from review.wellbeing.meter import MeterState
from review.wellbeing.notices import Notice
from review.wellbeing.policy import WellbeingPolicy, load_policy, save_policy
from review.wellbeing.session import WellbeingSession

MIN = 60_000


# ------------------------------------------------------------------ helpers
@pytest.fixture
def people(store):
    return tuple(builders.people(store, lee="lead", ana="moderator", bo="moderator").values())


@pytest.fixture
def items(store):
    """A queue with 40 severe and 40 low items; returns {severity: [item ids]}."""
    queue = store.add_queue("q")
    rows = [{"external_id": f"{sev}{n}", "queue_id": queue.id, "kind": "text", "severity": sev,
             "received_at": f"2026-01-05T08:{n:02d}:00.000Z", "priority": 1 if sev == "severe" else 0}
            for sev in ("severe", "low") for n in range(40)]
    store.add_items(rows)
    ids: dict[str, list[int]] = {"severe": [], "low": []}
    for item_id, sev in store.db.execute("SELECT id, severity FROM items ORDER BY id"):
        ids[sev].append(item_id)
    return ids


class Page:
    """What the review page does, minus Qt: tracker + ledger + session, with a person who keeps pressing keys."""

    def __init__(self, store, clock, user, policy=None):
        self.store, self.clock, self.user = store, clock, user
        self.tracker = exposure.ExposureTracker(clock)
        self.session = WellbeingSession(store, user, policy)
        self.notices: list[Notice] = []

    def show(self, item_id, severity):
        self.tracker.start(item_id, severity=severity)
        self.notices += self.session.item_shown(severity)

    def work(self, seconds, step=30, *, active=True):
        """Time passes in *step*-second ticks; the person gives input each tick if *active*."""
        left = seconds
        while left > 0:
            dt = min(step, left)
            self.clock.advance(dt)
            left -= dt
            if active:
                self.notices += self.session.activity()
            self.notices += self.session.update()

    def finish(self):
        record = self.tracker.finish()
        self.notices += self.session.item_left(record)
        return record

    def item(self, item_id, severity, seconds, step=30):
        self.show(item_id, severity)
        self.work(seconds, step)
        return self.finish()

    def kinds(self):
        return [n.kind for n in self.notices]


def ledger(store, user):
    return [(e.kind, e.details) for e in wellbeing_store.events(store, day=store.now()[:10], user_id=user.id)]


# ------------------------------------------------------------------- policy
def test_policy_defaults_are_the_documented_ones():
    p = WellbeingPolicy()
    assert (p.micro_break_after_min, p.micro_break_min, p.banner_to_dialog_min, p.snooze_min,
            p.max_snoozes) == (50, 3, 5, 5, 2)
    assert (p.severe_break_after_min, p.severe_break_min, p.severe_budget_min,
            p.budget_warning_pct) == (60, 10, 240, 75)
    assert (p.severe_in_a_row, p.idle_pause_min, p.checkin_min_people) == (5, 5, 5)


@pytest.mark.parametrize("bad", [
    {"micro_break_min": 1}, {"micro_break_min": 6}, {"max_snoozes": 3}, {"severe_in_a_row": 2.5},
    {"severe_budget_min": True}, {"budget_warning_pct": float("nan")}, {"checkin_min_people": 4},
    {"idle_pause_min": "5"}, {"micro_break_min": 5, "severe_break_min": 5, "micro_break_after_min": 10},
])
def test_policy_refuses_values_outside_the_allowed_ranges(bad):
    with pytest.raises(ValueError):
        WellbeingPolicy(**bad)


def test_a_lead_sets_the_policy_others_cannot(store, people):
    lee, ana, _ = people
    assert load_policy(store) == WellbeingPolicy()
    save_policy(store, lee, WellbeingPolicy(micro_break_min=5, severe_budget_min=180))
    assert load_policy(store).severe_budget_min == 180
    with pytest.raises(PermissionError, match="ana is not a lead"):
        save_policy(store, ana, WellbeingPolicy())
    store.set_setting("wellbeing", {"micro_break_min": 4, "from_a_newer_veil": 1})
    assert load_policy(store).micro_break_min == 4


# -------------------------------------------------------------- the coach
def test_coach_escalates_banner_dialog_snoozes_then_enforces():
    coach = BreakCoach(WellbeingPolicy())
    assert coach.elapse(50 * MIN - 1, reviewing=True) == []
    [banner] = coach.elapse(1, reviewing=True)
    assert (banner.kind, coach.stage, banner.details["episode"]) == ("prompted_banner", "banner", True)
    [dialog] = coach.elapse(5 * MIN, reviewing=True)
    assert (dialog.kind, coach.stage, coach.snoozes_left) == ("prompted_dialog", "dialog", 2)
    assert coach.snooze().kind == "snoozed" and coach.stage == "snoozed"
    assert coach.snooze() is None  # nothing to snooze while snoozed
    assert [c.kind for c in coach.elapse(5 * MIN, reviewing=True)] == ["prompted_dialog"]
    assert coach.snooze().details["snoozes_left"] == 0  # the second and last
    [again] = coach.elapse(5 * MIN, reviewing=True)
    assert again.details == {**again.details, "snoozes_left": 0, "after_snooze": True}
    assert coach.snooze() is None  # the third snooze is refused
    coach.acknowledge()
    assert coach.stage == "last_call" and coach.item_boundary()[0].kind == "break_enforced"
    assert coach.stage == "enforced" and coach.break_left_ms == 3 * MIN
    assert coach.elapse(3 * MIN - 1, reviewing=True) == []  # reviewing is ignored on a break; it cannot end early
    [taken] = coach.elapse(1, reviewing=False)
    assert taken.kind == "break_taken" and taken.details["enforced"] is True
    assert (coach.stage, coach.since_break_ms) == ("none", 0)


def test_enforced_break_after_the_grace_when_the_item_never_ends():
    coach = BreakCoach(WellbeingPolicy(max_snoozes=0))
    changes = coach.elapse(55 * MIN + 120_000, reviewing=True)
    assert [c.kind for c in changes] == ["prompted_banner", "prompted_dialog", "break_enforced"]
    assert changes[-1].details["why"] == "grace"


def test_an_hour_of_severe_content_brings_the_long_break_with_the_cooldown():
    coach = BreakCoach(WellbeingPolicy(micro_break_after_min=120))
    for _ in range(12):
        coach.elapse(5 * MIN, reviewing=True, severe=True)
        coach.note_item(True)
    assert coach.stage == "dialog" and coach.reason == "severe" and coach.snoozes_left == 0
    assert coach.snooze() is None
    [enforced] = coach.item_boundary()
    assert enforced.details["minutes"] == 10 and enforced.details["cooldown"] is True
    coach.elapse(10 * MIN, reviewing=False)
    assert (coach.severe_ms, coach.severe_items, coach.stage) == (0, 0, "none")


def test_a_short_break_resets_review_time_but_not_severe_time():
    coach = BreakCoach(WellbeingPolicy())
    coach.elapse(50 * MIN, reviewing=True, severe=True)
    assert coach.take_break().details["minutes"] == 3
    coach.elapse(3 * MIN, reviewing=False)
    assert (coach.since_break_ms, coach.severe_ms) == (0, 50 * MIN)
    [severe] = coach.elapse(10 * MIN, reviewing=True, severe=True)
    assert severe.details["reason"] == "severe"


def test_being_away_for_a_break_length_counts_as_the_break():
    coach = BreakCoach(WellbeingPolicy())
    coach.elapse(51 * MIN, reviewing=True)
    assert coach.stage == "banner"
    [natural] = coach.elapse(3 * MIN, reviewing=False)
    assert natural.kind == "break_taken" and natural.details["natural"] and natural.details["prompted"]
    assert coach.stage == "none" and coach.elapse(10 * MIN, reviewing=False) == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 40 * MIN), st.booleans(), st.booleans(),
                          st.sampled_from(["", "snooze", "take", "ack", "boundary"])), min_size=1, max_size=15),
       st.integers(1, 9), st.integers(0, 2), st.integers(0, 600))
def test_the_coach_is_exact_however_time_is_sliced(script, pieces, snoozes, grace):
    """One slice of an hour or many small ones: the same changes, in the same order, and the same state."""
    policy = WellbeingPolicy(max_snoozes=snoozes, enforce_grace_s=grace)
    whole, sliced = BreakCoach(policy), BreakCoach(policy)
    a, b = [], []
    for ms, reviewing, severe, action in script:
        a += whole.elapse(ms, reviewing=reviewing, severe=severe)
        cut = [ms * i // pieces for i in range(pieces + 1)]
        for lo, hi in zip(cut, cut[1:]):
            b += sliced.elapse(hi - lo, reviewing=reviewing, severe=severe)
        for coach, out in ((whole, a), (sliced, b)):
            if action == "snooze":
                out += [c for c in [coach.snooze()] if c]
            elif action == "take":
                out += [c for c in [coach.take_break()] if c]
            elif action == "ack":
                coach.acknowledge()
            elif action == "boundary":
                out += coach.item_boundary()
    assert a == b
    assert vars(whole) == vars(sliced)


# --------------------------------------------------- session and ledger
def test_the_ledger_and_the_coach_agree_to_the_millisecond(store, clock, people, items):
    _, ana, _ = people
    page = Page(store, clock, ana)
    page.item(items["severe"][0], "severe", 95)
    page.show(items["low"][0], "low")
    page.tracker.set_reveal("whole")
    page.work(12, step=4)
    page.tracker.set_reveal(None)
    page.session.set_window_active(False)
    page.tracker.set_active(False)
    clock.advance(40)  # minimised: nobody exposed, not review time
    page.session.set_window_active(True)
    page.tracker.set_active(True)
    page.work(20)
    page.finish()
    page.item(items["severe"][1], "severe", 33.5, step=7)
    on_screen, severe, revealed = store.db.execute(
        "SELECT SUM(blurred_ms + revealed_ms + region_ms),"
        " SUM(CASE WHEN severity = 'severe' THEN blurred_ms + revealed_ms + region_ms ELSE 0 END),"
        " SUM(revealed_ms + region_ms) FROM exposure WHERE user_id = ?", [ana.id]).fetchone()
    assert (on_screen, severe, revealed) == (160_500, 128_500, 12_000)
    assert page.session.coach.since_break_ms == on_screen
    assert page.session.coach.severe_ms == severe == page.session.severe_today_ms()
    meter = page.session.meter()
    assert (meter.revealed_ms, meter.severe_ms, meter.since_break_ms) == (12_000, 128_500, 160_500)
    assert meter.text() == "Revealed today 0 min · Severe 2 min / 4 h · Since break 2 min"


def test_each_prompt_stage_is_an_event_and_in_the_hash_chained_log(store, clock, people, items):
    _, ana, _ = people
    page = Page(store, clock, ana)
    page.show(items["low"][0], "low")
    page.work(50 * 60)
    assert page.kinds() == ["banner"] and "Take a 3-minute break" in page.notices[0].text
    page.work(5 * 60)
    assert page.kinds() == ["banner", "dialog"] and page.notices[-1].snoozes_left == 2
    for left in (1, 0):
        accepted, _ = page.session.snooze()
        assert accepted
        page.work(5 * 60)
        assert page.notices[-1].kind == "dialog" and page.notices[-1].snoozes_left == left
    assert page.session.snooze() == (False, [])  # third snooze refused
    assert "starts when you finish this item (in 2 min at the latest)" in page.notices[-1].text
    page.session.acknowledge()
    assert page.session.may_claim() is False
    page.finish()
    assert page.notices[-1] == Notice("enforce_break", "Step away from the screen if you can: stand up, look at "
                                      "something far away, breathe out slowly.", seconds=180, cooldown=False)
    assert page.session.on_break and page.session.break_remaining_s() == 180
    page.work(170, step=10, active=False)
    assert page.session.on_break and page.session.break_remaining_s() == 10
    page.work(10, active=False)
    assert page.notices[-1].kind == "break_over" and page.session.may_claim()
    kinds = [k for k, _ in ledger(store, ana)]
    assert kinds == ["prompted_banner", "prompted_dialog", "snoozed", "prompted_dialog", "snoozed", "prompted_dialog",
                     "break_enforced", "break_taken"]
    logged = [r[0] for r in store.db.execute("SELECT kind FROM events WHERE kind LIKE 'wellbeing.%' ORDER BY id")]
    assert logged == [f"wellbeing.{k}" for k in kinds]
    assert events.verify_chain(store.db)[1] is None
    with pytest.raises(Exception, match="append-only"):
        store.db.execute("DELETE FROM wellbeing_events")


def test_a_break_taken_by_choice_resets_the_counters(store, clock, people, items):
    _, ana, _ = people
    page = Page(store, clock, ana)
    page.item(items["low"][0], "low", 51 * 60)
    assert page.kinds() == ["banner"]
    page.notices += page.session.take_break()
    assert page.notices[-1].kind == "enforce_break" and page.notices[-1].seconds == 180
    page.work(180, active=False)
    assert page.kinds()[-1] == "break_over"
    assert page.session.meter().since_break_ms == 0
    assert [k for k, _ in ledger(store, ana)] == ["prompted_banner", "break_started", "break_taken"]


def test_severe_hour_dialog_comes_at_once_and_the_break_at_the_next_item(store, clock, people, items):
    _, ana, _ = people
    page = Page(store, clock, ana, WellbeingPolicy(micro_break_after_min=120))
    for n in range(12):
        page.item(items["severe"][n], "severe", 4 * 60 + 50)  # 58 min
    page.show(items["severe"][12], "severe")
    page.work(3 * 60)
    dialog = page.notices[-1]
    assert dialog.kind == "dialog" and dialog.snoozes_left == 0 and "10-minute break is due" in dialog.text
    page.finish()
    assert page.notices[-1] == Notice("enforce_break", "1 h 01 of severe content since your last long break. Look away "
                                      "from the screen and breathe out slowly — or, if you like, play a few calm "
                                      "blocks below.", seconds=600, cooldown=True)


def test_the_enforced_break_starts_on_a_tick_when_no_item_is_in_hand(store, clock, people, items):
    _, ana, _ = people
    page = Page(store, clock, ana, WellbeingPolicy(max_snoozes=0, enforce_grace_s=600))
    page.show(items["low"][0], "low")
    page.work(55 * 60)
    assert page.kinds() == ["banner", "dialog"]
    page.tracker.finish()
    page.session.item_left(None)  # the page forgot the record: the coach's own count stands
    assert page.session.on_break


def test_item_left_books_the_exposure_row_before_the_break_it_starts(store, clock, people, items):
    _, ana, _ = people
    page = Page(store, clock, ana, WellbeingPolicy(max_snoozes=0, enforce_grace_s=600))
    page.show(items["low"][0], "low")
    page.work(50 * 60)
    page.tracker.set_reveal("region")
    page.work(5 * 60)
    page.tracker.set_reveal(None)
    store.take_changes()
    record = page.tracker.finish()
    notices = page.session.item_left(record)
    assert [n.kind for n in notices] == ["enforce_break"] and page.session.on_break
    assert "wellbeing" in store.take_changes()
    row = store.db.execute("SELECT item_id, session_id, blurred_ms, region_ms, severity FROM exposure"
                           " WHERE user_id = ?", [ana.id]).fetchone()
    assert row == (items["low"][0], page.session.session_id, 50 * MIN, 5 * MIN, "low")
    assert store.db.execute("SELECT kind, duration_ms FROM reveals WHERE user_id = ?", [ana.id]).fetchall() == [
        ("region", 5 * MIN)]
    assert [e.at for e in wellbeing_store.events(store, day=store.now()[:10], user_id=ana.id)
            if e.kind == "break_enforced"] == [record.ended_at]
    assert page.session.item_left(None) == []  # nothing in hand: nothing booked, nothing shown
    assert store.db.execute("SELECT COUNT(*) FROM exposure").fetchone()[0] == 1


def test_a_busy_store_never_costs_the_break_it_was_booking(store, clock, people, items, monkeypatch):
    """The exposure row cannot be written: the coach still counts the item, and a banner says so."""
    _, ana, _ = people
    page = Page(store, clock, ana, WellbeingPolicy(max_snoozes=0, enforce_grace_s=600))
    page.show(items["low"][0], "low")
    page.work(55 * 60)

    def busy(*_args, **_kwargs):
        raise StoreBusy("another program is writing to the store")

    monkeypatch.setattr(wellbeing_store, "add_exposure", busy)
    notices = page.session.item_left(page.tracker.finish())
    assert [n.kind for n in notices] == ["banner", "enforce_break"] and page.session.on_break
    assert "could not be saved (another program is writing to the store)" in notices[0].text
    assert store.db.execute("SELECT COUNT(*) FROM exposure").fetchone()[0] == 0


def test_a_restart_does_not_reset_a_due_break(store, clock, people, items):
    _, ana, _ = people
    first = Page(store, clock, ana)
    for n in range(9):
        first.item(items["low"][n], "low", 5 * 60)
    clock.advance(60)  # a restart is not a break
    second = Page(store, clock, ana)
    assert second.session.coach.since_break_ms == 45 * MIN
    second.item(items["low"][20], "low", 5 * 60)
    assert second.kinds() == ["banner"]
    clock.advance(3 * 60)  # but three minutes away is
    assert Page(store, clock, ana).session.coach.since_break_ms == 0


# --------------------------------------------------------------- budgets
def _severe_rows(store, user, item_id, minutes, start="2026-01-05T00:00:00.000Z"):
    store.db.execute(
        "INSERT INTO exposure (user_id, item_id, session_id, day, started_at, ended_at, blurred_ms, revealed_ms,"
        " region_ms, video_ms, severity) VALUES (?, ?, 'old', ?, ?, ?, ?, 0, 0, 0, 'severe')",
        [user.id, item_id, start[:10], start, start, minutes * MIN])


def test_daily_budget_warns_at_75_percent_and_stops_severe_items_at_100(store, clock, people, items):
    _, ana, _ = people
    policy = WellbeingPolicy(severe_budget_min=30, severe_break_after_min=120, micro_break_after_min=120)
    page = Page(store, clock, ana, policy)
    for n in range(4):
        page.item(items["severe"][n], "severe", 5 * 60)
    assert page.kinds() == [] and page.session.serving_rule == "allow"
    page.item(items["low"][0], "low", 60)  # a milder item keeps the run short
    page.show(items["severe"][4], "severe")
    page.work(150)
    assert page.kinds() == ["banner"] and "75 %" in page.notices[-1].text  # 22.5 of 30 min
    assert page.session.meter().level == "attention"
    page.work(450)
    assert page.kinds() == ["banner", "banner"] and "used up" in page.notices[-1].text
    assert page.session.serving_rule == "never" and page.session.meter().level == "limit"
    page.finish()
    assert serving_rule(store, ana, [], policy) == "never"
    assert serving.claim_next(store, ana, severe="never").item.severity == "low"
    assert [k for k, _ in ledger(store, ana)] == ["budget_warning", "budget_reached"]


def test_a_lead_lifts_the_budget_with_a_recorded_reason_a_moderator_cannot(store, clock, people, items):
    lee, ana, bo = people
    _severe_rows(store, ana, items["severe"][0], 240)
    assert serving_rule(store, ana, []) == "never"
    with pytest.raises(PermissionError, match="bo is not a lead"):
        lift_budget(store, bo, ana, "I say so")
    with pytest.raises(ValueError, match="reason"):
        lift_budget(store, lee, ana, "   ")
    with pytest.raises(ValueError):
        lift_budget(store, lee, ana, "urgent", minutes=1000)
    budget = lift_budget(store, lee, ana, "Incident 4411: only Ana is trained for this queue", minutes=30)
    assert (budget.budget_ms, budget.level) == (270 * MIN, "warning")
    assert serving_rule(store, ana, []) == "allow"
    [(kind, details)] = ledger(store, ana)
    assert kind == "budget_lifted" and details["by"] == "lee" and details["reason"].startswith("Incident 4411")
    event = store.db.execute("SELECT actor, subject FROM events WHERE kind = 'wellbeing.budget_lifted'").fetchone()
    assert event == ("lee", "user:ana")


def test_a_running_session_sees_a_lift_and_warns_against_the_new_budget(store, clock, people, items):
    lee, ana, _ = people
    _severe_rows(store, ana, items["severe"][0], 240)
    page = Page(store, clock, ana)
    page.work(1)
    assert page.session.serving_rule == "never" and page.kinds() == ["banner", "banner"]
    lift_budget(store, lee, ana, "backlog after outage")  # +60 min: 240 of 300 is 80 %
    page.work(30)
    assert page.session.serving_rule == "allow"
    assert page.kinds()[-1] == "banner" and "4 h of today's 5 h" in page.notices[-1].text


def test_budget_resets_on_a_new_day(store, clock, people, items):
    _, ana, _ = people
    _severe_rows(store, ana, items["severe"][0], 240)
    page = Page(store, clock, ana)
    assert page.session.serving_rule == "never"
    clock.advance(15 * 3600)  # 2026-01-06 00:00
    page.work(1)
    assert page.session.serving_rule == "allow" and page.session.severe_today_ms() == 0


def test_five_severe_in_a_row_prefers_a_milder_item(store, clock, people, items):
    _, ana, _ = people
    page = Page(store, clock, ana)
    for n in range(4):
        page.item(items["severe"][n], "severe", 20)
    assert page.session.serving_rule == "allow"
    page.item(items["severe"][4], "severe", 20)
    assert page.session.serving_rule == "prefer_mild"
    assert serving_rule(store, ana, ["low"] + ["severe"] * 5) == "prefer_mild"
    item = serving.claim_next(store, ana, severe=page.session.serving_rule).item
    assert item.severity == "low"  # severe items have the higher priority, yet a milder one is served
    page.item(item.id, "low", 20)
    assert page.session.serving_rule == "allow"


# ------------------------------------------------------------------ idle
def test_five_idle_minutes_pause_the_session(store, clock, people, items):
    _, ana, _ = people
    page = Page(store, clock, ana)
    page.show(items["low"][0], "low")
    page.work(4 * 60 + 59, step=1, active=False)
    assert page.kinds() == []
    page.work(1, active=False)
    assert page.kinds() == ["idle_pause"] and page.session.paused
    page.work(60, active=False)
    assert page.kinds() == ["idle_pause"]  # once
    page.finish()
    page.notices += page.session.activity()
    assert not page.session.paused
    [(kind, details)] = ledger(store, ana)
    assert kind == "idle_paused" and details["idle_ms"] == 5 * MIN


# ------------------------------------------------------------- check-ins
def test_checkins_are_private_and_leads_see_aggregates_over_five_people_only(store, clock, people):
    lee, ana, bo = people
    with pytest.raises(ValueError):
        record_checkin(store, ana, 6)
    with pytest.raises(ValueError):
        record_checkin(store, ana, True)
    record_checkin(store, ana, 2)
    clock.advance(60)
    record_checkin(store, ana, 4)
    record_checkin(store, bo, 5)
    assert [c.score for c in checkins_of(store, ana, ana)] == [2, 4]
    assert [c.score for c in checkins_of(store, bo, bo)] == [5]
    for person in [store.add_user(f"m{n}", ["moderator"]) for n in range(2)]:
        record_checkin(store, person, 3)
    clock.advance(86400)  # a lead sees completed days only
    shown = team_checkins(store, lead=lee)
    assert shown.aggregate is None and shown.reason.startswith("not enough people to show")
    assert "at least 5" in shown.reason and not re.search(r"\b4\b", shown.reason)  # not how many answered
    with pytest.raises(PermissionError):
        team_checkins(store, ana)
    record_checkin(store, store.add_user("m9", ["moderator"]), 1)
    clock.advance(86400)
    aggregate, reason = team_checkins(store, lee)
    assert reason == "" and (aggregate.people, aggregate.responses) == (5, 6)
    assert aggregate.mean == round((2 + 4 + 5 + 3 + 3 + 1) / 6, 2)
    assert aggregate.distribution == {1: 1, 2: 1, 3: 2, 4: 1, 5: 1}
    # nothing outside wellbeing_checkins holds a score
    payloads = [json.loads(r[0])
                for r in store.db.execute("SELECT payload FROM events WHERE kind = 'wellbeing.checkin'")]
    assert payloads == [{}] * 6
    assert {r[0] for r in store.db.execute("SELECT details FROM wellbeing_events WHERE kind = 'checkin'")} == {"{}"}


def test_old_checkins_fall_out_of_the_window(store, clock, people):
    lee, *_ = people
    for n in range(5):
        record_checkin(store, store.add_user(f"p{n}", ["moderator"]), 3)
    clock.advance(86400)  # today's answers join the pool tomorrow
    assert team_checkins(store, lee, days=7).aggregate.people == 5
    clock.advance(6 * 86400)
    assert team_checkins(store, lee, days=7).aggregate.people == 5
    clock.advance(86400)
    assert team_checkins(store, lee, days=7).aggregate is None


# ------------------------------------------------------------ lead view
def test_individual_figures_only_for_leads_and_the_person(store, clock, people, items):
    lee, ana, bo = people
    page = Page(store, clock, ana)
    page.show(items["severe"][0], "severe")
    page.tracker.set_reveal("region")
    page.work(50 * 60)
    page.tracker.set_reveal(None)
    page.work(4 * 60)
    page.session.take_break()
    page.finish()
    page.work(3 * 60, active=False)
    lift_budget(store, lee, ana, "calibration day")
    mine = person_exposure(store, ana, ana)
    assert mine == person_exposure(store, lee, "ana")
    assert (mine.items, mine.region_ms, mine.blurred_ms, mine.severe_ms) == (1, 50 * MIN, 4 * MIN, 54 * MIN)
    assert (mine.breaks_prompted, mine.breaks_taken, mine.breaks_enforced) == (1, 1, 0)
    assert mine.severe_budget_ms == 300 * MIN and mine.overrides[0].reason == "calibration day"
    with pytest.raises(PermissionError, match="bo cannot see ana's exposure"):
        person_exposure(store, bo, ana)
    with pytest.raises(PermissionError):
        team_exposure(store, bo)
    team = team_exposure(store, lee)
    assert [p.name for p in team] == ["ana"] and team[0] == mine


# ----------------------------------------------------------------- meter
@pytest.mark.parametrize("severe_min, due, level", [
    (0, False, "calm"), (179, False, "calm"), (180, False, "attention"), (10, True, "attention"),
    (239, False, "attention"), (240, False, "limit"), (300, True, "limit"),
])
def test_meter_level_thresholds(severe_min, due, level):
    assert MeterState(0, severe_min * MIN, 240 * MIN, 0, due).level == level


def test_meter_text():
    state = MeterState(revealed_ms=3 * MIN + 59_000, severe_ms=70 * MIN, severe_budget_ms=240 * MIN,
                       since_break_ms=42 * MIN, break_due=False)
    assert state.text() == "Revealed today 3 min · Severe 1 h 10 / 4 h · Since break 42 min"
    assert dataclasses.replace(state, on_break=True).text().endswith("Severe 1 h 10 / 4 h · On a break")
    assert [format_duration(m * MIN) for m in (0, 59, 60, 61, 605)] == ["0 min", "59 min", "1 h", "1 h 01", "10 h 05"]


# ------------------------------------------------------------ dev clock
def test_scaled_clock_runs_faster_from_its_start():
    ticks = iter([100.0, 100.0, 101.5])
    clock = ScaledClock(60, start="2026-01-05T09:00:00Z", monotonic=lambda: next(ticks))
    assert clock.now().isoformat() == "2026-01-05T09:00:00+00:00"
    assert clock.now().isoformat() == "2026-01-05T09:01:30+00:00"


def test_clock_from_env():
    real = FakeClock()
    assert clock_from_env({}, base=real) is real
    assert clock_from_env({"VEIL_CLOCK_SPEED": "1"}, base=real) is real
    assert isinstance(clock_from_env({"VEIL_CLOCK_SPEED": "60"}), ScaledClock)
    with pytest.raises(ValueError, match="VEIL_CLOCK_SPEED"):
        clock_from_env({"VEIL_CLOCK_SPEED": "fast"})
    with pytest.raises(ValueError, match="VEIL_CLOCK_SPEED"):
        clock_from_env({"VEIL_CLOCK_SPEED": "-2"})


# ------------------------------------------------- per-severity viewing
def test_severity_presets_only_ever_add_protection(store, people):
    lee, ana, _ = people
    base = ViewSettings(blur_level=2, grayscale=False, auto_reblur_s=8)
    severe = viewing.for_severity(base, "severe")
    assert (severe.blur_level, severe.grayscale, severe.auto_reblur_s) == (5, True, 5.0)
    assert viewing.for_severity(base, "low") == base and viewing.for_severity(base, None) == base
    strict = ViewSettings(blur_level=6, auto_reblur_s=2)
    assert viewing.for_severity(strict, "severe") == dataclasses.replace(strict, grayscale=True)
    viewing.save_severity_presets(store, lee, {"high": {"blur_level": 5}, "severe": {"blur_level": 0}})
    presets = viewing.severity_presets(store)
    assert viewing.for_severity(base, "high", presets).blur_level == 5
    assert viewing.for_severity(base, "severe", presets).blur_level == 2  # a preset cannot lower the blur
    with pytest.raises(PermissionError):
        viewing.save_severity_presets(store, ana, {})
    with pytest.raises(ValueError):
        viewing.save_severity_presets(store, lee, {"extreme": {"blur_level": 6}})
    with pytest.raises(ValueError):
        viewing.save_severity_presets(store, lee, {"severe": {"blur_level": 9}})
