"""Issue 16 §5: the lead's Capacity page offscreen against a real store — forecast table, chart and what-if.

The store is the forecast tests' "posts" queue (tests/review/test_planning_forecast.py): 72 waiting, 3 in and
2 out an hour, 900 s per item, SLA 4 h — it breaches at 12:00 (three hours from the 09:00 fake clock), 6 people
needed, 8 to roster; 8 more people prevent the breach.
"""

from __future__ import annotations

import pytest
from builders import ago, decided_item, people, text_items

from review.errors import NotAllowed
from review.planning.forecast import WhatIf
from ui.operations import Operations
from ui.pages.capacity import CapacityPage, load
from ui.pages.capacity_chart import COLUMNS, ForecastRow, chart

WAIT_MS = 5000


@pytest.fixture
def floor(store):
    people(store, ana="moderator", lee="lead")
    posts = store.add_queue("posts", sla_seconds=4 * 3600)
    for k in range(48):
        decided_item(store, posts, "ana", decided_at=ago(store, 23.5 - k * 0.48),
                     handle_ms=600_000 if k % 2 else 1_200_000)
    text_items(store, posts, 72, received_at="2026-01-05T08:00:00.000Z")
    store.add_queue("quiet")  # nothing waiting, nothing coming: no breach, nobody needed
    return store


@pytest.fixture
def ops(floor):
    runner = Operations(floor)
    yield runner
    runner.close()


@pytest.fixture
def page(qtbot, floor, ops):
    opened = CapacityPage(floor.user("lee"), ops)
    qtbot.addWidget(opened)
    opened.resize(1280, 640)
    with qtbot.waitSignal(opened.chart_rendered, timeout=WAIT_MS):
        opened.show()
    yield opened
    opened.close_page()
    assert ops.wait_idle(WAIT_MS)


def _cells(page, queue: str) -> dict[str, str]:
    model = page.model
    (row,) = [r for r in range(model.rowCount()) if model.index(r, 0).data() == queue]
    return {c.title: model.index(row, i).data() for i, c in enumerate(COLUMNS)}


def test_the_page_shows_the_breach_to_come_and_the_people_who_would_prevent_it(page):
    posts = _cells(page, "posts")
    assert posts["Waiting"] == "72" and posts["Needed"] == "6" and posts["To roster"] == "8"
    assert posts["First breach"].startswith("in 3.0 h") and posts["Clears in"] == "never"
    assert posts["Model"] == "backlog" and posts["In · out\nper hour"] == "3.0 · 2.0"
    assert _cells(page, "quiet")["First breach"] == "none in 24 h"
    said = page.summary.text()
    assert "“posts” breaches in 3.0 h" in said and "6 working at once (8 rostered)" in said
    assert page.selected() is not None and page.selected().key == "posts"  # the next breach is charted first
    assert page.chart.image is not None and not page.chart.image.isNull()


def test_adding_people_is_recomputed_off_the_gui_thread_and_prevents_the_breach(qtbot, page):
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.extra_people.setValue(8)
    assert page.what_if() == WhatIf(extra_people=8)
    posts = _cells(page, "posts")
    assert posts["First breach"] == "none in 24 h" and posts["Clears in"] == "3.4 h"
    assert "what-if applied" in page.updated.text()
    assert page.summary.text().startswith("With the what-if: No queue breaches")
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.reset_what_if()
    assert page.what_if() == WhatIf() and _cells(page, "posts")["First breach"].startswith("in 3.0 h")


def test_a_longer_sla_for_the_selected_queue_moves_its_breach_and_its_need(qtbot, page):
    page.select_queue("posts")
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.sla_hours.setValue(8)
    posts = _cells(page, "posts")
    assert posts["SLA"] == "8.0 h" and posts["First breach"].startswith("in 7.0 h")
    assert (posts["Needed"], posts["To roster"]) == ("3", "5")


def test_an_inflow_factor_scales_the_selected_queues_arrivals(qtbot, page):
    page.select_queue("posts")
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.inflow_factor.setValue(2.0)
    assert _cells(page, "posts")["In · out\nper hour"] == "6.0 · 2.0"
    assert (_cells(page, "posts")["Needed"], _cells(page, "posts")["To roster"]) == ("6", "9")


def test_the_chart_shows_today_the_what_if_and_the_sla_line(floor):
    at, now, tried = load(floor, floor.user("lee"), WhatIf(extra_people=8))
    assert tried is not None
    posts = next(ForecastRow(a, b, at) for a, b in zip(now, tried) if a.queue == "posts")
    spec = chart(posts)
    today, what_if, sla = spec.series.values()
    assert today[0] == 72 and today[24] == 96 and what_if[4] == 0
    assert sla == [pytest.approx(2.0 * 4)] * 25  # what today's 2 an hour decide within the 4 h SLA


def test_a_moderator_is_refused_and_the_page_says_so(qtbot, floor, ops):
    with pytest.raises(NotAllowed):
        load(floor, floor.user("ana"), WhatIf())
    opened = CapacityPage(floor.user("ana"), ops)
    qtbot.addWidget(opened)
    opened.show()
    qtbot.waitUntil(lambda: "Could not compute" in opened.updated.text(), timeout=WAIT_MS)
    assert "lead" in opened.updated.text()
    opened.close_page()
    assert ops.wait_idle(WAIT_MS)


def test_the_people_box_says_person_for_one(qtbot, page):
    """The spin box read "1 people"."""
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.extra_people.setValue(1)
    assert page.extra_people.text() == "1 person"
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.extra_people.setValue(-1)
    assert page.extra_people.text() == "-1 person"
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.extra_people.setValue(2)
    assert page.extra_people.text() == "2 people"
