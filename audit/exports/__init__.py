"""Exports: decisions, audits and metrics as CSV, JSON Lines or XLSX; the figures of the PDF report.

Exporting is a lead's action (:func:`export` checks the role and logs an
``export.written`` event). Rows are streamed from one query per table into
the writer, so 100,000 rows never sit in memory at once, and the file is
written under a temporary name and renamed at the end (:func:`atomic_output`):
a cancelled or failed export leaves no file, not even a partial one.

Formats:

* **CSV** and **JSON Lines** are for machines: UTF-8 (no BOM), one header
  row (CSV), a stable column order (:data:`COLUMNS` order never changes
  within a version), times as Veil's canonical ISO 8601 UTC text
  (``2026-01-05T09:00:00.000Z``), lists (labels) as ``;``-separated text in
  CSV and as arrays in JSON, booleans as ``true``/``false``, nothing as an
  empty cell / ``null``.
* **XLSX** is for people: a sheet per table, numbers as numbers, times as
  real Excel date-times in UTC (Excel has no time zones; the header says
  "UTC"), shares as percentages, a bold frozen header row, column widths
  and an autofilter (:mod:`audit.exports.xlsx`, a streaming writer).

What is never exported: media and media paths, and item text. The export
leaves Veil, where nothing blurs; a path invites opening the file outside
Veil and often carries the source system's naming. The item's
``external_id`` is the stable key to find the item in the source system.

Filters: ``since`` / ``until`` as in ``veil metrics`` (UTC dates inclusive,
or ISO times) apply to when the *decision* was made, for decisions, audits
and metrics alike, so an audits export and the metrics of the same period
agree. ``queue`` and ``moderator`` narrow decisions and audits; metrics are
already broken down by queue and by moderator, and their overall figures
are the team's, so they refuse those two filters rather than mislabel a
subset as "all".

``--pseudonymise`` (:mod:`audit.exports.pseudonyms`) replaces every person column
and known names in free-text columns (notes, comments).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from audit.exports import pseudonyms as _pseudonyms
from audit import roles
from audit.metrics import assembly as report
from audit.exports import xlsx
from audit.store.schema import CURRENT, ERROR_TYPES
from review.clock import iso, parse
from review.store import Store, User

KINDS = ("decisions", "audits", "metrics")
FORMATS = ("csv", "jsonl", "xlsx")
SUFFIXES = {"csv": ".csv", "jsonl": ".jsonl", "xlsx": ".xlsx", "pdf": ".pdf"}
PROGRESS_EVERY = 2_000  # rows between progress reports and cancel checks


class ExportCancelled(Exception):
    """Raised inside a writer when the person cancelled; the partial file is removed."""


Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


@dataclass(frozen=True)
class Filters:
    since: str | None = None
    until: str | None = None
    queue: str | None = None
    moderator: str | None = None

    def window(self) -> tuple[str | None, str | None]:
        """[start, end) in canonical UTC text; ValueError names a bad or reversed date."""
        return report.date_range(self.since, self.until)

    def as_json(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}


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
    rows: Iterable[tuple]


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    format: str


# ----------------------------------------------------------------- columns
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


# ------------------------------------------------------------- row sources
def _between(column: str, start: str | None, end: str | None, params: list) -> list[str]:
    """SQL conditions for start <= column < end (either bound may be missing)."""
    clauses = []
    for sql, value in ((f"{column} >= ?", start), (f"{column} < ?", end)):
        if value:
            clauses.append(sql)
            params.append(value)
    return clauses


def _where(filters: Filters, params: list, *, time: str, queue: str, moderator: str) -> str:
    clauses = _between(time, *filters.window(), params)
    for sql, value in ((f"{queue} = ?", filters.queue), (f"{moderator} = ?", filters.moderator)):
        if value:
            clauses.append(sql)
            params.append(value)
    return " AND ".join(clauses) or "1 = 1"


def _table(store: Store, title: str, columns: tuple[Column, ...], select: Sequence[str], body: str, params: list,
           convert: Callable[[tuple], tuple]) -> Table:
    """Count, then stream the rows oldest decision first (the cursor is read as the writer goes)."""
    count = store.db.execute(f"SELECT COUNT(*) {body}", params).fetchone()[0]
    cursor = store.db.execute(f"SELECT {', '.join(select)} {body} ORDER BY d.decided_at, d.id", params)
    return Table(title, columns, count, (convert(row) for row in cursor))


def _labels(text: str | None) -> list[str]:
    return json.loads(text or "[]")


DECISION_SELECT = (
    "d.id", "d.decided_at", "d.shown_at", "q.name", "i.id", "i.external_id", "i.kind", "i.severity", "u.name",
    "d.action", "d.labels", "d.note", "d.handle_ms", "d.revealed_ms", "d.source", "d.revokes_id", "r.revoked_by",
)
AUDIT_SELECT = (
    "v.audit_id", "v.sample_id", "s.reason", "d.id", "d.decided_at", "q.name", "i.external_id", "mu.name",
    "d.action", "d.labels", "au.name", "v.blind_action", "v.blind_labels", "v.verdict", "v.error_type",
    "v.severity", "v.score", "v.comment", "v.scored_at",
    "CASE WHEN v.dispute_id IS NULL THEN NULL ELSE COALESCE(v.dispute_outcome, 'open') END",
    "v.final_verdict", "v.final_error_type", "v.final_severity", "v.final_score",
)


def decisions(store: Store, filters: Filters) -> list[Table]:
    """Every decision row (undo rows too: the table is append-only history), oldest first."""
    params: list = []
    where = _where(filters, params, time="d.decided_at", queue="q.name", moderator="u.name")
    body = (
        "FROM decisions d JOIN users u ON u.id = d.user_id JOIN queues q ON q.id = d.queue_id"
        " JOIN items i ON i.id = d.item_id"
        " LEFT JOIN (SELECT revokes_id, MAX(id) AS revoked_by FROM decisions WHERE revokes_id IS NOT NULL"
        " GROUP BY revokes_id) r ON r.revokes_id = d.id"
        f" WHERE {where}"
    )

    def convert(row: tuple) -> tuple:
        return (*row[:10], _labels(row[10]), *row[11:], row[15] is None and row[16] is None)

    return [_table(store, "Decisions", DECISION_COLUMNS, DECISION_SELECT, body, params, convert)]


def audits(store: Store, filters: Filters) -> list[Table]:
    """Every scored audit with its final (after-dispute) verdict, by decision time."""
    params: list = []
    where = _where(filters, params, time="d.decided_at", queue="q.name", moderator="mu.name")
    body = (
        "FROM audit_verdicts v JOIN decisions d ON d.id = v.decision_id JOIN audit_samples s ON s.id = v.sample_id"
        " JOIN users mu ON mu.id = d.user_id JOIN users au ON au.id = v.auditor_id"
        " JOIN queues q ON q.id = d.queue_id JOIN items i ON i.id = d.item_id"
        f" WHERE {where}"
    )

    def convert(row: tuple) -> tuple:
        return (*row[:9], _labels(row[9]), row[10], row[11], _labels(row[12]), *row[13:], row[20] == "correct")

    return [_table(store, "Audits", AUDIT_COLUMNS, AUDIT_SELECT, body, params, convert)]


def metrics(store: Store, filters: Filters) -> list[Table]:
    """``audit.metrics.assembly.build`` flattened: overall, by moderator, by queue, by label, weekly."""
    if filters.queue or filters.moderator:
        raise ValueError("metrics cover the whole team and are already broken down by queue and by moderator; "
                         "--queue and --moderator filter decisions and audits exports")
    built = {by: report.build(store, by=by, since=filters.since, until=filters.until) for by in report.BY}
    overall = built["moderator"]["overall"]
    tables = [("Overall", [_metric_row("all", overall)])]
    tables += [(f"By {by}", [_metric_row(by, group) for group in built[by]["groups"]]) for by in report.BY]
    tables.append(("Weekly", [_metric_row("week", {"key": w["week"], **w}) for w in overall["trend"]]))
    return [Table(title, METRIC_COLUMNS, len(rows), rows) for title, rows in tables]


def _metric_row(by: str, group: dict[str, Any]) -> tuple:
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


SOURCES: dict[str, Callable[[Store, Filters], list[Table]]] = {
    "decisions": decisions, "audits": audits, "metrics": metrics,
}


def pseudonymised(tables: list[Table], names: _pseudonyms.Pseudonyms) -> list[Table]:
    """The same tables with person columns and names in free text replaced."""
    result = []
    for table in tables:
        person = {i: c.person for i, c in enumerate(table.columns) if c.person}
        free = [i for i, c in enumerate(table.columns) if c.free_text]
        if table.columns is METRIC_COLUMNS:  # small; re-sorted so the order does not follow the real names
            rows = sorted(((r[0], names.name(r[1], "mod") if r[0] == "moderator" else r[1], *r[2:])
                           for r in table.rows), key=lambda r: r[1] if r[0] == "moderator" else "")
        else:
            rows = (_replace(r, person, free, names) for r in table.rows)
        result.append(Table(table.title, table.columns, table.count, rows))
    return result


def _replace(row: tuple, person: dict[int, str], free: list[int], names: _pseudonyms.Pseudonyms) -> tuple:
    values = list(row)
    for i, prefix in person.items():
        values[i] = names.name(values[i], prefix)
    for i in free:
        values[i] = names.scrub(values[i])
    return tuple(values)


# ----------------------------------------------------------------- writers
@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside *path*, renamed onto it only if the block succeeds.

    On any exception (cancel included) the temporary file is removed and
    *path* is left as it was: a half-written export never exists under its
    real name. The file is created readable by its owner only (``mkstemp``'s
    0600), since an export holds named people's work.
    """
    target = Path(path)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    temp_path = Path(temp)
    try:
        yield temp_path
        os.replace(temp_path, target)
    finally:
        temp_path.unlink(missing_ok=True)


class _Ticker:
    """Counts rows; reports progress and honours cancel every PROGRESS_EVERY rows."""

    def __init__(self, total: int, progress: Progress | None, cancelled: Cancelled | None):
        self.total, self.done = total, 0
        self.progress, self.cancelled = progress, cancelled

    def tick(self) -> None:
        self.done += 1
        if self.done % PROGRESS_EVERY == 0:
            self.check()

    def check(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise ExportCancelled()
        if self.progress is not None:
            self.progress(self.done, self.total)


def _write_csv(tables: Sequence[Table], handle, ticker: _Ticker) -> None:
    """Lists as ``a;b``, booleans as ``true``/``false``; None is an empty cell (the csv module's own rule)."""
    columns = tables[0].columns
    lists = [i for i, c in enumerate(columns) if c.type == "list"]
    bools = [i for i, c in enumerate(columns) if c.type == "bool"]
    writer = csv.writer(handle)
    writer.writerow([c.name for c in columns])
    for table in tables:
        for row in table.rows:
            row = list(row)
            for i in lists:
                row[i] = ";".join(row[i] or ())
            for i in bools:
                if row[i] is not None:
                    row[i] = "true" if row[i] else "false"
            writer.writerow(row)
            ticker.tick()


def _write_jsonl(tables: Sequence[Table], handle, ticker: _Ticker) -> None:
    names = [c.name for c in tables[0].columns]
    for table in tables:
        for row in table.rows:
            handle.write(json.dumps(dict(zip(names, row)), ensure_ascii=False))
            handle.write("\n")
            ticker.tick()


def _write_xlsx(tables: Sequence[Table], path: Path, ticker: _Ticker) -> None:
    xlsx.write(path, [
        xlsx.Sheet(t.title, [f"{c.name} (UTC)" if c.type == "time" else c.name for c in t.columns],
                   [c.type for c in t.columns], [c.width for c in t.columns], t.rows)
        for t in tables
    ], on_row=ticker.tick)


def write(tables: Sequence[Table], fmt: str, out: str | os.PathLike, *, progress: Progress | None = None,
          cancelled: Cancelled | None = None) -> int:
    """Write *tables* to *out* in *fmt* (atomically); return the number of data rows.

    CSV and JSON Lines hold one table: several tables with the same columns
    (the metrics breakdowns) are written one after another, told apart by
    their ``by`` column. XLSX gets one sheet per table.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    if fmt != "xlsx" and len({t.columns for t in tables}) > 1:
        raise ValueError(f"{fmt} holds one table; these tables have different columns")
    ticker = _Ticker(sum(t.count for t in tables), progress, cancelled)
    ticker.check()
    with atomic_output(out) as temp:
        if fmt == "xlsx":
            _write_xlsx(tables, temp, ticker)
        else:
            newline = "" if fmt == "csv" else "\n"
            with open(temp, "w", encoding="utf-8", newline=newline) as handle:
                (_write_csv if fmt == "csv" else _write_jsonl)(tables, handle, ticker)
        ticker.check()
    return ticker.done


# ------------------------------------------------------------- the action
def require_lead(store: Store, who: User | str) -> User:
    return roles.require(store, who, "lead", to="export audit results")


def check_output(store: Store, out: str | os.PathLike) -> None:
    """ValueError when *out* is the store itself (or its -wal/-shm/-journal file).

    The export is renamed onto *out* when complete: naming the store there
    would replace the database with a CSV and lose every decision.
    """
    target = Path(out).expanduser().resolve()
    db = Path(store.path).expanduser().resolve()
    if target in {db, *(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal"))}:
        raise ValueError(f"{out} is the store itself; write the export to another file")


def check_filters(store: Store, filters: Filters) -> None:
    """ValueError for a bad date or an unknown queue or moderator (rather than an empty file)."""
    filters.window()
    if filters.queue:
        try:
            store.queue(filters.queue)
        except KeyError:
            raise ValueError(f"there is no queue named {filters.queue!r}") from None
    if filters.moderator:
        try:
            store.user(filters.moderator)
        except KeyError:
            raise ValueError(f"there is no user named {filters.moderator!r}") from None


def export(store: Store, who: User | str, kind: str, fmt: str, out: str | os.PathLike, *,
           filters: Filters = Filters(), pseudonymise: bool = False, progress: Progress | None = None,
           cancelled: Cancelled | None = None) -> ExportResult:
    """A lead exports *kind* (decisions, audits, metrics) as *fmt* to *out*; logged as ``export.written``.

    PermissionError for anyone but a lead, ValueError for a bad kind, format
    or filter, ExportCancelled when *cancelled* turned true (no file left).
    """
    lead = require_lead(store, who)
    if kind not in KINDS:
        raise ValueError(f"export one of {', '.join(KINDS)} (got {kind!r}); the report is a PDF")
    if fmt not in FORMATS:
        raise ValueError(f"{kind} export as {', '.join(FORMATS)}; only the report is a PDF")
    check_output(store, out)
    check_filters(store, filters)
    tables = SOURCES[kind](store, filters)
    if pseudonymise:
        tables = pseudonymised(tables, _pseudonyms.for_store(store, lead.name))
    rows = write(tables, fmt, out, progress=progress, cancelled=cancelled)
    log_export(store, lead, kind, fmt, out, filters, pseudonymise, rows=rows)
    return ExportResult(Path(out), rows, fmt)


def log_export(store: Store, lead: User, kind: str, fmt: str, out: str | os.PathLike, filters: Filters,
               pseudonymise: bool, **counts: int) -> None:
    """The export's event: what, which filters, to which file name, and its size (rows or pages)."""
    with store.transaction():
        store.log(lead.name, "export.written", f"export:{kind}",
                  {"format": fmt, "file": Path(out).name, "filters": filters.as_json(), "pseudonymised": pseudonymise,
                   **counts})


# ------------------------------------------------------- the report's figures
TREND_WEEKS = 8


@dataclass(frozen=True)
class ReportFigures:
    """Everything the PDF report shows, computed by ``audit.metrics.assembly`` / ``audit.metrics`` and the store."""

    since: str | None
    until: str | None
    generated_at: str
    decided: int  # items with a current decision made in the period
    overall: dict[str, Any]
    by_moderator: list[dict[str, Any]]
    by_queue: list[dict[str, Any]]
    trend: list[dict[str, Any]]  # weekly, the TREND_WEEKS weeks up to the period's end
    sla: list[dict[str, Any]]  # per queue, now
    exposure: dict[str, Any]  # team totals only
    decided_by_queue: dict[str, int]


def report_figures(store: Store, since: str | None, until: str | None,
                   names: _pseudonyms.Pseudonyms | None = None) -> ReportFigures:
    """The figures of a week's or a month's report; moderators pseudonymised if *names* is given."""
    start, end = report.date_range(since, until)
    by_moderator = report.build(store, by="moderator", since=since, until=until)
    by_queue = report.build(store, by="queue", since=since, until=until)
    trend_end = parse(end) if end else store.clock.now()
    trend_start = trend_end - _dt.timedelta(weeks=TREND_WEEKS)
    if start and parse(start) < trend_start:
        trend_start = parse(start)
    trend = report.build(store, since=iso(trend_start), until=iso(trend_end - _dt.timedelta(milliseconds=1)))
    moderators = by_moderator["groups"]
    if names is not None:
        moderators = [{**g, "key": names.name(g["key"], "mod")} for g in moderators]
    params: list = []
    where = " AND ".join([CURRENT, *_between("d.decided_at", start, end, params)])
    decided_by_queue = dict(store.db.execute(
        f"SELECT q.name, COUNT(DISTINCT d.item_id) FROM decisions d JOIN queues q ON q.id = d.queue_id"
        f" WHERE {where} GROUP BY q.name ORDER BY q.name", params).fetchall())
    return ReportFigures(
        since=by_moderator["since"], until=by_moderator["until"], generated_at=store.now(),
        decided=sum(decided_by_queue.values()), overall=by_moderator["overall"], by_moderator=moderators,
        by_queue=by_queue["groups"], trend=trend["overall"]["trend"],
        sla=[{"queue": h.queue.name, "kind": h.queue.kind, "waiting": h.waiting, "breached": h.breached,
              "at_risk": h.at_risk} for h in store.queue_health()],
        exposure=exposure_totals(store, start, end), decided_by_queue=decided_by_queue,
    )


def exposure_totals(store: Store, start: str | None, end: str | None) -> dict[str, Any]:
    """The team's exposure in [start, end): totals and per-severity, never per person.

    ``people`` is how many different people it sums over; the report says
    it next to the figures, so a total over one person is not mistaken for
    a team average.
    """
    params: list = []
    where = "".join(f" AND {c}" for c in _between("started_at", start, end, params))
    row = store.db.execute(
        "SELECT COUNT(DISTINCT user_id), COUNT(*), COUNT(DISTINCT user_id || ':' || day), COALESCE(SUM(blurred_ms), 0),"
        " COALESCE(SUM(revealed_ms), 0), COALESCE(SUM(region_ms), 0), COALESCE(SUM(video_ms), 0)"
        f" FROM exposure WHERE 1 = 1{where}", params).fetchone()
    severity = store.db.execute(
        "SELECT COALESCE(severity, 'unknown'), COUNT(*), COALESCE(SUM(blurred_ms + revealed_ms + region_ms), 0),"
        f" COALESCE(SUM(revealed_ms + region_ms), 0) FROM exposure WHERE 1 = 1{where}"
        " GROUP BY 1 ORDER BY 3 DESC", params).fetchall()
    event_params: list = []
    event_where = "".join(f" AND {c}" for c in _between("at", start, end, event_params))
    breaks = dict(store.db.execute(
        f"SELECT kind, COUNT(*) FROM wellbeing_events WHERE kind IN ('break_taken', 'break_enforced', 'snoozed')"
        f"{event_where} GROUP BY kind", event_params).fetchall())
    return {
        "people": row[0], "items": row[1], "person_days": row[2], "blurred_ms": row[3], "revealed_ms": row[4],
        "region_ms": row[5], "video_ms": row[6],
        "by_severity": [{"severity": s, "items": n, "on_screen_ms": ms, "revealed_ms": rev} for s, n, ms, rev in severity],
        "breaks_taken": breaks.get("break_taken", 0), "breaks_enforced": breaks.get("break_enforced", 0),
        "snoozes": breaks.get("snoozed", 0),
    }
