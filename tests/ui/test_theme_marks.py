"""Marks that must not rely on colour alone or vanish on a dark ground (walk findings F7, F8), in every theme:
a dialog's Close says its name without the style's dark ✗ icon, and a ticked box shows a tick, not fill only."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QCheckBox, QDialogButtonBox, QProxyStyle, QStyle, QStyleFactory, QStyleOptionButton
from test_contrast import COMPONENT_MINIMUM, contrast

import resources
from ui import theme

THEMES = tuple(theme.THEMES)


class IconsOnButtons(QProxyStyle):
    """Fusion as desktops with icon themes set it up (GNOME, KDE): dialog buttons carry icons."""

    def styleHint(self, hint, option=None, widget=None, data=None):
        if hint == QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons:
            return 1
        return super().styleHint(hint, option, widget, data)


@pytest.fixture
def styled(qapp, themed):
    """The app styled by Veil over a style that would put icons on dialog buttons; Fusion again afterwards."""
    qapp.setStyle(IconsOnButtons(QStyleFactory.create("Fusion")))
    yield qapp
    qapp.setStyle("Fusion")


def _themed(app, name):
    app.setStyleSheet(theme.stylesheet(resources.path("theme.qss").read_text(encoding="utf-8"), name))


@pytest.mark.parametrize("name", THEMES)
def test_dialog_buttons_are_words_without_a_dark_icon(qtbot, styled, name):
    _themed(styled, name)
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close | QDialogButtonBox.StandardButton.Ok)
    qtbot.addWidget(box)
    for button in box.buttons():
        assert button.icon().isNull() and button.text(), (name, button.text())


def _indicator_colours(qtbot, checked):
    box = QCheckBox("Harassment")
    qtbot.addWidget(box)
    box.setChecked(checked)
    box.show()
    qtbot.waitExposed(box)
    option = QStyleOptionButton()
    box.initStyleOption(option)
    area: QRect = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    image = box.grab().toImage()
    inside = area.adjusted(2, 2, -2, -2)  # within the edge
    return {image.pixelColor(x, y).name() for x in range(inside.left(), inside.right() + 1)
            for y in range(inside.top(), inside.bottom() + 1)}


@pytest.mark.parametrize("name", THEMES)
def test_a_ticked_box_shows_a_tick_not_only_fill(qtbot, themed, name):
    _themed(themed, name)
    colours = theme.THEMES[name]
    assert _indicator_colours(qtbot, False) == {colours["base"]}  # empty: one flat ground
    ticked = _indicator_colours(qtbot, True)
    assert colours["accent"] in ticked and len(ticked) >= 3  # the fill, the tick and the tick's smoothed edge


@pytest.mark.parametrize("name", THEMES)
def test_the_tick_stands_out_from_its_fill(name):
    svg = resources.path(f"icons/check-{name}.svg").read_text(encoding="utf-8")
    (stroke,) = re.findall(r'stroke="(#[0-9a-f]{6})"', svg)
    colours = theme.THEMES[name]
    assert contrast(stroke, colours["accent"]) >= COMPONENT_MINIMUM  # ticked
    assert contrast(stroke, colours["faint"]) >= COMPONENT_MINIMUM  # ticked and disabled
