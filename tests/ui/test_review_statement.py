"""Issue 21 §5: the statement of reasons the person receives is on the review page before the key that commits.

Driven by the keyboard as a moderator would: a label key, then look at the
"What the person receives" box, then the action key. The box asks the
preview service off the GUI thread, so each step waits for it.
"""

from __future__ import annotations

import json

import pytest
from builders import people, text_item
from PySide6.QtCore import Qt

from audit.compliance import mapping, statements
from desktop.demo import statements as demo_statements
from review import taxonomy
from review.desk import ReviewDesk
from review.media.viewing import ViewSettings
from review.wellbeing.policy import WellbeingPolicy
from ui import keymap
from ui.operations import Operations
from ui.pages.review import ReviewPage, ReviewServices
from ui.wellbeing.controller import WellbeingController

SPAM_KEY, HATE_KEY = Qt.Key.Key_7, Qt.Key.Key_2  # the default taxonomy's label keys


def services(store, name):
    """What the desktop wiring gives the page, with the statement preview service."""
    policy = taxonomy.load()
    user = store.user(name)
    ops = Operations(store)
    return ReviewServices(ops, ReviewDesk(policy), user, ViewSettings(), keymap.build(policy),
                          store.clock, WellbeingController(store, user, store.clock, WellbeingPolicy(), ops=ops),
                          statements.statement_preview)


def open_page(qtbot, store, name):
    page = ReviewPage(services(store, name))
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    page.setFocus()
    return page


def close(page):
    page.close_page()
    page.ops.close()
    page.wellbeing.close()


def start(qtbot, page):
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.item is not None)


@pytest.fixture
def floor(store):
    """ana (moderator) and lee (lead); one reported post in "posts"; the demo's mapping."""
    people(store, ana="moderator", lee="lead")
    store.add_queue("posts")
    text_item(store, "posts", external_id="p1", text="Buy cheap followers now", metadata={"source": "user report"})
    mapping.save(store, "lee", demo_statements.DEMO_MAPPING)
    return store


@pytest.fixture
def page(qtbot, floor):
    widget = open_page(qtbot, floor, "ana")
    yield widget
    close(widget)


def test_the_statement_is_on_screen_before_the_restricting_key_and_none_for_no_violation(qtbot, page, floor):
    start(qtbot, page)
    box = page.statement
    qtbot.waitUntil(lambda: "choose the policy label first" in box.heading.text())  # remove needs a label
    qtbot.keyClick(page, SPAM_KEY)
    qtbot.waitUntil(lambda: "Removal of content" in box.text.toPlainText())
    assert box.isVisible() and box.heading.text().startswith("The person receives, for R Remove")
    assert "Community Guidelines, Spam" in box.text.toPlainText() and "Art. 20" in box.text.toPlainText()
    assert not box.refusal.isVisible() and "ana" not in box.text.toPlainText()
    # every restricting action carries its own text; the one that restricts nothing carries none
    assert "The person receives" in page.decision.buttons["age_restrict"].toolTip()
    assert box.statement_for("no_violation") is None
    assert "The person receives" not in page.decision.buttons["no_violation"].toolTip()
    assert floor.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0  # nothing committed yet
    qtbot.keyClick(page, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: page.last_decision is not None)
    assert page.last_decision.action == "remove"


def test_the_box_follows_the_labels_as_they_are_toggled(qtbot, page):
    start(qtbot, page)
    qtbot.keyClick(page, SPAM_KEY)
    qtbot.waitUntil(lambda: "Spam" in page.statement.text.toPlainText())
    qtbot.keyClick(page, SPAM_KEY)
    qtbot.keyClick(page, HATE_KEY)  # a burst: the box asks once, for what stands after the last key
    qtbot.waitUntil(lambda: "Hate §4" in page.statement.text.toPlainText())
    assert "Spam §9" not in page.statement.text.toPlainText()


def test_a_statement_the_database_would_refuse_names_the_mapping_entry_and_does_not_block(qtbot, floor):
    value = json.loads(json.dumps(demo_statements.DEMO_MAPPING))
    del value["labels"]["spam"]
    mapping.save(floor, "lee", value)
    page = open_page(qtbot, floor, "ana")
    try:
        start(qtbot, page)
        qtbot.keyClick(page, SPAM_KEY)
        qtbot.waitUntil(lambda: page.statement.refusal.isVisible())
        said = page.statement.refusal.text()
        assert "would refuse" in said and "fix labels.spam" in said and "lead" in said
        qtbot.keyClick(page, Qt.Key.Key_R)  # a lead fixes the mapping; the decision is still recorded
        qtbot.waitUntil(lambda: page.last_decision is not None)
        assert page.last_decision.action == "remove"
    finally:
        close(page)


def test_without_the_service_there_is_no_box(qtbot, floor):
    policy = taxonomy.load()
    ana = floor.user("ana")
    ops = Operations(floor)
    coach = WellbeingController(floor, ana, floor.clock, WellbeingPolicy(), ops=ops)
    page = ReviewPage(ReviewServices(ops, ReviewDesk(policy), ana, ViewSettings(), keymap.build(policy), floor.clock,
                                     coach))
    qtbot.addWidget(page)
    assert page.statement is None
    close(page)
