"""``veil cases``: the open cases — reports of one content waiting for one decision — for leads.

One call on :mod:`review.known.cases`, whose role check (leads only) and queue limit are the domain's, so the app's
Cases page and this command refuse alike; exit 2 when refused or the queue is unknown.
"""

from __future__ import annotations

import argparse

from desktop.commands.common import add_store_option, as_lead, print_json, shown
from desktop.commands.signin import add_user_option
from review.known import cases
from review.store import Store, User


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("cases", help="list the open cases: reports of one content reviewed once (lead only)",
                            description="List the open cases, oldest first: reports of the same content in one "
                            "queue, whose lead item is decided once for all of them. Lead only; exit 2 when "
                            "refused.")
    parser.add_argument("--queue", help="only this queue's cases")
    parser.add_argument("--json", action="store_true", help="print them as JSON")
    add_store_option(parser)
    add_user_option(parser)
    parser.set_defaults(run=run)


def as_json(case: cases.Case) -> dict[str, object]:
    """One case as ``--json`` prints it: id, queue, opened_at, lead item, report count and the reports."""
    row = case.row
    lead = next(r for r in case.reports if r.lead)
    return {"id": row.id, "queue": row.queue, "opened_at": row.opened_at, "key": row.key,
            "lead_item": {"id": lead.item_id, "external_id": lead.external_id}, "reports": row.reports,
            "open_reports": row.open_reports,
            "items": [{"id": r.item_id, "external_id": r.external_id, "queue": r.queue, "state": r.state,
                       "received_at": r.received_at, "due_at": r.due_at, "lead": r.lead,
                       "decided_by_case": r.decided_by_case} for r in case.reports]}


def run(args: argparse.Namespace) -> int:
    def work(store: Store, lead: User) -> int:
        found = cases.open_cases(store, lead, queue=args.queue)
        if args.json:
            print_json([as_json(c) for c in found])
            return 0
        if not found:
            print("no open cases")
        for case in found:
            row = case.row
            lead_item = next(r for r in case.reports if r.lead)
            print(shown(f"case {row.id}  {row.queue}  opened {row.opened_at}  {row.reports} reports "
                        f"({row.open_reports} open, by {row.key})  lead {lead_item.external_id}"))
            for report in case.reports:
                print(shown(f"    {report.external_id}  {report.state}  due {report.due_at}"))
        return 0

    return as_lead(args, "see cases", work)
