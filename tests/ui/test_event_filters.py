"""No filter written in Python watches every event of the application while a person works (issue 22).

Such a filter runs for every event of every object — ten thousand to open a page — and each call waits for the
interpreter while a background read holds it: on a store of a million items that made opening a page take
seconds. It also wraps widgets still being built as the class their constructor has reached, and a wrapper kept
alive that way is handed out again for the object: the Settings page once failed to open on the 1 M store because
``overrides.horizontalHeader()`` came back as a ``QAbstractScrollArea``.
"""

from __future__ import annotations

import builders
import pytest
from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QVBoxLayout, QWidget

from desktop import app as desktop_app
from ui.item.view import ItemView
from ui.wellbeing import controller as wellbeing_controller

WAIT_MS = 5000


@pytest.fixture
def seen(monkeypatch):
    """Every object the Python filters of the item view and the idle watch were called for, kept alive (as a
    sampled stack frame, a debugger or a traceback keeps its locals)."""
    watched: list[QObject] = []
    for kind in (ItemView, wellbeing_controller._ActivityFilter):
        real = kind.eventFilter
        monkeypatch.setattr(kind, "eventFilter", lambda self, obj, event, real=real: (watched.append(obj),
                                                                                       real(self, obj, event))[1])
    return watched


@pytest.fixture
def window(qtbot, store, tmp_path):
    builders.people(store, lee="lead", ana="moderator")
    builders.text_items(store, store.add_queue("q"), 3, severity="low", text="a post")
    built = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(built)
    built.resize(1280, 720)
    with qtbot.waitActive(built):
        built.show()
        built.activateWindow()
    yield built
    built.sign_out()


def test_building_a_widget_while_the_review_page_is_shown_passes_through_no_python_filter(qtbot, window, seen):
    window.sign_in_as("ana")
    review = window.show_page("review")
    qtbot.waitUntil(lambda: review.isVisible(), timeout=WAIT_MS)
    qtbot.keyClick(review, Qt.Key.Key_F5)  # a key: the person is active, the idle watch has what it needs
    seen.clear()
    panel = QWidget(review)
    rows = QVBoxLayout(panel)
    for n in range(50):
        rows.addWidget(QLabel(f"row {n}"))
    panel.show()
    qtbot.wait(50)
    assert [obj for obj in seen if isinstance(obj, QWidget) and (obj is panel or panel.isAncestorOf(obj))] == []
    panel.deleteLater()


def test_a_table_built_while_the_filters_watch_gets_its_own_headers(qtbot, window, seen):
    """The crash seen once on the 1 M store, made certain: every object the filters saw is kept alive."""
    window.sign_in_as("lee")
    review = window.show_page("review")
    qtbot.keyClick(review, Qt.Key.Key_F5)
    table = QTableWidget(0, 2, review)
    assert isinstance(table.horizontalHeader(), QHeaderView)
    assert isinstance(table.verticalHeader(), QHeaderView)
    qtbot.keyClick(review, Qt.Key.Key_F5)
    settings = window.show_page("settings")
    assert settings is not None  # on today's main: "Could not open Settings: 'QWidget' object has no attribute …"
