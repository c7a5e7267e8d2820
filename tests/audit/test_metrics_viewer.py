"""Who sees which metrics: leads and auditors the team's, a moderator only their own (issue 11, "Doors").

``audit.metrics.assembly.build`` takes the asking person; the check is in
the domain, so the CLI, the GUI and any later front end get the same answer.
"""

from __future__ import annotations

import json

import pytest
from builders import audited, decided_item, people, text_item

from audit import calibration
from audit.metrics import assembly as report


@pytest.fixture
def team(store):
    people(store, ana=(["moderator"], "Ana Silva"), ben=(["moderator"], "Ben Okafor"), cat=(["auditor"], "Cat Wu"),
           lee=(["lead"], "Lee Park"))
    store.add_queue("spam")
    store.add_queue("hate")
    for moderator, queue, labels, correct, at in [
            ("ana", "spam", ("spam",), True, "2026-01-05T10:00:00Z"),
            ("ana", "hate", ("hate_speech",), False, "2026-01-06T10:00:00Z"),
            ("ben", "spam", ("harassment",), False, "2026-01-06T11:00:00Z"),
            ("ben", "hate", ("hate_speech",), True, "2026-01-07T10:00:00Z"),
            ("ben", "hate", (), True, "2026-01-08T10:00:00Z")]:
        decision = decided_item(store, queue, moderator, action="remove" if labels else "no_violation",
                                labels=labels, decided_at=at)
        audited(store, decision, lead="lee", auditor="cat", blind_action="remove" if labels else "no_violation",
                blind_labels=labels, verdict="correct" if correct else "incorrect",
                error=None if correct else ("wrong_action", "minor"))
    items = [text_item(store, "spam") for _ in range(2)]
    calibration.create_set(store, "lee", "jan", items)
    for who in ("ana", "ben"):
        for item_id in items:
            calibration.answer(store, who, "jan", item_id, "remove", ["spam"])
    return store


@pytest.mark.parametrize("viewer", ["lee", "cat"])
def test_leads_and_auditors_see_everyone(team, viewer):
    built = report.build(team, viewer, by="moderator")
    assert [g["key"] for g in built["groups"]] == ["ana", "ben"]
    assert built["overall"]["n"] == 5 and len(built["calibration"]) == 1


@pytest.mark.parametrize("by", ["moderator", "queue", "label"])
def test_a_moderator_sees_only_their_own_results(team, by):
    mine = report.build(team, team.user("ana"), by=by)
    assert mine["overall"]["n"] == 2 and mine["overall"]["correct"] == 1
    assert sum(g["n"] for g in mine["groups"]) == 2  # every group is computed over ana's two decisions only
    if by == "moderator":
        assert [g["key"] for g in mine["groups"]] == ["ana"]
    if by == "queue":
        assert {g["key"]: g["n"] for g in mine["groups"]} == {"hate": 1, "spam": 1}
    assert mine["calibration"] == []  # agreement pools everyone's answers: not a moderator's to see
    text = json.dumps(mine).casefold()
    for other in ("ben", "okafor", "cat", "lee", "park"):
        assert other not in text, other


def test_the_same_moderator_alone_equals_the_lead_view_of_their_group(team):
    lead_view = {g["key"]: g for g in report.build(team, "lee")["groups"]}
    own = report.build(team, "ben")
    assert own["groups"] == [lead_view["ben"]]
    assert own["overall"] | {"key": "ben"} == lead_view["ben"]


def test_an_unknown_viewer_is_refused(team):
    with pytest.raises(PermissionError, match="not a user"):
        report.build(team, "mallory")
