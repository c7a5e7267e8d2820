"""The exposure tracker's sums under a fake clock, and the viewing-settings floor."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review.clock import FakeClock
from review.media.viewing import ViewSettings, effective, save_organisation, save_personal, stricter
from review.settings import SettingError
from review.store import wellbeing as wellbeing_store
from review.wellbeing import exposure


def test_scripted_show_reveal_minimise_restore_sums_exactly():
    clock = FakeClock()
    tracker = exposure.ExposureTracker(clock)
    tracker.start(7, severity="severe", category="violent_graphic")
    clock.advance(3)  # blurred 3 s
    tracker.set_reveal("whole")
    clock.advance(2)  # revealed 2 s
    tracker.set_reveal(None)
    clock.advance(1)  # blurred 1 s
    tracker.set_active(False)
    clock.advance(60)  # minimised: nobody is exposed
    tracker.set_active(True)
    tracker.set_reveal("region")
    tracker.set_playing(True)
    clock.advance(4)  # region 4 s while the video plays
    tracker.set_playing(False)
    clock.advance(1)  # region 1 s more
    record = tracker.finish()
    assert (record.blurred_ms, record.revealed_ms, record.region_ms, record.video_ms) == (4000, 2000, 5000, 4000)
    assert [(r.kind, r.duration_ms) for r in record.reveals] == [("whole", 2000), ("region", 5000)]
    assert record.total_revealed_ms == 7000


def test_auto_reblur_counter_counts_only_active_reveal_time():
    clock = FakeClock()
    tracker = exposure.ExposureTracker(clock)
    tracker.start(1)
    tracker.set_reveal("whole")
    clock.advance(4)
    tracker.set_active(False)
    clock.advance(100)
    tracker.set_active(True)
    clock.advance(3)
    assert tracker.current_reveal_ms() == 7000


def test_starting_twice_without_finishing_is_a_bug():
    tracker = exposure.ExposureTracker(FakeClock())
    tracker.start(1)
    with pytest.raises(RuntimeError):
        tracker.start(2)


@given(st.lists(st.tuples(st.sampled_from(["whole", "region", None, "away", "back"]), st.integers(0, 10_000)),
                max_size=30))
def test_the_parts_always_add_up_to_the_active_time(script):
    clock = FakeClock()
    tracker = exposure.ExposureTracker(clock)
    tracker.start(1)
    active, active_ms = True, 0
    for step, ms in script:
        if step == "away":
            tracker.set_active(False)
            active = False
        elif step == "back":
            tracker.set_active(True)
            active = True
        else:
            tracker.set_reveal(step)
        clock.advance(ms / 1000)
        active_ms += ms if active else 0
    record = tracker.finish()
    assert record.blurred_ms + record.revealed_ms + record.region_ms == active_ms
    assert sum(r.duration_ms for r in record.reveals) == record.revealed_ms + record.region_ms


def test_exposure_rows_are_saved_with_their_reveals(store, clock):
    ana = store.add_user("ana", ["moderator"])
    queue = store.add_queue("q")
    store.add_items([{"external_id": "1", "queue_id": queue.id, "kind": "text", "received_at": store.now()}])
    tracker = exposure.ExposureTracker(clock)
    tracker.start(1, severity="low")
    tracker.set_reveal("whole")
    clock.advance(2)
    wellbeing_store.add_exposure(store, ana, "session-1", tracker.finish())
    assert wellbeing_store.exposure_sums(store, store.now()[:10], ana.id)[ana.id].revealed_ms == 2000
    assert store.db.execute("SELECT duration_ms, kind FROM reveals").fetchall() == [(2000, "whole")]


def test_personal_settings_may_be_stricter_never_weaker(store):
    lee = store.add_user("lee", ["lead"])
    ana = store.add_user("ana", ["moderator"])
    save_organisation(store, lee, ViewSettings(blur_level=0, grayscale=False, auto_reblur_s=60))
    save_personal(store, ana, ViewSettings(blur_level=1, grayscale=False, reduced_detail=True, auto_reblur_s=60))
    save_organisation(store, lee, ViewSettings(blur_level=4, grayscale=True, auto_reblur_s=10))
    # a wish stored before the lead raised the floor is raised to it, field by field
    assert effective(store, ana) == ViewSettings(blur_level=4, grayscale=True, reduced_detail=True, auto_reblur_s=10)
    with pytest.raises(SettingError, match="never weaker: blur level 1 is below the organisation's 4"):
        save_personal(store, ana, ViewSettings(blur_level=1, grayscale=False, reduced_detail=True, auto_reblur_s=60))
    applied = save_personal(store, ana, ViewSettings(blur_level=6, auto_reblur_s=5))
    assert (applied.blur_level, applied.auto_reblur_s) == (6, 5)
    with pytest.raises(PermissionError):
        save_organisation(store, ana, ViewSettings(blur_level=0))
    assert effective(store, ana).blur_level == 6


@given(st.integers(0, 6), st.integers(0, 6), st.booleans(), st.booleans())
def test_stricter_never_goes_below_the_floor(floor_blur, wish_blur, floor_gray, wish_gray):
    floor = ViewSettings(blur_level=floor_blur, grayscale=floor_gray)
    result = stricter(floor, ViewSettings(blur_level=wish_blur, grayscale=wish_gray))
    assert result.blur_level >= floor.blur_level and (result.grayscale or not floor.grayscale)


def test_bad_stored_settings_are_refused():
    with pytest.raises(ValueError):
        ViewSettings.from_dict({"blur_level": 99})
    assert ViewSettings.from_dict({"unknown": 1}) == ViewSettings()
