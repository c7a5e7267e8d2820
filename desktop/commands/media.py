"""``veil media collect`` / ``prune``: bring every media file a store names into its media root; remove orphans.

Stores imported before m016 (and files that lay outside the store's folder
then) name their media by absolute paths on one machine. ``collect`` copies
each such file into ``<store>.media/`` under its content name and makes the
items' paths relative, with one ``media.collected`` event
(:func:`review.media.root.collect`, a lead's). Missing files and files whose
bytes changed since import are listed, not fatal: the rest are collected,
and running it again after fixing them collects those too. Exit 0 when
everything is in the root, 1 when some files were listed, 2 on a refusal.

``prune`` removes the files in the root that no item names (a failed
import's copies, a killed one's ``.incoming-*.part`` files; ``veil verify``
lists them), except those touched within ``--older-than`` hours (default
a day: an import running now may be about to name them), with one
``media.pruned`` event (:func:`review.media.root.prune`, a lead's). Exit 0,
1 when some files could not be removed, 2 on a refusal.

``repair FOLDER…`` puts back, from the original files, media the store
lost or holds damaged (what ``veil verify`` names): each file is hashed, and
where items show those bytes the store's copy is checked against it and
what differs is written again, with one ``media.repaired`` event
(:func:`review.media.root.repair`, a lead's). Exit 0, 2 on a refusal.

On a server store (issue 15 §4) the store keeps its media inside it:
``collect`` uploads the files its items name on this desk (a phase-1 demo's,
say), resumable, ``prune`` removes the blobs no item names (a failed or
killed import's, unfinished uploads among them) and ``repair`` rewrites a
blob's damaged rows; same exits, same events.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop.commands.common import add_action, as_lead, shown
from review.store import Store, User


def _where(store: Store) -> str:
    """What the commands name the media's place by: the media folder, or the store itself (a server's blobs)."""
    return shown(store.media_root) if store.media_root is not None else f"the media kept in {shown(store.location)}"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("media", help="the store's media: collect files outside it, prune orphans, repair (lead)",
                            description="Work on the store's media: the folder <store>.media/ beside a store file, "
                                        "or the media a server store keeps inside it.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add_action(actions, "collect", "Copy every media file the store's items name outside its media folder into it "
               "(content-addressed, each file once) and make their paths relative, so the store folder can be "
               "moved or copied to another machine; missing or changed files are listed and left as they are.",
               run_collect)
    prune = add_action(actions, "prune", "Remove the files in the store's media folder that no item names: copies "
                       "left by an import that failed, and unfinished .incoming-*.part copies of one that was killed "
                       "(veil verify lists them). Files touched more recently than --older-than are left alone.",
                       run_prune)
    prune.add_argument("--older-than", type=_hours, metavar="HOURS",
                       help="leave files touched within this many hours (default 24: an import running now may "
                            "still name them; 0 removes every orphan)")
    repair = add_action(actions, "repair", "Put back media the store lost or holds damaged (veil verify names them) "
                        "from the original files: each file under the folders given is hashed, and where items show "
                        "those bytes, whatever the store holds that differs is written again from it.", run_repair)
    repair.add_argument("paths", nargs="+", type=Path, metavar="FOLDER",
                        help="files, or folders searched for files (the originals of the damaged media)")


def run_collect(args: argparse.Namespace) -> int:
    from review.media import root

    def work(store: Store, lead: User) -> int:
        done = root.collect(store, lead.name, progress=_progress)
        _progress_end()
        where = _where(store)
        if store.media_root is None:  # a server store: the files went into it
            print(f"collected into {where}: {done.copied} files uploaded, {done.items} items now name their media "
                  "by its content")
        else:
            print(f"collected into {where}: {done.copied} files copied, {done.in_place} already inside, "
                  f"{done.items} items now name their media relative to it")
        for path in done.missing:
            print(f"missing (left as it was): {shown(path)}", file=sys.stderr)
        for path in done.changed:
            print(f"changed since it was imported (left as it was): {shown(path)}", file=sys.stderr)
        if done.missing or done.changed:
            print(f"{len(done.missing)} missing and {len(done.changed)} changed files listed above; "
                  "put them back and run this again", file=sys.stderr)
            return 1
        return 0

    return as_lead(args, "collect media into the store's media folder", work)


def run_prune(args: argparse.Namespace) -> int:
    from review.media import root

    def work(store: Store, lead: User) -> int:
        hours = root.PRUNE_AFTER_SECONDS / 3600 if args.older_than is None else args.older_than
        done = root.prune(store, lead.name, older_than=hours * 3600)
        print(f"pruned {_where(store)}: of the files no item names, removed {done.removed} "
              f"({done.unfinished} unfinished copies, {done.bytes:,} bytes)")
        if done.recent:
            print(f"left {done.recent} touched within {hours:g} hours (an import may still name them); "
                  "run this again later, or with --older-than 0")
        for failure in done.failed:
            print(f"could not remove {shown(failure)}", file=sys.stderr)
        return 1 if done.failed else 0

    return as_lead(args, "remove media files no item names", work)


def run_repair(args: argparse.Namespace) -> int:
    from review.media import root

    if absent := [path for path in args.paths if not path.exists()]:
        print(f"no such file or folder: {', '.join(shown(path) for path in absent)}", file=sys.stderr)
        return 2

    def work(store: Store, lead: User) -> int:
        done = root.repair(store, lead.name, args.paths, progress=_progress)
        _progress_end()
        print(f"repaired {_where(store)}: of {done.files} files read, {done.restored} put back whole, "
              f"{done.mended} mended where damaged, {done.unnamed} shown by no item (left alone)")
        return 0

    return as_lead(args, "repair the store's media", work)


def _hours(text: str) -> float:
    """--older-than: a number of hours, zero or more."""
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {text!r}") from None
    if not hours >= 0 or hours == float("inf"):
        raise argparse.ArgumentTypeError(f"give zero or more hours, not {text!r}")
    return hours


def _progress(done: int, total: int) -> None:
    """A self-overwriting "files n/N" line on a terminal; nothing in logs or pipes."""
    if total and sys.stderr.isatty():
        sys.stderr.write(f"\rmedia: {done}/{total} files")
        sys.stderr.flush()


def _progress_end() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
