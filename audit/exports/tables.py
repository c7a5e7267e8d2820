"""What an export holds: its tables, their columns in a fixed order, and the rows streamed from the store.

:data:`COLUMNS` order never changes within a version (machines read these
files). Media, media paths and item text are never columns: the item's
``external_id`` is the key back to the source system. Person columns and
free-text columns are marked so :func:`pseudonymised` can replace names.
Each table is built for a lead only (NotAllowed otherwise): they name
everyone's work, whichever front end asks for them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from audit import roles
from audit.exports import pseudonyms as _pseudonyms
from audit.metrics import assembly as report
from audit.store import reports as report_rows
from audit.store.schema import ERROR_TYPES
from review.store import Store, User

if TYPE_CHECKING:
    from audit.exports import Filters

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Column:
    """One exported column. *type*: int, float, share (0–1), text, time, list, bool.

    *person* is the pseudonym prefix of a column that names a person; *free_text*
    marks notes and comments, whose names are scrubbed when pseudonymising.
    """

    name: str
    type: str = "text"
    width: int = 14
    person: str | None = None
    free_text: bool = False


@dataclass
class Table:
    """A named, counted stream of rows (tuples in column order)."""

    title: str
    columns: tuple[Column, ...]
    count: int
    rows: Iterable[Row]


DECISION_COLUMNS = (
    Column("decision_id", "int", 11), Column("decided_at", "time", 20), Column("shown_at", "time", 20),
    Column("queue", "text", 20), Column("item_id", "int", 9), Column("external_id", "text", 16),
    Column("item_kind", "text", 9), Column("severity", "text", 9), Column("moderator", "text", 14, person="mod"),
    Column("action", "text", 14), Column("labels", "list", 22), Column("note", "text", 30, free_text=True),
    Column("handle_ms", "int", 10), Column("revealed_ms", "int", 11), Column("source", "text", 9),
    Column("revokes_decision_id", "int", 11), Column("revoked_by_decision_id", "int", 11), Column("current", "bool", 9),
)
AUDIT_COLUMNS = (
    Column("audit_id", "int", 9), Column("sample_id", "int", 9), Column("sample_reason", "text", 14),
    Column("decision_id", "int", 11), Column("decided_at", "time", 20), Column("queue", "text", 20),
    Column("external_id", "text", 16), Column("moderator", "text", 14, person="mod"),
    Column("action", "text", 14), Column("labels", "list", 22), Column("auditor", "text", 14, person="aud"),
    Column("blind_action", "text", 14), Column("blind_labels", "list", 22), Column("verdict", "text", 10),
    Column("error_type", "text", 17), Column("severity", "text", 9), Column("score", "float", 7),
    Column("comment", "text", 30, free_text=True), Column("scored_at", "time", 20), Column("dispute", "text", 10),
    Column("final_verdict", "text", 12), Column("final_error_type", "text", 17), Column("final_severity", "text", 12),
    Column("final_score", "float", 10), Column("correct", "bool", 9),
)
METRIC_COLUMNS = (
    Column("by", "text", 10), Column("key", "text", 22), Column("n", "int", 7), Column("correct", "int", 8),
    Column("accuracy", "share", 10), Column("ci95_low", "share", 10), Column("ci95_high", "share", 10),
    Column("cohen_kappa", "float", 11), Column("action_agreement", "share", 11), Column("mean_score", "float", 10),
    Column("gold_n", "int", 8), Column("gold_accuracy", "share", 12), Column("disputes_opened", "int", 10),
    Column("disputes_overturned", "int", 10), *(Column(f"errors_{e}", "int", 12) for e in ERROR_TYPES),
)
COLUMNS = {"decisions": DECISION_COLUMNS, "audits": AUDIT_COLUMNS, "metrics": METRIC_COLUMNS}


def _labels(text: str | None) -> list[str]:
    return list(json.loads(text or "[]"))


def _lead(store: Store, who: User | str) -> User:
    return roles.require(store, who, "lead", to="export audit results")


def decisions(store: Store, lead: User | str, filters: Filters) -> list[Table]:
    """Every decision row (undo rows too: the table is append-only history), oldest first."""
    _lead(store, lead)
    count, rows = report_rows.decision_rows(store, *filters.window(), filters.queue, filters.moderator)

    def convert(row: Row) -> Row:
        return (*row[:10], _labels(row[10]), *row[11:], row[15] is None and row[16] is None)

    return [Table("Decisions", DECISION_COLUMNS, count, (convert(row) for row in rows))]


def audits(store: Store, lead: User | str, filters: Filters) -> list[Table]:
    """Every scored audit with its final (after-dispute) verdict, by decision time."""
    _lead(store, lead)
    count, rows = report_rows.audit_rows(store, *filters.window(), filters.queue, filters.moderator)

    def convert(row: Row) -> Row:
        return (*row[:9], _labels(row[9]), row[10], row[11], _labels(row[12]), *row[13:], row[20] == "correct")

    return [Table("Audits", AUDIT_COLUMNS, count, (convert(row) for row in rows))]


def metrics(store: Store, lead: User | str, filters: Filters) -> list[Table]:
    """``audit.metrics.assembly.build`` flattened: overall, by moderator, by queue, by label, weekly.

    Team-wide by nature: the export refuses queue and moderator filters before it gets here.
    """
    who = _lead(store, lead)
    built = {by: report.build(store, who, by=by, since=filters.since, until=filters.until) for by in report.BY}
    overall = built["moderator"]["overall"]
    tables = [("Overall", [_metric_row("all", overall)])]
    tables += [(f"By {by}", [_metric_row(by, group) for group in built[by]["groups"]]) for by in report.BY]
    tables.append(("Weekly", [_metric_row("week", {"key": w["week"], **w}) for w in overall["trend"]]))
    return [Table(title, METRIC_COLUMNS, len(rows), rows) for title, rows in tables]


def _metric_row(by: str, group: dict[str, Any]) -> Row:
    ci = group.get("accuracy_ci95") or (None, None)
    gold = group.get("gold") or {}
    disputes = group.get("disputes") or {}
    errors = group.get("errors")
    return (
        by, group["key"], group["n"], group["correct"], group["accuracy"], ci[0], ci[1], group.get("cohen_kappa"),
        group.get("action_agreement"), group.get("mean_score"), gold.get("n"), gold.get("accuracy"),
        disputes.get("opened"), disputes.get("overturned"),
        *((errors.get(e, 0) if errors is not None else None) for e in ERROR_TYPES),
    )


SOURCES: dict[str, Callable[[Store, User | str, Filters], list[Table]]] = {
    "decisions": decisions, "audits": audits, "metrics": metrics,
}


def pseudonymised(tables: list[Table], names: _pseudonyms.Pseudonyms) -> list[Table]:
    """The same tables with person columns and names in free text replaced."""
    result = []
    for table in tables:
        person = {i: c.person for i, c in enumerate(table.columns) if c.person}
        free = [i for i, c in enumerate(table.columns) if c.free_text]
        rows: Iterable[Row]
        if table.columns is METRIC_COLUMNS:  # small; re-sorted so the order does not follow the real names
            rows = sorted(((r[0], names.name(r[1], "mod") if r[0] == "moderator" else r[1], *r[2:])
                           for r in table.rows), key=lambda r: r[1] if r[0] == "moderator" else "")
        else:
            rows = (_replace(r, person, free, names) for r in table.rows)
        result.append(Table(table.title, table.columns, table.count, rows))
    return result


def _replace(row: Row, person: dict[int, str], free: list[int], names: _pseudonyms.Pseudonyms) -> Row:
    values = list(row)
    for i, prefix in person.items():
        values[i] = names.name(values[i], prefix)
    for i in free:
        values[i] = names.scrub(values[i])
    return tuple(values)
