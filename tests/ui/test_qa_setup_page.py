"""The lead's QA setup page offscreen against a real store: plans, gold items and calibration sets from dialogs."""

from __future__ import annotations

import pytest
from builders import decided_item, events, people, text_item
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit

from audit import calibration, gold, plans
from review import admin, taxonomy
from ui.operations import Operations
from ui.pages.qa_setup import QaSetupPage

WAIT_MS = 5000


@pytest.fixture
def team(store):
    people(store, ana="moderator", ben="moderator", lee="lead")
    store.add_queue("spam")
    return store


@pytest.fixture
def ops(team):
    runner = Operations(team)
    yield runner
    runner.close()


@pytest.fixture
def page(qtbot, team, ops):
    opened = QaSetupPage(team.user("lee"), ops, taxonomy.load())
    qtbot.addWidget(opened)
    opened.resize(1200, 700)
    with qtbot.waitSignal(opened.plans.refreshed, timeout=WAIT_MS):
        opened.show()
    yield opened
    opened.close_page()
    assert ops.wait_idle(WAIT_MS)


def _apply(qtbot, tab, dialog):
    with qtbot.waitSignal(tab.refreshed, timeout=WAIT_MS):
        dialog.ok.click()


def test_a_lead_creates_pauses_and_previews_a_plan_from_the_page(qtbot, team, page):
    tab = page.plans
    dialog = tab.new_plan()
    dialog.fields["Name"].setText("Spam check")
    dialog.fields["Rate"].setValue(100)
    dialog.fields[""].setChecked(False)  # not every queue
    dialog.fields["Queues"].item(0).setCheckState(dialog.fields["Queues"].item(0).checkState().Checked)
    assert "spam" in dialog.summary.text()
    _apply(qtbot, tab, dialog)
    assert tab.table.texts()[0][:3] == ["Spam check", "Active", "100 %"]
    assert events(team, "audit.plan_created")[-1].actor == "lee"

    tab.table.selectRow(0)
    _apply(qtbot, tab, tab.toggle_pause())
    assert tab.table.texts()[0][1] == "Paused" and tab.buttons["pause"].text() == "&Resume…"

    plan = plans.plan(team, "Spam check")
    team.db.execute("UPDATE audit_plans SET starts_at = '2026-01-01T00:00:00.000Z' WHERE id = ?", [plan.id])
    decided_item(team, "spam", "ana", decided_at="2026-01-04T10:00:00.000Z")
    window = tab.preview()
    qtbot.waitUntil(lambda: "would draw 1 of the 1" in window.text.text(), timeout=WAIT_MS)
    assert "paused" in window.text.text() and "ana 1" in window.text.text()
    window.close()
    assert team.db.execute("SELECT COUNT(*) FROM audit_samples").fetchone()[0] == 0


def test_editing_only_the_rate_keeps_a_merged_queue_and_logs_only_the_rate(qtbot, team, page):
    """Review of issue 13: the tick list held unmerged queues only, so saving a new rate dropped a merged queue
    from the plan (and logged the queues as chosen)."""
    team.add_queue("abuse")
    plans.create_plan(team, "lee", "Spam check", rate=0.1, queues=["spam"])
    admin.merge(team, "lee", "spam", "abuse")
    tab = page.plans
    with qtbot.waitSignal(tab.refreshed, timeout=WAIT_MS):
        tab.refresh()
    tab.table.selectRow(0)
    dialog = tab.edit_plan()
    queues = dialog.fields["Queues"]
    rows = {queues.item(i).text(): queues.item(i).checkState() for i in range(queues.count())}
    assert rows == {"abuse": Qt.CheckState.Unchecked, "spam (merged into abuse)": Qt.CheckState.Checked}
    dialog.fields["Rate"].setValue(20)
    _apply(qtbot, tab, dialog)
    assert plans.plan(team, "Spam check").queue_words() == "spam (merged into abuse)"
    assert events(team, "audit.plan_edited")[-1].payload == {"old": {"rate": 0.1}, "new": {"rate": 0.2}}

    tab.table.selectRow(0)
    dialog = tab.edit_plan()  # ticking one more keeps the merged one too
    queues = dialog.fields["Queues"]
    queues.findItems("abuse", Qt.MatchFlag.MatchExactly)[0].setCheckState(Qt.CheckState.Checked)
    _apply(qtbot, tab, dialog)
    assert plans.plan(team, "Spam check").queue_words() == "abuse, spam (merged into abuse)"


def test_a_refused_plan_is_said_in_the_dialog_which_stays_open(qtbot, team, page):
    plans.create_plan(team, "lee", "taken", rate=0.1)
    dialog = page.plans.new_plan()
    dialog.fields["Name"].setText("taken")
    dialog.ok.click()
    qtbot.waitUntil(lambda: "already a plan" in dialog.error.text(), timeout=WAIT_MS)
    assert dialog.isVisible()
    dialog.reject()


def test_gold_and_calibration_tabs_mark_plant_retire_and_show_progress(qtbot, team, page):
    item = text_item(team, "spam", external_id="post-9", text="buy followers")
    page.tabs.setCurrentWidget(page.gold)
    tab = page.gold
    qtbot.waitUntil(lambda: tab.status.text() != "Loading…", timeout=WAIT_MS)
    dialog = tab.mark()
    dialog.fields["Item"].setText("post-9")
    dialog.fields[""].click()  # Find
    qtbot.waitUntil(lambda: "Item" in dialog.fields["Found"].text() and "post-9" in dialog.fields["Found"].text(),
                    timeout=WAIT_MS)
    dialog.fields["Answer"].setCurrentIndex(dialog.fields["Answer"].findData("no_violation"))
    dialog.fields["Why"].setText("A harmless ad.")
    _apply(qtbot, tab, dialog)
    assert tab.table.texts()[0][0] == f"{item} · post-9" and tab.table.texts()[0][3] == "A harmless ad."

    tab.table.selectRow(0)
    planting = tab.plant()
    qtbot.waitUntil(lambda: planting.fields["Queue"].count() > 1, timeout=WAIT_MS)
    planting.fields["Queue"].setCurrentIndex(1)
    planting.fields["Copies"].setValue(2)
    _apply(qtbot, tab, planting)
    assert gold.gold_items(team, "lee")[0].copies == 2
    tab.table.selectRow(0)
    _apply(qtbot, tab, tab.retire())
    assert tab.table.texts()[0][-1].startswith("Retired") and not tab.buttons["plant"].isEnabled()

    calibration.create_set(team, "lee", "week 1", [item], people=["ana", "ben"])
    calibration.answer(team, "ana", "week 1", item, "no_violation")
    page.tabs.setCurrentWidget(page.calibration)
    sets = page.calibration
    with qtbot.waitSignal(sets.refreshed, timeout=WAIT_MS):
        sets.refresh()
    sets.table.selectRow(0)
    qtbot.waitUntil(lambda: sets.progress.rowCount() == 2, timeout=WAIT_MS)
    assert sets.progress.texts()[0][:2] == ["ana", "1 of 1 — done"]
    assert "1 answers from 1 people" in sets.agreement.text()
    sets.close_set().ok.click()
    # The tab's show and the refresh above may leave a load queued that started before the close: wait for the
    # load that follows the change rather than the next ``refreshed``.
    qtbot.waitUntil(lambda: sets.table.texts()[0][1].startswith("Closed"), timeout=WAIT_MS)


def test_reopening_a_gold_item_keeps_its_answer_labels_and_why(qtbot, team, page):
    """Review of issue 13: marking an existing gold item again started with no labels and no "why", so OK wiped
    them (and logged the wipe as a new answer)."""
    item = text_item(team, "spam", external_id="post-9", text="buy followers")
    gold.add_gold(team, "lee", item, "remove", ["spam"], explanation="Sells followers.")
    page.tabs.setCurrentWidget(page.gold)
    tab = page.gold
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1, timeout=WAIT_MS)
    tab.table.selectRow(0)
    dialog = tab.mark()
    qtbot.waitUntil(lambda: "already gold" in dialog.fields["Found"].text(), timeout=WAIT_MS)
    labels = dialog.fields["Labels"]
    ticked = [labels.item(i).data(Qt.ItemDataRole.UserRole) for i in range(labels.count())
              if labels.item(i).checkState() == Qt.CheckState.Checked]
    assert (dialog.fields["Answer"].currentData(), ticked, dialog.fields["Why"].text()) == (
        "remove", ["spam"], "Sells followers.")
    logged = len(events(team, "gold.defined"))
    _apply(qtbot, tab, dialog)
    [kept] = gold.gold_items(team, "lee")
    assert (kept.action, kept.labels, kept.explanation) == ("remove", ("spam",), "Sells followers.")
    assert len(events(team, "gold.defined")) == logged


def test_enter_in_the_gold_dialog_after_tabbing_past_find_marks_gold(qtbot, team, page):
    """Walkthrough of issue 13: "Find" was a default button, so Enter after tabbing past it ran Find again, reset
    the labels and saved nothing."""
    text_item(team, "spam", external_id="post-9", text="buy followers")
    page.tabs.setCurrentWidget(page.gold)
    tab = page.gold
    dialog = tab.mark()
    dialog.activateWindow()
    dialog.fields["Item"].setText("post-9")
    find = dialog.fields[""]
    find.click()
    qtbot.waitUntil(lambda: "post-9" in dialog.fields["Found"].text(), timeout=WAIT_MS)
    find.setFocus()
    dialog.fields["Why"].setFocus()
    dialog.fields["Why"].setText("A harmless ad.")
    assert not find.autoDefault() and not find.isDefault()
    with qtbot.waitSignal(tab.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(dialog.fields["Why"], Qt.Key.Key_Return)
    assert [g.explanation for g in gold.gold_items(team, "lee")] == ["A harmless ad."]


def test_the_plan_preview_lists_the_decisions_and_says_why_none(qtbot, team, page):
    """Walkthrough of issue 13: the preview said only "would draw 0 of 17", never which decisions or why none."""
    plans.create_plan(team, "lee", "Spam check", rate=1.0, queues=["spam"], starts_at="2026-01-03", seed="s")
    decided_item(team, "spam", "ana", decided_at="2026-01-02T10:00:00.000Z")
    tab = page.plans
    with qtbot.waitSignal(tab.refreshed, timeout=WAIT_MS):
        tab.refresh()
    tab.table.selectRow(0)
    window = tab.preview()
    qtbot.waitUntil(lambda: "Why none:" in window.text.text(), timeout=WAIT_MS)
    assert "made before the plan started" in window.text.text() and not window.table.isVisible()
    window.close()
    made = decided_item(team, "spam", "ben", decided_at="2026-01-04T09:00:00.000Z")
    window = tab.preview()
    qtbot.waitUntil(lambda: window.table.rowCount() == 1, timeout=WAIT_MS)
    assert window.table.texts()[0][:3] == [str(made), "spam", "ben"] and window.table.texts()[0][4] == "rate"
    window.close()


def test_the_gold_dialog_picks_from_a_queue_s_recent_items(qtbot, team, page):
    """Walkthrough of issue 13: marking an item gold needed its id from outside the app. The dialog lists a
    queue's newest items (a snippet for text posts only, never media), filters them, and a pick finds it."""
    team.add_queue("images")
    text_item(team, "spam", external_id="post-9", text="buy followers now")
    text_item(team, "spam", external_id="post-10", text="lovely weather")
    page.tabs.setCurrentWidget(page.gold)
    tab = page.gold
    dialog = tab.mark()
    chooser = dialog.fields["Or pick"].findChild(QComboBox)
    qtbot.waitUntil(lambda: chooser.findData("spam") > 0, timeout=WAIT_MS)
    chooser.setCurrentIndex(chooser.findData("spam"))
    recent = dialog.fields["Recent"]
    qtbot.waitUntil(lambda: recent.count() == 2, timeout=WAIT_MS)
    assert recent.item(1).text() == "post-9 · spam · text, pending — buy followers now"
    dialog.fields["Or pick"].findChild(QLineEdit).setText("FOLLOW")
    assert [recent.item(i).isHidden() for i in range(2)] == [True, False]
    recent.setCurrentRow(1)
    qtbot.waitUntil(lambda: "post-9" in dialog.fields["Found"].text(), timeout=WAIT_MS)
    dialog.fields["Why"].setText("Sells followers.")
    _apply(qtbot, tab, dialog)
    assert [g.external_id for g in gold.gold_items(team, "lee")] == ["post-9"]
    tab.table.selectRow(0)
    planting = tab.plant()
    qtbot.waitUntil(lambda: planting.fields["Queue"].count() > 1, timeout=WAIT_MS)
    assert planting.fields["Queue"].currentData() == "spam"  # its own queue first
    planting.reject()
