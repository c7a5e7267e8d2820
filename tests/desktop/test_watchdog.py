"""The GUI watchdog harness (benchmarks/bench_gui_watchdog.py, issue 22 §2) runs, so it cannot rot.

At a tiny scale: the walk signs in, opens every page and tab, decides an item, and signs out under
the watchdog; and the watchdog sees a block it is shown, with the stack of what ran.
"""

from __future__ import annotations

import time

import pytest
from builders import benchmark_module

from desktop import demo, wiring


@pytest.fixture(scope="module")
def harness():
    return benchmark_module("bench_gui_watchdog")


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("watchdog")
    with wiring.open_store(folder / "veil.db") as store:
        demo.create(store, folder / "veil.db.media", items=14, seed=3)
    return folder / "veil.db"


def test_the_walk_visits_every_page_and_tab_and_decides(qtbot, harness, demo_path):
    actions = harness.walk(demo_path, decisions=1, roles=("ana", "lee"), settle_ms=30)
    names = [a.name for a in actions]
    assert names[:2] == ["open the window", "ana: sign in"]
    assert {"ana: review", "ana: review / start (Enter)", "ana: review / decision 1", "ana: sign out",
            "lee: dashboard", "lee: settings", "lee: sign out"} <= set(names)
    assert any(name.startswith("lee: dashboard / ") for name in names)  # the lead's views, tab by tab
    assert all(a.block_ms >= 0 for a in actions)


def test_the_watchdog_sees_a_block_and_what_ran(qtbot, harness):
    dog = harness.Watchdog(budget_ms=100)
    try:
        with dog.watching("a deliberate block", settle_ms=50) as blocked:
            time.sleep(0.3)
        with dog.watching("nothing", settle_ms=50) as idle:
            pass
    finally:
        dog.stop()
    assert blocked.block_ms >= 250
    assert any("test_the_watchdog_sees_a_block_and_what_ran" in stack for stack in blocked.stacks)
    assert idle.block_ms < blocked.block_ms
