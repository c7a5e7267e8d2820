"""``veil import``: load items, past decisions and QA audits from a JSON Lines or CSV manifest.

The checking and writing live in :mod:`review.imports.manifest` (items),
:mod:`review.imports.past_decisions` (decision rows) and :mod:`audit.past_audits` (audit rows);
this module composes those row handlers (:func:`row_handlers` — the review
domain never imports the audit domain, so the composition happens here),
turns arguments into a call and the result into text and an exit code:
0 imported (or nothing to do), 1 bad rows and nothing written, 2 the
manifest, taxonomy or store could not be used at all, the person may not
import, or an item import stopped half-way (the message says how many rows
were written; running it again adds the rest). Names and paths it prints
are made safe for the terminal (:func:`desktop.commands.common.shown`).

Importing is a lead's (items, decisions and audits alike, and with them new
people, roles and queues): the importer is the signed-in lead
(:mod:`desktop.commands.signin`) and every event names them. Into a truly
empty store (a new one: no people, queues, items or events), the named
person founds it and becomes its first lead with the import; a store that
holds work but nobody is refused (its first lead is created by whoever
owns the file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from desktop import paths
from desktop.commands.common import add_store_option, fail, open_store, shown
from desktop.commands.signin import add_user_option, named, signed_in
from review.errors import NotAllowed, VeilError

if TYPE_CHECKING:
    from review.imports import manifest as importer
    from review.taxonomy import Taxonomy


def row_handlers(taxonomy: Taxonomy | Callable[[], Taxonomy] | None = None) -> list[importer.RowHandler]:
    """Every row type ``veil import`` accepts, in commit order: items, decisions, audits.

    *taxonomy* (a Taxonomy, a loader, or None for the bundled one) checks
    actions and labels of history rows. A GUI import dialog composes the
    same list.
    """
    from audit.past_audits import AuditRows
    from review.imports.decision_rows import DecisionRows
    from review.imports.items import ITEMS

    return [ITEMS, DecisionRows(taxonomy), AuditRows(taxonomy)]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "import",
        help="import items, past decisions and QA audits from a JSON Lines or CSV manifest",
        description="Check every row of MANIFEST (and every media file it names) and import it, "
        "all or nothing: one bad row means nothing is written and every problem is listed as "
        "FILE:LINE: reason. Rows are items unless their \"type\" says \"decision\" (a past decision) or "
        "\"audit\" (a past QA audit of one); users they name are created with the role they imply. "
        "Rows already in the store are skipped, so re-running is safe. Only a lead imports; into a new, empty store, "
        "the person named becomes its first lead.",
    )
    parser.add_argument("manifest", metavar="MANIFEST",
                        help="a .jsonl/.ndjson (one JSON object a line) or .csv (header row) file")
    add_store_option(parser)
    add_user_option(parser, who="the lead importing")
    parser.add_argument("--queue", metavar="NAME", help="queue for rows that do not name one")
    parser.add_argument("--create-queues", action="store_true",
                        help="create queues the manifest names that do not exist yet (kind 'review')")
    parser.add_argument("--media-root", metavar="DIR", action="append", default=[],
                        help="another folder media may live in (besides the manifest's folder); repeatable")
    parser.add_argument("--dry-run", action="store_true",
                        help="check everything and say what would happen; write nothing")
    parser.add_argument("--skip-invalid", metavar="REJECTS.jsonl",
                        help="import the good rows and write each rejected row, with its reason, to REJECTS.jsonl")
    parser.add_argument("--workers", metavar="N", type=int, default=None,
                        help="parallel media checks (default: one per CPU)")
    parser.add_argument("--taxonomy", metavar="FILE",
                        help="policy taxonomy to check the actions and labels of decision and audit rows against "
                        "(default: $VEIL_HOME/taxonomy.toml if there is one, else the bundled taxonomy)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: the media decoders load only when importing.
    from review import taxonomy
    from review.imports import manifest as importer
    from review.taxonomy import stored

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
    # The organisation's taxonomy (stored, else the team's file, else the bundled one) is read only if the
    # manifest has history rows; one named with --taxonomy is read now, so a problem with it stops before
    # the store is opened.
    policy: taxonomy.Taxonomy | None = None
    if args.taxonomy:
        try:
            policy = taxonomy.load(args.taxonomy)
        except taxonomy.TaxonomyError as exc:
            return fail(f"--taxonomy: {exc}")

    name = named(args)  # before the store is opened: a new one is not left behind for nobody
    rejects: TextIO | None = None
    if args.skip_invalid and not args.dry_run:
        rejects_path = Path(args.skip_invalid)
        store_file = Path(paths.store_path(getattr(args, "store", None)))  # a server URL is no file here
        if rejects_path.resolve() in (manifest.resolve(), store_file.resolve()):
            return fail("--skip-invalid must name a new file, not the manifest or the store")
        try:  # opened before anything is written: an unwritable path must not cost an import
            rejects = _private_text_file(rejects_path)
        except OSError as exc:
            return fail(f"cannot write rejects to {rejects_path}: {exc.strerror or exc}")

    bar = ProgressBar(sys.stderr, then="" if args.dry_run else "writing to the store...")
    try:
        with open_store(args) as store:
            handlers = row_handlers(policy or partial(stored.organisation, store, paths.taxonomy_path()))
            # Nobody to sign in as in a store with nobody in it: the import founds it if it is truly empty,
            # and refuses, saying what to do, if it holds work (review.imports.manifest).
            actor = signed_in(store, args, roles=("lead",), to="import manifests") if store.users() else name
            result = importer.import_manifest(
                store, manifest, default_queue=args.queue, create_queues=args.create_queues,
                media_roots=args.media_root, dry_run=args.dry_run, skip_invalid=bool(args.skip_invalid),
                workers=args.workers, progress=bar.update, actor=actor, handlers=handlers,
                on_rejected=None if rejects is None else partial(_write_reject, rejects),
            )
    except NotAllowed as exc:  # not signed in, or not a lead: refused before anything was written
        bar.clear()
        _discard(rejects)
        return fail(str(exc))
    except (importer.ManifestError, taxonomy.TaxonomyError) as exc:
        bar.clear()
        _discard(rejects)
        return fail(str(exc))
    except importer.ImportStopped as exc:  # an item manifest is written in chunks: say how far it got
        bar.clear()
        _discard(rejects)
        return fail(f"import of {args.manifest} {exc}")
    except VeilError as exc:
        bar.clear()
        _discard(rejects)
        return fail(f"import failed, nothing was written: {exc}")
    except BaseException:
        _discard(rejects)
        raise
    bar.clear()
    return _report(args, result, rejects, nouns={h.type: h.nouns for h in handlers})


def _report(args: argparse.Namespace, result: importer.ImportResult, rejects: TextIO | None, *,
            nouns: dict[str, tuple[str, str]]) -> int:
    """Problems on stderr (the first ones the result keeps, then how many more), and one summary line on stdout.

    The rejects file was written as the import went (:func:`_write_reject`); here it is closed.
    """
    bad = result.rejected_rows
    refused = bad and not args.skip_invalid
    if refused or (args.dry_run and bad):
        for problem in result.problems:
            print(shown(problem), file=sys.stderr)
        if result.more_rejected:
            print(f"… and {result.more_rejected:,} more rows with problems", file=sys.stderr)
    if rejects is not None:
        rejects.close()
    timing = f"in {result.seconds:.1f} s ({result.rows_per_second:.0f} rows/s)"
    name = shown(args.manifest)
    if refused:
        what = "checked" if args.dry_run else "imported nothing from"
        print(f"{'dry run: ' if args.dry_run else ''}{what} {name}: {bad} of {result.rows} rows have problems "
              f"(listed on stderr); fix them, or pass --skip-invalid REJECTS.jsonl to import the rest; {timing}")
        return 1
    if result.founder:
        print(f"{shown(result.founder)} {'would be' if args.dry_run else 'is'} this store's first lead "
              "(the store had nobody in it)")
    if result.queues_created:
        verb = "would create" if args.dry_run else "created"
        created = ", ".join(shown(queue) for queue in result.queues_created)
        print(f"{verb} {_plural(len(result.queues_created), 'queue')}: {created}")
    if result.users_created:
        verb = "would create" if args.dry_run else "created"
        print(f"{verb} {_plural(len(result.users_created), 'user')}: {_roles(result.users_created)}")
    if result.roles_added:
        verb = "would add" if args.dry_run else "added"
        print(f"{verb} roles to {_plural(len(result.roles_added), 'existing user')}: {_roles(result.roles_added)}")
    if bad and args.skip_invalid:
        written = "would be written" if args.dry_run else "written"
        print(f"{_plural(bad, 'rejected row')} {written} to {shown(args.skip_invalid)}")
    counts = (f"{_what(result, nouns)} ({result.already_present} already present, {bad} rejected) "
              f"from {name} {timing}")
    print(f"dry run: would import {counts}; nothing written" if args.dry_run else f"imported {counts}")
    return 0


def _write_reject(rejects: TextIO, problem: importer.Problem, row: object) -> None:
    """One rejected row, with its reason, as a line of the rejects file (every one: the file is streamed)."""
    record = {"file": problem.file, "line": problem.line, "reason": problem.reason, "row": row}
    rejects.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")


def _what(result: importer.ImportResult, nouns: dict[str, tuple[str, str]]) -> str:
    """ "2 items into 1 queue", or with history rows "2 items, 5 decisions and 1 audit into 1 queue"."""
    kinds = [t for t, c in result.counts.items() if c.rows] or ["item"]
    parts = [_plural(result.count(t).added, *nouns.get(t, (t, t + "s"))) for t in kinds]
    text = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    if "item" in kinds:
        text += f" into {_plural(len(result.queues), 'queue')}"
    return text


def _roles(users: dict[str, list[str]], at_most: int = 10) -> str:
    """ "ana (moderator), bo (auditor)", the first *at_most* names, then how many more."""
    named = [f"{shown(name)} ({', '.join(roles)})" for name, roles in sorted(users.items())]
    more = f" and {len(named) - at_most} more" if len(named) > at_most else ""
    return ", ".join(named[:at_most]) + more


def _plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def _private_text_file(path: Path) -> TextIO:
    """*path* emptied (or created) for writing, owner-only whatever the umask: rejected rows are people's reports.

    Like an export, what Veil writes there is its own output, so a file already there is made 0600 too
    (before it is emptied: a file Veil may not re-permission is refused untouched). A symlink is refused
    (``O_NOFOLLOW``), so the rows never land in a file the link points at.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.ftruncate(fd, 0)
        return open(fd, "w", encoding="utf-8")  # noqa: SIM115 - closed in _report or _discard
    except BaseException:
        os.close(fd)
        raise


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
