"""The dashboard's Targets tab and the Settings page's Targets tab: flagged figures, and saving targets and costs."""

from __future__ import annotations

import pytest
from builders import events

from audit import costs, targets
from audit.dashboard import load as lead_dashboard
from review import settings, taxonomy
from tests.audit.test_costs import floor  # noqa: F401  (ana 0.75 h, ben 1 h of work on 2026-01-05)
from ui.operations import Operations
from ui.pages.dashboard import DashboardPage
from ui.pages.dashboard_targets import TargetsTab, figure_text
from ui.pages.settings_org import OrganisationSettingsPage

WAIT_MS = 10_000


@pytest.fixture
def ops(store, floor):  # noqa: F811
    runner = Operations(store)
    yield runner
    runner.close()


def test_the_tab_flags_each_person_against_their_target(qtbot, store, ops):
    settings.write(store, "lee", targets.TARGETS, {"everyone": {"throughput_per_hour": 6}})
    settings.write(store, "lee", costs.COST_PER_HOUR, {"currency": "EUR", "roles": {"moderator": 40, "lead": 60}})
    page = DashboardPage(lambda reader: lead_dashboard(reader, "lee"), ops, lead=store.user("lee"))
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    page.tabs.setCurrentWidget(page.targets_tab)
    tab: TargetsTab = page.targets_tab
    tab.period.setCurrentIndex(tab.period.findText("All time"))
    qtbot.waitUntil(lambda: tab.report is not None and tab.people_model.rowCount() == 2, timeout=WAIT_MS)
    rows = {r.key: r for r in tab.people_model.rows()}
    ben = rows["ben"].figures["throughput_per_hour"]
    assert figure_text(ben) == "2.0/h · clearly below"  # 2 decisions in 1 active hour against 6 per hour
    assert tab.people_model.data(tab.people_model.index(1, 1)) == "2.0/h · clearly below"
    assert "figure" in tab.status.text() and "below target" in tab.status.text()
    spam = {u.key: u for u in tab.queue_cost_model.rows()}["Spam"]
    assert spam.cost_per_decision == 16.5  # tests/audit/test_costs.py's hand calculation
    assert tab.queue_cost_model.data(tab.queue_cost_model.index(
        [u.key for u in tab.queue_cost_model.rows()].index("Spam"), 4)) == "16.50 EUR"
    page.close_page()
    assert ops.wait_idle(WAIT_MS)


def test_a_lead_sets_targets_and_costs_on_the_settings_page(qtbot, store, ops):
    page = OrganisationSettingsPage(store.user("lee"), ops, taxonomy.load())
    seen = store.second_connection()  # the test reads on a connection of its own: the page's writer uses store's
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    tab = page.targets_tab
    form, cost_form = tab.forms["targets"], tab.forms["costs"]
    qtbot.waitUntil(lambda: bool(form.names) and form.changed.text() != "Loading…", timeout=WAIT_MS)
    assert not form.save_button.isEnabled()  # as stored: nothing to save
    form.throughput.setValue(8)
    form._add_row("person: ana", {"accuracy": 0.95})
    assert form.save_button.isEnabled(), form.problem_label.text()
    form.save_button.click()
    qtbot.waitUntil(lambda: settings.read(seen, targets.TARGETS) != {}, timeout=WAIT_MS)
    assert settings.read(seen, targets.TARGETS) == {"everyone": {"throughput_per_hour": 8.0},
                                                    "people": {"ana": {"accuracy": 0.95}}, "queues": {}}
    cost_form.rates["moderator"].setValue(28)
    cost_form.save_button.click()
    qtbot.waitUntil(lambda: settings.read(seen, costs.COST_PER_HOUR) != {}, timeout=WAIT_MS)
    assert settings.read(seen, costs.COST_PER_HOUR) == {"currency": "EUR", "roles": {"moderator": 28.0}}
    assert [e.subject for e in events(seen, "setting.changed")][-2:] == ["setting:0:targets",
                                                                         "setting:0:cost.per_hour"]
    form.overrides.item(0, 2).setText("150")  # 150 % accuracy: refused as it is typed
    assert not form.save_button.isEnabled() and "between 0 and 1" in form.problem_label.text()
    page.close_page()
    assert ops.wait_idle(WAIT_MS)
    seen.close()
