"""Issue 14 §2 "Keys and flow": the Queues page offers what a person may work, messages leave with the item,
undo restores the choice, the cheat sheet names every key and toggles, the decision panel does not jump."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from desktop import app as desktop_app
from review import taxonomy
from tests.ui.test_review_page import _close, _open_page, _settled, _start, workspace  # noqa: F401
from ui import keymap

WAIT_MS = 5000


@pytest.fixture
def page(qtbot, workspace):  # noqa: F811
    widget = _open_page(qtbot, workspace)
    yield widget
    _close(widget)


def test_the_queues_page_lists_only_the_queues_a_person_may_work(qtbot, store, tmp_path):
    """Today a moderator is offered escalation and QA audit queues she can never open."""
    store.add_user("ana", ["moderator"])
    store.add_user("dana", ["auditor"])
    store.add_user("lee", ["lead"])
    store.add_queue("escalations", "escalation")
    store.add_queue("QA audit", "audit")
    store.add_queue("hate", escalation_queue="escalations")
    window = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat),
                                      taxonomy.load())
    qtbot.addWidget(window)
    window.show()
    offered = {}
    for name in ("ana", "dana", "lee"):
        window.sign_in_as(name)
        queues = window.show_page("queues")
        qtbot.waitUntil(lambda q=queues: q.model.rowCount() > 0, timeout=WAIT_MS)
        offered[name] = {queues.model.index(row, 0).data() for row in range(queues.model.rowCount())}
        window.sign_out()
    assert offered == {"ana": {"hate"}, "dana": {"QA audit"}, "lee": {"escalations", "QA audit", "hate"}}


def test_a_message_said_while_idle_leaves_once_an_item_is_shown(qtbot, page):
    """"…is not one of the queues you review" and "Press Enter to get an item first." stayed beside the item."""
    page.open_queue("escalations")
    qtbot.waitUntil(lambda: "escalations" in page.status.text(), timeout=WAIT_MS)
    qtbot.keyClick(page, Qt.Key.Key_A)
    assert page.status.text() == "Press Enter to get an item first."
    _start(qtbot, page)
    assert page.status.text() == "" and page.decision.message.text() == ""


def test_undo_brings_the_item_back_with_its_labels_and_note(qtbot, page):
    """Undo showed the item again with nothing chosen: the labels and the note had to be redone."""
    _start(qtbot, page)
    first = page.item
    label = next(lbl for lbl in page.taxonomy.labels if lbl.key)
    qtbot.keyClick(page, label.key)
    page.decision.note.setText("graphic, clearly")
    page.act("remove")
    qtbot.waitUntil(lambda: page.item is not None and page.item.id != first.id, timeout=WAIT_MS)
    _settled(qtbot, page)
    qtbot.keyClick(page, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.item is not None and page.item.id == first.id, timeout=WAIT_MS)
    _settled(qtbot, page)
    assert page.decision.chosen_labels() == [label.id]
    assert page.decision.note.text() == "graphic, clearly"


def _sheet_text(sheet: keymap.CheatSheet) -> str:
    return sheet.area.widget().text()


def test_the_cheat_sheet_lists_every_key_as_the_readme_names_them(qtbot):
    """Drag-to-reveal and the window's keys were missing; Enter read "Return"."""
    sheet = keymap.CheatSheet(keymap.build(taxonomy.load()))
    qtbot.addWidget(sheet)
    text = _sheet_text(sheet)
    for key in ("<code>Enter</code>", "<code>Esc</code>", "Drag a rectangle", "Ctrl+1", "Ctrl+Shift+L",
                "<code>Ctrl+Q</code>", "<code>F5</code>", "<code>Ctrl+B</code>", "<code>Ctrl+E</code>",
                "<code>Ctrl+,</code>"):
        assert key in text, key
    assert "Return" not in text and "Escape" not in text


def test_question_mark_closes_the_cheat_sheet_it_opened(qtbot):
    sheet = keymap.CheatSheet(keymap.build(taxonomy.load()))
    qtbot.addWidget(sheet)
    sheet.show()
    qtbot.waitExposed(sheet)
    for other in (Qt.Key.Key_Shift, Qt.Key.Key_Down, Qt.Key.Key_A):  # scrolling and stray keys leave it open
        qtbot.keyClick(sheet.area, other)
    assert sheet.isVisible()
    qtbot.keyClick(sheet.area, "?")
    qtbot.waitUntil(lambda: not sheet.isVisible(), timeout=WAIT_MS)


def test_the_decision_panel_does_not_jump_when_a_message_appears(qtbot, page):
    _start(qtbot, page)
    panel = page.decision
    before = (panel.message.height(), panel.note.geometry(), panel.buttons["remove"].geometry())
    page.say("Not saved: the store is busy. Your decision is still here: press its key again, or wait a moment "
             "and try once more.")
    panel.layout().activate()  # the layout pass the new text asks for
    assert (panel.message.height(), panel.note.geometry(), panel.buttons["remove"].geometry()) == before
    assert panel.message.heightForWidth(panel.message.width()) <= panel.message.height()  # and all of it shows
