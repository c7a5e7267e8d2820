"""The lead dashboard page: loads through the operations runner, renders its charts, keeps current.

Offscreen against a real store with a fake clock (2026-01-05 09:00 UTC);
waits are ``qtbot.waitUntil`` / ``waitSignal``, never sleeps. Every test
ends with the page's timers stopped and the runner idle or closed.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from builders import decided_item, people, text_item
from PySide6.QtCore import QSettings, Qt, QTimer

from audit import dashboard as lead_dashboard
from desktop import app as desktop_app
from review import admin
from ui.item.qimage import to_array
from ui.operations import Operations
from ui.pages.dashboard import DashboardPage, render_charts
from ui.tasks import TaskRunner

WAIT_MS = 5000
HARMLESS = "a harmless sample"


@pytest.fixture
def team(store):
    """A lead, two moderators, two queues; hate has 2 waiting (one breached), spam 1 waiting and 2 decided."""
    people(store, lee=(["lead"], "Lee Park"), ana=(["moderator"], "Ana Silva"), ben=(["moderator"], "Ben Okafor"))
    store.add_queue("hate", sla_seconds=4 * 3600, priority=5)
    store.add_queue("spam")
    text_item(store, "hate", received_at="2026-01-05T03:00:00Z", text=HARMLESS)
    text_item(store, "hate", received_at="2026-01-05T08:30:00Z", text=HARMLESS)
    text_item(store, "spam", received_at="2026-01-05T08:00:00Z", text=HARMLESS)
    # handle times 12 s and 30 s: median 21 s, p90 28 s
    for user, at, ms in (("ana", "2026-01-05T07:30:00Z", 12_000), ("ben", "2026-01-05T08:10:00Z", 30_000)):
        decided_item(store, "spam", user, received_at="2026-01-05T07:00:00Z", decided_at=at, handle_ms=ms,
                     text=HARMLESS)
    return store


class Loader:
    """``audit.dashboard.load`` on the runner's reader, as the desktop wires it; counts calls, threads, stores."""

    def __init__(self, store, lead="lee"):
        self.store, self.lead = store, lead
        self.threads: list[int] = []  # thread idents: a QThread wrapper of a pool thread outlives its thread
        self.readers: list = []
        self.gate: threading.Event | None = None
        self.fail: Exception | None = None

    def __call__(self, reader):
        self.threads.append(threading.get_ident())
        self.readers.append(reader)
        if self.gate is not None:
            self.gate.wait(WAIT_MS / 1000)
        if self.fail is not None:
            raise self.fail
        return lead_dashboard.load(reader, self.lead)


@pytest.fixture
def ops(team):
    runner = Operations(team)
    yield runner
    runner.close()


@pytest.fixture
def open_page(qtbot, ops):
    pages = []

    def make(load, **kwargs) -> DashboardPage:
        page = DashboardPage(load, ops, **kwargs)
        qtbot.addWidget(page)
        page.resize(1100, 720)
        pages.append(page)
        with qtbot.waitSignal(page.charts_rendered, timeout=WAIT_MS), qtbot.waitActive(page):  # F5 needs it
            page.show()
            page.activateWindow()
        return page

    yield make
    for page in pages:
        page.close_page()
        assert not page.timer.isActive() and not page.render_timer.isActive()
        assert page.findChild(TaskRunner) is None  # the window's one runner does the work, not a page-local one
    assert ops.wait_idle(WAIT_MS)


def _cells(model):
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]


def _varied(image) -> bool:
    """A real chart: some ink on the background, not one flat colour."""
    pixels = to_array(image)
    return pixels.size > 0 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 8


def test_loads_in_the_background_and_renders_charts(team, open_page):
    load = Loader(team)
    page = open_page(load)
    assert load.threads and all(t != threading.get_ident() for t in load.threads)
    assert all(reader is not team for reader in load.readers)  # a reader connection, never the writer
    assert page.updated.text() == f"Updated {page.data().at.astimezone():%H:%M}"
    assert page.summary.text() == "3 waiting  ·  1 breached  ·  0 open escalations  ·  0 open disputes"
    rows = _cells(page.queue_model)
    assert [r[:4] for r in rows] == [["hate", "2", "6 h", "Breached: 1"], ["spam", "1", "1 h", "OK"]]
    assert rows[1][4] == "3 · 2" and rows[1][5] == "21 s · 28 s" and rows[1][6] == "no audits"
    people = _cells(page.people_model)
    assert [(r[0], r[1], r[2]) for r in people] == [("Ana Silva", "1", "1"), ("Ben Okafor", "1", "1")]
    assert people[0][7] == "0 s of 4 h (0%)"
    for name, view in page.charts.items():
        assert view.image is not None and _varied(view.image), name
    flow = page.charts["flow"]  # the visible tab's charts are drawn at their on-screen size
    ratio = flow.image.devicePixelRatio()
    assert (round(flow.image.width() / ratio), round(flow.image.height() / ratio)) == flow.logical_size()


def test_refresh_on_f5_and_timer_picks_up_new_work(team, open_page, qtbot):
    load = Loader(team)
    page = open_page(load)
    assert page.timer.isActive() and page.timer.interval() == 5 * 60_000  # only for other processes' changes
    text_item(team, "spam", received_at="2026-01-05T08:59:00Z", text=HARMLESS)
    with qtbot.waitSignal(page.charts_rendered, timeout=WAIT_MS):
        qtbot.keyClick(page.queue_table, Qt.Key.Key_F5)
    assert _cells(page.queue_model)[1][1] == "2"
    calls = len(load.threads)
    page.timer.setInterval(10)
    qtbot.waitUntil(lambda: len(load.threads) >= calls + 2, timeout=WAIT_MS)
    page.timer.stop()
    qtbot.waitUntil(lambda: not page.is_refreshing(), timeout=WAIT_MS)


def test_slow_figures_never_freeze_the_window(team, open_page, qtbot):
    load = Loader(team)
    page = open_page(load)
    qtbot.waitUntil(lambda: not page.is_refreshing(), timeout=WAIT_MS)
    load.gate = threading.Event()
    assert page.refresh() is True
    assert page.refresh() is False  # one at a time: a second asks for one more afterwards
    ticks = []
    timer = QTimer(interval=5, timeout=lambda: ticks.append(1))
    timer.start()
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=WAIT_MS)  # the GUI thread keeps running meanwhile
    timer.stop()
    assert page.is_refreshing()
    calls = len(load.threads)
    load.gate.set()
    qtbot.waitUntil(lambda: len(load.threads) == calls + 1 and not page.is_refreshing(), timeout=WAIT_MS)


def test_a_failed_refresh_keeps_the_figures_and_says_so(team, open_page, qtbot):
    load = Loader(team)
    page = open_page(load)
    load.fail = RuntimeError("database is locked")
    with qtbot.waitSignal(page.refresh_failed, timeout=WAIT_MS):
        page.refresh()
    assert page.updated.text().startswith("Could not refresh (database is locked); figures from ")
    assert page.queue_model.rowCount() == 2
    load.fail = None
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.refresh()
    assert page.updated.text().startswith("Updated ")


def test_a_write_through_the_runner_refreshes_the_page_without_its_timer(team, ops, open_page, qtbot):
    load = Loader(team)
    page = open_page(load)
    page.timer.stop()  # only the change notification can refresh it now
    qtbot.waitUntil(lambda: not page.is_refreshing(), timeout=WAIT_MS)
    calls = len(load.threads)
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        ops.write(lambda store: admin.create_queue(store, "lee", "scams"))
    assert len(load.threads) == calls + 1
    assert sorted(r[0] for r in _cells(page.queue_model)) == ["hate", "scams", "spam"]
    ops.write(lambda store: store.mark_changed("setting"))  # a change the page does not show: no load
    assert ops.wait_idle(WAIT_MS)
    assert len(load.threads) == calls + 1 and not page.is_refreshing()


def test_a_non_lead_gets_a_refusal_not_figures(team, ops, qtbot):
    page = DashboardPage(Loader(team, lead="ana"), ops)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.refresh_failed, timeout=WAIT_MS):
        page.show()
    assert "ana is not a lead" in page.updated.text()
    assert page.queue_model.rowCount() == 0 and page.data() is None
    page.close_page()


def test_the_flow_chart_follows_the_selected_queue_and_resizes(team, open_page, qtbot):
    page = open_page(Loader(team))
    everything = to_array(page.charts["flow"].image)
    with qtbot.waitSignal(page.charts_rendered, timeout=WAIT_MS):
        assert page.select_queue("hate")
    assert page.flow_queue() == "hate"
    assert not np.array_equal(to_array(page.charts["flow"].image), everything)
    with qtbot.waitSignal(page.charts_rendered, timeout=WAIT_MS):
        page.refresh()
    assert page.flow_queue() == "hate"  # a refresh keeps the selection
    with qtbot.waitSignal(page.charts_rendered, timeout=WAIT_MS):
        qtbot.keyClick(page.queue_table, Qt.Key.Key_Escape)
    assert page.flow_queue() is None
    assert np.array_equal(to_array(page.charts["flow"].image), everything)
    with qtbot.waitSignal(page.charts_rendered, timeout=WAIT_MS):
        page.resize(1300, 820)
    flow = page.charts["flow"]
    assert round(flow.image.width() / flow.image.devicePixelRatio()) == flow.width()


def test_render_charts_handles_an_empty_store(store, qapp):
    store.add_user("lee", ["lead"])
    images = render_charts(lead_dashboard.load(store, "lee"), {"flow": (10, 10)})
    assert set(images) == {"backlog", "flow", "accuracy", "exposure"}
    assert all(not image.isNull() for image in images.values())
    assert images["flow"].width() >= 120  # too small to read: drawn at a sensible size instead


def test_only_leads_get_the_page_and_sign_out_closes_it(team, qtbot, tmp_path):
    window = desktop_app.build_window(team, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.sign_in_as("ana")
    assert "dashboard" not in window.page_keys()
    window.sign_out()
    window.sign_in_as("lee")
    page = window.show_page("dashboard")
    assert isinstance(page, DashboardPage)
    qtbot.waitUntil(lambda: page.data() is not None and all(v.image for v in page.charts.values()), timeout=WAIT_MS)
    runner = window.findChild(desktop_app.SessionOperations).current()  # the session's one runner, the page's too
    window.sign_out()
    assert runner.closed and not page.timer.isActive()


# --------------------------------------- issue 13: axis titles, units, severe used against budget
def _person(store, name, used_min, budget_min):
    from review.dashboard import HandleTime, PersonFigures
    from review.wellbeing.lead_view import PersonExposure

    user = store.user(name)
    exposure = PersonExposure(name, user.display_name, "2026-01-05", 3, 0, 0, 0, 0, used_min * 60_000, 1,
                              budget_min * 60_000, 0, 0, 0, 0, 0, 0, ())
    return PersonFigures(user, 0, 0, HandleTime(0, None, None), exposure, budget_min * 60_000)


def test_every_dashboard_chart_names_its_axis_and_unit(team, qapp):
    from ui.pages.dashboard import chart_specs

    specs = chart_specs(lead_dashboard.load(team, "lee"))
    assert specs["backlog"].axis == "items waiting now"
    assert specs["flow"].x_title.startswith("hour") and specs["flow"].y_title == "items per hour"
    assert "%" in specs["accuracy"].unit and specs["accuracy"].axis
    assert specs["exposure"].unit == "min" and "minutes" in specs["exposure"].axis
    assert specs["backlog"].counts and specs["flow"].counts  # items: whole-number ticks, never 0.25 of an item


def test_the_severe_chart_shows_what_each_person_used_of_their_budget(team, qapp):
    """"Severe content today" showed five identical 240-min bars: the budget, whatever each person used."""
    from ui.pages.dashboard import budget_chart

    chart = budget_chart([_person(team, "ana", 12, 240), _person(team, "ben", 200, 240), _person(team, "lee", 0, 300)])
    assert chart.labels == ["Ben Okafor", "Ana Silva", "Lee Park"]  # most of their budget used first
    assert list(chart.series["Used"]) == [200, 12, 0] and list(chart.series["Left"]) == [40, 228, 300]
    assert [label.split(" of ")[1] for label in chart.value_labels] == ["4 h (83%)", "4 h (5%)", "5 h (0%)"]
    assert len(set(chart.value_labels)) == 3


def test_time_per_audit_is_a_dash_when_not_measured():
    """Walkthrough of issue 13: the QA auditors tab said "Time per audit 0.0 min" for audits with no time."""
    from types import SimpleNamespace

    from ui.pages.dashboard_tables import AUDITOR_COLUMNS

    column = next(c for c in AUDITOR_COLUMNS if c.title == "Time per\naudit")
    texts = [column.text(SimpleNamespace(work=SimpleNamespace(minutes_median=m))) for m in (None, 0.0, 2.46)]
    assert texts == ["—", "—", "2.5 min"]
