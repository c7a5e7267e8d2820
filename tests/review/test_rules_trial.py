"""`veil rules test`'s figures (issue 20 §6): what each rule would have done to a window of history, checked by hand."""

from __future__ import annotations

import datetime as _dt
import json

import pytest
from builders import decided_item, people, text_items

from review.errors import NotAllowed
from review.imports import manifest as importer
from review.known import automation, routing, rule_trial
from review.taxonomy import load

RULES = """
[[rule]]
name = "graphic"
when = { category = "violent_graphic", reporters_min = 5 }
then = { queue = "graphic" }

[[rule]]
name = "sure spam"
when = { category = "spam", score.classifier_score = 0.9 }
then = { action = "remove", labels = ["spam"] }

[[rule]]
name = "scams"
when = { category = "scam_fraud" }
then = { action = "remove", labels = ["scam_fraud"], automated = true }
"""
IN_WINDOW = "2026-01-01T00:00:00.000Z"


@pytest.fixture
def history(store):
    """Six items received in the last 30 days and one before; people's decisions, automation's and none."""
    people(store, lee="lead", ana="moderator")
    store.add_queue("inbox")
    store.add_queue("graphic")
    spam = {"category": "spam", "classifier_score": 0.95}
    decided_item(store, "inbox", "ana", decided_at="2026-01-02T00:00:00Z", action="remove", labels=["spam"],
                 received_at=IN_WINDOW, metadata=spam)  # agrees
    decided_item(store, "inbox", "ana", decided_at="2026-01-02T00:00:00Z", action="no_violation",
                 received_at=IN_WINDOW, metadata=spam)  # disagrees
    text_items(store, "inbox", 1, received_at=IN_WINDOW, metadata=spam)  # not decided: not compared
    (by_machine,) = text_items(store, "inbox", 1, received_at=IN_WINDOW, metadata=spam)
    with store.transaction():  # decided by automation, not by people: not compared
        automation.apply(store, [automation.Outcome(by_machine, "remove", ("spam",), True)], rule="x", version=1,
                         actor="lee")
    text_items(store, "inbox", 1, received_at=IN_WINDOW, metadata={"category": "violent_graphic",
                                                                   "reporter_count": 7})
    text_items(store, "inbox", 1, received_at=IN_WINDOW, metadata={"category": "hate_speech"})  # no rule
    text_items(store, "inbox", 1, received_at="2025-11-01T00:00:00Z", metadata=spam)  # before the window
    return store


def test_counts_per_rule_and_queue_and_agreement_with_people(history, monkeypatch):
    monkeypatch.setattr(rule_trial, "PAGE", 2)  # several pages, as a long window reads them
    told = []
    since = rule_trial.since_time("30d", history.clock.now())
    found = rule_trial.trial(history, "lee", RULES, "r.toml", since, policy=load(),
                             progress=lambda done, total: told.append((done, total)))
    assert found.as_json() == {"since": "2025-12-06T09:00:00.000Z", "items": 6, "unmatched": 1, "rules": [
        {"rule": "graphic", "effect": "to graphic", "matched": 1, "queues": {"graphic": 1}, "action": None,
         "automated": False, "decided": None, "agreeing": None, "agreement": None},
        {"rule": "sure spam", "effect": "suggests remove (spam)", "matched": 4, "queues": {"inbox": 4},
         "action": "remove", "automated": False, "decided": 2, "agreeing": 1, "agreement": 0.5},
        {"rule": "scams", "effect": "decides remove (scam_fraud)", "matched": 0, "queues": {}, "action": "remove",
         "automated": True, "decided": 0, "agreeing": 0, "agreement": None}]}
    assert told == [(2, 6), (4, 6), (6, 6)]


def test_a_trial_stores_nothing_and_is_a_leads(history):
    before = history.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    rule_trial.trial(history, "lee", RULES, "r.toml", IN_WINDOW, policy=load())
    assert history.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == before
    with pytest.raises(NotAllowed, match="ana is not a lead"):
        rule_trial.trial(history, "ana", RULES, "r.toml", IN_WINDOW, policy=load())


@pytest.mark.parametrize(("text", "expected"), [
    ("30d", "2025-12-06T09:00:00.000Z"), ("12h", "2026-01-04T21:00:00.000Z"), ("2026-01-01", IN_WINDOW)])
def test_the_window_is_days_hours_or_a_date(text, expected):
    assert rule_trial.since_time(text, _dt.datetime(2026, 1, 5, 9, tzinfo=_dt.UTC)) == expected


def test_a_window_in_other_words_is_refused_in_words():
    with pytest.raises(ValueError, match="say a number of days or hours"):
        rule_trial.since_time("last month", _dt.datetime(2026, 1, 5, 9, tzinfo=_dt.UTC))


@pytest.fixture
def arrivals(store, tmp_path):
    """An importer of manifests into "inbox" (lee, a lead) with "graphic" beside it: items arrive as intake has them."""
    people(store, lee="lead")
    store.add_queue("inbox", sla_seconds=86_400)
    store.add_queue("graphic", sla_seconds=3_600)

    def imported(rows, name="m.jsonl"):
        path = tmp_path / name
        path.write_text("".join(json.dumps({"queue": "inbox", "received_at": IN_WINDOW, **row}) + "\n"
                                for row in rows), encoding="utf-8")
        result = importer.import_manifest(store, path, actor="lee")
        assert not result.rejected, result.rejected

    return imported


def test_a_trial_reads_the_severity_and_queue_items_arrived_with(store, arrivals):
    routing.apply(store, "lee", '[[rule]]\nname = "worse"\nwhen = { severity = "low" }\n'
                  'then = { severity = "severe", priority = 7, queue = "graphic" }\n', "r.toml", policy=load())
    arrivals([{"id": "s", "text": "t", "severity": "low", "priority": 2}])
    assert store.db.execute("SELECT severity, priority, received_severity, received_priority FROM items").fetchall() \
        == [("severe", 7, "low", 2)]  # what the rule set, and what the manifest said
    found = rule_trial.trial(store, "lee", '[[rule]]\nname = "low ones"\nwhen = { severity = "low" }\n', "t.toml",
                             IN_WINDOW, policy=load())
    assert (found.rules[0].matched, dict(found.rules[0].queues)) == (1, {"inbox": 1})
    found = rule_trial.trial(store, "lee", '[[rule]]\nname = "severe ones"\nwhen = { severity = "severe" }\n',
                             "t.toml", IN_WINDOW, policy=load())
    assert (found.rules[0].matched, found.unmatched) == (0, 1)


def test_a_trial_counts_a_cases_reports_under_their_leads_rule(store, arrivals, monkeypatch):
    monkeypatch.setattr(rule_trial, "PAGE", 2)  # the lead on one page, its reports on the next
    arrivals([{"id": f"r{n}", "text": "the same post", "category": "violent_graphic", "reporter_count": 9 - 4 * n}
              for n in range(3)])  # only the lead has reporters enough of its own
    assert store.db.execute("SELECT COUNT(*) FROM items WHERE case_of IS NOT NULL").fetchone()[0] == 2
    found = rule_trial.trial(store, "lee", RULES, "r.toml", IN_WINDOW, policy=load())
    assert (found.items, found.unmatched) == (3, 0)
    assert (found.rules[0].matched, dict(found.rules[0].queues)) == (3, {"graphic": 3})


def test_a_trial_leaves_out_items_of_other_kinds_of_queue(store, arrivals):
    store.add_queue("gold", "calibration")
    text_items(store, "gold", 2, received_at=IN_WINDOW, metadata={"category": "spam", "classifier_score": 0.99})
    arrivals([{"id": "a", "text": "a", "category": "spam", "classifier_score": 0.99}])
    told = []
    found = rule_trial.trial(store, "lee", RULES, "r.toml", IN_WINDOW, policy=load(),
                             progress=lambda done, total: told.append((done, total)))
    assert (found.items, found.rules[1].matched, told) == (1, 1, [(1, 1)])
