"""Item rows of a manifest: field checks, the media each names (checked in parallel), and writing them.

An item row becomes a review item in a queue. Its media must lie inside an
allowed folder and pass :func:`review.media.intake.inspect`; each distinct
file is checked once, on a thread pool, and a rejected row's media is still
checked so one run reports every problem. Unless it is a dry run, the same
worker then copies a file an item will show into the store's media root
(:func:`review.media.root.place`: content-addressed, so the same bytes are
one file) and the item names it relative to the root, so the store folder
can move. A file copied for an import that then writes nothing (a bad row,
a chunk that fails) stays in the root as an orphan that no item names: a
later import of it reuses it instead of copying it again, ``veil verify``
lists it and ``veil media prune`` removes it. Rows already in the store are
found in bulk per queue and skipped (re-importing is cheap). A row with
``complaint_of`` is a complaint against that item's decision
(:mod:`review.imports.complaints`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from review import accounts, threads
from review.clock import iso, normalise, parse
from review.imports import complaints
from review.imports.handlers import (
    MAX_ID_CHARS,
    MAX_METADATA_CHARS,
    MAX_NAME_CHARS,
    MAX_PRIORITY,
    ImportContext,
    ImportRun,
    RowHandler,
    _given,
    as_integer,
    json_type,
    metadata_problems,
    metadata_size,
    name_problem,
    text_problem,
)
from review.imports.item_media import MediaOk, check_all_media
from review.known import intake as known_intake
from review.known import routing
from review.media import MediaError, fingerprint
from review.media import root as media_root
from review.store import Store, import_rows, item_indexes
from review.store import imports as import_store
from review.taxonomy import SEVERITIES

#: Fields with a meaning of their own; every other field becomes item metadata.
ITEM_FIELDS = frozenset({"type", "id", "queue", "media", "text", "severity", "received_at", "priority"})

#: Queues a manifest creates (with ``create_queues``) are plain review queues.
CREATED_QUEUE_KIND = "review"


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
    content_sha256: str | None = None  # of the file's bytes, or of the text's normal form
    content_md5: str | None = None
    pdq: str | None = None  # hex; a video's keyframes separated by spaces
    pdq_quality: int | None = None

    def store_row(self) -> import_rows.ItemRow:
        """The row to write, but for its queue (known once the queue exists), as the store inserts it."""
        return (self.external_id, self.kind, self.media_path, self.media_type, self.text,
                json.dumps(self.metadata, ensure_ascii=False), self.severity, self.priority, self.content_sha256,
                self.content_md5, self.pdq, self.pdq_quality, self.received_at, item_indexes.author_of(self.metadata))


def check_item(line: int, row: dict[str, Any], ctx: ImportContext) -> tuple[_Item | None, list[str]]:
    """Check an item row's fields; return the item (if every field is fine) and the reasons it is not."""
    reasons: list[str] = []

    external_id = _given(row, "id")
    if external_id is None:
        reasons.append("missing id")
    elif isinstance(external_id, bool) or not isinstance(external_id, (str, int, float)):
        reasons.append(f"id must be a string or a number, not {json_type(external_id)}")
        external_id = None
    else:
        external_id = str(external_id)
        if not external_id.strip():
            reasons.append("id is blank")
            external_id = None
        elif (why := name_problem("id", external_id, MAX_ID_CHARS)) is not None:
            reasons.append(why)
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
        if (why := name_problem("queue", queue, MAX_NAME_CHARS)) is not None:
            reasons.append(why)
            queue = None
    if queue is not None and queue not in ctx.queue_ids and not ctx.create_queues:
        reasons.append(f"queue {queue!r} does not exist (create it first, or pass --create-queues)")

    if external_id is not None and queue is not None:  # a duplicate of an earlier line: found in bulk when resolved
        ctx.seen.note_key(external_id, queue, line)

    text = _given(row, "text")
    if text is None:
        text = ""
    elif not isinstance(text, str):
        reasons.append("text must be a string")
        text = ""
    elif (why := text_problem("text", text)) is not None:
        reasons.append(why)
        text = "(refused)"  # not blank: "nothing to review" would be a second, wrong reason

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
            received = _canonical(received)
        except (ValueError, TypeError, AttributeError, OverflowError):
            reasons.append(f"received_at {received!r} is not an ISO 8601 time")
        else:
            if (why := _received_problem(received, ctx.now)) is not None:
                reasons.append(f"received_at {row.get('received_at')!r} {why}")

    priority = _given(row, "priority")
    if priority is None:
        priority = 0
    else:
        priority = as_integer(priority)
        if priority is None:
            reasons.append(f"priority {row.get('priority')!r} is not a whole number")
        elif abs(priority) > MAX_PRIORITY:
            reasons.append(f"priority {row.get('priority')!r} is out of range "
                           f"(-{MAX_PRIORITY:,} to {MAX_PRIORITY:,})")

    metadata = accounts.named({k: v for k, v in row.items() if k not in ITEM_FIELDS})
    complaint_of, why = complaints.checked(row)  # a complaint (Art. 20): kept in metadata, where the store reads it
    if why is not None:
        reasons.append(why)
    elif complaint_of is not None:
        metadata[complaints.FIELD] = complaint_of
    else:
        metadata.pop(complaints.FIELD, None)  # blank: an ordinary item
    if threads.FIELD in metadata:  # the posts around the item, text only: kept in metadata in one shape
        thread, why = threads.checked(metadata[threads.FIELD])
        if why is not None:
            reasons.append(why)
        else:
            metadata[threads.FIELD] = thread
    reasons.extend(metadata_problems(metadata))  # a NUL: JSON a server store cannot hold
    if metadata and (size := metadata_size(metadata)) > MAX_METADATA_CHARS:
        reasons.append(f"the other fields (item metadata) are {size:,} characters of JSON "
                       f"(at most {MAX_METADATA_CHARS:,})")

    if reasons:
        return None, reasons
    item = _Item(
        line=line, row=row, queue=queue, external_id=external_id, text=text, severity=severity,
        received_at=received, priority=priority, metadata=metadata,
    )
    if media_ref is None:
        item.content_sha256 = fingerprint.text_sha256(text)
    else:
        item.media = media_ref
        item.media_candidate = ctx.folder / media_ref  # an absolute media_ref replaces the folder
    return item, []


@functools.lru_cache(maxsize=4_096)
def _canonical(received: str) -> str:
    """A row's ``received_at`` in Veil's canonical form (``review.clock.normalise``). Cached: a feed's rows share
    their times (a burst of reports in one second, a day's export at midnight), and a parse and a format were a
    tenth of a text row's checks. A value that is no text raises as ``normalise`` does (unhashable: TypeError)."""
    return normalise(received)


#: The earliest arrival an item may have: older dates are typos (or "0001-01-01" placeholders).
EARLIEST_RECEIVED = "1970-01-01T00:00:00.000Z"
#: How far ahead of the store's clock an arrival may be (another machine's clock): a day.
RECEIVED_AHEAD = _dt.timedelta(days=1)


def _received_problem(received: str, now: str) -> str | None:
    """Why a (canonical) arrival time cannot be an item's, or None: "9999-12-31" has no due time, for one.

    Canonical times compare as text, so a row costs two string comparisons.
    """
    if received < EARLIEST_RECEIVED:
        return "is before 1970"
    if received > _latest_received(now):
        return f"is in the future (the store's clock says {now})"
    return None


@functools.lru_cache(maxsize=4)
def _latest_received(now: str) -> str:
    return iso(parse(now) + RECEIVED_AHEAD)


class ItemRows(RowHandler):
    """Item rows: the fields of :func:`check_item`, media checked in parallel, written in chunks.

    Streamed: rows are resolved a chunk at a time while the manifest is read
    (:meth:`keep`: already present? media fine?) and the ones to add wait in
    the import's scratch file (:class:`review.store.imports.Scratch`), so
    memory holds one chunk, never the manifest. They are written in chunks
    of ``WRITE_CHUNK_ROWS``, one transaction and one ``items.imported``
    event each (one for a small manifest).
    """

    type = "item"
    nouns = ("item", "items")

    def check(self, line: int, row: dict[str, Any], ctx: ImportContext) -> tuple[_Item | None, list[str]]:
        item, reasons = check_item(line, row, ctx)
        ref = row.get("media")
        if reasons and isinstance(ref, str) and ref:
            # A rejected row's media is still checked, so one run reports every
            # problem of the manifest rather than one layer at a time.
            _buffer(ctx).rejected_media.append((line, ref))
            ctx.deferred += 1
        elif item is not None and item.media_candidate is not None:
            ctx.deferred += 1
        return item, reasons

    def keep(self, run: ImportRun, record: _Item) -> None:
        buffer = _buffer(run.ctx)
        buffer.items.append(record)
        buffer.size += len(record.text) + len(record.row)
        if len(buffer.items) + len(buffer.rejected_media) >= CHECK_CHUNK_ROWS or buffer.size >= CHECK_CHUNK_CHARS:
            _resolve_chunk(run, buffer)

    def resolve(self, run: ImportRun, records: list[_Item]) -> tuple[_Pending, int]:
        buffer = _buffer(run.ctx)
        for record in records:  # none when the import fed them to keep(); a caller may hand them here instead
            buffer.items.append(record)
        _resolve_chunk(run, buffer)
        run.result.queues = sorted(buffer.queues)
        return _Pending(run.ctx.seen, buffer.to_add, frozenset(buffer.queues_added)), buffer.present

    def plan(self, run: ImportRun, records: _Pending) -> None:
        run.result.queues_created = sorted(records.queues - set(run.ctx.queue_ids))

    def commit(self, run: ImportRun, records: _Pending) -> int:
        """Create the new queues and insert the items, chunk by chunk (a lead's, like creating a queue).

        Each chunk re-checks the importer inside its transaction. Between
        chunks of an import that is not one transaction (``run.chunked``)
        the write lock is left free a moment (``import_store.yield_writer``).
        """
        lead = run.acting_lead(to="import items or create queues")
        added = written = 0
        for number, chunk in enumerate(records.chunks() if records else [[]]):
            if number and run.chunked:
                import_store.yield_writer()
            added += import_store.add_items_creating_queues(
                run.store, chunk, run.result.queues_created, queue_kind=CREATED_QUEUE_KIND, actor=lead.name,
                source=run.source, guard=lambda: run.acting_lead(to="import items or create queues"),
                then=functools.partial(known_intake.after_items_added, run.store, actor=lead.name))
            written += len(chunk)
            run.written = written
        return added

    def wants_commit(self, run: ImportRun) -> bool:
        # Item manifests (and empty ones) always log their items.imported event; a history-only one does not.
        return run.rows_by_type.get(self.type, 0) > 0 or not any(
            n for t, n in run.rows_by_type.items() if t != self.type)


#: The item handler; with no *handlers* argument an import accepts item rows only.
ITEMS = ItemRows()

#: Rows resolved together while the manifest is read (store look-ups in bulk, media checks in parallel) …
CHECK_CHUNK_ROWS = 2_000
#: … or fewer, when their text adds up to this many characters (a chunk of long posts stays small in memory).
CHECK_CHUNK_CHARS = 4_000_000


@dataclass
class _Buffer:
    """The item rows read but not yet resolved (one chunk), and what resolving the earlier ones found."""

    items: list[_Item] = field(default_factory=list)
    rejected_media: list[tuple[int, str]] = field(default_factory=list)  # (line, media as written) of refused rows
    size: int = 0
    present: int = 0
    to_add: int = 0
    queues: set[str] = field(default_factory=set)  # queues of the accepted rows (present ones too)
    queues_added: set[str] = field(default_factory=set)  # queues of the rows to add


def _buffer(ctx: ImportContext) -> _Buffer:
    found: _Buffer = ctx.state.get("item.buffer") or ctx.state.setdefault("item.buffer", _Buffer())
    return found


@dataclass(frozen=True)
class _Pending:
    """The item rows to add: how many, their queues, and (in chunks, from the scratch file) the rows."""

    scratch: import_store.Scratch
    count: int
    queues: frozenset[str]

    def __len__(self) -> int:
        return self.count

    def chunks(self) -> Iterator[list[tuple[str, import_rows.ItemRow]]]:
        return self.scratch.kept()


def _resolve_chunk(run: ImportRun, buffer: _Buffer) -> None:
    """Resolve the buffered rows: skip those already stored, check media (each file once per import), keep the rest."""
    ctx = run.ctx
    if duplicates := ctx.seen.duplicates():
        _reject_duplicates(run, buffer, duplicates)
    present = _already_present(run.store, buffer.items, ctx.queue_ids)
    fresh = [item for item in buffer.items if (item.queue, item.external_id) not in present]
    complaining = {i.line: i for i in fresh if complaints.FIELD in i.metadata}
    for line, why in complaints.problems(run.store, [(i.line, i.external_id, i.metadata[complaints.FIELD])
                                                     for i in complaining.values()]):
        run.reject(line, why, complaining[line].row)
    for line, why, row in routing.clashes(run.store, [(i.line, ctx.queue_ids.get(i.queue), i.external_id, i.row)
                                                      for i in fresh]):
        run.reject(line, why, row)
    ctx.deferred -= sum(1 for item in buffer.items if item.media_candidate is not None) - sum(
        1 for item in fresh if item.media_candidate is not None)  # present: its media is not checked again
    checks: _MediaChecks = {}
    for line, ref in buffer.rejected_media:
        checks.setdefault(ctx.folder / ref, []).append((line, ref, None))
    for item in fresh:
        if item.media_candidate is not None and item.media is not None:  # check_item sets both or neither
            checks.setdefault(item.media_candidate, []).append((item.line, item.media, item))
    _run_media_checks(checks, run, ctx.seen)
    kept = [item for item in fresh if not run.rejected(item.line)]
    ctx.seen.keep((item.line, item.queue, item.store_row()) for item in kept)
    buffer.present += len(present)
    buffer.to_add += len(kept)
    buffer.queues.update(item.queue for item in buffer.items if not run.rejected(item.line))
    buffer.queues_added.update(item.queue for item in kept)
    buffer.items, buffer.rejected_media, buffer.size = [], [], 0


def _reject_duplicates(run: ImportRun, buffer: _Buffer, duplicates: list[tuple[int, int, str, str]]) -> None:
    """Reject the rows whose (id, queue) an earlier line has, as :func:`check_item` would have; a buffered one
    leaves the buffer (its media is still checked, as a rejected row's)."""
    lines = {line for line, *_ in duplicates}
    rows = {item.line: item for item in buffer.items if item.line in lines}
    for line, first, external_id, queue in duplicates:  # a line rejected already keeps the row it was given
        item = rows.get(line)
        run.reject(line, f"duplicate id {external_id!r} in queue {queue!r} (first on line {first})",
                   item.row if item else None)
    buffer.items = [item for item in buffer.items if item.line not in lines]
    buffer.rejected_media.extend((item.line, item.media) for item in rows.values() if item.media is not None)


#: media file -> rows naming it: (line, media as written, the item, or None for an already rejected row)
_MediaChecks = dict[Path, list[tuple[int, str, "_Item | None"]]]


def _run_media_checks(checks: _MediaChecks, run: ImportRun, scratch: import_store.Scratch) -> None:
    """Check each distinct file once per import (in parallel); fill in items, or reject each row naming a bad file.

    What a file gave is remembered in the scratch file, so rows of a later chunk naming it are not checked again.
    A file some item will show is stored (not in a dry run): copied into the media root by its checking worker,
    or uploaded here by the importer into a store without one (:func:`review.media.root.upload`), before any
    item names it. One named only by rejected rows is checked, not stored, until an item of a later chunk needs it.
    """
    ctx = run.ctx
    unchecked: list[tuple[Path, Path | None]] = []
    root = run.store.media_root
    for candidate, rows in checks.items():
        known = scratch.media_outcome(str(candidate))
        keep = not run.dry_run and any(item is not None for _, _, item in rows)
        if known is None or (keep and isinstance(known, dict) and known.get("stored") is None):
            unchecked.append((candidate, root if keep else None))
        else:
            _apply_outcome(run, rows, known)
    results = check_all_media(unchecked, run.roots, max_pixels=run.max_pixels, workers=run.workers)
    with contextlib.closing(results):  # an upload that raises (the store gone) cancels the checks not yet begun
        for candidate, outcome in results:
            facts = outcome if isinstance(outcome, str) else _facts(outcome)
            shown = any(item is not None for _, _, item in checks[candidate])  # by an item to add, not rejected rows
            if root is None and not run.dry_run and shown and isinstance(facts, dict):
                try:
                    path, digest, mime = Path(facts["path"]), facts["sha256"], facts["mime"]
                    facts["stored"] = media_root.upload(run.store, run.actor, path, digest, mime).name
                except MediaError as exc:
                    facts = str(exc)
            scratch.remember_media(str(candidate), facts)
            _apply_outcome(run, checks[candidate], facts)
            run.report(run.checked - ctx.deferred, run.total)
    run.report(run.checked - ctx.deferred, run.total)


def _facts(result: MediaOk) -> dict[str, Any]:
    info = result.info
    return {"path": str(result.path), "mime": info.mime, "kind": info.kind, "sha256": info.sha256,
            "md5": info.md5, "pdq": info.pdq, "pdq_quality": info.pdq_quality, "stored": result.stored}


def _apply_outcome(run: ImportRun, rows: list[tuple[int, str, _Item | None]], facts: str | dict[str, Any]) -> None:
    for line, ref, item in rows:
        run.ctx.deferred -= 1
        if isinstance(facts, str):
            run.reject(line, f"media {ref!r}: {facts}", item.row if item else None)
        elif item is not None:
            item.media_path = facts.get("stored") or facts["path"]  # the source itself only in a dry run
            item.media_type = facts["mime"]
            item.kind = "mixed" if item.text.strip() else facts["kind"]
            item.content_sha256 = facts["sha256"]
            item.content_md5 = facts["md5"]
            item.pdq = facts["pdq"]
            item.pdq_quality = facts["pdq_quality"]


def _already_present(store: Store, items: list[_Item], queue_ids: dict[str, int]) -> set[tuple[str, str]]:
    """(queue, id) pairs of *items* the store already holds: one bulk lookup per queue, not one per row."""
    wanted: dict[str, list[str]] = {}
    for item in items:
        if item.queue in queue_ids:
            wanted.setdefault(item.queue, []).append(item.external_id)
    return {(queue, ext) for queue, ids in wanted.items() for ext in store.existing_external_ids(queue_ids[queue], ids)}
