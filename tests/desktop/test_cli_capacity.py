"""Issue 16 §1: ``veil capacity`` (a lead's forecast per queue) and ``veil staffing`` (the calculator alone)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import ago, decided_item, people, text_items

from desktop import wiring
from desktop.commands.capacity import COLUMNS
from desktop.main import main
from review.clock import FakeClock

NOW = "2026-01-05T09:00:00Z"


@pytest.fixture(autouse=True)
def _store_clock_at_nine(monkeypatch):
    """The command's store reads the fixture's fake time, so the window holds the built history."""
    opened = wiring.open_store
    monkeypatch.setattr(wiring, "open_store", lambda path, clock=None: opened(path, clock=FakeClock(NOW)))


@pytest.fixture
def floor(tmp_path) -> Path:
    """The forecast tests' "posts" queue (tests/review/test_planning_forecast.py): 72 waiting, 3 in and 2 out an
    hour, 900 s per item, SLA 4 h — first breach 12:00, 6 people needed, 8 rostered."""
    path = tmp_path / "floor.db"
    with wiring.open_store(path) as store:
        people(store, ana="moderator", lee="lead")
        queue = store.add_queue("posts", sla_seconds=4 * 3600)
        for k in range(48):
            decided_item(store, queue, "ana", decided_at=ago(store, 23.5 - k * 0.48),
                         handle_ms=600_000 if k % 2 else 1_200_000)
        text_items(store, queue, 72, received_at="2026-01-05T08:00:00.000Z")
    return path


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_capacity_as_json_agrees_with_the_hand_calculation(capsys, floor):
    code, out, err = cli(capsys, "--user", "lee", "capacity", "--store", floor, "--json")
    assert code == 0, err
    (posts,) = [row for row in json.loads(out) if row["queue"] == "posts"]
    assert set(COLUMNS) <= set(posts)
    assert {k: posts[k] for k in COLUMNS} == {
        "queue": "posts", "waiting": 72, "inflow_per_hour": 3.0, "outflow_per_hour": 2.0,
        "handle_seconds_mean": 900.0, "hours_to_clear": None, "first_breach_at": "2026-01-05T12:00:00.000Z",
        "people_needed": 6, "people_rostered_needed": 8, "model": "backlog"}
    assert len(posts["projection"]) == 25


def test_capacity_prints_a_table_with_every_queue(capsys, floor):
    code, out, err = cli(capsys, "--user", "lee", "capacity", "--store", floor)
    assert code == 0, err
    assert out.splitlines()[0].split()[:3] == ["queue", "waiting", "in/h"]
    assert any(line.startswith("posts") and line.rstrip().endswith("backlog") for line in out.splitlines())


def test_capacity_is_for_a_signed_in_lead(capsys, floor):
    code, _, err = cli(capsys, "--user", "ana", "capacity", "--store", floor)
    assert code == 2 and "only a lead can see the capacity forecast" in err
    code, _, err = cli(capsys, "capacity", "--store", floor)
    assert code == 2


def test_capacity_refuses_an_empty_window(capsys, floor):
    code, _, err = cli(capsys, "--user", "lee", "capacity", "--store", floor, "--window-hours", "0")
    assert code == 2 and "--window-hours" in err


def test_staffing_gives_the_published_example_without_a_store_or_sign_in(capsys, tmp_path):
    code, out, err = cli(capsys, "staffing", "--arrivals-per-hour", 200, "--handle-seconds", 180, "--target", 0.8,
                         "--within", 20, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["agents"] == 14 and result["rostered"] == 20
    assert round(result["occupancy"], 3) == 0.714 and round(result["service_level"], 3) == 0.888
    assert set(result) == {"agents", "service_level", "wait_probability", "average_wait_seconds", "occupancy",
                           "rostered"}
    assert not list(tmp_path.glob("**/*.db"))  # no store was opened or made


def test_staffing_prints_lines_too(capsys):
    code, out, _ = cli(capsys, "staffing", "--arrivals-per-hour", 200, "--handle-seconds", 180, "--target", 0.8,
                       "--within", 20, "--shrinkage", 0.2, "--max-occupancy", 0.9)
    assert code == 0
    assert "agents                14" in out and "rostered              18" in out


@pytest.mark.parametrize(("option", "value", "words"), [
    ("--arrivals-per-hour", -3, "arrivals per hour"),
    ("--handle-seconds", 0, "handle time"),
    ("--target", 1.5, "target"),
    ("--target", 0, "target"),
    ("--shrinkage", 1, "shrinkage"),
])
def test_staffing_says_what_is_wrong_and_exits_2(capsys, option, value, words):
    argv = {"--arrivals-per-hour": 200, "--handle-seconds": 180, "--target": 0.8, "--within": 20}
    argv[option] = value
    code, out, err = cli(capsys, "staffing", *[x for pair in argv.items() for x in pair])
    assert code == 2 and words in err and not out
