"""Names are printed safe for a terminal (issue 12): a name holding escape sequences is shown, never run.

A queue called ``"\\x1b]0;pwned\\x07spam"`` retitled the lead's terminal window
when ``veil metrics --by queue`` printed it; ``"\\x1b[2J"`` clears the screen.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import audited, decided_item, people

from desktop import wiring
from desktop.commands.common import shown
from desktop.main import main
from review.clock import FakeClock

HOSTILE_QUEUE = "\x1b]0;pwned\x07spam\x9b2J"
HOSTILE_PERSON = "mallory\x1b[2J\u202egnp.exe"


@pytest.fixture
def team(tmp_path) -> Path:
    """A store whose queue name came in with escape sequences (made before imports refused them, or by hand)."""
    path = tmp_path / "team.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, ana="moderator", cat="auditor", lou="lead")
        store.add_queue(HOSTILE_QUEUE)
        decision = decided_item(store, HOSTILE_QUEUE, "ana", action="remove", labels=["harassment"],
                                decided_at="2026-01-14T09:00:00Z", external_id="old-1")
        audited(store, decision, lead="lou", auditor="cat", blind_action="remove", blind_labels=["harassment"])
    return path


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def unsafe(text: str) -> list[str]:
    return [c for c in text if (c < " " and c not in "\n") or "\x7f" <= c <= "\x9f" or c == "\u202e"]


def test_shown_escapes_what_a_terminal_would_act_on_and_keeps_every_script():
    assert shown(HOSTILE_QUEUE) == "\\x1b]0;pwned\\x07spam\\x9b2J"
    assert shown("a\0b\rc\nd\u202ee\u2066f") == "a\\x00b\\rc\\nd\\u202ee\\u2066f"
    kept = "Ana 👩‍👩‍👧 مرحبا 你好 Zoë\u200dx"  # emoji joined by ZWJ, Arabic, CJK: not controls
    assert shown(kept) == kept


def test_metrics_prints_a_queue_name_escaped(team, capsys):
    code, out, err = cli(capsys, "--user", "lou", "metrics", "--by", "queue", "--store", team)
    assert code == 0, err
    assert unsafe(out) == [] and "\\x1b]0;pwned\\x07spam\\x9b2J" in out
    code, out, _ = cli(capsys, "--user", "lou", "metrics", "--by", "queue", "--json", "--store", team)
    assert code == 0 and json.loads(out)["groups"][0]["key"] == HOSTILE_QUEUE  # JSON is data: exact, and escaped


def test_a_refusal_naming_a_person_prints_the_name_escaped(team, capsys):
    code, out, err = cli(capsys, "--user", HOSTILE_PERSON, "metrics", "--store", team)
    assert code == 2 and unsafe(err) == [] and "mallory\\x1b[2J\\u202egnp.exe" in err


def test_sampling_prints_queue_names_escaped(team, capsys):
    with wiring.open_store(team) as store:
        decided_item(store, HOSTILE_QUEUE, "ana", action="remove", labels=["harassment"],
                     decided_at="2026-01-19T09:00:00Z", external_id="new-1")
    from audit import plans

    with wiring.open_store(team) as store:
        plans.save_plan(store, "lou", "all", rate=1.0, seed="s", starts_at="2026-01-01")
    code, out, err = cli(capsys, "--user", "lou", "sample", "--store", team)
    assert code == 0, err
    assert unsafe(out) == [] and "queue \\x1b]0;pwned" in out


def test_import_prints_a_hostile_manifest_name_escaped(tmp_path, capsys):
    folder = tmp_path / "drop\x1b[2J"
    folder.mkdir()
    manifest = folder / "m.jsonl"
    hostile = '{"id": "2", "queue": "q\\u001b[2J", "text": "x"}'
    manifest.write_text(json.dumps({"id": "1", "queue": "q", "text": "x"}) + "\n" + hostile + "\n", encoding="utf-8")
    code, out, err = cli(capsys, "--user", "lou", "import", manifest, "--store", tmp_path / "s.db", "--create-queues")
    assert code == 1 and unsafe(out + err) == []
    assert "drop\\x1b[2J" in err and "queue contains a control character (U+001B)" in err
