"""``veil sample``: run the sampling plans now, as the signed-in lead, and print what they drew."""

from __future__ import annotations

import argparse
import json

from desktop.commands.common import add_store_option, fail, open_store, shown
from desktop.commands.signin import add_user_option, signed_in
from review.errors import VeilError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sample", help="run the QA sampling plans now and list the decisions drawn",
        description="Run the active sampling plans (or --plan NAME) now, as a lead, and list each decision "
        "drawn for audit with its reason and auditor. With --due, run only the plans whose period has not "
        "been run yet (what the app's schedule does; cron-friendly). Exit 2 on bad usage, an unknown plan, "
        "or when not signed in as a lead.",
    )
    add_store_option(parser)
    add_user_option(parser, "--lead", who="the lead running the plans")
    parser.add_argument("--plan", metavar="NAME", action="append",
                        help="run only this plan (repeatable; a paused plan is refused)")
    parser.add_argument("--due", action="store_true", help="run only the plans due in this period (as the schedule)")
    parser.add_argument("--json", action="store_true", help="print the samples as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from audit import sampling

    if args.due and args.plan:
        return fail("--due runs every due plan; leave out --plan")
    with open_store(args, must_exist=True) as store:
        lead = signed_in(store, args, roles=("lead",), to="run sampling plans")
        try:
            if args.due:
                results = sampling.run_due_plans(store, lead)
            else:
                results = sampling.run_plans(store, lead, names=args.plan)
        except VeilError as exc:  # the lead lost the role meanwhile, the store is busy
            return fail(str(exc))
        except KeyError as exc:  # no such plan
            return fail(exc.args[0])
    if args.json:
        print(json.dumps([{"plan": r.plan, "by_reason": r.by_reason(),
                           "samples": [{"sample": s.id, "decision": s.decision_id, "moderator": s.moderator,
                                        "queue": s.queue, "reason": s.reason, "auditor": s.auditor}
                                       for s in r.samples]} for r in results], indent=2, ensure_ascii=False))
        return 0
    if not results:
        print("no plan to run" + (" (every active plan already ran this period)" if args.due else ""))
    for r in results:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(r.by_reason().items()))
        unassigned = sum(1 for s in r.samples if s.auditor is None)
        print(f"plan {shown(r.plan)}: {len(r.samples)} sampled" + (f" ({reasons})" if reasons else "")
              + (f"; {unassigned} unassigned (no eligible auditor)" if unassigned else ""))
        for s in r.samples:
            print(f"  sample {s.id}  decision {s.decision_id}  moderator {shown(s.moderator)}  queue {shown(s.queue)}"
                  f"  reason {s.reason}  auditor {shown(s.auditor or '—')}")
    return 0
