"""Issue 14 §2: the score form keeps its buttons when a message appears; contradictory verdicts are refused."""

from __future__ import annotations

from PySide6.QtCore import Qt

from audit import audits
from tests.ui.test_audit_pages import _take, audit_page, ops, policy, qa  # noqa: F401  (fixtures)
from ui.pages.audit import SCORE

WAIT_MS = 5000


def test_a_verdict_contradicting_the_blind_decision_is_refused_with_a_hint(qa):  # noqa: F811
    """Zed: label only, "hate speech". Dana, blind: remove, "hate speech" — the labels are not wrong."""
    audits.start_audit(qa, "dana", 1)
    audits.submit_blind(qa, "dana", 1, "remove", ["hate_speech"])
    original = audits.reveal_original(qa, "dana", 1)
    assert "same labels" in audits.contradiction(original, "wrong_label")
    assert audits.contradiction(original, "wrong_action") is None  # remove is not label only
    audits.start_audit(qa, "dana", 2)
    audits.submit_blind(qa, "dana", 2, "label_only", ["harassment"])
    same_action = audits.reveal_original(qa, "dana", 2)
    assert "same action" in audits.contradiction(same_action, "wrong_action")
    assert audits.contradiction(same_action, "wrong_label") is None
    assert audits.contradiction(same_action, None) is None


def test_a_two_line_message_does_not_squeeze_the_score_buttons(qtbot, audit_page):  # noqa: F811
    page = audit_page
    page.resize(1280, 660)  # a 1280×720 screen less the window's bars: no height to spare
    _take(qtbot, page)
    qtbot.keyClick(page, Qt.Key.Key_2)  # hate speech, as Zed labelled it
    qtbot.keyClick(page, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: page.step == SCORE, timeout=WAIT_MS)
    form = page.form
    def laid_out():
        return ([button.geometry() for button in (*form.verdicts.values(), *form.errors.values())],
                form.height(), page.compare.geometry(), form.submit_button.geometry())

    before = laid_out()
    qtbot.keyClick(page, Qt.Key.Key_I)
    qtbot.keyClick(page, Qt.Key.Key_3)  # wrong label: refused, and the form says why in two lines or more
    qtbot.keyClick(page, Qt.Key.Key_7)
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Wrong label" in form.message.text(), timeout=WAIT_MS)
    assert page.step == SCORE  # refused: nothing stored, the form stays
    form.layout().activate()
    assert laid_out() == before
    assert form.message.heightForWidth(form.message.width()) <= form.message.height()
