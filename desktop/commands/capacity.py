"""``veil capacity``: each queue's forecast — flow, time to clear, first SLA breach, people needed and rostered.

The figures are ``review.planning.forecast.forecast`` as a signed-in lead
sees them on the Capacity page; this module only parses options and prints,
as a table or as JSON. Method and assumptions: docs/operations.md.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from desktop.commands.common import add_store_option, fail, open_store, print_json, shown
from desktop.commands.signin import add_user_option, signed_in

COLUMNS = ("queue", "waiting", "inflow_per_hour", "outflow_per_hour", "handle_seconds_mean", "hours_to_clear",
           "first_breach_at", "people_needed", "people_rostered_needed", "model")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "capacity", help="per queue: will it meet its SLA, and how many people does it need (lead)",
        description="Per queue, over the last --window-hours: items waiting, received and decided per hour, "
        "mean and median handle time, hours until the backlog clears at that pace (none when it does not "
        "shrink), the first SLA breach at the current pace, and the people needed (Erlang C for an SLA up to "
        "an hour, else the backlog model) and to roster after shrinkage. For a lead. Exit 2 on a bad option "
        "or when not signed in as a lead.",
    )
    add_store_option(parser)
    add_user_option(parser)
    parser.add_argument("--window-hours", type=float, default=24.0, metavar="HOURS",
                        help="the past hours the flow and handle time are measured over (default: 24)")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON, with the 24 h projection")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from review.planning.forecast import PlanningError, forecast

    if not args.window_hours > 0:
        return fail("--window-hours must be more than 0")
    with open_store(args, must_exist=True) as store:
        lead = signed_in(store, args, roles=("lead",), to="see the capacity forecast")
        try:
            rows = [dataclasses.asdict(f) for f in forecast(store, lead, window_hours=args.window_hours)]
        except PlanningError as exc:
            return fail(str(exc))
    if args.json:
        print_json(rows)
    else:
        print("\n".join(table(rows)))
    return 0


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return shown(value)


def table(rows: list[dict[str, Any]]) -> list[str]:
    """One line per queue under :data:`COLUMNS`; "—" where there is nothing (never clears, no breach)."""
    if not rows:
        return ["No review or escalation queues."]
    header = ("queue", "waiting", "in/h", "out/h", "handle s", "h to clear", "first breach (UTC)", "needed",
              "rostered", "model")
    cells = [tuple(_cell(r[c][:16].replace("T", " ") if c == "first_breach_at" and r[c] else r[c])
                   for c in COLUMNS) for r in rows]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    return ["  ".join(c.ljust(w) if i in (0, 6, 9) else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths)))
            .rstrip() for line in [header, *cells]]
