"""The break screen through the real window (issue 12 §1): sign-out, sign-in and a second window do not end a break.

The issue's keys, at the enforced break screen: Ctrl+Shift+L (sign out),
Enter (sign in), Ctrl+2 (Review), Enter (claim). Before, an item was
claimed 44 s into a 3-minute break and a fresh banner with two new snoozes
followed. Now the break screen comes back with the time left, nothing is
claimed, and no prompt starts over. Fake clock; no sleeps.
"""

from __future__ import annotations

import builders
import pytest
from PySide6.QtCore import QSettings, Qt

from desktop import app as desktop_app
from review.store import wellbeing as ws
from review.wellbeing.checkins import checkins_of
from review.wellbeing.policy import WellbeingPolicy, save_policy
from ui.wellbeing.break_screen import BreakScreen
from ui.wellbeing.controller import WellbeingController

WAIT_MS = 5000


@pytest.fixture
def team(store):
    people = builders.people(store, lee="lead", ana="moderator")
    save_policy(store, people["lee"], WellbeingPolicy(max_snoozes=0))  # the first dialog commits the break
    builders.text_items(store, store.add_queue("q"), 6, severity="low", text="a post")
    return store


def _window(qtbot, store, tmp_path, name):
    window = desktop_app.build_window(store, QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    return window


def _screen(window):
    """The break screen showing in *window*, if one is."""
    screens = [s for s in window.findChildren(BreakScreen) if s.isVisible()]
    return screens[0] if screens else None


def _controller(qtbot, window):
    """The signed-in person's wellbeing controller (a signed-out one is deleted)."""
    qtbot.waitUntil(lambda: len(window.findChildren(WellbeingController)) == 1, timeout=WAIT_MS)
    return window.findChild(WellbeingController)


def _leased(store):
    return store.db.execute("SELECT COUNT(*) FROM leases WHERE expires_at > ?", [store.now()]).fetchone()[0]


def _until_enforced(qtbot, window, clock):
    """Claim with Enter, then review until the break is enforced (dialog at 55 min, 2-minute grace)."""
    page = window.show_page("review")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.item is not None, timeout=WAIT_MS)
    controller = _controller(qtbot, window)
    while not controller.on_break:
        clock.advance(30)
        controller.activity()
        controller.tick()
    qtbot.waitUntil(lambda: page.item is None and page.ops.pending() == 0, timeout=WAIT_MS)
    window.activateWindow()  # a window manager gives it back once the dialog closed; offscreen does not
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    return page


def test_signing_out_and_in_brings_the_break_screen_back_and_claims_nothing(qtbot, team, clock, tmp_path):
    window = _window(qtbot, team, tmp_path, "one")
    window.sign_in_as("ana")
    _until_enforced(qtbot, window, clock)
    screen = _screen(window)
    assert screen is not None and screen.remaining == 180
    assert _leased(team) == 0
    clock.advance(44)
    _controller(qtbot, window).tick()

    assert window.focusWidget() is screen  # the keys go to the screen, as a person's would
    qtbot.keyClick(screen, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.current_user is None
    qtbot.keyClick(window.sign_in_page.list, Qt.Key.Key_Return)  # ana is the one selected
    assert window.current_user.name == "ana"
    screen = _screen(window)
    assert screen is not None and screen.remaining == 180 - 44 and screen.countdown.text() == "02:16"
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Return)
    page = window.page("review")
    if page is not None:
        qtbot.waitUntil(lambda: page.ops.pending() == 0, timeout=WAIT_MS)
        assert page.item is None
    assert _leased(team) == 0 and screen.isVisible() and not screen.finished
    assert screen.hasFocus() or screen.isAncestorOf(window.focusWidget())
    assert checkins_of(team, "ana", "ana") == []  # Ctrl+2 answered nothing on the way
    ana = team.user("ana")
    assert [e.kind for e in ws.events(team, day=team.now()[:10], user_id=ana.id,
                                      kinds=["prompted_banner", "break_enforced"])] == [
        "prompted_banner", "break_enforced"]  # no fresh banner, no second break

    clock.advance(136)
    _controller(qtbot, window).tick()
    assert screen.finished and screen.back_button.isVisible()
    window.sign_out()


def test_a_second_window_shows_the_break_with_the_time_left(qtbot, team, clock, tmp_path):
    first = _window(qtbot, team, tmp_path, "one")
    first.sign_in_as("ana")
    other = team.second_connection()
    second = _window(qtbot, other, tmp_path, "two")
    second.sign_in_as("ana")
    _until_enforced(qtbot, first, clock)
    clock.advance(30)
    _controller(qtbot, second).tick()  # the running window joins the break, once its reader has read it
    qtbot.waitUntil(lambda: _screen(second) is not None, timeout=WAIT_MS)
    assert _screen(second).remaining == 150
    third = _window(qtbot, other, tmp_path, "three")  # and one opened now starts on it
    third.sign_in_as("ana")
    assert _screen(third).remaining == 150
    for window in (first, second, third):
        window.sign_out()
