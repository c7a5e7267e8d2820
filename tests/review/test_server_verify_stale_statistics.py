"""``veil verify``'s item check on a server whose statistics predate most decisions (review/store/reconcile.py).

Right after a burst of decisions, before autovacuum analyzes the tables
again, the server's planner believed each item had dozens of decisions and
found each item's latest one by walking the decisions' key backwards until
it met the item: for an item without a decision, every decision. At
100,000 items after a minute of 50 desks deciding flat out, the check ran
for over nine minutes (``benchmarks/bench_server_flat_out.py``). Here the
decisions the server read are counted from the plan it ran.
"""

from __future__ import annotations

import json

import pytest
from builders import decided_item

from review.store import reconcile

pytestmark = pytest.mark.server_only


def _decision_rows_read(plan: dict) -> int:
    """Rows of ``decisions`` the executed *plan* node and those under it read (kept or filtered out), every loop."""
    read = 0
    if plan.get("Relation Name") == "decisions":
        read += (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)) * plan.get("Actual Loops", 1)
    return read + sum(_decision_rows_read(child) for child in plan.get("Plans", []))


def test_the_item_check_reads_each_decision_a_few_times_whatever_the_statistics(store):
    queue = store.add_queue("spam")
    store.add_items([{"external_id": f"waiting-{n}", "queue_id": queue.id, "kind": "text", "text": f"post {n}",
                      "received_at": "2026-01-05T08:00:00.000Z"} for n in range(1500)])
    store.add_user("ana", ["moderator"])
    decided_item(store, queue, "ana", decided_at="2026-01-05T09:00:00.000Z")
    store.db.execute("ANALYZE")  # the statistics of a store with one decision
    decided = 300
    for n in range(decided - 1):
        decided_item(store, queue, "ana", decided_at=f"2026-01-05T09:{n % 60:02d}:00.000Z")
    [[plan]] = store.db.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {reconcile.ITEM_STATES}",
                                {"escalating": json.dumps(["escalate"])}).fetchone()
    assert _decision_rows_read(plan["Plan"]) <= 4 * decided, plan
    assert list(reconcile.item_problems(store.db, ["escalate"])) == []
