"""The lead's Queues admin page and the passphrase dialogs, offscreen against a real store.

Every change is looked at before it happens (the dialog shows the domain's
preview), then written through the operations runner, whose change
notification reloads the pages that show it; waits are ``waitUntil`` /
``waitSignal``.
"""

from __future__ import annotations

import argparse

import pytest
from builders import ago, events, people, text_items
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from desktop import app as desktop_app
from review import auth, decisions, serving
from review.store import Store
from ui.main_window import MainWindow
from ui.operations import Operations
from ui.pages.queue_admin import QueueAdminPage
from ui.pages.queue_admin_dialogs import ChangeDialog, PreviewDialog
from ui.pages.queue_admin_table import ESCALATION, ITEMS, QUEUE, SLA, STATUS, WAITING
from ui.pages.queues import QueueOverview
from ui.widgets.passphrase import WRONG, PassphraseDialog, SetPassphraseDialog

WAIT_MS = 5000
PHRASE = "quiet harbour lights"




def _add(store, queue: str, *external_ids: str) -> list[int]:
    """Harmless items an hour old, named by their external ids (what the preview lists and collides on)."""
    return text_items(store, queue, external_ids, received_at=ago(store, 1), text="a harmless sample")


@pytest.fixture
def team(store):
    people(store, ana=(["moderator"], "Ana Silva"), lee=(["lead", "moderator"], "Lee Park"))
    store.add_queue("escalations", "escalation", priority=9)
    store.add_queue("spam", priority=3, sla_seconds=3600, escalation_queue="escalations")
    store.add_queue("scams", priority=1, escalation_queue="escalations")
    return store


@pytest.fixture
def ops(team):
    runner = Operations(team)
    yield runner
    runner.close()


def _open_page(qtbot, store, who: str, ops: Operations) -> QueueAdminPage:
    page = QueueAdminPage(store.user(who), ops, labels=["spam", "scam_fraud"])
    qtbot.addWidget(page)
    page.resize(1100, 600)
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.show()
    return page


@pytest.fixture
def page(qtbot, team, ops):
    opened = _open_page(qtbot, team, "lee", ops)
    yield opened
    opened.close_page()
    assert ops.wait_idle(WAIT_MS)


def _reload(qtbot, page) -> None:
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        page.refresh()


def _cells(page, name: str) -> list[str]:
    row = page.model.row_of(name)
    return [page.model.index(row, c).data() for c in range(page.model.columnCount())]


def _choose(dialog, field: str, queue: str) -> None:
    box = dialog.fields[field]
    box.setCurrentIndex(box.findData(queue))


def _counted(qtbot, dialog: PreviewDialog) -> None:
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=WAIT_MS)


# ---------------------------------------------------------------- the page
def test_the_table_shows_each_queue_in_words(qtbot, page, team):
    _add(team, "spam", "a", "b")
    _reload(qtbot, page)
    cells = _cells(page, "spam")
    assert (cells[QUEUE], cells[ITEMS], cells[WAITING], cells[SLA], cells[ESCALATION], cells[STATUS]) == (
        "spam", "2", "2", "1 h", "escalations", "Active")
    assert page.selected().queue.name == "escalations"  # a row is selected: the keyboard can start at once
    assert all(b.isEnabled() for key, b in page.buttons.items() if key != "escalation")  # only review queues escalate


def test_a_merge_shows_its_numbers_and_changes_nothing_until_confirmed(qtbot, page, team):
    leased, _, decided = _add(team, "spam", "l", "p", "d")
    decisions.record_past_decision(team, item_id=decided, user="ana", action="remove", labels=["spam"],
                                   decided_at=team.now())
    assert serving.claim_next(team, team.user("ana"), ["spam"]).item.id == leased
    _reload(qtbot, page)
    page.select_queue("spam")
    with qtbot.waitActive(page):  # Alt+M needs an active window
        page.activateWindow()
    qtbot.keyClick(page.table, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)  # a mnemonic "clicks" after 100 ms
    qtbot.waitUntil(lambda: page.findChild(PreviewDialog) is not None, timeout=WAIT_MS)
    dialog = page.findChild(PreviewDialog)
    assert dialog.windowTitle() == "Merge “spam”"
    assert dialog.summary.text() == "Choose the queue to merge it into." and not dialog.ok.isEnabled()
    _choose(dialog, "Into", "scams")
    _counted(qtbot, dialog)
    text = dialog.summary.text()
    assert "Merge 3 items into “scams”: 2 waiting, 1 decided." in text
    assert "1 of the waiting items are being worked on right now: they move with their reviewer" in text
    assert "Decisions keep the queue they were made in." in text
    assert dialog.ok.text() == "Merge 3 items" and dialog.ok.isEnabled()
    assert events(team, "queue.merged") == [] and serving.load_item(team, leased).queue_name == "spam"

    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        dialog.ok.click()
    assert page.status.text().startswith("Merged “spam” into “scams”: 3 items moved")
    assert _cells(page, "spam")[STATUS] == "Merged into scams" and _cells(page, "scams")[ITEMS] == "3"
    assert serving.load_item(team, leased).queue_name == "scams" and serving.holder(team, leased)[0] == "ana"
    assert events(team, "queue.merged")[0].payload["total"] == 3
    page.select_queue("spam")
    assert not page.buttons["merge"].isEnabled()  # merged queues are history


def test_a_merge_with_collisions_cannot_be_confirmed(qtbot, page, team):
    _add(team, "spam", "twin", "own")
    _add(team, "scams", "twin")
    _reload(qtbot, page)
    page.select_queue("spam")
    dialog = page.merge()
    _choose(dialog, "Into", "scams")
    _counted(qtbot, dialog)
    assert "1 external id(s) would appear twice in “scams”: twin" in dialog.summary.text()
    assert "Nothing can be merged while items collide" in dialog.error.text()
    assert not dialog.ok.isEnabled() and not dialog.skip.isVisible()
    dialog.reject()


def test_numbers_that_changed_after_the_preview_are_counted_again(qtbot, page, team):
    _add(team, "spam", "a", "b")
    _reload(qtbot, page)
    page.select_queue("spam")
    dialog = page.merge()
    _choose(dialog, "Into", "scams")
    _counted(qtbot, dialog)
    assert dialog.ok.text() == "Merge 2 items"
    _add(team, "spam", "late arrival")
    dialog.ok.click()
    qtbot.waitUntil(lambda: dialog.ok.text() == "Merge 3 items", timeout=WAIT_MS)
    assert "3 items now match, not 2" in dialog.error.text() and events(team, "queue.merged") == []
    with qtbot.waitSignal(page.changed, timeout=WAIT_MS):
        dialog.ok.click()
    assert events(team, "queue.merged")[0].payload["total"] == 3


def test_move_items_by_filter_may_leave_collisions_where_they_are(qtbot, page, team):
    _add(team, "spam", "keep", "twin", "other")
    _add(team, "scams", "twin")
    _reload(qtbot, page)
    page.select_queue("spam")
    dialog = page.move_items()
    assert dialog.fields["From"].currentText() == "spam"  # the selected queue
    _choose(dialog, "To", "scams")
    _counted(qtbot, dialog)
    assert dialog.preview.total == 3
    assert not dialog.ok.isEnabled() and dialog.skip.isVisible()
    dialog.skip.setChecked(True)
    assert dialog.ok.text() == "Move 2 items" and dialog.ok.isEnabled()
    with qtbot.waitSignal(page.changed, timeout=WAIT_MS) as said:
        dialog.ok.click()
    assert said.args[0] == "Moved 2 items to “scams”; 1 colliding items were left where they were."
    moved = events(team, "items.moved")[0].payload
    assert moved["left"] == ["twin"] and moved["total"] == 3


def test_refusals_are_shown_in_words_and_the_dialog_stays(qtbot, page, team):
    page.select_queue("spam")
    with qtbot.waitActive(page):
        page.activateWindow()
    qtbot.keyClick(page.table, Qt.Key.Key_F2)  # F2: rename
    dialog = page.findChild(ChangeDialog)
    name = dialog.fields["New name"]
    name.setText("scams")
    assert dialog.summary.text().startswith("“spam” will be called “scams”.")
    dialog.ok.click()
    qtbot.waitUntil(lambda: "already a queue named “scams”" in dialog.error.text(), timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.ok.isEnabled()
    name.setText("junk mail")
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        dialog.ok.click()
    assert page.status.text() == "Renamed “spam” to “junk mail”." and page.model.row_of("junk mail") >= 0


def test_the_domain_refuses_someone_who_is_no_longer_a_lead(qtbot, team, ops):
    page = _open_page(qtbot, team, "ana", ops)  # as if the lead role had been taken away while the page was open
    page.select_queue("spam")
    dialog = page.priority()
    dialog.ok.click()
    qtbot.waitUntil(lambda: "ana is not a lead: only a lead can set queue priorities" in dialog.error.text(),
                    timeout=WAIT_MS)
    assert team.queue("spam").priority == 3
    dialog.reject()
    page.close_page()


def test_passphrases_are_set_on_people_not_here(page):
    """Walkthrough of issue 13: Queues admin's cut-off "Passphrase for [person]" box duplicated People ▸ Set
    passphrase (tested in test_people_page.py, with the mismatch check that was here)."""
    assert "passphrase" not in page.buttons and not hasattr(page, "set_passphrase")


# ---------------------------------------------------------- signing in
def _answer(qtbot, *phrases: str | None) -> list[bool]:
    """Answer the passphrase dialog (it blocks in exec) with each phrase in turn; None cancels."""
    results: list[bool] = []
    left = list(phrases)

    def type_next(dialog: PassphraseDialog) -> None:
        phrase = left.pop(0)
        if phrase is None:
            dialog.reject()
            return
        dialog.field.setText(phrase)
        dialog.ok.click()

    def find() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, PassphraseDialog):
            QTimer.singleShot(10, find)
            return
        dialog.checked.connect(results.append)
        dialog.checked.connect(lambda ok: None if ok or not left else type_next(dialog))
        type_next(dialog)

    QTimer.singleShot(0, find)
    return results


@pytest.fixture
def window(qtbot, team, tmp_path):
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    built = desktop_app.build_window(team, settings)
    qtbot.addWidget(built)
    built.show()
    yield built
    built.sign_out()


def test_signing_in_as_a_protected_lead_takes_the_passphrase(qtbot, window, team):
    auth.set_passphrase(team, "lee", "lee", PHRASE)
    page = window.sign_in_page
    page.select("lee")
    results = _answer(qtbot, "wrong guess", PHRASE)
    assert page.sign_in_current()
    assert results == [False, True] and window.current_user.name == "lee"
    assert [e.payload for e in events(team, "auth.failed")] == [{"via": "gui"}]
    assert "Queues admin" in [window.nav.item(i).text() for i in range(window.nav.count())]


def test_a_cancelled_passphrase_keeps_the_sign_in_page_and_others_walk_in(qtbot, window, team):
    auth.set_passphrase(team, "lee", "lee", PHRASE)
    page = window.sign_in_page
    page.select("lee")
    _answer(qtbot, None)
    assert not page.sign_in_current()
    assert window.current_user is None and window.root.currentWidget() is page
    page.select("ana")  # no passphrase: no question
    assert page.sign_in_current() and window.current_user.name == "ana"


def test_the_dialog_says_the_same_words_for_any_wrong_passphrase(qtbot, ops):
    dialog = PassphraseDialog("Lee Park", lambda store, phrase: False, ops)
    qtbot.addWidget(dialog)
    dialog.field.setText("nope")
    with qtbot.waitSignal(dialog.checked, timeout=WAIT_MS):
        dialog.ok.click()
    assert dialog.message.text() == WRONG and dialog.field.text() == "" and dialog.ok.isEnabled()
    dialog.reject()


def test_changing_your_own_passphrase_asks_for_the_current_one(qtbot, team, ops):
    auth.set_passphrase(team, "ana", "ana", PHRASE)
    stores: list[Store] = []

    def save(store, current, new):
        stores.append(store)
        auth.set_passphrase(store, "ana", "ana", new, current=current)

    dialog = SetPassphraseDialog("Ana Silva", save, ops, needs_current=True)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.current.setText("not it at all")
    dialog.new.setText("a brand new phrase")
    dialog.repeat.setText("a brand new phrase")
    dialog.ok.click()
    qtbot.waitUntil(lambda: dialog.message.text() == "Your current passphrase is not right.", timeout=WAIT_MS)
    dialog.current.setText(PHRASE)
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        dialog.ok.click()
    assert auth.check_passphrase(team, "ana", "a brand new phrase")
    assert stores and all(store is team for store in stores)  # a write: on the window's one writer


# ------------------------------------------------------------ --user NAME
@pytest.fixture
def errors(monkeypatch, qapp):
    """Error boxes recorded instead of shown; the app's look restored afterwards."""
    app = QApplication.instance()
    look = (app.styleSheet(), app.palette(), app.font(), app.style().name())
    shown: list[str] = []
    monkeypatch.setattr(desktop_app, "show_error", shown.append)
    yield shown
    sheet, palette, font, style = look
    app.setStyleSheet(sheet)
    app.setStyle(style)
    app.setPalette(palette)
    app.setFont(font)


def _run(store, monkeypatch, user: str) -> tuple[int, dict]:
    seen: dict = {}

    def fake_exec():
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        seen["user"] = window.current_user.name if window.current_user else None
        window.close()
        window.deleteLater()
        return 0

    monkeypatch.setattr(QApplication.instance(), "exec", fake_exec)
    code = desktop_app.run_gui(argparse.Namespace(store=str(store.path), user=user, command=None))
    return code, seen


def test_user_option_refuses_a_protected_lead_with_a_wrong_passphrase(team, errors, monkeypatch):
    auth.set_passphrase(team, "lee", "lee", PHRASE)
    monkeypatch.setenv(desktop_app.PASSPHRASE_ENV, "a wrong passphrase")
    code, seen = _run(team, monkeypatch, "lee")
    assert code == 2 and seen == {}
    assert errors == ["The passphrase in VEIL_PASSPHRASE is not right for “lee”."]
    assert [e.payload for e in events(team, "auth.failed")] == [{"via": "cli"}]


def test_user_option_with_the_right_passphrase_signs_in(team, errors, monkeypatch):
    import os

    auth.set_passphrase(team, "lee", "lee", PHRASE)
    monkeypatch.setenv(desktop_app.PASSPHRASE_ENV, PHRASE)
    assert _run(team, monkeypatch, "lee") == (0, {"user": "lee"})
    assert desktop_app.PASSPHRASE_ENV not in os.environ  # read once, not passed on
    assert errors == []


def test_user_option_without_a_passphrase_asks_for_it(qtbot, team, errors, monkeypatch):
    auth.set_passphrase(team, "lee", "lee", PHRASE)
    monkeypatch.delenv(desktop_app.PASSPHRASE_ENV, raising=False)
    _answer(qtbot, None)
    assert _run(team, monkeypatch, "lee") == (0, {"user": None})  # cancelled: the sign-in page, nobody in
    _answer(qtbot, PHRASE)
    assert _run(team, monkeypatch, "lee") == (0, {"user": "lee"})


def test_pause_says_what_waits_and_the_button_turns_to_resume(qtbot, page, team):
    _add(team, "spam", "a", "b")
    _reload(qtbot, page)
    page.select_queue("spam")
    dialog = page.toggle_pause()
    assert dialog.summary.text().startswith(
        "Pause “spam”? Its 2 waiting items stay in the queue and are served to nobody")
    assert not team.queue("spam").paused  # nothing yet
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        dialog.ok.click()
    assert team.queue("spam").paused and _cells(page, "spam")[STATUS] == "Paused"
    assert page.buttons["pause"].text() == "Res&ume…"


def test_a_queue_without_a_partner_of_its_kind_says_so(qtbot, page):
    page.select_queue("escalations")
    dialog = page.merge()
    assert dialog.error.text() == "There is no other escalation queue to merge “escalations” into."
    assert not dialog.ok.isEnabled()
    dialog.reject()


def test_a_queue_created_here_shows_on_the_queue_overview_without_its_timer(qtbot, page, team, ops):
    overview = QueueOverview(Store.queue_health, ops, now=team.clock.now)
    qtbot.addWidget(overview)
    with qtbot.waitSignal(overview.refreshed, timeout=WAIT_MS):
        overview.show()
    overview.timer.stop()  # only the runner's change notification can refresh it now
    assert overview.model.row_of("fraud") < 0
    dialog = page.new_queue()
    dialog.fields["Name"].setText("fraud")
    with qtbot.waitSignal(overview.refreshed, timeout=WAIT_MS), qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):
        dialog.ok.click()
    assert overview.model.row_of("fraud") >= 0 and page.model.row_of("fraud") >= 0
    assert page.status.text() == "Created the queue “fraud”."
    overview.close_page()
