"""Wellbeing widgets and controller under a fake clock (pytest-qt, no sleeps)."""

from __future__ import annotations

import contextlib
import threading

import pytest
from builders import people
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

import resources
from review import serving, taxonomy
from review.desk import ReviewDesk
from review.media.viewing import ViewSettings
from review.wellbeing.checkins import checkins_of
from review.wellbeing.exposure import ExposureTracker
from review.wellbeing.meter import MeterState
from review.wellbeing.policy import WellbeingPolicy
from ui import keymap
from ui.operations import Operations
from ui.pages.review import ReviewPage, ReviewServices
from ui.wellbeing.break_screen import BreakScreen
from ui.wellbeing.controller import WellbeingController
from ui.wellbeing.cooldown import BlockGame, CooldownPuzzle
from ui.wellbeing.meter import ExposureMeter
from ui.wellbeing.prompts import BreakBanner, BreakDialog
from ui.wellbeing.widgets import WellbeingWidgets

MIN = 60_000


@pytest.fixture
def ana(store):
    return people(store, lee="lead", ana="moderator")["ana"]


@pytest.fixture
def queue_items(store):
    queue = store.add_queue("q")
    rows = [{"external_id": f"{sev}{n}", "queue_id": queue.id, "kind": "text", "severity": sev,
             "text": f"post {sev} {n}",
             "received_at": f"2026-01-05T08:{n:02d}:00.000Z", "priority": 1 if sev == "severe" else 0}
            for sev in ("severe", "low") for n in range(20)]
    store.add_items(rows)
    return {sev: [r[0] for r in store.db.execute("SELECT id FROM items WHERE severity = ? ORDER BY id", [sev])]
            for sev in ("severe", "low")}


class Item:
    def __init__(self, item_id, severity, kind="image"):
        self.id, self.severity, self.kind = item_id, severity, kind


class Recorder:
    """Every signal of a controller, in order."""

    NAMES = ("banner", "dialog", "enforce_break", "break_remaining", "break_over", "prompt_cleared", "idle_pause",
             "meter_changed", "serving_rule_changed")

    def __init__(self, controller):
        self.seen = []
        for name in self.NAMES:
            getattr(controller, name).connect(lambda *args, n=name: self.seen.append((n, args)))

    def names(self, *, skip=("meter_changed", "break_remaining", "serving_rule_changed")):
        return [n for n, _ in self.seen if n not in skip]

    def last(self, name):
        return [args for n, args in self.seen if n == name][-1]


def run(controller, clock, seconds, step=30, *, active=True):
    while seconds > 0:
        dt = min(step, seconds)
        clock.advance(dt)
        seconds -= dt
        if active:
            controller.activity()
        controller.tick()


class _Watched:
    """A store's connection that notes each statement run through it on one thread (the GUI thread)."""

    def __init__(self, conn, thread: int, seen: list[str]):
        self._conn, self._thread, self._seen = conn, thread, seen

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def _noted(self, sql):
        if threading.get_ident() == self._thread:
            self._seen.append(sql)

    def execute(self, sql, *args):
        self._noted(sql)
        return self._conn.execute(sql, *args)

    def executemany(self, sql, *args):
        self._noted(sql)
        return self._conn.executemany(sql, *args)


@contextlib.contextmanager
def statements_on_the_gui_thread(store, ops):
    """The statements run through *store*'s writer connection on this (the GUI) thread meanwhile.

    A Python wrapper, swapped in and out while the runner's writer is idle: SQLite's trace callback on the writer
    connection, called on the writer thread, crashed the test process in CI (a segfault, a bus error) in this file.
    """
    seen: list[str] = []
    assert ops.wait_idle()
    real = store.db.conn
    store.db.conn = _Watched(real, threading.get_ident(), seen)
    try:
        yield seen
    finally:
        assert ops.wait_idle()
        store.db.conn = real


@pytest.fixture
def host(qtbot):
    widget = QWidget()
    widget.resize(900, 600)
    layout = QVBoxLayout(widget)
    widget.content = QLabel("SIMULATED ITEM CONTENT")
    layout.addWidget(widget.content)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


# ------------------------------------------------------------------ meter
@pytest.mark.parametrize("severe_min, due, level, colour, suffix", [
    (70, False, "calm", "muted", ""),
    (180, False, "attention", "at_risk", ""),
    (10, True, "attention", "at_risk", " · break due"),
    (240, False, "limit", "breached", " · budget used"),
])
def test_meter_text_and_colour_thresholds(qtbot, severe_min, due, level, colour, suffix):
    meter = ExposureMeter()
    qtbot.addWidget(meter)
    meter.set_state(MeterState(3 * MIN, severe_min * MIN, 240 * MIN, 42 * MIN, due))
    assert meter.level == level and meter.label.property("level") == level  # the stylesheet's selector
    selector = "QLabel#exposureMeterText" + ("" if level == "calm" else f'[level="{level}"]')
    assert f"{selector} {{ color: @{colour}; }}" in resources.path("theme.qss").read_text(encoding="utf-8")
    assert meter.text().startswith("Revealed today 3 min · Severe ")
    assert meter.text().endswith("Since break 42 min" + suffix)


def test_meter_follows_the_controller_and_repaints_only_on_visible_change(qtbot, store, clock, ana, queue_items, host):
    controller = WellbeingController(store, ana, clock)
    widgets = WellbeingWidgets(controller, host)
    changes = []
    controller.meter_changed.connect(changes.append)
    controller.item_shown(Item(queue_items["severe"][0], "severe"))
    run(controller, clock, 55 * 60, step=1)
    assert widgets.meter.text() == "Revealed today 0 min · Severe 55 min / 4 h · Since break 55 min · break due"
    assert widgets.meter.level == "attention"
    assert 55 <= len(changes) <= 60  # once a minute (and at the banner), not 3300 times
    widgets.close()


# ---------------------------------------------------------- prompt stages
def test_prompt_stages_in_order_with_the_snooze_limit(qtbot, store, clock, ana, queue_items, host):
    controller = WellbeingController(store, ana, clock)
    widgets = WellbeingWidgets(controller, host)
    seen = Recorder(controller)
    controller.item_shown(Item(queue_items["low"][0], "low"))
    with qtbot.waitSignal(controller.banner, timeout=1000) as banner:
        run(controller, clock, 50 * 60)
    assert "Take a 3-minute break" in banner.args[0] and widgets.banner.isVisible()
    with qtbot.waitSignal(controller.dialog, timeout=1000) as dialog:
        run(controller, clock, 5 * 60)
    assert dialog.args[1] == 2 and widgets.dialog.isVisible() and not widgets.banner.isVisible()
    assert widgets.dialog.second_button.text() == "Snooze 5 min (2 left) · Esc"
    qtbot.mouseClick(widgets.dialog.second_button, Qt.MouseButton.LeftButton)
    assert controller.stage == "snoozed" and widgets.dialog is None
    run(controller, clock, 5 * 60)
    assert widgets.dialog.second_button.text() == "Snooze 5 min (1 left) · Esc"
    assert controller.snooze() is True
    run(controller, clock, 5 * 60)
    assert seen.last("dialog")[1] == 0 and widgets.dialog.second_button.text() == "Finish this item first · Esc"
    assert controller.snooze() is False  # third snooze refused
    qtbot.mouseClick(widgets.dialog.second_button, Qt.MouseButton.LeftButton)
    assert controller.stage == "last_call" and not controller.may_claim()
    controller.item_left(None)
    assert controller.on_break and widgets.screen.isVisible()
    assert seen.names() == ["banner", "dialog", "dialog", "dialog", "enforce_break"]
    assert seen.last("enforce_break") == (180, False, "Step away from the screen if you can: stand up, look at "
                                                      "something far away, breathe out slowly.")
    widgets.close()


def test_the_enforced_break_covers_the_content_and_cannot_be_dismissed_early(
        qtbot, store, clock, ana, queue_items, host):
    fired = []
    QShortcut(QKeySequence("Return"), host, activated=lambda: fired.append("claim"),
              context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
    controller = WellbeingController(store, ana, clock, WellbeingPolicy(micro_break_after_min=120))
    widgets = WellbeingWidgets(controller, host)
    screen = widgets.screen
    for n in range(12):
        controller.item_shown(Item(queue_items["severe"][n], "severe"))
        run(controller, clock, 5 * 60)
        controller.item_left(None)
    assert controller.on_break
    with qtbot.waitSignal(controller.break_remaining, timeout=1000):
        run(controller, clock, 1, step=1, active=False)
    assert screen.isVisible() and screen.geometry() == host.rect()
    assert screen.countdown.text() == "09:59" and screen.puzzle.isVisible()  # a run of severe items: the cool-down
    for point in (host.rect().center(), host.content.geometry().center(), QPoint(2, 2)):
        under = host.childAt(point)
        assert under is screen or screen.isAncestorOf(under)  # nothing of the page is reachable or visible
    for key in (Qt.Key.Key_Escape, Qt.Key.Key_Return, Qt.Key.Key_Space):
        qtbot.keyClick(screen, key)
    qtbot.mouseClick(screen, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert screen.dismiss() is False and screen.isVisible() and fired == []
    assert not screen.back_button.isVisible()
    host.resize(1000, 700)
    qtbot.waitUntil(lambda: screen.geometry() == host.rect())
    run(controller, clock, 9 * 60 + 58, step=1, active=False)
    assert screen.countdown.text() == "00:01" and screen.isVisible()
    with qtbot.waitSignal(controller.break_over, timeout=1000):
        run(controller, clock, 1, step=1, active=False)
    assert screen.back_button.isVisible()
    with qtbot.waitSignal(screen.back_to_work, timeout=1000):
        qtbot.mouseClick(screen.back_button, Qt.MouseButton.LeftButton)
    assert not screen.isVisible() and controller.may_claim()
    widgets.close()


def test_a_break_taken_from_the_banner_offers_a_private_checkin(qtbot, store, clock, ana, queue_items, host):
    controller = WellbeingController(store, ana, clock)
    widgets = WellbeingWidgets(controller, host)
    controller.item_shown(Item(queue_items["low"][0], "low"))
    run(controller, clock, 50 * 60)
    with qtbot.waitSignal(controller.enforce_break, timeout=1000) as started:
        qtbot.mouseClick(widgets.banner.take_button, Qt.MouseButton.LeftButton)
    assert started.args[:2] == [180, False] and not widgets.screen.puzzle.isVisible()
    assert "severe" not in started.args[2] and widgets.screen.message.text() == started.args[2]
    qtbot.mouseClick(widgets.screen.checkin_buttons[3], Qt.MouseButton.LeftButton)
    assert [c.score for c in checkins_of(store, ana, ana)] == [4]
    assert not widgets.screen.checkin_buttons[0].isEnabled() and "Only you" in widgets.screen.checkin_thanks.text()
    widgets.close()


def test_time_away_clears_a_shown_prompt(qtbot, store, clock, ana, queue_items, host):
    controller = WellbeingController(store, ana, clock)
    widgets = WellbeingWidgets(controller, host)
    controller.item_shown(Item(queue_items["low"][0], "low"))
    run(controller, clock, 56 * 60)
    assert widgets.dialog is not None
    controller.item_left(None)
    with qtbot.waitSignal(controller.prompt_cleared, timeout=1000):
        run(controller, clock, 3 * 60, active=False)
    assert widgets.dialog is None and controller.stage == "none"
    widgets.close()


def test_item_left_books_the_item_and_starts_the_break_it_was_waiting_for(qtbot, store, clock, ana, queue_items, host):
    controller = WellbeingController(store, ana, clock, WellbeingPolicy(max_snoozes=0, enforce_grace_s=600))
    widgets = WellbeingWidgets(controller, host)
    seen = Recorder(controller)
    tracker = ExposureTracker(clock)
    tracker.start(queue_items["low"][0], severity="low")
    controller.item_shown(Item(queue_items["low"][0], "low"))
    run(controller, clock, 55 * 60)
    assert seen.names() == ["banner", "dialog"] and not controller.on_break
    with qtbot.waitSignal(controller.enforce_break, timeout=1000):
        controller.item_left(tracker.finish())
    assert widgets.screen.isVisible()
    rows = store.db.execute("SELECT item_id, blurred_ms FROM exposure WHERE user_id = ?", [ana.id]).fetchall()
    assert rows == [(queue_items["low"][0], 55 * MIN)]
    controller.item_left(None)  # nothing in hand: nothing booked, nothing shown
    assert seen.names() == ["banner", "dialog", "enforce_break"]
    widgets.close()


def test_dialog_escape_snoozes_while_it_can(qtbot):
    dialog = BreakDialog("Time for a break", 1)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.snooze, timeout=1000):
        dialog.reject()
    last = BreakDialog("Time for a break", 0)
    qtbot.addWidget(last)
    with qtbot.waitSignal(last.acknowledged, timeout=1000):
        last.reject()


def test_banner_later_just_hides(qtbot):
    banner = BreakBanner()
    qtbot.addWidget(banner)
    banner.show_message("50 min of review")
    with qtbot.waitSignal(banner.later, timeout=1000):
        qtbot.mouseClick(banner.later_button, Qt.MouseButton.LeftButton)
    assert not banner.isVisible()


# ------------------------------------------------- idle, serving, budget
def test_idle_five_minutes_pauses(qtbot, store, clock, ana, queue_items):
    controller = WellbeingController(store, ana, clock)
    controller.item_shown(Item(queue_items["low"][0], "low"))
    run(controller, clock, 4 * 60 + 59, step=1, active=False)
    with qtbot.waitSignal(controller.idle_pause, timeout=1000):
        run(controller, clock, 1, step=1, active=False)


def test_input_anywhere_counts_as_activity(qtbot, store, clock, ana, host):
    controller = WellbeingController(store, ana, clock)
    controller.watch_input(QApplication.instance())
    clock.advance(100)
    qtbot.keyClick(host, Qt.Key.Key_A)
    assert controller.session.last_activity == clock.now()
    controller.close()
    clock.advance(100)
    qtbot.keyClick(host, Qt.Key.Key_A)
    assert controller.session.last_activity != clock.now()


def test_k_severe_in_a_row_and_the_budget_change_the_serving_rule(qtbot, store, clock, ana, queue_items):
    policy = WellbeingPolicy(severe_budget_min=30, severe_break_after_min=120, micro_break_after_min=120)
    controller = WellbeingController(store, ana, clock, policy)
    rules = []
    controller.serving_rule_changed.connect(rules.append)
    controller.tick()
    for n in range(5):
        controller.item_shown(Item(queue_items["severe"][n], "severe"))
        run(controller, clock, 60)
        controller.item_left(None)
    assert rules == ["allow", "prefer_mild"]
    controller.item_shown(Item(queue_items["low"][0], "low"))
    controller.item_left(None)
    controller.item_shown(Item(queue_items["severe"][5], "severe"))
    with qtbot.waitSignal(controller.banner, timeout=1000) as warned:
        run(controller, clock, 18 * 60)
    assert "75 %" in warned.args[0]
    with qtbot.waitSignal(controller.serving_rule_changed, timeout=1000) as stop:
        run(controller, clock, 8 * 60)
    assert stop.args == ["never"] and rules == ["allow", "prefer_mild", "allow", "never"]


# ----------------------------------------------------------------- puzzle
def test_the_puzzle_is_solved_by_a_scripted_key_sequence(qtbot):
    """A known sequence (I, I, O): three pieces placed with the arrows fill the bottom row, which clears."""
    puzzle = CooldownPuzzle(BlockGame(pieces=iter("IIOT")), gravity_ms=0)
    qtbot.addWidget(puzzle)
    puzzle.show()
    qtbot.waitExposed(puzzle)
    puzzle.setFocus()
    script = [Qt.Key.Key_Left] * 3 + [Qt.Key.Key_Down] * 15  # first bar to the left wall, down to the floor
    script += [Qt.Key.Key_Right] * 3 + [Qt.Key.Key_Down] * 15  # second bar to the right wall
    script += [Qt.Key.Key_Left] + [Qt.Key.Key_Down] * 15  # the square into the gap
    with qtbot.waitSignal(puzzle.lines_cleared, timeout=1000) as cleared:
        for key in script:
            qtbot.keyClick(puzzle, key)
    assert cleared.args == [1] and puzzle.game.lines == 1
    assert puzzle.game.grid[-1] == [None] * 4 + ["O", "O"] + [None] * 4  # the square's top half remains
    assert puzzle.game.shape == "T"


def test_the_puzzle_turns_and_never_ends(qtbot):
    game = BlockGame(width=6, height=6, pieces=iter("I" * 40))
    assert game.rotate() and {x for x, _ in game.cells()} == {game.x + 2}
    for _ in range(12):
        game.drop()
    assert game.resets >= 1 and game.fits(game.cells())


def test_a_break_begun_before_the_window_is_shown_covers_all_of_it(qtbot):
    """At sign-in a running break starts while the window is still hidden; it must cover the window once shown."""
    window = QWidget()
    qtbot.addWidget(window)
    screen = BreakScreen(window)
    screen.start(60, cooldown=False, text="A break.")
    window.resize(1280, 720)
    window.show()
    qtbot.waitUntil(lambda: screen.geometry() == window.rect())


def test_the_break_screen_lets_quit_and_sign_out_through(qtbot, host):
    screen = BreakScreen(host)
    screen.start(60, cooldown=False, text="A break.")
    assert screen.isVisible()
    quits = []
    QShortcut(QKeySequence("Ctrl+Q"), host, activated=lambda: quits.append(1),
              context=Qt.ShortcutContext.WindowShortcut)
    qtbot.keyClick(screen, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert quits == [1]


# -------------------------------------------- wired into the review page
def test_an_enforced_break_on_a_decision_claims_nothing_behind_the_screen(qtbot, store, clock, ana, queue_items):
    policy = taxonomy.load()
    ops = Operations(store)
    controller = WellbeingController(store, ana, clock, WellbeingPolicy(micro_break_after_min=120, severe_in_a_row=50),
                                     ops=ops)
    page = ReviewPage(ReviewServices(ops, ReviewDesk(policy), ana, ViewSettings(), keymap.build(policy), clock,
                                     controller))
    widgets = WellbeingWidgets(controller, page)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    page.setFocus()
    action = next(a.id for a in policy.actions if not a.escalates)
    page.start()
    qtbot.waitUntil(lambda: page.item is not None)
    for _ in range(12):
        assert page.item.severity == "severe"
        run(controller, clock, 5 * 60)
        page.act(action)
        qtbot.waitUntil(lambda: not page.busy)  # stored, and the next item (or the break) is on screen
    qtbot.waitUntil(lambda: ops.pending() == 0)  # the item claimed with the last decision has gone back
    assert controller.on_break and widgets.screen.isVisible()
    assert page.item is None and serving.holder(store, queue_items["severe"][12]) is None
    held = store.db.execute("SELECT COUNT(*) FROM leases WHERE user_id = ?", [ana.id]).fetchone()[0]
    assert held == 0
    # the break screen holds the window's keyboard focus again (the page took it in _commit)
    qtbot.waitUntil(lambda: widgets.screen.isAncestorOf(page.focusWidget()))
    page.start()  # Enter during the break: nothing is claimed
    assert page.item is None
    run(controller, clock, 10 * 60, step=1, active=False)
    assert widgets.screen.back_button.isVisible()
    widgets.screen.dismiss()
    page.start()
    qtbot.waitUntil(lambda: page.item is not None)
    assert page.item is not None
    exposure_rows = store.db.execute("SELECT COUNT(*) FROM exposure WHERE user_id = ?", [ana.id]).fetchone()[0]
    assert exposure_rows == 12
    page.close_page()
    ops.close()
    widgets.close()
    controller.close()


def test_a_tick_while_the_server_is_away_waits_for_the_next_one(qtbot, store, clock, ana, monkeypatch):
    """Team mode: the store unreachable for a while made every one-second tick raise (a traceback a second);
    the tick now waits, and the next one after the store returns books the time as before."""
    from review.errors import StoreUnavailable

    controller = WellbeingController(store, ana, clock)
    booked = controller.session.update
    monkeypatch.setattr(controller.session, "update", lambda: (_ for _ in ()).throw(StoreUnavailable("away")))
    controller.tick()  # raised before
    monkeypatch.setattr(controller.session, "update", booked)
    with qtbot.waitSignal(controller.meter_changed, timeout=1000):
        run(controller, clock, 60)
    controller.close()


def test_the_tick_reads_on_a_reader_and_never_waits_for_the_writer_connection(qtbot, store, clock, ana):
    """Issue 22: at 5 M items a decision's commit on a busy disk held the writer connection for 246 ms while the
    one-second tick waited, on the GUI thread, to read through it. With the session's runner the tick runs no
    statement on the GUI thread: a break another window of the person starts is joined, and a lead's lift
    seen, once a reader has read them."""
    import datetime

    from review.clock import iso
    from review.store import wellbeing as ws
    from review.wellbeing.budget import lift_budget

    ops = Operations(store, max_threads=2)
    controller = WellbeingController(store, ana, clock, ops=ops)
    seen = Recorder(controller)
    elsewhere = store.second_connection()  # another window of ana's, and a lead's desk: connections of their own
    with statements_on_the_gui_thread(store, ops) as on_gui_thread:
        ends = iso(clock.now() + datetime.timedelta(minutes=2))
        ws.start_break(elsewhere, ana, "break_started", {}, started_at=elsewhere.now(), ends_at=ends,
                       reason="micro", cooldown=False)
        clock.advance(1)
        controller.tick()
        assert on_gui_thread == []  # the tick itself read nothing, so it waited for nothing
        qtbot.waitUntil(lambda: controller.on_break, timeout=5000)
        assert seen.last("enforce_break")[0] == 119

        budget = controller.session.budget_ms()
        lift_budget(elsewhere, elsewhere.user("lee"), ana, "a long shift of severe queues", minutes=30)
        clock.advance(controller.session.LIFT_REFRESH_S)
        controller.tick()
        qtbot.waitUntil(lambda: controller.session.budget_ms() == budget + 30 * MIN, timeout=5000)
    assert on_gui_thread == []
    controller.close()
    ops.close()
    elsewhere.close()


def test_the_sessions_writes_run_on_the_writer_thread_in_the_order_the_session_made_them(
        qtbot, store, clock, ana, queue_items, monkeypatch):
    """Issue 22: an item's exposure row, a prompt and a break were written on the GUI thread through the writer
    connection, so the key that decided an item waited for whatever the writer thread was committing (on a server,
    for a row lock; with the server away, for the server). With the session's runner they run on its writer
    thread, after the writes asked before them and in the order the session made them; a row that fails says so."""

    from review.errors import StoreError
    from review.store import wellbeing as ws

    ops = Operations(store, max_threads=2)
    controller = WellbeingController(store, ana, clock, WellbeingPolicy(micro_break_min=2), ops=ops)
    seen = Recorder(controller)

    first, second = queue_items["low"][:2]
    tracker = ExposureTracker(clock)
    with statements_on_the_gui_thread(store, ops) as on_gui_thread:
        tracker.start(first, severity="low")
        controller.item_shown(Item(first, "low"))
        run(controller, clock, 60)
        controller.item_left(tracker.finish())
        controller.take_break()
        run(controller, clock, 2 * 60, active=False)
        assert seen.names() == ["enforce_break", "break_over"]
    assert on_gui_thread == []  # the row, the break and its end were all asked of the writer thread
    rows = store.db.execute("SELECT item_id, blurred_ms FROM exposure WHERE user_id = ?", [ana.id]).fetchall()
    assert rows == [(first, 60_000)]
    kinds = [e.kind for e in ws.events(store, day=clock.now().date().isoformat(), user_id=ana.id)]
    assert kinds == ["break_started", "break_taken"]

    def full(*_args, **_kwargs):
        raise StoreError("the disk is full")

    monkeypatch.setattr(ws, "add_exposure", full)
    tracker.start(second, severity="low")
    controller.item_shown(Item(second, "low"))
    clock.advance(30)
    controller.item_left(tracker.finish())
    qtbot.waitUntil(lambda: seen.names()[-1:] == ["banner"], timeout=5000)
    assert "exposure could not be saved (the disk is full)" in seen.last("banner")[0]
    controller.close()
    ops.close()


def test_the_day_turns_on_what_a_reader_read(qtbot, store, clock, ana, queue_items):
    """At midnight the session read the new day's severe time and lifts through the writer connection, on the GUI
    thread, while the writer thread may be writing on it. With the session's runner the day turns when a reader's
    poll of it arrives: another window's severe item of the new day counts, nothing runs on the GUI thread."""
    import datetime

    from review.clock import iso
    from review.store import wellbeing as ws
    from review.wellbeing.exposure import ExposureRecord

    ops = Operations(store, max_threads=2)
    controller = WellbeingController(store, ana, clock, ops=ops)
    tracker = ExposureTracker(clock)
    tracker.start(queue_items["severe"][0], severity="severe")
    controller.item_shown(Item(queue_items["severe"][0], "severe"))
    run(controller, clock, 10 * 60)
    controller.item_left(tracker.finish())
    assert ops.wait_idle() and controller.session.severe_today_ms() == 10 * MIN
    clock.advance(15 * 3600)  # 09:10 → 00:10 the next day
    midnight = iso(clock.now())
    ws.add_exposure(store, ana, "another window", ExposureRecord(
        queue_items["severe"][1], "severe", None, midnight, midnight, blurred_ms=3 * MIN))
    with statements_on_the_gui_thread(store, ops) as on_gui_thread:
        controller.tick()
        qtbot.waitUntil(lambda: controller.session.day == midnight[:10], timeout=5000)
    assert on_gui_thread == [] and controller.session.severe_today_ms() == 3 * MIN
    assert controller.session.day == (datetime.date(2026, 1, 6)).isoformat()
    controller.close()
    ops.close()
