"""What the review page says of known content under "Seen before" (issue 20 §4): one line per list match, the case
and a rule's suggestion, in words and numbers only; the window still fits 1280×720 with all of it showing; and a
person who is neither moderator nor lead gets none of it from the desk."""

from __future__ import annotations

import pytest
from builders import people, text_item
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtWidgets import QApplication

from desktop import app as desktop_app
from review import serving, taxonomy
from review.known import facts, lists
from review.known import intake as known_intake
from review.media.fingerprint import text_sha256
from ui.pages.review_panels import known_lines

SCREEN_W, SCREEN_H = 1280, 720


def test_each_kind_of_known_fact_is_one_line_in_words():
    known = facts.Known(
        list_matches=(facts.ListMatch("known-spam", "pdq", 12, "X", "remove"),
                      facts.ListMatch("partner", "md5", 0), facts.ListMatch("texts", "text", 0, "scam")),
        case=facts.CaseFacts(7, reports=10, open_reports=3),
        suggestion=facts.Suggestion("remove", ("spam",), "R", 3))
    assert known_lines(known, taxonomy.load()) == [
        "List known-spam: tag X, 12 bits · remove", "List partner: same file", "List texts: tag scam, same text",
        "Case: 10 reports, 3 open", "Suggested by rule R v3: remove (spam)"]
    listed = facts.Known(suggestion=facts.Suggestion("remove", (), "list:known-spam", 2))
    assert known_lines(listed, taxonomy.load()) == ["Suggested by list known-spam v2: remove"]
    assert known_lines(facts.Known(), taxonomy.load()) == []


@pytest.fixture
def floor(store, tmp_path):
    people(store, ana="moderator", lee="lead", dana="auditor")
    store.add_queue("spam", sla_seconds=24 * 3600)
    text = "Known scam text " * 30
    path = tmp_path / "list.csv"
    path.write_text(f"signal_type,signal,tag\ntext,{text},scam-2026\n", encoding="utf-8")
    lists.import_list(store, "lee", path, name="known-spam", taxonomy=taxonomy.load(), action="remove",
                      labels=["spam"])
    item = text_item(store, "spam", external_id="p0", text=text, content_sha256=text_sha256(text),
                     metadata={"category": "spam", "report_reason": "spam", "reporter_count": 3,
                               "account_age_days": 4})
    with store.transaction():
        known_intake.after_items_added(store, [item], actor="lee")
    return store


def test_the_review_page_shows_the_match_and_still_fits_1280_by_720(qtbot, floor, tmp_path, themed):
    window = desktop_app.build_window(floor, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(SCREEN_W, SCREEN_H)
    window.show()
    qtbot.waitExposed(window)
    window.sign_in_as("ana")
    page = window.show_page("review")
    page.start()
    qtbot.waitUntil(lambda: page.item is not None)
    said = page.item_view.context.known
    qtbot.waitUntil(said.isVisible)
    assert said.text().split("\n")[0] == "List known-spam: tag scam-2026, same text · remove"
    assert any(line.startswith("Suggested by list known-spam v1: remove") for line in said.text().split("\n"))
    seen = []

    def steady() -> bool:
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        seen.append(window.minimumSizeHint())
        return len(seen) > 3 and seen[-1] == seen[-2] == seen[-3]

    qtbot.waitUntil(steady)
    assert seen[-1].width() <= SCREEN_W and seen[-1].height() <= SCREEN_H, seen[-1]
    window.sign_out()


def test_a_blind_auditor_is_told_nothing_known_of_the_item(floor):
    item = serving.load_item(floor, floor.db.execute("SELECT id FROM items").fetchone()[0])
    assert facts.known(floor, floor.user("ana"), item).list_matches  # a moderator sees the match
    assert facts.known(floor, floor.user("dana"), item).list_matches == ()  # the auditor's desk: nothing


def test_a_tag_or_list_name_that_looks_like_markup_is_shown_as_plain_text(qtbot):
    """A tag ``<img src=…>`` rendered as rich text would show a local picture unblurred on a moderator's screen."""
    from ui.pages.review_panels import ContextPanel

    panel = ContextPanel(taxonomy.load())
    qtbot.addWidget(panel)
    tag = '<img src="/tmp/x.png" width=400>'
    panel.show_known(facts.Known(list_matches=(facts.ListMatch("<b>partner</b>", "md5", 0, tag),)))
    assert panel.known.text() == f"List <b>partner</b>: tag {tag}, same file"
    for label in (panel.known, panel.seen, panel.text, panel.report):
        assert label.textFormat() == Qt.TextFormat.PlainText
