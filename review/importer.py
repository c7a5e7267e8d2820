"""Importing items from a manifest (JSON Lines or CSV) into the review store.

A manifest is one item a row. The import runs in four small steps, each a
function below, so a problem is always found before anything is written:

1. **parse** — a generator of ``(line_no, row)`` per format; a line that
   cannot be read yields a :class:`BadLine` instead of stopping the import,
   so *every* problem can be reported in one run;
2. **validate** — each row's fields, checked in one pass with no SQL (queues
   are looked up once, already-present ids in bulk per queue);
3. **media** — every referenced file checked in parallel: inside an allowed
   folder, a regular file, and :func:`review.media.inspect` passes (type
   sniffed from bytes, pixel cap, decodes);
4. **commit** — queue creation and all item rows in *one* transaction, with
   one ``items.imported`` event: a manifest is imported whole or not at all
   (unless the caller chose ``skip_invalid``, where the good rows go in and
   the bad ones are handed back with their reasons).

Rows carry a ``type`` field (absent or ``"item"`` means an item row); the
dispatch table :data:`ROW_TYPES` is where history rows (``decision``,
``audit``) will plug in later. Nothing here prints or parses arguments: the
CLI (``veil import``) and any future GUI import dialog share this module and
report through :class:`ImportResult` and a progress callback.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
class ImportResult:
    """What an import did (or, in a dry run, would do).

    ``rows`` = ``added`` + ``already_present`` + ``len(rejected)`` whenever the
    import committed or was a dry run. When it refused (a bad row and no
    ``skip_invalid``), ``committed`` is false and nothing was written.
    """

    file: str
    rows: int = 0
    added: int = 0
    already_present: int = 0
    rejected: list[tuple[Problem, Any]] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)  # queues holding the accepted rows
    queues_created: list[str] = field(default_factory=list)  # (would be) created by this import
    dry_run: bool = False
    committed: bool = False
    seconds: float = 0.0

    @property
    def problems(self) -> list[Problem]:
        return [problem for problem, _ in self.rejected]

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


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
class _Context:
    """Everything row checks need, computed once per import instead of once per row."""

    folder: Path
    default_queue: str | None
    queue_ids: dict[str, int]  # existing queues
    create_queues: bool
    default_received_at: str
    seen: dict[tuple[str, str], int] = field(default_factory=dict)  # (queue, id) -> first line


def _given(row: dict[str, Any], key: str) -> Any:
    """A field's value, or None when absent, null or empty (CSV leaves no other way to say "not given")."""
    value = row.get(key)
    return None if value is None or value == "" else value


def check_item(line: int, row: dict[str, Any], ctx: _Context) -> tuple[_Item | None, list[str]]:
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


def _check_unsupported_type(kind: str) -> Callable[..., tuple[None, list[str]]]:
    def check(line: int, row: dict[str, Any], ctx: _Context) -> tuple[None, list[str]]:
        return None, [f"unsupported row type {kind!r} (this version of Veil imports item rows only)"]
    return check


#: Row ``type`` -> checker. History rows (``decision``, ``audit``) will add entries here.
ROW_TYPES: dict[str, Callable[[int, dict[str, Any], _Context], tuple[_Item | None, list[str]]]] = {
    "item": check_item,
}


def check_row(line: int, row: dict[str, Any], ctx: _Context) -> tuple[_Item | None, list[str]]:
    """Dispatch on the row's ``type`` (absent means ``item``)."""
    kind = row.get("type", "item")
    if kind in (None, ""):
        kind = "item"
    checker = ROW_TYPES.get(kind) if isinstance(kind, str) else None
    if checker is None:
        checker = _check_unsupported_type(str(kind))
    return checker(line, row, ctx)


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
    not created twice.
    """
    with store.transaction():
        existing = {q.name for q in store.queues()}
        for name in new_queues:
            if name not in existing:
                store.add_queue(name, CREATED_QUEUE_KIND, actor=actor)
        ids = {q.name: q.id for q in store.queues()}
        return store.add_items([item.store_row(ids[item.queue]) for item in items], actor=actor, source=source)


# -------------------------------------------------------------------- import
#: line -> (reasons, row as read); a dict so a media problem can join a row's field problems.
_Problems = dict[int, tuple[list[str], Any]]


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
) -> ImportResult:
    """Check every row of *manifest* and import the items, all or nothing.

    With a bad row and no *skip_invalid*, nothing is written and the result
    lists every problem (``committed`` false). With *skip_invalid* the good
    rows are imported and the bad ones returned in ``rejected`` with the row
    as read. *dry_run* checks everything and writes nothing (``added`` is
    then what would be added). Rows already in their queue are counted, not
    re-added, and their media is not re-checked: re-importing is cheap.
    *progress* is called with (rows checked, rows) from this thread.
    Raises :class:`ManifestError` when the manifest itself cannot be read.
    """
    started = time.perf_counter()
    path = Path(manifest)
    name = str(manifest)
    manifest_format(path)
    folder = path.resolve().parent
    roots = (folder, *(Path(r).resolve() for r in media_roots))
    report = progress or (lambda done, total: None)
    result = ImportResult(file=name, dry_run=dry_run)

    parsed = list(read_rows(path))
    result.rows = len(parsed)
    report(0, result.rows)
    ctx = _Context(
        folder=folder, default_queue=(default_queue or "").strip() or None, queue_ids={q.name: q.id for q in store.queues()},
        create_queues=create_queues, default_received_at=store.now(),
    )
    items, problems, media_checks = _validate(parsed, ctx, report)

    present = _already_present(store, items, ctx.queue_ids)
    fresh = [item for item in items if (item.queue, item.external_id) not in present]
    for item in fresh:
        if item.media_candidate is not None:
            media_checks.setdefault(item.media_candidate, []).append((item.line, item.media, item))
    _run_media_checks(media_checks, problems, roots, max_pixels=max_pixels, workers=workers, report=report, total=result.rows)

    result.rejected = [(Problem(name, line, "; ".join(reasons)), raw) for line, (reasons, raw) in sorted(problems.items())]
    to_add = [item for item in fresh if item.line not in problems]
    result.queues = sorted({item.queue for item in items if item.line not in problems})
    if problems and not skip_invalid:
        return _finish(result, started)
    result.already_present = len(present)
    result.queues_created = sorted({item.queue for item in to_add} - set(ctx.queue_ids))
    if dry_run:
        result.added = len(to_add)
    else:
        result.added = commit(store, to_add, result.queues_created, actor=actor, source=str(path.resolve()))
        result.already_present += len(to_add) - result.added  # added meanwhile by another client
        result.committed = True
    return _finish(result, started)


def _finish(result: ImportResult, started: float) -> ImportResult:
    result.seconds = time.perf_counter() - started
    return result


#: media file -> rows naming it: (line, media as written, the item, or None for an already rejected row)
_MediaChecks = dict[Path, list[tuple[int, str, "_Item | None"]]]


def _validate(
    parsed: list[tuple[int, dict[str, Any] | BadLine]], ctx: _Context, report: Progress
) -> tuple[list[_Item], _Problems, _MediaChecks]:
    """Check every row's fields; return the good items, the problems, and the media of rejected rows.

    A rejected item row's media is still checked later, so one run reports
    every problem of the manifest rather than one layer at a time.
    """
    items: list[_Item] = []
    problems: _Problems = {}
    rejected_media: _MediaChecks = {}
    waiting_for_media = 0  # rows whose media is still to be checked: progress counts them then
    total = len(parsed)
    for done, (line, row) in enumerate(parsed, start=1):
        if isinstance(row, BadLine):
            problems[line] = ([row.reason], row.raw)
            continue
        item, reasons = check_row(line, row, ctx)
        if reasons:
            problems[line] = (reasons, row)
            ref = row.get("media") if row.get("type") in (None, "", "item") else None
            if isinstance(ref, str) and ref:
                rejected_media.setdefault(ctx.folder / ref, []).append((line, ref, None))
                waiting_for_media += 1
        elif item is not None:
            items.append(item)
            waiting_for_media += item.media_candidate is not None
        if done % _PROGRESS_EVERY == 0:
            report(done - waiting_for_media, total)
    return items, problems, rejected_media


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
