"""Issue 21 §6 on the review page: a complaint shows what it is against and ends upheld (U) or reversed (V).

Driven by the keyboard as a moderator would; each key is a desk call
through the operations runner, so every step waits for what it leads to.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from builders import decided_item, events, people
from PySide6.QtCore import Qt
from test_review_statement import close, open_page, services

from audit.compliance import mapping
from desktop.demo import statements as demo_statements
from review import taxonomy
from review.imports.manifest import import_manifest
from ui import keymap
from ui.pages.review import ReviewPage
from ui.pages.review_complaint import NO_UNDO

ORIGINAL_NOTE = "ana thinks this account is a troll farm"


@pytest.fixture
def floor(store, tmp_path):
    """ana removed "post-1" (harassment, with a private note); "c-1" complains of it in "complaints"; ben reviews."""
    people(store, ana="moderator", ben="moderator", lee="lead")
    store.add_queue("reports")
    decided_item(store, "reports", "ana", decided_at="2026-01-04T10:00:00Z", action="remove",
                 labels=["harassment"], note=ORIGINAL_NOTE, external_id="post-1")
    mapping.save(store, "lee", demo_statements.DEMO_MAPPING)
    manifest = tmp_path / "complaints.jsonl"
    manifest.write_text(json.dumps({"id": "c-1", "queue": "complaints", "text": "A joke between friends",
                                    "complaint_of": "post-1"}) + "\n")
    assert import_manifest(store, manifest, actor="lee", create_queues=True).committed
    return store


@pytest.fixture
def ben(qtbot, floor):
    page = open_page(qtbot, floor, "ben")
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.item is not None)
    yield page
    close(page)


@pytest.fixture
def seen(floor):
    """The store as the tests read it: a connection of their own. The page's writer thread writes through
    ``floor``'s while a test polls, and one connection used by two threads at once can crash the process."""
    reader = floor.second_connection()
    yield reader
    reader.close()


def _decisions(store):
    return store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]


def _reason(qtbot, page, text):
    """The page asked for the reason in the note: type it and press Enter."""
    qtbot.waitUntil(page.decision.note.hasFocus)
    qtbot.keyClicks(page.decision.note, text)
    qtbot.keyClick(page.decision.note, Qt.Key.Key_Return)


def test_a_complaint_shows_what_it_is_against_without_who_decided_it(ben):
    header = ben.item_view.header
    assert ben.item.external_id == "c-1" and header.isVisible()
    said = f"{header.title.text()}\n{header.subtitle.text()}"
    assert "Remove" in said and "Harassment" in said and "post-1" in said and "2026-01-04 10:00 UTC" in said
    assert "U upholds" in said and "V + action key reverses" in said
    assert "ana" not in said.lower() and ORIGINAL_NOTE not in said


def test_u_with_a_reason_upholds_and_cannot_be_undone(qtbot, ben, seen):
    before = _decisions(seen)
    qtbot.keyClick(ben, Qt.Key.Key_U)  # no reason yet: the note asks for it
    _reason(qtbot, ben, "Targeted insults; the removal stands")
    qtbot.waitUntil(lambda: len(events(seen, "complaint.upheld")) == 1)
    qtbot.waitUntil(lambda: not ben.busy)
    (event,) = events(seen, "complaint.upheld")
    assert event.actor == "ben" and event.payload["action"] == "remove"
    assert "upheld" in ben.footer.text() and NO_UNDO in ben.footer.text()
    assert _decisions(seen) == before + 1  # the complaint item closed; the original stands
    qtbot.keyClick(ben, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert NO_UNDO in ben.decision.message.text()


def test_v_then_an_action_reverses_with_a_new_decision_on_the_original(qtbot, ben, seen):
    qtbot.keyClick(ben, Qt.Key.Key_V)
    assert "press the key of the action" in ben.decision.message.text()
    qtbot.keyClick(ben, Qt.Key.Key_A)  # no violation replaces the removal
    _reason(qtbot, ben, "Banter between friends, not harassment")
    qtbot.waitUntil(lambda: len(events(seen, "complaint.reversed")) == 1)
    (event,) = events(seen, "complaint.reversed")
    original = seen.db.execute("SELECT id FROM items WHERE external_id = 'post-1'").fetchone()[0]
    latest = seen.db.execute("SELECT id, action, source FROM decisions WHERE item_id = ? ORDER BY id DESC LIMIT 1",
                              [original]).fetchone()
    assert latest == (event.payload["reversal"], "no_violation", "complaint")
    qtbot.waitUntil(lambda: "reversed" in ben.footer.text())


def test_a_decision_key_on_a_complaint_records_nothing_and_says_what_to_press(qtbot, ben, seen):
    before = _decisions(seen)
    qtbot.keyClick(ben, Qt.Key.Key_1)  # harassment
    qtbot.keyClick(ben, Qt.Key.Key_R)
    said = ben.decision.message.text()
    assert "nothing was recorded" in said and "U upholds" in said and "V" in said
    assert not ben.busy and ben.item.external_id == "c-1"
    assert _decisions(seen) == before and not events(seen, "complaint.upheld")


def test_the_person_who_decided_is_never_shown_the_complaint(qtbot, floor):
    ana = open_page(qtbot, floor, "ana")
    try:
        qtbot.keyClick(ana, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: "Nothing is waiting" in ana.item_view.idle.text())
        assert ana.item is None
    finally:
        close(ana)


def test_the_statement_a_reversal_would_send_is_shown_after_v_and_only_then(qtbot, ben, seen):
    box = ben.statement
    assert box.item_id is None and not box.isVisible()  # nothing is asked for: upholding sends nothing new
    qtbot.keyClick(ben, Qt.Key.Key_V)
    qtbot.keyClick(ben, Qt.Key.Key_1)  # harassment
    qtbot.waitUntil(lambda: box.heading.text().startswith("The person receives, reversed to R Remove"))
    qtbot.keyClick(ben, Qt.Key.Key_L)  # label only: the box shows that action's statement, before the reason
    qtbot.waitUntil(lambda: box.heading.text() == "The person receives, reversed to L Label only:")
    assert "Remove" not in box.heading.text()
    _reason(qtbot, ben, "A label is enough here")
    qtbot.waitUntil(lambda: len(events(seen, "complaint.reversed")) == 1)
    assert seen.db.execute("SELECT action FROM decisions ORDER BY id DESC LIMIT 1").fetchone()[0] == "label_only"


def _page_with_keys(qtbot, store, name, overrides):
    """The review page as *name* signs in with their own *overrides* ({command: key})."""
    own = replace(services(store, name), bindings=keymap.build(taxonomy.load(), overrides))
    page = ReviewPage(own)
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    page.setFocus()
    return page


def test_the_cheat_sheet_lists_the_complaint_keys_after_the_escalation_ones(qtbot, ben):
    """U and V were bound outside the keymap: the "?" sheet never named them."""
    assert {b.command: b.key for b in ben.bindings}.items() >= {"uphold": "U", "reverse": "V"}.items()
    sheet = keymap.CheatSheet(keymap.build(taxonomy.load()))
    qtbot.addWidget(sheet)
    text = sheet.area.widget().text()
    assert "<code>U</code></td><td>Complaints: uphold" in text and "<code>V</code></td><td>Complaints: reverse" in text
    assert text.index("<b>Escalations</b>") < text.index("<b>Complaints</b>")
    on_the_page = keymap.CheatSheet(ben.bindings)
    qtbot.addWidget(on_the_page)
    assert "<b>Complaints</b>" in on_the_page.area.widget().text()
    assert "send back" not in on_the_page.area.widget().text()  # the workbench's keys stay on the workbench
    assert "<b>Escalations</b>" not in on_the_page.area.widget().text()  # nor an empty heading for them


def test_a_person_s_own_uphold_key_ends_the_complaint_and_the_hints_name_it(qtbot, floor, seen):
    """U and V could not be re-bound, and the hints named the fixed letters whatever a person's keys were."""
    page = _page_with_keys(qtbot, floor, "ben", {"uphold": "Ctrl+U", "reverse": "Ctrl+Shift+V", "note": "Ctrl+N"})
    try:
        qtbot.keyClick(page, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: page.item is not None)
        line = page.item_view.header.subtitle.text()
        assert "Ctrl+U upholds" in line and "Ctrl+Shift+V + action key reverses" in line and "(Ctrl+N)" in line
        assert "U upholds ·" not in line.replace("Ctrl+U", "")
        qtbot.keyClick(page, Qt.Key.Key_R)
        assert "Ctrl+U upholds" in page.decision.message.text()
        qtbot.keyClick(page, Qt.Key.Key_U)  # no longer the uphold key: nothing starts
        assert page.complaint.pending is None and not page.decision.note.hasFocus()
        qtbot.keyClick(page, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
        _reason(qtbot, page, "The removal stands")
        qtbot.waitUntil(lambda: len(events(seen, "complaint.upheld")) == 1)
        qtbot.waitUntil(lambda: not page.busy)
    finally:
        close(page)


def test_a_binding_that_takes_a_complaint_key_is_refused_naming_both():
    """Before, {"note": "U"} was accepted and U silently stopped upholding on the review page."""
    with pytest.raises(keymap.KeymapError, match="U is bound to both 'Write a note.*'Complaints: uphold"):
        keymap.build(taxonomy.load(), {"note": "U"})
    with pytest.raises(keymap.KeymapError, match="V is bound to both"):
        keymap.build(taxonomy.load(), {"skip": "V"})
