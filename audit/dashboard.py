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
95 % interval by ``audit.metrics``. Only the reading differs: it groups
``scored_audits`` in SQL (:mod:`audit.store.dashboard`; the table is each
scored audit beside its decision's time, maker and queue, kept by triggers:
:mod:`audit.store.scored_audits`) instead of reading every audited decision
as ``assembly.build`` does; ``tests/review/test_dashboard.py`` and
``tests/audit/test_dashboard_summary.py`` check both give the same k and n.

Open disputes are all unresolved ones, whenever opened: a lead has to
settle each of them. The auditors' work (``audit.metrics.auditors``) is
over the same :data:`ACCURACY_DAYS` days, by when the audits were scored.

:func:`queue_health` is the Queues page's read: review's queue health
(``Store.queue_health``, pending items) with the QA queues' own backlog,
which lives in audit tables review cannot read; :func:`load` puts the same
backlog on the dashboard's queues. The first audit queue (in priority
order) carries every open sample — the auditors' one pool — and the first
calibration queue every open set's answers still to give (each member ×
the active people the set names, or every active answerer when it names
nobody, less those people's answers; sets take items from review queues,
so the items' own queue says nothing). Either is due the queue's SLA after
it arrived (a sample when it was drawn, a set's answers when the set was
made), so "breached" and "at risk" mean what they mean for items.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections import defaultdict
from dataclasses import dataclass

from audit import calibration, metrics, roles
from audit.metrics import auditors
from audit.store import dashboard as dashboard_sql
from review import dashboard as review_dashboard
from review.clock import iso, parse
from review.store import QueueHealth, Store, User
from review.store.automation import AUTOMATION

__all__ = ["ACCURACY_DAYS", "AuditFigures", "DashboardData", "figures", "load", "queue_health", "with_qa_backlog"]

ACCURACY_DAYS = 28


@dataclass(frozen=True)
class AuditFigures:
    since: str  # decisions from this time on count towards accuracy
    by_queue: dict[str, metrics.Proportion]
    by_moderator: dict[str, metrics.Proportion]
    open_disputes: dict[str, int]  # by the queue of the disputed decision
    auditors: tuple[auditors.AuditorWork, ...] = ()  # every auditor's work over the same days

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
    """Every figure of the Dashboard page, for *lead*; ``NotAllowed`` for anyone who is not a lead.

    The queues (table and "Waiting by queue" chart) carry QA's backlog as the Queues page does
    (:func:`with_qa_backlog`), so "QA audit" reads the same on both.
    """
    board = review_dashboard.compute(store, lead)
    backlog = {h.queue.id: h for h in with_qa_backlog(store, [q.health for q in board.queues])}
    queues = tuple(dataclasses.replace(q, health=backlog[q.queue.id]) for q in board.queues)
    return DashboardData(dataclasses.replace(board, queues=queues), figures(store, lead))


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
            if group == "moderator" and key == AUTOMATION:
                continue  # not a person: its accuracy is per rule, on the Automation tab (audit.automation)
            tally[group][key][0] += row.correct
            tally[group][key][1] += row.n
    return AuditFigures(
        since,
        {k: metrics.proportion(*kn) for k, kn in sorted(tally["queue"].items())},
        {k: metrics.proportion(*kn) for k, kn in sorted(tally["moderator"].items())},
        dashboard_sql.open_disputes_by_queue(store),
        tuple(auditors.work(store, lead, since, None)),
    )


def queue_health(store: Store) -> list[QueueHealth]:
    """Every queue's waiting work for the Queues page, QA queues counted in samples and answers (module docstring)."""
    return with_qa_backlog(store, store.queue_health())


def with_qa_backlog(store: Store, rows: list[QueueHealth]) -> list[QueueHealth]:
    """*rows* (review's queue health, priority order) with the first audit and first calibration queue's backlog."""
    now = store.clock.now()
    first = {kind: next((h.queue.id for h in rows if h.queue.kind == kind), None) for kind in ("audit", "calibration")}
    shown = []
    for health in rows:
        queue = health.queue
        late = now - _dt.timedelta(seconds=queue.sla_seconds)  # arrived before this: past due
        soon = late + _dt.timedelta(seconds=queue.sla_seconds / 4)  # due within the next quarter of the SLA
        if queue.id == first["audit"]:
            backlog = dashboard_sql.sample_backlog(store, iso(late), iso(soon))
        elif queue.id == first["calibration"]:
            backlog = dashboard_sql.calibration_backlog(store, iso(late), iso(soon), calibration.ANSWER_ROLES)
        else:
            shown.append(health)
            continue
        shown.append(dataclasses.replace(health, waiting=backlog.waiting, oldest_received_at=backlog.oldest,
                                         breached=backlog.breached, at_risk=backlog.at_risk))
    return shown
