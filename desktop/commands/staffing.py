"""``veil staffing``: the Erlang C calculator on its own — no store, no sign-in.

A planner's "how many people for 200 contacts an hour at 3 minutes, 80 %
within 20 seconds?" is answered by ``review.planning.erlang.staffing``;
this module only parses options and prints, as lines or JSON. Method and
assumptions: docs/operations.md.
"""

from __future__ import annotations

import argparse
import dataclasses

from desktop.commands.common import fail, print_json


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "staffing", help="Erlang C: people needed to answer a share of arrivals within a time",
        description="The smallest number of people whose service level (share of arrivals answered within "
        "--within seconds) meets --target with occupancy at most --max-occupancy, and the people to roster "
        "once --shrinkage of their time goes to breaks, training and meetings. Assumes Poisson arrivals, "
        "exponential handle times and no abandonment (docs/operations.md). Exit 2 on a bad value.",
    )
    parser.add_argument("--arrivals-per-hour", type=float, required=True, metavar="A", help="arrivals per hour")
    parser.add_argument("--handle-seconds", type=float, required=True, metavar="H", help="mean handle time, seconds")
    parser.add_argument("--target", type=float, required=True, help="service-level target, a share (0.8 for 80 %%)")
    parser.add_argument("--within", type=float, required=True, metavar="SECONDS",
                        help="the target time to answer within, seconds")
    parser.add_argument("--shrinkage", type=float, default=0.3, help="share of rostered time not working (0.3)")
    parser.add_argument("--max-occupancy", type=float, default=0.85, help="occupancy cap, a share (0.85)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from review.planning.erlang import StaffingError, staffing

    try:
        result = staffing(args.arrivals_per_hour, args.handle_seconds, args.target, args.within,
                          shrinkage=args.shrinkage, max_occupancy=args.max_occupancy)
    except StaffingError as exc:
        return fail(str(exc))
    if args.json:
        print_json(dataclasses.asdict(result))
        return 0
    print(f"agents                {result.agents}")
    print(f"service_level         {100 * result.service_level:.1f}% within {args.within:g} s")
    print(f"wait_probability      {100 * result.wait_probability:.1f}%")
    print(f"average_wait_seconds  {result.average_wait_seconds:.1f}")
    print(f"occupancy             {100 * result.occupancy:.1f}%")
    print(f"rostered              {result.rostered} (shrinkage {100 * args.shrinkage:g}%)")
    return 0
