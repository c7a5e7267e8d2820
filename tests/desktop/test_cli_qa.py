"""``veil plans``, ``veil gold`` and ``veil calibration``: QA setup from the command line, as a lead only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import decided_item, events, people, text_item

from audit import calibration
from desktop import wiring
from desktop.main import main
from review import admin
from review.clock import FakeClock


@pytest.fixture
def team(tmp_path) -> Path:
    path = tmp_path / "team.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, ana="moderator", ben="moderator", cat="auditor", lee="lead")
        store.add_queue("spam")
        for n, who in enumerate(("ana", "ana", "ben")):
            decided_item(store, "spam", who, decided_at="2026-01-15T09:00:00Z", external_id=f"d{n}")
        text_item(store, "spam", external_id="post-1", text="buy followers")
    return path


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_plans_add_preview_edit_pause_and_list(capsys, team):
    base = ("--store", team, "--user", "lee")
    code, out, _ = cli(capsys, "plans", "add", "Spam check", "--rate", "1", "--queue", "spam",
                       "--starts-at", "2026-01-01", "--boost", "fast:seconds=8,rate=0.5", *base)
    assert code == 0 and "Spam check created" in out
    code, out, _ = cli(capsys, "plans", "preview", "Spam check", "--json", *base)
    seen = json.loads(out)
    assert code == 0 and (seen["drawn"], seen["by_moderator"]) == (3, {"ana": 2, "ben": 1})
    assert cli(capsys, "plans", "edit", "Spam check", "--rate", "0.5", "--strata", "queue", *base)[0] == 0
    assert cli(capsys, "plans", "pause", "Spam check", *base)[1].strip() == "plan Spam check paused"
    with wiring.open_store(team) as store:
        admin.rename_queue(store, "lee", "spam", "Spam & scams")
        assert events(store, "audit.plan_edited")[-1].payload["old"] == {"rate": 1.0, "strata": None}
    code, out, _ = cli(capsys, "plans", "list", "--json", *base)
    [listed] = json.loads(out)
    assert (listed["rate"], listed["active"], listed["queues"], listed["strata"]) == (0.5, False, ["Spam & scams"],
                                                                                     "queue")
    code, out, _ = cli(capsys, "plans", "list", *base)
    assert "paused" in out and "Spam & scams" in out
    code, _, err = cli(capsys, "sample", "--plan", "Spam check", *base)
    assert code == 2 and "'Spam check' is paused and draws nothing until resumed" in err
    code, out, _ = cli(capsys, "plans", "resume", "Spam check", *base)
    assert code == 0 and "Spam check active, drawing from decisions made since" in out
    assert cli(capsys, "sample", "--plan", "Spam check", *base)[0] == 0  # veil sample runs it again


def test_plans_refusals_exit_2_in_the_domains_words(capsys, team):
    code, _, err = cli(capsys, "plans", "add", "x", "--rate", "0.1", "--store", team, "--user", "ana")
    assert code == 2 and "lead" in err
    code, _, err = cli(capsys, "plans", "add", "x", "--rate", "2", "--store", team, "--user", "lee")
    assert code == 2 and "rate must be a number from 0 to 1" in err
    code, _, err = cli(capsys, "plans", "edit", "nope", "--rate", "0.1", "--store", team, "--user", "lee")
    assert code == 2 and "no sampling plan named 'nope'" in err
    code, _, err = cli(capsys, "plans", "edit", "nope", "--store", team, "--user", "lee")
    assert code == 2 and "nothing to change" in err


def test_gold_add_plant_list_and_retire(capsys, team):
    base = ("--store", team, "--user", "lee")
    code, out, _ = cli(capsys, "gold", "add", "post-1", "--action", "remove", "--label", "spam",
                       "--explain", "Sells followers.", *base)
    assert code == 0 and "is gold" in out
    code, _, err = cli(capsys, "gold", "add", "post-1", "--action", "remove", *base)
    assert code == 2 and "label" in err  # the taxonomy's rule: a removal needs a label
    code, out, _ = cli(capsys, "gold", "plant", "post-1", "--queue", "spam", "--copies", "2", *base)
    assert code == 0 and "planted 2 copies" in out
    code, out, _ = cli(capsys, "gold", "list", "--json", *base)
    [item] = json.loads(out)
    assert (item["external_id"], item["copies"], item["waiting"], item["explanation"]) == (
        "post-1", 2, 2, "Sells followers.")
    code, out, _ = cli(capsys, "gold", "retire", "post-1", *base)
    assert code == 0 and "2 planted copies still wait" in out
    assert cli(capsys, "gold", "list", "--store", team, "--user", "ana")[0] == 2
    code, _, err = cli(capsys, "gold", "retire", "nothing-like-it", *base)
    assert code == 2 and "no item" in err


def test_calibration_create_agreement_list_and_close(capsys, team):
    base = ("--store", team, "--user", "lee")
    code, out, _ = cli(capsys, "calibration", "create", "Week 3", "--item", 1, "--item", 2, "--person", "ana",
                       "--person", "ben", *base)
    assert code == 0 and "2 items, 2 people" in out
    with wiring.open_store(team) as store:
        for who in ("ana", "ben"):
            calibration.answer(store, who, "Week 3", 1, "no_violation")
    code, out, _ = cli(capsys, "calibration", "agreement", "Week 3", "--json", *base)
    figures = json.loads(out)
    assert figures["answers"] == 2 and [p["answered"] for p in figures["progress"]] == [1, 1]
    code, out, _ = cli(capsys, "calibration", "agreement", "Week 3", *base)
    assert "ana: 1/2" in out
    assert cli(capsys, "calibration", "close", "Week 3", *base)[0] == 0
    code, out, _ = cli(capsys, "calibration", "list", "--json", *base)
    assert json.loads(out)[0]["closed_at"] is not None and json.loads(out)[0]["people"] == ["ana", "ben"]
    code, _, err = cli(capsys, "calibration", "create", "Week 4", "--item", 999, *base)
    assert code == 2 and "no item with id 999" in err
