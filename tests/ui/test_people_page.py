"""The lead's People page (issue 13 §1 "People" and "Budget lift"), offscreen against a real store.

Issue 13: "nobody can add a person ('Ask a lead to add you' at sign-in, but
a lead cannot); the dashboard shows a 'Budget lifts' column with no way to
lift." Each change here is made through the page's dialogs, written
through the operations runner, and checked in the store and where it
shows (the table, the dashboard, the sign-in list); waits are
``waitUntil`` / ``waitSignal``.
"""

from __future__ import annotations

import pytest
from builders import events, people, text_items
from PySide6.QtCore import QSettings, Qt

from audit import dashboard as lead_dashboard
from desktop import app as desktop_app
from desktop import pages as desktop_pages
from review import auth
from ui.operations import Operations
from ui.pages.dashboard import DashboardPage
from ui.pages.people import LIFTS, PASSPHRASE, PERSON, QUEUES, SEVERE, STATUS, PeoplePage
from ui.pages.queue_admin_dialogs import ChangeDialog
from ui.widgets.passphrase import SetPassphraseDialog

WAIT_MS = 5000
PHRASE = "quiet harbour lights"


@pytest.fixture
def team(store):
    people(store, lee=(["lead"], "Lee Morgan"), ana=(["moderator"], "Ana Silva"), ben="moderator")
    store.add_queue("spam", priority=2)
    store.add_queue("hate")
    text_items(store, "spam", 2)
    return store


@pytest.fixture
def ops(team):
    runner = Operations(team)
    yield runner
    runner.close()


@pytest.fixture
def page(qtbot, team, ops):
    shown = PeoplePage(team.user("lee"), ops)
    qtbot.addWidget(shown)
    shown.resize(1200, 600)
    with qtbot.waitSignal(shown.refreshed, timeout=WAIT_MS), qtbot.waitActive(shown):  # shortcuts need it
        shown.show()
        shown.activateWindow()
    yield shown
    shown.close_page()
    assert ops.wait_idle(WAIT_MS)


def row(page: PeoplePage, name: str) -> list[str]:
    at = page.model.row_of(name)
    return [page.model.index(at, c).data() for c in range(page.model.columnCount())]


def dialog_of(qtbot, page: PeoplePage, kind=ChangeDialog):
    """The dialog a button opened (some open once a read has answered)."""
    qtbot.waitUntil(lambda: any(d.isVisible() for d in page.findChildren(kind)), timeout=WAIT_MS)
    return next(d for d in page.findChildren(kind) if d.isVisible())


def apply(qtbot, page: PeoplePage, dialog: ChangeDialog) -> None:
    with qtbot.waitSignal(page.refreshed, timeout=WAIT_MS):  # the change, then the reload its event causes
        dialog.ok.click()


def test_everyone_is_listed_with_roles_queues_status_passphrase_and_severe_time(qtbot, team, ops, page):
    assert [p.name for p in page.model.rows()] == ["ana", "ben", "lee"]
    ana = row(page, "ana")
    assert (ana[PERSON], ana[QUEUES], ana[STATUS], ana[PASSPHRASE], ana[SEVERE], ana[LIFTS]) == (
        "Ana Silva (ana)", "Every queue", "Active", "None", "0 min / 4 h", "0")


def test_a_lead_adds_a_moderator_with_a_passphrase(qtbot, team, page):
    page.buttons["add"].click()
    dialog = dialog_of(qtbot, page)
    dialog.fields["Name"].setText("eve")
    dialog.fields["Display name"].setText("Eve Ng")
    dialog.fields["Passphrase"].setText(PHRASE)
    dialog.fields["Repeat it"].setText("something else")
    dialog.ok.click()
    assert dialog.error.text() == "The two passphrases differ." and "eve" not in {u.name for u in team.users()}
    dialog.fields["Repeat it"].setText(PHRASE)
    queues = dialog.fields["Only these queues"]
    queues.item(queues.count() - 1).setCheckState(Qt.CheckState.Checked)  # the lowest priority: hate
    assert "Adds “eve” (moderator), working “hate”. Signing in will ask for the passphrase." == dialog.summary.text()
    apply(qtbot, page, dialog)
    assert page.status.text() == "Added Eve Ng (eve)."
    assert row(page, "eve")[PERSON:STATUS + 2] == ["Eve Ng (eve)", "moderator", "hate", "Active", "Set"]
    assert auth.check_passphrase(team, "eve", PHRASE)


def test_a_refusal_is_said_in_the_dialog_which_stays_open(qtbot, team, page):
    page.buttons["add"].click()
    dialog = dialog_of(qtbot, page)
    dialog.fields["Name"].setText("Ana")
    dialog.ok.click()
    qtbot.waitUntil(lambda: "too like “ana”" in dialog.error.text(), timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.ok.isEnabled()


def test_deactivating_asks_first_and_refuses_yourself_in_your_own_window(qtbot, team, page):
    page.select_person("lee")
    page.buttons["active"].click()
    dialog = dialog_of(qtbot, page)
    dialog.ok.click()
    qtbot.waitUntil(lambda: "signed in as lee in this window" in dialog.error.text(), timeout=WAIT_MS)
    assert team.user("lee").active
    dialog.reject()

    page.select_person("ana")
    page.buttons["active"].click()
    dialog = dialog_of(qtbot, page)
    assert dialog.summary.text().startswith("Deactivate Ana Silva (ana)? They can no longer sign in")
    apply(qtbot, page, dialog)
    assert not team.user("ana").active
    assert row(page, "ana")[STATUS] == "Deactivated"
    page.select_person("ana")
    assert page.buttons["active"].text() == "Reac&tivate…"


def test_roles_and_queues_are_edited_from_the_keyboard(qtbot, team, page):
    page.select_person("ben")
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)  # Enter on a row edits its roles
    dialog = dialog_of(qtbot, page)
    dialog.fields["Roles"].boxes["lead"].setChecked(True)
    apply(qtbot, page, dialog)
    assert team.user("ben").roles == ("moderator", "lead")

    page.select_person("ana")
    page.buttons["queues"].click()
    dialog = dialog_of(qtbot, page)
    queues = dialog.fields["Only these queues"]
    assert [queues.item(i).text() for i in range(queues.count())] == ["spam", "hate"]
    queues.item(0).setCheckState(Qt.CheckState.Checked)
    apply(qtbot, page, dialog)
    assert row(page, "ana")[QUEUES] == "spam"
    assert events(team, "user.queues_changed")[-1].payload["names"] == ["spam"]


def test_a_lead_sets_someone_elses_passphrase_without_theirs(qtbot, team, page):
    page.select_person("ben")
    page.buttons["passphrase"].click()
    dialog = dialog_of(qtbot, page, SetPassphraseDialog)
    assert dialog.current is None  # a lead resetting a forgotten one
    dialog.new.setText(PHRASE)
    dialog.repeat.setText(PHRASE + "!")
    dialog.ok.click()
    assert dialog.message.text() == "The two new passphrases differ."
    dialog.repeat.setText(PHRASE)
    apply(qtbot, page, dialog)
    assert row(page, "ben")[PASSPHRASE] == "Set"
    assert auth.check_passphrase(team, "ben", PHRASE)


def test_a_lift_needs_a_reason_and_shows_in_the_dashboards_budget_lifts_column(qtbot, team, ops, page):
    page.select_person("ana")
    page.buttons["lift"].click()
    dialog = dialog_of(qtbot, page)
    assert dialog.fields["Extra time"].value() == 60  # the wellbeing policy's default lift
    dialog.ok.click()
    assert dialog.error.text() == "A lift needs a reason: it is recorded with your name."
    dialog.fields["Extra time"].setValue(30)
    dialog.fields["Reason"].setText("training day")
    apply(qtbot, page, dialog)
    assert (row(page, "ana")[SEVERE], row(page, "ana")[LIFTS]) == ("0 min / 4 h 30", "1")

    dashboard = DashboardPage(lambda reader: lead_dashboard.load(reader, "lee"), ops)
    qtbot.addWidget(dashboard)
    with qtbot.waitSignal(dashboard.charts_rendered, timeout=WAIT_MS):
        dashboard.show()
    model = dashboard.people_model
    lifts = next(c for c in range(model.columnCount())
                 if model.headerData(c, Qt.Orientation.Horizontal) == "Budget\nlifts")
    ana = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == "Ana Silva")
    assert model.index(ana, lifts).data() == "1"
    assert model.index(ana, lifts).data(Qt.ItemDataRole.ToolTipRole) == "training day"
    dashboard.close_page()


def test_a_lift_and_its_reason_are_read_without_a_mouse(qtbot, team, ops, page):
    """Walkthrough of issue 13: the dashboard's lift count sat in a far column with its reason in a tooltip only.
    The severe column says "(1 lift)", the table takes the focus, and People says the reason for the selection."""
    from review.wellbeing import budget

    budget.lift_budget(team, "lee", "ana", "training day", minutes=30)
    page.refresh()
    qtbot.waitUntil(lambda: row(page, "ana")[LIFTS] == "1", timeout=WAIT_MS)
    page.select_person("ben")
    assert page.details.text().endswith("no budget lift today.")
    page.select_person("ana")
    qtbot.waitUntil(lambda: "training day" in page.details.text(), timeout=WAIT_MS)
    assert page.details.text().startswith("Ana Silva's budget lifted today: +30 min by lee at ")

    dashboard = DashboardPage(lambda reader: lead_dashboard.load(reader, "lee"), ops)
    qtbot.addWidget(dashboard)
    with qtbot.waitSignal(dashboard.charts_rendered, timeout=WAIT_MS):
        dashboard.show()
    model = dashboard.people_model
    severe = next(c for c in range(model.columnCount())
                  if model.headerData(c, Qt.Orientation.Horizontal) == "Severe time\nvs budget")
    ana = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == "Ana Silva")
    assert model.index(ana, severe).data().endswith(" (1 lift)")
    assert dashboard.people_table.focusPolicy() == Qt.FocusPolicy.StrongFocus
    dashboard.close_page()


def test_deactivated_people_are_not_on_the_sign_in_list_nor_let_in_by_user(qtbot, team, tmp_path):
    from review import people as ppl

    ppl.deactivate(team, "lee", "ana")
    window = desktop_app.build_window(team, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.refresh_users()
    assert [u.name for u in window.sign_in_page.users()] == ["ben", "lee"]
    with pytest.raises(PermissionError, match="deactivated and cannot sign in"):
        desktop_app.enter_as(window, team, "ana")
    window.sign_in_as("lee")
    keys = window.page_keys()
    assert keys.index("people") == keys.index("queue-admin") + 1
    window.sign_out()
    window.sign_in_as("ben")
    assert "people" not in window.page_keys()
    window.sign_out()


def _window(qtbot, team, tmp_path):
    window = desktop_app.build_window(team, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.refresh_users()
    return window


@pytest.mark.parametrize("with_passphrase", [False, True])
def test_a_person_deactivated_while_the_sign_in_list_shows_is_refused(qtbot, team, tmp_path, with_passphrase):
    from PySide6.QtCore import QTimer

    from review import people as ppl
    from ui.widgets.passphrase import PassphraseDialog

    window = _window(qtbot, team, tmp_path)
    if with_passphrase:
        auth.set_passphrase(team, "ben", "ben", PHRASE)
    page = window.sign_in_page
    assert page.select("ben")
    ppl.deactivate(team, "lee", "ben")  # by another lead, elsewhere: the list still shows ben
    asked = []

    def answer_any_dialog():
        for dialog in page.findChildren(PassphraseDialog):
            if dialog.isVisible():
                asked.append(dialog)
                dialog.field.setText(PHRASE)
                dialog.ok.click()

    timer = QTimer(page)  # answers a dialog, should one wrongly open; dies with the page
    timer.setSingleShot(True)
    timer.timeout.connect(answer_any_dialog)
    timer.start(200)
    assert not page.sign_in_current()
    timer.stop()
    assert window.current_user is None and asked == []
    assert "ben is deactivated and cannot sign in" in page.refusal.text()
    assert "ben" not in [u.name for u in page.users()]  # the list is read again


def test_opening_a_queue_outside_a_limit_says_why(qtbot, team, tmp_path):
    from review import people as ppl

    ppl.set_queues(team, "lee", "ana", ["hate"])
    window = _window(qtbot, team, tmp_path)
    window.sign_in_as("ana")
    desktop_pages.open_queue(window, "spam")
    review = window.page("review")
    qtbot.waitUntil(lambda: "A lead limited you to “hate”" in review.status.text(), timeout=WAIT_MS)
    assert "(People page)" in review.status.text()
    window.sign_out()


def test_another_leads_passphrase_is_refused_before_the_dialog_opens(qtbot, page, team):
    from review import people as ppl

    ppl.set_roles(team, "lee", "ben", ["moderator", "lead"])
    page.refresh()
    qtbot.waitUntil(lambda: "lead" in row(page, "ben")[1], timeout=WAIT_MS)
    assert page.select_person("ben")
    assert page.set_passphrase()
    qtbot.waitUntil(lambda: "ben is a lead: only ben can change their passphrase" in page.status.text(),
                    timeout=WAIT_MS)
    assert not any(d.isVisible() for d in page.findChildren(SetPassphraseDialog))
