"""``veil verify``: prove what the store file alone can prove, and check anchors kept elsewhere.

What each check proves and what only an anchor can: docs/verify.md.
Exit 0: no problem and every ``--expect`` anchor holds; 1: problems (each
named); 2: nothing could be checked (no store, not a Veil store, a bad
option, an unreadable taxonomy).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

from audit.store import reconcile_dsa, reconcile_training, scored_audits
from desktop import paths, wiring
from desktop.commands.common import add_store_option, existing_store_path, fail, shown
from review.store import applied_migrations, integrity, media_check, probe
from review.store.connection import shown_location


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "verify", help="prove the store's history is intact and agrees with its rows",
        description="Check the SQLite file, the schema and its append-only triggers, the event log's hash chain, "
        "and that decisions, item states, users and roles agree with the events; name every problem. "
        "A forger with write access can recompute all of that consistently: keep the printed head "
        "(N:HASH) elsewhere and check it later with --expect. Exit 1 on any problem, 2 if nothing could be "
        "checked. See docs/verify.md.")
    add_store_option(parser)
    parser.add_argument("--json", action="store_true",
                        help='print {"events": N, "head": HASH, "ok": …, "problems": […], …} instead of text')
    parser.add_argument("--expect", metavar="N:HEAD", action="append", type=_anchor, default=[],
                        help="fail unless event N still carries hash HEAD (an anchor from an earlier verify, "
                        "export or report; later events are fine); repeatable")
    parser.set_defaults(run=run)


def _anchor(text: str) -> tuple[int, str]:
    try:
        return integrity.parse_anchor(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    from review import taxonomy
    from review.clock import SystemClock
    from review.store import Store
    from review.taxonomy import stored

    path = existing_store_path(args)
    # Read-only and never migrated: the report is on the file as it is, and opening it as a
    # store would first upgrade it (re-creating a trigger or a schema step a tamperer removed).
    with contextlib.closing(probe.open_read_only(path)) as db:
        try:  # which action escalates (an escalated item stays pending) is the organisation's policy
            policy = stored.organisation(Store(db, path, SystemClock()), paths.taxonomy_path())
        except taxonomy.TaxonomyError as exc:
            return fail(f"cannot check item states without the policy taxonomy: {exc}")
        escalating = {action.id for action in policy.actions if action.escalates}
        report = integrity.check(db, wiring.schema_sets(), escalating=escalating)
        anchors = [(n, digest, integrity.anchor_problem(db, n, digest, report)) for n, digest in args.expect]
        steps = [f"{s}/{n}" for s, n in applied_migrations(db)]
        statements = integrity.limited(reconcile_dsa.statement_problems(db))  # audit's rows review cannot read
        statements += integrity.limited(media_check.problems(db, path))  # every file in the media root, unchanged
        statements += integrity.limited(reconcile_training.attempt_problems(db))  # a pass certifies: audit's rows
        statements += integrity.limited(scored_audits.problems(db))  # the dashboard's audit rows, recounted
    problems = [*report.problems, *statements, *(problem for _, _, problem in anchors if problem)]
    if args.json:
        json.dump({"store": shown_location(path), "events": report.head.events, "head": report.head.hash,
                   "ok": not problems, "problems": problems, "schema": steps,
                   "anchors": [{"events": n, "head": digest, "ok": problem is None} for n, digest, problem in anchors]},
                  sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        _print_text(report, steps, anchors, problems)
    return 1 if problems else 0


def _print_text(report: integrity.Report, steps: list[str], anchors: list[tuple[int, str, str | None]],
                problems: list[str]) -> None:
    state = "current" if report.schema_problems == 0 else f"NOT as Veil makes it ({report.schema_problems} problems)"
    print(f"schema: {state} ({len(steps)} steps: {', '.join(steps)})")
    if report.first_break is None:
        print(f"events: intact ({report.events_checked} rows, hash chain verified)")
    else:
        before, broken = report.first_break
        print(f"events: BROKEN at row {broken.row_id}: {shown(broken.reason)} ({before} rows before it are intact)")
    print(f"head: {report.head.events}:{report.head.hash}  (an anchor: kept elsewhere, --expect proves it later)")
    for n, digest, problem in anchors:
        print(f"anchor {n}:{digest}: " + ("holds" if problem is None else "BROKEN"))
    if problems:
        print(f"problems ({len(problems)}):")
        for problem in problems:
            print(f"  - {shown(problem)}")
    else:
        print("problems: none")
