"""Item rows of a manifest: field checks, the media each names (checked in parallel), and writing them.

An item row becomes a review item in a queue. Its media must lie inside an
allowed folder and pass :func:`review.media.intake.inspect`; each distinct
file is checked once, on a thread pool, and a rejected row's media is still
checked so one run reports every problem. Rows already in the store are
found in bulk per queue and skipped (re-importing is cheap).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from review.clock import normalise
from review.imports.handlers import (
    ImportContext,
    ImportRun,
    Problems,
    Progress,
    RowHandler,
    _given,
    as_integer,
    json_type,
)
from review.media import MediaError, intake
from review.store import Store
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
    content_sha256: str | None = None
    phash: str | None = None

    def store_row(self, queue_id: int) -> dict[str, Any]:
        return {
            "external_id": self.external_id, "queue_id": queue_id, "kind": self.kind,
            "media_path": self.media_path, "media_type": self.media_type, "text": self.text,
            "metadata": self.metadata, "severity": self.severity, "priority": self.priority,
            "content_sha256": self.content_sha256, "phash": self.phash, "received_at": self.received_at,
        }


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
        priority = as_integer(priority)
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


@dataclass(frozen=True)
class _MediaOk:
    path: Path
    info: Any  # intake.MediaInfo


def check_media(candidate: Path, roots: tuple[Path, ...], max_pixels: int) -> _MediaOk | str:
    """Check one referenced file; return its facts or a one-line reason.

    Runs in a worker thread. Order matters for the user: "not found" before
    "outside". :func:`review.media.intake.inspect` then refuses folders, FIFOs,
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
        return _MediaOk(resolved, intake.inspect(resolved, max_pixels=max_pixels))
    except MediaError as exc:
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
            if item.media_candidate is not None and item.media is not None:  # check_item sets both or neither
                media_checks.setdefault(item.media_candidate, []).append((item.line, item.media, item))
        _run_media_checks(media_checks, run.problems, run.roots, max_pixels=run.max_pixels, workers=run.workers,
                          report=run.report, total=run.result.rows)
        run.result.queues = sorted({item.queue for item in records if not run.rejected(item.line)})
        return [item for item in fresh if not run.rejected(item.line)], len(present)

    def plan(self, run: ImportRun, records: list[_Item]) -> None:
        run.result.queues_created = sorted({item.queue for item in records} - set(run.ctx.queue_ids))

    def commit(self, run: ImportRun, records: list[_Item]) -> int:
        """Create the new queues and insert the items (a lead's, like creating a queue); return rows added."""
        lead = run.acting_lead(to="import items or create queues")
        return import_store.add_items_creating_queues(
            run.store, [(item.queue, item.store_row) for item in records], run.result.queues_created,
            queue_kind=CREATED_QUEUE_KIND, actor=lead.name, source=run.source,
        )

    def wants_commit(self, run: ImportRun) -> bool:
        # Item manifests (and empty ones) always log their one items.imported event;
        # a history-only manifest does not log an empty one.
        return run.rows_by_type.get(self.type, 0) > 0 or not any(
            n for t, n in run.rows_by_type.items() if t != self.type)


#: The item handler; with no *handlers* argument an import accepts item rows only.
ITEMS = ItemRows()


#: media file -> rows naming it: (line, media as written, the item, or None for an already rejected row)
_MediaChecks = dict[Path, list[tuple[int, str, "_Item | None"]]]


def _run_media_checks(
    checks: _MediaChecks, problems: Problems, roots: tuple[Path, ...], *,
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
