"""``veil statements``: DSA statements of reasons — the lead's mapping, and a period's export.

One function per action (``run_<action>``), each one domain call
(``audit.compliance``), the same the Statements page makes; lead only,
signed in.
"""

from __future__ import annotations

import argparse
import sys

from desktop.commands.common import add_action, as_lead, fail, print_json, shown
from review.store import Store, User


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("statements", help="DSA statements of reasons: mapping, export",
                            description="Statements of reasons for the EU DSA Transparency Database "
                                        "(docs/statements.md).")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = add_action(actions, "export", "Write a period's statements as the database's batch files "
                        "(at most 100 each); refused ones are listed with the mapping entry to fix.", run_export)
    export.add_argument("--from", dest="start", required=True, metavar="DATE", help="first day, YYYY-MM-DD")
    export.add_argument("--to", dest="end", required=True, metavar="DATE", help="last day, YYYY-MM-DD (included)")
    export.add_argument("--out", required=True, metavar="DIR", help="the folder the files are written to "
                        "(made, owner-only, when missing)")
    export.add_argument("--again", action="store_true", help="write statements already exported again")
    export.add_argument("--json", action="store_true", help="print {files, statements, refused, already_exported} "
                        "and the refusals as JSON")
    mapped = add_action(actions, "mapping", "Show, import or export the mapping of labels, actions, item kinds, "
                        "report sources and deciders to the database's fields.", run_mapping)
    which = mapped.add_mutually_exclusive_group()
    which.add_argument("--import", dest="import_file", metavar="FILE", help="replace the mapping with FILE "
                       "(TOML, or JSON when it ends in .json); checked first, nothing changes if it is refused")
    which.add_argument("--export", dest="export_file", metavar="FILE", help="write the mapping to FILE "
                       "(TOML, or JSON when it ends in .json)")
    from desktop.commands.statements_submit import add_submit  # issue 21 §4, its own module

    add_submit(actions)


def run_export(args: argparse.Namespace) -> int:
    from audit.compliance import export

    def work(store: Store, lead: User) -> int:
        def progress(done: int, total: int) -> None:
            if not args.json:
                print(f"\rwriting statements {done}/{total}", end="", file=sys.stderr, flush=True)

        try:
            summary = export.export(store, lead, args.start, args.end, args.out, again=args.again, progress=progress)
        except export.StatementsError as exc:
            return fail(str(exc))
        if args.json:
            print_json(summary.as_json())
            return 0
        if summary.statements:
            print(file=sys.stderr)
        for path in summary.files:
            print(f"wrote {shown(path)}")
        print(f"{summary.statements} statements exported, {summary.already_exported} already exported"
              + (" (--again writes them again)" if summary.already_exported else "")
              + f", {summary.refused_statements} refused ({len(summary.refused)} problems)")
        for refusal in summary.refused:
            print(f"  refused: decision {refusal.decision_id} (item {shown(refusal.external_id)}): "
                  f"{refusal.field}: {shown(refusal.reason)} — fix the mapping entry {shown(refusal.entry)}")
        return 0

    return as_lead(args, "export statements of reasons", work)


def run_mapping(args: argparse.Namespace) -> int:
    from audit.compliance import mapping

    def work(store: Store, lead: User) -> int:
        if args.import_file:
            try:
                value = mapping.read_file(args.import_file)
                mapping.save(store, lead, value)
            except mapping.MappingError as exc:
                return fail(f"the mapping was not changed:\n{exc}")
            print(f"mapping imported from {shown(args.import_file)}: {len(value.get('labels', {}))} labels, "
                  f"{len(value.get('actions', {}))} actions, {len(value.get('kinds', {}))} item kinds, "
                  f"{len(value.get('sources', {}))} report sources")
            return 0
        current = mapping.current(store)
        if args.export_file:
            try:
                mapping.write_file(current, args.export_file)
            except OSError as exc:
                return fail(f"cannot write {args.export_file}: {exc.strerror or exc}")
            print(f"mapping written to {shown(args.export_file)}")
            return 0
        print(mapping.dumps(current, as_json=False), end="")
        return 0

    return as_lead(args, "set the statements mapping", work)
