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
   a regular file, and :func:`review.media.intake.inspect` passes; history rows:
   the item, the decision audited, duplicates, what is already stored);
4. **commit** — every handler's rows in *one* transaction, in handler order
   (items first, so a decision on an item of the same file works): a
   manifest is imported whole or not at all (unless the caller chose
   ``skip_invalid``, where the good rows go in and the bad ones are handed
   back with their reasons).

Rows carry a ``type`` field (absent or ``"item"`` means an item row). Which
types an import accepts is the *handlers* argument of :func:`import_manifest`:
``review.imports.items`` has the item handler (:data:`~review.imports.items.ITEMS`, the default);
``review.imports.past_decisions`` adds past decisions and ``audit.past_audits`` QA audits. The
review domain never imports the audit domain: the composition root
(``desktop.commands.import_cmd``) puts the handlers together. Nothing here
prints or parses arguments: the CLI (``veil import``) and any future GUI
import dialog share this module and report through :class:`ImportResult`
and a progress callback.

Importing is a lead's work, whatever the rows: :func:`import_manifest`
takes the acting person and refuses anyone else (``NotAllowed``) before
reading a line, dry runs included, and every handler re-checks before it
writes. The one exception is a truly empty store (no people, queues, items
or events): its first import founds it, and the importer becomes its first
lead in the same transaction (a refused import leaves nobody behind). A
store with work in it but nobody (an items-only import of an older Veil) is
refused: whoever writes to it first must not become the lead of that work.

This module reads the file and runs the steps in order; the handler
contract is :mod:`review.imports.handlers`, item rows
:mod:`review.imports.items`.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from review.auth import require
from review.errors import NotAllowed, VeilError
from review.imports.handlers import (
    ImportContext,
    ImportResult,
    ImportRun,
    Problem,
    Progress,
    RowCounts,
    RowHandler,
    json_type,
)
from review.imports.items import ITEMS
from review.media.limits import DEFAULT_MAX_PIXELS
from review.store import Refused, Store, User, reserved_name
from review.store import imports as import_store

#: Manifest file suffix -> format name.
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


class ManifestError(VeilError):
    """The manifest as a whole cannot be read (missing, unreadable, unknown format).

    Row-level problems are never raised: they are collected as problems of their line.
    """


@dataclass(frozen=True)
class BadLine:
    """What a parser yields for a line it cannot turn into a row.

    ``raw`` is what was read (text of a JSON line, cells of a CSV record), so
    a rejects file keeps enough to fix the line by hand.
    """

    reason: str
    raw: Any = None


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
                yield line_no, BadLine(f"line is not a JSON object (got {json_type(row)})", row)
                continue
            yield line_no, row


def _json_reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (column {exc.colno})"
    return str(exc)


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


#: How often (in rows) the cheap validation loop reports progress.
_PROGRESS_EVERY = 2_000

#: With no *handlers* argument an import accepts item rows only.
DEFAULT_HANDLERS: tuple[RowHandler, ...] = (ITEMS,)


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


def import_manifest(
    store: Store,
    manifest: str | os.PathLike[str],
    *,
    default_queue: str | None = None,
    create_queues: bool = False,
    media_roots: Iterable[str | os.PathLike[str]] = (),
    dry_run: bool = False,
    skip_invalid: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    workers: int | None = None,
    progress: Progress | None = None,
    actor: User | str,
    handlers: Sequence[RowHandler] | None = None,
) -> ImportResult:
    """Check every row of *manifest* and import it as *actor*, all or nothing.

    *actor* must be a lead (NotAllowed otherwise, before anything is read),
    unless the store is truly empty: then *actor* founds it and becomes its
    first lead with the import (``result.founder``).

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
    importer, founding = _importer(store, actor)
    handlers = tuple(handlers) if handlers is not None else DEFAULT_HANDLERS
    by_type = {h.type: h for h in handlers}
    if len(by_type) != len(handlers):
        raise ValueError("two handlers for the same row type")
    path = Path(manifest)
    name = str(manifest)
    manifest_format(path)
    folder = path.resolve().parent
    report = progress or (lambda done, total: None)
    result = ImportResult(file=name, dry_run=dry_run, founder=importer if founding else None)

    parsed = list(read_rows(path))
    result.rows = len(parsed)
    report(0, result.rows)
    ctx = ImportContext(
        folder=folder, default_queue=(default_queue or "").strip() or None,
        queue_ids={q.name: q.id for q in store.queues()}, create_queues=create_queues, default_received_at=store.now(),
    )
    run = ImportRun(
        store=store, ctx=ctx, result=result, problems={}, file=name, source=str(path.resolve()), actor=importer,
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

    result.rejected = [
        (Problem(name, line, "; ".join(reasons)), raw) for line, (reasons, raw) in sorted(run.problems.items())
    ]
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
        import_store.all_or_nothing(store, lambda: _commit(run, handlers, to_add))
        result.committed = True
    result.added = sum(c.added for c in result.counts.values())
    result.already_present = sum(c.already_present for c in result.counts.values())
    return _finish(result, started)


def _importer(store: Store, actor: User | str) -> tuple[str, bool]:
    """(the importer's name, whether they found the store): a lead, or anyone into a truly empty store.

    Checked again where the founder is written (``Store.add_first_lead``, under the write lock).
    """
    name = (actor.name if isinstance(actor, User) else str(actor)).strip()
    held = store.holds()
    if "users" in held:
        return require(store, name, "lead", to="import manifests").name, False
    if held:
        raise NotAllowed(_not_founded(store, ", ".join(held)))
    if not name:
        raise NotAllowed("say who imports: a store with nothing in it yet is founded by its first importer")
    if (why := reserved_name(name)) is not None:
        raise NotAllowed(why)
    return name, True


def _not_founded(store: Store, held: str) -> str:
    """The refusal for a store with work in it but nobody (an items-only import of an older Veil, say)."""
    what = held.rsplit(", ", 1)
    return (f"{store.path} has nobody in it but already holds {' and '.join(what)}: an import makes its importer "
            "the first lead only of an empty store, so that writing to a file is not a way to take over its work. "
            "Its first lead must be created by whoever owns this file; then import as that lead")


def _finish(result: ImportResult, started: float) -> ImportResult:
    result.seconds = time.perf_counter() - started
    return result


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
            elif handler is not None and record is not None:  # no reasons: check_row found a handler
                run.records.setdefault(handler.type, []).append(record)
        if done % _PROGRESS_EVERY == 0:
            report(done - ctx.deferred, total)
    return line_types


def _commit(run: ImportRun, handlers: Sequence[RowHandler], to_add: dict[str, list[Any]]) -> None:
    """The founder (if any), then every handler's rows, in handler order (inside the import's one transaction)."""
    if run.result.founder is not None:
        try:
            run.store.add_first_lead(run.result.founder)
        except Refused as refused:
            if refused.reason == "not_empty":  # filled by another client since the import began
                raise NotAllowed(_not_founded(run.store, refused.detail)) from None
            raise NotAllowed(f"{run.result.founder} cannot found this store: someone else did meanwhile; "
                             "import as one of its leads") from None
    for handler in handlers:
        if to_add[handler.type] or handler.wants_commit(run):
            counts = run.result.counts[handler.type]
            counts.added = handler.commit(run, to_add[handler.type])
            counts.already_present += len(to_add[handler.type]) - counts.added  # added meanwhile by another client
