"""``veil automation``: each rule's automated decisions audited (status), and a lead's revoke and resume.

``status`` is ``audit.automation.figures`` (for a lead, after :func:`audit.automation.judge` has suspended any
rule now judged below its floor), ``revoke`` and ``resume`` are ``review.known.automation``'s, the calls the
dashboard's Automation tab makes; the domain checks the lead's role, so the command line and the app refuse
alike.
"""

from __future__ import annotations

import argparse

from desktop.commands.common import add_action, add_store_option, as_lead, fail, open_store, print_json, shown
from desktop.commands.signin import add_user_option, signed_in
from review.errors import VeilError
from review.store import Store, User


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("automation", help="automated decisions per rule: status, revoke, resume",
                            description="What each routing rule's or hash list's automation decided, how its "
                            "audits scored it, and a lead's revoke (every decision in a time window) and resume.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    status = actions.add_parser(
        "status", help="per rule: version, decisions, audited n, accuracy and interval, suspended",
        description="Per rule over the last --days days: its latest version, decisions, revoked, automation "
        "rate, audited n, accuracy with its Wilson 95 % interval, exposure spared, and whether it is suspended "
        "below its floor. For leads and auditors; exit 2 on a refusal.")
    add_store_option(status)
    add_user_option(status)
    status.add_argument("--days", type=int, default=28, help="the window, in days back from now (default: 28)")
    status.add_argument("--json", action="store_true", help="print the figures as JSON")
    status.set_defaults(run=run_status)
    revoke = add_action(actions, "revoke", "Revoke every decision a rule made in a time window: the items go "
                        "back to their queues, pending, with their original due times.", run_revoke)
    revoke.add_argument("--rule", required=True, help="the rule's name, or list:NAME for a hash list")
    revoke.add_argument("--from", dest="since", required=True, metavar="T1",
                        help="window start (ISO 8601; a bare date: from its midnight UTC)")
    revoke.add_argument("--to", dest="until", required=True, metavar="T2",
                        help="window end, inclusive (ISO 8601; a bare date: the whole of that day)")
    revoke.add_argument("--reason", default="", help="why (kept with the revocations)")
    resume = add_action(actions, "resume", "Let a suspended rule decide again (its floor is judged afresh).",
                        run_resume)
    resume.add_argument("--rule", required=True, help="the rule's name, or list:NAME for a hash list")
    resume.add_argument("--reason", required=True, help="why it may decide again (required)")


def run_status(args: argparse.Namespace) -> int:
    from audit import automation

    if args.days < 1:
        return fail("--days must be at least 1")
    with open_store(args, must_exist=True) as store:
        who = signed_in(store, args, roles=("lead", "auditor"), to="see automation's figures")
        try:
            if who.has("lead"):  # suspending is written as Veil's act in a lead's session (a server's roles)
                automation.judge(store)
            rows = [f.as_json() for f in automation.figures(store, who, days=args.days)]
        except VeilError as exc:
            return fail(str(exc))
        floor = automation.floor(store)
    if args.json:
        print_json({"floor": floor, "days": args.days, "rules": rows})
        return 0
    if not rows:
        print("No rule has decided anything yet.")
        return 0
    for r in rows:
        accuracy = "not audited" if r["accuracy"] is None else (
            f"{r['accuracy']:.1%} of {r['audited']} audited (95 % {r['interval'][0]:.1%}–{r['interval'][1]:.1%})")
        state = "SUSPENDED (suggests only)" if r["suspended"] else "deciding"
        print(f"{shown(r['rule'])} v{r['version']}: {r['decisions']} decisions ({r['revoked']} revoked), "
              f"{accuracy}, {state}")
    print(f"Floor: {floor:.0%}.")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    import dataclasses

    from audit.metrics.assembly import date_range
    from review.known import automation

    def work(store: Store, lead: User) -> int:
        since, until = date_range(args.since, args.until)  # a bare --to date is that whole day, as in reports
        done = automation.revoke(store, lead, args.rule, since or "", until, reason=args.reason)
        print(dataclasses.replace(done, rule=shown(args.rule)).words(done=True))
        return 0

    return as_lead(args, "revoke a rule's decisions", work)


def run_resume(args: argparse.Namespace) -> int:
    from review.known import automation

    def work(store: Store, lead: User) -> int:
        automation.resume(store, lead, args.rule, reason=args.reason)
        print(f"{shown(args.rule)} decides again; its accuracy is judged on its decisions from now on.")
        return 0

    return as_lead(args, "resume a rule's automation", work)
