"""The QA pages, driven by the keyboard: blind audit, My results with disputes, the lead's Disputes.

Each test gets a fresh store (the ``store`` fixture, fake clock) with a
moderator whose name and note are distinctive, so "nothing shows the
original before the blind step" can be checked by reading every widget.
"""

from __future__ import annotations

import numpy as np
import pytest
from builders import people, text_items
from PIL import Image, ImageDraw
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QTableWidget, QTextBrowser, QWidget

from audit import audits, plans, sampling
from audit.desk import AuditDesk
from desktop import app as desktop_app
from desktop import pages as desktop_pages
from review import decisions, taxonomy
from ui.operations import Operations
from ui.pages import audit as audit_page_module
from ui.pages.audit import BLIND, IDLE, SCORE, AuditPage
from ui.pages.disputes import DisputesPage
from ui.pages.results import ResultsPage
from ui.wellbeing.controller import WellbeingController

WAIT_MS = 5000
SECRET_NOTE = "zebra-crossing-note"




def _image(path):
    picture = Image.new("RGB", (640, 480), "teal")
    draw = ImageDraw.Draw(picture)
    for x in range(0, 640, 16):  # sharp stripes: detail the blur must remove
        draw.line([(x, 0), (x, 480)], fill=(250, 250, 250), width=3)
    picture.save(path, "JPEG", quality=90)
    return str(path)


@pytest.fixture
def policy():
    return taxonomy.load()


@pytest.fixture
def qa(store, tmp_path):
    """Zed (moderator) decided two items, both sampled for Dana (auditor). Lee leads; Ben moderates and audits."""
    people(store, zed=(["moderator"], "Zed Quinlan"), dana=(["auditor"], "Dana Kim"), lee=(["lead"], "Lee Morgan"),
           ben=(["moderator", "auditor"], "Ben Okafor"))
    queue = store.add_queue("community")
    store.add_items([
        {"external_id": "post-image", "queue_id": queue.id, "kind": "image", "media_type": "image/jpeg",
         "media_path": _image(tmp_path / "a.jpg"), "severity": "high",
         "metadata": {"category": "hate_speech", "description": "A picture reported as hateful",
                      "report_reason": "hate"}, "received_at": "2026-01-04T08:00:00Z"},
        {"external_id": "post-text", "queue_id": queue.id, "kind": "text", "text": "a harmless sample sentence",
         "received_at": "2026-01-04T08:01:00Z"},
        {"external_id": "post-ben", "queue_id": queue.id, "kind": "text", "text": "another harmless sentence",
         "received_at": "2026-01-04T08:02:00Z"},
    ])
    for item_id in (1, 2):
        decision_id = decisions.record_past_decision(
            store, item_id=item_id, user="zed", action="label_only", labels=["hate_speech"], note=SECRET_NOTE,
            decided_at="2026-01-04T10:00:00Z", handle_ms=4000)
        sampling.add_sample(store, "lee", decision_id, auditor="dana")
    return store


@pytest.fixture
def ops(qa):
    """The session's one runner, as the desktop wiring gives every page."""
    runner = Operations(qa)
    yield runner
    runner.close()


def _coached(qa, name):
    """The person's wellbeing controller: the audit page books every item's exposure through it."""
    return WellbeingController(qa, qa.user(name), qa.clock)


def _audit_page(qa, policy, ops, coach):
    return AuditPage(desktop_pages.audit_services(qa, policy, coach.user, coach, ops))


def _show(qtbot, widget):
    qtbot.addWidget(widget)
    widget.resize(1300, 850)
    with qtbot.waitActive(widget):
        widget.show()
        widget.activateWindow()
    widget.setFocus()
    return widget


@pytest.fixture
def audit_page(qtbot, qa, policy, ops):
    coach = _coached(qa, "dana")
    page = _show(qtbot, _audit_page(qa, policy, ops, coach))
    qtbot.waitUntil(lambda: page.work.rowCount() == 2, timeout=WAIT_MS)
    yield page
    page.close_page()
    coach.close()


def _texts(root: QWidget, skip: QWidget | None = None) -> str:
    """Every text a person could read in *root*, shown or hidden (a hidden leak is still a leak)."""
    found = []
    for widget in [root, *root.findChildren(QWidget)]:
        if skip is not None and (widget is skip or skip.isAncestorOf(widget)):
            continue
        found.append(widget.toolTip())
        if isinstance(widget, (QLabel, QAbstractButton, QLineEdit)):
            found.append(widget.text())
        if isinstance(widget, QLineEdit):
            found.append(widget.placeholderText())
        if isinstance(widget, QTextBrowser):
            found.append(widget.toPlainText())
        if isinstance(widget, QTableWidget):
            found += [widget.item(r, c).text() for r in range(widget.rowCount()) for c in range(widget.columnCount())]
    return "\n".join(found)


def _sharpness(qimage) -> float:
    image = qimage.convertToFormat(qimage.Format.Format_Grayscale8)
    rows = np.array(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    array = rows[:, : image.width()]
    return float(np.abs(np.diff(array.astype(int), axis=1)).mean())


def _take(qtbot, page):
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.step != IDLE, timeout=WAIT_MS)  # the desk's write came back
    view = page.item_view
    qtbot.waitUntil(lambda: view.image.has_image or view.media.currentWidget() is not view.image, timeout=WAIT_MS)


def _audit_row(store):
    return store.db.execute("SELECT blind_action, blind_labels, revealed_at, verdict, error_type, severity,"
                            " comment, score FROM audits").fetchone()


# ------------------------------------------------------------------ audit
def test_the_blind_audit_by_keys_from_enter_to_score(qtbot, audit_page):
    page, store = audit_page, audit_page.ops.store
    _take(qtbot, page)
    assert page.step == BLIND
    view = page.item_view
    qtbot.waitUntil(lambda: view.image.has_image, timeout=WAIT_MS)
    assert _sharpness(view.image._veiled) < _sharpness(view.image._clear) / 3  # veiled, as in review
    qtbot.keyPress(page, Qt.Key.Key_Space)
    assert view.image.reveal_state() == "whole"
    store.clock.advance(2)
    qtbot.keyRelease(page, Qt.Key.Key_Space)
    assert view.image.reveal_state() is None

    qtbot.keyClick(page, Qt.Key.Key_1)  # harassment
    qtbot.keyClick(page, Qt.Key.Key_R)  # remove
    qtbot.waitUntil(lambda: page.step == SCORE, timeout=WAIT_MS)
    assert _audit_row(store)[:2] == ("remove", '["harassment"]')
    assert page.compare.blind.text() == "Remove · Harassment & bullying"
    assert page.compare.original.text() == "Label only · Hate speech"
    assert page.compare.agreement.text().startswith("Disagree — a different action")
    assert "zed" in page.compare.details.text() and SECRET_NOTE in page.compare.details.text()

    qtbot.keyClick(page, Qt.Key.Key_I)
    qtbot.keyClick(page, Qt.Key.Key_4)  # wrong action
    qtbot.keyClick(page, Qt.Key.Key_8)  # major
    assert page.form.preview.text() == "Rubric score: 70 / 100"  # 100 − 30 × 1.0
    qtbot.keyClick(page, Qt.Key.Key_N)
    assert page.form.comment.hasFocus()
    qtbot.keyClicks(page.form.comment, "label only is too mild here")
    qtbot.keyClick(page.form.comment, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: page.step == IDLE, timeout=WAIT_MS)
    assert _audit_row(store)[3:] == ("incorrect", "wrong_action", "major", "label only is too mild here", 70.0)
    assert "scored 70 / 100" in page.result.text() and "wrong action, major" in page.result.text()
    blurred, revealed = store.db.execute("SELECT blurred_ms, revealed_ms FROM exposure WHERE user_id = ?",
                                         [store.user("dana").id]).fetchone()
    assert revealed == 2000 and blurred >= 0
    qtbot.waitUntil(lambda: page.work.rowCount() == 1, timeout=WAIT_MS)  # the next sample is waiting
    _take(qtbot, page)
    assert page.step == BLIND and page.task.item.external_id == "post-text"


def test_nothing_shows_the_original_before_the_blind_step(qtbot, audit_page):
    page, store = audit_page, audit_page.ops.store
    secrets = ("zed", "Quinlan", SECRET_NOTE, "Label only")
    # Neither the work list nor the item (nor its "seen before" or SLA lines) gives the decision away.
    assert not [s for s in secrets if s.lower() in _texts(page, skip=page.decision).lower()]
    _take(qtbot, page)
    assert page.step == BLIND
    readable = _texts(page, skip=page.decision).lower()  # the decision panel lists every choice, by design
    assert not [s for s in secrets if s.lower() in readable]
    assert page.item_view.context.seen.isHidden() and page.item_view.context.sla.isHidden()
    assert store.db.execute("SELECT COUNT(*) FROM audits").fetchone()[0] == 0
    qtbot.keyClick(page, Qt.Key.Key_A)  # no violation
    qtbot.waitUntil(lambda: page.step == SCORE, timeout=WAIT_MS)
    assert "zed" in _texts(page).lower()  # now, and only now, the original is there


def test_scoring_says_what_is_missing_and_correct_disables_the_error_fields(qtbot, audit_page):
    page = audit_page
    _take(qtbot, page)
    qtbot.keyClick(page, Qt.Key.Key_Return)  # nothing decided yet
    assert "Decide first" in page.decision.message.text() and page.step == BLIND
    qtbot.keyClick(page, Qt.Key.Key_R)  # remove needs a label: the taxonomy's rule, said
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)  # the desk refused it
    assert "label" in page.decision.message.text() and page.step == BLIND
    qtbot.keyClick(page, Qt.Key.Key_2)
    qtbot.keyClick(page, Qt.Key.Key_L)  # label only · hate speech: the same as the moderator
    qtbot.waitUntil(lambda: page.step == SCORE, timeout=WAIT_MS)
    assert page.compare.agreement.text().startswith("Agree")
    qtbot.keyClick(page, Qt.Key.Key_Return)
    assert page.form.message.text() == "Choose a verdict first: C correct or I incorrect."
    qtbot.keyClick(page, Qt.Key.Key_I)
    qtbot.keyClick(page, Qt.Key.Key_Return)
    assert "needs an error type" in page.form.message.text()
    qtbot.keyClick(page, Qt.Key.Key_1)
    qtbot.keyClick(page, Qt.Key.Key_Return)
    assert "needs a severity" in page.form.message.text()
    assert page.ops.store.db.execute("SELECT verdict FROM audits").fetchone()[0] is None
    qtbot.keyClick(page, Qt.Key.Key_C)
    assert not any(b.isEnabled() or b.isChecked() for b in [*page.form.errors.values(), *page.form.severities.values()])
    qtbot.keyClick(page, Qt.Key.Key_9)  # severity keys do nothing for a correct verdict
    assert not page.form.severities["critical"].isChecked()
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.step == IDLE, timeout=WAIT_MS)
    assert _audit_row(page.ops.store)[3:6] == ("correct", None, None)
    assert "scored 100 / 100 — Correct" in page.result.text()


def test_an_auditor_never_audits_their_own_decision(qtbot, qa, policy, ops):
    decision_id = decisions.record_past_decision(qa, item_id=3, user="ben", action="no_violation",
                                                 decided_at="2026-01-04T10:00:00Z")
    own = sampling.add_sample(qa, "lee", decision_id).id  # in the shared pool
    coach = _coached(qa, "ben")
    page = _audit_page(qa, policy, ops, coach)
    with qtbot.waitSignal(page.work_loaded, timeout=WAIT_MS):
        _show(qtbot, page)
    assert page.work.rowCount() == 0  # zed's samples are Dana's; Ben's own is never offered to him
    page.message.clear()
    qtbot.keyClick(page, Qt.Key.Key_Return)
    # the take's own answer (a reload of the work list says "Nothing to audit" too, maybe while it is under way)
    qtbot.waitUntil(lambda: "Nothing to audit" in page.message.text() and not page.busy, timeout=WAIT_MS)
    assert page.step == IDLE
    page.open_sample(own)  # asked for by id all the same: the domain refuses, the page says why
    qtbot.waitUntil(lambda: "nobody audits their own decisions" in page.message.text(), timeout=WAIT_MS)
    assert page.step == IDLE
    page.close_page()
    coach.close()


def test_a_long_work_list_shows_its_first_rows_in_the_order_enter_takes_them_and_counts_the_rest(
        qtbot, qa, policy, ops, monkeypatch):
    """The 5 M demo's shared pool held 58,000 open samples: a row of widgets each, 1.8 s of the GUI thread."""
    monkeypatch.setattr(audit_page_module, "WORK_ROWS_SHOWN", 1)
    decision_id = decisions.record_past_decision(qa, item_id=3, user="ben", action="no_violation",
                                                 decided_at="2026-01-04T10:00:00Z")
    sampling.add_sample(qa, "lee", decision_id)  # in the shared pool, after Dana's own two
    coach = _coached(qa, "dana")
    page = _audit_page(qa, policy, ops, coach)
    with qtbot.waitSignal(page.work_loaded, timeout=WAIT_MS):
        _show(qtbot, page)
    assert [row[3] for row in page.work.texts()] == ["you"]
    assert page.summary.text().startswith("2 assigned to you · 1 in the shared pool. The first 1 are listed")
    page.close_page()
    coach.close()


def test_a_started_audit_resumes_at_the_score_step(qtbot, qa, policy, ops):
    first = audits.next_sample(qa, "dana")
    audits.start_audit(qa, "dana", first.id)
    audits.submit_blind(qa, "dana", first.id, "no_violation", [])
    coach = _coached(qa, "dana")
    page = _show(qtbot, _audit_page(qa, policy, ops, coach))
    _take(qtbot, page)
    assert page.step == SCORE and page.task.sample_id == first.id
    assert page.compare.blind.text() == "No violation · no label"
    page.close_page()
    coach.close()
    assert qa.db.execute("SELECT COUNT(*) FROM exposure").fetchone()[0] == 1


def test_escape_hides_the_media_and_shows_it_again_blurred(qtbot, audit_page):
    page = audit_page
    _take(qtbot, page)
    qtbot.keyClick(page, Qt.Key.Key_Escape)
    view = page.item_view
    assert view.media.currentWidget() is view.idle and not view.image.has_image
    qtbot.keyPress(page, Qt.Key.Key_Space)
    assert view.image.reveal_state() is None
    qtbot.keyRelease(page, Qt.Key.Key_Space)
    qtbot.keyClick(page, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: view.image.has_image, timeout=WAIT_MS)
    assert view.image.reveal_state() is None


def test_a_long_reveal_reblurs_by_itself_during_an_audit(qtbot, audit_page):
    page = audit_page
    _take(qtbot, page)
    view = page.item_view
    qtbot.waitUntil(lambda: view.image.has_image, timeout=WAIT_MS)
    qtbot.keyPress(page, Qt.Key.Key_Space)
    assert view.reblur_timer.isActive()
    page.services.clock.advance(view.view.auto_reblur_s + 0.1)
    view.check_auto_reblur()
    assert view.image.reveal_state() is None and not view.reblur_timer.isActive()
    assert "Re-blurred" in page.decision.message.text()
    qtbot.keyRelease(page, Qt.Key.Key_Space)


def test_a_break_stops_the_audit_and_the_sample_comes_back_after(qtbot, qa, policy, ops):
    coach = _coached(qa, "dana")
    page = _show(qtbot, _audit_page(qa, policy, ops, coach))
    _take(qtbot, page)
    sample_id = page.task.sample_id
    qa.clock.advance(3)
    coach.take_break()
    assert page.step == IDLE and "On a break" in page.message.text()
    assert not page.item_view.image.has_image
    assert qa.db.execute("SELECT blurred_ms FROM exposure").fetchone()[0] == 3000
    qtbot.keyClick(page, Qt.Key.Key_Return)
    assert page.step == IDLE and "A break comes first" in page.message.text()
    qa.clock.advance(3600)
    coach.tick()
    assert "Break over" in page.message.text()
    _take(qtbot, page)
    assert page.step == BLIND and page.task.sample_id == sample_id  # still Dana's, blind step still ahead
    page.close_page()
    coach.close()


# ------------------------------------------------------- results & disputes
def _scored(store, verdict="incorrect"):
    """Dana audits both of zed's samples: the first as given, the second correct."""
    for n in range(2):
        sample = audits.next_sample(store, "dana")
        audits.start_audit(store, "dana", sample.id)
        audits.submit_blind(store, "dana", sample.id, "remove", ["hate_speech"])
        audits.reveal_original(store, "dana", sample.id)
        if n == 0 and verdict == "incorrect":
            audits.score(store, "dana", sample.id, "incorrect", "over_enforcement", "minor", "should be removed")
        else:
            audits.score(store, "dana", sample.id, "correct")
        store.clock.advance(60)
    return store


@pytest.fixture
def results_page(qtbot, qa, policy, ops):
    _scored(qa)
    page = _show(qtbot, ResultsPage(desktop_pages.results_services(policy, qa.user("zed"), ops)))
    qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=WAIT_MS)
    yield page
    page.close_page()


def _select(qtbot, page, item: str) -> None:
    row = next(r for r, cells in enumerate(page.table.texts()) if item in cells)
    page.table.selectRow(row)
    page.table.setFocus()


def test_my_results_list_the_final_results_with_an_honest_summary(qtbot, results_page):
    page = results_page
    rows = {cells[1]: cells for cells in page.table.texts()}
    assert rows["post-image"][2:] == ["Label only · Hate speech", "Incorrect", "over enforcement", "minor",
                                      "80 / 100", "Can dispute"]
    assert rows["post-text"][3:] == ["Correct", "—", "—", "100 / 100", "—"]
    assert page.summary.text().startswith("1 of 2 audited decisions correct (50%; 95 % interval")
    assert "dana" not in "\n".join(map(str, page.table.texts())).lower()  # the auditor stays anonymous
    _select(qtbot, page, "post-text")
    assert not page.dispute_button.isEnabled()
    qtbot.keyClick(page.table, Qt.Key.Key_D)
    assert "Only an incorrect verdict" in page.message.text() and page.form.isHidden()


def test_a_moderator_disputes_with_a_reason_and_sees_the_history(qtbot, results_page):
    page, store = results_page, results_page.ops.store
    _select(qtbot, page, "post-image")
    qtbot.waitUntil(lambda: "Scored Incorrect — over enforcement, minor" in page.history.text(), timeout=WAIT_MS)
    assert "The auditor decided blind: Remove · Hate speech" in page.history.text()
    assert "dana" not in page.history.text().lower()
    qtbot.keyClick(page.table, Qt.Key.Key_D)
    assert page.reason.hasFocus()
    qtbot.keyClick(page.reason, Qt.Key.Key_Return)  # no reason yet
    qtbot.waitUntil(lambda: page.message.text() == "Say why the verdict is wrong.", timeout=WAIT_MS)
    assert store.db.execute("SELECT COUNT(*) FROM disputes").fetchone()[0] == 0
    qtbot.keyClicks(page.reason, "the picture only quotes the slur to condemn it")
    qtbot.keyClick(page.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.message.text().startswith("Dispute sent"), timeout=WAIT_MS)
    reason = store.db.execute("SELECT reason FROM disputes").fetchone()[0]
    assert reason == "the picture only quotes the slur to condemn it"
    qtbot.waitUntil(lambda: {c[1]: c[-1] for c in page.table.texts()}.get("post-image") == "Open", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "You disputed: “the picture only quotes" in page.history.text(), timeout=WAIT_MS)
    assert not page.dispute_button.isEnabled()


@pytest.fixture
def disputed(qa):
    _scored(qa)
    audit_id = qa.db.execute("SELECT id FROM audits WHERE verdict = 'incorrect'").fetchone()[0]
    from audit import disputes

    disputes.open_dispute(qa, "zed", audit_id, "it quotes the slur to condemn it")
    return qa


def test_a_lead_overturns_and_the_moderator_sees_it_correct(qtbot, disputed, policy, ops):
    lead = _show(qtbot, DisputesPage(desktop_pages.disputes_services(policy, disputed.user("lee"), ops)))
    qtbot.waitUntil(lambda: lead.table.rowCount() == 1, timeout=WAIT_MS)
    assert lead.table.texts()[0][1:] == ["zed", "post-image", "Incorrect — over enforcement, minor",
                                        "it quotes the slur to condemn it"]
    assert lead.where.text().startswith("post-image in community · decided")
    assert lead.blind_title.text() == "Auditor's blind decision (dana)"
    assert lead.blind.text() == "Remove · Hate speech" and lead.original.text() == "Label only · Hate speech"
    assert "80 / 100" in lead.verdict.text() and "should be removed" in lead.verdict.text()
    assert "it quotes the slur" in lead.reason.text()
    assert lead.samples.text() == "Audit samples: 0 open (0 not assigned yet) · 2 audited · 0 cancelled"
    lead.table.setFocus()
    qtbot.keyClick(lead.table, Qt.Key.Key_O)
    assert lead.note.hasFocus() and lead.outcome == "overturned"
    qtbot.keyClick(lead.note, Qt.Key.Key_Return)
    assert "Write a short note first" in lead.message.text()
    qtbot.keyClicks(lead.note, "counter-speech is allowed")
    qtbot.keyClick(lead.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "overturned" in lead.message.text(), timeout=WAIT_MS)
    assert disputed.db.execute("SELECT outcome, note FROM dispute_resolutions").fetchone() == (
        "overturned", "counter-speech is allowed")
    qtbot.waitUntil(lambda: lead.table.rowCount() == 0 and lead.empty.isVisibleTo(lead), timeout=WAIT_MS)
    lead.close_page()

    mine = _show(qtbot, ResultsPage(desktop_pages.results_services(policy, disputed.user("zed"), ops)))
    qtbot.waitUntil(lambda: mine.table.rowCount() == 2, timeout=WAIT_MS)
    row = next(c for c in mine.table.texts() if c[1] == "post-image")
    assert row[3:] == ["Correct", "—", "—", "100 / 100", "Overturned"]
    assert mine.summary.text().startswith("2 of 2 audited decisions correct")
    _select(qtbot, mine, "post-image")
    qtbot.waitUntil(lambda: "lee overturned the verdict — “counter-speech is allowed”" in mine.history.text(),
                    timeout=WAIT_MS)
    mine.close_page()


def test_the_auditor_of_a_disputed_audit_cannot_judge_it(qtbot, disputed, policy, ops):
    disputed.db.execute("UPDATE users SET roles = 'auditor,lead' WHERE name = 'dana'")
    page = _show(qtbot, DisputesPage(desktop_pages.disputes_services(policy, disputed.user("dana"), ops)))
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=WAIT_MS)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_U)
    qtbot.keyClicks(page.note, "fine as scored")
    qtbot.keyClick(page.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "cannot also judge the dispute" in page.message.text(), timeout=WAIT_MS)
    assert disputed.db.execute("SELECT COUNT(*) FROM dispute_resolutions").fetchone()[0] == 0
    qtbot.keyClick(page.note, Qt.Key.Key_Escape)
    assert page.outcome is None and page.note.text() == ""
    page.close_page()


def test_the_disputes_board_hears_of_a_new_dispute_without_a_refresh(qtbot, qa, policy, ops):
    """A write anywhere in the session (here: a moderator's dispute) reaches the lead's board via ``changed``."""
    _scored(qa)
    lead = _show(qtbot, DisputesPage(desktop_pages.disputes_services(policy, qa.user("lee"), ops)))
    qtbot.waitUntil(lambda: lead.summary.text() == "0 open disputes", timeout=WAIT_MS)
    audit_id = qa.db.execute("SELECT id FROM audits WHERE verdict = 'incorrect'").fetchone()[0]
    desk, zed = AuditDesk(policy), qa.user("zed")
    ops.write(lambda store: desk.dispute(store, zed, audit_id, "it quotes the slur to condemn it"))
    qtbot.waitUntil(lambda: lead.table.rowCount() == 1, timeout=WAIT_MS)
    assert lead.summary.text() == "1 open dispute"
    lead.close_page()


def test_run_sampling_now_draws_in_a_worker_and_says_how_many(qtbot, qa, policy, ops):
    for item_id in text_items(qa, "community", ["new-0", "new-1", "new-2"], text="harmless",
                              received_at="2026-01-05T08:00:00Z"):
        decisions.record_past_decision(qa, item_id=item_id, user="zed", action="no_violation",
                                       decided_at="2026-01-05T08:30:00Z")
    plans.save_plan(qa, "lee", "everything", rate=1.0, starts_at="2026-01-05T00:00:00Z")
    page = _show(qtbot, DisputesPage(desktop_pages.disputes_services(policy, qa.user("lee"), ops)))
    qtbot.waitUntil(lambda: page.samples.text().startswith("Audit samples: 2 open"), timeout=WAIT_MS)
    with qtbot.waitSignal(page.sampled, timeout=WAIT_MS) as ran:
        page.sample_button.click()
    assert ran.args == ["Sampling drew 3 new samples (everything: 3)."]
    qtbot.waitUntil(lambda: page.samples.text().startswith("Audit samples: 5 open"), timeout=WAIT_MS)
    page.close_page()


# ------------------------------------------------------------------ roles
def test_each_role_sees_its_qa_page(qtbot, qa, policy, tmp_path):
    window = desktop_app.build_window(qa, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat), policy)
    qtbot.addWidget(window)
    seen = {}
    for name in ("dana", "zed", "lee"):
        window.sign_in_as(name)
        seen[name] = window.page_keys()
        window.sign_out()
    # Issue 13: "My results" is for everyone QA touches — leads are audited, auditors see their own work.
    assert {"audit", "results"} <= set(seen["dana"]) and "disputes" not in seen["dana"]
    assert "results" in seen["zed"] and not {"audit", "disputes"} & set(seen["zed"])
    assert {"disputes", "results"} <= set(seen["lee"]) and "audit" not in seen["lee"]
    window.sign_in_as("dana")
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(window.page("audit"), AuditPage) and window.current_page_key() == "audit"
    qtbot.waitUntil(lambda: window.page("audit").work.rowCount() == 2, timeout=WAIT_MS)
    assert [window.nav.item(i).text() for i in range(window.nav.count())][1] == "Audit"
    window.sign_out()


def test_a_second_enter_while_a_resolution_is_on_its_way_sends_nothing(qtbot, disputed, policy, ops):
    lead = _show(qtbot, DisputesPage(desktop_pages.disputes_services(policy, disputed.user("lee"), ops)))
    qtbot.waitUntil(lambda: lead.table.rowCount() == 1, timeout=WAIT_MS)
    lead.table.setFocus()
    qtbot.keyClick(lead.table, Qt.Key.Key_O)
    qtbot.keyClicks(lead.note, "counter-speech is allowed")
    qtbot.keyClick(lead.note, Qt.Key.Key_Return)
    qtbot.keyClick(lead.note, Qt.Key.Key_Return)
    assert ops.wait_idle()
    assert "overturned" in lead.message.text() and "already" not in lead.message.text()
    assert disputed.db.execute("SELECT COUNT(*) FROM dispute_resolutions").fetchone()[0] == 1
    lead.close_page()


def test_a_second_enter_while_a_dispute_is_on_its_way_sends_nothing(qtbot, results_page):
    page, store = results_page, results_page.ops.store
    _select(qtbot, page, "post-image")
    qtbot.keyClick(page.table, Qt.Key.Key_D)
    qtbot.keyClicks(page.reason, "the picture only quotes the slur to condemn it")
    qtbot.keyClick(page.reason, Qt.Key.Key_Return)
    qtbot.keyClick(page.reason, Qt.Key.Key_Return)
    assert page.ops.wait_idle()
    assert page.message.text().startswith("Dispute sent")
    assert store.db.execute("SELECT COUNT(*) FROM disputes").fetchone()[0] == 1
