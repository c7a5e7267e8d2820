"""Importing a manifest (JSON Lines or CSV) into the review store.

A manifest is one row a line: items to review and, with the right row
handlers, past decisions and QA audits from another tool. The import runs in
small steps, so a problem is always found before anything is written:

1. **parse** — a generator of ``(line_no, row)`` per format
   (:mod:`review.imports.reading`); a line that cannot be read yields a
   :class:`BadLine` instead of stopping the import, so *every* problem can
   be reported in one run;
2. **check** — each row's fields as it is read, with no SQL (queues are
   looked up once), by the :class:`RowHandler` for the row's ``type``;
   every value has a limit (text, ids, names, priorities, times: see
   :mod:`review.imports.handlers`), and a value past it is a problem of its
   line, never an exception;
3. **resolve** — each handler, in order, checks its rows against the store
   and the rows before it (items: already-present ids in bulk per queue,
   then every referenced media file in parallel — inside an allowed folder,
   a regular file, and :func:`review.media.intake.inspect` passes; history rows:
   the item, the decision audited, duplicates, what is already stored);
4. **commit** — every handler's rows in handler order (items first, so a
   decision on an item of the same file works), unless a row had a problem
   (or the caller chose ``skip_invalid``, where the good rows go in and the
   bad ones are handed back with their reasons).

Memory does not grow with the manifest: rows are checked as they are read,
and item rows — resolved a chunk at a time during the check — wait in the
import's scratch file on disk (``review.store.imports.Scratch``), which also
finds duplicate ids, and every line's problems with its row (a file of a
million bad rows reports the first :data:`MAX_PROBLEMS_KEPT` and counts the
rest; *on_rejected* streams them all to a rejects file). History rows wait
there too, and are matched a chunk at a time against indexes in that file
(the decisions each audit row may score).

How the commit is cut was a choice between holding the write lock and
holding the rows. A manifest of item rows only is written in chunks, one
short transaction each, with the lock left free between them: a lead's
500,000-row import used to make moderators' decisions fail after the 10 s
busy timeout. It stays all-or-nothing *in effect*: every row was checked
before the first chunk, so only the machine can stop it half-way (disk
full, the store gone, the lead's role removed meanwhile), and then
:class:`ImportStopped` says how many rows were written, each chunk whole,
and running the same import again adds the rest (present rows are
skipped). A manifest with history rows is one transaction, as before:
decisions and audits only make sense with their items.

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

This module runs the steps in order; reading the file is
:mod:`review.imports.reading`, the handler contract
:mod:`review.imports.handlers`, item rows :mod:`review.imports.items`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence, Sized
from pathlib import Path
from typing import Any

from review.auth import require
from review.errors import NotAllowed, VeilError
from review.imports.handlers import (
    MAX_PROBLEMS_KEPT,
    ImportContext,
    ImportResult,
    ImportRun,
    Problem,
    Progress,
    RowCounts,
    RowHandler,
)
from review.imports.items import ITEMS
from review.imports.reading import BadLine, count_rows, manifest_format, read_rows
from review.imports.reading import ManifestError as ManifestError  # raised by import_manifest: callers catch it here
from review.known import intake as known_intake
from review.media.limits import DEFAULT_MAX_PIXELS
from review.store import Refused, Store, User, item_inserts, reserved_name
from review.store import imports as import_store

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
    on_rejected: Callable[[Problem, Any], None] | None = None,
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
    (rows checked, rows) from this thread. *on_rejected* is called with
    every rejected row (its problem, the row as read), in line order, once
    every row is checked and before anything is written: a rejects file is
    streamed from the import's scratch file however many rows are bad, while
    ``result.rejected`` keeps only the first :data:`MAX_PROBLEMS_KEPT`.
    Raises :class:`ManifestError` when the manifest itself cannot be read,
    and :class:`ImportStopped` when an item manifest's chunked write stopped
    after some chunks.
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

    scratch = import_store.Scratch()
    try:
        ctx = ImportContext(
            folder=folder, default_queue=(default_queue or "").strip() or None,
            queue_ids={q.name: q.id for q in store.queues()}, create_queues=create_queues,
            default_received_at=store.now(), seen=scratch,
        )
        run = ImportRun(
            store=store, ctx=ctx, result=result, file=name, source=str(path.resolve()), actor=importer,
            dry_run=dry_run, roots=(folder, *(Path(r).resolve() for r in media_roots)), max_pixels=max_pixels,
            workers=workers, report=report, total=count_rows(path),
        )
        report(0, run.total)
        known_intake.prepare(store)  # before any media check and any transaction (issue 20's in-memory indexes)
        _validate(run, by_type)
        result.rows = run.checked

        to_add: dict[str, Sized] = {}
        present: dict[str, int] = {}
        for handler in handlers:
            to_add[handler.type], present[handler.type] = handler.resolve(run, run.records.get(handler.type, []))
        report(result.rows, result.rows)

        result.rejected = [(Problem(name, line, reasons), raw)
                           for line, reasons, raw in scratch.first_problems(MAX_PROBLEMS_KEPT)]
        for handler in handlers:
            result.counts[handler.type] = RowCounts(rows=run.rows_by_type.get(handler.type, 0))
        rejected_by_type = scratch.problem_counts() if run.any_rejected else {}
        result.more_rejected = sum(rejected_by_type.values()) - len(result.rejected)
        for kind, rejected in rejected_by_type.items():
            if kind in result.counts:
                result.counts[kind].rejected = rejected
        if on_rejected is not None and run.any_rejected:
            for line, reasons, raw in scratch.problems():
                on_rejected(Problem(name, line, reasons), raw)
        if run.any_rejected and not skip_invalid:
            return _finish(result, started)
        for handler in handlers:
            result.counts[handler.type].already_present = present[handler.type]
            handler.plan(run, to_add[handler.type])
        if dry_run:
            for handler in handlers:
                result.counts[handler.type].added = len(to_add[handler.type])
        else:
            run.chunked = all(h.type == ITEMS.type for h in handlers if to_add[h.type] or h.wants_commit(run))
            if run.chunked:
                _commit_in_chunks(run, handlers, to_add)
            else:
                import_store.all_or_nothing(store, lambda: _commit(run, handlers, to_add))
            result.committed = True
    finally:
        scratch.close()
    result.added = sum(c.added for c in result.counts.values())
    result.already_present = sum(c.already_present for c in result.counts.values())
    return _finish(result, started)


class ImportStopped(VeilError):
    """A chunked import stopped after writing some of its rows (disk full, store gone, role removed meanwhile).

    What was written are checked rows, each chunk whole; running the same
    import again adds the rest (rows already present are skipped).
    """


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
    return (f"{store.location} has nobody in it but already holds {' and '.join(what)}: an import makes its importer "
            "the first lead only of an empty store, so that writing to a file is not a way to take over its work. "
            "Its first lead must be created by whoever owns this file; then import as that lead")


def _finish(result: ImportResult, started: float) -> ImportResult:
    result.seconds = time.perf_counter() - started
    return result


def _validate(run: ImportRun, handlers: dict[str, RowHandler]) -> None:
    """Read the manifest, checking each row's fields as it comes: records to their handler, problems to the run.

    Nothing here keeps a row: a handler's :meth:`~RowHandler.keep` decides
    (item rows are resolved and parked on disk a chunk at a time).
    """
    ctx = run.ctx
    for line, row in read_rows(Path(run.file)):
        run.checked += 1
        if isinstance(row, BadLine):
            run.reject(line, row.reason, row.raw)
        else:
            handler, record, reasons = check_row(line, row, ctx, handlers)
            if handler is not None:
                run.rows_by_type[handler.type] = run.rows_by_type.get(handler.type, 0) + 1
            if reasons:
                run.reject(line, "; ".join(reasons), row)
            elif handler is not None and record is not None:  # no reasons: check_row found a handler
                handler.keep(run, record)
        if run.checked % _PROGRESS_EVERY == 0:
            run.report(run.checked - ctx.deferred, max(run.total, run.checked))


def _found(run: ImportRun) -> None:
    """Make the importer the first lead of the empty store they import into (checked again under the write lock)."""
    if run.result.founder is None:
        return
    try:
        run.store.add_first_lead(run.result.founder)
    except Refused as refused:
        if refused.reason == "not_empty":  # filled by another client since the import began
            raise NotAllowed(_not_founded(run.store, refused.detail)) from None
        raise NotAllowed(f"{run.result.founder} cannot found this store: someone else did meanwhile; "
                         "import as one of its leads") from None


def _commit(run: ImportRun, handlers: Sequence[RowHandler], to_add: dict[str, Sized]) -> None:
    """The founder (if any), then every handler's rows, in handler order (inside the import's one transaction)."""
    _found(run)
    for handler in handlers:
        if to_add[handler.type] or handler.wants_commit(run):
            counts = run.result.counts[handler.type]
            counts.added = handler.commit(run, to_add[handler.type])
            counts.already_present += len(to_add[handler.type]) - counts.added  # added meanwhile by another client


def _commit_in_chunks(run: ImportRun, handlers: Sequence[RowHandler], to_add: dict[str, Sized]) -> None:
    """An item-only manifest: the founder, then the items, one transaction each chunk (everything was checked first).

    A chunk that fails rolls back alone; the ones before it stay (checked
    rows, whole chunks) and the error says how far it got: running the same
    import again adds the rest.
    """
    try:
        with item_inserts.write_cache(run.store):  # not a history import's: its one transaction would hold it dirty
            _commit(run, handlers, to_add)
    except VeilError as exc:
        if not run.written:
            raise
        total = sum(len(to_add[h.type]) for h in handlers)
        raise ImportStopped(f"stopped after writing {run.written} of {total} rows: {exc}; the rows written are "
                            "checked rows, and running the same import again adds the rest") from exc
