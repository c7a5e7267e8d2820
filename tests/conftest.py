"""Shared fixtures: offscreen Qt, a fake clock and a fresh store per test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from review.clock import FakeClock  # noqa: E402
from desktop import wiring  # noqa: E402

# No per-example deadline (a busy CI machine is not a bug); in CI, fixed
# examples so a run is reproducible (HYPOTHESIS_PROFILE=ci, set by .ci/run).
settings.register_profile("veil", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "veil"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """No test ever touches the real user data folder."""
    monkeypatch.setenv("VEIL_HOME", str(tmp_path / "veil-home"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock("2026-01-05T09:00:00.000Z")


@pytest.fixture
def store(tmp_path, clock):
    with wiring.open_store(tmp_path / "veil.db", clock=clock) as opened:
        yield opened


@pytest.fixture
def no_leftover_ui_work(qapp):
    """Like napari: fail a test that leaves a Veil timer running or background work pending.

    GUI test modules opt in with ``pytestmark = pytest.mark.usefixtures("no_leftover_ui_work")``.
    """
    from PySide6.QtCore import QCoreApplication, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from ui.tasks import TaskRunner

    yield
    QCoreApplication.sendPostedEvents(None, 0)
    QApplication.processEvents()
    direct = Qt.FindChildOption.FindDirectChildrenOnly
    leftovers = []
    for widget in QApplication.allWidgets():
        if not type(widget).__module__.startswith("ui."):
            continue
        leftovers += [f"{type(widget).__name__}: timer {t}" for t in widget.findChildren(QTimer, options=direct)
                      if t.isActive()]
        leftovers += [f"{type(widget).__name__}: runner with {r.pending()} pending"
                      for r in widget.findChildren(TaskRunner, options=direct) if r.pending() and not r.closed]
    assert not leftovers, leftovers
