"""``veil training``: courses, gates, waivers, sessions and status from the command line (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import people, text_item

from audit import calibration, gold
from audit.training import attempts
from desktop import wiring
from desktop.main import main
from review.clock import FakeClock

CLOCK = "2026-01-20T09:00:00Z"


@pytest.fixture
def team(tmp_path) -> tuple[Path, list[int]]:
    path = tmp_path / "team.db"
    with wiring.open_store(path, clock=FakeClock(CLOCK)) as store:
        people(store, eve="moderator", ana="moderator", ben="moderator", lee="lead")
        store.add_queue("spam")
        golds = []
        for n, (action, labels) in enumerate((("remove", ["spam"]), ("no_violation", []))):
            item = text_item(store, "spam", external_id=f"g{n}", text=f"simulated {n}")
            gold.add_gold(store, "lee", item, action, labels, explanation=f"why {n}")
            golds.append(item)
    return path, golds


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_lead_builds_gates_and_waives_and_anyone_reads_their_status(capsys, team):
    path, golds = team
    lead = ("--store", path, "--user", "lee")
    items = [arg for item in golds for arg in ("--item", item)]
    code, _, err = cli(capsys, "training", "course", "create", "Spam basics", *items, "--store", path, "--user", "eve")
    assert code == 2 and "lead" in err
    code, out, _ = cli(capsys, "training", "course", "create", "Spam basics", *items, "--pass-mark", "50",
                       "--explain", f"{golds[0]}=Selling followers", *lead)
    assert code == 0 and "2 items, pass 50 %" in out
    code, out, _ = cli(capsys, "training", "course", "show", "Spam basics", "--json", *lead)
    assert json.loads(out)["items"][0]["explanation"] == "Selling followers"
    code, out, _ = cli(capsys, "training", "gate", "spam", "Spam basics", *lead)
    assert code == 0 and "requires the course Spam basics" in out
    code, out, _ = cli(capsys, "training", "courses", *lead)
    assert "required by: spam" in out
    code, _, err = cli(capsys, "training", "waive", "ana", "spam", "--reason", " ", *lead)
    assert code == 2 and "reason" in err
    code, out, _ = cli(capsys, "training", "waive", "ana", "spam", "--reason", "Trained at the other office", *lead)
    assert code == 0
    with wiring.open_store(path, clock=FakeClock(CLOCK)) as store:
        for _attempt in range(2):  # half right each time: a pass at 50 %, then a second try
            attempt = attempts.start(store, "eve", "Spam basics")
            for position in (1, 2):
                attempts.answer(store, "eve", attempt.id, position, "no_violation", [])
    code, out, _ = cli(capsys, "training", "status", "--json", "--store", path, "--user", "eve")
    mine = json.loads(out)
    assert mine["people"] == [{"person": "eve", "course": "Spam basics", "attempts": 2, "best_score": 0.5,
                               "passed": True, "passed_on": 1, "time_to_certify_seconds": 0.0,
                               "certified_queues": ["spam"], "scores": [0.5, 0.5], "finished": 2,
                               "taxonomy_version": 1, "needs_recertification": False, "lead": False,
                               "standing": "passed"}]
    assert "courses" not in mine  # a lead's figures
    code, out, _ = cli(capsys, "training", "status", "--json", *lead)
    assert json.loads(out)["courses"][0]["success_rate"] == 1.0
    code, out, _ = cli(capsys, "verify", "--store", path)
    assert "problems: none" in out


def test_a_session_with_three_people_shows_its_kappa_alpha_and_spread(capsys, team):
    path, golds = team
    lead = ("--store", path, "--user", "lee")
    items = [arg for item in golds for arg in ("--item", item)]
    code, out, _ = cli(capsys, "training", "session", "create", "Week 3", *items, "--person", "eve", "--person",
                       "ana", "--person", "ben", *lead)
    assert code == 0
    with wiring.open_store(path, clock=FakeClock(CLOCK)) as store:
        for person, actions in {"eve": ("remove", "no_violation"), "ana": ("remove", "remove"),
                                "ben": ("remove", "no_violation")}.items():
            for item, action in zip(golds, actions, strict=True):
                calibration.answer(store, person, "Week 3", item, action, ["spam"] if action == "remove" else [])
    code, out, _ = cli(capsys, "training", "session", "show", "Week 3", *lead)
    assert "Fleiss' kappa" in out and "Krippendorff's alpha" in out and "Remove · Spam ×3" in out
    code, out, _ = cli(capsys, "training", "session", "agree", "Week 3", "--item", golds[1], "--action",
                       "no_violation", "--note", "A joke between friends", *lead)
    assert code == 0 and "recorded" in out
    code, out, _ = cli(capsys, "training", "session", "show", "Week 3", "--json", *lead)
    shown = json.loads(out)
    assert shown["raters"] == 3 and shown["items"][1]["agreed_action"] == "no_violation"
    assert shown["items"][0]["spread"] == [["remove · spam", 3]]  # ids in JSON, names for people (F5)
    code, out, _ = cli(capsys, "training", "session", "show", "Week 3", *lead)
    assert "No violation · no label ×2; Remove · Spam ×1  agreed: No violation · no label" in out
    assert "no_violation" not in out


def test_course_edit_keeps_what_is_not_given_and_a_waiver_can_be_lifted(capsys, team):
    """Review finding 12: `course edit` kept the pass mark and time limit only when given again; a rename alone was
    refused. Finding 2: `veil training unwaive`."""
    path, golds = team
    lead = ["--store", path, "--user", "lee"]
    items = [x for g in golds for x in ("--item", g)]
    code, _, err = cli(capsys, "training", "course", "create", "C", *items, "--pass-mark", "95", "--time-limit", "30",
                       "--taxonomy-version", "1", "--explain", f"{golds[0]}=mine", *lead)
    assert code == 0, err
    code, out, err = cli(capsys, "training", "course", "edit", "C", "--rename", "C2", *lead)
    assert code == 0 and "course C2 changed: 2 items, pass 95 %" in out, err
    code, out, _ = cli(capsys, "training", "course", "show", "C2", "--json", *lead)
    shown = json.loads(out)
    assert (shown["pass_mark"], shown["time_limit_seconds"], shown["taxonomy_version"]) == (0.95, 1800, 1)
    assert shown["items"][0]["explanation"] == "mine"
    code, _, err = cli(capsys, "training", "course", "edit", "C2", "--time-limit", "0", "--taxonomy-version", "2",
                       *lead)
    assert code != 0 and "re-certification" in err
    code, _, err = cli(capsys, "training", "course", "edit", "C2", "--time-limit", "0", *lead)
    code, out, _ = cli(capsys, "training", "course", "show", "C2", "--json", *lead)
    assert json.loads(out)["time_limit_seconds"] is None and json.loads(out)["pass_mark"] == 0.95
    cli(capsys, "training", "gate", "spam", "C2", *lead)
    code, _, _ = cli(capsys, "training", "waive", "eve", "spam", "--reason", "old hand", *lead)
    assert code == 0
    code, out, err = cli(capsys, "training", "unwaive", "eve", "spam", "--reason", "made mistakes", *lead)
    assert code == 0 and "eve's waiver for spam is lifted" in out, err
    code, _, err = cli(capsys, "training", "unwaive", "eve", "spam", "--reason", "again", *lead)
    assert code != 0 and "no waiver in force" in err
    code, _, err = cli(capsys, "training", "unwaive", "eve", "spam", "--reason", "x", "--store", path, "--user", "ana")
    assert code != 0
    code, out, _ = cli(capsys, "verify", "--store", path)
    assert code == 0, out
