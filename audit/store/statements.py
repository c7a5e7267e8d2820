"""SQL of DSA statements: the decisions they come from, and ``dsa_statements`` (what was exported).

Decisions are read with what a statement may say about them and nothing
else: the action, the labels, when and by what (a person, a rule) it was
decided, and the item's kind, report source, language, dates and external
id. No reviewer name and no note is selected, so none can reach a
statement. The export's rows and its ``statements.exported`` event are one
transaction (:func:`record_export`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from audit.store.schema import LIVE
from review.store import Store
from review.store.bound import marks, slices


@dataclass(frozen=True)
class DecisionFacts:
    """What a statement may be built from: one live decision and its item, nothing personal."""

    id: int
    item_id: int
    external_id: str
    action: str
    labels: tuple[str, ...]
    decided_at: str
    decided_by: str  # the decision's source: "review", "import", "demo", "rule"
    kind: str
    received_at: str
    metadata: dict[str, Any]


#: A row a case's decision applied (source ``case``) was decided by what decided the case: a person or a rule.
_SELECT = """SELECT d.id, d.item_id, i.external_id, d.action, d.labels, d.decided_at, COALESCE(c.source, d.source),
                    i.kind, i.received_at, i.metadata
             FROM decisions d JOIN items i ON i.id = d.item_id
             LEFT JOIN decisions c ON c.id = d.applies_id AND d.source = 'case' AND d.revokes_id IS NULL"""


def _facts(row: Sequence[Any]) -> DecisionFacts:
    metadata = json.loads(row[9] or "{}")
    return DecisionFacts(int(row[0]), int(row[1]), row[2], row[3], tuple(json.loads(row[4] or "[]")), row[5], row[6],
                         row[7], row[8], metadata if isinstance(metadata, dict) else {})


def decisions_between(store: Store, start: str, end: str) -> list[DecisionFacts]:
    """Every live decision made in [start, end) (ISO times), oldest first, but those closing a complaint.

    A complaint's own item is the complainant's request, not content: deciding it (upheld or reversed) restricts
    nobody, and a reversal is a new decision on the original item, which gets its own statement.
    """
    return [facts for chunk in decision_chunks(store, start, end) for facts in chunk]


def decision_chunks(store: Store, start: str, end: str, *, leaving_out: Sequence[str] = (),
                    size: int = 2000) -> Iterator[list[DecisionFacts]]:
    """:func:`decisions_between`, *size* decisions at a time from one statement, without those whose action is
    in *leaving_out* (the actions the mapping says restrict nothing, which get no statement): a period check
    of a million decisions holds one chunk, and can stop between two."""
    skip = list(leaving_out)
    cursor = store.db.execute(f"{_SELECT} WHERE {LIVE} AND d.decided_at >= ? AND d.decided_at < ?"
                              + (f" AND d.action NOT IN ({marks(skip)})" if skip else "")
                              + " AND NOT EXISTS (SELECT 1 FROM complaints k WHERE k.item_id = d.item_id)"
                              " ORDER BY d.id", [start, end, *skip])
    while rows := cursor.fetchmany(size):
        yield [_facts(r) for r in rows]


def latest_between(store: Store, start: str, end: str, limit: int) -> list[DecisionFacts]:
    """The *limit* latest of :func:`decisions_between`'s decisions, oldest first: read back from the newest, not
    every decision of the period (a month of a site's is hundreds of thousands)."""
    rows = store.db.execute(f"{_SELECT} WHERE {LIVE} AND d.decided_at >= ? AND d.decided_at < ?"
                            " AND NOT EXISTS (SELECT 1 FROM complaints k WHERE k.item_id = d.item_id)"
                            " ORDER BY d.id DESC LIMIT ?", [start, end, limit]).fetchall()
    return [_facts(r) for r in reversed(rows)]


def sources_between(store: Store, start: str, end: str) -> list[str]:
    """The report sources (the items' metadata ``source``, as text; blank or none as ``""``) of
    :func:`decisions_between`'s decisions, each once, in order: gathered in SQL, no decision's facts built."""
    rows = store.db.execute(
        "SELECT DISTINCT COALESCE(CASE WHEN json_valid(i.metadata) THEN CAST(json_extract(i.metadata, '$.source')"
        " AS TEXT) END, '') FROM decisions d JOIN items i ON i.id = d.item_id"
        f" WHERE {LIVE} AND d.decided_at >= ? AND d.decided_at < ?"
        " AND NOT EXISTS (SELECT 1 FROM complaints k WHERE k.item_id = d.item_id) ORDER BY 1", [start, end])
    return [str(source) for (source,) in rows]


def count_between(store: Store, start: str, end: str, *, leaving_out: Sequence[str] = ()) -> int:
    """How many decisions :func:`decisions_between` would give for [start, end), counted in SQL."""
    skip = list(leaving_out)
    row = store.db.execute(f"SELECT COUNT(*) FROM decisions d JOIN items i ON i.id = d.item_id WHERE {LIVE}"
                           " AND d.decided_at >= ? AND d.decided_at < ?"
                           + (f" AND d.action NOT IN ({marks(skip)})" if skip else "")
                           + " AND NOT EXISTS (SELECT 1 FROM complaints k WHERE k.item_id = d.item_id)",
                           [start, end, *skip]).fetchone()
    return int(row[0])


def decision(store: Store, decision_id: int) -> DecisionFacts | None:
    """The facts of *decision_id* when it is live; None for an unknown, undone or revoking decision, which no
    statement is built for."""
    row = store.db.execute(f"{_SELECT} WHERE {LIVE} AND d.id = ?", [decision_id]).fetchone()
    return _facts(row) if row else None


def item(store: Store, item_id: int) -> tuple[str, str, str, dict[str, Any]] | None:
    """(external id, kind, received at, metadata) of an item, for a statement previewed before its decision."""
    row = store.db.execute("SELECT external_id, kind, received_at, metadata FROM items WHERE id = ?",
                           [item_id]).fetchone()
    if row is None:
        return None
    metadata = json.loads(row[3] or "{}")
    return row[0], row[1], row[2], metadata if isinstance(metadata, dict) else {}


def workspace_token(store: Store) -> str:
    """The hash of the store's first event: fixed for the life of the store, different in every other store."""
    row = store.db.execute("SELECT hash FROM events ORDER BY id LIMIT 1").fetchone()
    return str(row[0]) if row else ""


def exported(store: Store, decision_ids: Sequence[int]) -> dict[int, str]:
    """decision id → the file it was last exported to, for those of *decision_ids* already exported."""
    found: dict[int, str] = {}
    for chunk in slices(list(decision_ids)):
        found.update(store.db.execute(
            f"SELECT decision_id, export_file FROM dsa_statements WHERE decision_id IN ({marks(chunk)})",
            chunk).fetchall())
    return found


def record_export(store: Store, actor: str, written: Sequence[tuple[int, str, str, str]],
                  details: dict[str, Any]) -> None:
    """Record (decision id, puid, statement JSON, file name) rows and log ``statements.exported`` with *details*.

    A re-export (``--again``) replaces the statement and the file of a row
    it already has, keeping its submission columns: an accepted statement
    stays accepted.
    """
    now = store.now()
    with store.transaction():
        for decision_id, puid, statement, file in written:
            store.db.execute(
                """INSERT INTO dsa_statements (decision_id, puid, statement, exported_at, export_file)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (decision_id) DO UPDATE SET statement = excluded.statement,
                       exported_at = excluded.exported_at, export_file = excluded.export_file""",
                [decision_id, puid, statement, now, file])
        store.log(actor, "statements.exported", "statements", details)
