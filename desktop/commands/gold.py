"""``veil gold``: a lead lists gold items with their scores, marks an item gold, plants copies, retires one.

Every action is one ``audit.gold`` call, the same the QA setup page makes.
An item is named by its id or its external id.
"""

from __future__ import annotations

import argparse

from desktop.commands.common import add_action, as_lead, print_json, shown
from review.store import Store, User


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("gold", help="gold items: list, add, plant, retire",
                            description="Set up gold items (items with a known answer, planted unmarked in "
                            "queues and scored automatically) as a lead.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = add_action(actions, "list", "List gold items with their copies and scores so far.", run_list)
    listing.add_argument("--json", action="store_true", help="print the gold items as JSON")
    add = add_action(actions, "add", "Mark an item gold with its answer (or change the answer).", run_add)
    add.add_argument("item", help="the item's id or external id")
    add.add_argument("--action", required=True, help="the expected action (e.g. remove, no_violation)")
    add.add_argument("--label", action="append", default=[], metavar="ID", help="an expected label (repeatable)")
    add.add_argument("--explain", default="", metavar="TEXT", help="why this is the answer (a sentence)")
    plant = add_action(actions, "plant", "Put fresh, unmarked copies of a gold item into a queue.", run_plant)
    plant.add_argument("item", help="the gold item's id or external id")
    plant.add_argument("--queue", required=True, metavar="NAME")
    plant.add_argument("--copies", type=int, default=1, metavar="N")
    retire = add_action(actions, "retire", "Retire a gold item: no more planting or scoring; history stays.",
                        run_retire)
    retire.add_argument("item", help="the gold item's id or external id")


def _item_id(store: Store, lead: User, reference: str) -> int:
    from audit import gold

    found = gold.find_item(store, lead, reference)
    if len(found) == 1:
        return found[0].id
    if not found:
        raise KeyError(f"no item with the id or external id {reference!r}")
    raise KeyError(f"{len(found)} items have the external id {reference!r} (in "
                   + ", ".join(sorted({m.queue for m in found})) + "); name it by its id: "
                   + ", ".join(str(m.id) for m in found))


def run_list(args: argparse.Namespace) -> int:
    from audit import gold

    def work(store: Store, lead: User) -> int:
        items = gold.gold_items(store, lead)
        if args.json:
            print_json([g.as_json() for g in items])
            return 0
        if not items:
            print("no gold items (mark one: veil gold add ITEM --action remove --label spam)")
        for g in items:
            score = f"{g.correct}/{g.scored} correct" if g.scored else "not scored yet"
            state = f"retired {g.retired_at[:10]}" if g.retired_at else "active"
            print(f"item {g.item_id} ({shown(g.external_id)}, {shown(g.queue)})  {state}  answer {g.action}"
                  f" [{', '.join(g.labels) or 'no label'}]  copies {g.copies} ({g.waiting} waiting)  {score}"
                  + (f"  — {shown(g.explanation)}" if g.explanation else ""))
        return 0

    return as_lead(args, "see gold items", work)


def run_add(args: argparse.Namespace) -> int:
    from audit import gold
    from desktop import paths
    from review.taxonomy import stored

    def work(store: Store, lead: User) -> int:
        item_id = _item_id(store, lead, args.item)
        made = gold.add_gold(store, lead, item_id, args.action, args.label, explanation=args.explain,
                             taxonomy=stored.organisation(store, paths.taxonomy_path()))
        print(f"item {item_id} is gold: {args.action} [{', '.join(made.labels if made else args.label) or 'no label'}]"
              f"; plant copies with: veil gold plant {item_id} --queue NAME")
        return 0

    return as_lead(args, "define gold items", work)


def run_plant(args: argparse.Namespace) -> int:
    from audit import gold

    def work(store: Store, lead: User) -> int:
        copies = gold.plant_gold(store, lead, _item_id(store, lead, args.item), args.queue, args.copies)
        print(f"planted {len(copies)} cop{'y' if len(copies) == 1 else 'ies'} in {shown(args.queue)}: items "
              + ", ".join(map(str, copies)))
        return 0

    return as_lead(args, "plant gold items", work)


def run_retire(args: argparse.Namespace) -> int:
    from audit import gold

    def work(store: Store, lead: User) -> int:
        item_id = _item_id(store, lead, args.item)
        waiting = gold.retire_gold(store, lead, item_id)
        print(f"gold item {item_id} retired: no more planting or scoring"
              + (f"; {waiting} planted cop{'y' if waiting == 1 else 'ies'} still wait{'s' if waiting == 1 else ''}"
                 " in queues and will be decided unscored" if waiting else ""))
        return 0

    return as_lead(args, "retire gold items", work)


