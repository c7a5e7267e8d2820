"""The audit side of the lead's dashboard: accuracy with its n, and open disputes.

Accuracy is ``audit.metrics.assembly``'s, figure for figure: final verdicts from the
``audit_verdicts`` view (after disputes), decisions filtered by their own
time (``decided_at``, the report's period filter) over the last
:data:`ACCURACY_DAYS` days, k of n turned into a proportion with its Wilson
95 % interval by ``audit.metrics``. Only the grouping differs: it is done in
SQL (``GROUP BY`` moderator and queue) instead of reading every audited
decision as ``report.audited`` does, because on a 1,000,000-decision store
that read costs ~200 ms and this ~40 ms (``benchmarks/bench_dashboard.py``);
``tests/test_dashboard.py`` checks both give the same k and n.

Open disputes are all unresolved ones, whenever opened: a lead has to
settle each of them.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from dataclasses import dataclass

from audit import metrics, roles
from review.clock import iso
from review.store import Store, User

ACCURACY_DAYS = 28


@dataclass(frozen=True)
class AuditFigures:
    since: str  # decisions from this time on count towards accuracy
    by_queue: dict[str, metrics.Proportion]
    by_moderator: dict[str, metrics.Proportion]
    open_disputes: dict[str, int]  # by the queue of the disputed decision

    @property
    def open_disputes_total(self) -> int:
        return sum(self.open_disputes.values())


def figures(store: Store, lead: User | str, *, days: int = ACCURACY_DAYS) -> AuditFigures:
    """Accuracy per queue and per moderator, and open disputes per queue; leads only."""
    roles.require(store, lead, "lead", to="see the team dashboard")
    since = iso(store.clock.now() - _dt.timedelta(days=days))
    users = {u.id: u.name for u in store.users()}
    queues = {q.id: q.name for q in store.queues()}
    tally: dict[str, dict[str, list[int]]] = {"queue": defaultdict(lambda: [0, 0]),
                                              "moderator": defaultdict(lambda: [0, 0])}
    for user_id, queue_id, correct, n in store.db.execute(
        "SELECT d.user_id, d.queue_id, SUM(CASE WHEN v.final_verdict = 'correct' THEN 1 ELSE 0 END), COUNT(*)"
        " FROM audit_verdicts v JOIN decisions d ON d.id = v.decision_id WHERE d.decided_at >= ?"
        " GROUP BY d.user_id, d.queue_id", [since]
    ):
        for group, key in (("queue", queues[queue_id]), ("moderator", users[user_id])):
            tally[group][key][0] += correct
            tally[group][key][1] += n
    open_disputes = dict(store.db.execute(
        "SELECT q.name, COUNT(*) FROM disputes p JOIN audits a ON a.id = p.audit_id"
        " JOIN decisions d ON d.id = a.decision_id JOIN queues q ON q.id = d.queue_id"
        " WHERE NOT EXISTS (SELECT 1 FROM dispute_resolutions r WHERE r.dispute_id = p.id) GROUP BY q.name"
    ).fetchall())
    return AuditFigures(
        since,
        {k: metrics.proportion(*kn) for k, kn in sorted(tally["queue"].items())},
        {k: metrics.proportion(*kn) for k, kn in sorted(tally["moderator"].items())},
        open_disputes,
    )
