"""A light and a high-contrast theme beside the dark one, chosen on My settings, following the OS by default (§3).

The theme is a person's setting (``theme``: system, dark, light,
high-contrast). "system" follows the computer's light or dark preference
and changes with it while Veil runs; a saved choice applies at once, with
no restart, and each person's applies from their sign-in.
"""

from __future__ import annotations

import pytest
from builders import people
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QPalette, QStyleHints
from PySide6.QtWidgets import QApplication

from desktop import app as desktop_app
from review import settings, taxonomy
from ui import theme
from ui.operations import Operations
from ui.pages.settings_personal import PersonalSettingsPage


def _window_colour(app) -> str:
    return app.palette().color(QPalette.ColorRole.Window).name()


def test_the_theme_setting_is_personal_defaults_to_the_system_and_refuses_others(store):
    ana = people(store, ana="moderator")["ana"]
    assert settings.read(store, theme.THEME, user=ana) == "system"
    settings.write(store, ana, theme.THEME, "high-contrast")
    assert settings.read(store, theme.THEME, user=ana) == "high-contrast"
    with pytest.raises(ValueError, match="one of system, dark, light, high-contrast"):
        settings.write(store, ana, theme.THEME, "solarized")


def test_system_follows_the_computer_and_changes_with_it(themed, monkeypatch):
    scheme = {"now": Qt.ColorScheme.Dark}
    monkeypatch.setattr(QStyleHints, "colorScheme", lambda self: scheme["now"])
    theme.use("system")
    assert _window_colour(themed) == theme.DARK["window"]
    scheme["now"] = Qt.ColorScheme.Light
    themed.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert _window_colour(themed) == theme.LIGHT["window"] and theme.COLORS == theme.LIGHT
    assert theme.LIGHT["text"] in themed.styleSheet()
    theme.use("high-contrast")  # a person's own choice stays when the computer changes
    themed.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.COLORS == theme.HIGH_CONTRAST


def test_a_theme_saved_on_my_settings_applies_at_once(qtbot, store, themed):
    ana = people(store, ana="moderator")["ana"]
    ops = Operations(store)
    page = PersonalSettingsPage(ana, ops, taxonomy.load())
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded):
        page.show()
    form = page.theme_form
    assert form.value() == "system" and form.choice.accessibleName() == "Theme"
    form.choice.setCurrentIndex(form.choice.findData("light"))
    with qtbot.waitSignal(page.saved):
        form.save_button.click()
    assert settings.read(store, theme.THEME, user=ana) == "light"
    assert _window_colour(themed) == theme.LIGHT["window"] and theme.COLORS == theme.LIGHT
    page.close_page()
    ops.close()


def test_each_persons_theme_applies_from_their_sign_in(qtbot, store, themed, tmp_path):
    people(store, ana="moderator", ben="moderator")
    settings.write(store, "ben", theme.THEME, "high-contrast", user=store.user("ben"))
    window = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    window.sign_in_as("ben")  # not given to qtbot: deleted below, before the look is restored
    qtbot.waitUntil(lambda: theme.COLORS == theme.HIGH_CONTRAST)
    assert _window_colour(themed) == theme.HIGH_CONTRAST["window"]
    window.sign_out()
    assert theme.current_choice() == "system"
    window.deleteLater()  # gone before the look is restored: no later restyle polishes a window of this test
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _text_colour(widget) -> str:
    widget.ensurePolished()
    return widget.palette().color(widget.foregroundRole()).name()


def test_the_wellbeing_widgets_take_a_theme_switched_while_veil_runs(qtbot, themed):
    """Before: the meter, the break banner and the break screen set dark colours in code when they were made."""
    from PySide6.QtWidgets import QWidget

    from review.wellbeing.meter import MeterState
    from ui.wellbeing.break_screen import BreakScreen
    from ui.wellbeing.meter import ExposureMeter
    from ui.wellbeing.prompts import BreakBanner

    theme.use("dark")
    meter, banner, host = ExposureMeter(), BreakBanner(), QWidget()
    for widget in (meter, banner, host):
        qtbot.addWidget(widget)
    screen = BreakScreen(host)
    minute = 60_000
    meter.set_state(MeterState(0, 180 * minute, 240 * minute, 0, False))  # past the warning share: amber
    banner.show_message("Time for a break?")
    assert _text_colour(meter.label) == theme.DARK["at_risk"] and _text_colour(screen.countdown) == theme.DARK[
        "accent_text"]
    theme.use("light")
    assert _text_colour(meter.label) == theme.LIGHT["at_risk"]
    assert _text_colour(banner.message) == theme.LIGHT["text"]
    assert _text_colour(screen.title) == theme.LIGHT["text"] and _text_colour(screen.message) == theme.LIGHT["muted"]
    assert _text_colour(screen.countdown) == theme.LIGHT["accent_text"]
    assert screen.countdown.font().pointSizeF() == 30  # the sizes came along into the stylesheet
    meter.set_state(MeterState(0, 240 * minute, 240 * minute, 0, False))  # the budget used: brick, in this theme
    assert _text_colour(meter.label) == theme.LIGHT["breached"]


def test_the_budget_charts_unused_part_and_the_roster_headers_are_the_themes(qtbot, themed, store):
    """Before: the dashboard drew "Left" in #4a4f56 in every theme; the roster's headers had a sheet of their own."""
    from ui.pages.dashboard import budget_chart
    from ui.pages.roster import RosterPage

    theme.use("light")
    assert budget_chart([]).colors["Left"] == theme.LIGHT["track"]
    people(store, lee="lead")
    ops = Operations(store)
    page = RosterPage(store.user("lee"), ops)
    qtbot.addWidget(page)
    for table in (page.shifts, page.coverage):
        assert table.horizontalHeader().styleSheet() == "" and table.horizontalHeader().objectName() == "hourHeader"
    page.close_page()
    ops.close()
