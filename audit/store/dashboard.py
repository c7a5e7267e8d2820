"""SQL behind the audit side of the lead's dashboard: accuracy tallies and open disputes.

Two grouped reads, in the SQL SQLite and PostgreSQL share. The grouping is
done here rather than in Python because on a 1,000,000-decision store
reading every audited decision costs ~200 ms and this ~40 ms
(``benchmarks/bench_dashboard.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from review.store import Store


@dataclass(frozen=True)
class AccuracyTally:
    """Final verdicts of one moderator's decisions in one queue: *correct* of *n*."""

    user_id: int
    queue_id: int
    correct: int
    n: int


def accuracy_tallies(store: Store, since: str) -> list[AccuracyTally]:
    """Correct final verdicts (after disputes) and audited decisions made from *since* on, per moderator and queue."""
    rows = store.db.execute(
        "SELECT d.user_id, d.queue_id, SUM(CASE WHEN v.final_verdict = 'correct' THEN 1 ELSE 0 END), COUNT(*)"
        " FROM audit_verdicts v JOIN decisions d ON d.id = v.decision_id WHERE d.decided_at >= ?"
        " GROUP BY d.user_id, d.queue_id", [since]
    ).fetchall()
    return [AccuracyTally(int(user_id), int(queue_id), int(correct), int(n)) for user_id, queue_id, correct, n in rows]


def open_disputes_by_queue(store: Store) -> dict[str, int]:
    """Unresolved disputes, whenever opened, counted by the queue of the disputed decision."""
    rows = store.db.execute(
        "SELECT q.name, COUNT(*) FROM disputes p JOIN audits a ON a.id = p.audit_id"
        " JOIN decisions d ON d.id = a.decision_id JOIN queues q ON q.id = d.queue_id"
        " WHERE NOT EXISTS (SELECT 1 FROM dispute_resolutions r WHERE r.dispute_id = p.id) GROUP BY q.name"
    ).fetchall()
    return {str(name): int(count) for name, count in rows}
