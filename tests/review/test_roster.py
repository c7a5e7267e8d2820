"""The roster: shifts added, changed, deleted and imported by a lead (events with old and new), and coverage."""

from __future__ import annotations

import sys
import types

import pytest
from builders import events, people

from review import admin
from review.errors import NotAllowed
from review.planning import roster, rotation
from review.planning.roster import RosterError


@pytest.fixture
def floor(store):
    team = people(store, ana="moderator", ben="moderator", dana="auditor", lee="lead")
    store.add_queue("spam")
    store.add_queue("abuse")
    return team


def test_a_lead_adds_changes_and_deletes_a_shift_each_one_event_with_old_and_new(store, floor):
    shift = roster.add_shift(store, "lee", "ana", "2026-01-05", "08:00", "12:00", ["spam"])
    assert (shift.person, shift.day, shift.starts, shift.ends, shift.queues) == (
        "ana", "2026-01-05", "08:00", "12:00", ("spam",))
    changed = roster.change_shift(store, "lee", shift.id, "2026-01-05", "09:00", "13:00", ["spam", "abuse"])
    assert changed.queues == ("spam", "abuse")
    roster.delete_shift(store, "lee", shift.id)
    assert roster.shifts(store, "lee", "2026-01-05") == []
    added, change, deleted = (events(store, k)[0] for k in
                              ("roster.shift_added", "roster.shift_changed", "roster.shift_deleted"))
    assert added.payload["old"] is None and added.payload["new"]["starts"] == "08:00"
    assert change.payload["old"]["starts"] == "08:00" and change.payload["new"]["starts"] == "09:00"
    assert deleted.payload["old"]["ends"] == "13:00" and deleted.payload["new"] is None


def test_only_a_lead_writes_the_roster(store, floor):
    with pytest.raises(NotAllowed, match="only a lead can change the roster"):
        roster.add_shift(store, "ana", "ana", "2026-01-05", "08:00", "12:00", ["spam"])
    with pytest.raises(NotAllowed):
        roster.shifts(store, "ana", "2026-01-05")


@pytest.mark.parametrize(("day", "starts", "ends", "queues", "words"), [
    ("2026-02-30", "08:00", "12:00", ["spam"], "not a date"),
    ("2026-01-05", "8", "12:00", ["spam"], "not a time"),
    ("2026-01-05", "12:00", "08:00", ["spam"], "split a night shift"),
    ("2026-01-05", "08:00", "12:00", [], "at least one queue"),
    ("2026-01-05", "08:00", "12:00", ["nope"], "no queue called"),
])
def test_a_bad_shift_says_why(store, floor, day, starts, ends, queues, words):
    with pytest.raises(RosterError, match=words):
        roster.add_shift(store, "lee", "ana", day, starts, ends, queues)


def test_shifts_of_one_person_never_overlap(store, floor):
    roster.add_shift(store, "lee", "ana", "2026-01-05", "08:00", "12:00", ["spam"])
    with pytest.raises(RosterError, match="already has a shift 08:00–12:00"):
        roster.add_shift(store, "lee", "ana", "2026-01-05", "11:00", "14:00", ["abuse"])
    roster.add_shift(store, "lee", "ana", "2026-01-05", "12:00", "14:00", ["abuse"])  # back to back is fine
    roster.add_shift(store, "lee", "ben", "2026-01-05", "08:00", "12:00", ["spam"])


def test_an_auditor_cannot_be_rostered_on_a_review_queue(store, floor):
    with pytest.raises(RosterError, match="dana does not work review queues"):
        roster.add_shift(store, "lee", "dana", "2026-01-05", "08:00", "12:00", ["spam"])


def test_a_shift_keeps_its_queue_through_a_rename_and_follows_a_merge(store, floor, clock):
    shift = roster.add_shift(store, "lee", "ana", "2026-01-05", "08:00", "12:00", ["spam"])
    admin.rename_queue(store, "lee", "spam", "junk")
    assert roster.shifts(store, "lee", "2026-01-05")[0].queues == ("junk",)
    admin.merge(store, "lee", "junk", "abuse")
    plan = rotation.plan(store, store.user("ana"), clock.now())
    assert plan.shift is not None and plan.shift.id == shift.id
    assert plan.shift_allows(store.queue("abuse"))


def _need(monkeypatch, need):
    """The forecast's need_by_hour, faked: *need* is queue name -> list of hourly people needed."""
    def need_by_hour(store, viewer, *, hours=24, now=None):
        return {store.queue(q).id: (values + [0] * hours)[:hours] for q, values in need.items()}
    module = types.ModuleType("review.planning.forecast")
    module.need_by_hour = need_by_hour  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "review.planning.forecast", module)
    import review.planning
    monkeypatch.setattr(review.planning, "forecast", module, raising=False)


def test_coverage_counts_people_per_queue_per_hour_against_need_and_flags_gaps(store, floor, monkeypatch):
    # clock: 2026-01-05 09:00 UTC, so the forecast's hour 0 is 09:00 of the day shown
    _need(monkeypatch, {"spam": [2, 2, 1], "abuse": [1]})
    roster.add_shift(store, "lee", "ana", "2026-01-05", "09:00", "11:00", ["spam"])
    roster.add_shift(store, "lee", "ben", "2026-01-05", "09:30", "12:00", ["spam", "abuse"])
    found = roster.coverage(store, "lee", "2026-01-05")
    spam, abuse = store.queue("spam").id, store.queue("abuse").id
    assert found.rostered[spam][9] == pytest.approx(1 + 0.5 * 0.5)  # ben: half an hour, half his time
    assert found.rostered[spam][10] == pytest.approx(1.5)
    assert found.need[spam][9:12] == [2, 2, 1] and found.need[spam][8] is None  # 08:00 is past: not forecast
    assert found.gap(spam, 9) and found.gap(spam, 10) and found.gap(spam, 11)  # ben alone: half a person
    assert not found.gap(spam, 12)
    assert found.gap(abuse, 9) and not found.gap(abuse, 10)
    away = roster.coverage(store, "lee", "2026-01-05", away=["ana"])
    assert away.rostered[spam][10] == pytest.approx(0.5)
    assert (spam, 12) not in found.gaps() and (abuse, 9) in found.gaps()


def _csv(tmp_path, text, name="roster.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_replaces_each_person_days_shifts_with_one_event(store, floor, tmp_path):
    roster.add_shift(store, "lee", "ana", "2026-01-05", "06:00", "07:00", ["spam"])
    roster.add_shift(store, "lee", "ana", "2026-01-06", "06:00", "07:00", ["spam"])
    path = _csv(tmp_path, "person,date,start,end,queues\nana,2026-01-05,08:00,12:00,spam;abuse\n"
                          "ben,2026-01-05,12:00,24:00,abuse\n")
    report = roster.import_csv(store, "lee", path)
    assert report.applied and report.problems == [] and (report.rows, report.person_days, report.replaced) == (2, 2, 1)
    got = [(s.person, s.day, s.starts, s.queues) for s in roster.shifts(store, "lee", "2026-01-05", "2026-01-06")]
    assert got == [("ana", "2026-01-05", "08:00", ("spam", "abuse")), ("ben", "2026-01-05", "12:00", ("abuse",)),
                   ("ana", "2026-01-06", "06:00", ("spam",))]
    [event] = events(store, "roster.imported")
    assert event.payload["old"] == {"shifts": 1} and event.payload["new"] == {"shifts": 2}


def test_import_checks_every_row_first_and_writes_nothing_on_a_problem(store, floor, tmp_path):
    path = _csv(tmp_path, "person,date,start,end,queues\nana,2026-01-05,08:00,12:00,spam\n"
                          "zed,2026-01-05,08:00,12:00,spam\nben,2026-13-01,08:00,12:00,spam\n"
                          "ben,2026-01-05,08:00,12:00,spam\nben,2026-01-05,11:00,13:00,abuse\n")
    report = roster.import_csv(store, "lee", path)
    assert not report.applied
    assert report.problems == ["roster.csv:3: there is nobody called “zed”",
                               "roster.csv:4: the date “2026-13-01” is not a date such as 2026-03-31",
                               "roster.csv:6: overlaps the shift on line 5 (same person, same date)"]
    assert roster.shifts(store, "lee", "2026-01-05") == [] and events(store, "roster.imported") == []


def test_a_dry_run_reports_and_writes_nothing(store, floor, tmp_path):
    path = _csv(tmp_path, "person,date,start,end,queues\nana,2026-01-05,08:00,12:00,spam\n")
    report = roster.import_csv(store, "lee", path, dry_run=True)
    assert (report.applied, report.rows, report.problems) == (False, 1, [])
    assert roster.shifts(store, "lee", "2026-01-05") == []


def test_verify_replays_the_roster_and_finds_a_shift_edited_behind_its_back(store, floor, tmp_path):
    """Finding 9: `veil verify` did not check the roster; an import logged no shifts to replay."""
    from desktop import wiring
    from review.store import integrity
    from review.store.schema import migrations

    sets = [migrations, *wiring.migration_sets()]
    added = roster.add_shift(store, "lee", "ana", "2026-01-05", "08:00", "10:00", ["spam"])
    roster.change_shift(store, "lee", added.id, "2026-01-05", "08:00", "11:00", ["spam"])
    path = tmp_path / "shifts.csv"
    path.write_text("person,date,start,end,queues\nben,2026-01-06,08:00,12:00,spam\nben,2026-01-07,08:00,12:00,spam\n",
                    encoding="utf-8")
    assert roster.import_csv(store, "lee", path).applied
    path.write_text("person,date,start,end,queues\nben,2026-01-06,09:00,13:00,spam\n", encoding="utf-8")
    assert roster.import_csv(store, "lee", path).applied  # replaces the 6th, keeps the 7th
    assert integrity.check(store.db, sets, escalating={"escalate"}).problems == ()
    store.db.execute("UPDATE shifts SET queue_ids = ? WHERE id = ?", [str(store.queue("abuse").id), added.id])
    imported = roster.shifts(store, "lee", "2026-01-07")[0]
    store.db.execute("UPDATE shifts SET ends = '16:00' WHERE id = ?", [imported.id])
    store.db.conn.commit()
    problems = integrity.check(store.db, sets, escalating={"escalate"}).problems
    assert any(f"shift {added.id} is ana 2026-01-05 08:00–11:00 on queues {store.queue('abuse').id}" in p
               for p in problems)
    assert any(f"shift {imported.id} is ben 2026-01-07 08:00–16:00" in p for p in problems)
    assert len(problems) == 2
