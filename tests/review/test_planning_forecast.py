"""Issue 16 §1: the per-queue forecast, checked against hand calculation on a fresh store with a fake clock.

The store clock reads 2026-01-05 09:00 UTC. The "posts" queue (SLA 4 h,
the backlog model) has, over the last 24 h, 48 decisions (2 an hour)
taking 600 s and 1,200 s in turn (mean and median 900 s), and 72 items
waiting, all received at 08:00 (3 an hour over the window; due 12:00).
By hand:

* hours to clear: none (2 out < 3 in); projection 72 + (3 − 2)·h.
* first breach: served earliest-due first at 2 an hour, the 7th waiting
  item is done at 12:30, after its due time 12:00 → 12:00.
* people: (72 + 3 · 4) items × 900 s / 14,400 s = 5.25 → 6 needed;
  5.25 / (1 − 0.3) = 7.5 → 8 rostered.
"""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest
from builders import ago, decided_item, people, text_items

from review import settings
from review.clock import iso
from review.errors import NotAllowed
from review.planning import forecast as planning
from review.planning.forecast import SHRINKAGE, PlanningError, WhatIf, forecast, need_by_hour
from review.settings import SettingError


@pytest.fixture
def posts(store):
    people(store, ana="moderator", lee="lead")
    queue = store.add_queue("posts", sla_seconds=4 * 3600)
    for k in range(48):
        decided_item(store, queue, "ana", decided_at=ago(store, 23.5 - k * 0.48),
                     handle_ms=600_000 if k % 2 else 1_200_000)
    text_items(store, queue, 72, received_at="2026-01-05T08:00:00.000Z")
    return queue


def _posts(store, **kwargs):
    return next(f for f in forecast(store, "lee", **kwargs) if f.queue == "posts")


def test_the_backlog_queue_matches_the_hand_calculation(store, posts):
    f = _posts(store)
    assert (f.waiting, f.inflow_per_hour, f.outflow_per_hour) == (72, 3.0, 2.0)
    assert (f.handle_seconds_mean, f.handle_seconds_median) == (900.0, 900.0)
    assert f.hours_to_clear is None
    assert f.first_breach_at == "2026-01-05T12:00:00.000Z"
    assert f.model == "backlog" and f.staffing is None
    assert (f.people_needed, f.people_rostered_needed) == (6, 8)
    assert f.projection[0] == (0, 72.0) and f.projection[24] == (24, 96.0) and len(f.projection) == 25


def test_eight_more_people_prevent_the_breach_and_clear_the_backlog(store, posts):
    # Each extra person decides 0.7 × 3,600 / 900 = 2.8 items an hour: 8 more make 24.4 an hour,
    # the 72 waiting are done in 2.95 h (before 12:00) and the arrivals are served as they come.
    assert _posts(store, what_if=WhatIf(extra_people=7)).first_breach_at == "2026-01-05T12:00:00.000Z"
    f = _posts(store, what_if=WhatIf(extra_people=8))
    assert f.outflow_per_hour == pytest.approx(24.4)
    assert f.first_breach_at is None
    assert f.hours_to_clear == pytest.approx(72 / 21.4)
    assert f.projection[4] == (4, 0.0)


def test_a_longer_sla_moves_the_breach_and_the_need(store, posts):
    # SLA 8 h: due 16:00; the 15th item is done at 16:30. People: (72 + 3·8) × 900 / 28,800 = 3 → 3, 5 rostered.
    f = _posts(store, what_if=WhatIf(sla_seconds={posts.id: 8 * 3600}))
    assert f.first_breach_at == "2026-01-05T16:00:00.000Z"
    assert (f.sla_seconds, f.people_needed, f.people_rostered_needed) == (8 * 3600, 3, 5)


def test_a_doubled_inflow_needs_more_people(store, posts):
    # (72 + 6·4) × 900 / 14,400 = 6 → 6 needed, 6 / 0.7 = 8.57 → 9 rostered.
    f = _posts(store, what_if=WhatIf(inflow_factor={posts.id: 2.0}))
    assert f.inflow_per_hour == 6.0
    assert (f.people_needed, f.people_rostered_needed) == (6, 9)


def test_a_real_time_queue_is_staffed_with_erlang_c(store):
    people(store, ana="moderator", lee="lead")
    live = store.add_queue("live", sla_seconds=20)
    for _ in range(200):  # 200 received and decided in the last hour, 180 s each
        decided_item(store, live, "ana", received_at=ago(store, 0.9), decided_at=ago(store, 0.5),
                     handle_ms=180_000)
    f = next(f for f in forecast(store, "lee", window_hours=1) if f.queue == "live")
    assert f.model == "erlang_c"
    assert (f.inflow_per_hour, f.handle_seconds_mean) == (200.0, 180.0)
    assert f.staffing is not None and f.staffing.agents == 14 and round(f.staffing.occupancy, 3) == 0.714
    assert (f.people_needed, f.people_rostered_needed) == (14, 20)


def test_the_model_threshold_is_an_sla_of_one_hour(store, posts):
    assert _posts(store, what_if=WhatIf(sla_seconds={posts.id: 3600})).model == "erlang_c"
    assert _posts(store, what_if=WhatIf(sla_seconds={posts.id: 3601})).model == "backlog"


def test_a_shrinking_backlog_clears_and_an_overdue_item_has_already_breached(store):
    people(store, ana="moderator", lee="lead")
    queue = store.add_queue("old")  # SLA 24 h
    for k in range(48):
        decided_item(store, queue, "ana", decided_at=ago(store, 23.5 - k * 0.48), handle_ms=60_000)
    text_items(store, queue, 10)  # received 2026-01-01: due 2026-01-02, before now
    f = next(f for f in forecast(store, "lee") if f.queue == "old")
    assert f.hours_to_clear == pytest.approx(5.0)  # 10 waiting / (2 − 0) an hour
    assert f.first_breach_at == "2026-01-02T00:00:00.000Z"
    assert f.projection[5] == (5, 0.0)


def test_nobody_deciding_means_the_earliest_due_breaches(store):
    people(store, lee="lead")
    queue = store.add_queue("quiet", sla_seconds=4 * 3600)
    text_items(store, queue, 3, received_at="2026-01-05T08:30:00.000Z")
    f = next(f for f in forecast(store, "lee") if f.queue == "quiet")
    assert f.first_breach_at == "2026-01-05T12:30:00.000Z"
    assert f.people_needed is None and f.handle_seconds_mean is None  # no measured handle time to plan with
    store.add_queue("empty")
    empty = next(f for f in forecast(store, "lee") if f.queue == "empty")
    assert (empty.people_needed, empty.people_rostered_needed, empty.first_breach_at) == (0, 0, None)


def test_only_a_lead_sees_the_forecast(store, posts):
    with pytest.raises(NotAllowed, match="lead"):
        forecast(store, "ana")


def test_shrinkage_is_a_leads_setting_and_never_below_the_micro_break_share(store, posts):
    settings.write(store, "lee", SHRINKAGE, 0.5)
    assert _posts(store).people_rostered_needed == 11  # 5.25 / 0.5 = 10.5
    with pytest.raises(SettingError):
        settings.write(store, "lee", SHRINKAGE, 1.0)
    with pytest.raises(NotAllowed):
        settings.write(store, "ana", SHRINKAGE, 0.2)
    settings.write(store, "lee", SHRINKAGE, 0.0)
    assert planning.effective_shrinkage(store) == pytest.approx(3 / 53)  # 3 min break after 50 min of review


def test_need_by_hour_gives_each_queue_its_rostered_need_for_every_hour(store, posts):
    need = need_by_hour(store, "lee", hours=6)
    assert need[posts.id] == [8] * 6


def test_what_ifs_the_forecast_cannot_take_are_refused(store, posts):
    with pytest.raises(PlanningError):
        WhatIf(sla_seconds={posts.id: 0})
    with pytest.raises(PlanningError):
        WhatIf(inflow_factor={posts.id: -1.0})
    with pytest.raises(PlanningError):
        forecast(store, "lee", window_hours=0)


def test_escalations_are_the_inflow_of_an_escalation_queue(store, posts, clock):
    """Finding 8: an escalation queue's inflow counted items *received* in the window, not escalations opened;
    and a review queue lost the items it received that were escalated out since."""
    from review import admin, decisions, serving, taxonomy

    store.add_queue("leads", "escalation", sla_seconds=8 * 3600)
    admin.set_escalation(store, "lee", "posts", ["leads"])
    old = text_items(store, posts, 1, received_at="2026-01-02T08:00:00.000Z")[0]
    served = []
    for _ in range(2):  # the old item first (due earliest), then one received at 08:00
        lease = serving.claim_next(store, store.user("ana"))
        served.append(lease.item.id)
        decisions.decide(store, taxonomy.load(), store.user("ana"), lease.item.id, claim=lease.claim,
                         action="escalate", note="for a lead")
    assert served[0] == old
    clock.advance(60)  # the window ends now: the escalations are a minute old
    by_queue = {f.queue: f for f in forecast(store, "lee")}
    assert by_queue["leads"].inflow_per_hour == pytest.approx(2 / 24)  # two escalations opened in the window
    assert by_queue["posts"].inflow_per_hour == 3.0  # the one received at 08:00 and escalated still counts here


def _first_breach_sorting_everything(now, dues, inflow, outflow, sla_seconds):
    """The walk as it was: every due parsed into a list and sorted with every expected arrival."""
    if outflow <= 0:
        arrivals_due = now + dt.timedelta(hours=1 / inflow, seconds=sla_seconds) if inflow > 0 else None
        earliest = min([*dues, *([arrivals_due] if arrivals_due else [])], default=None)
        return iso(earliest) if earliest else None
    step, done = dt.timedelta(hours=1 / outflow), now
    expected = [(now + dt.timedelta(hours=(j + 1) / inflow, seconds=sla_seconds), now + dt.timedelta(
        hours=(j + 1) / inflow)) for j in range(math.floor(inflow * planning.HORIZON_HOURS))]
    for due, arrived in sorted([(due, now) for due in dues] + expected):
        done = max(done, arrived) + step
        if done > due:
            return iso(due)
    return None


@pytest.mark.parametrize("seed", range(40))
def test_the_first_breach_read_lazily_is_the_one_the_whole_sorted_walk_finds(seed):
    rng = random.Random(seed)
    now = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
    dues = sorted(now + dt.timedelta(minutes=rng.randint(-600, 3000)) for _ in range(rng.randint(0, 300)))
    inflow, outflow = rng.choice([0, 0.5, 3, 20]), rng.choice([0, 1, 10, 40, 400])
    sla = rng.choice([600, 3600, 86400])
    assert planning.first_breach(now, iter(dues), inflow, outflow, sla) == _first_breach_sorting_everything(
        now, dues, inflow, outflow, sla)


def test_a_queue_that_breaches_now_is_read_no_further_than_its_first_items(store, monkeypatch):
    """5 M items: a queue of a million waiting items was read, parsed and sorted whole (6 s of a reader)."""
    people(store, lee="lead")
    queue = store.add_queue("backlog", sla_seconds=3600)
    text_items(store, queue, 500, received_at="2026-01-01T00:00:00Z")  # long overdue
    read = []
    reading = planning.planning.pending_times
    monkeypatch.setattr(planning.planning, "pending_times",
                        lambda *a, **k: (read.append(row) or row for row in reading(*a, **k)))
    [f] = [f for f in forecast(store, "lee") if f.queue == "backlog"]
    assert f.first_breach_at == "2026-01-01T01:00:00.000Z" and f.waiting == 500
    assert len(read) <= 2
