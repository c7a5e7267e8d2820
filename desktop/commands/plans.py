"""``veil plans``: a lead lists, adds, edits, pauses, resumes and previews QA sampling plans.

Every action is one ``audit.plans`` / ``audit.sampling`` call, the same the
QA setup page makes; ``veil sample`` runs the plans.
"""

from __future__ import annotations

import argparse

from desktop.commands.common import add_action, as_lead, fail, print_json, shown
from review.store import Store, User


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("plans", help="QA sampling plans: list, add, edit, pause, resume, preview",
                            description="Set up the QA sampling plans as a lead (veil sample runs them).")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = add_action(actions, "list", "List the sampling plans.", run_list)
    listing.add_argument("--json", action="store_true", help="print the plans as JSON")
    add = add_action(actions, "add", "Create a sampling plan.", run_add)
    add.add_argument("name")
    _settings(add, new=True)
    edit = add_action(actions, "edit", "Change a sampling plan's settings (only those given).", run_edit)
    edit.add_argument("name")
    _settings(edit, new=False)
    for verb, words in (("pause", "Pause a plan: it draws nothing until resumed."),
                        ("resume", "Resume a paused plan: it draws from the decisions made from now on.")):
        add_action(actions, verb, words, run_pause).add_argument("name")
    preview = add_action(actions, "preview", "Count what a plan would draw if run now, drawing nothing.",
                         run_preview)
    preview.add_argument("name")
    preview.add_argument("--json", action="store_true", help="print the preview as JSON")


def _settings(parser: argparse.ArgumentParser, *, new: bool) -> None:
    parser.add_argument("--rate", type=float, required=new, help="share of decisions drawn, 0 to 1")
    parser.add_argument("--min", dest="minimum", type=int, metavar="N",
                        help="at least N samples per moderator per completed day")
    parser.add_argument("--strata", choices=("queue", "action", "label", "none"),
                        help="draw the rate within each queue, action or first label")
    parser.add_argument("--boost", action="append", metavar="KIND:FIELD=V,…",
                        help="a boost, e.g. fast:seconds=8,rate=0.5 or escalation:rate=1 (repeatable; "
                        "'none' removes every boost)")
    parser.add_argument("--queue", action="append", metavar="NAME", help="sample only this queue (repeatable)")
    if not new:
        parser.add_argument("--every-queue", action="store_true", help="sample every queue again")
    parser.add_argument("--starts-at", metavar="TIME", help="decisions before this are never sampled (ISO 8601)")
    parser.add_argument("--seed", help="the seed of the draws (default: a random one)" if new else argparse.SUPPRESS)
    if new:
        parser.add_argument("--paused", action="store_true", help="create it paused")


def _changes(args: argparse.Namespace) -> dict[str, object]:
    changes: dict[str, object] = {}
    for key, value in (("rate", args.rate), ("min_per_moderator_per_day", args.minimum),
                       ("starts_at", args.starts_at), ("seed", getattr(args, "seed", None))):
        if value is not None:
            changes[key] = value
    if args.strata is not None:
        changes["strata"] = None if args.strata == "none" else args.strata
    if args.boost is not None:
        changes["boosts"] = _boosts(args.boost)
    if args.queue:
        changes["queues"] = args.queue
    if getattr(args, "every_queue", False):
        changes["queues"] = None
    return changes


def _boosts(given: list[str]) -> dict[str, dict[str, float]]:
    """``fast:seconds=8,rate=0.5`` → ``{"fast": {"seconds": 8.0, "rate": 0.5}}`` (the domain checks the rest)."""
    boosts: dict[str, dict[str, float]] = {}
    for text in given:
        if text == "none":
            continue
        kind, _, fields = text.partition(":")
        try:
            boosts[kind] = {k: float(v) for k, v in (pair.split("=", 1) for pair in fields.split(",") if pair)}
        except ValueError:
            raise SystemExit(fail(f"--boost {text!r}: write it as KIND:FIELD=NUMBER,… "
                                  "(e.g. fast:seconds=8,rate=0.5)")) from None
    return boosts


def _rate(value: float) -> str:
    return f"{value:.0%}" if value * 100 == int(value * 100) else f"{value:.2%}"


def run_list(args: argparse.Namespace) -> int:
    from audit import plans

    def work(store: Store, lead: User) -> int:
        found = plans.plans(store)
        if args.json:
            print_json([{"name": p.name, **p.described(), "last_run_at": p.last_run_at} for p in found])
            return 0
        if not found:
            print("no sampling plans (add one: veil plans add NAME --rate 0.05)")
        for p in found:
            extra = [f"min {p.min_per_moderator_per_day}/moderator/day"] if p.min_per_moderator_per_day else []
            extra += [f"by {p.strata}"] if p.strata else []
            extra += [f"boost {k}" for k in p.boosts]
            print(f"{shown(p.name)}  {'active' if p.active else 'paused'}  rate {_rate(p.rate)}"
                  + "".join(f"  {e}" for e in extra) + f"  queues: {shown(p.queue_words())}"
                  + f"  last run {p.last_run_at or 'never'}")
        return 0

    return as_lead(args, "see sampling plans", work)


def run_add(args: argparse.Namespace) -> int:
    from audit import plans

    def work(store: Store, lead: User) -> int:
        changes = _changes(args)
        made = plans.create_plan(store, lead, args.name, active=not args.paused, **changes)
        print(f"plan {shown(made.name)} created ({'active' if made.active else 'paused'}, rate {_rate(made.rate)}, "
              f"queues: {shown(made.queue_words())}); see what it would draw: veil plans preview {shown(made.name)}")
        return 0

    return as_lead(args, "define sampling plans", work)


def run_edit(args: argparse.Namespace) -> int:
    from audit import plans

    def work(store: Store, lead: User) -> int:
        changes = _changes(args)
        if not changes:
            return fail("nothing to change: give --rate, --min, --strata, --boost, --queue, --every-queue or "
                        "--starts-at")
        edited = plans.edit_plan(store, lead, args.name, **changes)
        print(f"plan {shown(edited.name)} saved (rate {_rate(edited.rate)}, queues: {shown(edited.queue_words())})")
        return 0

    return as_lead(args, "change sampling plans", work)


def run_pause(args: argparse.Namespace) -> int:
    from audit import plans

    def work(store: Store, lead: User) -> int:
        changed = plans.set_active(store, lead, args.name, args.action == "resume")
        print(f"plan {shown(changed.name)} {'active' if changed.active else 'paused'}"
              + (f", drawing from decisions made since {changed.starts_at}" if changed.active else ""))
        return 0

    return as_lead(args, "change sampling plans", work)


def run_preview(args: argparse.Namespace) -> int:
    from audit import sampling

    def work(store: Store, lead: User) -> int:
        seen = sampling.preview_plan(store, lead, args.name)
        if args.json:
            print_json(seen.as_json())
            return 0
        state = "" if seen.active else (" (paused: it draws nothing; resumed, it draws only decisions made from"
                                        " then on)")
        print(f"plan {shown(seen.plan)} would draw {seen.drawn:,} of {seen.unsampled:,} decisions not yet sampled"
              f" now{state}; queues: {shown(seen.queues)}")
        for title, counts in (("by reason", seen.by_reason), ("by queue", seen.by_queue),
                              ("by moderator", seen.by_moderator)):
            if counts:
                print(f"  {title}: " + ", ".join(f"{shown(k)} {v:,}" for k, v in counts.items()))
        return 0

    return as_lead(args, "preview sampling plans", work)
