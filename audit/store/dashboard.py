"""SQL behind the audit side of the lead's dashboard and the Queues page: accuracy, disputes, QA work.

Grouped reads, in the SQL SQLite and PostgreSQL share. Accuracy and the
auditors' times per audit read ``scored_audits``
(:mod:`audit.store.scored_audits`: each scored audit beside its decision's
time, maker and queue and the milliseconds from its opening to its score,
kept by triggers), not each audit's decision and sample: on a
1,000,000-decision store with 30,000 audits reading those cost ~60 ms of
the dashboard and the table ~10 (``benchmarks/bench_dashboard.py``).

QA's own work lives in audit tables, not in items, so review's queue
health cannot see it: :func:`sample_backlog` and :func:`calibration_backlog`
count what waits in the audit and calibration queues, and
:func:`auditor_tallies` and :func:`audit_times` are each auditor's work
(``audit.metrics.auditors``), counted in SQL with the period and the
auditor in the WHERE, from ``scored_audits``' score-time index alone
(audit step m009 put the final verdict in it, m010 the milliseconds) and
the few disputes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
        "SELECT user_id, queue_id, SUM(correct), COUNT(*) FROM scored_audits WHERE decided_at >= ?"
        " GROUP BY user_id, queue_id", [since]
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


@dataclass(frozen=True)
class Backlog:
    """Open QA work in one queue, counted like review's waiting items (``review.store.QueueHealth``)."""

    waiting: int
    oldest: str | None  # when the oldest of it arrived
    breached: int  # past arrival + the queue's SLA
    at_risk: int  # due within the next quarter of the SLA


def sample_backlog(store: Store, breached_before: str, at_risk_before: str) -> Backlog:
    """Open samples (drawn, not yet scored or cancelled): how many, the oldest, and how many are late.

    A sample is due its audit queue's SLA after it was drawn: drawn before
    *breached_before* it is past due, before *at_risk_before* due soon.
    """
    waiting, oldest, breached, at_risk = store.db.execute(
        """SELECT COUNT(*), MIN(created_at),
                  COALESCE(SUM(CASE WHEN created_at <= :late THEN 1 ELSE 0 END), 0),
                  COALESCE(SUM(CASE WHEN created_at > :late AND created_at <= :soon THEN 1 ELSE 0 END), 0)
           FROM audit_samples WHERE state = 'open'""",
        {"late": breached_before, "soon": at_risk_before}).fetchone()
    return Backlog(int(waiting), oldest, int(breached), int(at_risk))


def calibration_backlog(store: Store, breached_before: str, at_risk_before: str, answer_roles: Sequence[str]
                        ) -> Backlog:
    """Calibration answers still owed on the open sets, counted like :func:`sample_backlog`.

    A set is answered by the active people it names, or, naming nobody, by
    every active person with one of *answer_roles*; each owes an answer per
    member item (wherever the item sits: sets take items from review
    queues), less the answers they gave. A deactivated person owes nothing
    and their answers pay nobody's debt. Closed sets owe nothing. A set's
    answers are due from when it was made.
    """
    has_role = " OR ".join("(',' || u.roles || ',') LIKE ?" for _ in answer_roles) or "0 = 1"
    waiting, oldest, breached, at_risk = store.db.execute(
        f"""WITH open_sets AS (SELECT id, created_at FROM calibration_sets WHERE closed_at IS NULL),
                 answerers AS (
                     SELECT p.set_id, p.user_id FROM open_sets s JOIN calibration_people p ON p.set_id = s.id
                     JOIN users u ON u.id = p.user_id WHERE u.active = 1
                     UNION ALL
                     SELECT s.id, u.id FROM open_sets s JOIN users u ON u.active = 1 AND ({has_role})
                     WHERE NOT EXISTS (SELECT 1 FROM calibration_people p WHERE p.set_id = s.id)),
                 owed AS (
                     SELECT s.created_at,
                            (SELECT COUNT(*) FROM answerers w WHERE w.set_id = s.id)
                            * (SELECT COUNT(*) FROM calibration_members m WHERE m.set_id = s.id)
                            - (SELECT COUNT(*) FROM calibration_answers a JOIN answerers w
                               ON w.set_id = a.set_id AND w.user_id = a.user_id WHERE a.set_id = s.id) AS n
                     FROM open_sets s)
            SELECT COALESCE(SUM(n), 0), MIN(created_at),
                   COALESCE(SUM(CASE WHEN created_at <= ? THEN n ELSE 0 END), 0),
                   COALESCE(SUM(CASE WHEN created_at > ? AND created_at <= ? THEN n ELSE 0 END), 0)
            FROM owed WHERE n > 0""",
        [*(f"%,{role},%" for role in answer_roles), breached_before, breached_before, at_risk_before]).fetchone()
    return Backlog(int(waiting), oldest, int(breached), int(at_risk))


@dataclass(frozen=True)
class AuditorTally:
    """One auditor's audits scored in a period, counted: their own verdicts and the fate of the disputes."""

    auditor: str
    audits: int
    judged_wrong: int  # scored incorrect (their own verdict, before any dispute)
    first_scored_at: str
    disputes_opened: int
    disputes_open: int
    disputes_upheld: int
    disputes_overturned: int


def _scored_in(start: str | None, end: str | None, auditor_id: int | None, alias: str = "") -> tuple[str, list[Any]]:
    """The WHERE of scored audits (``audits`` or ``scored_audits``, called *alias*) scored in [start, end), only
    *auditor_id*'s when given."""
    clauses, params = [f"{alias}scored_at IS NOT NULL"], []
    for sql, value in ((f"{alias}scored_at >= ?", start), (f"{alias}scored_at < ?", end),
                       (f"{alias}auditor_id = ?", auditor_id)):
        if value is not None:
            clauses.append(sql)
            params.append(value)
    return " AND ".join(clauses), params


def auditor_tallies(store: Store, start: str | None, end: str | None, auditor_id: int | None = None
                    ) -> list[AuditorTally]:
    """Per auditor, their audits scored in [start, end) (either bound may be missing), counted in SQL.

    The audits are counted from ``scored_audits``' score-time index alone (its final verdict: m009), the
    disputes from the disputes outwards (a few hundred, where the audits are tens of thousands). An audit they
    judged incorrect is incorrect still, or was overturned on dispute.
    """
    where, params = _scored_in(start, end, auditor_id)
    rows = store.db.execute(
        f"""SELECT u.name, t.audits, t.wrong, t.first FROM (
                SELECT auditor_id, COUNT(*) AS audits, SUM(CASE WHEN correct = 0 THEN 1 ELSE 0 END) AS wrong,
                       MIN(scored_at) AS first
                FROM scored_audits WHERE {where} GROUP BY auditor_id) t JOIN users u ON u.id = t.auditor_id""",
        params).fetchall()
    where, params = _scored_in(start, end, auditor_id, "a.")
    disputes = {str(name): counts for name, *counts in store.db.execute(
        f"""SELECT u.name, COUNT(*), SUM(CASE WHEN r.outcome IS NULL THEN 1 ELSE 0 END),
                   SUM(CASE WHEN r.outcome = 'upheld' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN r.outcome = 'overturned' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN r.outcome = 'overturned' AND a.verdict = 'incorrect' THEN 1 ELSE 0 END)
            FROM disputes p CROSS JOIN audits a CROSS JOIN users u
            LEFT JOIN dispute_resolutions r ON r.dispute_id = p.id
            WHERE a.id = p.audit_id AND u.id = a.auditor_id AND {where} GROUP BY u.name""", params)}
    tallies = []
    for name, audits, wrong, first in rows:
        opened, still_open, upheld, overturned, judged_wrong_then = disputes.get(str(name), (0, 0, 0, 0, 0))
        tallies.append(AuditorTally(str(name), int(audits), int(wrong) + int(judged_wrong_then), str(first),
                                    int(opened), int(still_open), int(upheld), int(overturned)))
    return tallies


def audit_times(store: Store, start: str | None, end: str | None, auditor_id: int | None = None
                ) -> list[tuple[int, int]]:
    """(auditor id, milliseconds from opening to score) of the audits scored in [start, end) that were opened in Veil.

    Opened is the sample's last claim; the milliseconds are kept in ``scored_audits`` (audit step m010) and read
    from its score-time index alone. Imported audits have none and are left out, as is an opening after the score.
    """
    where, params = _scored_in(start, end, auditor_id)
    rows: list[tuple[int, int]] = store.db.execute(  # every value NOT NULL or filtered: no conversion
        f"SELECT auditor_id, audit_ms FROM scored_audits WHERE {where} AND audit_ms >= 0", params).fetchall()
    return rows


def open_samples_held(store: Store) -> dict[str, int]:
    """Auditor name -> open samples assigned to or claimed by them."""
    return {str(name): int(count) for name, count in store.db.execute(
        "SELECT u.name, COUNT(*) FROM audit_samples s JOIN users u ON u.id = s.auditor_id"
        " WHERE s.state = 'open' GROUP BY u.name")}
