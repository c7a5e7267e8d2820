"""Transparency counts (issue 21 §7) agree with the decisions in the store, counted a second, independent way."""

from __future__ import annotations

import json
import statistics

import pytest
from builders import decided_item, people

from audit.compliance import mapping, transparency
from review import complaints, serving, taxonomy
from review.decisions import record_past_decision
from review.errors import NotAllowed
from review.imports.manifest import import_manifest

LABEL = {"category": "STATEMENT_CATEGORY_CYBER_VIOLENCE", "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
         "ground": "Community rules §3", "facts": "A {content} was reported.", "explanation": "It breaks {ground}."}
MAPPING = {**mapping.empty(),
           "labels": {"harassment": LABEL,
                      "hate_speech": {**LABEL, "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
                                      "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT"}},
           "actions": {"remove": {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"]},
                       "age_restrict": {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED"]},
                       "no_violation": {}}}

#: (source, category reported, received at, action, labels, decided at, decision source)
DECISIONS = [
    ("trusted_flagger", "harassment", "2026-02-01T00:00:00Z", "remove", ["harassment"], "2026-02-01T02:00:00Z",
     "review"),
    ("user_report", "harassment", "2026-02-01T00:00:00Z", "no_violation", [], "2026-02-01T01:00:00Z", "review"),
    ("user_report", "hate", "2026-02-02T00:00:00Z", "remove", ["hate_speech"], "2026-02-02T06:00:00Z", "rule"),
    ("user_report", None, "2026-02-03T00:00:00Z", "age_restrict", ["harassment"], "2026-02-03T10:00:00Z", "review"),
    (None, None, "2026-02-03T00:00:00Z", "remove", ["harassment"], "2026-02-04T00:00:00Z", "review"),
    ("user_report", "spam", "2026-01-20T00:00:00Z", "remove", ["harassment"], "2026-01-21T00:00:00Z",
     "review"),  # before the period
]


@pytest.fixture
def floor(store):
    people(store, lee="lead", ana="moderator", ben="moderator")
    store.add_queue("reports")
    mapping.save(store, "lee", MAPPING)
    for n, (source, category, received, action, labels, decided, by) in enumerate(DECISIONS):
        metadata = {k: v for k, v in (("source", source), ("category", category)) if v}
        decided_item(store, "reports", "ana", decided_at=decided, action=action, labels=labels, received_at=received,
                     external_id=f"post-{n}", metadata=metadata)
        if by == "rule":
            item = store.db.execute("SELECT id FROM items WHERE external_id = ?", [f"post-{n}"]).fetchone()[0]
            record_past_decision(store, item_id=item, user="ana", action=action, labels=labels, decided_at=decided,
                                 source="rule")
    return store


def test_counts_agree_with_the_decisions_counted_independently(floor, tmp_path):
    store = floor
    data = transparency.counts(store, "lee", since="2026-02-01", until="2026-02-28")
    period = [d for d in DECISIONS if d[5] >= "2026-02-01"]
    # notices: every item received in the period
    assert data["notices"]["total"] == 5
    assert data["notices"]["by_source"] == {"(none)": 1, "trusted_flagger": 1, "user_report": 3}
    assert data["notices"]["by_category"] == {"(none)": 2, "harassment": 2, "hate": 1}
    # actions: the rule re-decided post-2, so it has two live decisions (both count: both were taken)
    expected = {}
    for d in period:
        expected[d[3]] = expected.get(d[3], 0) + (2 if d[6] == "rule" else 1)
    assert data["actions_by_type"] == expected
    assert data["actions_total"] == 6 and data["restricting"] == 5
    assert data["actions_by_ground"] == {"DECISION_GROUND_ILLEGAL_CONTENT": 2,
                                         "DECISION_GROUND_INCOMPATIBLE_CONTENT": 3}
    assert data["actions_by_category"] == {"STATEMENT_CATEGORY_CYBER_VIOLENCE": 3,
                                           "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH": 2}
    assert data["automated"] == {"decisions": 6, "automated": 1, "share": 1 / 6}
    assert data["median_hours_notice_to_action"] == statistics.median([2, 6, 6, 10, 24])
    assert data["complaints"] == {"received": 0, "upheld": 0, "reversed": 0, "open": 0,
                                  "median_hours_to_decide": None}
    assert data["statements"] == {"exported": 0, "accepted": 0, "refused": 0}
    json.dumps(data)  # the CLI prints it as it is


def test_complaints_are_counted_as_complaints_not_as_notices_or_actions(floor, tmp_path, clock):
    store = floor
    clock.advance(3600 * 24 * 40)  # 2026-02-14T09:00
    manifest = tmp_path / "c.jsonl"
    manifest.write_text("".join(json.dumps({"id": f"c-{n}", "queue": "complaints", "text": "unfair",
                                            "complaint_of": f"post-{n}", "received_at": "2026-02-05T00:00:00Z"})
                                + "\n" for n in (0, 3, 4)))
    assert import_manifest(store, manifest, actor="lee", create_queues=True).committed
    policy = taxonomy.load()
    for outcome in ("upheld", "reversed"):
        lease = serving.claim_next(store, store.user("ben"))
        complaints.resolve(store, policy, "ben", lease.item.id, claim=lease.claim, outcome=outcome,
                           note="reasons", action="no_violation" if outcome == "reversed" else None)
    data = transparency.counts(store, "lee", since="2026-02-01", until="2026-02-28")
    assert data["notices"]["total"] == 5
    assert data["complaints"]["received"] == 3
    assert (data["complaints"]["upheld"], data["complaints"]["reversed"], data["complaints"]["open"]) == (1, 1, 1)
    assert data["complaints"]["median_hours_to_decide"] == pytest.approx(9 * 24 + 9)
    # the reversal is an action taken in the period (on the original item); closing a complaint is not
    assert data["actions_by_type"]["no_violation"] == 2 and data["actions_total"] == 7


def test_only_a_lead_sees_them_and_a_bad_period_is_said(floor):
    with pytest.raises(NotAllowed):
        transparency.counts(floor, "ana")
    with pytest.raises(ValueError, match="after"):
        transparency.counts(floor, "lee", since="2026-03-01", until="2026-02-01")


def test_the_reports_section_says_every_figure(floor):
    """The PDF report's Transparency section (``ui.reports.pdf_transparency``) prints each figure."""
    rows = pytest.importorskip("ui.reports.pdf_transparency").rows  # the domain's tests run without Qt too

    lines = [" ".join(r) for r in rows(transparency.counts(floor, "lee", since="2026-02-01", until="2026-02-28"))]
    assert "Notices received all 5" in lines
    assert any(line.startswith(" type: remove") and line.endswith(" 4") for line in lines)
    assert any("ground: illegal content" in line for line in lines)
    assert any(line.startswith("Automated means") and line.endswith("16.7%") for line in lines)


SOURCES = {"user_report": {"source_type": "SOURCE_ARTICLE_16", "automated_detection": "No"},
           "trusted_flagger": {"source_type": "SOURCE_TRUSTED_FLAGGER", "automated_detection": "No"},
           "classifier": {"source_type": "SOURCE_VOLUNTARY", "automated_detection": "Yes"},
           "default": {"source_type": "SOURCE_TYPE_OTHER_NOTIFICATION", "automated_detection": "No"}}


def test_own_initiative_detections_are_not_notices(floor):
    """Art. 15(1)(b) counts notices (Art. 16, trusted flaggers, other notifications); own-initiative detection is
    reported apart (Art. 15(1)(c)), each source mapped through the mapping's ``source_type``."""
    store = floor
    mapping.save(store, "lee", {**MAPPING, "sources": SOURCES})
    for n in range(3):
        decided_item(store, "reports", "ana", decided_at="2026-02-06T00:00:00Z", action="remove",
                     labels=["harassment"], received_at="2026-02-05T00:00:00Z", external_id=f"auto-{n}",
                     metadata={"source": "classifier", "category": "harassment"})
    data = transparency.counts(store, "lee", since="2026-02-01", until="2026-02-28")
    # by hand: post-0 trusted_flagger, post-1..3 user_report, post-4 no source (default: other notification)
    assert data["notices"]["total"] == 5
    assert data["notices"]["by_source"] == {"(none)": 1, "trusted_flagger": 1, "user_report": 3}
    assert data["notices"]["by_source_type"] == {"SOURCE_ARTICLE_16": 3, "SOURCE_TRUSTED_FLAGGER": 1,
                                                 "SOURCE_TYPE_OTHER_NOTIFICATION": 1}
    assert data["own_initiative"] == {"total": 3, "by_source": {"classifier": 3}, "by_category": {"harassment": 3}}


def test_on_the_demo_notices_and_own_initiative_add_up_to_the_items_received(store, tmp_path):
    from desktop import demo as demo_workspace
    from desktop.demo import statements as demo_statements

    demo_workspace.create(store, tmp_path / "media", items=60, seed=7)
    demo_statements.install(store)
    sources = [json.loads(m or "{}").get("source") for (m,) in store.db.execute(
        "SELECT metadata FROM items WHERE id NOT IN (SELECT item_id FROM complaints)")]
    own = sum(source == "classifier" for source in sources)  # the demo maps only "classifier" to SOURCE_VOLUNTARY
    data = transparency.counts(store, "lee")
    assert own > 0
    assert (data["notices"]["total"], data["own_initiative"]["total"]) == (len(sources) - own, own)


def test_a_complaint_reversal_is_left_out_of_time_to_action_and_counted_apart(floor, tmp_path, clock):
    store = floor
    clock.advance(3600 * 24 * 40)  # 2026-02-14T09:00, long after post-1 (no_violation) arrived
    manifest = tmp_path / "c.jsonl"
    manifest.write_text(json.dumps({"id": "c-1", "queue": "complaints", "text": "it is harassment",
                                    "complaint_of": "post-1", "received_at": "2026-02-05T00:00:00Z"}) + "\n")
    assert import_manifest(store, manifest, actor="lee", create_queues=True).committed
    lease = serving.claim_next(store, store.user("ben"))
    complaints.resolve(store, taxonomy.load(), "ben", lease.item.id, claim=lease.claim, outcome="reversed",
                       action="remove", labels=["harassment"], note="it was harassment")
    data = transparency.counts(store, "lee", since="2026-02-01", until="2026-02-28")
    assert data["median_hours_notice_to_action"] == statistics.median([2, 6, 6, 10, 24])  # as without it
    assert data["reversals_after_complaints"] == 1
    assert data["actions_by_type"]["remove"] == 5 and data["restricting"] == 6
