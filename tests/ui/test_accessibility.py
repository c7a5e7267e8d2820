"""Every control on every page has a name a screen reader can say (issue 14 §3, accessibility).

The rule, checked through Qt's own accessibility layer: a control's name is
what ``QAccessible.queryAccessibleInterface(widget).text(Name)`` returns —
an ``accessibleName()``, else what Qt derives itself (a button's or check
box's text, a line edit's or spin box's label buddy, a tab bar's tabs).
Controls are what a person operates: buttons, line edits, text edits,
combo boxes, spin boxes, check and radio boxes, tables, lists and trees,
sliders and tab bars. Qt's own parts of a composite control (a combo's or
spin box's line edit, a tab bar's scroll arrows, a view's header, scroll
bars, a calendar's insides) are named by their composite, so they are left
out. Hidden controls count too: a form's second tab is still there to use.

The walk builds the app over a demo workspace and signs in each demo role
(moderator, auditor, lead), opening every page that role has.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QCalendarWidget,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

from desktop import app as desktop_app
from desktop import demo, wiring

WAIT_MS = 10_000

CONTROLS = (QAbstractButton, QLineEdit, QTextEdit, QPlainTextEdit, QComboBox, QAbstractSpinBox,
            QAbstractItemView, QAbstractSlider, QTabBar)
PARTS_OF = (QComboBox, QAbstractSpinBox, QTabBar, QCalendarWidget)  # composites that name their own parts


def accessible_name(widget: QWidget) -> str:
    face = QAccessible.queryAccessibleInterface(widget)
    return (face.text(QAccessible.Text.Name) if face is not None else "").strip()


def _is_part(widget: QWidget) -> bool:
    if isinstance(widget, (QScrollBar, QHeaderView)) or widget.objectName().startswith("qt_"):
        return True
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, PARTS_OF):
            return True
        parent = parent.parentWidget()
    return False


def unnamed_controls(root: QWidget) -> list[str]:
    """Each control under *root* without an accessible name, described so a failure says where to look."""
    found = []
    for widget in root.findChildren(QWidget):
        if isinstance(widget, CONTROLS) and not _is_part(widget) and not accessible_name(widget):
            owner = widget.parentWidget()
            path = []
            while owner is not None and owner is not root:
                path.append(type(owner).__name__)
                owner = owner.parentWidget()
            found.append(f"{type(widget).__name__} {widget.objectName()!r} in {'/'.join(reversed(path[:3]))}")
    return found


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("a11y")
    path = folder / "veil.db"
    with wiring.open_store(path) as store:
        demo.create(store, folder / "veil.db.media", items=14, seed=3)
    return path


@pytest.mark.parametrize("name", ["ana", "dana", "lee"])
def test_every_control_of_every_page_has_an_accessible_name(qtbot, demo_path, tmp_path, name):
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    with wiring.open_store(demo_path) as store:
        window = desktop_app.build_window(store, settings)
        qtbot.addWidget(window)
        window.resize(1280, 720)
        window.show()
        missing = {"window and sign-in": unnamed_controls(window)}
        window.sign_in_as(name)
        for key in window.page_keys():
            page = window.show_page(key)
            assert page is not None, key
            missing[key] = unnamed_controls(page)
        window.sign_out()
        window.close()
    problems = [f"{key}: {control}" for key, found in missing.items() for control in found]
    assert not problems, "controls without an accessible name:\n" + "\n".join(problems)


def test_the_walk_catches_an_unnamed_control_and_accepts_a_label_buddy(qtbot):
    from PySide6.QtWidgets import QFormLayout

    form = QWidget()
    qtbot.addWidget(form)
    rows = QFormLayout(form)
    labelled, bare = QLineEdit(objectName="labelled"), QLineEdit(objectName="bare")
    rows.addRow("Reason", labelled)  # the form's label is the field's buddy: Qt says "Reason"
    rows.addWidget(bare)
    assert accessible_name(labelled) == "Reason"
    assert unnamed_controls(form) == ["QLineEdit 'bare' in "]


def test_the_media_area_says_whether_it_is_blurred_revealed_or_hidden(qtbot, store, tmp_path):
    from PIL import Image
    from PySide6.QtCore import Qt

    from review import serving, taxonomy
    from review.media.viewing import ViewSettings
    from ui.item.view import ItemView
    from ui.operations import Operations

    Image.new("RGB", (320, 240), "teal").save(tmp_path / "a.png", "PNG")
    queue = store.add_queue("graphic")
    store.add_items([{"external_id": "img", "queue_id": queue.id, "kind": "image", "media_type": "image/png",
                      "media_path": str(tmp_path / "a.png"), "received_at": "2026-01-05T08:00:00Z"}])
    item = serving.load_item(store, store.db.execute("SELECT id FROM items").fetchone()[0])
    ops = Operations(store)
    view = ItemView(taxonomy.load(), ViewSettings(), store.clock, ops=ops)
    view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    view.show_item(item)
    qtbot.waitUntil(lambda: view.image.has_image)
    assert view.media.accessibleName() == "Media"
    assert view.media.accessibleDescription() == "Media blurred"
    view.set_reveal(True)
    assert view.image.accessibleDescription() == "Media revealed"
    view.set_reveal(False)
    assert view.media.accessibleDescription() == "Media blurred"
    view.toggle_hidden()
    assert view.media.accessibleDescription() == "Media hidden"
    view.toggle_hidden()
    assert view.media.accessibleDescription() == "Media blurred"
    view.close_view()
    ops.close()


def test_a_post_written_in_emoji_is_drawn_in_colour_not_as_boxes(qtbot):
    """A harassment post made of emoji was a row of empty boxes: Veil needs an emoji font (a system
    dependency, README: Debian's fonts-noto-color-emoji) and puts it first for emoji."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QFontDatabase, QImage, QPainter

    from ui import theme

    family = theme.use_emoji_font()  # what theme.apply does at start, without styling the tests' whole app
    assert family is not None, "no emoji font: install fonts-noto-color-emoji (see README)"
    assert QFontDatabase.applicationEmojiFontFamilies()[0] == family
    picture = QImage(240, 60, QImage.Format.Format_ARGB32)
    picture.fill(QColor(theme.COLORS["window"]))
    painter = QPainter(picture)
    big = painter.font()
    big.setPointSize(28)
    painter.setFont(big)
    painter.setPen(QColor(theme.COLORS["text"]))  # grey text: only an emoji glyph brings colour
    painter.drawText(picture.rect(), Qt.AlignmentFlag.AlignLeft, "😡🔪💀")
    painter.end()
    coloured = sum(1 for x in range(0, 240, 2) for y in range(0, 60, 2)
                   if max(abs(picture.pixelColor(x, y).red() - picture.pixelColor(x, y).blue()),
                          abs(picture.pixelColor(x, y).green() - picture.pixelColor(x, y).blue())) > 40)
    assert coloured > 50
