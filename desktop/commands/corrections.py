"""``veil corrections`` (leads: the open requests to correct a decision, declined or corrected) and ``veil decisions
mine`` (anyone who decides: their last decisions, and asking a lead to correct one).

Each action signs in and makes one call on :mod:`review.corrections`, so
the refusals (roles, one open request per decision, a lead's own decision)
are the domain's, in its words; exit 2 when refused.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

from desktop import paths
from desktop.commands.common import add_action, add_store_option, as_lead, fail, open_store, print_json, shown
from desktop.commands.signin import add_user_option, signed_in
from review import corrections
from review.errors import VeilError
from review.store import Store, User


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("corrections", help="answer requests to correct a decision (lead only)",
                            description="List the open requests to correct a decision, decline one with a reason "
                            "or correct it with a decision of your own. Lead only; exit 2 when refused.")
    actions = parser.add_subparsers(dest="corrections_action", metavar="ACTION", required=True)
    listing = add_action(actions, "list", "list the open requests, oldest first", run_list)
    listing.add_argument("--json", action="store_true", help="print them as JSON")
    decline = add_action(actions, "decline", "decline a request: the decision stands", run_decline)
    decline.add_argument("request", type=int, help="the request's number (veil corrections list)")
    decline.add_argument("--reason", required=True, help="why it stands (the moderator reads it)")
    correct = add_action(actions, "correct", "correct the decision: yours replaces it", run_correct)
    correct.add_argument("request", type=int, help="the request's number (veil corrections list)")
    correct.add_argument("--action", required=True, help="the action that replaces the decision")
    correct.add_argument("--label", action="append", default=[], help="a policy label (repeatable)")
    correct.add_argument("--note", default="", help="the note of your decision")

    mine = sub.add_parser("decisions", help="your own recent decisions, and asking a lead to correct one",
                          description="Your last decisions (moderators and leads), and asking a lead to correct "
                          "one after the undo time. Exit 2 when refused.")
    own = mine.add_subparsers(dest="decisions_action", metavar="ACTION", required=True)
    listed = own.add_parser("mine", help="your last decisions, newest first")
    listed.add_argument("--limit", type=int, default=corrections.RECENT,
                        help="how many, 1 to %(default)s (default: %(default)s)")
    listed.add_argument("--json", action="store_true", help="print them as JSON")
    asked = own.add_parser("request-correction", help="ask a lead to correct one of your decisions")
    asked.add_argument("decision", type=int, help="the decision's number (veil decisions mine)")
    asked.add_argument("--reason", required=True, help=f"why (at most {corrections.MAX_REASON_CHARS:,} characters)")
    for command, run in ((listed, run_mine), (asked, run_request)):
        add_store_option(command)
        add_user_option(command)
        command.set_defaults(run=run)


def sample_states(store: Store, decision_ids: Sequence[int]) -> Mapping[int, str]:
    """QA's state of each sampled decision (the audit domain's answer for ``corrections.my_decisions``)."""
    from audit import sampling

    return {s.decision_id: s.state for s in sampling.samples_for(store, decision_ids)}


def _request(row: corrections.Row) -> dict[str, object]:
    return {"request": row.id, "decision": row.decision_id, "requested_by": row.requested_by, "reason": row.reason,
            "requested_at": row.requested_at, "item": row.external_id, "queue": row.queue, "action": row.action,
            "labels": list(row.labels), "outcome": row.outcome, "ended_by": row.ended_by,
            "outcome_note": row.outcome_note, "ended_at": row.ended_at}


def run_list(args: argparse.Namespace) -> int:
    def work(store: Store, lead: User) -> int:
        found = corrections.open_requests(store, lead)
        if args.json:
            print_json([_request(r) for r in found])
        elif not found:
            print("no open requests")
        for r in found if not args.json else []:
            labels = f" ({', '.join(r.labels)})" if r.labels else ""
            print(shown(f"#{r.id}  {r.requested_at}  {r.requested_by} asks to correct {r.action}{labels} on "
                        f"{r.external_id} in {r.queue}: {r.reason}"))
        return 0

    return as_lead(args, "answer correction requests", work)


def run_decline(args: argparse.Namespace) -> int:
    def work(store: Store, lead: User) -> int:
        done = corrections.decline(store, lead, args.request, args.reason)
        print(shown(f"declined request #{done.id}: the decision on {done.external_id} stands"))
        return 0

    return as_lead(args, "answer correction requests", work)


def run_correct(args: argparse.Namespace) -> int:
    from review.taxonomy import stored

    def work(store: Store, lead: User) -> int:
        policy = stored.organisation(store, paths.taxonomy_path())
        done = corrections.correct(store, policy, lead, args.request, args.action, args.label, args.note)
        print(shown(f"corrected request #{done.id}: {args.action} now stands on {done.external_id} "
                    f"(decision {done.correction_id})"))
        return 0

    return as_lead(args, "answer correction requests", work)


def run_mine(args: argparse.Namespace) -> int:
    with open_store(args, must_exist=True) as store:
        person = signed_in(store, args, roles=("moderator", "lead"), to="read their decisions")
        try:
            found = corrections.my_decisions(store, person, limit=args.limit, audit_states=sample_states)
        except VeilError as exc:
            return fail(str(exc))
    if args.json:
        print_json([{"decision": d.id, "item": d.external_id, "queue": d.queue, "action": d.action,
                     "labels": list(d.labels), "note": d.note, "decided_at": d.decided_at, "state": d.state,
                     "audited": d.audited, "requests": [_request(r) for r in d.requests]} for d in found])
        return 0
    for d in found:
        asked = d.requests[-1] if d.requests else None
        request = f" · correction {asked.outcome or 'requested'}" if asked else ""
        audit = " · audited by QA" if d.audited else ""  # an open sample is never said to the person it samples
        print(shown(f"{d.id:>6}  {d.decided_at}  {d.queue}  {d.external_id}  {d.action}  {d.state}{audit}{request}"))
    return 0


def run_request(args: argparse.Namespace) -> int:
    with open_store(args, must_exist=True) as store:
        person = signed_in(store, args, roles=("moderator", "lead"), to="ask for a correction")
        try:
            asked = corrections.request(store, person, args.decision, args.reason)
        except VeilError as exc:
            return fail(str(exc))
    print(shown(f"asked a lead to correct decision {asked.decision_id} on {asked.external_id} (request #{asked.id})"))
    return 0
