"""Escalations on screen (issue 13 §2): the moderator's chooser, what the lead sees, and the lead's workbench.

Driven by the keyboard as a moderator and a lead would; every key is a
desk call through the operations runner, so each step waits for what the
key leads to before it looks.
"""

from __future__ import annotations

import contextlib

import pytest
from builders import events, people, text_item
from PySide6.QtCore import QSettings, Qt

from desktop import app as desktop_app
from review import admin, escalations, serving, taxonomy
from review.desk import ReviewDesk
from review.media.viewing import ViewSettings
from review.wellbeing.policy import WellbeingPolicy
from ui import keymap
from ui.operations import Operations
from ui.pages.escalations import EscalationsPage, EscalationsServices
from ui.pages.queue_admin import QueueAdminPage
from ui.pages.queue_admin_table import ESCALATION
from ui.pages.review import ReviewPage, ReviewServices
from ui.wellbeing.controller import WellbeingController


@pytest.fixture
def floor(store):
    """ana (moderator), lee (lead); "spam" escalates to "lead escalations" (8 h, default) and "minor safety" (1 h)."""
    people(store, ana="moderator", lee="lead")
    store.add_queue("lead escalations", "escalation", sla_seconds=8 * 3600)
    store.add_queue("minor safety", "escalation", sla_seconds=3600)
    store.add_queue("spam", sla_seconds=24 * 3600, escalation_queue="lead escalations")
    admin.set_escalation(store, "lee", "spam", ["lead escalations", "minor safety"])
    for n in range(3):
        text_item(store, "spam", external_id=f"p{n}", received_at=f"2026-01-05T08:0{n}:00.000Z",
                  text=f"post {n}", metadata={"category": "spam"})
    return store


def _show(qtbot, widget):
    qtbot.addWidget(widget)
    widget.resize(1280, 720)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    widget.setFocus()
    return widget


def _services(store, name, kind):
    policy = taxonomy.load()
    user = store.user(name)
    ops = Operations(store)
    return kind(ops, ReviewDesk(policy), user, ViewSettings(), keymap.build(policy), store.clock,
                WellbeingController(store, user, store.clock, WellbeingPolicy(), ops=ops))


def _close(page):
    page.close_page()
    page.ops.close()
    page.wellbeing.close()


@pytest.fixture
def review(qtbot, floor):
    page = _show(qtbot, ReviewPage(_services(floor, "ana", ReviewServices)))
    yield page
    _close(page)


@pytest.fixture
def workbench(qtbot, floor):
    page = _show(qtbot, EscalationsPage(_services(floor, "lee", EscalationsServices)))
    yield page
    _close(page)


def _settled(qtbot, page):
    qtbot.waitUntil(lambda: not page.busy and page.ops.pending() == 0)


def _escalate_as_ana(store, *, to=None, note="under 13?"):
    """Ana escalates her next item, at a desk of her own: a connection of its own, since a page's writer thread
    may be writing through *store*'s meanwhile (one connection used by two threads at once can crash)."""
    desk = ReviewDesk(taxonomy.load())
    with contextlib.closing(store.second_connection()) as hers:
        ana = hers.user("ana")
        shown = desk.claim(hers, ana)
        desk.decide(hers, ana, shown.item.id, "escalate", note=note, claim=shown.claim, escalate_to=to)
    return shown.item


# ----------------------------------------------------------- the moderator
def _claimed(qtbot, page):
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.item is not None)
    _settled(qtbot, page)


def test_the_escalate_key_offers_the_queues_a_digit_picks_then_the_reason(qtbot, review):
    """Finding: "each review queue has one escalation target, so a moderator can never send to minor safety"."""
    _claimed(qtbot, review)
    item = review.item
    qtbot.keyClick(review, Qt.Key.Key_E)
    chooser = review.decision.chooser
    assert chooser.isVisible() and chooser.hasFocus()
    assert "1  lead escalations  (default)" in chooser.lines.text() and "2  minor safety" in chooser.lines.text()
    qtbot.keyClick(chooser, Qt.Key.Key_2)  # a digit picks the queue, not a label
    assert not chooser.isVisible() and review.decision.note.hasFocus()
    assert review.decision.chosen_labels() == []
    qtbot.keyClicks(review.decision.note, "looks under 13")
    qtbot.keyClick(review.decision.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: review.last_decision is not None)
    _settled(qtbot, review)
    moved = serving.load_item(review.ops.store, item.id)
    assert (moved.queue_name, moved.due_at) == ("minor safety", "2026-01-05T10:00:00.000Z")  # now + 1 h
    assert review.last_decision.escalated_to == "minor safety"


def test_enter_in_the_chooser_takes_the_default_and_a_written_reason_sends_at_once(qtbot, review):
    _claimed(qtbot, review)
    item = review.item
    review.decision.note.setText("credible threat?")
    review.setFocus()
    qtbot.keyClick(review, Qt.Key.Key_E)
    qtbot.keyClick(review.decision.chooser, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: review.last_decision is not None)
    _settled(qtbot, review)
    assert serving.load_item(review.ops.store, item.id).queue_name == "lead escalations"


def test_esc_in_the_chooser_cancels_and_digits_toggle_labels_again(qtbot, review):
    _claimed(qtbot, review)
    qtbot.keyClick(review, Qt.Key.Key_E)
    qtbot.keyClick(review.decision.chooser, Qt.Key.Key_Escape)
    assert not review.decision.chooser.isVisible() and not review.escalation.active
    qtbot.keyClick(review, Qt.Key.Key_7)
    assert review.decision.chosen_labels() != []
    assert review.ops.store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0


def test_a_sent_back_item_shows_the_moderator_the_lead_s_note(qtbot, floor):
    item = _escalate_as_ana(floor)
    escalations.send_back(floor, "lee", item.id, "adult, 34: decide on spam")
    page = _show(qtbot, ReviewPage(_services(floor, "ana", ReviewServices)))
    try:
        _claimed(qtbot, page)
        assert page.item.id == item.id
        said = page.item_view.context.escalation
        assert said.isVisible()
        assert "Sent back by lee: “adult, 34: decide on spam”" in said.text() and "under 13?" in said.text()
    finally:
        _close(page)


# ---------------------------------------------------------------- the lead
def test_the_lead_s_review_page_says_who_escalated_why_and_from_where(qtbot, floor):
    """Finding: "an escalated item reaches the lead with no escalator, no reason and no origin queue"."""
    _escalate_as_ana(floor)
    page = _show(qtbot, ReviewPage(_services(floor, "lee", ReviewServices)))
    try:
        page.open_queue("lead escalations")
        qtbot.waitUntil(lambda: page.item is not None)
        _settled(qtbot, page)
        assert page.item_view.context.escalation.text().startswith(
            "Escalated by ana from “spam” under 1 min ago: “under 13?”")
    finally:
        _close(page)


def _listed(qtbot, page, count):
    page.refresh()
    qtbot.waitUntil(lambda: page.table.rowCount() == count)
    _settled(qtbot, page)


def test_the_workbench_lists_breached_first_with_who_why_and_from_where(qtbot, floor, workbench):
    _escalate_as_ana(floor)
    text_item(floor, "minor safety", external_id="direct", received_at="2026-01-05T07:00:00.000Z",
              metadata={"category": "child_safety"})
    _listed(qtbot, workbench, 2)
    assert workbench.table.texts() == [
        ["2 h · 1 h over", "Minor safety · text", "reported here directly", "—"],
        ["under 1 min of 8 h", "Spam · text", "ana · spam", "under 13?"],
    ]
    workbench.queue_filter.setCurrentIndex(workbench.queue_filter.findData("lead escalations"))
    assert workbench.table.rowCount() == 1


def test_enter_opens_the_escalation_and_a_decision_key_resolves_it(qtbot, floor, workbench):
    item = _escalate_as_ana(floor)
    _listed(qtbot, workbench, 1)
    workbench.table.setFocus()
    qtbot.keyClick(workbench.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: workbench.shown is not None)
    assert workbench.item_view.item.id == item.id
    assert "Escalated by ana from “spam”" in workbench.item_view.context.escalation.text()
    assert serving.holder(floor, item.id)[0] == "lee"
    workbench.setFocus()
    qtbot.keyClick(workbench, Qt.Key.Key_7)  # spam
    qtbot.keyClick(workbench, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: workbench.last_decision is not None)
    _settled(qtbot, workbench)
    assert workbench.shown is None and workbench.stack.currentWidget() is workbench.table
    assert serving.load_item(floor, item.id).state == "decided"
    assert escalations.latest(floor, item.id).outcome == "decided"
    assert workbench.status.text().startswith("Decided: Remove on p0")


def test_b_sends_the_open_escalation_back_with_a_note(qtbot, floor, workbench):
    item = _escalate_as_ana(floor)
    _listed(qtbot, workbench, 1)
    workbench.open_selected()
    qtbot.waitUntil(lambda: workbench.shown is not None)
    workbench.setFocus()
    qtbot.keyClick(workbench, Qt.Key.Key_B)
    assert workbench.bar.note.hasFocus() and "Send back to “spam”" in workbench.bar.prompt.text()
    qtbot.keyClicks(workbench.bar.note, "adult: decide on spam")
    qtbot.keyClick(workbench.bar.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: workbench.status.text().startswith("Sent back"))
    _settled(qtbot, workbench)
    assert serving.load_item(floor, item.id).queue_name == "spam"
    assert workbench.shown is None and not workbench.bar.isVisible()
    assert [e.actor for e in events(floor, "escalation.sent_back")] == ["lee"]


def test_m_moves_the_selected_escalation_with_a_digit(qtbot, floor, workbench):
    item = _escalate_as_ana(floor)
    _listed(qtbot, workbench, 1)
    workbench.table.setFocus()
    qtbot.keyClick(workbench.table, Qt.Key.Key_M)
    chooser = workbench.bar.chooser
    assert chooser.hasFocus() and chooser.routes == ["minor safety"]
    qtbot.keyClick(chooser, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: workbench.status.text() == "Moved to “minor safety”.")
    _settled(qtbot, workbench)
    assert serving.load_item(floor, item.id).queue_name == "minor safety"


def test_another_lead_s_open_escalation_is_said_not_taken(qtbot, floor, workbench):
    item = _escalate_as_ana(floor)
    people(floor, max="lead")
    escalations.take(floor, "max", item.id)
    _listed(qtbot, workbench, 1)
    assert "max has it open" in workbench.table.texts()[0][1]
    workbench.open_selected()
    qtbot.waitUntil(lambda: workbench.status.text() == "max has this escalation open now")
    assert workbench.shown is None


def test_escalations_is_a_lead_page_right_after_my_results(qtbot, floor, tmp_path):
    window = desktop_app.build_window(floor, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    keys = window.registered_pages()
    assert keys.index("escalations") == keys.index("training") + 1 == keys.index("results") + 2  # Training: issue 17
    assert "escalations" in window.page_keys(floor.user("lee"))
    assert "escalations" not in window.page_keys(floor.user("ana"))


def test_ctrl_z_after_resolving_opens_the_escalation_again(qtbot, floor, workbench):
    item = _escalate_as_ana(floor)
    _listed(qtbot, workbench, 1)
    workbench.open_selected()
    qtbot.waitUntil(lambda: workbench.shown is not None)
    workbench.setFocus()
    qtbot.keyClick(workbench, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: workbench.last_decision is not None)
    _settled(qtbot, workbench)
    qtbot.keyClick(workbench, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: workbench.shown is not None)
    _settled(qtbot, workbench)
    assert workbench.item_view.item.id == item.id and escalations.latest(floor, item.id).outcome is None


def test_queue_admin_sets_the_escalation_queues_a_queue_allows_and_its_default(qtbot, floor):
    ops = Operations(floor)
    page = QueueAdminPage(floor.user("lee"), ops)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.refreshed):
        page.show()
    assert _admin_cells(page, "spam")[ESCALATION] == "lead escalations · minor safety"
    page.select_queue("spam")
    dialog = page.escalation()
    edit = dialog.fields["Escalates to"]
    assert [edit.queues.item(n).text() for n in range(edit.queues.count())] == ["lead escalations", "minor safety"]
    edit.queues.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert edit.routes() == ["minor safety"]
    assert dialog.summary.text() == "“Escalate” in “spam” will offer “minor safety” (the default), for a lead."
    with qtbot.waitSignal(page.refreshed):
        dialog.ok.click()
    assert [q.name for q in escalations.routes(floor, floor.queue("spam"))] == ["minor safety"]
    assert [e.payload for e in events(floor, "queue.escalation_set")][-1] == {
        "from": ["lead escalations", "minor safety"], "to": ["minor safety"], "queue_id": floor.queue("spam").id,
        "to_ids": [floor.queue("minor safety").id]}
    page.close_page()
    assert ops.wait_idle(10_000)
    ops.close()


def _admin_cells(page, name):
    row = page.model.row_of(name)
    return [page.model.index(row, c).data() for c in range(page.model.columnCount())]


# ------------------------------------------------------- review findings
def test_a_route_removed_meanwhile_is_said_and_the_next_escalate_offers_the_routes_now(qtbot, review):
    _claimed(qtbot, review)
    item = review.item
    review.ops.write(lambda store: admin.set_escalation(store, "lee", "spam", ["minor safety"]))
    qtbot.waitUntil(lambda: review.ops.pending() == 0)
    qtbot.keyClick(review, Qt.Key.Key_E)
    qtbot.keyClick(review.decision.chooser, Qt.Key.Key_1)  # lead escalations: gone since the item came
    qtbot.keyClicks(review.decision.note, "under 13?")
    qtbot.keyClick(review.decision.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "does not escalate to “lead escalations”" in review.decision.message.text())
    _settled(qtbot, review)
    assert not review.escalation.active and review.shown.routes == ("minor safety",)
    review.setFocus()
    qtbot.keyClick(review, Qt.Key.Key_E)  # one route now: no chooser, the reason is written
    qtbot.waitUntil(lambda: review.last_decision is not None)
    _settled(qtbot, review)
    assert serving.load_item(review.ops.store, item.id).queue_name == "minor safety"


def test_the_chooser_lists_every_route_digits_for_the_first_nine(qtbot, review):
    chooser = review.decision.chooser
    names = [f"queue {n}" for n in range(1, 12)]
    chooser.offer(names)
    lines = chooser.lines.text().splitlines()
    assert lines[0].endswith("1  queue 1  (default)") and lines[8].endswith("9  queue 9")
    assert lines[9].strip() == "queue 10" and lines[10].strip() == "queue 11"  # listed, without a digit
    with qtbot.waitSignal(chooser.chosen) as picked:
        qtbot.keyClick(chooser, Qt.Key.Key_Up)  # from the first to the last
        qtbot.keyClick(chooser, Qt.Key.Key_Return)
    assert picked.args == ["queue 11"]


def test_send_back_and_move_refresh_the_pages_that_count_items(qtbot, floor):
    item = _escalate_as_ana(floor)
    ops = Operations(floor)
    told = []
    ops.changed.connect(told.append)
    desk = ReviewDesk(taxonomy.load())
    try:
        ops.write(lambda store: desk.move(store, store.user("lee"), item.id, "minor safety"))
        qtbot.waitUntil(lambda: any("item" in kinds for kinds in told))
        told.clear()
        ops.write(lambda store: desk.send_back(store, store.user("lee"), item.id, "adult"))
        qtbot.waitUntil(lambda: any("item" in kinds for kinds in told))
    finally:
        assert ops.wait_idle(10_000)
        ops.close()


def test_queue_admin_offers_escalation_routes_on_review_queues_only(qtbot, floor):
    ops = Operations(floor)
    page = QueueAdminPage(floor.user("lee"), ops)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.refreshed):
        page.show()
    page.select_queue("lead escalations")
    assert not page.buttons["escalation"].isEnabled()
    page.select_queue("spam")
    assert page.buttons["escalation"].isEnabled()
    dialog = page.new_queue()
    dialog.fields["Kind"].setCurrentText("escalation")
    assert not dialog.fields["Escalates to"].isEnabled()
    dialog.fields["Kind"].setCurrentText("review")
    assert dialog.fields["Escalates to"].isEnabled()
    dialog.reject()
    page.close_page()
    assert ops.wait_idle(10_000)
    ops.close()


def test_the_workbench_keys_are_re_bindable_and_a_clash_is_refused():
    """B, M and F5 were fixed QShortcuts: a person's {"note": "B"} made B mean two things and neither fired."""
    policy = taxonomy.load()
    with pytest.raises(keymap.KeymapError, match="B"):
        keymap.build(policy, {"note": "B"})
    bindings = {b.command: b.key for b in keymap.build(policy, {"send_back": "Ctrl+Shift+B"})}
    assert bindings["send_back"] == "Ctrl+Shift+B"


def test_the_move_chooser_says_where_the_escalation_would_arrive_breached(qtbot, floor, workbench):
    """Walkthrough of issue 13: moving into a 1 h queue breached the escalation at once ("2 h 44 min over")
    without a word before."""
    _escalate_as_ana(floor)
    floor.clock.advance(2 * 3600 + 44 * 60)
    _listed(qtbot, workbench, 1)
    workbench.table.setFocus()
    qtbot.keyClick(workbench.table, Qt.Key.Key_M)
    assert "1  minor safety  — arrives 1 h 44 min over its SLA" in workbench.bar.chooser.lines.text()
    qtbot.keyClick(workbench.bar.chooser, Qt.Key.Key_Escape)


def test_the_list_has_the_focus_when_shown_and_after_a_send_back(qtbot, floor, workbench):
    """Walkthrough of issue 13: arrows did nothing on Escalations until Tab or Alt+Q, and after a send-back the
    focus fell to the side list (Down switched page)."""
    _escalate_as_ana(floor)
    _escalate_as_ana(floor)
    _listed(qtbot, workbench, 2)
    workbench.setFocus()  # what the window does when it shows a page
    assert workbench.table.hasFocus()
    qtbot.keyClick(workbench.table, Qt.Key.Key_B)
    assert workbench.bar.note.hasFocus()
    qtbot.keyClicks(workbench.bar.note, "adult: decide on spam")
    qtbot.keyClick(workbench.bar.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: workbench.status.text().startswith("Sent back"))
    _settled(qtbot, workbench)
    assert workbench.table.hasFocus()


def test_the_window_stays_within_1280_by_720_with_the_hand_over_bar_open(qtbot, floor, tmp_path):
    """Walkthrough of issue 13: the send-back note row and the move list grew the window past 720 px, pushing
    the key hints and the status bar off screen, and it never shrank back."""
    window = desktop_app.build_window(floor, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    window.sign_in_as("lee")
    _escalate_as_ana(floor)
    page = window.show_page("escalations")
    _listed(qtbot, page, 1)
    page.open_selected()
    qtbot.waitUntil(lambda: page.shown is not None)
    closed = window.minimumSizeHint()
    page.send_back()
    assert page.bar.isVisible() and window.minimumSizeHint() == closed  # the bar lies over the item
    page.escape()
    page.move()
    assert page.bar.chooser.isVisible() and window.minimumSizeHint() == closed
    page.escape()
    page.put_back()
    _settled(qtbot, page)
    assert closed.width() <= 1280 and closed.height() <= 720
    window.sign_out()
