"""Gold items for the demo, so a lead can build a training course at once (issue 17).

Runs after the QA data (``desktop.demo.create``). The demo lead marks a
dozen decided items of the milder review queues as gold, each with the
decision that stands on it as the answer and a short explanation, through
``audit.gold`` like a lead on QA setup would. No course is built here: a
lead builds one on the Training page, and the new hire ("eve") takes it.
"""

from __future__ import annotations

from audit import gold
from desktop.demo.team import LEAD
from review.store import Store
from review.taxonomy import Taxonomy

GOLD_ITEMS = 12
#: Where the gold comes from: not the severe queue (a course should not start with the hardest content).
GOLD_QUEUES = ("Spam & scams", "Hate & harassment", "Marketplace counterfeit & IP")


def seed_gold(store: Store, policy: Taxonomy, *, items: int) -> int:
    """Mark up to :data:`GOLD_ITEMS` decided demo items gold with their standing decision; how many."""
    marked = 0
    for number in range(1, items + 1):
        if marked >= GOLD_ITEMS:
            break
        for found in gold.find_item(store, LEAD, f"demo-{number:05d}"):
            if found.queue not in GOLD_QUEUES or found.action is None or found.gold_action is not None:
                continue
            action = policy.action(found.action)
            if action.escalates:
                continue
            names = [policy.label(label).name for label in found.labels]
            explanation = (f"{action.name}{' under ' + ', '.join(names) if names else ''}: how the team decided "
                           "it. The policy text (Ctrl+P) says why.")
            gold.add_gold(store, LEAD, found.id, found.action, found.labels, explanation=explanation, taxonomy=policy)
            marked += 1
    return marked
