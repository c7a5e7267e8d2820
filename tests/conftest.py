"""Shared fixtures: offscreen Qt, a fake clock and a fresh store per test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from desktop import wiring  # noqa: E402
from review.clock import FakeClock  # noqa: E402

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


@pytest.fixture(autouse=True)
def _no_leftover_qt_work(request, monkeypatch):
    """Like napari's conftest: a Qt test fails if it leaves a timer running or background work behind.

    Every test that uses ``qapp`` or ``qtbot`` is checked, automatically:
    after it (and after its widgets were closed and deleted), no timer it
    started may still be running, and no task runner it created may still be
    open with work pending or its threads alive.
    """
    if not {"qapp", "qtbot"} & set(request.fixturenames):
        yield
        return
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QTimer

    from ui.tasks import TaskRunner

    timers: list = []
    runners: list = []
    start_timer, make_runner = QTimer.start, TaskRunner.__init__

    def start(timer, *args):
        timers.append(timer)
        return start_timer(timer, *args)

    def runner_init(runner, *args, **kwargs):
        make_runner(runner, *args, **kwargs)
        runners.append(runner)

    monkeypatch.setattr(QTimer, "start", start)
    monkeypatch.setattr(TaskRunner, "__init__", runner_init)
    yield
    QCoreApplication.sendPostedEvents(None, 0)
    QCoreApplication.processEvents()
    leftovers = [f"a running {t.interval()} ms timer of {type(t.parent()).__name__}"
                 for t in timers if shiboken6.isValid(t) and t.isActive()]
    leftovers += [f"task runner {r.objectName()!r} left open ({r.pending()} pending)"
                  for r in runners if shiboken6.isValid(r) and not r.closed]
    assert not leftovers, leftovers
