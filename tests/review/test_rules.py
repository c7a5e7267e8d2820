"""Routing rules' format: every problem said with its line, and which rule an item matches (first match wins)."""

from __future__ import annotations

import pytest

import resources
from review import taxonomy
from review.known import rules
from review.known.facts import ListMatch
from review.known.rules import Context, Item, QueueFacts, RulesError

QUEUES = {"Spam": QueueFacts(1, "review"), "Graphic": QueueFacts(2, "review"), "Leads": QueueFacts(3, "escalation"),
          "Old spam": QueueFacts(4, "review", merged_into="Spam")}
CONTEXT = Context(QUEUES, taxonomy.load(), frozenset({"known-spam", "ncmec"}))


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(RulesError) as caught:
        rules.parse(text, "r.toml", CONTEXT)
    return list(caught.value.problems)


def parsed(text: str) -> rules.RuleSet:
    return rules.parse(text, "r.toml", CONTEXT)


def item(kind: str = "text", severity: str | None = None, matches: tuple[ListMatch, ...] = (), **metadata) -> Item:
    return Item(kind, severity, metadata, matches)


def test_every_problem_is_reported_with_its_line_and_nothing_is_returned():
    text = """
[[rule]]
name = "a"
when = { category = "spam", colour = "red" }
then = { queue = "Nowhere", action = "remove" }

[[rule]]
name = "b"
[rule.when]
kind = "picture"
reporters_min = 5
reporters_max = 2
[rule.then]
queue = "Leads"
priority = "high"
severity = "awful"
action = "escalate"

[[rule]]
name = "a"
then = { queue = "Old spam", labels = ["spam"], automated = "yes" }
"""
    assert problems(text) == [
        (4, "unknown condition 'colour' (a rule's when has: category, report_reason, reporters_min, reporters_max, "
            "language, severity, kind, score, list, list_distance)"),
        (5, "unknown queue 'Nowhere' (queues: Graphic, Leads, Old spam, Spam)"),
        (5, "action 'remove' needs at least one label: add labels = [\"…\"]"),
        (10, 'kind "picture" is not one of image, video, text, mixed'),
        (12, "reporters_max 2 is below reporters_min 5: rule 'b' could never match"),
        (14, "queue 'Leads' is not a review queue (escalation): rules route to review queues, and moderators "
             "escalate from there"),
        (15, 'priority must be a whole number from -1,000,000 to 1,000,000, not "high"'),
        (16, 'severity "awful" is not one of low, medium, high, severe'),
        (17, "action 'escalate' sends the item to a lead: route it with queue = \"…\" instead"),
        (19, "rule 'a' is named twice (first on line 2)"),
        (21, "queue 'Old spam' was merged into 'Spam': name that one"),
        (21, 'automated must be true or false, not "yes"'),
        (21, 'labels need an action: add action = "…"'),
    ]


def test_the_file_says_where_each_problem_is():
    with pytest.raises(RulesError) as caught:
        rules.parse('[[rule]]\nname = "x"\nthen = { action = "nuke" }\n', "team/rules.toml", CONTEXT)
    assert str(caught.value) == ("team/rules.toml:3: unknown action 'nuke' (actions: no_violation, remove, "
                                 "age_restrict, label_only, escalate)")


@pytest.mark.parametrize(("text", "expected"), [
    ("[[rule]]\nname = \"x\"\nwhen = { category = \"spam\"\n", "not valid TOML"),
    ("[rule]\nname = \"x\"\n", "write each rule as a [[rule]] table, with two brackets"),
    ("version = 2\n", "unknown field 'version' (a rule set has: rule)"),
    ("[[rule]]\nwhen = { kind = \"text\" }\n", 'the rule has no name: add name = "…"'),
    ("[[rule]]\nname = \"\"\n", 'name must be text of 1 to 100 characters on one line, not ""'),
    ("[[rule]]\nname = \"x\"\nwhen = 3\n", "when must be a table, like when = { … }, not 3"),
    ("[[rule]]\nname = \"x\"\nthen = { labels = [\"nope\"], action = \"remove\" }\n", "unknown label 'nope'"),
    ("[[rule]]\nname = \"x\"\nwhen = { list = \"kown-spam\" }\n", "unknown hash list 'kown-spam' (did you mean "
     "'known-spam'?)"),
    ("[[rule]]\nname = \"x\"\nwhen = { list_distance = 300 }\n", "list_distance must be a whole number from 0 to 256"),
    ("[[rule]]\nname = \"x\"\nwhen = { score = 0.9 }\n", "score must name classifier scores"),
    ("[[rule]]\nname = \"x\"\nwhen = { score.nudity = \"high\" }\n", "score.nudity must be a number"),
    ("[[rule]]\nname = \"x\"\nwhen = { category = [] }\n", "category must be text or a list of texts"),
    ("[[rule]]\nname = \"x\"\nthen = { automated = true }\n", "automated = true needs an action to decide"),
    ("[[rule]]\nname = \"x\"\nstop = true\n", "unknown field 'stop' (a rule has: name, when, then)"),
])
def test_each_mistake_gets_its_own_words(text, expected):
    (found,) = problems(text)
    assert found[0] is not None and expected in found[1]


def test_a_rule_after_a_catch_all_can_never_match():
    text = '[[rule]]\nname = "all"\nthen = { priority = 1 }\n\n[[rule]]\nname = "late"\nwhen = { kind = "text" }\n'
    assert problems(text) == [(5, "rule 'late' can never match: rule 'all' (line 1) has no conditions and takes "
                                  "every item first; move it to the end")]
    assert len(parsed(text.split("\n\n")[1] + "\n" + text.split("\n\n")[0]).rules) == 2  # the catch-all last is fine


def test_a_note_requiring_action_can_be_suggested_but_not_automated():
    named = 'id = "no_violation"\nname = "No violation"'
    text = resources.path("taxonomy.toml").read_text(encoding="utf-8")
    policy = taxonomy.loads(text.replace(named, named + "\nrequires_note = true"))
    context = Context(QUEUES, policy)
    rules.parse('[[rule]]\nname = "x"\nthen = { action = "no_violation" }\n', "r.toml", context)
    with pytest.raises(RulesError, match="needs a note, which automation cannot write"):
        rules.parse('[[rule]]\nname = "x"\nthen = { action = "no_violation", automated = true }\n', "r.toml", context)


def test_an_empty_file_is_no_rules_and_fine():
    assert parsed("# nothing yet\n").rules == ()


def test_the_first_matching_rule_wins():
    rule_set = parsed('[[rule]]\nname = "spam"\nwhen = { category = "spam" }\n\n'
                      '[[rule]]\nname = "texts"\nwhen = { kind = "text" }\n\n[[rule]]\nname = "rest"\n')
    assert rule_set.first_match(item(category="spam")).name == "spam"
    assert rule_set.first_match(item(category="hate_speech")).name == "texts"
    assert rule_set.first_match(item("image", category="hate_speech")).name == "rest"


@pytest.mark.parametrize(("when", "matching", "other"), [
    ('category = ["spam", "scam_fraud"]', item(category="scam_fraud"), item(category="hate_speech")),
    ('report_reason = "Phishing link"', item(report_reason=" phishing LINK"), item(report_reason="Spam")),
    ("reporters_min = 3", item(reporter_count="3"), item(reporter_count=2)),
    ("reporters_max = 3", item(reporter_count=3), item(reporter_count=4)),
    ("reporters_min = 0", item(reporter_count=0), item()),  # no count: the condition does not hold
    ('language = "ar"', item(language="ar"), item(language="en")),
    ('severity = ["high", "severe"]', item(severity="severe"), item(severity="low")),
    ('kind = "video"', item("video"), item("image")),
    ("score.classifier_score = 0.9", item(classifier_score=0.9), item(classifier_score=0.89)),
    ("score.nudity = 0.5", item(scores={"nudity": "0.7"}), item(scores={"violence": 0.9})),
    ('list = "known-spam"', item(matches=(ListMatch("known-spam", "pdq", 20),)),
     item(matches=(ListMatch("ncmec", "pdq", 0),))),
    ('list = "known-spam"\nlist_distance = 10', item(matches=(ListMatch("known-spam", "pdq", 30),
                                                                ListMatch("known-spam", "md5", 0))),
     item(matches=(ListMatch("known-spam", "pdq", 11),))),
    ("list_distance = 0", item(matches=(ListMatch("ncmec", "sha256", 0),)), item()),
])
def test_each_condition(when, matching, other):
    rule_set = parsed(f'[[rule]]\nname = "r"\n[rule.when]\n{when}\n')
    assert rule_set.first_match(matching) is not None
    assert rule_set.first_match(other) is None


def test_each_effect_is_read():
    (rule,) = parsed('[[rule]]\nname = "r"\nthen = { queue = "Graphic", priority = 7, severity = "severe", '
                     'action = "remove", labels = ["violent_graphic", "violent_graphic"], automated = true }\n').rules
    assert (rule.queue, rule.priority, rule.severity, rule.action, rule.labels, rule.automated) == (
        "Graphic", 7, "severe", "remove", ("violent_graphic",), True)
    assert rules.describe(rule) == "to Graphic, priority 7, severity severe, decides remove (violent_graphic)"


def test_the_shipped_example_is_fine_for_the_demo_queues():
    demo = {name: QueueFacts(n, "review") for n, name in enumerate(
        ["Violent & graphic", "Hate & harassment", "Spam & scams", "Marketplace counterfeit & IP"])}
    text = resources.path("rules/example.toml").read_text(encoding="utf-8")
    assert [r.name for r in rules.parse(text, "example.toml", Context(demo, taxonomy.load())).rules] == [
        "Classifier: age signal", "Many reporters of graphic violence", "Spam the classifier is sure of",
        "Counterfeit listings"]
