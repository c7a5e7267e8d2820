"""Exporting: a lead's export of decisions, audits, metrics or transparency counts to a file, and the figures of
the PDF report.

Exporting is a lead's action (:func:`export` checks the role and logs an
``export.written`` event). What the tables hold is :mod:`audit.exports.tables`;
how each format is written is :mod:`audit.exports.writers`. Rows are
streamed from one query per table into the writer, so 100,000 rows never sit in memory at once, and the file is
written under a temporary name (:class:`Staged`): a cancelled or failed export leaves no file, not even a partial
one. An export exists only if its event does: the file is complete under its temporary name, the
``export.written`` event is appended, and only then is it renamed into place — when the event cannot be written
(a read-only store, another program holding the lock) the file is removed and the export fails as a whole.

Formats:

* **JSON Lines** is for machines: UTF-8, one object per row keyed by the
  columns' machine names (stable within a version; new columns are only
  added), times as Veil's canonical ISO 8601 UTC text
  (``2026-01-05T09:00:00.000Z``), lists as arrays, durations in ms as
  stored, nothing as ``null``.
* **CSV** and **XLSX** are for people (a lead opens them in a spreadsheet):
  both open with what the file is (:mod:`audit.exports.about`: period,
  filters, generated-at, pseudonymised or not, the event log's head and the
  ``veil verify`` command), headers are words with units, durations are
  seconds, shares per cent, kappa two decimals. CSV: UTF-8 (no BOM), that
  block as label/value rows and an empty row before the header, times as
  ISO text, lists ``;``-separated, booleans ``true``/``false``. XLSX: an
  "About" sheet, then a sheet per table, numbers as numbers, times as real
  Excel date-times in UTC (the header says "UTC"), a bold frozen header row,
  column widths, an autofilter, landscape printing with the header row on
  every page (:mod:`audit.exports.xlsx`, a streaming writer).

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
subset as "all". The transparency counts (``audit.compliance.transparency``,
DSA Art. 15 and 24) are the team's too, and count each figure by its own
moment (a notice when received, an action when taken): the About block says so.

``--pseudonymise`` (:mod:`audit.exports.pseudonyms`) replaces every person column
and known names in free-text columns (notes, comments).

Anchors: every export and report is read inside one snapshot of the store
(``audit.store.reports.snapshot``) and records the head of the event log
that snapshot saw — event N and its hash — so a lead who kept the file can
later prove with ``veil verify --expect N:HASH`` that nothing up to it was
rewritten. The ``export.written`` event carries it for every format
(``head_events``, ``head_hash``), but the event lives in the very store the
anchor is meant to prove, so every file carries it too: an XLSX file on its
About sheet and in its document properties, a CSV in its header block, the
PDF report on its first page, and CSV and JSON Lines also in an anchor file beside them,
``FILE.anchor`` (:func:`anchor_file`): the line ``N:HASH`` that ``veil verify
--expect`` takes, and a comment with that command (``veil verify --store YOUR-STORE --expect N:HASH``,
:func:`audit.exports.about.verify_command`: never the store's own file name). It is written like the
export (0600, under a temporary name) and only once the export is complete:
a failed export leaves the old pair, or none, never a new file with an old
anchor; the anchor file is renamed into place after the export, both after the event.
XLSX and PDF get no anchor file: theirs is inside, where it cannot
be separated from the rows, and a second copy could only disagree with it.
(The CSV keeps its anchor file as well: ``veil verify --expect`` and scripts
read it there, whatever the header block says.)
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from audit import roles
from audit.exports import pseudonyms as _pseudonyms
from audit.exports import tables as _tables
from audit.exports import writers
from audit.exports.about import NAMES_NOBODY, About, inclusive_end
from audit.exports.tables import Table
from audit.metrics import assembly as report
from audit.store import reports as report_rows
from review import settings
from review.clock import iso, parse
from review.errors import VeilError
from review.store import Store, User
from review.store.events import Head

KINDS = ("decisions", "audits", "metrics", "transparency")
TEAM_WIDE = ("metrics", "transparency")  # kinds that cover the whole team: no queue or moderator filter
FORMATS = ("csv", "jsonl", "xlsx")
ANCHORED_BESIDE = ("csv", "jsonl")  # the formats with no place inside for their anchor (FILE.anchor holds it)
SUFFIXES = {"csv": ".csv", "jsonl": ".jsonl", "xlsx": ".xlsx", "pdf": ".pdf"}
PROGRESS_EVERY = 2_000  # rows between progress reports and cancel checks


class ExportError(VeilError, ValueError):
    """An export that cannot be made as asked (kind, format, filter, file); the message says why."""


class ExportCancelled(VeilError):
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

    def narrowing(self, names: _pseudonyms.Pseudonyms | None = None) -> dict[str, str]:
        """The filters other than the period (queue, moderator), as a file states them: with *names*, the
        moderator by their pseudonym, as the rows name them (a pseudonymised file never names who it is about)."""
        moderator = names.name(self.moderator, "mod") if names is not None and self.moderator else self.moderator
        return {k: v for k, v in (("queue", self.queue), ("moderator", moderator)) if v}


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int  # data rows, or pages of a PDF
    format: str
    head: Head  # the event log's head the file was made from (its anchor)
    #: With ``record=False``, the files still under their temporary names: the caller appends the event, then
    #: ``staged.publish()`` (or ``staged.discard()`` when the event fails). None once published.
    staged: Staged | None = None


# ----------------------------------------------------------------- writing
class Staged:
    """An export's files under temporary names beside their real ones, waiting for the export's event.

    :meth:`publish` renames them into place, the export before its anchor file; :meth:`discard` removes them,
    leaving any older files of those names as they were. Each is created readable by its owner only
    (``mkstemp``'s 0600), since an export holds named people's work.
    """

    def __init__(self, out: str | os.PathLike[str], *, anchored: bool = False):
        self._moves: list[tuple[Path, Path]] = []  # (temporary, real), in the order they are renamed
        try:
            self.path = self._temporary(Path(out))
            self.anchor = self._temporary(anchor_file(out)) if anchored else None
        except BaseException:
            self.discard()
            raise

    def _temporary(self, target: Path) -> Path:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        os.close(handle)
        self._moves.append((Path(temp), target))
        return Path(temp)

    def publish(self) -> None:
        """Rename every file into place (once its event is stored)."""
        moves, self._moves = self._moves, []
        for temp, target in moves:
            os.replace(temp, target)

    def discard(self) -> None:
        """Remove every file not published yet (the export failed, or its event could not be written)."""
        moves, self._moves = self._moves, []
        for temp, _ in moves:
            temp.unlink(missing_ok=True)


@contextlib.contextmanager
def staging(out: str | os.PathLike[str], *, anchored: bool = False) -> Iterator[Staged]:
    """:class:`Staged` files for *out*, discarded if the block fails; the block publishes them."""
    files = Staged(out, anchored=anchored)
    try:
        yield files
    except BaseException:
        files.discard()
        raise


class _Ticker:
    """Counts rows; reports progress and honours cancel every PROGRESS_EVERY rows.

    Rows are written a batch at a time (:mod:`audit.exports.batches`), so :meth:`tick` is told a batch's rows
    once they are written, and checks once for each multiple of PROGRESS_EVERY the batch passed, saying that
    multiple: progress never claims more rows than are written, and a cancel is honoured within a batch's time.
    """

    def __init__(self, total: int, progress: Progress | None, cancelled: Cancelled | None):
        self.total, self.done = total, 0
        self.progress, self.cancelled = progress, cancelled

    def tick(self, rows: int) -> None:
        before, self.done = self.done, self.done + rows
        for passed in range(before // PROGRESS_EVERY + 1, self.done // PROGRESS_EVERY + 1):
            self.check(passed * PROGRESS_EVERY)

    def check(self, done: int | None = None) -> None:
        if self.cancelled is not None and self.cancelled():
            raise ExportCancelled()
        if self.progress is not None:
            self.progress(self.done if done is None else done, self.total)


def write(tables: Sequence[Table], fmt: str, files: Staged, *, about: About,
          progress: Progress | None = None, cancelled: Cancelled | None = None) -> int:
    """Write *tables* in *fmt* to the staged *files* (and the anchor to their anchor file); the number of data rows.

    CSV and JSON Lines hold one table: several tables with the same columns
    (the metrics breakdowns) are written one after another, told apart by
    their ``by`` column. XLSX gets one sheet per table after its About sheet,
    and the anchor (``about.head``) in its document properties.
    """
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    if fmt != "xlsx" and len({t.columns for t in tables}) > 1:
        raise ExportError(f"{fmt} holds one table; these tables have different columns")
    ticker = _Ticker(sum(t.count for t in tables), progress, cancelled)
    ticker.check()
    writers.WRITERS[fmt](tables, files.path, ticker.tick, about)
    ticker.check()
    if files.anchor is not None:  # only once the export is complete
        files.anchor.write_text(writers.anchor_lines(about.head), encoding="utf-8")
    return ticker.done


def anchor_file(out: str | os.PathLike[str]) -> Path:
    """Where the anchor of a CSV or JSON Lines export *out* goes: ``FILE.anchor`` beside it."""
    target = Path(out)
    return target.with_name(target.name + ".anchor")


# ------------------------------------------------------------- the action
def require_lead(store: Store, who: User | str) -> User:
    return roles.require(store, who, "lead", to="export audit results")


def check_output(store: Store, out: str | os.PathLike[str]) -> None:
    """ExportError when *out*, or its anchor file, is the store itself (or its -wal/-shm/-journal file).

    The export is renamed onto *out* when complete: naming the store there
    would replace the database with a CSV and lose every decision.
    """
    if store.path is None:  # a server store: no file here that an export could replace
        return
    db = store.path.expanduser().resolve()
    store_files = {db, *(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal"))}
    for target in (out, anchor_file(out)):  # the anchor file is renamed into place as well
        if Path(target).expanduser().resolve() in store_files:
            raise ExportError(f"{target} is the store itself; write the export to another file")


def check_filters(store: Store, filters: Filters) -> None:
    """ValueError for a bad date or an unknown queue or moderator (rather than an empty file)."""
    filters.window()
    if filters.queue:
        try:
            store.queue(filters.queue)
        except KeyError:
            raise ExportError(f"there is no queue named {filters.queue!r}") from None
    if filters.moderator:
        try:
            store.user(filters.moderator)
        except KeyError:
            raise ExportError(f"there is no user named {filters.moderator!r}") from None


def export(store: Store, who: User | str, kind: str, fmt: str, out: str | os.PathLike[str], *,
           filters: Filters = Filters(), pseudonymise: bool = False, progress: Progress | None = None,
           cancelled: Cancelled | None = None, record: bool = True) -> ExportResult:
    """A lead exports *kind* (decisions, audits, metrics, transparency) as *fmt* to *out*; logged as
    ``export.written``.

    NotAllowed for anyone but a lead, ExportError (a ValueError) for a bad
    kind, format or filter, ExportCancelled when *cancelled* turned true (no
    file left). The file appears only once its event is stored. With
    ``record=False`` the caller logs it (:func:`log_export`, with the
    result's ``head``) on its writer, then publishes ``result.staged`` (or
    discards it if the event fails): the GUI exports on a reader
    connection, which never writes. The rows are read and written inside one
    snapshot, whose head the result and the event carry.
    """
    lead = require_lead(store, who)
    if kind not in KINDS:
        raise ExportError(f"export one of {', '.join(KINDS)} (got {kind!r}); the report is a PDF")
    if fmt not in FORMATS:
        raise ExportError(f"{kind} export as {', '.join(FORMATS)}; only the report is a PDF")
    check_output(store, out)
    check_filters(store, filters)
    if kind in TEAM_WIDE and (filters.queue or filters.moderator):
        raise ExportError(f"{kind} cover the whole team (metrics are broken down by queue and by moderator); "
                          "--queue and --moderator filter decisions and audits exports")
    names = (_pseudonyms.for_store(store, lead.name)  # may write the secret: first
             if pseudonymise and kind not in NAMES_NOBODY else None)
    with staging(out, anchored=fmt in ANCHORED_BESIDE) as files:
        with report_rows.snapshot(store) as head:
            tables = _tables.SOURCES[kind](store, lead, filters)
            if names is not None:
                tables = _tables.pseudonymised(tables, names)
            start, end = filters.window()
            about = About(kind, start, inclusive_end(end), filters.narrowing(names), store.now(), pseudonymise, head)
            rows = write(tables, fmt, files, about=about, progress=progress, cancelled=cancelled)
        if not record:
            return ExportResult(Path(out), rows, fmt, head, files)
        log_export(store, lead, kind, fmt, out, filters, pseudonymise, head=head, rows=rows)
        files.publish()
    return ExportResult(Path(out), rows, fmt, head)


def log_export(store: Store, lead: User | str, kind: str, fmt: str, out: str | os.PathLike[str], filters: Filters,
               pseudonymise: bool, *, head: Head, **counts: int) -> None:
    """The export's event: what, which filters, to which file name, its size (rows or pages) and its anchor."""
    name = require_lead(store, lead).name
    report_rows.log_export(store, name, kind, {"format": fmt, "file": Path(out).name, "filters": filters.as_json(),
                                               "pseudonymised": pseudonymise, **counts,
                                               "head_events": head.events, "head_hash": head.hash})


# ------------------------------------------------------- the report's figures
TREND_WEEKS = 8  # a period shorter than this is shown in the context of the weeks before it


def _target(value: float) -> float:
    if not 0 < value <= 1:
        raise ValueError("the accuracy target is a share between 0 and 1 (0.9 is 90%)")
    return value


ACCURACY_TARGET = settings.declare(
    "report.accuracy_target", settings.ORGANISATION, float, 0.9, changed_by="lead", check=_target,
    describe="The accuracy the report flags people and queues against: below it is marked, and "
             "'clearly below' when even the upper end of the Wilson 95% interval is under it.")


@dataclass(frozen=True)
class ReportFigures:
    """Everything the PDF report shows, computed by ``audit.metrics.assembly`` / ``audit.metrics`` and the store.

    Every figure is about the period: nothing here is "now" except ``generated_at``.
    """

    head: Head  # the event log's head every figure was read at (the report prints it)
    since: str | None
    until: str | None
    generated_at: str
    overall: dict[str, Any]
    by_moderator: list[dict[str, Any]]
    by_queue: list[dict[str, Any]]
    trend: list[dict[str, Any]]  # whole ISO weeks over the period's data (and the weeks before a short period)
    trend_notes: dict[str, str]  # week -> "before the period" / "partly before the period" (its Monday is)
    sla: list[dict[str, Any]]  # per queue: items answered in the period, how many by their due time, breaches
    exposure: dict[str, Any]  # team totals only
    accuracy_target: float  # ACCURACY_TARGET, as set when the report was made

    @property
    def within_sla(self) -> tuple[int, int]:
        """(answered by their due time, answered) over every queue in the period (``sla_by_queue`` says what
        answers a queue: an escalation answers its origin queue, a lead's decision the escalation queue)."""
        return sum(q["within"] for q in self.sla), sum(q["decided"] for q in self.sla)


def trend_window(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    """[start, end) of the weekly trend: whole ISO weeks, so from a Monday; for a period shorter than
    TREND_WEEKS, from the Monday TREND_WEEKS before its end, for context.

    A week begun before the period holds days from before it; :func:`trend_notes` marks it rather than
    showing it as the period's. An open bound stays open, so an all-time report's trend spans its data (the
    weeks from the first to the last audited decision), wherever they lie, not the weeks before today.
    """
    if not start:
        return start, end
    begin = parse(start)
    if end and parse(end) - begin < _dt.timedelta(weeks=TREND_WEEKS):
        begin = parse(end) - _dt.timedelta(weeks=TREND_WEEKS)
    midnight = begin.replace(hour=0, minute=0, second=0, microsecond=0)
    return iso(midnight - _dt.timedelta(days=midnight.weekday())), end


def trend_notes(weeks: Sequence[str], start: str | None) -> dict[str, str]:
    """The trend's weeks that begin before *start*: "before the period", or "partly before the period" for the
    week *start* falls in after its Monday (its figures mix days from before the period with the period's)."""
    if not start:
        return {}
    begins = parse(start)
    notes = {}
    for week in weeks:
        year, number = week.split("-W")
        monday = _dt.datetime.combine(_dt.date.fromisocalendar(int(year), int(number), 1), _dt.time(),
                                      tzinfo=_dt.UTC)
        if monday < begins:
            notes[week] = ("before the period" if monday + _dt.timedelta(weeks=1) <= begins
                           else "partly before the period")
    return notes


def report_figures(store: Store, lead: User | str, since: str | None, until: str | None,
                   names: _pseudonyms.Pseudonyms | None = None) -> ReportFigures:
    """The figures of a week's or a month's report, for *lead* (NotAllowed for anyone else), all read in one
    snapshot whose head they carry; moderators pseudonymised if *names* is given."""
    lead = require_lead(store, lead)
    start, end = report.date_range(since, until)
    with report_rows.snapshot(store) as head:
        by_moderator = report.build(store, lead, by="moderator", since=since, until=until)
        by_queue = report.build(store, lead, by="queue", since=since, until=until)
        trend_start, trend_end = trend_window(start, end)
        trend = (by_moderator["overall"]["trend"] if (trend_start, trend_end) == (start, end) else
                 report.build(store, lead, since=trend_start, until=inclusive_end(trend_end))["overall"]["trend"])
        sla = [{"queue": name, "decided": decided, "within": within, "breached": decided - within,
                "share": within / decided if decided else None}
               for name, decided, within in report_rows.sla_by_queue(store, start, end)]
        exposure = exposure_totals(store, lead, start, end)
        target = settings.read(store, ACCURACY_TARGET)
    moderators = by_moderator["groups"]
    if names is not None:
        moderators = [{**g, "key": names.name(g["key"], "mod")} for g in moderators]
    return ReportFigures(
        head=head, since=by_moderator["since"], until=by_moderator["until"], generated_at=store.now(),
        overall=by_moderator["overall"], by_moderator=moderators, by_queue=by_queue["groups"], trend=trend,
        trend_notes=trend_notes([w["week"] for w in trend], start), sla=sla, exposure=exposure,
        accuracy_target=target,
    )


def exposure_totals(store: Store, lead: User | str, start: str | None, end: str | None) -> dict[str, Any]:
    """The team's exposure in [start, end), for *lead*: totals and per-severity, never per person.

    ``people`` is how many different people it sums over; the report says
    it next to the figures, so a total over one person is not mistaken for
    a team average.
    """
    require_lead(store, lead)
    totals, severity, breaks = report_rows.exposure_sums(store, start, end)
    people, items, person_days, blurred_ms, revealed_ms, region_ms, video_ms = totals
    return {
        "people": people, "items": items, "person_days": person_days, "blurred_ms": blurred_ms,
        "revealed_ms": revealed_ms, "region_ms": region_ms, "video_ms": video_ms,
        "by_severity": [{"severity": s, "items": n, "on_screen_ms": ms, "revealed_ms": rev}
                        for s, n, ms, rev in severity],
        "breaks_taken": breaks.get("break_taken", 0), "breaks_enforced": breaks.get("break_enforced", 0),
        "snoozes": breaks.get("snoozed", 0),
    }
