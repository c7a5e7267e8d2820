"""Veil's calm theme: dark neutral greys, one muted accent, no glare.

Two parts that must agree: a ``QPalette`` (so every widget, dialog and
message box Qt draws itself is dark from its first frame, with no white
flash) and the stylesheet text in ``resources/theme.qss`` (spacing,
borders, headings).  The colours below are the single source for code that
paints (item models, delegates); the QSS repeats them literally because QSS
has no variables, so change both together.

Status colours (amber, brick red) are desaturated and reserved for SLA
trouble; nothing else in the interface uses them, and they always come with
words ("At risk: 4"), never as colour alone.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

# Greys run from the deepest surface to the brightest text; none is pure black or white. Every text colour
# reads at 4.5:1 or more on every ground (WCAG 1.4.3; tests/ui/test_contrast.py), faint and disabled included.
COLORS: dict[str, str] = {
    "sunken": "#1a1c1f",     # navigation rail, status bar
    "window": "#202226",     # page background
    "base": "#25282c",       # tables and lists
    "alternate": "#292c31",  # alternate rows
    "raised": "#2e3237",     # buttons, headers
    "border": "#383c42",
    "text": "#d3d6da",
    "muted": "#a8aeb5",
    "faint": "#9ca2a9",
    "accent": "#819eb7",       # muted slate blue: focus, selection, the one accent
    "accent_soft": "#2f4254",  # selection background
    "accent_text": "#e3e8ed",
    "focus": "#a9cbeb",        # the focus ring: light enough to find at a glance on the dark ground
    "at_risk": "#caa86d",      # desaturated amber
    "breached": "#d5a196",     # desaturated brick
}

BASE_POINT_SIZE = 10.5

# Colour emoji fonts, best first: Linux (Debian's fonts-noto-color-emoji), macOS, Windows, then the others fontconfig
# may offer. Without one, a post written in emoji is a row of empty boxes (issue 14 §3).
EMOJI_FAMILIES = ("Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji", "Twemoji", "JoyPixels",
                  "EmojiOne Color", "Symbola")


def color(name: str) -> QColor:
    return QColor(COLORS[name])


def palette() -> QPalette:
    p = QPalette()
    c = color
    roles = {
        QPalette.ColorRole.Window: c("window"),
        QPalette.ColorRole.WindowText: c("text"),
        QPalette.ColorRole.Base: c("base"),
        QPalette.ColorRole.AlternateBase: c("alternate"),
        QPalette.ColorRole.Text: c("text"),
        QPalette.ColorRole.PlaceholderText: c("faint"),
        QPalette.ColorRole.Button: c("raised"),
        QPalette.ColorRole.ButtonText: c("text"),
        QPalette.ColorRole.BrightText: c("accent_text"),
        QPalette.ColorRole.ToolTipBase: c("raised"),
        QPalette.ColorRole.ToolTipText: c("text"),
        # Fusion draws the focus ring of combo boxes, spin boxes and check boxes in Highlight (a shade darker);
        # selections are coloured by the stylesheet (selection-background-color, ::item:selected) instead.
        QPalette.ColorRole.Highlight: c("focus"),
        QPalette.ColorRole.HighlightedText: c("accent_text"),
        QPalette.ColorRole.Link: c("accent"),
        QPalette.ColorRole.LinkVisited: c("accent"),
        QPalette.ColorRole.Light: QColor("#3a3e44"),
        QPalette.ColorRole.Midlight: QColor("#33373c"),
        QPalette.ColorRole.Mid: c("border"),
        QPalette.ColorRole.Dark: c("sunken"),
        QPalette.ColorRole.Shadow: QColor("#141518"),
    }
    for role, value in roles.items():
        p.setColor(role, value)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, c("faint"))
    p.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.Highlight, c("accent_soft"))
    p.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.HighlightedText, c("accent_text"))
    return p


def emoji_family() -> str | None:
    """The installed emoji font Veil falls back to for emoji (None: there is none)."""
    installed = set(QFontDatabase.families())
    return next((family for family in EMOJI_FAMILIES if family in installed), None)


def use_emoji_font() -> str | None:
    """Put the installed emoji font first for emoji, ahead of any text font's few monochrome emoji-like
    symbols; the family, or None when there is none (emoji are then empty boxes)."""
    family = emoji_family()
    if family is not None:
        QFontDatabase.setApplicationEmojiFontFamilies([family])
    return family


def apply(app: QApplication, qss: str | None = None) -> None:
    """Style *app*: Fusion, the dark palette, a readable base font, the emoji fallback and *qss*.

    *qss* is the stylesheet text; the desktop layer reads it from
    ``resources/theme.qss``.  Without it, the bundled file is read here (the
    ``resources`` package is data shipped with Veil, not a user file).
    """
    if qss is None:
        import resources

        qss = resources.path("theme.qss").read_text(encoding="utf-8")
    app.setStyle("Fusion")
    app.setPalette(palette())
    font = QFont(app.font())
    if font.pointSizeF() < BASE_POINT_SIZE:
        font.setPointSizeF(BASE_POINT_SIZE)
    app.setFont(font)
    use_emoji_font()
    app.setStyleSheet(qss)
