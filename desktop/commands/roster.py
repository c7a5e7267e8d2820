"""``veil roster``: a lead imports, lists, exports and edits shifts and sets rotation rules, as the Roster page does.

Every action is one :mod:`review.planning.roster` / :mod:`review.planning.rotation`
call, so refusals are the domain's words and each change is one event.
An import checks every row first and says each problem as ``FILE:LINE``;
one problem and nothing is imported (``--dry-run`` only checks). The
export is CSV a spreadsheet opens safely: a cell that would start a
formula gets a leading ``'`` (``audit.exports.writers.neutralised``).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from audit.exports.writers import neutralised
from desktop.commands.common import add_action, as_lead, fail, print_json, shown
from review.store import Store, User

EXIT_PROBLEMS = 1  # the file has problems: nothing was imported


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("roster", help="shifts and rotation rules: import, list, export, add, delete, rules",
                            description="Plan who works when on which queues, and the rotation rules serving "
                            "honours (lead only).")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    imports = add_action(actions, "import", "Import shifts from CSV (columns person,date,start,end,queues; "
                         "queues separated by ';'). Each person's date in the file gets exactly the file's shifts. "
                         "Exit 1 when the file has problems (nothing imported).", run_import)
    imports.add_argument("file", type=Path, metavar="FILE.csv")
    imports.add_argument("--dry-run", action="store_true", help="check the file and say what would change")
    listing = add_action(actions, "list", "List the shifts of a day (default: today, UTC).", run_list)
    listing.add_argument("--date", metavar="YYYY-MM-DD", help="the day (default: today)")
    listing.add_argument("--to", metavar="YYYY-MM-DD", help="list every day from --date to this one")
    listing.add_argument("--json", action="store_true", help="print the shifts as JSON")
    export = add_action(actions, "export", "Print every shift as CSV (the import's columns).", run_export)
    export.add_argument("--output", type=Path, metavar="FILE", help="write to FILE instead of the terminal")
    add = add_action(actions, "add", "Add one shift.", run_add)
    for name in ("person", "date", "start", "end"):
        add.add_argument(name)
    add.add_argument("queues", nargs="+", metavar="QUEUE")
    delete = add_action(actions, "delete", "Delete one shift (its id, from list).", run_delete)
    delete.add_argument("shift", type=int, metavar="ID")
    rules = add_action(actions, "rules", "Show the rotation rules, or set them (every option given is set).",
                       run_rules)
    rules.add_argument("--severe", action="append", metavar="QUEUE",
                       help="a severe queue (repeatable; 'none' for none)")
    rules.add_argument("--max-minutes", metavar="N|off", help="most minutes a day on severe queues")
    rules.add_argument("--max-days", metavar="N|off", help="most days in a row on a severe queue")


def run_import(args: argparse.Namespace) -> int:
    from review.planning import roster

    def work(store: Store, lead: User) -> int:
        report = roster.import_csv(store, lead, args.file, dry_run=args.dry_run)
        for problem in report.problems:
            print(shown(problem), file=sys.stderr)
        if report.more_problems:
            print(f"… and {report.more_problems} more problems", file=sys.stderr)
        if report.problems:
            print(f"veil: {shown(args.file.name)} has problems: nothing was imported", file=sys.stderr)
            return EXIT_PROBLEMS
        verb = "imported" if report.applied else "would import (dry run)"
        print(f"{verb} {report.rows} shifts for {report.person_days} person-days, replacing {report.replaced}")
        return 0

    return as_lead(args, "change the roster", work)


def run_list(args: argparse.Namespace) -> int:
    from review.planning import roster, rotation

    def work(store: Store, lead: User) -> int:
        first = args.date or store.clock.now().date().isoformat()
        found = roster.shifts(store, lead, first, args.to or first)
        warnings = rotation.shift_warnings(store, [s.row for s in found])
        if args.json:
            print_json([{"id": s.id, "person": s.person, "date": s.day, "start": s.starts, "end": s.ends,
                         "queues": list(s.queues), "queue_ids": list(s.row.queue_ids),
                         "warnings": warnings.get(s.id, [])} for s in found])
            return 0
        if not found:
            print(f"no shifts on {first}" + (f" to {args.to}" if args.to else ""))
        for s in found:
            warned = "".join(f"  ! {w}" for w in warnings.get(s.id, []))
            print(shown(f"{s.id}  {s.day}  {s.starts}-{s.ends}  {s.person}  {'; '.join(s.queues)}{warned}"))
        return 0

    return as_lead(args, "see the roster", work)


def run_export(args: argparse.Namespace) -> int:
    from review.planning import roster

    def work(store: Store, lead: User) -> int:
        out = args.output.open("w", encoding="utf-8", newline="") if args.output else sys.stdout
        try:
            writer = csv.writer(out)
            writer.writerow(["person", "date", "start", "end", "queues"])
            for s in roster.every_shift(store, lead):
                writer.writerow([neutralised(c) for c in (s.person, s.day, s.starts, s.ends, ";".join(s.queues))])
        finally:
            if args.output:
                out.close()
        return 0

    return as_lead(args, "see the roster", work)


def run_add(args: argparse.Namespace) -> int:
    from review.planning import roster

    def work(store: Store, lead: User) -> int:
        s = roster.add_shift(store, lead, args.person, args.date, args.start, args.end, args.queues)
        print(shown(f"added shift {s.id}: {s.person} {s.day} {s.starts}-{s.ends} on {'; '.join(s.queues)}"))
        return 0

    return as_lead(args, "change the roster", work)


def run_delete(args: argparse.Namespace) -> int:
    from review.planning import roster

    def work(store: Store, lead: User) -> int:
        s = roster.delete_shift(store, lead, args.shift)
        print(shown(f"deleted shift {s.id}: {s.person} {s.day} {s.starts}-{s.ends}"))
        return 0

    return as_lead(args, "change the roster", work)


def run_rules(args: argparse.Namespace) -> int:
    from review.planning import rotation
    from review.store.people import queue_name

    def limit(text: str | None, now: int | None) -> int | None:
        if text is None:
            return now
        if text == "off":
            return None
        if not text.isdigit():
            raise ValueError(f"{text!r} is not a whole number or 'off'")
        return int(text)

    def work(store: Store, lead: User) -> int:
        found = rotation.rules(store)
        if args.severe is not None or args.max_minutes is not None or args.max_days is not None:
            severe = ([] if args.severe == ["none"] else args.severe) if args.severe is not None else [
                queue_name(store, q) for q in found.severe_queue_ids]
            try:
                found = rotation.set_rules(store, lead, severe_queues=severe,
                                           max_minutes=limit(args.max_minutes, found.max_minutes),
                                           max_days=limit(args.max_days, found.max_days), expected=found)
            except ValueError as exc:
                return fail(str(exc))
        names = ", ".join(queue_name(store, q) for q in found.severe_queue_ids) or "none"
        print(shown(f"severe queues: {names}"))
        print(f"at most {found.max_minutes or 'any'} minutes a day on severe queues; "
              f"at most {found.max_days or 'any'} days in a row")
        return 0

    return as_lead(args, "change the roster", work)
