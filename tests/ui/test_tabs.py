"""Tabs built when first shown (ui/widgets/tabs.py): nothing built before, the real widget in place after, once."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget

from ui.widgets.tabs import add_when_shown


def test_a_tab_is_built_the_first_time_it_is_shown_and_takes_its_placeholders_place(qtbot):
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    tabs.addTab(QLabel("first"), "&First")
    built: list[str] = []

    def build(name: str) -> QLabel:
        built.append(name)
        return QLabel(name)

    add_when_shown(tabs, "&Second", lambda: build("second"))
    add_when_shown(tabs, "&Third", lambda: build("third"))
    changes: list[int] = []
    tabs.currentChanged.connect(changes.append)
    assert built == [] and tabs.count() == 3

    tabs.setCurrentIndex(2)
    assert built == ["third"]
    assert isinstance(tabs.currentWidget(), QLabel) and tabs.currentWidget().text() == "third"
    assert (tabs.count(), tabs.currentIndex(), tabs.tabText(2)) == (3, 2, "&Third")
    assert changes == [2]  # one change of tab, as a person sees it: the swap behind it says nothing

    tabs.setCurrentIndex(0)
    tabs.setCurrentIndex(2)
    tabs.setCurrentIndex(1)
    assert built == ["third", "second"]  # each once
    assert tabs.currentWidget().text() == "second" and tabs.tabText(1) == "&Second"
