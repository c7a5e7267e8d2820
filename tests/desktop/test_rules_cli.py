"""``veil rules check|test|apply|show``: FILE:LINE problems, figures on history, versions; a lead's alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import decided_item, people

import resources
from desktop import wiring
from desktop.main import main
from review.clock import FakeClock

RULES = """[[rule]]
name = "sure spam"
when = { category = "spam" }
then = { queue = "spam", action = "remove", labels = ["spam"] }
"""


@pytest.fixture
def floor(tmp_path) -> Path:
    path = tmp_path / "floor.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, ana="moderator", lee="lead")
        store.add_queue("inbox")
        store.add_queue("spam")
        store.add_queue("leads", "escalation")
        decided_item(store, "inbox", "ana", decided_at="2026-01-19T08:00:00.000Z", action="remove", labels=["spam"],
                     received_at="2026-01-19T07:00:00Z", metadata={"category": "spam"})
    return path


@pytest.fixture
def rule_file(tmp_path) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return path


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_says_each_problem_with_its_line_and_exits_1(capsys, floor, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nname = "a"\nthen = { queue = "leads" }\nwhen = { kind = "text" }\n\n[[rule]]\n'
                   'name = "a"\ncolour = 1\n',
                   encoding="utf-8")
    code, out, err = cli(capsys, "rules", "check", bad, "--store", floor, "--user", "lee")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{bad}:3: queue 'leads' is not a review queue (escalation): rules route to review queues, and moderators "
        "escalate from there",
        f"{bad}:6: rule 'a' is named twice (first on line 1)",
        f"{bad}:8: unknown field 'colour' (a rule has: name, when, then)"]


def test_check_of_a_good_file_says_so(capsys, floor, rule_file):
    assert cli(capsys, "rules", "check", rule_file, "--store", floor, "--user", "lee") == (0, "1 rule, fine\n", "")


def test_check_of_a_file_that_is_not_there_says_so(capsys, floor, tmp_path):
    code, _, err = cli(capsys, "rules", "check", tmp_path / "none.toml", "--store", floor, "--user", "lee")
    assert code == 1 and "none.toml: not a file" in err


def test_apply_then_show_and_list_versions(capsys, floor, rule_file):
    code, out, _ = cli(capsys, "rules", "apply", rule_file, "--store", floor, "--user", "lee")
    assert code == 0 and "applied rules.toml as version 1" in out
    code, out, _ = cli(capsys, "rules", "show", "--store", floor, "--user", "lee")
    head, text = out.split("\n", 1)
    assert code == 0 and head.startswith("# version 1 (rules.toml), applied by lee at ") and text == RULES + "\n"
    listed = cli(capsys, "rules", "show", "--list", "--store", floor, "--user", "lee")[1].split("  ")
    assert (listed[0], listed[2:]) == ("version 1", ["lee", "rules.toml", "1 rules\n"])
    code, _, err = cli(capsys, "rules", "show", "--version", 4, "--store", floor, "--user", "lee")
    assert code == 2 and "no version 4" in err


def test_show_before_any_version(capsys, floor):
    code, _, err = cli(capsys, "rules", "show", "--store", floor, "--user", "lee")
    assert code == 1 and "no routing rules have been applied yet" in err


def test_test_prints_figures_as_json(capsys, floor, rule_file):
    code, out, _ = cli(capsys, "rules", "test", rule_file, "--since", "2026-01-01", "--json", "--store", floor,
                       "--user", "lee")
    assert code == 0 and json.loads(out) == {"since": "2026-01-01T00:00:00.000Z", "items": 1, "unmatched": 0, "rules": [
        {"rule": "sure spam", "effect": "to spam, suggests remove (spam)", "matched": 1, "queues": {"spam": 1},
         "action": "remove", "automated": False, "decided": 1, "agreeing": 1, "agreement": 1.0}]}
    code, out, _ = cli(capsys, "rules", "test", rule_file, "--since", "2026-01-19", "--store", floor, "--user", "lee")
    assert code == 0 and out.splitlines() == [
        "1 item received since 2026-01-19T00:00:00.000Z; 0 matched no rule",
        "sure spam: 1 item (to spam, suggests remove (spam)) → spam 1; people agreed 1 of 1 times (100%)"]
    code, _, err = cli(capsys, "rules", "test", rule_file, "--since", "soon", "--store", floor, "--user", "lee")
    assert code == 2 and "say a number of days or hours" in err


def test_a_moderator_is_refused_every_action(capsys, floor, rule_file):
    for argv in (("apply", rule_file), ("check", rule_file), ("test", rule_file), ("show",)):
        code, out, err = cli(capsys, "rules", *argv, "--store", floor, "--user", "ana")
        assert code == 2 and out == "" and "ana is not a lead" in err
    with wiring.open_store(floor) as store:
        assert store.db.execute("SELECT COUNT(*) FROM rule_sets").fetchone()[0] == 0


def test_the_shipped_example_checks_against_the_demo(capsys, tmp_path):
    store = tmp_path / "demo.db"
    assert main(["demo", "--store", str(store), "--items", "12"]) == 0
    capsys.readouterr()
    example = resources.path("rules/example.toml")
    assert cli(capsys, "rules", "check", example, "--store", store, "--user", "lee") == (0, "4 rules, fine\n", "")


def test_verify_names_a_version_stored_behind_veils_back(capsys, floor, rule_file):
    assert cli(capsys, "rules", "apply", rule_file, "--store", floor, "--user", "lee")[0] == 0
    code, out, err = cli(capsys, "verify", "--store", floor)
    assert code == 0, out + err
    with wiring.open_store(floor) as store, store.transaction():
        store.db.execute("INSERT INTO rule_sets (text, source, text_sha256, rules, created_by, created_at)"
                         " VALUES ('', 'forged.toml', 'x', 0, 'lee', '2026-01-20T09:00:00.000Z')")
    code, out, err = cli(capsys, "verify", "--store", floor)
    assert code != 0 and "rule set version 2 has no rules.applied event: it was stored behind Veil's back" in out + err


def test_apply_with_an_expected_version_refuses_once_another_was_applied(capsys, floor, rule_file):
    assert cli(capsys, "rules", "apply", rule_file, "--expect-version", 0, "--store", floor, "--user", "lee")[0] == 0
    code, out, err = cli(capsys, "rules", "apply", rule_file, "--expect-version", 0, "--store", floor, "--user", "lee")
    assert (code, out) == (1, "")
    assert err.startswith("veil: The routing rules changed since you loaded them (version 1 by lee at ")
    assert cli(capsys, "rules", "apply", rule_file, "--expect-version", 1, "--store", floor, "--user", "lee")[:2] == (
        0, "applied rules.toml as version 2: it routes the items imported from now on\n")
