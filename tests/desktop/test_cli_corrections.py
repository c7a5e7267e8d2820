"""``veil decisions mine|request-correction`` and ``veil corrections list|decline|correct``: the domain's rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import decided_item, people

from desktop import wiring
from desktop.main import main
from review.clock import FakeClock


@pytest.fixture
def floor(tmp_path) -> Path:
    path = tmp_path / "floor.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, ana="moderator", ben="moderator", lee="lead")
        store.add_queue("spam")
        decided_item(store, "spam", "ana", decided_at="2026-01-19T08:00:00.000Z", action="remove", labels=["spam"],
                     external_id="post-1")
    return path


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_moderator_asks_and_a_lead_corrects(capsys, floor):
    code, out, _ = cli(capsys, "decisions", "mine", "--store", floor, "--user", "ana", "--json")
    [mine] = json.loads(out)
    assert code == 0 and (mine["item"], mine["action"], mine["state"], mine["audited"]) == (
        "post-1", "remove", "stands", False)
    code, out, _ = cli(capsys, "decisions", "request-correction", mine["decision"], "--reason", "not spam",
                       "--store", floor, "--user", "ana")
    assert code == 0 and "request #1" in out
    code, _, err = cli(capsys, "corrections", "list", "--store", floor, "--user", "ana")
    assert code == 2 and "lead" in err
    code, out, _ = cli(capsys, "corrections", "list", "--json", "--store", floor, "--lead", "lee")
    assert code == 0 and [r["reason"] for r in json.loads(out)] == ["not spam"]
    code, out, _ = cli(capsys, "corrections", "correct", 1, "--action", "no_violation", "--store", floor,
                       "--lead", "lee")
    assert code == 0 and "no_violation now stands on post-1" in out
    code, out, _ = cli(capsys, "decisions", "mine", "--store", floor, "--user", "ana")
    assert "corrected by a lead" in out and "correction corrected" in out


def test_a_lead_declines_with_a_reason_and_a_second_answer_is_refused(capsys, floor):
    cli(capsys, "decisions", "request-correction", 1, "--reason", "wrong", "--store", floor, "--user", "ana")
    code, out, _ = cli(capsys, "corrections", "decline", 1, "--reason", "It stands.", "--store", floor,
                       "--lead", "lee")
    assert code == 0 and "stands" in out
    code, _, err = cli(capsys, "corrections", "decline", 1, "--reason", "again", "--store", floor, "--lead", "lee")
    assert code == 2 and "already declined" in err
    code, _, err = cli(capsys, "decisions", "request-correction", 1, "--reason", "mine?", "--store", floor,
                       "--user", "ben")
    assert code == 2 and "Only the person who made" in err


def test_the_limit_is_clamped_and_an_open_qa_sample_is_never_said(capsys, floor):
    from audit import sampling

    with wiring.open_store(floor, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        decided_item(store, "spam", "ana", decided_at="2026-01-19T09:00:00.000Z", external_id="post-2")
        sampling.add_sample(store, "lee", 1)  # QA drew post-1: open, so ana must not learn it
    code, out, _ = cli(capsys, "decisions", "mine", "--limit", "-1", "--json", "--store", floor, "--user", "ana")
    assert code == 0 and [d["item"] for d in json.loads(out)] == ["post-2"]
    code, out, _ = cli(capsys, "decisions", "mine", "--store", floor, "--user", "ana")
    assert code == 0 and "post-1" in out and "QA" not in out and "sampled" not in out
    code, out, _ = cli(capsys, "decisions", "mine", "--json", "--store", floor, "--user", "ana")
    assert [d["audited"] for d in json.loads(out)] == [False, False]
