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


def window_where(start: str | None, end: str | None, params: list[Any], *equal: tuple[str, str | None]) -> str:
    clauses = _between("d.decided_at", start, end, params)
    for column, value in equal:
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    return " AND ".join(clauses) or "1 = 1"


# ---------------------------------------------------------------- metrics
#: What a report groups its audited decisions by (``audit.metrics.assembly.BY``), as two key columns: the
#: decision's maker or queue, the audit's auditor, or (by label) the pair of label sets the groups come from.
GROUP_KEYS = {"moderator": ("d.user_id", "NULL"), "queue": ("d.queue_id", "NULL"),
              "auditor": ("v.auditor_id", "NULL"), "label": ("d.labels", "v.blind_labels")}

#: The decision's UTC day where its time is Veil's own text ("2026-01-05T09:40:00.000Z"), else the whole time:
#: the report's weekly trend takes the week of each, so rows of a day are counted together.
_DAY_OR_TIME = ("CASE WHEN length(d.decided_at) = 24 AND substr(d.decided_at, 11, 1) = 'T'"
                " AND substr(d.decided_at, 24, 1) = 'Z' THEN substr(d.decided_at, 1, 10) ELSE d.decided_at END")

DECIDED, JUDGED = "decided", "judged"


def audited(store: Store, start: str | None, end: str | None, moderator: str | None = None) -> list[Row]:
    """Scored audits with final verdicts (only *moderator*'s decisions when given): (decision id, moderator,
    queue, decided at, action, labels JSON, blind action, blind labels JSON, final verdict, final score,
    final error type, dispute state)."""
    params: list[Any] = []
    where = window_where(start, end, params, ("u.name", moderator))
    return store.db.execute(
        f"""SELECT d.id, u.name, q.name, d.decided_at, d.action, d.labels, v.blind_action, v.blind_labels,
                   v.final_verdict, v.final_score, v.final_error_type, {DISPUTE_STATE}
            FROM audit_verdicts v JOIN decisions d ON d.id = v.decision_id
            JOIN users u ON u.id = d.user_id JOIN queues q ON q.id = d.queue_id
            WHERE {where} ORDER BY d.decided_at, d.id""", params).fetchall()


def audited_counts(store: Store, start: str | None, end: str | None, by: str, *, moderator_id: int | None = None,
                   auditor_id: int | None = None) -> list[Row]:
    """The scored audits of decisions made in [start, end), with final verdicts (after disputes), counted per
    group of *by* (:data:`GROUP_KEYS`) in SQL; only *moderator_id*'s decisions, *auditor_id*'s audits when given.

    Two kinds of row, so the report reads a few thousand counts, never each audited decision (30,000 rows of a
    dozen values each were most of ``veil metrics``' time): (:data:`DECIDED`, key, key 2, action, labels JSON,
    blind action, blind labels JSON, NULL, times) and (:data:`JUDGED`, key, key 2, day or time
    (:data:`_DAY_OR_TIME`), final verdict, final error type, dispute state, final score, times). Both come from
    one reading of the audits and their decisions (``MATERIALIZED``: SQLite and PostgreSQL alike).
    """
    params: list[Any] = []
    clauses = _between("d.decided_at", start, end, params)
    for column, value in (("d.user_id", moderator_id), ("v.auditor_id", auditor_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    key, key2 = GROUP_KEYS[by]
    return [tuple(row) for row in store.db.execute(
        f"""WITH counted AS MATERIALIZED (
                SELECT {key} AS k, {key2} AS k2, d.action, d.labels, v.blind_action, v.blind_labels,
                       {_DAY_OR_TIME} AS day, v.final_verdict, v.final_error_type, {DISPUTE_STATE} AS dispute,
                       v.final_score
                FROM audit_verdicts v JOIN decisions d ON d.id = v.decision_id WHERE {" AND ".join(clauses) or "1 = 1"})
            SELECT '{DECIDED}', k, k2, action, labels, blind_action, blind_labels, NULL, COUNT(*) FROM counted
            GROUP BY k, k2, action, labels, blind_action, blind_labels
            UNION ALL
            SELECT '{JUDGED}', k, k2, day, final_verdict, final_error_type, dispute, final_score, COUNT(*)
            FROM counted GROUP BY k, k2, day, final_verdict, final_error_type, dispute, final_score""", params)]


def gold_scored(store: Store, start: str | None, end: str | None, moderator: str | None = None) -> list[Row]:
    """Gold results of decisions not undone (only *moderator*'s when given): (decision id, moderator, queue,
    decided at, labels JSON, expected JSON, correct).

    Read from ``gold_results`` outwards (``CROSS JOIN`` fixes SQLite's join order; a server plans it as an
    inner join): a store holds far fewer gold results than decisions, and driven from ``decisions`` SQLite read
    every decision in the period to find them (for the ORDER BY) even when there were none."""
    params: list[Any] = []
    where = window_where(start, end, params, ("u.name", moderator))
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
    where = window_where(start, end, params)
    answered = (f"(({ANSWERED} AND i.state <> 'pending' AND NOT EXISTS (SELECT 1 FROM escalations x"
                " WHERE x.decision_id = d.id)) OR (" + LIVE + " AND EXISTS (SELECT 1 FROM escalations x"
                " WHERE x.decision_id = d.id AND COALESCE(x.outcome, '') NOT IN ('sent_back', 'moved_out'))))")
    return [tuple(r) for r in store.db.execute(
        "SELECT q.name, COUNT(DISTINCT d.item_id), COUNT(DISTINCT CASE WHEN d.decided_at <= due THEN d.item_id END)"
        f" FROM (SELECT d.*, {DUE_THEN} AS due FROM decisions d JOIN items i ON i.id = d.item_id"
        f" WHERE {answered} AND {where}) d JOIN queues q ON q.id = d.queue_id GROUP BY q.name ORDER BY q.name",
        params).fetchall()]


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
