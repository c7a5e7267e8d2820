"""The report's "Transparency (DSA)" section: the period's counts a DSA transparency report states.

The figures are ``audit.compliance.transparency.counts`` for the report's
period (definitions in docs/statements.md); this module lays them out with
:mod:`ui.reports.pdf_layout`, one table of figure and count, grouped by
what they count. Nothing in it names a person.
"""

from __future__ import annotations

from typing import Any

from audit.compliance import transparency
from review.store import Store, User
from ui.reports.pdf_layout import Column, Flow, heading, row_height, table


def report_transparency(store: Store, lead: User, since: str | None, until: str | None) -> dict[str, Any]:
    """The period's transparency counts, read for *lead* (a lead's report)."""
    return transparency.counts(store, lead, since=since, until=until)


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} h"


def _words(key: str) -> str:
    """A database key in words: "DECISION_GROUND_ILLEGAL_CONTENT" → "illegal content"."""
    for prefix in ("DECISION_GROUND_", "STATEMENT_CATEGORY_", "SOURCE_TYPE_", "SOURCE_"):
        key = key.removeprefix(prefix)
    return key.replace("_", " ").lower() if key.isupper() else key


def rows(data: dict[str, Any]) -> list[list[str]]:
    """[what, breakdown, count] lines: notices, actions (type, ground, category), automation, time, complaints,
    statements."""
    out: list[list[str]] = [["Notices received", "all", f"{data['notices']['total']:,}"]]
    out += [["", f"source: {k}", f"{n:,}"] for k, n in data["notices"]["by_source"].items()]
    out += [["", f"type: {_words(k)}", f"{n:,}"] for k, n in data["notices"]["by_source_type"].items()]
    out += [["", f"category reported: {k}", f"{n:,}"] for k, n in data["notices"]["by_category"].items()]
    own = data["own_initiative"]
    out.append(["Own-initiative detections", "all (not notices)", f"{own['total']:,}"])
    out += [["", f"source: {k}", f"{n:,}"] for k, n in own["by_source"].items()]
    out.append(["Actions taken", f"all ({data['restricting']:,} restricting)", f"{data['actions_total']:,}"])
    out += [["", f"type: {k}", f"{n:,}"] for k, n in data["actions_by_type"].items()]
    out += [["", f"ground: {_words(k)}", f"{n:,}"] for k, n in data["actions_by_ground"].items()]
    out += [["", f"category: {_words(k)}", f"{n:,}"] for k, n in data["actions_by_category"].items()]
    automated = data["automated"]
    share = "—" if automated["share"] is None else f"{100 * automated['share']:.1f}%"
    out.append(["Automated means", f"decided by a rule ({automated['automated']:,} of {automated['decisions']:,})",
                share])
    out.append(["", "reversed after a complaint", f"{data['reversals_after_complaints']:,}"])
    out.append(["Notice to action", "median time (restricting decisions, reversals aside)",
                _hours(data["median_hours_notice_to_action"])])
    c = data["complaints"]
    out.append(["Complaints received", f"upheld {c['upheld']:,}, reversed {c['reversed']:,}, open {c['open']:,}",
                f"{c['received']:,}"])
    out.append(["", "median time to decide", _hours(c["median_hours_to_decide"])])
    s = data["statements"]
    out.append(["Statements of reasons", f"exported {s['exported']:,}, refused {s['refused']:,}",
                f"{s['accepted']:,} accepted"])
    return out


def transparency_section(flow: Flow, data: dict[str, Any]) -> None:
    """The section: one heading with what the counts are, then the table (one line when the period holds none)."""
    if not (data["notices"]["total"] or data["own_initiative"]["total"] or data["actions_total"]
            or data["complaints"]["received"]
            or any(data["statements"].values())):
        heading(flow, "Transparency (DSA)", "Nothing was received, decided, complained of or stated in this period.",
                flow.body.metrics.height())
        return
    heading(flow, "Transparency (DSA)",
            "What a transparency report under the DSA (Art. 15, 24) states for this period: notices received, "
            "actions taken (live decisions, escalations and complaint decisions aside) by type, ground and "
            "category, the share decided by automated means, complaints and statements of reasons "
            "(docs/statements.md).", row_height(flow) * 4)
    table(flow, [Column("Figure", 1.6, right=False), Column("Breakdown", 3.4, right=False), Column("Count", 1.0)],
          rows(data), empty="Nothing was received or decided in this period.")
