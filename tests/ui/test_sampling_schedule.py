"""The app's sampling schedule runs as the signed-in lead, or not at all (issue 11, "Doors").

``audit.sampling.run_due_plans`` needs a lead; the schedule in
``desktop.app`` asks the window who is signed in at each tick.
"""

from __future__ import annotations

import pytest
from builders import people
from PySide6.QtCore import QSettings

from audit import sampling
from desktop import app as desktop_app

WAIT_MS = 5000


@pytest.fixture
def window(qtbot, store, tmp_path):
    people(store, ana="moderator", lee=["lead", "moderator"])
    built = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(built)
    return built


def _schedule(window, monkeypatch, qtbot):
    ran = []
    original = sampling.run_due_plans

    def recording(store, lead=None, *args, **kwargs):  # lead=None: today's schedule passes none
        ran.append(getattr(lead, "name", lead))
        return original(store, lead, *args, **kwargs)

    monkeypatch.setattr(sampling, "run_due_plans", recording)
    operations = window.findChild(desktop_app.SessionOperations)
    stop = desktop_app.start_sampling_schedule(window, operations)
    return ran, stop, operations


@pytest.mark.parametrize("who", [None, "ana"])
def test_nothing_is_sampled_without_a_signed_in_lead(window, monkeypatch, qtbot, who):
    if who:
        window.sign_in_as(who)
    asked = []
    signed_in = type(window).current_user
    monkeypatch.setattr(type(window), "current_user", property(lambda w: asked.append(1) or signed_in.fget(w)))
    ran, stop, operations = _schedule(window, monkeypatch, qtbot)
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)  # the first tick asked who is signed in
    stop()
    assert ran == []
    assert operations.current().wait_idle(WAIT_MS)


def test_the_schedule_samples_as_the_signed_in_lead(window, monkeypatch, qtbot):
    window.sign_in_as("lee")
    ran, stop, operations = _schedule(window, monkeypatch, qtbot)
    qtbot.waitUntil(lambda: ran == ["lee"], timeout=WAIT_MS)
    stop()
    assert operations.current().wait_idle(WAIT_MS)


def test_a_lead_signing_in_later_is_sampled_for_at_once(window, monkeypatch, qtbot):
    ran, stop, operations = _schedule(window, monkeypatch, qtbot)
    window.sign_in_as("lee")
    qtbot.waitUntil(lambda: ran == ["lee"], timeout=WAIT_MS)
    stop()
    assert operations.current().wait_idle(WAIT_MS)
