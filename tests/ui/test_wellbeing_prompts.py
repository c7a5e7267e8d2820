"""The break prompts as a person meets them in the window (issue 12 §1, the smaller findings).

- The banner has a row of its own, as tall as its words: no longer three lines in a one-line slot.
- Ctrl+B (and Session ▸ Take a break now) starts a break on one's own, from any page.
- The check-in takes the digit keys 1–5.
- Esc on the break dialog does what the dialog says it does.
- Text items are booked as shown; the meter says severe time counts blurred time too.
"""

from __future__ import annotations

import builders
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from desktop import app as desktop_app
from review import serving
from review.store import wellbeing as ws
from review.wellbeing.checkins import checkins_of
from ui.operations import Operations
from ui.wellbeing.break_screen import BreakScreen
from ui.wellbeing.controller import WellbeingController
from ui.wellbeing.meter import ExposureMeter
from ui.wellbeing.prompts import BreakBanner, BreakDialog

WAIT_MS = 5000
LONG = ("Today's time on severe items is used up (4 h). You will get milder items for the rest of the day. "
        "A lead can lift the limit with a reason.")


@pytest.fixture
def team(store):
    builders.people(store, lee="lead", ana="moderator")
    builders.text_items(store, store.add_queue("q"), 4, severity="low", text="a post")
    return store


@pytest.fixture
def window(qtbot, team, tmp_path):
    built = desktop_app.build_window(team, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(built)
    with qtbot.waitActive(built):
        built.show()
        built.activateWindow()
    built.sign_in_as("ana")
    yield built
    built.sign_out()


def _controller(window):
    return window.findChild(WellbeingController)


def _banner(window):
    return window.findChild(BreakBanner)


@pytest.mark.parametrize("width", [1280, 700])
def test_the_banner_has_a_row_of_its_own_as_tall_as_its_words(qtbot, window, width):
    window.resize(width, 720)
    _controller(window).banner.emit(LONG)
    banner = _banner(window)
    qtbot.waitUntil(lambda: banner.isVisible() and banner.message.width() > 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: banner.message.height() >= banner.message.heightForWidth(banner.message.width()),
                    timeout=WAIT_MS)  # every line shows
    assert banner.width() >= window.width() - 20  # across the window, not a slot beside the meter
    status = window.statusBar().geometry()
    assert banner.geometry().bottom() < status.top()  # above the status bar, not in it
    qtbot.mouseClick(banner.later_button, Qt.MouseButton.LeftButton)
    assert not banner.isVisible()


def test_ctrl_b_takes_a_break_from_any_page_and_the_session_menu_offers_it(qtbot, window):
    menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&Session")
    [action] = [a for a in menu.actions() if a.text() == "Take a break now"]
    assert action.shortcut() == QKeySequence("Ctrl+B")
    page = window.show_page("review")
    controller = _controller(window)
    with qtbot.waitSignal(controller.enforce_break, timeout=WAIT_MS) as started:
        qtbot.keyClick(page, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert started.args[0] == 180 and controller.on_break
    screen = window.findChild(BreakScreen)
    assert screen.isVisible() and screen.countdown.text() == "03:00"
    assert "Ctrl+B" in window.findChild(ExposureMeter).toolTip()


def test_the_checkin_takes_the_digit_keys_once(qtbot, window, team, clock):
    controller = _controller(window)
    controller.take_break()
    screen = window.findChild(BreakScreen)
    qtbot.keyClick(screen, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # Ctrl+2 (a page's key) is no answer
    assert all(b.isEnabled() for b in screen.checkin_buttons)
    with qtbot.waitSignal(screen.checked_in, timeout=WAIT_MS) as answered:
        qtbot.keyClick(screen, Qt.Key.Key_4)
    assert answered.args == [4] and not any(b.isEnabled() for b in screen.checkin_buttons)
    qtbot.keyClick(screen, Qt.Key.Key_2)  # answered already: nothing more
    assert window.findChild(Operations).wait_idle()  # the answer is written on the writer thread
    assert [c.score for c in checkins_of(team, "ana", "ana")] == [4]
    assert "Press or click 1" in screen.checkin_label.text()


def test_digits_reach_the_checkin_while_the_puzzle_has_the_keys(qtbot, host_screen):
    screen = host_screen
    screen.start(600, cooldown=True, text="A long break.")
    assert screen.puzzle.isVisible()
    with qtbot.waitSignal(screen.checked_in, timeout=WAIT_MS) as answered:
        qtbot.keyClick(screen.puzzle, Qt.Key.Key_1)
    assert answered.args == [1]


@pytest.fixture
def host_screen(qtbot):
    host = QWidget()
    host.resize(900, 700)
    qtbot.addWidget(host)
    host.show()
    screen = BreakScreen(host)
    yield screen
    screen.release()


@pytest.mark.parametrize("snoozes_left, says, choice", [(2, "Snooze 5 min (2 left) · Esc", "snooze"),
                                                        (0, "Finish this item first · Esc", "ack")])
def test_esc_on_the_break_dialog_does_what_the_dialog_says(qtbot, snoozes_left, says, choice):
    dialog = BreakDialog("Time for a 3-minute break.", snoozes_left)
    qtbot.addWidget(dialog)
    assert dialog.second_button.text() == says and dialog.take_button.text() == "Take a break · Enter"
    dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.choice == choice


def test_a_text_item_on_the_review_page_is_booked_as_shown(qtbot, window, team, clock):
    page = window.show_page("review")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.item is not None, timeout=WAIT_MS)
    assert serving.load_item(team, page.item.id).kind == "text"
    clock.advance(40)
    qtbot.keyClick(page, Qt.Key.Key_A)  # no violation: the item leaves, its exposure is booked
    qtbot.waitUntil(lambda: page.ops.pending() == 0 and not page.busy, timeout=WAIT_MS)
    ana = team.user("ana")
    row = ws.exposure_sums(team, team.now()[:10], ana.id)[ana.id]
    assert row.blurred_ms == 0 and row.revealed_ms >= 40_000


def test_the_meter_says_what_severe_and_revealed_time_count(qtbot):
    meter = ExposureMeter()
    qtbot.addWidget(meter)
    tip = meter.toolTip()
    assert "Severe: time severe items were on screen, blurred or not" in tip  # as docs/wellbeing.md counts it
    assert "text, which is never veiled" in tip
