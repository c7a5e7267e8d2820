"""The reads behind QA's figures and exports: audited decisions, gold results, export rows, team exposure.

Periods are ``[start, end)`` in Veil's canonical UTC text (either bound may
be missing), applied to when the *decision* was made; ``audit.metrics``
and ``audit.exports`` decide them. Export rows stream: each function
returns the row count and an iterator read as the file is written. The
one write is :func:`log_export`, the event that says a file was written.

:func:`snapshot` is the anchor of an export or report: every read inside
it sees the store as it was at the head it yields (one read transaction),
so "made from event N" names exactly the history the file's rows came from.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from audit.store.schema import ANSWERED, LIVE
from review.store import Store
from review.store.connection import read_snapshot
from review.store.events import Head, head

Row = tuple[Any, ...]

#: The due time the item had when decision ``d`` was made. An item's due time changes when it is escalated (to
#: the escalation queue's; a lead's move between escalation queues changes it again while it waits there), and
#: each escalation keeps the due time just before it (``escalations.due_before``, restored if it is sent back or
#: undone), so: the due time before the first escalation made by ``d`` or after it, else the item's due time
#: now. An escalating decision gets the due time the item had in its origin queue.
DUE_THEN = ("COALESCE((SELECT e.due_before FROM escalations e WHERE e.item_id = d.item_id AND e.decision_id >= d.id"
            " ORDER BY e.decision_id LIMIT 1), i.due_at)")

#: A dispute's state as the exports say it: none, open, or how it was resolved.
DISPUTE_STATE = "CASE WHEN v.dispute_id IS NULL THEN NULL ELSE COALESCE(v.dispute_outcome, 'open') END"


@contextlib.contextmanager
def snapshot(store: Store) -> Iterator[Head]:
    """One read snapshot of the store; yields the event log's head as of that snapshot.

    A deferred transaction whose first read (the head) fixes what every
    later read inside sees (SQLite's WAL snapshot; a server's repeatable read), however many writers
    commit meanwhile; it writes nothing and ends with the block. Inside a
    transaction already open on this connection, that transaction is the
    snapshot. Nothing may write inside the block (a pseudonym secret is
    created before it).
    """
    with read_snapshot(store.db):
        yield head(store.db)


def _between(column: str, start: str | None, end: str | None, params: list[Any]) -> list[str]:
    """SQL conditions for start <= column < end (either bound may be missing)."""
    clauses = []
    for sql, value in ((f"{column} >= ?", start), (f"{column} < ?", end)):
        if value:
            clauses.append(sql)
            params.append(value)
    return clauses


def _where(start: str | None, end: str | None, params: list[Any], *equal: tuple[str, str | None]) -> str:
    clauses = _between("d.decided_at", start, end, params)
    for column, value in equal:
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    return " AND ".join(clauses) or "1 = 1"


# ---------------------------------------------------------------- metrics
def audited(store: Store, start: str | None, end: str | None, moderator: str | None = None) -> list[Row]:
    """Scored audits with final verdicts (only *moderator*'s decisions when given): (decision id, moderator,
    queue, decided at, action, labels JSON, blind action, blind labels JSON, final verdict, final score,
    final error type, dispute state)."""
    params: list[Any] = []
    where = _where(start, end, params, ("u.name", moderator))
    return store.db.execute(
        f"""SELECT d.id, u.name, q.name, d.decided_at, d.action, d.labels, v.blind_action, v.blind_labels,
                   v.final_verdict, v.final_score, v.final_error_type, {DISPUTE_STATE}
            FROM audit_verdicts v JOIN decisions d ON d.id = v.decision_id
            JOIN users u ON u.id = d.user_id JOIN queues q ON q.id = d.queue_id
            WHERE {where} ORDER BY d.decided_at, d.id""", params).fetchall()


def gold_scored(store: Store, start: str | None, end: str | None, moderator: str | None = None) -> list[Row]:
    """Gold results of decisions not undone (only *moderator*'s when given): (decision id, moderator, queue,
    decided at, labels JSON, expected JSON, correct).

    Read from ``gold_results`` outwards (``CROSS JOIN`` fixes SQLite's join order; a server plans it as an
    inner join): a store holds far fewer gold results than decisions, and driven from ``decisions`` SQLite read
    every decision in the period to find them (for the ORDER BY) even when there were none."""
    params: list[Any] = []
    where = _where(start, end, params, ("u.name", moderator))
    return store.db.execute(
        f"""SELECT d.id, u.name, q.name, d.decided_at, d.labels, g.expected, g.correct
            FROM gold_results g CROSS JOIN decisions d CROSS JOIN users u CROSS JOIN queues q
            WHERE d.id = g.decision_id AND u.id = d.user_id AND q.id = d.queue_id
              AND {LIVE} AND {where} ORDER BY d.decided_at, d.id""", params).fetchall()


def sla_by_queue(store: Store, start: str | None, end: str | None) -> list[Row]:
    """Per queue, the items it answered in the period: (queue, answered, answered by their due time), by name.

    A queue answers an item with the decision that closed it (the item's current decision, the item no longer
    pending), against the due time the item had in that queue; or, for the queue an item was escalated from,
    with the escalation itself, against the due time the item had there before it (:data:`DUE_THEN`). So an
    item escalated late and still waiting counts as a breach of its origin queue, never as "within" by the
    escalation queue's later due time, and the escalation queue answers it when a lead decides it. An
    escalation a lead sent back, or moved out into a review queue, was no answer (a review queue still owes
    one); an undone one is gone (the
    undo revokes it). These are the SLAs the team was asked to meet in that period, not today's queues.
    """
    params: list[Any] = []
    where = _where(start, end, params)
    answered = (f"(({ANSWERED} AND i.state <> 'pending' AND NOT EXISTS (SELECT 1 FROM escalations x"
                " WHERE x.decision_id = d.id)) OR (" + LIVE + " AND EXISTS (SELECT 1 FROM escalations x"
                " WHERE x.decision_id = d.id AND COALESCE(x.outcome, '') NOT IN ('sent_back', 'moved_out'))))")
    return [tuple(r) for r in store.db.execute(
        "SELECT q.name, COUNT(DISTINCT d.item_id), COUNT(DISTINCT CASE WHEN d.decided_at <= due THEN d.item_id END)"
        f" FROM (SELECT d.*, {DUE_THEN} AS due FROM decisions d JOIN items i ON i.id = d.item_id"
        f" WHERE {answered} AND {where}) d JOIN queues q ON q.id = d.queue_id GROUP BY q.name ORDER BY q.name",
        params).fetchall()]


# ---------------------------------------------------------------- exports
def _stream(store: Store, select: str, body: str, params: list[Any]) -> tuple[int, Iterator[Row]]:
    """Count, then the rows oldest decision first: the cursor itself, read as the writer goes (both drivers give
    rows as tuples; a generator copying each was an export's largest single cost)."""
    count = int(store.db.execute(f"SELECT COUNT(*) {body}", params).fetchone()[0])
    return count, iter(store.db.execute(f"SELECT {select} {body} ORDER BY d.decided_at, d.id", params))


def decision_rows(store: Store, start: str | None, end: str | None, queue: str | None,
                  moderator: str | None) -> tuple[int, Iterator[Row]]:
    """Every decision row, undo rows too: (id, decided at, shown at, item received at, item due at, queue,
    item id, external id, item kind, severity, moderator, action, labels JSON, note, handle ms, revealed ms,
    source, revokes id, revoked by). The due time is the one the item had when that decision was made
    (:data:`DUE_THEN`): an escalation's is its origin queue's, a lead's decision after it the escalation queue's."""
    params: list[Any] = []
    where = _where(start, end, params, ("q.name", queue), ("u.name", moderator))
    body = (
        "FROM decisions d JOIN users u ON u.id = d.user_id JOIN queues q ON q.id = d.queue_id"
        " JOIN items i ON i.id = d.item_id"
        " LEFT JOIN (SELECT revokes_id, MAX(id) AS revoked_by FROM decisions WHERE revokes_id IS NOT NULL"
        " GROUP BY revokes_id) r ON r.revokes_id = d.id"
        f" WHERE {where}"
    )
    return _stream(store, f"d.id, d.decided_at, d.shown_at, i.received_at, {DUE_THEN}, q.name, i.id, i.external_id,"
                          " i.kind, i.severity, u.name,"
                          " d.action, d.labels, d.note, d.handle_ms, d.revealed_ms, d.source, d.revokes_id,"
                          " r.revoked_by", body, params)


def audit_rows(store: Store, start: str | None, end: str | None, queue: str | None,
               moderator: str | None) -> tuple[int, Iterator[Row]]:
    """Every scored audit: (audit id, sample id, sample reason, decision id, decided at, queue, external id,
    moderator, action, labels JSON, auditor, blind action, blind labels JSON, verdict, error type, severity,
    score, comment, scored at, dispute state, dispute reason, resolution note, resolver, resolved at, final
    verdict, final error type, final severity, final score)."""
    params: list[Any] = []
    where = _where(start, end, params, ("q.name", queue), ("mu.name", moderator))
    body = (
        "FROM audit_verdicts v JOIN decisions d ON d.id = v.decision_id JOIN audit_samples s ON s.id = v.sample_id"
        " JOIN users mu ON mu.id = d.user_id JOIN users au ON au.id = v.auditor_id"
        " JOIN queues q ON q.id = d.queue_id JOIN items i ON i.id = d.item_id"
        # the view says whether and how a dispute ended; what it does not carry is its reason, note and resolver
        " LEFT JOIN disputes dp ON dp.id = v.dispute_id LEFT JOIN dispute_resolutions r ON r.dispute_id = v.dispute_id"
        " LEFT JOIN users ru ON ru.id = r.lead_id"
        f" WHERE {where}"
    )
    return _stream(store, "v.audit_id, v.sample_id, s.reason, d.id, d.decided_at, q.name, i.external_id, mu.name,"
                          " d.action, d.labels, au.name, v.blind_action, v.blind_labels, v.verdict, v.error_type,"
                          f" v.severity, v.score, v.comment, v.scored_at, {DISPUTE_STATE},"
                          " dp.reason, r.note, ru.name, r.resolved_at,"
                          " v.final_verdict, v.final_error_type, v.final_severity, v.final_score", body, params)


def exposure_sums(store: Store, start: str | None, end: str | None) -> tuple[Row, list[Row], dict[str, int]]:
    """The team's exposure in [start, end) by when it started, never per person.

    (people, items, person-days, blurred ms, revealed ms, region ms, video ms); per severity (severity,
    items, on-screen ms, revealed ms), most on screen first; break event kind -> count.
    """
    params: list[Any] = []
    where = "".join(f" AND {c}" for c in _between("started_at", start, end, params))
    totals = tuple(store.db.execute(
        "SELECT COUNT(DISTINCT user_id), COUNT(*), COUNT(DISTINCT user_id || ':' || day), COALESCE(SUM(blurred_ms), 0),"
        " COALESCE(SUM(revealed_ms), 0), COALESCE(SUM(region_ms), 0), COALESCE(SUM(video_ms), 0)"
        f" FROM exposure WHERE 1 = 1{where}", params).fetchone())
    severity = store.db.execute(
        "SELECT COALESCE(severity, 'unknown'), COUNT(*), COALESCE(SUM(blurred_ms + revealed_ms + region_ms), 0),"
        f" COALESCE(SUM(revealed_ms + region_ms), 0) FROM exposure WHERE 1 = 1{where}"
        " GROUP BY 1 ORDER BY 3 DESC", params).fetchall()
    event_params: list[Any] = []
    event_where = "".join(f" AND {c}" for c in _between("at", start, end, event_params))
    breaks = dict(store.db.execute(
        f"SELECT kind, COUNT(*) FROM wellbeing_events WHERE kind IN ('break_taken', 'break_enforced', 'snoozed')"
        f"{event_where} GROUP BY kind", event_params).fetchall())
    return totals, [tuple(r) for r in severity], breaks


def log_export(store: Store, actor: str, kind: str, details: dict[str, Any]) -> None:
    """Log ``export.written`` for an export of *kind* (its format, file, filters, size), in one transaction."""
    with store.transaction():
        store.log(actor, "export.written", f"export:{kind}", details)
