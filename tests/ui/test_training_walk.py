"""Findings of the Done-means walk of issues 14 and 17 on the Training page (FIX_WALK F3, F5, F10): the thread
key works on the training desk, the calibration report names answers as the taxonomy does, and the end of a
session leaves the keys where nothing starts by itself."""

from __future__ import annotations

import pytest
from builders import people, text_item
from PySide6.QtCore import Qt

from audit import gold
from audit.training import courses, sessions
from review import taxonomy
from review.media.viewing import ViewSettings
from review.wellbeing.policy import WellbeingPolicy
from ui import keymap
from ui.operations import Operations
from ui.pages.my_decisions_view import DeskServices
from ui.pages.training import TrainingPage
from ui.wellbeing.controller import WellbeingController

POLICY = taxonomy.load()
THREAD = [{"author": "rosa", "text": "Who is coming tonight?", "at": "", "relation": "parent"},
          {"author": "kim", "text": "See you there", "at": "", "relation": "after"}]


@pytest.fixture
def floor(store):
    people(store, eve="moderator", ana="moderator", lee="lead")
    store.add_queue("spam")
    golds = []
    for n, (action, labels) in enumerate([("remove", ["spam"]), ("no_violation", [])]):
        item = text_item(store, "spam", external_id=f"gold-{n}", text=f"simulated post {n}",
                         metadata={"thread": THREAD})
        gold.add_gold(store, "lee", item, action, labels, explanation=f"why {n}")
        golds.append(item)
    return store, golds


def _page(qtbot, store, name):
    user = store.user(name)
    ops = Operations(store)
    services = DeskServices(ops, user, POLICY, ViewSettings(), keymap.build(POLICY), store.clock,
                            WellbeingController(store, user, store.clock, WellbeingPolicy(), ops=ops))
    page = TrainingPage(services)
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    return page


def _close(page):
    page.close_page()
    page.ops.close()
    page.services.wellbeing.close()


def test_f3_t_shows_the_thread_on_the_training_desk_and_the_line_names_t(qtbot, floor):
    store, golds = floor
    courses.save_course(store, "lee", "Spam basics", golds, taxonomy_version=1)
    page = _page(qtbot, store, "eve")
    try:
        qtbot.waitUntil(lambda: page.courses.rowCount() == 1)
        page.courses.setFocus()
        page.courses.selectRow(0)
        qtbot.keyClick(page.courses, Qt.Key.Key_Return)
        work = page.work
        qtbot.waitUntil(lambda: work.item_view.item is not None)
        thread = work.item_view.thread
        assert thread.line.text() == "Thread: 2 posts — T to show"
        qtbot.keyClick(work, Qt.Key.Key_T)
        assert thread.body.isVisible() and thread.line.text() == "Thread: 2 posts — T to hide"
        qtbot.keyClick(work, Qt.Key.Key_T)
        assert not thread.body.isVisible()
    finally:
        _close(page)


def test_f10_after_a_sessions_last_answer_an_extra_enter_starts_no_course_attempt(qtbot, floor):
    """The last blind answer brings the list back by itself; the keys stay on the session just answered, so an
    Enter meant for the work says there is nothing left instead of opening a course (exposure)."""
    store, golds = floor
    courses.save_course(store, "lee", "Spam basics", golds, taxonomy_version=1)
    sessions.create_session(store, "lee", "Week 2", golds, ["eve", "ana"])
    page = _page(qtbot, store, "eve")
    try:
        qtbot.waitUntil(lambda: page.sessions_table.rowCount() == 1 and page.courses.rowCount() == 1)
        page.sessions_table.setFocus()
        page.sessions_table.selectRow(0)
        qtbot.keyClick(page.sessions_table, Qt.Key.Key_Return)
        work = page.work
        qtbot.waitUntil(lambda: work.item_view.item is not None)
        for _ in golds:
            shown = work.item_view.item.id
            qtbot.keyClick(work, Qt.Key.Key_A)
            qtbot.waitUntil(lambda shown=shown: work.item_view.item is None or work.item_view.item.id != shown)
        qtbot.waitUntil(lambda: page.stack.currentIndex() == 0)
        assert page.sessions_table.hasFocus() and "every item" in page.message.text()
        qtbot.keyClick(page.sessions_table, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: "Nothing left to answer" in page.message.text())
        assert page.stack.currentIndex() == 0
        assert store.db.execute("SELECT COUNT(*) FROM training_attempts").fetchone()[0] == 0
    finally:
        _close(page)
