"""``veil hashlist {import|list|rename|remove|export}``: hash lists, a lead's to change, a moderator's to read.

``import FILE --name NAME`` reads a CSV ``signal_type,signal[,tag][,note]``
(``pdq``, ``md5``, ``sha256``, ``text``, ``text_sha256``) or a plain file of
one hash a line with ``--signal-type``; every bad line is said as
``FILE:LINE: reason`` and nothing is imported (exit 1). Into an existing
list it adds a new version; then the store's pending items are matched
against the new entries (a list with an action acts on them). Each action
makes one call on :mod:`review.known.lists`, so the refusals are the
domain's, in its words; exit 2 when refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop import paths
from desktop.commands.common import add_action, add_store_option, as_lead, fail, open_store, print_json, shown
from desktop.commands.signin import add_user_option, signed_in
from review.errors import VeilError
from review.known import list_files, lists
from review.store import Store, User, hashlists


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("hashlist", help="import, list, rename, remove and export hash lists",
                            description="Hash lists of known content (PDQ, MD5, SHA-256, texts): a lead imports, "
                            "renames, removes and exports them; moderators and leads list them.")
    actions = parser.add_subparsers(dest="hashlist_action", metavar="ACTION", required=True)
    imported = add_action(actions, "import", "import a list file into a new or existing list", run_import)
    imported.add_argument("file", type=Path, metavar="FILE", help="CSV with the header signal_type,signal[,tag]"
                          "[,note], or one hash a line with --signal-type")
    imported.add_argument("--name", required=True, help="the list's name (an existing list gets a new version)")
    imported.add_argument("--action", help="the taxonomy action a match suggests (or, --automated, decides)")
    imported.add_argument("--labels", help="policy labels of that action, comma-separated (L1,L2)")
    imported.add_argument("--automated", action=argparse.BooleanOptionalAction, default=None,
                          help="decide matching items without a person (needs --action)")
    imported.add_argument("--dihedral", action=argparse.BooleanOptionalAction, default=None,
                          help="PDQ entries also match rotated and mirrored pictures")
    imported.add_argument("--signal-type", choices=list_files.FILE_TYPES,
                          help="the signal type of a plain file of one hash a line")
    listed = actions.add_parser("list", help="the lists with their entries, action and version",
                                description="The hash lists (moderators and leads). Exit 2 when refused.")
    add_store_option(listed)
    add_user_option(listed)
    listed.add_argument("--json", action="store_true", help="print them as JSON")
    listed.set_defaults(run=run_list)
    renamed = add_action(actions, "rename", "rename a list", run_rename)
    renamed.add_argument("old", metavar="OLD")
    renamed.add_argument("new", metavar="NEW")
    removed = add_action(actions, "remove", "remove a list, its entries and its matches", run_remove)
    removed.add_argument("name", metavar="NAME")
    exported = add_action(actions, "export", "write the team's own items decided with an action as a list",
                          run_export)
    exported.add_argument("--action", required=True, help="the current decision's action, e.g. remove")
    exported.add_argument("--out", required=True, type=Path, metavar="FILE", help="the CSV file to write")


def _progress(what: str) -> lists.Progress | None:
    """A counter on the terminal's last line (none when stderr is not a terminal); :func:`_done` ends it."""
    if not sys.stderr.isatty():
        return None

    def say(done: int, total: int) -> None:
        print(f"\r{what}: {done:,}" + (f" of {total:,}" if total else ""), end="", file=sys.stderr, flush=True)

    return say


def _done() -> None:
    if sys.stderr.isatty():
        print(file=sys.stderr)


def run_import(args: argparse.Namespace) -> int:
    from review.taxonomy import stored

    def work(store: Store, lead: User) -> int:
        labels = [label.strip() for label in args.labels.split(",") if label.strip()] if args.labels else None
        try:
            done = lists.import_list(store, lead, args.file, name=args.name,
                                     taxonomy=stored.organisation(store, paths.taxonomy_path()),
                                     action=args.action, labels=labels, automated=args.automated,
                                     dihedral=args.dihedral, signal_type=args.signal_type,
                                     progress=_progress("entries written"))
        except list_files.ListFileError as exc:
            _done()
            return fail(str(exc), 1)
        _done()
        print(shown(f"{'created' if done.created else 'added to'} {done.name} (version {done.version}): "
                    f"{done.added:,} new entries, {done.duplicates:,} duplicates, from {done.lines:,} lines"))
        matched = lists.match_pending(store, lead, done.name, since_version=done.version,
                                      progress=_progress("pending items matched"))
        _done()
        print(f"{matched:,} matches among the pending items")
        return 0

    return as_lead(args, "import hash lists", work)


def _as_json(row: hashlists.ListRow) -> dict[str, object]:
    return {"name": row.name, "entries": row.entries, "action": row.action, "labels": list(row.labels),
            "automated": row.automated, "dihedral": row.dihedral, "version": row.version,
            "created_by": row.created_by, "created_at": row.created_at, "changed_by": row.changed_by,
            "changed_at": row.changed_at}


def run_list(args: argparse.Namespace) -> int:
    with open_store(args, must_exist=True) as store:
        person = signed_in(store, args, roles=lists.READ_BY, to="see hash lists")
        try:
            found = lists.lists(store, person)
        except VeilError as exc:
            return fail(str(exc))
    if args.json:
        print_json([_as_json(row) for row in found])
        return 0
    if not found:
        print("no hash lists")
    for row in found:
        entries = ", ".join(f"{n:,} {kind}" for kind, n in row.entries.items()) or "no entries"
        does = (f"{'decides' if row.automated else 'suggests'} {row.action}"
                + (f" ({', '.join(row.labels)})" if row.labels else "")) if row.action else "shows matches only"
        print(shown(f"{row.name}  v{row.version}  {entries}  {does}{'  dihedral' if row.dihedral else ''}  "
                    f"changed {row.changed_at} by {row.changed_by}"))
    return 0


def run_rename(args: argparse.Namespace) -> int:
    def work(store: Store, lead: User) -> int:
        lists.rename_list(store, lead, args.old, args.new)
        print(shown(f"renamed {args.old} to {args.new}"))
        return 0

    return as_lead(args, "rename hash lists", work)


def run_remove(args: argparse.Namespace) -> int:
    def work(store: Store, lead: User) -> int:
        lists.remove_list(store, lead, args.name)
        print(shown(f"removed {args.name}"))
        return 0

    return as_lead(args, "remove hash lists", work)


def run_export(args: argparse.Namespace) -> int:
    from review.taxonomy import stored

    def work(store: Store, lead: User) -> int:
        items = lists.export_list(store, lead, args.action, args.out,
                                  taxonomy=stored.organisation(store, paths.taxonomy_path()),
                                  progress=_progress("items written"))
        print(shown(f"wrote {items:,} items decided {args.action} to {args.out}"))
        return 0

    return as_lead(args, "export hash lists", work)
