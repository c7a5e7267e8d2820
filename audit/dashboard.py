"""The lead's dashboard as one read: review's figures plus accuracy with its n and open disputes.

:func:`load` is the lead service the Dashboard page calls (through the
operations runner, on a reader connection): one call, one role check, every
figure the page shows. The review side (backlog, flow, handle time,
throughput, exposure) is ``review.dashboard``'s; this module adds the audit
side, which review may not know about (audit reads review, never the
other way round).

Accuracy is ``audit.metrics.assembly``'s, figure for figure: final verdicts from the
``audit_verdicts`` view (after disputes), decisions filtered by their own
time (``decided_at``, the report's period filter) over the last
:data:`ACCURACY_DAYS` days, k of n turned into a proportion with its Wilson
95 % interval by ``audit.metrics``. Only the grouping differs: it is done in
SQL (:mod:`audit.store.dashboard`) instead of reading every audited
decision as ``assembly.build`` does; ``tests/review/test_dashboard.py``
checks both give the same k and n.

Open disputes are all unresolved ones, whenever opened: a lead has to
settle each of them.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from dataclasses import dataclass

from audit import metrics, roles
from audit.store import dashboard as dashboard_sql
from review import dashboard as review_dashboard
from review.clock import iso, parse
from review.store import Store, User

__all__ = ["ACCURACY_DAYS", "AuditFigures", "DashboardData", "figures", "load"]

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


@dataclass(frozen=True)
class DashboardData:
    """Every figure of the lead's dashboard, as of one moment of the store clock."""

    board: review_dashboard.Dashboard
    audit: AuditFigures

    @property
    def at(self) -> _dt.datetime:
        return parse(self.board.at)


def load(store: Store, lead: User | str) -> DashboardData:
    """Every figure of the Dashboard page, for *lead*; ``NotAllowed`` for anyone who is not a lead."""
    return DashboardData(review_dashboard.compute(store, lead), figures(store, lead))


def figures(store: Store, lead: User | str, *, days: int = ACCURACY_DAYS) -> AuditFigures:
    """Accuracy per queue and per moderator, and open disputes per queue; leads only."""
    roles.require(store, lead, "lead", to="see the team dashboard")
    since = iso(store.clock.now() - _dt.timedelta(days=days))
    users = {u.id: u.name for u in store.users()}
    queues = {q.id: q.name for q in store.queues()}
    tally: dict[str, dict[str, list[int]]] = {"queue": defaultdict(lambda: [0, 0]),
                                              "moderator": defaultdict(lambda: [0, 0])}
    for row in dashboard_sql.accuracy_tallies(store, since):
        for group, key in (("queue", queues[row.queue_id]), ("moderator", users[row.user_id])):
            tally[group][key][0] += row.correct
            tally[group][key][1] += row.n
    return AuditFigures(
        since,
        {k: metrics.proportion(*kn) for k, kn in sorted(tally["queue"].items())},
        {k: metrics.proportion(*kn) for k, kn in sorted(tally["moderator"].items())},
        dashboard_sql.open_disputes_by_queue(store),
    )
