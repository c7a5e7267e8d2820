"""``veil cases``: a lead's list of open cases, narrowed by queue; anyone else is refused (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import people

from desktop import wiring
from desktop.main import main
from review.clock import FakeClock


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def floor(tmp_path) -> Path:
    path = tmp_path / "floor.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, ana="moderator", lee="lead")
        store.add_queue("images")
        store.add_queue("texts")
    return path


def test_cases_are_a_leads_and_a_queue_narrows_them(capsys, floor, tmp_path):
    manifest = tmp_path / "texts.jsonl"
    manifest.write_text("".join(json.dumps({"id": f"t{n}", "queue": "texts", "text": "same words"}) + "\n"
                                for n in range(3)), encoding="utf-8")
    assert cli(capsys, "--user", "lee", "import", manifest, "--store", floor)[0] == 0
    code, out, err = cli(capsys, "--user", "ana", "cases", "--store", floor, "--json")
    assert code == 2 and "only a lead" in err
    code, out, _ = cli(capsys, "--user", "lee", "cases", "--store", floor, "--queue", "images", "--json")
    assert (code, json.loads(out)) == (0, [])
    code, out, _ = cli(capsys, "--user", "lee", "cases", "--store", floor)
    assert code == 0 and "3 reports (3 open, by sha256)  lead t0" in out
    code, _, err = cli(capsys, "--user", "lee", "cases", "--store", floor, "--queue", "nope")
    assert code == 2 and "nope" in err
