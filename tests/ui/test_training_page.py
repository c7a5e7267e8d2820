"""The Training page driven by the keyboard: a trainee works a course with the review keys and sees feedback
after each item; a lead builds a course from gold; a gated queue on the review page says why and how."""

from __future__ import annotations

import pytest
from builders import people, text_item
from PySide6.QtCore import Qt

from audit import gold
from audit.training import attempts, certification, courses
from review import taxonomy
from review.desk import ReviewDesk
from review.media.viewing import ViewSettings
from review.wellbeing.policy import WellbeingPolicy
from ui import keymap
from ui.operations import Operations
from ui.pages.dashboard_training import TrainingTab
from ui.pages.my_decisions_view import DeskServices
from ui.pages.review import ReviewPage, ReviewServices
from ui.pages.training import TrainingPage
from ui.wellbeing.controller import WellbeingController

POLICY = taxonomy.load()
ANSWERS = [("remove", ["spam"]), ("no_violation", [])]


@pytest.fixture
def floor(store):
    people(store, eve="moderator", lee="lead")
    store.add_queue("spam")
    golds = []
    for n, (action, labels) in enumerate(ANSWERS):
        item = text_item(store, "spam", external_id=f"gold-{n}", text=f"simulated post {n}")
        gold.add_gold(store, "lee", item, action, labels, explanation=f"why {n}")
        golds.append(item)
    text_item(store, "spam", external_id="live", text="a live report")
    return store, golds


def _show(qtbot, widget):
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    return widget


def _training(qtbot, store, name):
    user = store.user(name)
    services = DeskServices(Operations(store), user, POLICY, ViewSettings(), keymap.build(POLICY), store.clock,
                                WellbeingController(store, user, store.clock, WellbeingPolicy()))
    return _show(qtbot, TrainingPage(services))


def _close(page):
    page.close_page()
    page.ops.close()
    page.services.wellbeing.close()


def test_a_trainee_works_a_course_with_the_review_keys_and_sees_feedback_after_each_item(qtbot, floor):
    store, golds = floor
    courses.save_course(store, "lee", "Spam basics", golds, taxonomy_version=1, pass_mark=1.0)
    page = _training(qtbot, store, "eve")
    try:
        qtbot.waitUntil(lambda: page.courses.rowCount() == 1)
        assert page.courses.texts()[0][0] == "Spam basics" and page.courses.texts()[0][-1] == "Not started"
        page.courses.setFocus()
        page.courses.selectRow(0)
        qtbot.keyClick(page.courses, Qt.Key.Key_Return)
        work = page.work
        qtbot.waitUntil(lambda: work.item_view.item is not None)
        shown = [golds[p - 1] for p in attempts.order(work.step.attempt.id, 2)]  # the attempt's own order
        assert work.item_view.item.id == shown[0] and "item 1 of 2" in work.progress.text()
        for n, item_id in enumerate(shown):
            qtbot.waitUntil(lambda i=item_id: work.item_view.item is not None and work.item_view.item.id == i)
            qtbot.keyClick(work, Qt.Key.Key_7)  # the Spam label, as on the review desk
            qtbot.keyClick(work, Qt.Key.Key_R)  # right for the first gold item, wrong for the second
            qtbot.waitUntil(lambda: work.feedback.isVisible())
            text = work.feedback.text()
            if item_id == golds[0]:
                assert "Matched" in text and "Expected: Remove · Spam" in text
            else:
                assert "Not matched" in text and "Expected: No violation" in text and "why 1" in text
            if n == 0:
                qtbot.keyClick(work, Qt.Key.Key_A)  # the answer keys rest while the feedback shows
                assert work.feedback.isVisible()
                qtbot.keyClick(work, Qt.Key.Key_Return)
                qtbot.waitUntil(lambda: "item 2 of 2" in work.progress.text())
        assert "Attempt 1 finished: 1 of 2 (50 %) — not passed" in text
        qtbot.keyClick(work, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: page.stack.currentIndex() == 0)
        assert "not passed" in page.message.text()
        qtbot.waitUntil(lambda: page.courses.texts() and page.courses.texts()[0][-1] == "Not passed yet")
        # training is exposure (booked when each item left the screen), and never a live decision
        assert store.db.execute("SELECT COUNT(*) FROM exposure WHERE user_id = ?",
                                [store.user("eve").id]).fetchone()[0] == 2
        assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0
    finally:
        _close(page)


def test_a_lead_builds_a_course_from_gold_items_with_space_and_ctrl_s(qtbot, floor):
    store, golds = floor
    page = _training(qtbot, store, "lee")
    try:
        page.tabs.setCurrentIndex(1)
        builder = page.tabs.currentWidget()
        qtbot.waitUntil(lambda: builder.table.rowCount() == 2)
        for row in range(2):
            builder.table.item(row, 0).setCheckState(Qt.CheckState.Checked)  # what Space does on the tick
        builder.name.setText("Spam basics")
        builder.pass_mark.setValue(50)
        builder.name.setFocus()
        qtbot.waitUntil(builder.name.hasFocus)
        qtbot.keyClick(builder.name, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: "Saved" in builder.status.text())
        made = courses.course(store, "lee", "Spam basics")
        assert made.size == 2 and made.pass_mark == 0.5 and {i.item_id for i in made.items} == set(golds)
    finally:
        _close(page)


def test_a_gated_queue_on_the_review_page_says_why_and_how_to_get_in(qtbot, floor):
    store, golds = floor
    courses.save_course(store, "lee", "Spam basics", golds, taxonomy_version=1)
    certification.gate(store, "lee", "spam", "Spam basics")
    eve = store.user("eve")
    services = ReviewServices(Operations(store), ReviewDesk(POLICY), eve, ViewSettings(), keymap.build(POLICY),
                              store.clock, WellbeingController(store, eve, store.clock, WellbeingPolicy()))
    page = _show(qtbot, ReviewPage(services))
    try:
        page.open_queue("spam")
        qtbot.waitUntil(lambda: "needs the course" in page.status.text())
        assert "Spam basics" in page.status.text() and "Training page" in page.status.text()
        assert page.item is None
    finally:
        page.close_page()
        page.ops.close()
        page.wellbeing.close()


def test_the_dashboard_training_tab_shows_the_success_rate_and_people(qtbot, floor):
    from audit.training import attempts

    store, golds = floor
    courses.save_course(store, "lee", "Spam basics", golds, taxonomy_version=1, pass_mark=0.5)
    attempt = attempts.start(store, "eve", "Spam basics")
    for position, (action, labels) in enumerate(ANSWERS, start=1):
        attempts.answer(store, "eve", attempt.id, position, action, labels)
    ops = Operations(store)
    tab = TrainingTab(store.user("lee"), ops)
    _show(qtbot, tab)
    try:
        qtbot.waitUntil(lambda: tab.courses.rowCount() == 1)
        assert tab.courses.texts()[0][4] == "100 % within 2 (n=1)"
        assert tab.people.texts()[0][:6] == ["eve", "Spam basics", "1", "100 %", "100 %", "yes (attempt 1)"]
    finally:
        tab.close_page()
        ops.close()


def test_a_session_is_answered_blind_and_the_lead_reads_its_agreement(qtbot, floor):
    from audit import calibration
    from audit.training import sessions

    store, golds = floor
    people(store, ana="moderator")
    sessions.create_session(store, "lee", "Week 2", golds, ["eve", "ana"])
    for item, action in zip(golds, ("remove", "no_violation"), strict=True):
        calibration.answer(store, "ana", "Week 2", item, action, ["spam"] if action == "remove" else [])
    page = _training(qtbot, store, "eve")
    try:
        qtbot.waitUntil(lambda: page.sessions_table.rowCount() == 1)
        assert page.sessions_table.texts()[0] == ["Week 2", "2", "0 of 2"]
        page.sessions_table.setFocus()
        page.sessions_table.selectRow(0)
        qtbot.keyClick(page.sessions_table, Qt.Key.Key_Return)
        work = page.work
        qtbot.waitUntil(lambda: work.item_view.item is not None)
        assert "Calibration session" in work.progress.text() and "ana" not in work.progress.text()
        for key in (Qt.Key.Key_A, Qt.Key.Key_A):  # blind: no feedback, the next item follows
            shown = work.item_view.item.id
            qtbot.keyClick(work, key)
            qtbot.waitUntil(lambda shown=shown: work.item_view.item is None or work.item_view.item.id != shown)
            assert not work.feedback.isVisible()
        qtbot.waitUntil(lambda: page.stack.currentIndex() == 0)
        assert "every item" in page.message.text()
    finally:
        _close(page)
    lead = _training(qtbot, store, "lee")
    try:
        lead.tabs.setCurrentIndex(3)
        panel = lead.tabs.currentWidget()
        qtbot.waitUntil(lambda: panel.spread.rowCount() == 2)
        assert "Fleiss' kappa" in panel.figures.text() and "Krippendorff's alpha" in panel.figures.text()
        assert panel.spread.texts()[0][2] == "No violation · no label ×1; Remove · Spam ×1"  # names (F5)
        assert panel.action.currentText() == "No violation" and panel.action.currentData() == "no_violation"
    finally:
        _close(lead)


def test_stored_words_are_shown_as_text_never_as_markup(qtbot, floor, tmp_path):
    """Review finding 9: an explanation (or a course name) is text: "<50 %" stays, and an <img> loads nothing."""
    store, golds = floor
    picture = tmp_path / "red.png"
    picture.write_bytes(b"not read")
    explanations = {g: f"<50% of posts … <i>fakes</i> <img src='{picture}'>" for g in golds}
    courses.save_course(store, "lee", "A <b>bold</b> course", golds, taxonomy_version=1, explanations=explanations)
    page = _training(qtbot, store, "eve")
    try:
        qtbot.waitUntil(lambda: page.courses.rowCount() == 1)
        page.courses.setFocus()
        page.courses.selectRow(0)
        qtbot.keyClick(page.courses, Qt.Key.Key_Return)
        work = page.work
        qtbot.waitUntil(lambda: work.item_view.item is not None)
        assert "A &lt;b&gt;bold&lt;/b&gt; course" in work.progress.text()
        qtbot.keyClick(work, Qt.Key.Key_7)
        qtbot.keyClick(work, Qt.Key.Key_R)
        qtbot.waitUntil(lambda: work.feedback.isVisible())
        text = work.feedback.text()
        assert "&lt;50% of posts … &lt;i&gt;fakes&lt;/i&gt; &lt;img src=" in text and "<img" not in text
        assert "<i>" not in text
    finally:
        _close(page)
