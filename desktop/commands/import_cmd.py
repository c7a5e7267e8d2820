"""``veil import``: load items from a JSON Lines or CSV manifest into the store.

The checking and writing live in :mod:`review.importer`; this module only
turns arguments into a call and the result into text and an exit code:
0 imported (or nothing to do), 1 bad rows and nothing written, 2 the
manifest or store could not be used at all.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from desktop import paths
from desktop.commands.common import add_store_option, fail, open_store
from review.db import StoreError

if TYPE_CHECKING:
    from review import importer


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "import",
        help="import items from a JSON Lines or CSV manifest",
        description="Check every row of MANIFEST (and every media file it names) and import the items, "
        "all or nothing: one bad row means nothing is written and every problem is listed as "
        "FILE:LINE: reason. Rows already in their queue are skipped, so re-running is safe.",
    )
    parser.add_argument("manifest", metavar="MANIFEST", help="a .jsonl/.ndjson (one JSON object a line) or .csv (header row) file")
    add_store_option(parser)
    parser.add_argument("--queue", metavar="NAME", help="queue for rows that do not name one")
    parser.add_argument("--create-queues", action="store_true", help="create queues the manifest names that do not exist yet (kind 'review')")
    parser.add_argument("--media-root", metavar="DIR", action="append", default=[],
                        help="another folder media may live in (besides the manifest's folder); repeatable")
    parser.add_argument("--dry-run", action="store_true", help="check everything and say what would happen; write nothing")
    parser.add_argument("--skip-invalid", metavar="REJECTS.jsonl",
                        help="import the good rows and write each rejected row, with its reason, to REJECTS.jsonl")
    parser.add_argument("--workers", metavar="N", type=int, default=None, help="parallel media checks (default: one per CPU)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: the media decoders load only when importing.
    from review import importer

    manifest = Path(args.manifest)
    try:
        importer.manifest_format(manifest)
    except importer.ManifestError as exc:
        return fail(str(exc))
    for root in args.media_root:
        if not Path(root).is_dir():
            return fail(f"--media-root {root}: not a folder")
    if args.workers is not None and args.workers < 1:
        return fail("--workers must be at least 1")

    rejects: TextIO | None = None
    if args.skip_invalid and not args.dry_run:
        rejects_path = Path(args.skip_invalid)
        if rejects_path.resolve() in (manifest.resolve(), paths.store_path(getattr(args, "store", None)).resolve()):
            return fail("--skip-invalid must name a new file, not the manifest or the store")
        try:  # opened before anything is written: an unwritable path must not cost an import
            rejects = open(rejects_path, "w", encoding="utf-8")  # noqa: SIM115 - closed in _report or _discard
        except OSError as exc:
            return fail(f"cannot write rejects to {rejects_path}: {exc.strerror or exc}")

    bar = ProgressBar(sys.stderr, then="" if args.dry_run else "writing to the store...")
    try:
        with open_store(args) as store:
            result = importer.import_manifest(
                store, manifest, default_queue=args.queue, create_queues=args.create_queues,
                media_roots=args.media_root, dry_run=args.dry_run, skip_invalid=bool(args.skip_invalid),
                workers=args.workers, progress=bar.update, actor=_actor(args),
            )
    except importer.ManifestError as exc:
        bar.clear()
        _discard(rejects)
        return fail(str(exc))
    except (StoreError, sqlite3.Error) as exc:
        bar.clear()
        _discard(rejects)
        return fail(f"import failed, nothing was written: {exc}")
    except BaseException:
        _discard(rejects)
        raise
    bar.clear()
    return _report(args, result, rejects)


def _report(args: argparse.Namespace, result: importer.ImportResult, rejects: TextIO | None) -> int:
    """Problems on stderr, rejects to their file, and always one summary line last on stdout."""
    bad = len(result.rejected)
    refused = bad and not args.skip_invalid
    if refused or (args.dry_run and bad):
        for problem in result.problems:
            print(problem, file=sys.stderr)
    if rejects is not None:
        with rejects:
            for problem, row in result.rejected:
                record = {"file": problem.file, "line": problem.line, "reason": problem.reason, "row": row}
                rejects.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    timing = f"in {result.seconds:.1f} s ({result.rows_per_second:.0f} rows/s)"
    name = args.manifest
    if refused:
        what = "checked" if args.dry_run else "imported nothing from"
        print(f"{'dry run: ' if args.dry_run else ''}{what} {name}: {bad} of {result.rows} rows have problems "
              f"(listed on stderr); fix them, or pass --skip-invalid REJECTS.jsonl to import the rest; {timing}")
        return 1
    if result.queues_created:
        verb = "would create" if args.dry_run else "created"
        print(f"{verb} {_plural(len(result.queues_created), 'queue')}: {', '.join(result.queues_created)}")
    if bad and args.skip_invalid:
        written = "would be written" if args.dry_run else "written"
        print(f"{_plural(bad, 'rejected row')} {written} to {args.skip_invalid}")
    counts = (f"{_plural(result.added, 'item')} into {_plural(len(result.queues), 'queue')} "
              f"({result.already_present} already present, {bad} rejected) from {name} {timing}")
    print(f"dry run: would import {counts}; nothing written" if args.dry_run else f"imported {counts}")
    return 0


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _actor(args: argparse.Namespace) -> str:
    """Who the event log names: the signed-in --user, else the OS account, else 'cli'."""
    if getattr(args, "user", None):
        return args.user
    try:
        return getpass.getuser() or "cli"
    except (OSError, KeyError, ImportError):  # no login name (containers, services)
        return "cli"


def _discard(handle: TextIO | None) -> None:
    """Remove a rejects file opened for an import that never happened."""
    if handle is not None:
        handle.close()
        Path(handle.name).unlink(missing_ok=True)


class ProgressBar:
    """A one-line ``\\r`` bar on a terminal: count/total and rate, redrawn at most 10 times a second.

    Shown only when the stream is a TTY (never in logs or pipes) and only
    once the import has run for half a second, so quick imports stay quiet.
    """

    WIDTH = 30
    DELAY_S = 0.5
    INTERVAL_S = 0.1

    def __init__(self, stream: TextIO, *, then: str = ""):
        self.stream = stream
        self.then = then  # said once every row is checked (the commit has no count of its own)
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self.started = time.perf_counter()
        self.last_draw = 0.0
        self.drawn = 0  # widest line drawn, to blank it fully

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.started < self.DELAY_S or (now - self.last_draw < self.INTERVAL_S and done < total):
            return
        self.last_draw = now
        fraction = done / total if total else 1.0
        filled = int(fraction * self.WIDTH)
        rate = done / (now - self.started)
        after = f"  {self.then}" if self.then and done >= total else ""
        line = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} rows checked  {rate:.0f} rows/s{after}"
        self.stream.write("\r" + line.ljust(self.drawn))
        self.stream.flush()
        self.drawn = max(self.drawn, len(line))

    def clear(self) -> None:
        """Blank the bar so the summary starts on a clean line."""
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()
            self.drawn = 0
