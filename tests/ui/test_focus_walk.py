"""Keyboard focus on the lead pages (issue 13 walkthrough): arrows work as soon as a page shows, and focus is seen.

On QA setup the window's focus went to the tab bar, so Up and Down did nothing until Tab; the focus ring
on tables, buttons and check boxes was a shade away from the ground.
"""

from __future__ import annotations

from builders import people
from PySide6.QtGui import QPalette

import resources
from review import taxonomy
from ui import theme
from ui.operations import Operations
from ui.pages.qa_setup import QaSetupPage

WAIT_MS = 5000


def test_qa_setup_gives_the_focus_to_the_table_when_the_window_focuses_it(qtbot, store):
    people(store, lee="lead")
    ops = Operations(store)
    page = QaSetupPage(store.user("lee"), ops, taxonomy.load())
    qtbot.addWidget(page)
    page.resize(1280, 720)
    with qtbot.waitActive(page):
        page.show()
        page.activateWindow()
    page.setFocus()  # what the window does when it shows a page
    qtbot.waitUntil(lambda: page.plans.table.hasFocus(), timeout=WAIT_MS)
    page.tabs.setCurrentWidget(page.gold)
    page.tabs.tabBar().setFocus()
    qtbot.waitUntil(lambda: page.gold.table.hasFocus(), timeout=WAIT_MS)
    page.close_page()
    ops.close()


def test_the_focus_ring_stands_out_from_the_ground():
    focus = theme.color("focus")
    assert theme.palette().color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight) == focus
    assert focus.lightness() - theme.color("base").lightness() > 120
    qss = resources.path("theme.qss").read_text(encoding="utf-8")
    for rule in ("QTableView:focus, QListView:focus", "QPushButton:focus { border: 2px solid @focus",
                 "QLineEdit:focus { border: 2px solid @focus"):
        assert rule in qss


def test_the_cheat_sheet_scrolls_within_the_screen(qtbot):
    """Walkthrough of issue 13: the "?" sheet, longer than a 720-pixel screen, was cut at the top and bottom."""
    from PySide6.QtGui import QGuiApplication

    from ui import keymap

    sheet = keymap.CheatSheet(keymap.build(taxonomy.load()))
    qtbot.addWidget(sheet)
    sheet.show()
    screen = QGuiApplication.primaryScreen().availableGeometry()
    assert sheet.height() <= screen.height() and sheet.maximumHeight() <= screen.height()
    assert sheet.area.widget().sizeHint().height() > 0 and sheet.area.widgetResizable()
    sheet.close()
