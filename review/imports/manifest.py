"""Importing a manifest (JSON Lines or CSV) into the review store.

A manifest is one row a line: items to review and, with the right row
handlers, past decisions and QA audits from another tool. The import runs in
small steps, so a problem is always found before anything is written:

1. **parse** — a generator of ``(line_no, row)`` per format; a line that
   cannot be read yields a :class:`BadLine` instead of stopping the import,
   so *every* problem can be reported in one run;
2. **check** — each row's fields, in one pass with no SQL (queues are looked
   up once), by the :class:`RowHandler` for the row's ``type``;
3. **resolve** — each handler, in order, checks its rows against the store
   and the rows before it (items: already-present ids in bulk per queue,
   then every referenced media file in parallel — inside an allowed folder,
   a regular file, and :func:`review.media.inspect` passes; history rows:
   the item, the decision audited, duplicates, what is already stored);
4. **commit** — every handler's rows in *one* transaction, in handler order
   (items first, so a decision on an item of the same file works): a
   manifest is imported whole or not at all (unless the caller chose
   ``skip_invalid``, where the good rows go in and the bad ones are handed
   back with their reasons).

Rows carry a ``type`` field (absent or ``"item"`` means an item row). Which
types an import accepts is the *handlers* argument of :func:`import_manifest`:
this module has the item handler (:data:`ITEMS`, the default);
``review.imports.past_decisions`` adds past decisions and ``audit.past_audits`` QA audits. The
review domain never imports the audit domain: the composition root
(``desktop.commands.import_cmd``) puts the handlers together. Nothing here
prints or parses arguments: the CLI (``veil import``) and any future GUI
import dialog share this module and report through :class:`ImportResult`
and a progress callback.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from review import media
from review.clock import normalise
from review.store import Store
from review.taxonomy import SEVERITIES

#: Manifest file suffix -> format name.
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}

#: Fields with a meaning of their own; every other field becomes item metadata.
ITEM_FIELDS = frozenset({"type", "id", "queue", "media", "text", "severity", "received_at", "priority"})

#: Queues a manifest creates (with ``create_queues``) are plain review queues.
CREATED_QUEUE_KIND = "review"

#: How often (in rows) the cheap validation loop reports progress.
_PROGRESS_EVERY = 2_000

Progress = Callable[[int, int], None]


class ManifestError(Exception):
    """The manifest as a whole cannot be read (missing, unreadable, unknown format).

    Row-level problems are never raised: they are collected as :class:`Problem`.
    """


@dataclass(frozen=True)
class Problem:
    """One reason one manifest line cannot be imported."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class BadLine:
    """What a parser yields for a line it cannot turn into a row.

    ``raw`` is what was read (text of a JSON line, cells of a CSV record), so
    a rejects file keeps enough to fix the line by hand.
    """

    reason: str
    raw: Any = None


@dataclass
class RowCounts:
    """What happened to the rows of one type."""

    rows: int = 0
    added: int = 0
    already_present: int = 0
    rejected: int = 0


@dataclass
class ImportResult:
    """What an import did (or, in a dry run, would do).

    ``rows`` = ``added`` + ``already_present`` + ``len(rejected)`` whenever the
    import committed or was a dry run. When it refused (a bad row and no
    ``skip_invalid``), ``committed`` is false and nothing was written.
    ``added`` and ``already_present`` are totals over every row type;
    ``counts`` splits them by type (``"item"``, ``"decision"``, ``"audit"``).
    """

    file: str
    rows: int = 0
    added: int = 0
    already_present: int = 0
    rejected: list[tuple[Problem, Any]] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)  # queues holding the accepted item rows
    queues_created: list[str] = field(default_factory=list)  # (would be) created by this import
    counts: dict[str, RowCounts] = field(default_factory=dict)  # row type -> its counts, in handler order
    users_created: dict[str, list[str]] = field(default_factory=dict)  # (would be) created: name -> roles
    roles_added: dict[str, list[str]] = field(default_factory=dict)  # existing users: name -> roles (would be) added
    dry_run: bool = False
    committed: bool = False
    seconds: float = 0.0

    @property
    def problems(self) -> list[Problem]:
        return [problem for problem, _ in self.rejected]

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def count(self, row_type: str) -> RowCounts:
        """The counts of one row type (zeros for a type the manifest did not have)."""
        return self.counts.get(row_type) or RowCounts()


# --------------------------------------------------------------------- parse
def manifest_format(path: Path) -> str:
    """The format of *path* from its suffix, or :class:`ManifestError` if it cannot be imported.

    Checked before the store is opened, so a typo never creates an empty store.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise ManifestError(f"{path}: unsupported manifest type {path.suffix or '(no extension)'!r} (use {known})")
    if not path.exists():
        raise ManifestError(f"{path}: manifest not found")
    if not path.is_file():
        raise ManifestError(f"{path}: not a file")
    if not os.access(path, os.R_OK):
        raise ManifestError(f"{path}: cannot read the manifest (permission denied)")
    return fmt


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """Yield ``(line_no, row)`` for every non-blank row of the manifest, in order."""
    parser = _PARSERS[manifest_format(path)]
    try:
        yield from parser(Path(path))
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the manifest: {exc.strerror or exc}") from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# One decoder, built once: NaN/Infinity would be stored as metadata no other tool can read.
_JSON = json.JSONDecoder(parse_constant=_reject_constant)


def parse_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """JSON Lines: one object a line, blank lines ignored.

    Read as bytes and decoded line by line so a stray non-UTF-8 line is one
    bad line, not an unreadable file; ``\\u2028`` inside strings stays data.
    """
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield line_no, BadLine("line is not UTF-8 text", raw.decode("utf-8", "replace"))
                continue
            if not text.strip():
                continue
            try:
                row = _JSON.decode(text)
            except ValueError as exc:
                yield line_no, BadLine(f"malformed JSON: {_json_reason(exc)}", text.rstrip("\r\n"))
                continue
            if not isinstance(row, dict):
                yield line_no, BadLine(f"line is not a JSON object (got {_json_type(row)})", row)
                continue
            yield line_no, row


def _json_reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (column {exc.colno})"
    return str(exc)


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def parse_csv(path: Path) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """CSV with a header row; empty cells are omitted, so they read as "not given".

    Line numbers are physical lines where the record starts (a quoted cell
    may span lines), which is what an editor shows.
    """
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header: list[str] | None = None
        last_line = 0
        while True:
            start = last_line + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:  # decoded in chunks, so find the line for the message
                raise ManifestError(f"{path}:{_first_non_utf8_line(path)}: the manifest is not UTF-8 text") from exc
            except csv.Error as exc:
                last_line = reader.line_num
                yield start, BadLine(f"bad CSV row: {exc}")
                continue
            last_line = reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            if header is None:
                header = _csv_header(path, start, cells)
                continue
            if len(cells) != len(header):
                yield start, BadLine(f"bad CSV row: {len(cells)} fields, but the header has {len(header)}", cells)
                continue
            yield start, {name: cell for name, cell in zip(header, cells) if cell != ""}


def _first_non_utf8_line(path: Path) -> int:
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return line_no
    return 0


def _csv_header(path: Path, line: int, cells: list[str]) -> list[str]:
    """Column names, trimmed; a repeated name would silently lose data, so it stops the import."""
    names = [c.strip() or f"column_{i}" for i, c in enumerate(cells, start=1)]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ManifestError(f"{path}:{line}: the CSV header repeats column {name!r}")
        seen.add(name)
    return names


_PARSERS: dict[str, Callable[[Path], Iterator[tuple[int, dict[str, Any] | BadLine]]]] = {
    "jsonl": parse_jsonl,
    "csv": parse_csv,
}


# ------------------------------------------------------------------ validate
@dataclass(slots=True)
class _Item:
    """A row that passed its field checks; media facts are filled in later."""

    line: int
    row: dict[str, Any]
    queue: str
    external_id: str
    text: str
    severity: str | None
    received_at: str
    priority: int
    metadata: dict[str, Any]
    media: str | None = None  # as written in the manifest
    media_candidate: Path | None = None  # joined to the manifest folder, not yet resolved
    media_path: str | None = None
    media_type: str | None = None
    kind: str = "text"
    content_sha256: str | None = None
    phash: str | None = None

    def store_row(self, queue_id: int) -> dict[str, Any]:
        return {
            "external_id": self.external_id, "queue_id": queue_id, "kind": self.kind,
            "media_path": self.media_path, "media_type": self.media_type, "text": self.text,
            "metadata": self.metadata, "severity": self.severity, "priority": self.priority,
            "content_sha256": self.content_sha256, "phash": self.phash, "received_at": self.received_at,
        }


@dataclass
class ImportContext:
    """Everything row checks need, computed once per import instead of once per row.

    ``state`` is where a handler keeps what it learns during one import
    (under its own keys), e.g. the history handlers' item and decision indexes.
    """

    folder: Path
    default_queue: str | None
    queue_ids: dict[str, int]  # existing queues
    create_queues: bool
    default_received_at: str
    now: str = ""  # the store's clock when the import started (history rows may not be later)
    seen: dict[tuple[str, str], int] = field(default_factory=dict)  # item rows: (queue, id) -> first line
    state: dict[str, Any] = field(default_factory=dict)
    deferred: int = 0  # rows whose checks continue later (media), for progress

    def __post_init__(self) -> None:
        self.now = self.now or self.default_received_at


def _given(row: dict[str, Any], key: str) -> Any:
    """A field's value, or None when absent, null or empty (CSV leaves no other way to say "not given")."""
    value = row.get(key)
    return None if value is None or value == "" else value


def check_item(line: int, row: dict[str, Any], ctx: ImportContext) -> tuple[_Item | None, list[str]]:
    """Check an item row's fields; return the item (if every field is fine) and the reasons it is not."""
    reasons: list[str] = []

    external_id = _given(row, "id")
    if external_id is None:
        reasons.append("missing id")
    elif isinstance(external_id, bool) or not isinstance(external_id, (str, int, float)):
        reasons.append(f"id must be a string or a number, not {_json_type(external_id)}")
        external_id = None
    else:
        external_id = str(external_id)
        if not external_id.strip():
            reasons.append("id is blank")
            external_id = None

    queue = _given(row, "queue")
    if queue is None:
        queue = ctx.default_queue
        if queue is None:
            reasons.append("no queue: the row has no 'queue' and no default queue (--queue) was given")
    elif not isinstance(queue, str) or not queue.strip():
        reasons.append("queue must be a non-empty string")
        queue = None
    else:
        queue = queue.strip()  # "spam " in a CSV cell means the queue "spam"
    if queue is not None and queue not in ctx.queue_ids and not ctx.create_queues:
        reasons.append(f"queue {queue!r} does not exist (create it first, or pass --create-queues)")

    if external_id is not None and queue is not None:
        key = (queue, external_id)
        first = ctx.seen.setdefault(key, line)
        if first != line:
            reasons.append(f"duplicate id {external_id!r} in queue {queue!r} (first on line {first})")

    text = _given(row, "text")
    if text is None:
        text = ""
    elif not isinstance(text, str):
        reasons.append("text must be a string")
        text = ""

    media_ref = _given(row, "media")
    if media_ref is not None and not isinstance(media_ref, str):
        reasons.append("media must be a path (a string)")
        media_ref = None
    if media_ref is None and not text.strip():
        reasons.append("nothing to review: the row has neither media nor text")

    severity = _given(row, "severity")
    if severity is not None:
        if isinstance(severity, str) and severity.strip().lower() in SEVERITIES:
            severity = severity.strip().lower()
        else:
            reasons.append(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}")

    received = _given(row, "received_at")
    if received is None:
        received = ctx.default_received_at
    else:
        try:
            received = normalise(received)
        except (ValueError, TypeError, AttributeError, OverflowError):
            reasons.append(f"received_at {received!r} is not an ISO 8601 time")

    priority = _given(row, "priority")
    if priority is None:
        priority = 0
    else:
        priority = _integer(priority)
        if priority is None:
            reasons.append(f"priority {row.get('priority')!r} is not a whole number")

    if reasons:
        return None, reasons
    item = _Item(
        line=line, row=row, queue=queue, external_id=external_id, text=text, severity=severity,
        received_at=received, priority=priority,
        metadata={k: v for k, v in row.items() if k not in ITEM_FIELDS},
    )
    if media_ref is None:
        item.content_sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    else:
        item.media = media_ref
        item.media_candidate = ctx.folder / media_ref  # an absolute media_ref replaces the folder
    return item, []


def _integer(value: Any) -> int | None:
    """An int from an int, an integral float or a numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


# ------------------------------------------------------------------ handlers
#: line -> (reasons, row as read); a dict so a later problem (media, history) can join a row's field problems.
_Problems = dict[int, tuple[list[str], Any]]


@dataclass
class ImportRun:
    """One import in progress: what handlers read in :meth:`RowHandler.resolve` and after.

    ``file`` is the manifest as named by the caller (for messages), ``source``
    its resolved path (for events).
    """

    store: Store
    ctx: ImportContext
    result: ImportResult
    problems: _Problems
    file: str
    source: str
    actor: str
    dry_run: bool
    roots: tuple[Path, ...]
    max_pixels: int
    workers: int | None
    report: Progress
    rows_by_type: dict[str, int] = field(default_factory=dict)
    records: dict[str, list[Any]] = field(default_factory=dict)  # row type -> records that passed their checks

    def reject(self, line: int, reason: str, row: Any = None) -> None:
        """Add a problem to a line (joining any it already has)."""
        self.problems.setdefault(line, ([], row))[0].append(reason)

    def rejected(self, line: int) -> bool:
        return line in self.problems

    @property
    def state(self) -> dict[str, Any]:
        return self.ctx.state


class RowHandler:
    """One row type of a manifest: how its rows are checked, resolved and written.

    Subclasses set :attr:`type` (the row's ``"type"`` value) and
    :attr:`nouns`, and implement :meth:`check` and :meth:`commit`. An import
    calls, for the handlers in the order given:

    * :meth:`check` for each row of the type (fields only, no SQL);
    * :meth:`resolve` once with every record that passed (store lookups in
      bulk, checks across rows; earlier handlers are already resolved);
    * :meth:`plan` once with the records to add, if the import goes ahead
      (commit or dry run): fill in what the result should announce;
    * :meth:`commit` once inside the import's single transaction (earlier
      handlers have written their rows), unless it is a dry run.

    A record is any object with ``line`` (its manifest line) and ``row``
    (the row as read, for a rejects file). A handler keeps what it learns
    during one import in ``run.state`` / ``ctx.state`` (under its own keys),
    never on itself, so one handler object can serve many imports.
    """

    type: ClassVar[str] = ""
    nouns: ClassVar[tuple[str, str]] = ("row", "rows")

    def check(self, line: int, row: dict[str, Any], ctx: ImportContext) -> tuple[Any | None, list[str]]:
        """The record for a row whose fields are fine, or None and the reasons it is not."""
        raise NotImplementedError

    def resolve(self, run: ImportRun, records: list[Any]) -> tuple[list[Any], int]:
        """(records to add, how many are already present); reject lines with ``run.reject``."""
        return records, 0

    def plan(self, run: ImportRun, records: list[Any]) -> None:
        """The import goes ahead with *records*: note on ``run.result`` what it (would) create."""

    def commit(self, run: ImportRun, records: list[Any]) -> int:
        """Write *records* inside the import's transaction; return how many were new."""
        raise NotImplementedError

    def wants_commit(self, run: ImportRun) -> bool:
        """Whether :meth:`commit` runs: by default when the manifest had rows of this type."""
        return run.rows_by_type.get(self.type, 0) > 0


def check_row(
    line: int, row: dict[str, Any], ctx: ImportContext, handlers: dict[str, RowHandler] | None = None,
) -> tuple[RowHandler | None, Any | None, list[str]]:
    """Dispatch on the row's ``type`` (absent means ``item``): (handler, record, reasons)."""
    handlers = handlers if handlers is not None else {h.type: h for h in DEFAULT_HANDLERS}
    kind = row.get("type", "item")
    if kind in (None, ""):
        kind = "item"
    handler = handlers.get(kind) if isinstance(kind, str) else None
    if handler is None:
        accepted = ", ".join(handlers) or "none"
        return None, None, [f"unsupported row type {kind!r} (this import accepts: {accepted})"]
    record, reasons = handler.check(line, row, ctx)
    return handler, record, reasons


# --------------------------------------------------------------------- media
@dataclass(frozen=True)
class _MediaOk:
    path: Path
    info: Any  # media.MediaInfo


def check_media(candidate: Path, roots: tuple[Path, ...], max_pixels: int) -> _MediaOk | str:
    """Check one referenced file; return its facts or a one-line reason.

    Runs in a worker thread. Order matters for the user: "not found" before
    "outside". :func:`review.media.inspect` then refuses folders, FIFOs,
    devices and empty files before opening anything (reading a FIFO could
    block the import forever), sniffs and decodes. Any unexpected failure
    of a decoder is reported as a reason, never raised: one odd file must
    not crash an import of thousands.
    """
    try:
        if not candidate.exists():
            return "file not found"
        resolved = candidate.resolve(strict=True)
        if not any(resolved.is_relative_to(root) for root in roots):
            return f"resolves to {resolved}, outside the manifest's folder and the --media-root folders"
        return _MediaOk(resolved, media.inspect(resolved, max_pixels=max_pixels))
    except media.MediaError as exc:
        return str(exc) or type(exc).__name__
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    except Exception as exc:  # noqa: BLE001 - a decoder bug is still just a bad file to the user
        return f"could not be checked ({type(exc).__name__}: {exc})"


def _apply_media(item: _Item, result: _MediaOk) -> None:
    info = result.info
    item.media_path = str(result.path)
    item.media_type = info.mime
    item.kind = "mixed" if item.text.strip() else info.kind
    item.content_sha256 = info.sha256
    item.phash = None if info.phash is None else str(info.phash)


def check_all_media(
    candidates: Iterable[Path], roots: tuple[Path, ...], *, max_pixels: int, workers: int | None
) -> Iterator[tuple[Path, _MediaOk | str]]:
    """Check each distinct file once, in parallel; yield results as they finish.

    Decoding and hashing release the GIL (Pillow, OpenCV, hashlib), so
    threads give real parallelism without pickling anything.
    """
    candidates = list(candidates)
    if not candidates:
        return
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1, thread_name_prefix="veil-import") as pool:
        futures = {pool.submit(check_media, c, roots, max_pixels): c for c in candidates}
        for future in as_completed(futures):
            yield futures[future], future.result()


# -------------------------------------------------------------------- commit
def commit(store: Store, items: list[_Item], new_queues: list[str], *, actor: str, source: str) -> int:
    """Create the new queues and insert the items in one transaction; return rows added.

    Queue creation is inside the same transaction, so a failed import leaves
    no empty queue behind. A queue another client created meanwhile is used,
    not created twice. Inside a larger transaction (the import's) this is a
    savepoint of it.
    """
    with store.transaction():
        existing = {q.name for q in store.queues()}
        for name in new_queues:
            if name not in existing:
                store.add_queue(name, CREATED_QUEUE_KIND, actor=actor)
        ids = {q.name: q.id for q in store.queues()}
        return store.add_items([item.store_row(ids[item.queue]) for item in items], actor=actor, source=source)


class ItemRows(RowHandler):
    """Item rows: the fields of :func:`check_item`, media checked in parallel, one ``items.imported`` event."""

    type = "item"
    nouns = ("item", "items")

    def check(self, line: int, row: dict[str, Any], ctx: ImportContext) -> tuple[_Item | None, list[str]]:
        item, reasons = check_item(line, row, ctx)
        ref = row.get("media")
        if reasons and isinstance(ref, str) and ref:
            # A rejected row's media is still checked, so one run reports every
            # problem of the manifest rather than one layer at a time.
            ctx.state.setdefault("item.rejected_media", {}).setdefault(ctx.folder / ref, []).append((line, ref, None))
            ctx.deferred += 1
        elif item is not None and item.media_candidate is not None:
            ctx.deferred += 1
        return item, reasons

    def resolve(self, run: ImportRun, records: list[_Item]) -> tuple[list[_Item], int]:
        ctx = run.ctx
        present = _already_present(run.store, records, ctx.queue_ids)
        fresh = [item for item in records if (item.queue, item.external_id) not in present]
        media_checks: _MediaChecks = ctx.state.pop("item.rejected_media", {})
        for item in fresh:
            if item.media_candidate is not None:
                media_checks.setdefault(item.media_candidate, []).append((item.line, item.media, item))
        _run_media_checks(media_checks, run.problems, run.roots, max_pixels=run.max_pixels, workers=run.workers,
                          report=run.report, total=run.result.rows)
        run.result.queues = sorted({item.queue for item in records if not run.rejected(item.line)})
        return [item for item in fresh if not run.rejected(item.line)], len(present)

    def plan(self, run: ImportRun, records: list[_Item]) -> None:
        run.result.queues_created = sorted({item.queue for item in records} - set(run.ctx.queue_ids))

    def commit(self, run: ImportRun, records: list[_Item]) -> int:
        return commit(run.store, records, run.result.queues_created, actor=run.actor, source=run.source)

    def wants_commit(self, run: ImportRun) -> bool:
        # Item manifests (and empty ones) always log their one items.imported event;
        # a history-only manifest does not log an empty one.
        return run.rows_by_type.get(self.type, 0) > 0 or not any(
            n for t, n in run.rows_by_type.items() if t != self.type)


#: The item handler; with no *handlers* argument an import accepts item rows only.
ITEMS = ItemRows()
DEFAULT_HANDLERS: tuple[RowHandler, ...] = (ITEMS,)


# -------------------------------------------------------------------- import
def import_manifest(
    store: Store,
    manifest: str | os.PathLike[str],
    *,
    default_queue: str | None = None,
    create_queues: bool = False,
    media_roots: Iterable[str | os.PathLike[str]] = (),
    dry_run: bool = False,
    skip_invalid: bool = False,
    max_pixels: int = media.DEFAULT_MAX_PIXELS,
    workers: int | None = None,
    progress: Progress | None = None,
    actor: str = "cli",
    handlers: Sequence[RowHandler] | None = None,
) -> ImportResult:
    """Check every row of *manifest* and import it, all or nothing.

    With a bad row and no *skip_invalid*, nothing is written and the result
    lists every problem (``committed`` false). With *skip_invalid* the good
    rows are imported and the bad ones returned in ``rejected`` with the row
    as read. *dry_run* checks everything and writes nothing (``added`` is
    then what would be added). Rows already in the store are counted, not
    re-added (an item's media is then not re-checked): re-importing is cheap.
    *handlers* are the row types accepted, in commit order (default: item
    rows only, :data:`DEFAULT_HANDLERS`). *progress* is called with
    (rows checked, rows) from this thread. Raises :class:`ManifestError`
    when the manifest itself cannot be read.
    """
    started = time.perf_counter()
    handlers = tuple(handlers) if handlers is not None else DEFAULT_HANDLERS
    by_type = {h.type: h for h in handlers}
    if len(by_type) != len(handlers):
        raise ValueError("two handlers for the same row type")
    path = Path(manifest)
    name = str(manifest)
    manifest_format(path)
    folder = path.resolve().parent
    report = progress or (lambda done, total: None)
    result = ImportResult(file=name, dry_run=dry_run)

    parsed = list(read_rows(path))
    result.rows = len(parsed)
    report(0, result.rows)
    ctx = ImportContext(
        folder=folder, default_queue=(default_queue or "").strip() or None, queue_ids={q.name: q.id for q in store.queues()},
        create_queues=create_queues, default_received_at=store.now(),
    )
    run = ImportRun(
        store=store, ctx=ctx, result=result, problems={}, file=name, source=str(path.resolve()), actor=actor,
        dry_run=dry_run, roots=(folder, *(Path(r).resolve() for r in media_roots)), max_pixels=max_pixels,
        workers=workers, report=report,
    )
    line_types = _validate(parsed, run, by_type)

    to_add: dict[str, list[Any]] = {}
    present: dict[str, int] = {}
    for handler in handlers:
        to_add[handler.type], present[handler.type] = handler.resolve(run, run.records.get(handler.type, []))
    to_add = {t: [r for r in records if not run.rejected(r.line)] for t, records in to_add.items()}
    report(result.rows, result.rows)

    result.rejected = [(Problem(name, line, "; ".join(reasons)), raw) for line, (reasons, raw) in sorted(run.problems.items())]
    for handler in handlers:
        result.counts[handler.type] = RowCounts(rows=run.rows_by_type.get(handler.type, 0))
    for line in run.problems:
        if line_types.get(line) in result.counts:
            result.counts[line_types[line]].rejected += 1
    if run.problems and not skip_invalid:
        return _finish(result, started)
    for handler in handlers:
        result.counts[handler.type].already_present = present[handler.type]
        handler.plan(run, to_add[handler.type])
    if dry_run:
        for handler in handlers:
            result.counts[handler.type].added = len(to_add[handler.type])
    else:
        with store.transaction():
            for handler in handlers:
                if to_add[handler.type] or handler.wants_commit(run):
                    counts = result.counts[handler.type]
                    counts.added = handler.commit(run, to_add[handler.type])
                    counts.already_present += len(to_add[handler.type]) - counts.added  # added meanwhile by another client
        result.committed = True
    result.added = sum(c.added for c in result.counts.values())
    result.already_present = sum(c.already_present for c in result.counts.values())
    return _finish(result, started)


def _finish(result: ImportResult, started: float) -> ImportResult:
    result.seconds = time.perf_counter() - started
    return result


#: media file -> rows naming it: (line, media as written, the item, or None for an already rejected row)
_MediaChecks = dict[Path, list[tuple[int, str, "_Item | None"]]]


def _validate(
    parsed: list[tuple[int, dict[str, Any] | BadLine]], run: ImportRun, handlers: dict[str, RowHandler]
) -> dict[int, str]:
    """Check every row's fields: records go to ``run.records``, problems to ``run.problems``.

    Returns line -> row type for the rows of an accepted type (to count rejects per type).
    """
    ctx, report = run.ctx, run.report
    line_types: dict[int, str] = {}
    total = len(parsed)
    for done, (line, row) in enumerate(parsed, start=1):
        if isinstance(row, BadLine):
            run.problems[line] = ([row.reason], row.raw)
        else:
            handler, record, reasons = check_row(line, row, ctx, handlers)
            if handler is not None:
                line_types[line] = handler.type
                run.rows_by_type[handler.type] = run.rows_by_type.get(handler.type, 0) + 1
            if reasons:
                run.problems[line] = (reasons, row)
            elif record is not None:
                run.records.setdefault(handler.type, []).append(record)
        if done % _PROGRESS_EVERY == 0:
            report(done - ctx.deferred, total)
    return line_types


def _run_media_checks(
    checks: _MediaChecks, problems: _Problems, roots: tuple[Path, ...], *,
    max_pixels: int, workers: int | None, report: Progress, total: int,
) -> None:
    """Check each distinct file once (in parallel); fill in items, or add a problem to each row naming a bad file."""
    done = total - sum(len(rows) for rows in checks.values())
    report(done, total)
    for candidate, outcome in check_all_media(checks, roots, max_pixels=max_pixels, workers=workers):
        for line, ref, item in checks[candidate]:
            if isinstance(outcome, str):
                reason = f"media {ref!r}: {outcome}"
                problems.setdefault(line, ([], item.row if item else None))[0].append(reason)
            elif item is not None:
                _apply_media(item, outcome)
        done += len(checks[candidate])
        report(done, total)


def _already_present(store: Store, items: list[_Item], queue_ids: dict[str, int]) -> set[tuple[str, str]]:
    """(queue, id) pairs of *items* the store already holds: one bulk lookup per queue, not one per row."""
    wanted: dict[str, list[str]] = {}
    for item in items:
        if item.queue in queue_ids:
            wanted.setdefault(item.queue, []).append(item.external_id)
    return {(queue, ext) for queue, ids in wanted.items() for ext in store.existing_external_ids(queue_ids[queue], ids)}
