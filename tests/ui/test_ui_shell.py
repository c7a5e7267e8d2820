"""The application shell: background tasks, sign-in, navigation by role,
the queue overview, window geometry, and the desktop wiring around them.

Everything runs offscreen against a real store with a fake clock; waits are
``qtbot.waitUntil`` / ``waitSignal``, never sleeps.  Every test is checked
afterwards for Veil timers still running or background work still pending.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import re
import threading
from pathlib import Path

import pytest
import shiboken6
from builders import ago, people, text_item, text_items
from PySide6.QtCore import QByteArray, QCoreApplication, QObject, QSettings, Qt, QThread, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QProgressDialog,
    QPushButton,
    QWidget,
)

from desktop import app as desktop_app
from desktop import first_start
from desktop import pages as desktop_pages
from review.store import Queue, QueueHealth
from ui import tasks, theme
from ui.main_window import MainWindow
from ui.operations import Operations
from ui.pages.queues import (
    COLUMNS,
    OLDEST,
    QUEUE,
    SLA,
    STATUS,
    WAITING,
    QueueOverview,
    QueueTableModel,
    human_age,
    sla_text,
)
from ui.tasks import TaskRunner

WAIT_MS = 5000


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def filled(store):
    """Two people, three queues; the clock stands at 2026-01-05 09:00 UTC.

    - hate-speech (SLA 4 h): items 6 h and 5 h old are breached, 3.5 h old is
      at risk (due within an hour), 30 min old is fine.
    - spam (SLA 24 h): three items an hour old, all fine.
    - escalations: empty.
    """
    people(store, ana=(["moderator"], "Ana Silva"), lee=(["lead", "moderator"], "Lee Park"))
    store.add_queue("escalations", kind="escalation", priority=9)
    store.add_queue("hate-speech", priority=5, sla_seconds=4 * 3600, description="Slurs and dehumanising speech")
    store.add_queue("spam", sla_seconds=86_400)
    for age in (6, 5, 3.5, 0.5):
        text_item(store, "hate-speech", received_at=ago(store, age), text="a harmless sample")
    text_items(store, "spam", 3, received_at=ago(store, 1), text="a harmless sample")
    return store


def _health(name: str, waiting: int = 0, *, breached: int = 0, at_risk: int = 0, oldest: str | None = None,
            paused=False, qid=1):
    queue = Queue(qid, name, "review", "", 0, 86_400, paused, None)
    return QueueHealth(queue, waiting, oldest, breached, at_risk)


def _table(model: QueueTableModel) -> list[list[str]]:
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]


# ------------------------------------------------------------- TaskRunner
def test_task_result_arrives_on_the_gui_thread(qtbot):
    runner = TaskRunner()
    seen = {}

    def work(a, b):
        seen["worker"] = threading.get_ident()  # not a QThread wrapper: it would outlive the pool's thread
        return a + b

    def done(result):
        seen["result"] = result
        seen["callback"] = QThread.currentThread()

    runner.submit(work, 2, 3, on_done=done)
    qtbot.waitUntil(lambda: "result" in seen, timeout=WAIT_MS)
    assert seen["result"] == 5
    assert seen["callback"] is QApplication.instance().thread()
    assert seen["worker"] != threading.main_thread().ident
    assert runner.pending() == 0
    assert runner.close()


def test_task_error_goes_to_on_error_on_the_gui_thread(qtbot):
    runner = TaskRunner()
    caught = []

    def broken():
        raise ValueError("corrupt manifest line 3")

    runner.submit(broken, on_done=lambda r: caught.append(("done", r)),
                  on_error=lambda exc: caught.append((QThread.currentThread(), exc)))
    qtbot.waitUntil(lambda: bool(caught), timeout=WAIT_MS)
    thread, exc = caught[0]
    assert thread is QApplication.instance().thread()
    assert isinstance(exc, ValueError) and "line 3" in str(exc)
    runner.close()


def test_task_error_without_handler_is_logged_not_lost(qtbot, caplog):
    runner = TaskRunner()
    runner.submit(lambda: 1 / 0)
    assert runner.wait_idle(WAIT_MS)
    assert "background task failed" in caplog.text and "ZeroDivisionError" in caplog.text
    runner.close()


def test_progress_reaches_the_gui_thread_in_order(qtbot):
    runner = TaskRunner()
    steps = []

    def work(progress):
        for i in range(1, 4):
            progress(i, 3, f"step {i}")
        return "built"

    result = []
    runner.submit(work, on_done=result.append,
                  on_progress=lambda *v: steps.append((QThread.currentThread(), v)))
    qtbot.waitUntil(lambda: bool(result), timeout=WAIT_MS)
    assert [v for _, v in steps] == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]
    assert all(t is QApplication.instance().thread() for t, _ in steps)
    assert result == ["built"]
    runner.close()


def test_no_callback_after_close(qtbot):
    runner = TaskRunner()
    started, release = threading.Event(), threading.Event()
    called = []

    def work():
        started.set()
        release.wait(5)
        return "late"

    runner.submit(work, on_done=called.append, on_error=called.append)
    runner.submit(lambda: "queued", on_done=called.append)  # may never start
    assert started.wait(5)
    release.set()
    assert runner.close()  # waits for the running task; its result is dropped
    QCoreApplication.sendPostedEvents(None, 0)
    QApplication.processEvents()
    assert called == []
    runner.submit(lambda: "after", on_done=called.append)  # ignored
    assert runner.wait_idle(100)
    assert called == [] and runner.closed


def test_callbacks_of_deleted_widgets_are_skipped(qtbot):
    runner = TaskRunner()
    release = threading.Event()
    label = QLabel()  # on_done is a bound method of a QObject: detected automatically
    owner = QWidget()  # or the owner= argument, for lambdas
    plain = []

    runner.submit(lambda: release.wait(5) and "text", on_done=label.setText)
    runner.submit(lambda: release.wait(5) and "x", on_done=plain.append, owner=owner)
    shiboken6.delete(label)
    shiboken6.delete(owner)
    release.set()
    assert runner.wait_idle(WAIT_MS)  # no RuntimeError: Internal C++ object already deleted
    assert plain == []
    runner.close()


def test_runner_deleted_with_its_parent_while_busy(qtbot):
    parent = QObject()
    runner = TaskRunner(parent)
    release = threading.Event()
    called = []
    runner.submit(lambda: release.wait(5), on_done=called.append)
    release.set()
    shiboken6.delete(parent)  # waits for the worker; the pending result goes nowhere
    QCoreApplication.sendPostedEvents(None, 0)
    QApplication.processEvents()
    assert called == []


def test_a_task_abandoned_by_close_emits_on_a_relay_that_outlives_its_runner(qtbot):
    """CI crashed (a segfault at the task's emit) when a task abandoned by ``close`` ended while the GUI thread
    deleted its runner, and with it the relay the task was emitting on. The relay now lives until the task has
    ended, whatever happens to the runner."""
    runner = TaskRunner(max_threads=1)
    relay = runner._relay
    started, release, ended = threading.Event(), threading.Event(), threading.Event()
    called = []

    def work():
        started.set()
        release.wait(5)
        return "late"

    runner.submit(work, on_done=called.append)
    assert started.wait(5)
    assert runner.close(timeout_ms=1) is False  # abandoned
    shiboken6.delete(runner)
    assert shiboken6.isValid(relay)  # still there for the task's emit
    relay.message.connect(lambda *_: ended.set(), Qt.ConnectionType.DirectConnection)
    release.set()
    assert ended.wait(5)  # emitted, on the pool's thread, after its runner was gone
    qtbot.waitUntil(lambda: not tasks._ABANDONED[-1][0].activeThreadCount())
    QCoreApplication.sendPostedEvents(None, 0)
    assert called == []


def test_wait_idle_covers_many_tasks(qtbot):
    runner = TaskRunner(max_threads=3)
    results = []
    for i in range(40):
        runner.submit(lambda i=i: i * i, on_done=results.append)
    assert runner.wait_idle(WAIT_MS)
    assert sorted(results) == [i * i for i in range(40)]
    runner.close()


# ----------------------------------------------------- queue table model
@pytest.mark.parametrize(
    "seconds, text",
    [
        (None, "—"),
        (0, "under 1 min"),
        (59, "under 1 min"),
        (60, "1 min"),
        (45 * 60 + 59, "45 min"),
        (3600, "1 h"),
        (3 * 3600 + 20 * 60 + 30, "3 h 20 min"),
        (23 * 3600 + 59 * 60, "23 h 59 min"),
        (86_400, "1 d"),
        (2 * 86_400 + 4 * 3600 + 1800, "2 d 4 h"),
    ],
)
def test_human_age(seconds, text):
    assert human_age(seconds) == text


def test_sla_text_in_words():
    assert sla_text(_health("q")) == "OK"
    assert sla_text(_health("q", 5, at_risk=4)) == "At risk: 4"
    assert sla_text(_health("q", 20, breached=12, at_risk=3)) == "Breached: 12"


def test_model_passes_qtmodeltester(qtmodeltester, filled):
    model = QueueTableModel()
    qtmodeltester.check(model)  # empty
    model.set_rows(filled.queue_health(), filled.clock.now())
    qtmodeltester.check(model)
    qtmodeltester.check(QueueTableModel(filled.queue_health(), filled.clock.now()), force_py=True)


def test_model_shows_health_against_the_given_now(filled):
    model = QueueTableModel(filled.queue_health(), filled.clock.now())
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(len(COLUMNS))] == list(COLUMNS)
    assert _table(model) == [
        ["escalations", "Escalation", "0", "—", "OK", "9", "Active"],
        ["hate-speech", "Review", "4", "6 h", "Breached: 2", "5", "Active"],
        ["spam", "Review", "3", "1 h", "OK", "0", "Active"],
    ]
    # ages follow the now passed in, not the wall clock
    later = filled.clock.now() + _dt.timedelta(minutes=20)
    model.set_rows(filled.queue_health(), later)
    assert model.index(1, OLDEST).data() == "6 h 20 min"
    # colour only where the words say at risk / breached
    assert model.index(1, SLA).data(Qt.ItemDataRole.ForegroundRole) == theme.color("breached")
    assert model.index(2, SLA).data(Qt.ItemDataRole.ForegroundRole) is None
    assert model.index(1, QUEUE).data(QueueTableModel.QueueNameRole) == "hate-speech"
    assert "Slurs" in model.index(1, QUEUE).data(Qt.ItemDataRole.ToolTipRole)
    assert "2 waiting past their due time" in model.index(1, SLA).data(Qt.ItemDataRole.ToolTipRole)
    assert "1 due within the next 1 h" in model.index(1, SLA).data(Qt.ItemDataRole.ToolTipRole)
    risky = QueueTableModel([_health("q", 3, at_risk=2, paused=True)], later)
    assert risky.index(0, SLA).data() == "At risk: 2"
    assert risky.index(0, SLA).data(Qt.ItemDataRole.ForegroundRole) == theme.color("at_risk")
    assert risky.index(0, STATUS).data() == "Paused"


# -------------------------------------------------------- queue overview
class _Rows:
    """A load function whose answer the test changes between refreshes."""

    def __init__(self, rows):
        self.rows = rows
        self.calls = 0
        self.fail: Exception | None = None

    def __call__(self, _reader):
        self.calls += 1
        if self.fail:
            raise self.fail
        return list(self.rows)


NOW = _dt.datetime(2026, 1, 5, 9, 0, tzinfo=_dt.UTC)


@pytest.fixture
def ops(store):
    runner = Operations(store)
    yield runner
    runner.close()


def _overview(qtbot, load, ops) -> QueueOverview:
    page = QueueOverview(load, ops, now=lambda: NOW)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.show()
    return page


def test_overview_loads_on_show_and_explains_itself(qtbot, ops):
    load = _Rows([_health("a", 2, qid=1, oldest="2026-01-05T08:00:00.000Z"), _health("b", 0, qid=2)])
    page = _overview(qtbot, load, ops)
    assert load.calls == 1
    assert _table(page.model)[0][:5] == ["a", "Review", "2", "1 h", "OK"]
    assert page.updated.text() == f"Updated {NOW.astimezone():%H:%M}"
    assert "Waiting: reports not yet decided" in page.legend.text()
    assert "SLA" in page.legend.text()
    assert page.summary.text() == "2 waiting in 2 queues"
    assert page.selected_queue() is None  # none chosen: Enter starts all the person's queues (issue 14 §2)
    assert page.timer.isActive() and page.timer.interval() == 5 * 60_000  # only for other processes' changes
    page.close_page()
    assert not page.timer.isActive()


def test_refresh_keeps_selection(qtbot, ops):
    load = _Rows([_health("a", 1, qid=1), _health("b", 2, qid=2), _health("c", 3, qid=3)])
    page = _overview(qtbot, load, ops)
    page.select_queue("b")
    # same queues, new counts: updated in place
    load.rows = [_health("a", 5, qid=1), _health("b", 6, breached=1, qid=2), _health("c", 7, qid=3)]
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(page.table, Qt.Key.Key_F5)
    assert page.selected_queue() == "b"
    assert page.model.index(1, WAITING).data() == "6"
    assert page.model.index(1, SLA).data() == "Breached: 1"
    # a new queue appears before it and the order changes: still the same queue selected
    load.rows = [_health("new", 1, qid=4), _health("c", 3, qid=3), _health("b", 2, qid=2), _health("a", 1, qid=1)]
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.refresh()
    assert page.selected_queue() == "b"
    assert page.table.currentIndex().row() == 2
    page.close_page()


def test_refresh_on_timer_and_one_at_a_time(qtbot, ops):
    load = _Rows([_health("a", 1)])
    page = _overview(qtbot, load, ops)
    page.timer.setInterval(10)
    qtbot.waitUntil(lambda: load.calls >= 3, timeout=WAIT_MS)
    page.timer.stop()
    qtbot.waitUntil(lambda: not page.is_refreshing(), timeout=WAIT_MS)
    # a refresh asked for while one runs is queued, not run in parallel
    assert page.refresh() is True
    assert page.refresh() is False
    calls = load.calls
    qtbot.waitUntil(lambda: not page.is_refreshing() and load.calls >= calls + 1, timeout=WAIT_MS)
    page.close_page()


def test_refresh_failure_keeps_figures_and_says_so(qtbot, ops):
    load = _Rows([_health("a", 1)])
    page = _overview(qtbot, load, ops)
    load.fail = RuntimeError("database is locked")
    with qtbot.waitSignal(page.refresh_failed, timeout=WAIT_MS):
        page.refresh()
    assert "Could not refresh (database is locked)" in page.updated.text()
    assert page.model.rowCount() == 1
    page.close_page()


def test_enter_and_double_click_choose_a_queue(qtbot, ops):
    page = _overview(qtbot, _Rows([_health("a", 1, qid=1), _health("b", 1, qid=2)]), ops)
    page.select_queue("b")
    with qtbot.waitSignal(page.queue_chosen, timeout=WAIT_MS) as chosen:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert chosen.args == ["b"]
    rect = page.table.visualRect(page.model.index(0, 0))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(page.queue_chosen, timeout=WAIT_MS) as chosen:
        qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert chosen.args == ["a"]
    page.close_page()


def test_overview_hears_changes_only_while_shown_and_refreshes_on_show(qtbot, ops):
    load = _Rows([_health("a", 1)])
    page = _overview(qtbot, load, ops)
    page.timer.stop()  # only a change notification can refresh it now
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        ops.write(lambda store: store.mark_changed("decision"))
    assert load.calls == 2
    ops.write(lambda store: store.mark_changed("setting"))  # nothing the page shows
    assert ops.wait_idle(WAIT_MS) and load.calls == 2
    page.hide()
    ops.write(lambda store: store.mark_changed("item"))  # hidden: no load now ...
    assert ops.wait_idle(WAIT_MS) and load.calls == 2
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.show()  # ... but on the next show
    assert load.calls == 3
    page.close_page()
    ops.write(lambda store: store.mark_changed("queue"))  # closed: nothing more
    assert ops.wait_idle(WAIT_MS) and load.calls == 3


def test_overview_timer_stops_when_hidden(qtbot, ops):
    page = _overview(qtbot, _Rows([]), ops)
    assert page.empty.isVisible() and not page.table.isVisible()
    page.hide()
    assert not page.timer.isActive()
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.show()
    assert page.timer.isActive()
    page.close_page()
    assert not page.timer.isActive()


# ------------------------------------------------------------ main window
def _window(qtbot, store, settings) -> MainWindow:
    window = desktop_app.build_window(store, settings)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):  # shortcuts need an active window
        window.show()
        window.activateWindow()
    return window


def test_sign_in_with_the_keyboard_shows_the_queues(qtbot, filled, settings):
    window = _window(qtbot, filled, settings)
    page = window.sign_in_page
    assert window.root.currentWidget() is page
    assert [page.list.item(i).text() for i in range(page.list.count())] == [
        "Ana Silva — moderator",
        "Lee Park — lead, moderator",
    ]
    assert page.current_user().name == "ana"
    assert "Enter to sign in" in page.hint.text()
    qtbot.keyClick(page.list, Qt.Key.Key_Down)
    with qtbot.waitSignal(window.user_changed, timeout=WAIT_MS) as changed:
        qtbot.keyClick(page.list, Qt.Key.Key_Return)
    assert changed.args[0].name == "lee"
    assert window.current_user.name == "lee"
    assert window.root.currentWidget() is window.workspace
    assert "Lee Park" in window.who.text() and "lead, moderator" in window.who.text()
    queues = window.page("queues")
    assert window.current_page_key() == "queues"
    qtbot.waitUntil(lambda: queues.model.rowCount() == 3, timeout=WAIT_MS)
    rows = _table(queues.model)
    assert [r[0] for r in rows] == ["escalations", "hate-speech", "spam"]
    assert [(r[2], r[4]) for r in rows] == [("0", "OK"), ("4", "Breached: 2"), ("3", "OK")]
    assert queues.summary.text() == "7 waiting in 3 queues  ·  2 breached  ·  1 at risk"
    assert window.windowTitle() == "Veil — veil.db"


def test_roles_decide_which_pages_exist(qtbot, filled, settings):
    window = MainWindow("Veil", settings, users=filled.users)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    made = []

    def lead_page(user):
        made.append(user.name)
        return QLabel(f"lead tools for {user.display_name}")

    window.register_page("queues", "Queues", lambda user: QLabel("queues"))
    window.register_page("lead", "Lead", lead_page, roles={"lead"})
    window.sign_in_as("ana")
    assert window.page_keys() == ["queues"]
    assert window.nav.count() == 1
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.show_page("lead") is None and made == []
    window.sign_out()

    window.sign_in_as("lee")
    assert window.page_keys() == ["queues", "lead"]
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == ["Queues", "Lead"]
    assert made == []  # created lazily
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_key() == "lead" and made == ["lee"]
    assert window.nav.currentRow() == 1
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_key() == "queues"
    window.nav.setCurrentRow(1)  # clicking the rail works too
    assert window.current_page_key() == "lead" and made == ["lee"]


def test_the_app_gives_each_role_its_pages(qtbot, filled, settings):
    window = _window(qtbot, filled, settings)
    filled.add_user("dana", ["auditor"], "Dana Auditor")
    seen = {}
    for name in ("ana", "dana", "lee"):
        window.sign_in_as(name)
        seen[name] = set(window.page_keys())
        window.sign_out()
    assert "review" in seen["ana"] and "review" not in seen["dana"]
    lead_only = seen["lee"] - seen["ana"] - seen["dana"]
    assert lead_only and not lead_only & seen["ana"]
    assert all("queues" in keys for keys in seen.values())


def test_sign_out_returns_to_sign_in_and_destroys_pages(qtbot, filled, settings):
    window = _window(qtbot, filled, settings)
    closed = []

    class LeasingPage(QLabel):
        def close_page(self):
            closed.append("released")

    window.register_page("leasing", "Leasing", lambda user: LeasingPage("leasing"), roles={"moderator"},
                         shortcut="Ctrl+R")
    window.sign_in_as("ana")
    queues = window.page("queues")
    leasing = window.show_page("leasing")
    assert window.page("leasing") is leasing
    qtbot.waitUntil(lambda: queues.model.rowCount() == 2, timeout=WAIT_MS)  # a moderator is not offered escalations
    gone = []
    queues.destroyed.connect(lambda: gone.append("queues"))
    with qtbot.waitSignal(window.user_changed) as changed:
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: gone == ["queues"], timeout=WAIT_MS)  # the widget is really destroyed
    assert changed.args == [None]
    assert closed == ["released"]
    assert window.current_user is None and window.page("queues") is None
    assert window.root.currentWidget() is window.sign_in_page
    assert window.sign_in_page.current_user().name == "ana"  # the list is ready for the next person
    # a fresh session gets fresh pages
    window.sign_in_as("ana")
    assert window.page("queues") is not None and window.page("leasing") is None
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_key() == "leasing"


def test_unknown_user_and_broken_page(qtbot, filled, settings):
    window = _window(qtbot, filled, settings)
    with pytest.raises(KeyError):
        window.sign_in_as("nobody")

    def broken(user):
        raise RuntimeError("no media folder")

    window.register_page("broken", "Broken", broken)
    window.sign_in_as("ana")
    assert window.show_page("broken") is None
    assert "Could not open Broken: no media folder" in window.statusBar().currentMessage()
    assert window.current_user.name == "ana"


def test_quit_closes_pages_and_saves_geometry(qtbot, filled, settings):
    window = _window(qtbot, filled, settings)
    window.sign_in_as("ana")
    queues = window.page("queues")
    window.resize(713, 547)
    window.move(40, 30)
    qtbot.waitUntil(lambda: window.size().width() == 713, timeout=WAIT_MS)
    with qtbot.waitSignal(window.user_changed, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible()
    assert queues._closed and not queues.timer.isActive()

    again = MainWindow("Veil", QSettings(settings.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    assert again.size().width() == 713 and again.size().height() == 547
    assert again.root.currentWidget() is again.sign_in_page


def test_window_without_saved_geometry_gets_a_sensible_size(qtbot, settings):
    window = MainWindow("Veil", settings)
    qtbot.addWidget(window)
    area = QGuiApplication.primaryScreen().availableGeometry()
    default_w, default_h = MainWindow.DEFAULT_SIZE
    assert (window.width(), window.height()) == (min(default_w, area.width()),
                                                 min(default_h, area.height() - MainWindow.TITLE_BAR_ROOM))
    assert area.contains(window.geometry().center())
    assert window.height() + MainWindow.TITLE_BAR_ROOM <= area.height()  # the title bar stays on screen (§3)
    assert window.sign_in_page.empty.isVisibleTo(window.sign_in_page)  # no users: says what to do


@pytest.mark.parametrize(
    ("saved", "warned"),
    [
        ("geometry=hello\nstate=hello", True),
        ("geometry=1\nstate=2", True),
        ("geometry=a, b\nstate=c, d", True),
        ("geometry=@Rect(1 2 3 4)\nstate=@Size(5 6)", True),
        ("geometry=@ByteArray(not a geometry)\nstate=@ByteArray(not a state)", True),
        ("geometry=@Variant(\\0\\0\\0\\x7f)\nstate=@Invalid()", False),  # Qt reads nothing (and says so)
        ("geometry=\nstate=", False),
    ],
)
def test_the_window_opens_whatever_ui_ini_holds(qtbot, filled, tmp_path, saved, warned, caplog):
    path = tmp_path / "ui.ini"
    path.write_text(f"[window]\n{saved}\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="ui.main_window"):
        window = _window(qtbot, filled, QSettings(str(path), QSettings.Format.IniFormat))
    area = QGuiApplication.primaryScreen().availableGeometry()
    default_w, default_h = MainWindow.DEFAULT_SIZE
    assert (window.width(), window.height()) == (min(default_w, area.width()),
                                                 min(default_h, area.height() - MainWindow.TITLE_BAR_ROOM))
    assert window.root.currentWidget() is window.sign_in_page
    assert ("ui.ini" in caplog.text and "ignored" in caplog.text) == warned
    window.sign_in_as("ana")  # the window works, and quitting writes a good layout back
    window.close()
    caplog.clear()
    with caplog.at_level("WARNING", logger="ui.main_window"):
        again = MainWindow("Veil", QSettings(str(path), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    assert isinstance(again.settings.value(MainWindow.GEOMETRY_KEY), QByteArray)
    assert caplog.text == ""


# -------------------------------------------------------- desktop wiring
@pytest.fixture
def errors(monkeypatch, qapp):
    """Error boxes recorded instead of shown; the app's look restored for other test files."""
    app = QApplication.instance()
    look = (app.styleSheet(), app.palette(), app.font(), app.style().name())
    shown = []
    monkeypatch.setattr(desktop_app, "show_error", shown.append)
    yield shown
    sheet, palette, font, style = look
    app.setStyleSheet(sheet)
    app.setStyle(style)
    app.setPalette(palette)
    app.setFont(font)


def _args(**kw):
    return argparse.Namespace(store=kw.get("store"), user=kw.get("user"), command=None)


def test_run_gui_refuses_a_missing_explicit_store(tmp_path, errors, capsys):
    missing = tmp_path / "nope.db"
    assert desktop_app.run_gui(_args(store=str(missing))) == 2
    assert not missing.exists()
    assert "There is no Veil store" in errors[0]
    assert "veil: There is no Veil store" in capsys.readouterr().err


def test_run_gui_reports_a_store_it_cannot_open(tmp_path, errors):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    assert desktop_app.run_gui(_args(store=str(junk))) == 2
    assert "could not open the store" in errors[0]


def test_run_gui_unknown_user_exits_2(filled, errors):
    path = str(filled.path)
    assert desktop_app.run_gui(_args(store=path, user="zoe")) == 2
    assert "no user named “zoe”" in errors[0] and "ana, lee" in errors[0]


def test_run_gui_signs_in_and_runs(qtbot, filled, errors, monkeypatch, tmp_path):
    seen = {}

    def fake_exec():
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        seen["title"] = window.windowTitle()
        seen["user"] = window.current_user.name
        seen["pages"] = window.page_keys()
        window.close()
        window.deleteLater()
        return 0

    monkeypatch.setattr(QApplication.instance(), "exec", fake_exec)
    assert desktop_app.run_gui(_args(store=str(filled.path), user="lee")) == 0
    assert (seen["title"], seen["user"], seen["pages"][0]) == ("Veil — veil.db", "lee", "queues")
    assert "review" in seen["pages"]
    assert errors == []
    assert (tmp_path / "veil-home" / "ui.ini").exists()


def test_choosing_a_queue_hands_it_to_the_review_page(qtbot, filled, settings):
    window = _window(qtbot, filled, settings)
    filled.add_user("dana", ["auditor"], "Dana Auditor")
    window.sign_in_as("dana")
    desktop_pages.open_queue(window, "spam")
    assert "your role does not include reviewing" in window.statusBar().currentMessage()
    window.sign_out()

    window.sign_in_as("ana")
    queues = window.page("queues")
    qtbot.waitUntil(lambda: queues.model.rowCount() == 2, timeout=WAIT_MS)  # hers: not the escalation queue
    queues.select_queue("spam")
    qtbot.keyClick(queues.table, Qt.Key.Key_Return)
    review = window.page("review")
    assert window.current_page_key() == "review"
    qtbot.waitUntil(lambda: review.item is not None, timeout=WAIT_MS)  # the queue list, then the claim, arrive
    assert review.queue_choice.currentText() == "spam"
    assert review.item is not None and review.item.queue_name == "spam"


def _fake_demo(monkeypatch, build):
    monkeypatch.setattr(first_start.demo_workspace, "create", build)


def test_first_start_builds_the_demo_in_the_background(qtbot, monkeypatch, errors):
    threads = []

    def build_demo(store, media_dir, *, items, seed, progress):
        threads.append(threading.get_ident())
        media_dir.mkdir(parents=True, exist_ok=True)
        store.add_user("demo", ["moderator"], "Demo Person")
        for i in range(1, 4):
            progress(i, 3)
        store.set_setting("workspace.demo", True)

    _fake_demo(monkeypatch, build_demo)
    path = desktop_app.paths.store_path(None)
    assert first_start.build_demo_workspace(path) is True
    assert threads and threads[0] != threading.main_thread().ident
    store = desktop_app.wiring.open_store(path)
    try:
        assert [u.name for u in store.users()] == ["demo"]
        assert desktop_app.window_title(store) == "Veil — veil.db — Demo"
    finally:
        store.close()


def test_cancelled_demo_leaves_nothing_behind(qtbot, monkeypatch, errors):
    reported = threading.Event()

    def build_demo(store, media_dir, *, items, seed, progress):
        media_dir.mkdir(parents=True, exist_ok=True)
        store.add_user("demo", ["moderator"], "Demo Person")
        for i in range(500):  # until the person cancels
            progress(i, 500)
            reported.set()
            threading.Event().wait(0.01)

    def cancel_when_visible():
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog) and w.isVisible()]
        if dialogs and reported.is_set():
            qtbot.mouseClick(dialogs[0].findChild(QPushButton), Qt.MouseButton.LeftButton)
        else:
            QTimer.singleShot(10, cancel_when_visible)

    def enter_then_cancel():
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog) and w.isVisible()]
        if dialogs and reported.is_set():
            qtbot.keyClick(dialogs[0], Qt.Key.Key_Return)  # typing ahead must not cancel
            assert not dialogs[0].wasCanceled()
            QTimer.singleShot(0, cancel_when_visible)
        else:
            QTimer.singleShot(10, enter_then_cancel)

    _fake_demo(monkeypatch, build_demo)
    path = desktop_app.paths.store_path(None)
    QTimer.singleShot(0, enter_then_cancel)
    assert first_start.build_demo_workspace(path) is False
    assert not path.exists()
    assert not desktop_app.paths.demo_media_dir(path).exists()
    assert errors == []


def test_failed_demo_is_reported(qtbot, monkeypatch, errors):
    def build_demo(store, media_dir, *, items, seed, progress):
        raise OSError("disk full")

    _fake_demo(monkeypatch, build_demo)
    path = desktop_app.paths.store_path(None)
    assert desktop_app.run_gui(_args()) == 2  # the first start fails: said in a box and on stderr
    assert "disk full" in errors[0]
    assert not path.exists()


def test_theme_has_no_pure_black_or_white():
    qss = Path(desktop_app.resources.path("theme.qss")).read_text(encoding="utf-8").lower()
    rules = re.sub(r"/\*.*?\*/", "", qss, flags=re.DOTALL)
    for glare in (r"#fff\b", r"#ffffff\b", r"#000\b", r"#000000\b", r"\bwhite\b", r"\bblack\b"):
        assert not re.search(glare, rules), glare
    assert not set(theme.COLORS.values()) & {"#ffffff", "#000000"}
    assert Path(desktop_app.resources.path("icons/veil.svg")).exists()


def test_due_sampling_plans_run_in_the_background(qtbot, filled, settings, monkeypatch):
    from audit import sampling

    window = _window(qtbot, filled, settings)
    window.sign_in_as("lee")  # the schedule samples as the signed-in lead (issue 11)
    ran = []
    original = sampling.run_due_plans
    monkeypatch.setattr(sampling, "run_due_plans",
                        lambda store, *a, **k: ran.append(threading.get_ident()) or original(store, *a, **k))
    operations = window.findChild(desktop_app.SessionOperations)
    stop = desktop_app.start_sampling_schedule(window, operations)
    qtbot.waitUntil(lambda: len(ran) == 1, timeout=WAIT_MS)
    stop()
    assert ran[0] != threading.get_ident()
    assert operations.current().wait_idle(WAIT_MS)
