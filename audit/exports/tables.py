"""What an export holds: its tables, their columns in a fixed order, and the rows streamed from the store.

:data:`COLUMNS` order never changes within a version (machines read these
files). Media, media paths and item text are never columns: the item's
``external_id`` is the key back to the source system. Person columns and
free-text columns are marked so :func:`pseudonymised` can replace names.
Each table is built for a lead only (NotAllowed otherwise): they name
everyone's work, whichever front end asks for them. Rows travel in batches
of columns (:mod:`audit.exports.batches`): each conversion here is a ``map``
over a column, so a million-row export is not a million Python calls per
column.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any

from audit import roles
from audit.compliance import transparency
from audit.exports import pseudonyms as _pseudonyms
from audit.exports import transparency_rows
from audit.exports.batches import Batch, columnar, rows_of
from audit.metrics import assembly as report
from audit.store import export_rows
from audit.store.schema import ERROR_TYPES
from review.store import Store, User

if TYPE_CHECKING:
    from audit.exports import Filters

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Column:
    """One exported column. *type*: int, float, ratio (a coefficient such as kappa), share (0–1), ms (a duration
    in milliseconds), hours (a duration in hours, shown to one decimal), text, time, list, bool.

    *name* is the machine name (JSON Lines keys, stable within a version); *title* the words a person reads in
    CSV and XLSX headers, with the unit those formats use (durations in seconds there, shares in per cent).
    *person* is the pseudonym prefix of a column that names a person; *free_text* marks notes and comments,
    whose names are scrubbed when pseudonymising. *words* turns a machine value (kept in JSON Lines) into the
    words CSV and XLSX show.
    """

    name: str
    type: str = "text"
    width: int = 14
    person: str | None = None
    free_text: bool = False
    title: str = ""
    words: Callable[[Any], Any] | None = None

    @property
    def heading(self) -> str:
        """The header a person reads: the title (or the name in words) and its unit."""
        words = self.title or self.name.replace("_", " ").capitalize()
        unit = {"time": " (UTC)", "ms": " (s)", "hours": " (hours)", "share": " (%)"}.get(self.type, "")
        return words + unit


@dataclass
class Table:
    """A named, counted stream of rows, in batches of columns (:mod:`audit.exports.batches`), read once."""

    title: str
    columns: tuple[Column, ...]
    count: int
    batches: Iterable[Batch]
    #: The same rows for a CSV, read instead of :attr:`batches` (None: a table built in Python, read as values):
    #: ``lines(values)`` gives batches in the places of ``audit.store.export_rows.layout``, the columns in
    #: *values* as :attr:`batches` holds them, each run of the others as one text of their cells as a CSV writes
    #: them (booleans as ``true``/``false``) joined by ``export_rows.SEPARATOR``, not yet quoted or guarded.
    lines: Callable[[frozenset[int]], Iterator[Batch]] | None = None
    #: Columns :attr:`lines` must give as values, because Python makes them (label sets, pseudonyms).
    values: frozenset[int] = frozenset()

    @property
    def rows(self) -> Iterator[Row]:
        """The rows one at a time, as tuples in column order (what a reader of a few rows wants)."""
        return rows_of(self.batches)


def _c(name: str, type_: str, width: int, title: str, **marks: Any) -> Column:
    return Column(name, type_, width, title=title, **marks)


DECISION_COLUMNS = (
    _c("decision_id", "int", 11, "Decision"), _c("decided_at", "time", 20, "Decided at"),
    _c("shown_at", "time", 20, "Shown at"), _c("received_at", "time", 20, "Received at"),
    _c("due_at", "time", 20, "Due at"), _c("queue", "text", 20, "Queue"), _c("item_id", "int", 9, "Item"),
    _c("external_id", "text", 16, "External id"), _c("item_kind", "text", 9, "Item kind"),
    _c("severity", "text", 9, "Severity"), _c("moderator", "text", 14, "Moderator", person="mod"),
    _c("action", "text", 14, "Action"), _c("labels", "list", 22, "Labels"),
    _c("note", "text", 30, "Note", free_text=True), _c("handle_ms", "ms", 12, "Handle time"),
    _c("revealed_ms", "ms", 12, "Revealed"), _c("source", "text", 9, "Source"),
    _c("revokes_decision_id", "int", 11, "Undoes decision"),
    _c("revoked_by_decision_id", "int", 11, "Undone by decision"), _c("current", "bool", 9, "Current"),
    _c("rule", "text", 18, "Automated by rule"), _c("rule_version", "int", 9, "Rule version"),
    _c("applies_id", "int", 11, "Applies decision"),
)
AUDIT_COLUMNS = (
    _c("audit_id", "int", 9, "Audit"), _c("sample_id", "int", 9, "Sample"),
    _c("sample_reason", "text", 14, "Sampled because"), _c("decision_id", "int", 11, "Decision"),
    _c("decided_at", "time", 20, "Decided at"), _c("queue", "text", 20, "Queue"),
    _c("external_id", "text", 16, "External id"), _c("moderator", "text", 14, "Moderator", person="mod"),
    _c("action", "text", 14, "Action"), _c("labels", "list", 22, "Labels"),
    _c("auditor", "text", 14, "Auditor", person="aud"), _c("blind_action", "text", 14, "Blind action"),
    _c("blind_labels", "list", 22, "Blind labels"), _c("verdict", "text", 10, "Verdict"),
    _c("error_type", "text", 17, "Error type"), _c("severity", "text", 9, "Severity"),
    _c("score", "float", 7, "Score"), _c("comment", "text", 30, "Comment", free_text=True),
    _c("scored_at", "time", 20, "Scored at"), _c("dispute", "text", 12, "Dispute resolution"),
    _c("dispute_reason", "text", 30, "Dispute reason", free_text=True),
    _c("resolution_note", "text", 30, "Resolution note", free_text=True),
    _c("resolved_by", "text", 14, "Resolved by", person="lead"), _c("resolved_at", "time", 20, "Resolved at"),
    _c("final_verdict", "text", 12, "Final verdict"), _c("final_error_type", "text", 17, "Final error type"),
    _c("final_severity", "text", 12, "Final severity"), _c("final_score", "float", 10, "Final score"),
    _c("correct", "bool", 9, "Correct"),
)
ERROR_WORDS = {"missed_violation": "missed violation", "over_enforcement": "over-enforcement",
               "wrong_label": "wrong label", "wrong_action": "wrong action", "procedural": "procedural"}
METRIC_COLUMNS = (
    _c("by", "text", 10, "Breakdown"), _c("key", "text", 22, "Group"), _c("n", "int", 9, "Audited"),
    _c("correct", "int", 8, "Correct"), _c("accuracy", "share", 11, "Accuracy"),
    _c("ci95_low", "share", 11, "95% CI low"), _c("ci95_high", "share", 11, "95% CI high"),
    _c("cohen_kappa", "ratio", 11, "Cohen's kappa"), _c("action_agreement", "share", 12, "Action agreement"),
    _c("mean_score", "float", 10, "Mean score"), _c("gold_n", "int", 8, "Gold n"),
    _c("gold_accuracy", "share", 12, "Gold accuracy"), _c("disputes_opened", "int", 10, "Disputes opened"),
    _c("disputes_overturned", "int", 11, "Disputes overturned"),
    *(_c(f"errors_{e}", "int", 12, f"Errors: {ERROR_WORDS.get(e, e)}") for e in ERROR_TYPES),
)
#: "Broken down", not "Breakdown": a heading names one column across every kind (metrics' ``by`` is "Breakdown").
TRANSPARENCY_COLUMNS = (
    _c("section", "text", 26, "Section", words=transparency_rows.section_words),
    _c("breakdown", "text", 30, "Broken down", words=transparency_rows.breakdown_words),
    _c("key", "text", 44, "Key", words=transparency_rows.key_words), _c("count", "int", 9, "Count"),
    _c("median_hours", "hours", 10, "Median"), _c("share", "share", 9, "Share"),
)
COLUMNS = {"decisions": DECISION_COLUMNS, "audits": AUDIT_COLUMNS, "metrics": METRIC_COLUMNS,
           "transparency": TRANSPARENCY_COLUMNS}


#: A labels column's JSON as the label tuple exported (parsed once per distinct set, shared by every row of it).
_labels = report.parsed_labels


def _lead(store: Store, who: User | str) -> User:
    return roles.require(store, who, "lead", to="export audit results")


def decisions(store: Store, lead: User | str, filters: Filters) -> list[Table]:
    """Every decision row (undo rows too: the table is append-only history), oldest first."""
    _lead(store, lead)
    return [_stored("Decisions", DECISION_COLUMNS, export_rows.decisions(store, *filters.window(), filters.queue,
                                                                       filters.moderator))]


def audits(store: Store, lead: User | str, filters: Filters) -> list[Table]:
    """Every scored audit with its final (after-dispute) verdict, by decision time."""
    _lead(store, lead)
    return [_stored("Audits", AUDIT_COLUMNS, export_rows.audits(store, *filters.window(), filters.queue,
                                                                filters.moderator))]


def _stored(title: str, columns: tuple[Column, ...], source: export_rows.Rows) -> Table:
    """A table read from *source*: label sets parsed and booleans made of the words the store wrote (once per
    column of a batch); for a CSV, the same rows with runs of columns formatted by the store (:attr:`Table.lines`),
    read instead of the values."""
    labels = [i for i, c in enumerate(columns) if c.type == "list"]
    flags = [i for i, c in enumerate(columns) if c.type == "bool"]

    def convert(batch: Batch) -> Batch:
        converted = list(batch)
        for i in labels:
            converted[i] = list(map(_labels, batch[i]))
        for i in flags:
            converted[i] = list(map(operator.eq, batch[i], repeat("true")))
        return converted

    def batches() -> Iterator[Batch]:  # a generator: nothing is read before a writer asks
        yield from map(convert, columnar(source.rows()))

    def lines(values: frozenset[int]) -> Iterator[Batch]:
        places = [i for i, (is_value, (column, *_)) in enumerate(export_rows.layout(len(columns), values))
                  if is_value and column in labels]
        for batch in columnar(source.segments(values)):
            for place in places:
                batch[place] = list(map(_labels, batch[place]))
            yield batch

    return Table(title, columns, source.count(), batches(), lines, frozenset(labels))


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
    return [Table(title, METRIC_COLUMNS, len(rows), columnar(rows)) for title, rows in tables]


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


def transparency_counts(store: Store, lead: User | str, filters: Filters) -> list[Table]:
    """``audit.compliance.transparency.counts`` for the period, a row per figure (:mod:`transparency_rows`).

    Team-wide, like metrics: the export refuses queue and moderator filters before it gets here.
    """
    rows = list(transparency_rows.rows(transparency.counts(store, lead, since=filters.since, until=filters.until)))
    return [Table("Transparency", TRANSPARENCY_COLUMNS, len(rows), columnar(rows))]


SOURCES: dict[str, Callable[[Store, User | str, Filters], list[Table]]] = {
    "decisions": decisions, "audits": audits, "metrics": metrics, "transparency": transparency_counts,
}


#: Metrics breakdowns whose groups are people, and the pseudonym prefix of each.
PERSON_BREAKDOWNS = {"moderator": "mod", "auditor": "aud"}


def pseudonymised(tables: list[Table], names: _pseudonyms.Pseudonyms) -> list[Table]:
    """The same tables with person columns and names in free text replaced (in their CSV lines too, where those
    columns become values: Python replaces them)."""
    result = []
    for table in tables:
        batches: Iterable[Batch]
        lines = None
        if table.columns is METRIC_COLUMNS:  # small; re-sorted so the order does not follow the real names
            rows = sorted(((r[0], names.name(r[1], PERSON_BREAKDOWNS[r[0]]) if r[0] in PERSON_BREAKDOWNS else r[1],
                            *r[2:]) for r in table.rows), key=lambda r: r[1] if r[0] in PERSON_BREAKDOWNS else "")
            batches = columnar(rows)
        else:
            batches = map(_replacing(table.columns, names), table.batches)
            if table.lines is not None:
                lines = _replacing_lines(table.columns, table.lines, names)
        named = frozenset(i for i, c in enumerate(table.columns) if c.person or c.free_text)
        result.append(Table(table.title, table.columns, table.count, batches, lines, table.values | named))
    return result


def _replacing(columns: tuple[Column, ...], names: _pseudonyms.Pseudonyms,
               place: Callable[[int], int] = int) -> Callable[[Batch], Batch]:
    """A batch's person columns by their pseudonyms (each person's made once) and names scrubbed from free text;
    ``place(column)`` is where a column is in the batch (a CSV's lines hold runs of columns in one place)."""
    person = {place(i): names.namer(c.person) for i, c in enumerate(columns) if c.person}
    free = [place(i) for i, c in enumerate(columns) if c.free_text]

    def replace(batch: Batch) -> Batch:
        replaced = list(batch)
        for i, pseudonym in person.items():
            replaced[i] = list(map(pseudonym, batch[i]))
        for i in free:
            replaced[i] = list(map(names.scrub, batch[i]))
        return replaced

    return replace


def _replacing_lines(columns: tuple[Column, ...], lines: Callable[[frozenset[int]], Iterator[Batch]],
                     names: _pseudonyms.Pseudonyms) -> Callable[[frozenset[int]], Iterator[Batch]]:
    """*lines* with person and free-text columns replaced, where :func:`export_rows.layout` puts them."""
    def replaced(values: frozenset[int]) -> Iterator[Batch]:
        places = {held[0]: n for n, (is_value, held) in enumerate(export_rows.layout(len(columns), values))
                  if is_value}
        return map(_replacing(columns, names, places.__getitem__), lines(values))

    return replaced
