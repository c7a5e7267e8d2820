"""``veil rules``: check, test, apply and show the routing rule set (a lead's; docs/automation.md, "Routing rules").

``check FILE`` prints every problem as ``FILE:LINE: reason`` and exits 1, or "n rules, fine"; ``test FILE
--since 30d [--json]`` says what each rule would have done to the items received in that window; ``apply FILE
[--expect-version N]`` stores a new version (exit 1 when N is no longer the newest: another lead applied one);
``show [--version N]`` prints one. Each signs in as a lead and makes one call on :mod:`review.known.routing` (or
:mod:`review.known.rule_trial`), so refusals are the domain's; exit 2 when refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop import paths
from desktop.commands.common import add_action, as_lead, fail, print_json, shown
from review.known import routing, rule_trial
from review.known.rules import RulesError, read_file
from review.store import Store, User
from review.taxonomy import Taxonomy, stored


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("rules", help="routing rules: check, test on history, apply, show (lead only)",
                            description="The routing rule set: an ordered list of [[rule]] tables in TOML, the first "
                            "that matches routing each new item (docs/automation.md). Lead only; exit 1 when a file "
                            "has problems, 2 when refused.")
    actions = parser.add_subparsers(dest="rules_action", metavar="ACTION", required=True)
    check = add_action(actions, "check", "check a rule file: every problem as FILE:LINE: reason", run_check)
    check.add_argument("file", type=Path, help="the rule file (TOML)")
    test = add_action(actions, "test", "what each rule would have done to the items received in a window", run_test)
    test.add_argument("file", type=Path, help="the rule file (TOML)")
    test.add_argument("--since", default="30d", help="30d, 12h or a date (default: %(default)s)")
    test.add_argument("--json", action="store_true", help="print the figures as JSON")
    apply = add_action(actions, "apply", "store the file as the rule set's next version", run_apply)
    apply.add_argument("file", type=Path, help="the rule file (TOML)")
    apply.add_argument("--expect-version", type=int, metavar="N",
                       help="refuse unless version N is still the newest (0: none applied yet), so a change another "
                       "lead applied meanwhile is not replaced unseen")
    show = add_action(actions, "show", "print the current version (or --version N) and who applied it", run_show)
    show.add_argument("--version", type=int, help="that version instead of the current one")
    show.add_argument("--list", action="store_true", help="list every version instead")


def _policy(store: Store) -> Taxonomy:
    return stored.organisation(store, paths.taxonomy_path())


def _problems(exc: RulesError) -> int:
    """Every problem, one ``FILE:LINE: reason`` line each (on stderr, as a compiler says them); exit 1."""
    print("\n".join(shown(line) for line in str(exc).split("\n")), file=sys.stderr)
    return 1


def run_check(args: argparse.Namespace) -> int:
    def work(store: Store, lead: User) -> int:
        try:
            checked = routing.check(store, lead, read_file(args.file), str(args.file), policy=_policy(store))
        except RulesError as exc:
            return _problems(exc)
        print(f"{len(checked.rules)} rule{'s' if len(checked.rules) != 1 else ''}, fine")
        return 0

    return as_lead(args, routing.READ, work)


def run_test(args: argparse.Namespace) -> int:
    def work(store: Store, lead: User) -> int:
        try:
            since = rule_trial.since_time(args.since, store.clock.now())
        except ValueError as exc:
            return fail(str(exc))
        try:
            found = rule_trial.trial(store, lead, read_file(args.file), str(args.file), since, policy=_policy(store))
        except RulesError as exc:
            return _problems(exc)
        if args.json:
            print_json(found.as_json())
            return 0
        print(f"{_items(found.items)} received since {since}; {found.unmatched:,} matched no rule")
        for rule in found.rules:
            agreement = (f"; people agreed {rule.agreeing:,} of {rule.decided:,} times ({rule.agreement:.0%})"
                         if rule.agreement is not None else
                         "; no decided item to compare with" if rule.action else "")
            queues = ", ".join(f"{name} {count:,}" for name, count in rule.queues.most_common())
            print(shown(f"{rule.name}: {_items(rule.matched)} ({rule.effect}){f' → {queues}' if queues else ''}"
                        f"{agreement}"))
        return 0

    return as_lead(args, routing.READ, work)


def _items(count: int) -> str:
    return f"{count:,} item{'s' if count != 1 else ''}"


def run_apply(args: argparse.Namespace) -> int:
    def work(store: Store, lead: User) -> int:
        try:
            number = routing.apply(store, lead, read_file(args.file), args.file.name, policy=_policy(store),
                                   expected_version=args.expect_version)
        except RulesError as exc:
            return _problems(exc)
        except routing.RulesChanged as exc:
            return fail(str(exc), 1)
        print(shown(f"applied {args.file.name} as version {number}: it routes the items imported from now on"))
        return 0

    return as_lead(args, routing.APPLY, work)


def run_show(args: argparse.Namespace) -> int:
    def work(store: Store, lead: User) -> int:
        if args.list:
            for v in routing.versions(store, lead):
                print(shown(f"version {v.version}  {v.created_at}  {v.created_by}  {v.source}  {v.rules} rules"))
            return 0
        found = routing.version(store, lead, args.version) if args.version else routing.current(store, lead)
        if found is None:
            return fail("no routing rules have been applied yet (veil rules apply FILE)", 1)
        print(shown(f"# version {found.version} ({found.source}), applied by {found.created_by} at "
                    f"{found.created_at}"))
        print("\n".join(shown(line) for line in found.text.split("\n")))
        return 0

    return as_lead(args, routing.READ, work)
