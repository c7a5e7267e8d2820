"""The rows of the decisions and audits exports, read as values or with the store formatting runs of columns.

Each table is one list of SQL expressions in the export's column order (``audit.exports.tables``:
``DECISION_COLUMNS``, ``AUDIT_COLUMNS``) over one join, so the values every format reads and the CSV's
store-formatted text come from the same SQL. What a column derives from others is derived here too (whether a
decision is current, the rule that automated it or the decision it applies, whether an audit's final verdict is
correct), once, for every format.

Why the store formats: a bare ``SELECT`` of the audits' 29 columns written with the ``csv`` module manages about
130,000 rows per CPU-second, and most of that is the driver making a Python object of every cell. A CSV
export needs each cell only as its text, so :meth:`Rows.segments` asks the store for each run of columns a
CSV writes as stored as one text, the cells joined by :data:`SEPARATOR` (``format('%s…%s', …)``, which SQLite
and PostgreSQL both have and both write NULL as nothing with), and only the columns Python must convert (label
sets, numbers with a unit, pseudonyms) as values: a few objects a row instead of 29.

Periods are ``[start, end)`` on when the decision was made, as everywhere in QA's reads
(``audit.store.reports``); rows come oldest decision first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from audit.store.reports import DISPUTE_STATE, DUE_THEN, window_where
from review.store import Store

Row = tuple[Any, ...]

#: Between the cells of a store-formatted run: the ASCII unit separator, a control character no name, word or
#: time Veil writes holds (a free text that does hold one is found by its count, ``audit.exports.csv_lines``).
SEPARATOR = "\x1f"

DECISION_SQL = (
    "d.id", "d.decided_at", "d.shown_at", "i.received_at", DUE_THEN, "q.name", "i.id", "i.external_id", "i.kind",
    "i.severity", "u.name", "d.action", "d.labels", "d.note", "d.handle_ms", "d.revealed_ms", "d.source",
    "d.revokes_id", "r.revoked_by",
    # current: neither an undo nor undone (booleans as the words a CSV writes: the store formats them there)
    "CASE WHEN d.revokes_id IS NULL AND r.revoked_by IS NULL THEN 'true' ELSE 'false' END",
    # the rule that automated the decision, or the one that automated the decision a case's row applies
    "CASE WHEN ad.decision_id IS NOT NULL THEN ad.rule ELSE aa.rule END",
    "CASE WHEN ad.decision_id IS NOT NULL THEN ad.version ELSE aa.version END",
    "d.applies_id",
)
DECISION_BODY = (
    "FROM decisions d JOIN users u ON u.id = d.user_id JOIN queues q ON q.id = d.queue_id"
    " JOIN items i ON i.id = d.item_id"
    " LEFT JOIN (SELECT revokes_id, MAX(id) AS revoked_by FROM decisions WHERE revokes_id IS NOT NULL"
    " GROUP BY revokes_id) r ON r.revokes_id = d.id"
    " LEFT JOIN automated_decisions ad ON ad.decision_id = d.id"
    " LEFT JOIN automated_decisions aa ON aa.decision_id = d.applies_id"
)

AUDIT_SQL = (
    "v.audit_id", "v.sample_id", "s.reason", "d.id", "d.decided_at", "q.name", "i.external_id", "mu.name",
    "d.action", "d.labels", "au.name", "v.blind_action", "v.blind_labels", "v.verdict", "v.error_type",
    "v.severity", "v.score", "v.comment", "v.scored_at", DISPUTE_STATE, "dp.reason", "r.note", "ru.name",
    "r.resolved_at", "v.final_verdict", "v.final_error_type", "v.final_severity", "v.final_score",
    "CASE WHEN v.final_verdict = 'correct' THEN 'true' ELSE 'false' END",
)
AUDIT_BODY = (
    "FROM audit_verdicts v JOIN decisions d ON d.id = v.decision_id JOIN audit_samples s ON s.id = v.sample_id"
    " JOIN users mu ON mu.id = d.user_id JOIN users au ON au.id = v.auditor_id"
    " JOIN queues q ON q.id = d.queue_id JOIN items i ON i.id = d.item_id"
    # the view says whether and how a dispute ended; what it does not carry is its reason, note and resolver
    " LEFT JOIN disputes dp ON dp.id = v.dispute_id LEFT JOIN dispute_resolutions r ON r.dispute_id = v.dispute_id"
    " LEFT JOIN users ru ON ru.id = r.lead_id"
)


@dataclass(frozen=True)
class Rows:
    """One export table's rows in a period, read inside the caller's snapshot (``reports.snapshot``)."""

    store: Store
    columns: Sequence[str]  # SQL expressions, in the export's column order
    body: str  # FROM … WHERE …
    params: Sequence[Any]

    def count(self) -> int:
        return int(self.store.db.execute(f"SELECT COUNT(*) {self.body}", list(self.params)).fetchone()[0])

    def select(self, expressions: Sequence[str]) -> str:
        """The statement reading *expressions* per row, oldest decision first (what the benchmark's floor runs)."""
        return f"SELECT {', '.join(expressions)} {self.body} ORDER BY d.decided_at, d.id"

    def rows(self) -> Iterator[Row]:
        """Every column's value, a tuple per row: the cursor itself, read as the writer goes."""
        return iter(self.store.db.execute(self.select(self.columns), list(self.params)))

    def segments(self, values: frozenset[int]) -> Iterator[Row]:
        """Per row, in the places :func:`layout` gives: the columns in *values* as values, each run of the others
        between them as one text of their cells joined by :data:`SEPARATOR` (NULL as nothing, numbers as their
        digits)."""
        expressions: list[str] = []
        formats: list[str] = []
        for is_value, columns in layout(len(self.columns), values):
            if is_value:
                expressions.append(self.columns[columns[0]])
            else:  # the format is a parameter: no '%' in the statement, the same text on both stores
                expressions.append(f"format(?, {', '.join(self.columns[i] for i in columns)})")
                formats.append(SEPARATOR.join(["%s"] * len(columns)))
        return iter(self.store.db.execute(self.select(expressions), [*formats, *self.params]))


def layout(width: int, values: frozenset[int]) -> list[tuple[bool, tuple[int, ...]]]:
    """The places of a row of :meth:`Rows.segments` over *width* columns: (True, (i,)) for column i read as a value,
    (False, (i, j, …)) for a run of columns formatted as one text."""
    places: list[tuple[bool, tuple[int, ...]]] = []
    for index in range(width):
        if index in values:
            places.append((True, (index,)))
        elif places and not places[-1][0]:
            places[-1] = (False, (*places[-1][1], index))
        else:
            places.append((False, (index,)))
    return places


def decisions(store: Store, start: str | None, end: str | None, queue: str | None, moderator: str | None) -> Rows:
    """Every decision row, undo rows too, in :data:`DECISION_SQL`'s columns. The due time is the one the item had
    when that decision was made (``reports.DUE_THEN``)."""
    params: list[Any] = []
    where = window_where(start, end, params, ("q.name", queue), ("u.name", moderator))
    return Rows(store, DECISION_SQL, f"{DECISION_BODY} WHERE {where}", params)


def audits(store: Store, start: str | None, end: str | None, queue: str | None, moderator: str | None) -> Rows:
    """Every scored audit with its dispute and final (after-dispute) verdict, in :data:`AUDIT_SQL`'s columns."""
    params: list[Any] = []
    where = window_where(start, end, params, ("q.name", queue), ("mu.name", moderator))
    return Rows(store, AUDIT_SQL, f"{AUDIT_BODY} WHERE {where}", params)
