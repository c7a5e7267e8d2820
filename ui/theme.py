"""Veil's themes: the calm dark one, a light one and a high-contrast one, each a set of named colour roles.

Two parts that must agree: a ``QPalette`` (so every widget, dialog and
message box Qt draws itself has the theme's colours from its first frame,
with no white flash in the dark theme) and the stylesheet template in
``resources/theme.qss``, whose ``@role`` words are replaced by the
theme's colours (:func:`stylesheet`). Code that paints (delegates, the
storyboard, charts, the break screen) asks :data:`COLORS` — the theme in
use, updated in place when it changes — at paint time, never keeps a colour.

A person chooses a theme on My settings (the ``theme`` setting: "system",
"dark", "light" or "high-contrast"); "system", the default, follows the
operating system's light or dark preference (``QStyleHints.colorScheme``)
and changes with it while Veil runs. :func:`use` switches live: the
application's stylesheet is replaced, so every widget is polished again.

Status colours (amber, brick red) are desaturated and reserved for SLA
trouble; nothing else uses them, and they always come with words
("At risk: 4"), never as colour alone. Every text role reads at 4.5:1 on
every ground of its theme and every control edge and focus ring at 3:1
(WCAG 1.4.3, 1.4.11; tests/ui/test_contrast.py checks each theme).
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from review import settings

# Greys run from the deepest surface to the brightest text; none is pure black or white.
DARK: dict[str, str] = {
    # grounds: where text sits
    "sunken": "#1a1c1f",       # navigation rail, status bar
    "window": "#202226",       # page background
    "base": "#25282c",         # tables, lists, fields
    "alternate": "#292c31",    # alternate rows, a pressed button
    "raised": "#2e3237",       # buttons, tooltips
    "header": "#2a2d32",       # table headers; also the rail's and bars' dividing lines
    "hover": "#2b2f34",
    "raised_hover": "#343940",
    "media": "#1c1e21",        # behind a picture
    # lines that only separate (decorative: no contrast rule) and the edges of controls (3:1)
    "border": "#383c42",
    "frame": "#2f3338",
    "edge": "#7a818a",         # the edge of a field a person types into
    "default_edge": "#55697c",
    "scroll": "#3a3e44",
    "scroll_hover": "#484d54",
    # text
    "text": "#d3d6da",
    "strong": "#c3c7cc",
    "title": "#dfe2e6",
    "soft": "#aab0b7",
    "muted": "#a8aeb5",
    "faint": "#9ca2a9",
    "accent": "#819eb7",       # muted slate blue: focus, selection, the one accent
    "accent_soft": "#2f4254",  # selection background
    "accent_text": "#e3e8ed",
    "current": "#2a3440",      # the page or step you are on
    "progress": "#4f6b84",
    "focus": "#a9cbeb",        # the focus ring: light enough to find at a glance on the dark ground
    "warning": "#d2b27a",      # a rule not met ("Remove needs a label")
    "refused": "#e58a66",      # a statement the Transparency Database would refuse
    "at_risk": "#caa86d",      # desaturated amber
    "breached": "#d5a196",     # desaturated brick
    "veil_line": "#c8c8c8",    # the outline of a revealed region and of a drag
    "chip": "#1a1c1f",         # the timestamp chip on a keyframe
    "track": "#6e747c",        # the unfilled rest of a chart's bar (a budget not used): 3:1 on a chart's ground
    # Qt's shading roles (Fusion's bevels), and the charts' other series (the first is the accent)
    "light": "#3a3e44", "midlight": "#33373c", "shadow": "#141518",
    "series": "#8fa98a #a794b8 #86aeaa #b59f86",
}
LIGHT: dict[str, str] = {
    "sunken": "#e9ebee", "window": "#f5f6f8", "base": "#ffffff", "alternate": "#f0f2f5", "raised": "#e6e9ed",
    "header": "#e1e4e8", "hover": "#e2e6ea", "raised_hover": "#dde1e6", "media": "#e4e6e9",
    "border": "#c9ced4", "frame": "#d3d8de", "edge": "#6b7280", "default_edge": "#4f6f8c",
    "scroll": "#b5bcc4", "scroll_hover": "#9aa2ab",
    "text": "#1f2328", "strong": "#2c3136", "title": "#15181b", "soft": "#454b52", "muted": "#4a5058",
    "faint": "#555b63", "accent": "#3c6488", "accent_soft": "#d3e1ee", "accent_text": "#102a43",
    "current": "#d9e4ef", "progress": "#7fa2c2", "focus": "#2f6fab", "warning": "#7a5410", "refused": "#a0401a",
    "at_risk": "#7a5a12", "breached": "#9b3a2a", "veil_line": "#3a3f45", "chip": "#f5f6f8",
    "track": "#8a9099",
    "light": "#ffffff", "midlight": "#eef0f2", "shadow": "#9aa1a9",
    "series": "#5f7f5a #7c6691 #4d7e7a #8a7258",
}
HIGH_CONTRAST: dict[str, str] = {
    "sunken": "#000000", "window": "#000000", "base": "#0a0a0a", "alternate": "#161616", "raised": "#1a1a1a",
    "header": "#1a1a1a", "hover": "#2a2a2a", "raised_hover": "#303030", "media": "#000000",
    "border": "#bfbfbf", "frame": "#bfbfbf", "edge": "#ffffff", "default_edge": "#ffffff",
    "scroll": "#bfbfbf", "scroll_hover": "#ffffff",
    "text": "#ffffff", "strong": "#ffffff", "title": "#ffffff", "soft": "#f0f0f0", "muted": "#e6e6e6",
    "faint": "#d9d9d9", "accent": "#8fd3ff", "accent_soft": "#003a66", "accent_text": "#ffffff",
    "current": "#003a66", "progress": "#8fd3ff", "focus": "#ffd400", "warning": "#ffd27a", "refused": "#ffa47f",
    "at_risk": "#ffd27a", "breached": "#ffb4a3", "veil_line": "#ffd400", "chip": "#000000",
    "track": "#8c8c8c",
    "light": "#4d4d4d", "midlight": "#333333", "shadow": "#000000",
    "series": "#b7f5a3 #e4b8ff #7fffe9 #ffcf99",
}
THEMES: dict[str, dict[str, str]] = {"dark": DARK, "light": LIGHT, "high-contrast": HIGH_CONTRAST}
CHOICES = ("system", *THEMES)

COLORS: dict[str, str] = dict(DARK)
"""The theme in use, by role; updated in place by :func:`use`, so read it when painting."""

BASE_POINT_SIZE = 10.5

# Colour emoji fonts, best first: Linux (Debian's fonts-noto-color-emoji), macOS, Windows, then the others fontconfig
# may offer. Without one, a post written in emoji is a row of empty boxes (issue 14 §3).
EMOJI_FAMILIES = ("Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji", "Twemoji", "JoyPixels",
                  "EmojiOne Color", "Symbola")


def _check_choice(value: str) -> str:
    if value not in CHOICES:
        raise ValueError(f"the theme is one of {', '.join(CHOICES)}; not {value!r}")
    return value


THEME = settings.declare(
    "theme", settings.PERSON, str, "system", changed_by=settings.SELF, check=_check_choice,
    describe="A person's theme: system (follow the computer's light or dark setting), dark, light or high-contrast.",
)

_state: dict[str, str] = {"choice": "system", "template": "", "shown": ""}  # what apply() and use() last did


def color(name: str) -> QColor:
    return QColor(COLORS[name])


def series() -> tuple[str, ...]:
    """The charts' series colours in the theme in use, the accent first."""
    return (COLORS["accent"], *COLORS["series"].split())


def resolve(choice: str) -> str:
    """The theme *choice* means now: "system" is the OS's light or dark preference (dark when it says neither)."""
    if choice != "system":
        return choice if choice in THEMES else "dark"
    scheme = QGuiApplication.styleHints().colorScheme()
    return "light" if scheme == Qt.ColorScheme.Light else "dark"


def stylesheet(template: str, name: str) -> str:
    """*template* with each ``@role`` replaced by theme *name*'s colour (an unknown role is a KeyError), and
    ``@icons`` by the folder of the bundled icons and ``@theme`` by *name*: a check box's tick is drawn in the theme's
    own colour (``resources/icons/check-<theme>.svg``), so a ticked box differs from an empty one in more than fill."""
    import resources  # data shipped with Veil, read when a theme is painted (as apply() reads the template)

    words = {**THEMES[name], "theme": name, "icons": resources.path("icons").as_posix()}
    return re.sub(r"@([a-z_]+)", lambda m: words[m.group(1)], template)


def palette(name: str = "dark") -> QPalette:
    p = QPalette()
    c = THEMES[name]
    roles = {
        QPalette.ColorRole.Window: c["window"],
        QPalette.ColorRole.WindowText: c["text"],
        QPalette.ColorRole.Base: c["base"],
        QPalette.ColorRole.AlternateBase: c["alternate"],
        QPalette.ColorRole.Text: c["text"],
        QPalette.ColorRole.PlaceholderText: c["faint"],
        QPalette.ColorRole.Button: c["raised"],
        QPalette.ColorRole.ButtonText: c["text"],
        QPalette.ColorRole.BrightText: c["accent_text"],
        QPalette.ColorRole.ToolTipBase: c["raised"],
        QPalette.ColorRole.ToolTipText: c["text"],
        # Fusion draws the focus ring of combo boxes, spin boxes and check boxes in Highlight (a shade darker);
        # selections are coloured by the stylesheet (selection-background-color, ::item:selected) instead.
        QPalette.ColorRole.Highlight: c["focus"],
        QPalette.ColorRole.HighlightedText: c["accent_text"],
        QPalette.ColorRole.Link: c["accent"],
        QPalette.ColorRole.LinkVisited: c["accent"],
        QPalette.ColorRole.Light: c["light"],
        QPalette.ColorRole.Midlight: c["midlight"],
        QPalette.ColorRole.Mid: c["edge"],  # Fusion's frame of check boxes and radio buttons: a control's edge
        QPalette.ColorRole.Dark: c["sunken"],
        QPalette.ColorRole.Shadow: c["shadow"],
    }
    for role, value in roles.items():
        p.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(c["faint"]))
    p.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.Highlight, QColor(c["accent_soft"]))
    p.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.HighlightedText, QColor(c["accent_text"]))
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


def apply(app: QApplication, qss: str | None = None, choice: str = "system") -> None:
    """Style *app*: Fusion, a readable base font, the emoji fallback, and the theme *choice* (:func:`use`).

    *qss* is the stylesheet template; the desktop layer reads it from
    ``resources/theme.qss``.  Without it, the bundled file is read here (the
    ``resources`` package is data shipped with Veil, not a user file).
    """
    if qss is None:
        import resources

        qss = resources.path("theme.qss").read_text(encoding="utf-8")
    if app.style().name().lower() != "fusion":  # a new style object re-polishes every widget: only when needed
        app.setStyle("Fusion")
    font = QFont(app.font())
    if font.pointSizeF() < BASE_POINT_SIZE:
        font.setPointSizeF(BASE_POINT_SIZE)
    app.setFont(font)
    use_emoji_font()
    first = not _state["template"]
    _state["template"] = qss
    if first:  # "system" follows the OS while Veil runs
        app.styleHints().colorSchemeChanged.connect(lambda _scheme: _follow_system(app))
    _paint(app, _choose(choice))


def use(choice: str, app: QApplication | None = None) -> str:
    """Switch the running application to theme *choice* (a :data:`CHOICES` value), live; the theme now shown."""
    app = app or QApplication.instance()
    shown = _state["shown"]
    name = _choose(choice)
    # Restyling repolishes every widget: only when the theme shown changes (a sign-in usually keeps it), and not in
    # an application apply() did not style (a test's keeps its look).
    if name != shown and app.styleSheet() and _state["template"]:
        _paint(app, name)
    return name


def _choose(choice: str) -> str:
    """Remember *choice* and make :data:`COLORS` the theme it means now; that theme's name."""
    name = resolve(choice)
    _state["choice"] = choice
    COLORS.clear()
    COLORS.update(THEMES[name])
    return name


def _paint(app: QApplication, name: str) -> None:
    _state["shown"] = name
    app.setPalette(palette(name))
    app.setStyleSheet(stylesheet(_state["template"], name))


def current_choice() -> str:
    """The theme choice in use ("system" unless a person chose another)."""
    return _state["choice"]


def _follow_system(app: QApplication) -> None:
    if _state["choice"] == "system":
        use("system", app)
