"""``veil metrics --transparency``: the DSA transparency counts of a period, as text or JSON.

The counts are ``audit.compliance.transparency.counts`` (a lead's); this
module only signs in, prints and words them.
"""

from __future__ import annotations

import argparse

from desktop.commands.common import fail, open_store, print_json, shown
from desktop.commands.signin import signed_in
from review.errors import VeilError


def run_transparency(args: argparse.Namespace) -> int:
    from audit.compliance import transparency

    with open_store(args, must_exist=True) as store:
        lead = signed_in(store, args, roles=("lead",), to="see the transparency counts")
        try:
            data = transparency.counts(store, lead, since=args.since, until=args.until)
        except VeilError as exc:
            return fail(str(exc))
    if args.json:
        print_json(data)
    else:
        print(text(data))
    return 0


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} h"


def _counts(title: str, counts: dict[str, int]) -> list[str]:
    if not counts:
        return [f"{title}: none"]
    width = max(len(shown(k)) for k in counts)
    return [f"{title}:", *(f"  {shown(k):<{width}}  {n:>7}" for k, n in counts.items())]


def text(data: dict) -> str:
    """The counts as a person reads them: one block per figure of the report."""
    span = f"{data['since'] or 'start'} … {data['until'] or 'now'}"
    automated = data["automated"]
    share = "—" if automated["share"] is None else f"{100 * automated['share']:.1f}%"
    complaints = data["complaints"]
    statements = data["statements"]
    lines = [f"DSA transparency counts, {span} (UTC; made from event {data['made_from_event']})",
             f"Notices received: {data['notices']['total']}",
             *_counts("  by source", data["notices"]["by_source"]),
             *_counts("  by source type", data["notices"]["by_source_type"]),
             *_counts("  by category reported", data["notices"]["by_category"]),
             f"Own-initiative detections (not notices): {data['own_initiative']['total']}",
             *_counts("  by source", data["own_initiative"]["by_source"]),
             f"Actions taken: {data['actions_total']} ({data['restricting']} restricting)",
             *_counts("  by type", data["actions_by_type"]),
             *_counts("  restricting, by ground", data["actions_by_ground"]),
             *_counts("  restricting, by category", data["actions_by_category"]),
             f"Decided by automated means: {share} ({automated['automated']} of {automated['decisions']})",
             f"  reversed after a complaint: {data['reversals_after_complaints']}",
             f"Median time from notice to action (reversals aside): "
             f"{_hours(data['median_hours_notice_to_action'])}",
             f"Complaints received: {complaints['received']} (upheld {complaints['upheld']}, reversed "
             f"{complaints['reversed']}, open {complaints['open']}); median time to decide "
             f"{_hours(complaints['median_hours_to_decide'])}",
             f"Statements of reasons: {statements['exported']} exported, {statements['accepted']} accepted by the "
             f"database, {statements['refused']} refused"]
    return "\n".join(lines)
