"""Text contrast of the theme is at least 4.5:1 everywhere text sits (issue 14 §3; WCAG 2.x, criterion 1.4.3).

The faint grey was 2.85–3.77:1 on its grounds. The ratio is WCAG's
``(L1 + 0.05) / (L2 + 0.05)`` of relative luminances (sRGB, linearised with
the 0.03928 threshold of WCAG 2.x), checked against WCAG's own worked
values (black on white is 21:1, a colour on itself 1:1) and #767676 on white
(4.54:1, the well-known lightest grey that passes).

Grounds are the surfaces text is drawn on: rail and status bar (sunken),
pages, tables and their alternate rows, buttons and headers (raised). Every
text colour of ``ui/theme.py`` and every ``color:`` of ``theme.qss`` must
reach 4.5:1 on each; the colours a selected row keeps (text, the SLA
colours) must reach it on the selection too. Disabled text is held to the
same bar although WCAG exempts it: a greyed "Submit" must still be legible.
"""

from __future__ import annotations

import re

import pytest

import resources
from ui import theme

MINIMUM = 4.5
GROUNDS = ("sunken", "window", "base", "alternate", "raised")
TEXTS = ("text", "muted", "faint", "accent", "accent_text", "at_risk", "breached")
ON_SELECTION = ("text", "accent_text", "at_risk", "breached")  # table text keeps its palette colour when selected


def luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_ratio_matches_wcag_worked_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#777777") == pytest.approx(1.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("text", TEXTS)
def test_each_theme_text_colour_reads_on_every_ground(text):
    low = {ground: round(contrast(theme.COLORS[text], theme.COLORS[ground]), 2) for ground in GROUNDS}
    assert min(low.values()) >= MINIMUM, f"{text} {theme.COLORS[text]}: {low}"


@pytest.mark.parametrize("text", ON_SELECTION)
def test_selected_rows_keep_readable_text(text):
    assert contrast(theme.COLORS[text], theme.COLORS["accent_soft"]) >= MINIMUM


def test_every_text_colour_in_the_stylesheet_reads_on_every_ground():
    qss = resources.path("theme.qss").read_text(encoding="utf-8")
    colours = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", qss))
    assert colours, "the stylesheet names its text colours"
    failing = {colour: min(round(contrast(colour, theme.COLORS[g]), 2) for g in GROUNDS) for colour in colours}
    assert not {c: r for c, r in failing.items() if r < MINIMUM}


def test_disabled_and_placeholder_text_read_on_buttons_and_fields():
    from PySide6.QtGui import QPalette

    palette = theme.palette()
    for role, ground in ((QPalette.ColorRole.ButtonText, "raised"), (QPalette.ColorRole.Text, "base")):
        disabled = palette.color(QPalette.ColorGroup.Disabled, role).name()
        assert contrast(disabled, theme.COLORS[ground]) >= MINIMUM
    assert contrast(palette.color(QPalette.ColorRole.PlaceholderText).name(), theme.COLORS["base"]) >= MINIMUM
