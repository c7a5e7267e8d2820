"""``veil calibration``: a lead lists calibration sets, creates one (items and people), reads its agreement, closes it.

Every action is one ``audit.calibration`` call, the same the QA setup page makes.
"""

from __future__ import annotations

import argparse

from desktop.commands.common import add_action, as_lead, print_json, shown
from review.store import Store, User


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("calibration", help="calibration sets: list, create, agreement, close",
                            description="Set up calibration sets (the same items answered by several people, "
                            "to measure agreement) as a lead.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = add_action(actions, "list", "List calibration sets with their items, people and answers.", run_list)
    listing.add_argument("--json", action="store_true", help="print the sets as JSON")
    create = add_action(actions, "create", "Create a calibration set of items for chosen people.", run_create)
    create.add_argument("name")
    create.add_argument("--item", action="append", type=int, required=True, metavar="ID",
                        help="an item of the set, by id (repeatable)")
    create.add_argument("--person", action="append", default=[], metavar="NAME",
                        help="a person asked to answer (repeatable; none: anyone who reviews)")
    create.add_argument("--description", default="")
    agreement = add_action(actions, "agreement", "Each person's progress and the agreement of a set.",
                           run_agreement)
    agreement.add_argument("name")
    agreement.add_argument("--json", action="store_true", help="print progress and agreement as JSON")
    close = add_action(actions, "close", "Close a set: it takes no more answers; its agreement stays.", run_close)
    close.add_argument("name")


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def run_list(args: argparse.Namespace) -> int:
    from audit import calibration

    def work(store: Store, lead: User) -> int:
        sets = calibration.set_list(store, lead)
        if args.json:
            print_json([s.as_json() for s in sets])
            return 0
        if not sets:
            print("no calibration sets (create one: veil calibration create NAME --item ID --person NAME)")
        for s in sets:
            people = ", ".join(shown(p) for p in s.people) or "anyone who reviews"
            print(f"{shown(s.name)}  {'closed ' + s.closed_at[:10] if s.closed_at else 'open'}  {s.items} items"
                  f"  {s.answers} answers  people: {people}")
        return 0

    return as_lead(args, "see calibration sets", work)


def run_create(args: argparse.Namespace) -> int:
    from audit import calibration

    def work(store: Store, lead: User) -> int:
        calibration.create_set(store, lead, args.name, args.item, args.description, people=args.person)
        print(f"calibration set {shown(args.name.strip())} created: {len(set(args.item))} items, "
              + (f"{len(set(args.person))} people" if args.person else "open to anyone who reviews"))
        return 0

    return as_lead(args, "create calibration sets", work)


def run_agreement(args: argparse.Namespace) -> int:
    from audit import calibration

    def work(store: Store, lead: User) -> int:
        progress = calibration.progress(store, lead, args.name)
        figures = calibration.agreement(store, args.name)
        if args.json:
            print_json({**figures.as_json(), "progress": [
                {"person": p.person, "answered": p.answered, "items": p.items, "last_answer_at": p.last_answer_at}
                for p in progress]})
            return 0
        print(f"{shown(args.name)}: {figures.answers} answers from {figures.raters} people on {figures.items} items"
              f" ({figures.rated_items} answered by two or more)")
        print(f"  Fleiss' kappa {_figure(figures.fleiss_kappa)}  Krippendorff's alpha "
              f"{_figure(figures.krippendorff_alpha)}" + (f"  ({figures.fleiss_note})" if figures.fleiss_note else ""))
        for p in progress:
            print(f"  {shown(p.person)}: {p.answered}/{p.items}" + ("  done" if p.done else ""))
        return 0

    return as_lead(args, "see calibration agreement", work)


def run_close(args: argparse.Namespace) -> int:
    from audit import calibration

    def work(store: Store, lead: User) -> int:
        answers = calibration.close_set(store, lead, args.name)
        print(f"calibration set {shown(args.name)} closed with {answers} answers")
        return 0

    return as_lead(args, "close calibration sets", work)
