"""What the wellbeing counters count, and what a routine break says (issue 12 §1, the smaller findings).

- Text is never veiled: time on a text item is booked as shown, not "blurred".
- Severe time is time severe items were on screen, blurred or not (docs/wellbeing.md, "What is counted").
- The cool-down and its words ("severe items since your last break") follow only severe items
  since the last break: a routine break later in the day says nothing of them.
"""

from __future__ import annotations

import builders
import pytest

from review.store import wellbeing as ws
from review.wellbeing.exposure import ExposureTracker
from review.wellbeing.policy import WellbeingPolicy
from review.wellbeing.session import WellbeingSession

MIN = 60_000


@pytest.fixture
def ana(store):
    ana = builders.people(store, ana="moderator")["ana"]
    builders.text_item(store, store.add_queue("q"))  # item 1, which every exposure row below names
    return ana


def on_screen(session, clock, severity, seconds, *, veiled=True, reveal_s=0):
    """One item on screen for *seconds* (the first *reveal_s* of them revealed whole), then off; the notices."""
    tracker = ExposureTracker(clock)
    tracker.start(1, severity=severity)
    notices = session.item_shown(severity, veiled=veiled)
    if reveal_s:
        tracker.set_reveal("whole")
        clock.advance(reveal_s)
        tracker.set_reveal(None)
    left = seconds - reveal_s
    while left > 0:
        clock.advance(min(30, left))
        left -= 30
        notices += session.activity() + session.update()
    return notices + session.item_left(tracker.finish())


def sums(store, user):
    return ws.exposure_sums(store, store.now()[:10], user.id)[user.id]


def test_time_on_a_text_item_is_booked_as_shown_not_blurred(store, clock, ana):
    session = WellbeingSession(store, ana)
    on_screen(session, clock, "low", 90, veiled=False)
    row = sums(store, ana)
    assert (row.blurred_ms, row.revealed_ms, row.on_screen_ms) == (0, 90_000, 90_000)
    assert session.meter().revealed_ms == 90_000  # "Revealed today" counts text read in full
    on_screen(session, clock, "low", 60)  # an image, never revealed: blurred, as before
    row = sums(store, ana)
    assert (row.blurred_ms, row.revealed_ms) == (60_000, 90_000)


def test_severe_time_counts_severe_items_on_screen_blurred_or_not_as_documented(store, clock, ana):
    session = WellbeingSession(store, ana)
    on_screen(session, clock, "severe", 120)  # blurred all along
    on_screen(session, clock, "severe", 60, reveal_s=10)
    on_screen(session, clock, "low", 300)
    row = sums(store, ana)
    assert row.severe_ms == 180_000 and row.blurred_ms == 470_000 and row.revealed_ms == 10_000
    assert session.severe_today_ms() == 180_000 and session.meter().severe_ms == 180_000


def test_a_routine_break_after_an_earlier_break_says_nothing_of_severe_items(store, clock, ana):
    session = WellbeingSession(store, ana, WellbeingPolicy(max_snoozes=0))
    for _ in range(3):
        on_screen(session, clock, "severe", 60)
    [notice] = session.take_break()  # the severe items since the last break bring the cool-down, and say so
    assert notice.cooldown and notice.text.startswith("3 severe items since your last break")
    clock.advance(3 * 60)
    assert [n.kind for n in session.update()] == ["break_over"]
    notices = on_screen(session, clock, "low", 55 * 60)  # the next micro-break: enforced at this item's end
    [started] = [n for n in notices if n.kind == "enforce_break"]
    assert not started.cooldown and "severe" not in started.text
    assert started.text.startswith("Step away from the screen")
