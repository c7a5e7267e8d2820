"""Issue 13 §1: the Settings page (leads) and My settings (everyone), offscreen against a real store.

A value is changed as a person would, saved through the operations
runner, and the event with its old and new value appears; what may not be
saved (a clash of keys, a policy that does not hold, a broken taxonomy, a
moderator's change of the organisation's settings) is said inline and
nothing is stored.
"""

from __future__ import annotations

import pytest
from builders import events, people
from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence

import resources
from desktop import app as desktop_app
from desktop import pages as desktop_pages
from review import settings, taxonomy
from review.media import viewing
from review.media.viewing import ViewSettings
from review.taxonomy import stored
from review.wellbeing import policy as wellbeing
from ui import keymap
from ui.operations import Operations
from ui.pages.settings_org import OrganisationSettingsPage
from ui.pages.settings_personal import PersonalSettingsPage

WAIT_MS = 5000


@pytest.fixture
def team(store):
    people(store, ana="moderator", lee=(["lead", "moderator"], "Lee Park"))
    return store


@pytest.fixture
def ops(team):
    runner = Operations(team)
    yield runner
    runner.close()


def _shown(qtbot, page):
    qtbot.addWidget(page)
    page.resize(1280, 720)
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        page.show()
    return page


@pytest.fixture
def org_page(qtbot, team, ops):
    page = _shown(qtbot, OrganisationSettingsPage(team.user("lee"), ops, taxonomy.load()))
    yield page
    page.close_page()
    assert ops.wait_idle(WAIT_MS)


def _save(qtbot, page, form):
    assert form.save_button.isEnabled(), form.problem_label.text()
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        form.save_button.click()


def test_a_lead_changes_the_severe_budget_and_one_event_keeps_old_and_new(qtbot, org_page, team):
    form = org_page.forms["wellbeing"]
    assert not form.save_button.isEnabled()  # nothing changed yet
    form.boxes["severe_budget_min"].setValue(180)
    assert form.revert_button.isEnabled()
    _save(qtbot, org_page, form)
    (change,) = events(team, "setting.changed")
    assert (change.actor, change.subject) == ("lee", "setting:0:wellbeing")
    assert change.payload["old"] is None and change.payload["value"]["severe_budget_min"] == 180
    assert wellbeing.load_policy(team).severe_budget_min == 180
    qtbot.waitUntil(lambda: form.changed.text().startswith("Last changed by lee on 2026-01-05"), timeout=WAIT_MS)
    assert not form.save_button.isEnabled()


def test_the_wellbeing_form_offers_only_the_ranges_a_lead_may_choose_with_their_units(org_page):
    form = org_page.forms["wellbeing"]
    budget = form.boxes["severe_budget_min"]
    assert (budget.minimum(), budget.maximum(), budget.suffix()) == (30, 480, " min")
    assert form.boxes["budget_warning_pct"].suffix() == " %" and form.boxes["enforce_grace_s"].suffix() == " s"
    assert not hasattr(form.boxes["max_snoozes"], "decimals")  # a whole number of snoozes
    assert "daily minutes on severe items (30–480)" in budget.toolTip()
    budget.setValue(10)  # below the range: held at the lowest a lead may choose
    assert budget.value() == 30
    assert "severe_break_min (length of the severe-content break in minutes) must be between 5 and 30" in \
        form.problem({**form.value(), "severe_break_min": 4})


def test_the_rubric_shows_live_scores_and_saves_one_event(qtbot, org_page, team):
    form = org_page.forms["rubric"]
    assert "<td>Wrong label</td><td align=center>90</td><td align=center>80</td>" in form.example.text()
    form.weights["wrong_label"].setValue(35)
    assert "<td>Wrong label</td><td align=center>82.5</td><td align=center>65</td>" in form.example.text()
    _save(qtbot, org_page, form)
    (change,) = events(team, "audit.rubric_changed")
    assert change.payload["old"]["error_types"]["wrong_label"] == 20.0
    assert change.payload["value"]["error_types"]["wrong_label"] == 35.0


def test_the_viewing_floor_saves_and_the_presets_keep_same_for_untouched_parts(qtbot, org_page, team):
    floor = org_page.forms["view"]
    floor.blur.setValue(5)
    floor.detail.setChecked(True)
    _save(qtbot, org_page, floor)
    assert viewing.organisation(team) == ViewSettings(blur_level=5, grayscale=True, reduced_detail=True)
    presets = org_page.forms["presets"]
    blur, _grey, _detail, reblur = presets.rows["high"]
    blur.setValue(6)
    _save(qtbot, org_page, presets)
    assert viewing.severity_presets(team)["high"] == {"blur_level": 6}
    assert [e.subject for e in events(team, "setting.changed")] == ["setting:0:view", "setting:0:view.severity"]


def test_a_broken_taxonomy_is_shown_with_its_lines_and_cannot_be_saved(qtbot, org_page, team, tmp_path):
    form = org_page.forms["taxonomy"]
    broken = tmp_path / "policy.toml"
    broken.write_text('version = 2\n\n[[labels]]\nid = "spam"\nname = "Spam"\nseverity = "awful"\n',
                      encoding="utf-8")
    form.check_file(str(broken))
    qtbot.waitUntil(lambda: "policy.toml:6:" in form.problem_label.text(), timeout=WAIT_MS)
    assert "nothing was changed" in form.problem_label.text() and not form.save_button.isEnabled()
    good = tmp_path / "ours.toml"
    good.write_text(resources.path("taxonomy.toml").read_text(encoding="utf-8").replace("version = 1", "version = 4"),
                    encoding="utf-8")
    form.check_file(str(good))
    qtbot.waitUntil(form.save_button.isEnabled, timeout=WAIT_MS)
    assert "ours.toml, version 4" in form.chosen_text.text() and form.problem_label.isHidden()
    _save(qtbot, org_page, form)
    assert stored.organisation(team).version == 4
    assert "each desk uses it from its next start" in form.findChild(type(form.changed), "hint").text()
    assert "Kept in the store: ours.toml, version 4" in form.stored_text.text()


def test_a_moderator_is_refused_by_the_domain_and_told(qtbot, team, ops):
    page = _shown(qtbot, OrganisationSettingsPage(team.user("ana"), ops, taxonomy.load()))
    form = page.forms["wellbeing"]
    form.boxes["severe_budget_min"].setValue(120)
    form.save_button.click()
    qtbot.waitUntil(lambda: not form.problem_label.isHidden(), timeout=WAIT_MS)
    assert "Not saved: ana is not a lead" in form.problem_label.text()
    assert events(team, "setting.changed") == [] and form.boxes["severe_budget_min"].value() == 120
    page.close_page()
    assert ops.wait_idle(WAIT_MS)


@pytest.fixture
def my_page(qtbot, team, ops):
    viewing.save_organisation(team, team.user("lee"), ViewSettings(blur_level=4, grayscale=True, auto_reblur_s=10))
    applied: list[ViewSettings] = []
    page = _shown(qtbot, PersonalSettingsPage(team.user("ana"), ops, taxonomy.load(), apply_view=applied.append))
    page.applied = applied
    yield page
    page.close_page()
    assert ops.wait_idle(WAIT_MS)


def test_my_viewing_offers_only_stricter_values_says_why_and_applies_to_the_next_item(qtbot, my_page, team):
    form = my_page.view_form
    assert (form.blur.minimum(), form.reblur.maximum()) == (4, 10)
    assert form.grey.isChecked() and not form.grey.isEnabled()
    assert "never weaker" in my_page.floor_text.text() and "blur 4, greyscale" in my_page.floor_text.text()
    form.blur.setValue(2)  # below the floor: the slider stays at it
    assert form.blur.value() == 4
    form.blur.setValue(6)
    form.reblur.setValue(5)
    _save(qtbot, my_page, form)
    ana = team.user("ana")
    assert viewing.effective(team, ana) == ViewSettings(blur_level=6, grayscale=True, auto_reblur_s=5)
    assert my_page.applied == [ViewSettings(blur_level=6, grayscale=True, auto_reblur_s=5)]
    assert "next item on Review and Audit" in my_page.status.text()
    (change,) = events(team, "setting.changed")[1:]
    assert (change.actor, change.subject) == ("ana", f"setting:{ana.id}:view")


def test_a_key_on_two_commands_is_refused_naming_both(qtbot, my_page, team):
    form = my_page.keys_form
    form.edits["skip"].setKeySequence(QKeySequence("R"))
    assert "R is bound to both 'Skip: give the item back to the queue' and 'Remove'" in form.problem_label.text()
    assert not form.save_button.isEnabled()
    form.edits["skip"].setKeySequence(QKeySequence("Ctrl+B"))
    assert "Ctrl+B is kept for taking a break; it cannot also be 'skip'" in form.problem_label.text()
    assert "reveal" not in form.edits and "hide" not in form.edits  # Space and Esc are the same for everyone
    form.edits["skip"].setKeySequence(QKeySequence("K"))
    assert form.problem_label.isHidden()
    _save(qtbot, my_page, form)
    assert settings.read(team, keymap.KEYS, user=team.user("ana")) == {"skip": "K"}
    assert "New keys apply from your next sign-in" in my_page.status.text()


def test_the_window_offers_settings_to_leads_and_my_settings_to_everyone(qtbot, team, tmp_path):
    window = desktop_app.build_window(team, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.sign_in_as("ana")
    assert "my-settings" in window.page_keys() and "settings" not in window.page_keys()
    review = window.show_page("review")
    stricter = ViewSettings(blur_level=6)
    desktop_pages.apply_personal_view(window, stricter)
    assert review.item_view.view == stricter  # the next item shown uses it, without a restart
    window.sign_out()
    window.sign_in_as("lee")
    assert {"settings", "my-settings"} <= set(window.page_keys())
    escalations = window.show_page("escalations")  # a lead's workbench shows items too
    desktop_pages.apply_personal_view(window, stricter)
    assert escalations.item_view.view == stricter
    window.close()


def test_the_stored_taxonomy_is_parsed_on_a_reader_never_on_the_gui_thread(qtbot, team, ops, monkeypatch):
    """Before: show_value ran taxonomy.loads on the GUI thread at every refresh (each "audit" change)."""
    import threading

    stored.save(team, team.user("lee"), stored.read_file(resources.path("taxonomy.toml")))
    threads: list[threading.Thread] = []
    parse, in_use = taxonomy.loads, taxonomy.load()

    def recorded(*args, **kwargs):
        threads.append(threading.current_thread())
        return parse(*args, **kwargs)

    monkeypatch.setattr(taxonomy, "loads", recorded)
    page = _shown(qtbot, OrganisationSettingsPage(team.user("lee"), ops, in_use))
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        ops.changed.emit(frozenset({"audit"}))
    assert threads and threading.main_thread() not in threads
    assert "Kept in the store: taxonomy.toml, version 1" in page.forms["taxonomy"].stored_text.text()
    page.close_page()
    assert ops.wait_idle(WAIT_MS)


def _taxonomy_with_action_key(tmp_path, key):
    """The bundled taxonomy with one more action on *key* (a lead's change that may clash with someone's keys)."""
    path = tmp_path / "ours.toml"
    path.write_text(resources.path("taxonomy.toml").read_text(encoding="utf-8").replace(
        "\n[[labels]]", f'\n[[actions]]\nid = "hold"\nname = "Hold"\nkey = "{key}"\n\n[[labels]]', 1),
        encoding="utf-8")
    return path


def test_a_key_clashing_with_a_new_taxonomy_is_dropped_alone_and_the_person_told(qtbot, team, tmp_path):
    """Before: one clash dropped every personal key, and only the log said so."""
    ana = team.user("ana")
    settings.write(team, ana, keymap.KEYS, {"skip": "K", "note": "X"})
    policy = taxonomy.load(_taxonomy_with_action_key(tmp_path, "X"))
    _view, bindings = desktop_pages.personal_view(team, policy, ana)
    keys = {b.command: b.key for b in bindings}
    assert (keys["skip"], keys["note"], keys["action:hold"]) == ("K", "N", "X")
    window = desktop_app.build_window(team, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat), policy)
    qtbot.addWidget(window)
    window.show()
    window.sign_in_as("ana")
    assert window.statusBar().currentMessage() == "1 of your keys no longer fit the taxonomy: see My settings (Ctrl+,)."
    mine = window.show_page("my-settings")
    qtbot.waitUntil(lambda: "X is bound to both" in mine.keys_form.problem_label.text(), timeout=WAIT_MS)
    window.close()


def test_a_lead_choosing_a_taxonomy_is_told_whose_keys_it_would_clash_with(qtbot, org_page, team, tmp_path):
    settings.write(team, team.user("ana"), keymap.KEYS, {"note": "X"})
    form = org_page.forms["taxonomy"]
    form.check_file(str(_taxonomy_with_action_key(tmp_path, "X")))
    qtbot.waitUntil(form.save_button.isEnabled, timeout=WAIT_MS)
    assert "ana" in form.chosen_text.text() and "X is bound to both" in form.chosen_text.text()


def test_a_change_another_lead_made_meanwhile_is_not_overwritten(qtbot, org_page, team, clock):
    """Before: Save wrote the whole form over a change made since the page was read."""
    form = org_page.forms["wellbeing"]
    form.boxes["severe_budget_min"].setValue(180)  # the lead starts typing …
    clock.advance(120)
    wellbeing.save_policy(team, "lee", wellbeing.WellbeingPolicy(snooze_min=10))  # … another window saves
    form.save_button.click()
    qtbot.waitUntil(lambda: not form.problem_label.isHidden(), timeout=WAIT_MS)
    assert "Not saved: the setting 'wellbeing' was changed by lee at 2026-01-05 09:02 UTC" in form.problem_label.text()
    assert wellbeing.load_policy(team) == wellbeing.WellbeingPolicy(snooze_min=10)
    assert form.boxes["severe_budget_min"].value() == 180  # what was typed is kept
    with qtbot.waitSignal(org_page.loaded, timeout=WAIT_MS):
        form.revert_button.click()  # Revert reads the stored value again
    assert form.boxes["snooze_min"].value() == 10 and not form.save_button.isEnabled()


def test_every_stored_rule_is_shown_as_it_is_and_the_form_stays_clean(qtbot, team, ops):
    """Before: the spin boxes' ranges and decimals were not the domain's (a stored 0.25 showed 0.3, "unsaved")."""
    from audit import audits

    audits.set_rubric(team, "lee", {"error_types": {"wrong_label": audits.MAX_WEIGHT, "procedural": 12.25},
                                    "severity": {"minor": 0.25, "critical": audits.MAX_MULTIPLIER}})
    wellbeing.save_policy(team, "lee", wellbeing.WellbeingPolicy(micro_break_min=2.5, budget_warning_pct=80))
    page = _shown(qtbot, OrganisationSettingsPage(team.user("lee"), ops, taxonomy.load()))
    rubric, rules = page.forms["rubric"], page.forms["wellbeing"]
    assert (rubric.weights["wrong_label"].value(), rubric.weights["procedural"].value()) == (100, 12.25)
    assert (rubric.multipliers["minor"].value(), rubric.multipliers["critical"].value()) == (0.25, 10)
    assert rubric.weights["procedural"].maximum() == audits.MAX_WEIGHT
    assert rules.boxes["micro_break_min"].value() == 2.5
    for form in (rubric, rules):
        assert not form.save_button.isEnabled() and not form.revert_button.isEnabled(), form.title
    page.close_page()
    assert ops.wait_idle(WAIT_MS)


def test_key_bindings_refuse_a_reserved_key_a_safety_key_and_a_clash_naming_both(team):
    ana = team.user("ana")
    with pytest.raises(settings.SettingError, match="Ctrl\\+E is kept for exporting; it cannot also be 'skip'"):
        settings.write(team, ana, keymap.KEYS, {"skip": "ctrl+e"})
    with pytest.raises(settings.SettingError, match="always stays on Space"):
        settings.write(team, ana, keymap.KEYS, {"reveal": "R"})
    with pytest.raises(keymap.KeymapError, match="R is bound to both 'Skip: give the item back to the queue' and "
                                                 "'Remove'"):
        keymap.build(taxonomy.load(), {"skip": "R"})
    assert settings.write(team, ana, keymap.KEYS, {"skip": "k"}) == {"skip": "K"}
    assert settings.read(team, keymap.KEYS, user=ana) == {"skip": "K"}


def test_shift_on_a_symbol_is_the_symbol_so_it_cannot_sit_beside_it(team):
    """Before: "Shift+?" was accepted as a key of its own beside help's "?" (the same key press)."""
    assert keymap.normalise("Shift+?") == "?" and keymap.normalise("Ctrl+Shift+[") == "Ctrl+["
    assert keymap.normalise("Shift+K") == "Shift+K" and keymap.normalise("Shift+F5") == "Shift+F5"
    with pytest.raises(keymap.KeymapError, match="\\? is bound to both"):
        keymap.build(taxonomy.load(), {"skip": "Shift+?"})
    with pytest.raises(settings.SettingError, match="Ctrl\\+, is kept for opening My settings"):
        settings.write(team, team.user("ana"), keymap.KEYS, {"skip": "Ctrl+Shift+,"})


def test_ctrl_tab_moves_between_the_settings_tabs_from_a_field(qtbot, org_page):
    """Walkthrough of issue 13: Ctrl+Tab changed tabs on the Dashboard and QA setup but not on Settings."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QWidget

    with qtbot.waitActive(org_page):
        org_page.activateWindow()
    org_page.setFocus()
    qtbot.waitUntil(lambda: org_page.isAncestorOf(QApplication.focusWidget()), timeout=WAIT_MS)
    field = next(w for w in org_page.forms["view"].findChildren(QWidget)
                 if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisible() and w.isEnabled())
    field.setFocus()
    assert org_page.tabs.currentIndex() == 0
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert org_page.tabs.currentIndex() == 1
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert org_page.tabs.currentIndex() == 0


def test_a_tab_is_laid_out_when_first_shown_and_its_form_loads_before(qtbot, org_page):
    """Issue 22: opening Settings styled and laid out all five tabs' fields at once (about 15 % of its CPU); now
    a tab's forms are laid out when it is first shown, and loaded from the start."""
    wellbeing = org_page.forms["wellbeing"]
    assert not org_page.tabs.isAncestorOf(wellbeing)
    qtbot.waitUntil(lambda: wellbeing.changed.text() != "Loading…", timeout=WAIT_MS)
    org_page.tabs.setCurrentIndex(1)
    assert org_page.tabs.isAncestorOf(wellbeing) and wellbeing.isVisible()
