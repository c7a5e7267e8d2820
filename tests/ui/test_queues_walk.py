"""Findings of the Done-means walk on the Queues page (FIX_WALK F9, F4): ↓ from nothing chosen always starts at
the first row and a refresh keeps the chosen queue by id; the Status column says, for the person signed in, why a
queue does not serve them (a course, their shift)."""

from __future__ import annotations

import datetime as _dt

import pytest
from PySide6.QtCore import Qt

from review.store import Queue, QueueHealth
from ui.operations import Operations
from ui.pages.queues import QueueOverview

NOW = _dt.datetime(2026, 1, 5, 9, 0, tzinfo=_dt.UTC)


def _health(name: str, qid: int) -> QueueHealth:
    return QueueHealth(Queue(qid, name, "review", "", 0, 86_400, False, None), 1, None, 0, 0)


class _Rows:
    def __init__(self, rows):
        self.rows = rows

    def __call__(self, _reader):
        return list(self.rows)


@pytest.fixture
def ops(store):
    runner = Operations(store)
    yield runner
    runner.close()


def _overview(qtbot, page):
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.refreshed):
        page.show()
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    return page


def test_f9_down_from_nothing_chosen_starts_at_the_first_row_after_the_page_is_shown_again(qtbot, ops):
    load = _Rows([_health(name, n) for n, name in enumerate("abcd", start=1)])
    page = _overview(qtbot, QueueOverview(load, ops, now=lambda: NOW))
    try:
        page.table.clearFocus()  # focus coming back with rows on screen (the page shown again: Ctrl+4, Ctrl+1)
        page.table.setFocus()  # makes row 0 current without choosing it
        qtbot.waitUntil(page.table.hasFocus)
        assert page.selected_queue() is None
        for _ in range(3):
            qtbot.keyClick(page.table, Qt.Key.Key_Down)
        assert page.selected_queue() == "c"
    finally:
        page.close_page()


def test_f9_a_refresh_keeps_the_chosen_queue_by_id_when_it_is_renamed(qtbot, ops):
    load = _Rows([_health("a", 1), _health("b", 2), _health("c", 3)])
    page = _overview(qtbot, QueueOverview(load, ops, now=lambda: NOW))
    try:
        page.select_queue("b")
        load.rows = [_health("a", 1), _health("c", 3), _health("b renamed", 2)]
        with qtbot.waitSignal(page.refreshed):
            page.refresh()
        assert page.selected_queue() == "b renamed"
    finally:
        page.close_page()


def test_f4_the_status_column_says_which_course_opens_a_queue_and_that_the_shift_is_elsewhere(qtbot, store):
    """ben (not certified) read "Active" on a gated queue, ana learned of her shift only after Enter: the Status
    says it for the person signed in, the tooltip and screen readers the whole sentence; others read "Active"."""
    from builders import people, text_item

    from audit import gold
    from audit.training import certification, courses
    from desktop.pages import offered_queue_health
    from review.planning import roster
    from ui.pages.queues import STATUS

    team = people(store, ana="moderator", ben="moderator", lee="lead")
    store.add_queue("Hate & harassment")
    store.add_queue("Spam & scams")
    store.add_queue("Violent & graphic")
    item = text_item(store, "Spam & scams", external_id="gold", text="simulated post")
    gold.add_gold(store, "lee", item, "remove", ["spam"], explanation="a link farm")
    courses.save_course(store, "lee", "Spam basics", [item], taxonomy_version=1)
    certification.gate(store, "lee", "Spam & scams", "Spam basics")
    roster.add_shift(store, "lee", "ana", "2026-01-05", "08:00", "14:00", ["Hate & harassment"])

    def statuses(name):
        user = team[name]
        page = _overview(qtbot, QueueOverview(lambda reader: offered_queue_health(reader, user=user), ops_runner,
                                              now=store.clock.now, user=user))
        try:
            model = page.model
            return {model.index(r, 0).data(): (model.index(r, STATUS).data(),
                                               model.index(r, STATUS).data(Qt.ItemDataRole.ToolTipRole),
                                               model.index(r, STATUS).data(Qt.ItemDataRole.AccessibleTextRole))
                    for r in range(model.rowCount())}
        finally:
            page.close_page()

    ops_runner = Operations(store)
    try:
        ben = statuses("ben")
        assert ben["Spam & scams"][0] == "Needs the course “Spam basics”"
        assert "pass it on the Training page" in ben["Spam & scams"][1] == ben["Spam & scams"][2]
        assert ben["Hate & harassment"][0] == "Active"
        ana = statuses("ana")
        assert ana["Spam & scams"][0] == "Needs the course “Spam basics”"  # the gate is said first
        assert ana["Hate & harassment"][0] == "Active"
        assert ana["Violent & graphic"][0] == "Not in your shift (until 14:00 UTC)"
        assert ana["Violent & graphic"][1] == ("Your shift until 14:00 UTC is on “Hate & harassment”, not “Violent & "
                                               "graphic”: a lead can change it (Roster page)")
        assert ben["Violent & graphic"][0] == "Active"
        lee = statuses("lee")  # leads are not gated; lee has no shift
        assert lee["Spam & scams"][0] == "Active"
    finally:
        ops_runner.close()
