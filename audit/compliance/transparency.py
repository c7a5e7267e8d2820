"""Transparency counts (DSA Art. 15 and 24) for any period, from the decisions Veil records.

One job: count, for a lead, what a transparency report states — as one
JSON-able dict (``veil metrics --transparency --json``, the PDF report's
Transparency section, the XLSX sheet). Definitions (docs/statements.md):

- **notices**: items received in the period whose report source (the
  item's metadata ``source``, through the mapping's ``sources`` entry)
  is an Art. 16 notice, a trusted flagger's or another notification —
  by source, by ``source_type`` and by reported category (metadata
  ``category``); ``(none)`` where the report said nothing, ``(unmapped)``
  for a source the mapping does not cover (counted, so it is seen);
- **own_initiative**: items received in the period that the platform
  found itself (``SOURCE_VOLUNTARY``): Art. 15(1)(c), not notices;
- **actions**: decisions made in the period that are live (not undone),
  not escalations (a lead's decision counts instead) and not the closing
  of a complaint: ``actions_by_type`` (action id → count); those whose
  action restricts something under the mapping, by decision ground and by
  category (their first label's mapping entry; ``(unmapped)`` without one);
- **automated**: the share of those decisions taken by a rule (source
  ``rule``) rather than a person;
- **median hours from notice to action**: over the restricting decisions,
  from the item's arrival to the decision, but complaint reversals (their
  time is the complaint's, not the notice's): those are counted apart,
  ``reversals_after_complaints``;
- **complaints** received in the period, how they ended (upheld,
  reversed, still open) and the median hours to decide the ended ones;
- **statements**: exported in the period, accepted by the database in the
  period, and refused (exported in the period, not accepted since).
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from audit.compliance import mapping, rules
from audit.compliance.statements import RULE_SOURCES
from audit.metrics.assembly import date_range
from audit.store import transparency as rows
from audit.store.reports import snapshot
from review.auth import require
from review.clock import ms_between
from review.store import Store, User
from review.store.complaints import REVERSAL_SOURCE

NONE = "(none)"
UNMAPPED = "(unmapped)"
#: The ``source_type`` of what the platform detected itself: not a notice.
OWN_INITIATIVE = "SOURCE_VOLUNTARY"


def counts(store: Store, who: User | str, *, since: str | None = None, until: str | None = None) -> dict[str, Any]:
    """The transparency counts of the period *since*..*until* (inclusive days or ISO times, as ``veil metrics``).

    A lead's (NotAllowed otherwise); PeriodError for a bad period. Read in
    one snapshot, so every figure is of the same moment, named by
    ``made_from_event``.
    """
    require(store, who, "lead", to="see the transparency counts")
    start, end = date_range(since, until)
    the_mapping = mapping.current(store)
    with snapshot(store) as head:
        notices = rows.notices(store, start, end)
        actions = rows.actions(store, start, end)
        complaints = rows.complaints(store, start, end)
        exported, accepted, refused = rows.statements(store, start, end)
    return {
        "since": since, "until": until, "made_from_event": head.events,
        **_notices(notices, the_mapping),
        **_actions(actions, the_mapping),
        "complaints": _complaints(complaints),
        "statements": {"exported": exported, "accepted": accepted, "refused": refused},
    }


def _notices(found: list[tuple[str | None, str | None, int]], the_mapping: dict[str, Any]) -> dict[str, Any]:
    sources = the_mapping.get("sources", {})
    by_source: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    pairs = []
    own_by_source: Counter[str] = Counter()
    own_by_category: Counter[str] = Counter()
    for source, category, count in found:
        entry = sources.get((source or "").strip() or mapping.DEFAULT_SOURCE, sources.get(mapping.DEFAULT_SOURCE))
        source_type = entry.get("source_type", UNMAPPED) if isinstance(entry, dict) else UNMAPPED
        if source_type == OWN_INITIATIVE:
            own_by_source[source or NONE] += count
            own_by_category[category or NONE] += count
            continue
        by_source[source or NONE] += count
        by_type[source_type] += count
        by_category[category or NONE] += count
        pairs.append({"source": source or NONE, "category": category or NONE, "count": count})
    return {"notices": {"total": sum(by_source.values()), "by_source": dict(sorted(by_source.items())),
                        "by_source_type": dict(sorted(by_type.items())),
                        "by_category": dict(sorted(by_category.items())), "by_source_and_category": pairs},
            "own_initiative": {"total": sum(own_by_source.values()), "by_source": dict(sorted(own_by_source.items())),
                               "by_category": dict(sorted(own_by_category.items()))}}


def _actions(found: list[tuple[str, tuple[str, ...], str, str, str]], the_mapping: dict[str, Any]) -> dict[str, Any]:
    by_type: Counter[str] = Counter()
    by_ground: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    hours: list[float] = []
    restricting = reversals = automated = 0
    for action, labels, source, decided_at, received_at in found:
        by_type[action] += 1
        automated += source in RULE_SOURCES
        reversals += source == REVERSAL_SOURCE
        entry = the_mapping.get("actions", {}).get(action) or {}
        if not any(entry.get(field) for field in rules.RESTRICTIONS):
            continue
        label = the_mapping.get("labels", {}).get(labels[0]) if labels else None
        ground = label.get("decision_ground", UNMAPPED) if label else UNMAPPED
        category = label.get("category", UNMAPPED) if label else UNMAPPED
        by_ground[ground] += 1
        by_category[category] += 1
        pairs[(ground, category)] += 1
        restricting += 1
        if source != REVERSAL_SOURCE:  # a reversal's delay is the complaint's, counted under complaints
            hours.append(max(ms_between(received_at, decided_at), 0) / 3_600_000)
    total = len(found)
    return {
        "actions_by_type": dict(sorted(by_type.items())),
        "actions_total": total,
        "restricting": restricting,
        "reversals_after_complaints": reversals,
        "actions_by_ground": dict(sorted(by_ground.items())),
        "actions_by_category": dict(sorted(by_category.items())),
        "actions_by_ground_and_category": [{"ground": g, "category": c, "count": n}
                                           for (g, c), n in sorted(pairs.items())],
        "automated": {"decisions": total, "automated": automated, "share": automated / total if total else None},
        "median_hours_notice_to_action": statistics.median(hours) if hours else None,
    }


def _complaints(found: list[tuple[str, str | None, str | None]]) -> dict[str, Any]:
    outcomes = Counter(outcome or "open" for _, outcome, _ in found)
    hours = [ms_between(received, resolved) / 3_600_000 for received, outcome, resolved in found if resolved]
    return {"received": len(found), "upheld": outcomes["upheld"], "reversed": outcomes["reversed"],
            "open": outcomes["open"], "median_hours_to_decide": statistics.median(hours) if hours else None}
