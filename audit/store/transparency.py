"""The reads behind the DSA transparency counts (``audit.compliance.transparency``), each over a period.

Periods are ``[start, end)`` in Veil's canonical UTC text (either bound may
be missing). Complaint items (``complaints.item_id``) are neither notices
nor actions: they are counted as complaints. Every function reads; the
caller runs them inside one snapshot (``audit.store.reports.snapshot``).
"""

from __future__ import annotations

import json
from typing import Any

from audit.store.schema import LIVE
from review.store import Store

_NOT_A_COMPLAINT = "NOT EXISTS (SELECT 1 FROM complaints k WHERE k.item_id = {item})"


def _period(column: str, start: str | None, end: str | None, params: list[Any]) -> str:
    clauses = []
    if start:
        clauses.append(f"{column} >= ?")
        params.append(start)
    if end:
        clauses.append(f"{column} < ?")
        params.append(end)
    return "".join(f" AND {c}" for c in clauses)


def notices(store: Store, start: str | None, end: str | None) -> list[tuple[str | None, str | None, int]]:
    """(report source, reported category, count) of the items received in the period (metadata ``source`` and
    ``category``; None where the report gave none)."""
    params: list[Any] = []
    where = _period("i.received_at", start, end, params)
    return [(r[0], r[1], r[2]) for r in store.db.execute(
        f"""SELECT CASE WHEN json_valid(i.metadata) THEN CAST(json_extract(i.metadata, '$.source') AS TEXT) END AS src,
                   CASE WHEN json_valid(i.metadata) THEN CAST(json_extract(i.metadata, '$.category') AS TEXT) END
                       AS cat, COUNT(*)
            FROM items i WHERE {_NOT_A_COMPLAINT.format(item="i.id")}{where}
            GROUP BY src, cat ORDER BY src, cat""", params)]


def actions(store: Store, start: str | None, end: str | None) -> list[tuple[str, tuple[str, ...], str, str, str]]:
    """(action, labels, decision source, decided at, the item's arrival) of every decision taken on an item in the
    period: live (not undone), not an escalation (a lead decides those), not closing a complaint."""
    params: list[Any] = []
    where = _period("d.decided_at", start, end, params)
    rows = store.db.execute(
        f"""SELECT d.action, d.labels, d.source, d.decided_at, i.received_at
            FROM decisions d JOIN items i ON i.id = d.item_id
            WHERE {LIVE} AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.decision_id = d.id)
              AND {_NOT_A_COMPLAINT.format(item="d.item_id")}{where} ORDER BY d.id""", params)
    return [(action, tuple(json.loads(labels or "[]")), source, decided, received)
            for action, labels, source, decided, received in rows]


def complaints(store: Store, start: str | None, end: str | None) -> list[tuple[str, str | None, str | None]]:
    """(received at, outcome or None while open, resolved at) of each complaint received in the period."""
    params: list[Any] = []
    where = _period("c.received_at", start, end, params)
    return [(r[0], r[1], r[2]) for r in store.db.execute(
        f"SELECT c.received_at, c.outcome, c.resolved_at FROM complaints c WHERE 1 = 1{where} ORDER BY c.id", params)]


def statements(store: Store, start: str | None, end: str | None) -> tuple[int, int, int]:
    """(exported in the period, accepted by the database in the period, exported in the period and refused by it,
    not accepted since)."""
    exported: list[Any] = []
    accepted: list[Any] = []
    refused: list[Any] = []
    sql = (f"""SELECT (SELECT COUNT(*) FROM dsa_statements s
                           WHERE 1 = 1{_period('s.exported_at', start, end, exported)}),
                      (SELECT COUNT(*) FROM dsa_statements s WHERE s.accepted_at IS NOT NULL
                           {_period('s.accepted_at', start, end, accepted)}),
                      (SELECT COUNT(*) FROM dsa_statements s WHERE s.accepted_at IS NULL AND s.last_error IS NOT NULL
                           {_period('s.exported_at', start, end, refused)})""")
    row = store.db.execute(sql, [*exported, *accepted, *refused]).fetchone()
    return int(row[0]), int(row[1]), int(row[2])
