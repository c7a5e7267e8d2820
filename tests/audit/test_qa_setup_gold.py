"""QA setup without code: gold items (answer, plant, retire, scores so far) and calibration sets (people, close)."""

from __future__ import annotations

import re

import pytest
from builders import decided_item, events, people, text_item

from audit import calibration, gold
from audit.calibration import CalibrationError
from audit.gold import GoldError
from review import decisions, serving, taxonomy
from review.desk import ReviewDesk


@pytest.fixture
def team(store):
    people(store, ana="moderator", ben="moderator", cat="auditor", lee="lead")
    store.add_queue("spam")
    store.add_queue("audits", "audit")
    store.add_queue("escalations", "escalation")
    return store


def _decide_next(store, user, **decision):
    """Claim and decide the next item, then the review desk's gold hook; the decision."""
    lease = serving.claim_next(store, store.user(user))
    made = decisions.decide(store, taxonomy.load(), store.user(user), lease.item.id, claim=lease.claim, **decision)
    gold.after_decision(store, made)
    return made


# ------------------------------------------------------------------ gold
def test_a_gold_answer_with_its_explanation_is_a_leads_and_a_change_logs_old_and_new(team):
    item = text_item(team, "spam", external_id="post-1", text="buy followers")
    with pytest.raises(PermissionError, match="lead"):
        gold.add_gold(team, "ana", item, "remove", ["spam"])
    with pytest.raises(GoldError, match="explanation"):
        gold.add_gold(team, "lee", item, "remove", ["spam"], explanation="x" * 501)
    made = gold.add_gold(team, "lee", item, "remove", ["spam"], explanation="A follower-selling link.")
    assert (made.external_id, made.queue, made.action, made.labels, made.explanation) == (
        "post-1", "spam", "remove", ("spam",), "A follower-selling link.")
    gold.add_gold(team, "lee", item, "label_only", ["spam"], explanation="A follower-selling link.")
    change = events(team, "gold.defined")[-1]
    assert change.payload["old"]["action"] == "remove" and change.payload["new"]["action"] == "label_only"
    found = gold.find_item(team, "lee", "post-1")
    assert [(m.id, m.gold_action) for m in found] == [(item, "label_only")]
    assert [m.id for m in gold.find_item(team, "lee", str(item))] == [item]


def test_planted_copies_are_scored_until_the_item_is_retired_and_the_list_keeps_the_scores(team):
    original = text_item(team, "spam", external_id="gold-src", text="harmless gold")
    team.db.execute("UPDATE items SET state = 'decided' WHERE id = ?", [original])  # only copies are served
    gold.add_gold(team, "lee", original, "remove", ["spam"], explanation="Spam link.")
    with pytest.raises(GoldError, match="review queue"):
        gold.plant_gold(team, "lee", original, "audits")
    with pytest.raises(GoldError, match="1 to 50"):
        gold.plant_gold(team, "lee", original, "spam", copies=0)
    assert len(gold.plant_gold(team, "lee", original, "spam", copies=3)) == 3
    _decide_next(team, "ana", action="remove", labels=["spam"])
    _decide_next(team, "ben", action="no_violation")
    listed = gold.gold_items(team, "lee")
    assert [(g.item_id, g.copies, g.waiting, g.scored, g.correct, g.accuracy) for g in listed] == [
        (original, 3, 1, 2, 1, 0.5)]

    assert gold.retire_gold(team, "lee", original) == 1  # one copy still waits; it is decided unscored
    assert events(team, "gold.retired")[-1].payload["new"] == {"retired": True}
    last = _decide_next(team, "ana", action="remove", labels=["spam"])
    assert gold.score_gold(team, last.id) is None
    with pytest.raises(GoldError, match="retired"):
        gold.plant_gold(team, "lee", original, "spam")
    with pytest.raises(GoldError, match="already retired"):
        gold.retire_gold(team, "lee", original)
    with pytest.raises(PermissionError):
        gold.retire_gold(team, "ana", original)
    after = gold.gold_items(team, "lee")[0]
    assert after.retired_at is not None and (after.scored, after.correct) == (2, 1)  # history kept


def test_planted_copies_cannot_be_told_from_the_queues_own_items(team, clock):
    """Review of issue 13: a copy had a hex external id among "demo-00022"s, every copy the same arrival time to
    the millisecond, and the original's content hashes, so "Seen before" showed the gold original's decision."""
    sha = "ab" * 32
    original = text_item(team, "spam", external_id="demo-00003", text="buy followers", content_sha256=sha,
                         pdq="0f" * 32)
    for n in (1, 2, 5, 8, 9):
        decided_item(team, "spam", "ben", decided_at="2026-01-05T08:00:00.000Z", external_id=f"demo-{n:05d}",
                     received_at=f"2026-01-05T0{n - 1}:00:00.000Z", action="remove", labels=["spam"],
                     content_sha256=sha)  # the same content, decided: what "Seen before" would have shown
    team.db.execute("UPDATE items SET state = 'decided' WHERE id = ?", [original])  # only copies are served
    gold.add_gold(team, "lee", original, "remove", ["spam"])
    with pytest.raises(GoldError, match="review queue"):
        gold.plant_gold(team, "lee", original, "escalations")
    copies = gold.plant_gold(team, "lee", original, "spam", copies=2)

    rows = team.db.execute(f"SELECT external_id, received_at, content_sha256, pdq FROM items"
                           f" WHERE id IN ({copies[0]}, {copies[1]})").fetchall()
    used = {f"demo-{n:05d}" for n in (1, 2, 3, 5, 8, 9)}
    assert all(re.fullmatch(r"demo-\d{5}", r[0]) and r[0] not in used for r in rows), rows
    assert int(rows[0][0][5:]) < 9 and int(rows[1][0][5:]) < 9  # numbers the queue passed already: no import
    assert rows[0][1] != rows[1][1] and all(r[1] <= team.now() for r in rows)
    assert all(r[2] is None and r[3] is None for r in rows)
    shown = ReviewDesk(taxonomy.load()).claim(team, team.user("ana"))
    assert shown.item.id in copies and shown.seen_before == {}


# ------------------------------------------------------------------ calibration
def test_a_set_names_its_people_shows_their_progress_and_closes(team):
    items = [text_item(team, "spam", external_id=f"c{n}") for n in range(2)]
    with pytest.raises(PermissionError, match="lead"):
        calibration.create_set(team, "ana", "week 1", items, people=["ana", "ben"])
    with pytest.raises(CalibrationError, match="nobody called"):
        calibration.create_set(team, "lee", "week 1", items, people=["zed"])
    calibration.create_set(team, "lee", "week 1", items, "first week", people=["ana", "ben"])
    assert events(team, "calibration.created")[-1].payload["people"] == ["ana", "ben"]
    with pytest.raises(CalibrationError, match="already"):
        calibration.create_set(team, "lee", "week 1", items)

    calibration.answer(team, "ana", "week 1", items[0], "remove", ["spam"])
    calibration.answer(team, "ana", "week 1", items[1], "no_violation")
    calibration.answer(team, "ben", "week 1", items[0], "remove", ["spam"])
    with pytest.raises(CalibrationError, match="not one of the people"):
        calibration.answer(team, "cat", "week 1", items[0], "remove")
    assert [(p.person, p.answered, p.items, p.done) for p in calibration.progress(team, "lee", "week 1")] == [
        ("ana", 2, 2, True), ("ben", 1, 2, False)]
    [listed] = calibration.set_list(team, "lee")
    assert (listed.name, listed.items, listed.answers, listed.people, listed.closed_at) == (
        "week 1", 2, 3, ("ana", "ben"), None)

    assert calibration.close_set(team, "lee", "week 1") == 3
    assert events(team, "calibration.closed")[-1].payload["new"] == {"closed": True}
    with pytest.raises(CalibrationError, match="closed"):
        calibration.answer(team, "ben", "week 1", items[1], "no_violation")
    assert calibration.next_item(team, "ben", "week 1") is None
    assert calibration.agreement(team, "week 1").answers == 3  # kept as it was
    with pytest.raises(CalibrationError, match="already closed"):
        calibration.close_set(team, "lee", "week 1")
    with pytest.raises(PermissionError):
        calibration.close_set(team, "ana", "week 1")


def test_only_the_people_a_set_names_are_served_its_items(team):
    """Review of issue 13: next_item served a set's items to people it does not name (answering refused them)."""
    items = [text_item(team, "spam", external_id=f"c{n}") for n in range(2)]
    calibration.create_set(team, "lee", "named", items, people=["ana"])
    calibration.create_set(team, "lee", "open", items)
    with pytest.raises(CalibrationError, match="cat is not one of the people asked to answer 'named'"):
        calibration.next_item(team, "cat", "named")
    assert calibration.next_item(team, "ana", "named").id == items[0]
    assert calibration.next_item(team, "cat", "open").id == items[0]  # a set naming nobody is open to reviewers
