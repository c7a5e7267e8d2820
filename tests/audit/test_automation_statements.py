"""A DSA statement of reasons for an automated decision says it was decided by automated means (issue 20 §7 with
issue 21): Veil's own automation (``source = 'automation'``) is a rule's decision, as an imported rule's is."""

from __future__ import annotations

from builders import people, text_items

from audit.compliance import mapping, statements, transparency
from desktop.demo import statements as demo_statements
from review.known.automation import Outcome, apply


def test_an_automated_decisions_statement_says_automated(store):
    people(store, lee="lead", ana="moderator")
    store.add_queue("posts")
    item = text_items(store, "posts", 1)[0]
    with store.transaction():
        apply(store, [Outcome(item, "remove", ("spam",), automated=True)], rule="list:known-spam", version=1,
              actor="lee")
    mapping.save(store, "lee", demo_statements.DEMO_MAPPING)
    decision = store.db.execute("SELECT id FROM decisions WHERE item_id = ?", [item]).fetchone()[0]
    statement = statements.build(store, decision)
    assert statement is not None
    assert statement["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert "automated" in statements.text_for_user(statement).casefold()
    assert transparency.counts(store, "lee")["automated"]["automated"] == 1  # the transparency report counts it
