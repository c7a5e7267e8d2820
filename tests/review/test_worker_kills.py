"""Reviewer processes SIGKILLed mid-work lose no committed decision and store none twice (issue 11).

The harness is ``benchmarks/bench_kill_workers.py``'s, which runs it with
200+ kills and prints the figures; here it is small: two workers (a lead
and a moderator) on one store, ten kills. Each kill comes the moment a
worker has said a drawn number of things (it says each step before taking
it), never after a sleep, so the run does not depend on the machine's speed;
the parent's deadline bounds it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def harness(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_kill_workers

    return bench_kill_workers


def test_killed_workers_lose_no_decision_and_duplicate_none(harness, tmp_path):
    path = tmp_path / "kills.db"
    names = harness.build(path, workers=2, items=300)
    run = harness.Run(path, kills=10, messages_per_life=6, timeout_s=120, seed=11)

    harness.kill_workers(run, names)
    found = harness.check(run)

    assert sum(run.killed_after.values()) >= 10
    assert found["decisions_reported"] > 0
    assert (found["lost"], found["duplicated"], found["bad_items"]) == (0, 0, 0), found
    assert found["chain"].startswith("intact") and found["verified"], found
