"""``veil metrics --targets``: each person's and queue's figures against their targets, and cost per decision.

The figures and their judgement are ``audit.targets.report``'s (rules in
docs/operations.md); this module prints them, as tables or as JSON. A
lead sees everyone; anyone else their own row only.
"""

from __future__ import annotations

import argparse
import json

from desktop.commands.common import open_store, shown
from desktop.commands.signin import signed_in

FLAGS = {"met": "met", "below": "BELOW", "clearly below": "CLEARLY BELOW", "not enough data": "not enough data",
         "no target": "no target"}


def run_targets(args: argparse.Namespace) -> int:
    from audit import targets

    with open_store(args, must_exist=True) as store:
        viewer = signed_in(store, args, roles=("moderator", "auditor", "lead"), to="see targets")
        lead = viewer.has("lead")
        data = targets.report(store, viewer, args.since, args.until, person=None if lead else viewer.name)
    if args.json:
        print(json.dumps(data.as_dict(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(lines(data.as_dict())))
    return 0


def _figure(f: dict) -> str:
    if f["value"] is None:
        value = "—"
    elif f["kind"] == "throughput_per_hour":
        value = f"{f['value']:.1f}/h over {f['hours']:.1f} h"
    else:
        low, high = f["interval"]
        value = f"{100 * f['value']:.1f}% ({100 * low:.0f}–{100 * high:.0f}%, n={f['n']})"
    target = "—" if f["target"] is None else (f"{f['target']:g}/h" if f["kind"] == "throughput_per_hour"
                                              else f"{100 * f['target']:.0f}%")
    return f"{value} vs {target}: {FLAGS[f['status']]}"


def lines(data: dict) -> list[str]:
    """The report as text: people, queues, then cost per decision per queue and per week."""
    span = f"{data['since'] or 'start'} … {data['until'] or 'now'}"
    out = [f"Targets, {span} (UTC)"]
    for group in ("people", "queues"):
        if data[group]:
            out += ["", group.capitalize()]
        for row in data[group]:
            out.append(f"  {shown(row['key'])}")
            out += [f"    {kind.replace('_per_hour', '')}: {_figure(row[kind])}"
                    for kind in ("throughput_per_hour", "accuracy", "timeliness")]
    for title, units in (("queue", data["cost_by_queue"]), ("week", data["cost_by_week"])):
        if not units:
            continue
        out += ["", f"Cost per decision by {title} ({data['currency']})"]
        for u in units:
            cost = "no rate" if u["cost_per_decision"] is None else f"{u['cost_per_decision']:.2f}"
            per_hour = "—" if u["items_per_hour"] is None else f"{u['items_per_hour']:.1f}"
            out.append(f"  {shown(u['key']):<24} {u['decisions']:>6} decisions  {u['active_hours']:>7.2f} h  "
                       f"{per_hour:>6}/h  {cost}")
    return out
