"""Targets and whether they are met: the judgement rules by hand, the setting, and who may see what."""

from __future__ import annotations

import pytest

from audit import targets
from audit.exports import ACCURACY_TARGET
from audit.store import reports as report_rows
from review import settings
from review.errors import NotAllowed
from tests.audit.test_costs import floor  # noqa: F401  (the fixture: ana 0.75 h, ben 1 h on 2026-01-05)


@pytest.mark.parametrize(("k", "n", "status"), [
    (45, 50, "met"),  # 90.0 %, Wilson 78.6–95.7 %: width 0.17, reaches 90 %
    (85, 100, "below"),  # 85.0 %, 76.7–90.7 %: the top still reaches 90 %, width 0.14
    (40, 50, "clearly below"),  # 80.0 %, 67.0–88.8 %: even the top is under 90 %
    (8, 10, "not enough data"),  # 80.0 %, 49.0–94.3 %: width 0.45 > 0.30
    (0, 10, "clearly below"),  # 0 %, 0–27.8 %: ten audits, plainly under
    (0, 1, "not enough data"),  # finding 6: one audit judged a person "clearly below"
    (0, 5, "not enough data"),  # under MIN_SHARE_N (10) nothing is judged
    (9, 9, "not enough data"),
    (0, 0, "not enough data"),
])
def test_a_share_is_judged_with_its_wilson_interval(k, n, status):
    assert targets.share_status(k, n, 0.9)[2] == status


def test_throughput_judgement():
    assert targets.throughput_status(12, 2.0, 6) == (6.0, "met")
    assert targets.throughput_status(10, 2.0, 6) == (5.0, "below")  # 5 ≥ 0.8 × 6 = 4.8
    assert targets.throughput_status(9, 2.0, 6) == (4.5, "clearly below")
    assert targets.throughput_status(4, 0.5, 6) == (8.0, "not enough data")  # under one active hour
    assert targets.throughput_status(4, 2.0, None) == (2.0, "no target")


def test_overrides_fall_back_to_everyone_then_the_team_accuracy_target():
    stored = {"everyone": {"throughput_per_hour": 6}, "people": {"ana": {"accuracy": 0.95}},
              "queues": {"Spam": {"timeliness": 0.8}}}
    assert targets.targets_for(stored, 0.9, "people", "ana") == {
        "throughput_per_hour": 6, "accuracy": 0.95, "timeliness": targets.DEFAULT_TIMELINESS}
    assert targets.targets_for(stored, 0.9, "queues", "Spam") == {
        "throughput_per_hour": 6, "accuracy": 0.9, "timeliness": 0.8}


def test_the_report_judges_people_and_queues(store, floor):  # noqa: F811
    settings.write(store, "lee", ACCURACY_TARGET, 0.95)
    settings.write(store, "lee", targets.TARGETS, {"everyone": {"throughput_per_hour": 6},
                                                   "queues": {"Hate": {"throughput_per_hour": 4}}})
    data = targets.report(store, "lee", "2026-01-05", "2026-01-05")
    people = {r.key: {f.kind: f for f in r.figures} for r in data.people}
    # ben: 2 decisions in 1.0 active hour = 2/h against 6/h: under 4.8, clearly below
    assert (people["ben"]["throughput_per_hour"].value, people["ben"]["throughput_per_hour"].status) == (
        2.0, "clearly below")
    # ana: 4 in 0.75 h = 5.33/h, but under an active hour is not judged
    assert (people["ana"]["throughput_per_hour"].value, people["ana"]["throughput_per_hour"].status) == (
        5.33, "not enough data")
    assert people["ana"]["accuracy"].target == 0.95 and people["ana"]["accuracy"].status == "not enough data"
    queues = {r.key: {f.kind: f for f in r.figures} for r in data.queues}
    assert queues["Hate"]["throughput_per_hour"].target == 4
    # timeliness counts what sla_by_queue counts, queue by queue
    for name, answered, within in report_rows.sla_by_queue(store, "2026-01-05", "2026-01-06"):
        assert (queues[name]["timeliness"].n, queues[name]["timeliness"].value) == (answered, within / answered)
    assert {u.key for u in data.cost_by_queue} == {"Spam", "Hate"}


def test_a_moderator_sees_their_own_row_only(store, floor):  # noqa: F811
    own = targets.report(store, "ana", person="ana")
    assert [r.key for r in own.people] == ["ana"] and own.queues == () and own.cost_by_queue == ()
    with pytest.raises(NotAllowed):
        targets.report(store, "ana")
    with pytest.raises(NotAllowed):
        targets.report(store, "ana", person="ben")


def test_targets_are_a_lead_setting_with_a_check(store, floor):  # noqa: F811
    with pytest.raises(NotAllowed):
        settings.write(store, "ana", targets.TARGETS, {"everyone": {"accuracy": 0.8}})
    with pytest.raises(settings.SettingError, match="between 0 and 1"):
        settings.write(store, "lee", targets.TARGETS, {"everyone": {"accuracy": 90}})
    with pytest.raises(settings.SettingError, match="not a target"):
        settings.write(store, "lee", targets.TARGETS, {"people": {"ana": {"speed": 3}}})


def test_a_queue_override_is_kept_by_id_and_survives_a_rename(store, floor):  # noqa: F811
    """Finding 12: overrides were stored by queue name, so a rename dropped them."""
    from review import admin

    settings.write(store, "lee", targets.TARGETS, {"queues": {"Hate": {"throughput_per_hour": 4}}})
    stored = settings.read(store, targets.TARGETS)
    assert stored["queues"] == {f"#{store.queue('Hate').id}": {"throughput_per_hour": 4.0}}
    admin.rename_queue(store, "lee", "Hate", "Hateful conduct")
    queues = {r.key: {f.kind: f for f in r.figures} for r in targets.report(store, "lee", "2026-01-05").queues}
    assert queues["Hateful conduct"]["throughput_per_hour"].target == 4
    assert targets.named_queues(store, stored) == {"Hateful conduct": {"throughput_per_hour": 4.0}}
    with pytest.raises(settings.SettingError, match="no queue called"):
        settings.write(store, "lee", targets.TARGETS, {"queues": {"Eggs": {"accuracy": 0.9}}})
