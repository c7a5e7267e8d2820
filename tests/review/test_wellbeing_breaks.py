"""A break in progress holds whatever the front end does: sign-out, restart, a second window, another connection.

Issue 12: at the enforced break screen, signing out and in again claimed an
item 44 s into a 3-minute break, and a fresh prompt with new snoozes
followed. Here a "restart" or "sign-in" is a new ``WellbeingSession`` on the
same store, and "any front end" is a review desk on another connection.
"""

from __future__ import annotations

import builders
import pytest

from review import taxonomy
from review.clock import ms_between
from review.desk import ReviewDesk
from review.store import wellbeing as ws
from review.wellbeing.breaks import OnBreak
from review.wellbeing.exposure import ExposureTracker
from review.wellbeing.lead_view import person_exposure
from review.wellbeing.policy import WellbeingPolicy
from review.wellbeing.session import WellbeingSession

NO_SNOOZES = WellbeingPolicy(max_snoozes=0)  # the first dialog commits the break to the next item boundary


@pytest.fixture
def ana(store):
    people = builders.people(store, lee="lead", ana="moderator")
    builders.text_items(store, store.add_queue("q"), 10, severity="low")
    return people["ana"]


@pytest.fixture
def desk():
    return ReviewDesk(taxonomy.load())


def review(session, clock, seconds, step=30):
    """An item on screen for *seconds*, the person giving input every *step* seconds; the notices.

    The item stays on screen: :func:`leave` takes it off (a decision, a sign-out).
    """
    session.tracker = ExposureTracker(clock)
    session.tracker.start(1, severity="low")
    notices = session.item_shown("low")
    while seconds > 0:
        clock.advance(min(step, seconds))
        seconds -= step
        notices += session.activity() + session.update()
    return notices


def leave(session):
    """The item leaves the screen: its exposure is booked (the ledger a restart resumes from)."""
    return session.item_left(session.tracker.finish())


def kinds(store, user, *wanted):
    return [e.kind for e in ws.events(store, day=store.now()[:10], user_id=user.id, kinds=wanted or None)]


def enforced_break(store, clock, ana, policy=NO_SNOOZES):
    """Review until the break is due, then finish the item: the 3-minute break is enforced at that boundary."""
    session = WellbeingSession(store, ana, policy)
    review(session, clock, 55 * 60)
    assert session.stage == "dialog" and not session.may_claim()
    notices = leave(session)
    assert [n.kind for n in notices] == ["enforce_break"] and session.on_break
    return session


def test_a_claim_during_the_break_is_refused_on_any_connection_with_the_time_left(store, clock, ana, desk):
    enforced_break(store, clock, ana)
    clock.advance(44)
    for connection in (store, store.second_connection()):
        with pytest.raises(OnBreak, match="ana is on a break: 3 minutes left") as refused:
            desk.claim(connection, ana)
        assert refused.value.seconds_left == 180 - 44
    clock.advance(135)
    with pytest.raises(OnBreak, match="less than a minute left"):
        desk.claim(store, ana)
    clock.advance(1)
    assert desk.claim(store, ana) is not None  # served: items come again


def test_signing_in_again_resumes_the_break_with_the_time_left_and_no_new_prompt(store, clock, ana, desk):
    enforced_break(store, clock, ana)
    clock.advance(44)  # sign out, Enter, Ctrl+2, Enter …
    again = WellbeingSession(store, ana, NO_SNOOZES)  # a restart or a sign-in is a new session on the same store
    [notice] = again.update()
    assert (notice.kind, notice.seconds) == ("enforce_break", 180 - 44)
    assert again.on_break and not again.may_claim() and again.break_remaining_s() == 136
    with pytest.raises(OnBreak):
        desk.claim(store, again.user)
    clock.advance(136)
    assert [n.kind for n in again.update()] == ["break_over"]
    assert desk.claim(store, ana) is not None
    # one episode: prompted, enforced, taken — no fresh banner after the sign-in
    assert kinds(store, ana, "prompted_banner", "break_enforced", "break_taken") == [
        "prompted_banner", "break_enforced", "break_taken"]


def test_a_second_window_joins_the_break_and_it_is_recorded_taken_once(store, clock, ana):
    first = WellbeingSession(store, ana, NO_SNOOZES)
    second = WellbeingSession(store, ana, NO_SNOOZES)  # the same person's other window, opened before
    review(first, clock, 55 * 60)
    leave(first)
    clock.advance(10)
    joined = second.update()
    assert [(n.kind, n.seconds) for n in joined] == [("enforce_break", 170)] and second.on_break
    assert second.update() == []  # joined once, not every tick
    clock.advance(170)
    assert [n.kind for n in first.update()] == ["break_over"]
    assert [n.kind for n in second.update()] == ["break_over"]
    assert kinds(store, ana, "break_enforced", "break_taken") == ["break_enforced", "break_taken"]
    assert second.update() == [] and not second.on_break  # the ended break is not joined again


def test_a_break_served_while_signed_out_counts_as_taken_and_resets_the_review_time(store, clock, ana):
    enforced_break(store, clock, ana)
    clock.advance(10 * 60)  # signed out for the whole break and more
    again = WellbeingSession(store, ana, NO_SNOOZES)
    assert again.update() == [] and not again.on_break and again.may_claim()
    assert again.coach.since_break_ms == 0 and again.stage == "none"
    WellbeingSession(store, ana, NO_SNOOZES).update()  # another sign-in records nothing twice
    assert kinds(store, ana, "break_enforced", "break_taken") == ["break_enforced", "break_taken"]
    assert person_exposure(store, ana, ana).breaks_taken == 1


def test_signing_out_keeps_the_snoozes_used(store, clock, ana):
    session = WellbeingSession(store, ana)
    review(session, clock, 55 * 60)
    accepted, _ = session.snooze()
    assert accepted and session.coach.snoozes_left == 1
    leave(session)  # signing out takes the item off screen
    clock.advance(20)
    again = WellbeingSession(store, ana)
    assert again.update() == [] and again.stage == "snoozed" and again.coach.snoozes_left == 1
    notices = review(again, clock, 5 * 60)
    dialog = [n for n in notices if n.kind == "dialog"]
    assert [d.snoozes_left for d in dialog] == [1]  # not a fresh banner with two new snoozes
    assert kinds(store, ana, "prompted_banner") == ["prompted_banner"]


def test_a_dialog_showing_at_sign_out_shows_again_with_its_snoozes(store, clock, ana):
    session = WellbeingSession(store, ana)
    review(session, clock, 55 * 60)
    assert session.stage == "dialog" and session.coach.snoozes_left == 2
    leave(session)
    again = WellbeingSession(store, ana)
    [dialog] = again.update()
    assert (dialog.kind, dialog.snoozes_left) == ("dialog", 2) and "3-minute break" in dialog.text


def test_a_committed_break_starts_at_the_next_sign_in_after_a_kill(store, clock, ana, desk):
    """No snoozes left and the window killed before the item ended: the next sign-in is the item boundary."""
    session = WellbeingSession(store, ana, NO_SNOOZES)
    review(session, clock, 54 * 60)
    leave(session)  # booked: 54 min of review, the banner showing
    review(session, clock, 60)
    assert session.stage == "dialog" and session.coach.snoozes_left == 0
    del session  # killed: the open item is never booked
    again = WellbeingSession(store, ana, NO_SNOOZES)
    assert [n.kind for n in again.update()] == ["enforce_break"] and again.on_break
    with pytest.raises(OnBreak):
        desk.claim(store, ana)


def test_a_break_begun_inside_a_tick_is_stored_whole_and_a_restart_resets_the_severe_time(store, clock, ana):
    """The grace ends part-way through a 50 s tick: the stored break still lasts its 10 minutes, to the millisecond."""
    session = WellbeingSession(store, ana)
    session.tracker = ExposureTracker(clock)
    session.tracker.start(1, severity="severe")
    session.item_shown("severe")
    while not session.on_break:  # the severe hour, its dialog (no snooze), then the 2-minute grace
        clock.advance(50)
        session.activity()
        session.update()
    stored = ws.last_break(store, ana.id)
    assert ms_between(stored.started_at, stored.ends_at) == 10 * 60_000 and stored.reason == "severe"
    assert session.break_remaining_s() * 1000 == ms_between(store.now(), stored.ends_at)
    leave(session)
    again = WellbeingSession(store, ana)  # a restart: the break goes on, as long as it is
    [notice] = again.update()
    assert notice.cooldown and notice.text.startswith("Time on severe content")
    clock.advance(again.break_remaining_s())
    assert [n.kind for n in again.update()] == ["break_over"]
    assert again.coach.severe_ms == 0  # a whole severe-length break: the severe hour starts over
