"""Issue 13 §1: ``veil settings list|get|set`` — the settings pages' values and rights on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import events, people

import resources
from desktop import wiring
from desktop.main import main
from review.clock import FakeClock
from review.taxonomy import stored
from review.wellbeing import policy as wellbeing


@pytest.fixture
def team(tmp_path) -> Path:
    path = tmp_path / "team.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, ana="moderator", lee="lead")
    return path


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _events(path: Path, kind: str):
    with wiring.open_store(path) as store:
        return events(store, kind)


def test_a_lead_sets_the_wellbeing_policy_as_json_and_one_event_keeps_old_and_new(capsys, team):
    code, out, err = cli(capsys, "--user", "lee", "settings", "set", "wellbeing", '{"severe_budget_min": 180}',
                         "--store", team)
    assert code == 0, err
    assert out.strip() == "wellbeing: changed"
    (change,) = _events(team, "setting.changed")
    assert change.actor == "lee" and change.payload["old"] is None
    assert change.payload["value"] == wellbeing.WellbeingPolicy(severe_budget_min=180).as_dict()
    code, out, _ = cli(capsys, "--user", "ana", "settings", "get", "wellbeing", "--store", team)
    assert code == 0 and json.loads(out)["severe_budget_min"] == 180
    code, out, _ = cli(capsys, "--user", "lee", "settings", "list", "--store", team)
    assert "wellbeing: {" in out and "[changed by lee at 20" in out
    assert "exports.pseudonym_secret  (kept by Veil): (secret)" in out


def test_a_moderator_cannot_set_an_organisation_setting(capsys, team):
    code, _, err = cli(capsys, "--user", "ana", "settings", "set", "view", '{"blur_level": 0}', "--store", team)
    assert code == 2 and "ana is not a lead: only a lead can change the setting 'view'" in err
    code, _, err = cli(capsys, "--user", "ana", "settings", "set", "rubric", '{"severity": {"minor": 0}}',
                       "--store", team)
    assert code == 2 and "ana is not a lead" in err
    assert _events(team, "setting.changed") == [] and _events(team, "audit.rubric_changed") == []


def test_a_bad_value_is_refused_with_the_reason(capsys, team):
    code, _, err = cli(capsys, "--user", "lee", "settings", "set", "wellbeing", '{"severe_budget_min": 5}',
                       "--store", team)
    assert code == 2 and "must be between 30 and 480, not 5" in err
    code, _, err = cli(capsys, "--user", "lee", "settings", "set", "wellbeing", "{budget: 5}", "--store", team)
    assert code == 2 and "not JSON" in err
    code, _, err = cli(capsys, "--user", "lee", "settings", "set", "nonsense", "1", "--store", team)
    assert code == 2 and "there is no setting 'nonsense'" in err
    code, _, err = cli(capsys, "--user", "lee", "settings", "set", "workspace.demo", "false", "--store", team)
    assert code == 2 and "kept by Veil itself" in err
    assert _events(team, "setting.changed") == []


def test_the_rubric_is_set_like_a_setting_with_old_and_new(capsys, team):
    code, out, err = cli(capsys, "--user", "lee", "settings", "set", "rubric", '{"error_types": {"wrong_label": 35}}',
                         "--store", team)
    assert code == 0, err
    (change,) = _events(team, "audit.rubric_changed")
    assert (change.payload["old"]["error_types"]["wrong_label"],
            change.payload["value"]["error_types"]["wrong_label"]) == (20.0, 35.0)
    code, out, _ = cli(capsys, "--user", "lee", "settings", "get", "rubric", "--store", team)
    assert json.loads(out)["error_types"]["wrong_label"] == 35.0


def test_a_taxonomy_file_is_checked_and_a_broken_one_is_refused_with_its_line(capsys, team, tmp_path):
    broken = tmp_path / "policy.toml"
    broken.write_text('version = 2\n\n[[labels]]\nid = "spam"\nname = "Spam"\nseverity = "awful"\n', encoding="utf-8")
    code, _, err = cli(capsys, "--user", "lee", "settings", "set", "taxonomy", "--file", broken, "--store", team)
    assert code == 2 and "policy.toml:6:" in err
    assert _events(team, "setting.changed") == []
    good = tmp_path / "ours.toml"
    good.write_text(resources.path("taxonomy.toml").read_text(encoding="utf-8").replace("version = 1", "version = 3"),
                    encoding="utf-8")
    code, out, err = cli(capsys, "--user", "lee", "settings", "set", "taxonomy", "--file", good, "--store", team)
    assert code == 0, err
    assert "each desk uses it from its next start" in out
    with wiring.open_store(team) as store:
        assert stored.organisation(store).version == 3


def test_personal_settings_are_your_own(capsys, team):
    code, out, err = cli(capsys, "--user", "ana", "settings", "set", "keys", '{"skip": "K"}', "--store", team)
    assert code == 0 and out.strip() == "keys: changed for ana", err
    code, _, err = cli(capsys, "--user", "ana", "settings", "set", "keys", '{"skip": "R"}', "--store", team)
    assert code == 2 and "R is bound to both 'Skip: give the item back to the queue' and 'Remove'" in err
    code, _, err = cli(capsys, "--user", "ana", "settings", "set", "view", '{"blur_level": 1}', "--person", "ana",
                       "--store", team)
    assert code == 2 and "never weaker: blur level 1 is below the organisation's 4" in err
    code, _, err = cli(capsys, "--user", "lee", "settings", "get", "view", "--person", "ana", "--store", team)
    assert code == 2 and "lee cannot read or change ana's own settings" in err
    code, out, _ = cli(capsys, "--user", "ana", "settings", "list", "--person", "ana", "--store", team)
    assert 'keys: {"skip": "K"}' in out and "changed by ana" in out
    assert [e.actor for e in _events(team, "setting.changed")] == ["ana"]
    with wiring.open_store(team) as store:
        assert wellbeing.load_policy(store) == wellbeing.WellbeingPolicy()  # nothing else changed


@pytest.mark.parametrize("value", ['{"blur_level": 4.5}', '{"auto_reblur_s": 86400}', '{"grayscale": "no"}',
                                   '{"auto_reblur_s": Infinity}'])
def test_a_viewing_value_of_the_wrong_type_or_too_long_a_reveal_is_refused(capsys, team, value):
    code, _, err = cli(capsys, "--user", "lee", "settings", "set", "view", value, "--store", team)
    assert code == 2 and "view:" in err, err
    code, _, err = cli(capsys, "--user", "lee", "settings", "set", "view.severity", f'{{"severe": {value}}}',
                       "--store", team)
    assert code == 2 and "view.severity:" in err, err
    assert _events(team, "setting.changed") == []


def _with_scam_label(tmp_path: Path) -> Path:
    """The bundled taxonomy and one more label, ``scam``, that no file on this computer has."""
    chosen = tmp_path / "ours.toml"
    chosen.write_text(resources.path("taxonomy.toml").read_text(encoding="utf-8")
                      + '\n[[labels]]\nid = "scam"\nname = "Scam"\nseverity = "medium"\n', encoding="utf-8")
    return chosen


def test_every_command_decides_under_the_stored_taxonomy(capsys, team, tmp_path, monkeypatch):
    """Before: gold used the bundled taxonomy, import and verify the team's file; the stored one was ignored."""
    from builders import text_item

    home = Path(tmp_path / "home")
    home.mkdir()
    (home / "taxonomy.toml").write_text("version = \n", encoding="utf-8")  # a broken team file: never read now
    monkeypatch.setenv("VEIL_HOME", str(home))
    assert cli(capsys, "--user", "lee", "settings", "set", "taxonomy", "--file", _with_scam_label(tmp_path),
               "--store", team)[0] == 0
    with wiring.open_store(team) as store:
        store.add_queue("spam")
        text_item(store, "spam", external_id="post-1", text="cheap watches")
    code, out, err = cli(capsys, "--user", "lee", "gold", "add", "post-1", "--action", "remove", "--label", "scam",
                         "--store", team)
    assert code == 0 and "item 1 is gold: remove [scam]" in out, err
    manifest = tmp_path / "history.jsonl"
    manifest.write_text("\n".join(json.dumps(row) for row in (
        {"id": "old-1", "queue": "spam", "text": "old words"},
        {"type": "decision", "item": "old-1", "moderator": "ana", "action": "remove", "labels": ["scam"],
         "decided_at": "2026-01-02T10:00:00Z"})) + "\n", encoding="utf-8")
    code, out, err = cli(capsys, "--user", "lee", "import", manifest, "--store", team)
    assert code == 0, err
    code, out, err = cli(capsys, "verify", "--store", team)
    assert code == 0, out + err


def test_a_new_taxonomy_names_the_people_whose_keys_it_takes(capsys, team, tmp_path):
    assert cli(capsys, "--user", "ana", "settings", "set", "keys", '{"note": "X"}', "--store", team)[0] == 0
    chosen = tmp_path / "ours.toml"
    chosen.write_text(resources.path("taxonomy.toml").read_text(encoding="utf-8").replace(
        "\n[[labels]]", '\n[[actions]]\nid = "hold"\nname = "Hold"\nkey = "X"\n\n[[labels]]', 1), encoding="utf-8")
    code, out, err = cli(capsys, "--user", "lee", "settings", "set", "taxonomy", "--file", chosen, "--store", team)
    assert code == 0, err
    assert "keys of ana that no longer apply" in out and "X is bound to both" in out


def test_setting_the_same_value_twice_says_unchanged_and_logs_one_event(capsys, team):
    """Before: a second identical rubric change printed "changed" and logged old == new."""
    for expected in ("rubric: changed", "rubric: unchanged"):
        code, out, err = cli(capsys, "--user", "lee", "settings", "set", "rubric",
                             '{"error_types": {"wrong_label": 35}}', "--store", team)
        assert code == 0 and out.strip() == expected, err
    for expected in ("wellbeing: changed", "wellbeing: unchanged"):
        code, out, err = cli(capsys, "--user", "lee", "settings", "set", "wellbeing", '{"snooze_min": 10}',
                             "--store", team)
        assert code == 0 and out.strip() == expected, err
    assert len(_events(team, "audit.rubric_changed")) == 1 and len(_events(team, "setting.changed")) == 1


def test_a_person_names_themself_after_the_value(capsys, team):
    """Before: ``set view --person ana '{…}'`` was refused: the value after --person was not parsed."""
    code, out, err = cli(capsys, "--user", "ana", "settings", "set", "view", "--person", "ana", '{"blur_level": 6}',
                         "--store", team)
    assert code == 0 and out.strip() == "view: changed for ana", err
