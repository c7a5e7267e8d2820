"""Every theme reads: text at 4.5:1 wherever it sits, control edges and focus rings at 3:1 (issue 14 §3; WCAG 2.x).

The faint grey was 2.85–3.77:1 on its grounds; the review page's metadata
grey (#8d939c, 4.2:1 on a button's ground) and the statement box's refusal
colour (4.4:1) were set in code, outside the theme, so no check saw them.
They are theme roles now (``faint``, ``refused``), given by each theme, and
every theme — dark, light, high contrast — is held to the same bar:

- text (WCAG 1.4.3, 4.5:1): each text role of ``ui/theme.py`` and each
  ``color:`` of the stylesheet template, on every ground text is drawn on
  (rail and status bar, pages, tables and their alternate rows, buttons,
  headers); the colours a selected row keeps, on the selection; disabled
  and placeholder text too, although WCAG exempts it (a greyed "Submit"
  must still be legible);
- user-interface components (WCAG 1.4.11, 3:1): the edge of a field a
  person types into and the focus ring, on every ground a control sits on.

The ratio is WCAG's ``(L1 + 0.05) / (L2 + 0.05)`` of relative luminances
(sRGB, linearised with the 0.03928 threshold of WCAG 2.x), checked against
WCAG's own worked values and #767676 on white (4.54:1, the well-known
lightest grey that passes).
"""

from __future__ import annotations

import re

import pytest

import resources
from ui import theme

MINIMUM, COMPONENT_MINIMUM = 4.5, 3.0
GROUNDS = ("sunken", "window", "base", "alternate", "raised", "header")
TEXTS = ("text", "strong", "title", "soft", "muted", "faint", "accent", "accent_text", "warning", "refused",
         "at_risk", "breached")
ON_SELECTION = ("text", "accent_text", "at_risk", "breached")  # table text keeps its palette colour when selected
EDGES = ("edge", "focus")
THEMES = tuple(theme.THEMES)


def luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _template() -> str:
    return resources.path("theme.qss").read_text(encoding="utf-8")


def test_the_ratio_matches_wcag_worked_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#777777") == pytest.approx(1.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_every_theme_gives_every_role_and_the_stylesheet_names_only_roles():
    roles = set(theme.DARK)
    assert all(set(colours) == roles for colours in theme.THEMES.values())
    template = _template()
    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b", template.partition("*/")[2]), "a colour outside the themes"
    for name in THEMES:
        assert "@" not in theme.stylesheet(template, name)


@pytest.mark.parametrize("name", THEMES)
@pytest.mark.parametrize("text", TEXTS)
def test_each_text_role_reads_on_every_ground(name, text):
    colours = theme.THEMES[name]
    low = {ground: round(contrast(colours[text], colours[ground]), 2) for ground in GROUNDS}
    assert min(low.values()) >= MINIMUM, f"{name} {text} {colours[text]}: {low}"


@pytest.mark.parametrize("name", THEMES)
def test_selected_and_current_rows_keep_readable_text(name):
    colours = theme.THEMES[name]
    for text in ON_SELECTION:
        assert contrast(colours[text], colours["accent_soft"]) >= MINIMUM, (name, text)
    assert contrast(colours["accent_text"], colours["current"]) >= MINIMUM


@pytest.mark.parametrize("name", THEMES)
def test_every_text_colour_in_the_stylesheet_reads_on_every_ground(name):
    colours = theme.THEMES[name]
    roles = set(re.findall(r"(?<![-\w])color:\s*@(\w+)", _template()))
    assert roles, "the stylesheet names its text colours"
    failing = {role: min(round(contrast(colours[role], colours[g]), 2) for g in GROUNDS) for role in roles}
    assert not {role: ratio for role, ratio in failing.items() if ratio < MINIMUM}


@pytest.mark.parametrize("name", THEMES)
def test_control_edges_and_focus_rings_stand_out_at_three_to_one(name):
    colours = theme.THEMES[name]
    low = {(edge, ground): round(contrast(colours[edge], colours[ground]), 2) for edge in EDGES for ground in GROUNDS}
    assert min(low.values()) >= COMPONENT_MINIMUM, {k: v for k, v in low.items() if v < COMPONENT_MINIMUM}


@pytest.mark.parametrize("name", THEMES)
def test_disabled_and_placeholder_text_read_on_buttons_and_fields(name):
    from PySide6.QtGui import QPalette

    palette, colours = theme.palette(name), theme.THEMES[name]
    for role, ground in ((QPalette.ColorRole.ButtonText, "raised"), (QPalette.ColorRole.Text, "base")):
        disabled = palette.color(QPalette.ColorGroup.Disabled, role).name()
        assert contrast(disabled, colours[ground]) >= MINIMUM
    assert contrast(palette.color(QPalette.ColorRole.PlaceholderText).name(), colours["base"]) >= MINIMUM


@pytest.mark.parametrize("name", THEMES)
def test_a_charts_unfilled_bar_stands_out_from_its_ground_and_from_the_filled_part(name):
    """The dashboard's "Left" of a budget was #4a4f56 in code, 1.9:1 on the chart's ground, whatever the theme."""
    colours = theme.THEMES[name]
    assert contrast(colours["track"], colours["base"]) >= COMPONENT_MINIMUM
    assert contrast(colours["track"], colours["accent"]) >= 1.5  # "Used" beside it, told apart at a glance
