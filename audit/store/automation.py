"""SQL behind automation's figures per rule: its decisions, their audits, the items received, the exposure spared.

Grouped reads in the dialect SQLite and PostgreSQL share; :mod:`audit.automation` turns them into the
dashboard's, ``veil metrics``' and ``veil automation status``' figures. Audits count by their final
verdict (after disputes, the ``audit_verdicts`` view), as people's accuracy does. Each read starts from
``automated_decisions`` (``CROSS JOIN`` fixes SQLite's join order; a server plans it as an inner join): planned
from ``decisions`` by the time window, it walked every decision of a million-decision store to find a few
automated ones (200 ms of ``veil metrics`` on a store with no automation at all).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from review.store import Store
from review.store.automation import SOURCE
from review.store.bound import distinct_slices, marks

#: On-screen time of one exposure row, as the wellbeing ledger counts it (blurred, revealed and region time).
_ON_SCREEN = "e.blurred_ms + e.revealed_ms + e.region_ms"
_REVOKED = "EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id)"


def _bounds(column: str, since: str | None, until: str | None) -> tuple[str, list[str]]:
    """The WHERE clause of [*since*, *until*) on *column* (None: unbounded on that side) and its values."""
    parts = [(f"{column} >= ?", since), (f"{column} < ?", until)]
    kept = [(clause, value) for clause, value in parts if value is not None]
    return " AND ".join(clause for clause, _ in kept) or "1 = 1", [value for _, value in kept]


@dataclass(frozen=True)
class RuleCount:
    """One rule's automated decisions made in a window: how many, how many since revoked, its latest version."""

    rule: str
    version: int
    decisions: int
    revoked: int


def rule_counts(store: Store, since: str | None, until: str | None) -> list[RuleCount]:
    """Every rule that decided in [*since*, *until*), by name."""
    where, params = _bounds("d.decided_at", since, until)
    rows = store.db.execute(
        f"""SELECT a.rule, MAX(a.version), COUNT(*), SUM(CASE WHEN {_REVOKED} THEN 1 ELSE 0 END)
            FROM automated_decisions a CROSS JOIN decisions d
            WHERE d.id = a.decision_id AND {where} GROUP BY a.rule ORDER BY a.rule""", params).fetchall()
    return [RuleCount(str(rule), int(version), int(n), int(revoked or 0)) for rule, version, n, revoked in rows]


def known_rules(store: Store) -> dict[str, int]:
    """Every rule that ever decided or was ever suspended: rule → its latest version that decided (0: none)."""
    found = {str(rule): int(version) for rule, version in store.db.execute(
        "SELECT rule, MAX(version) FROM automated_decisions GROUP BY rule ORDER BY rule")}
    for (rule,) in store.db.execute("SELECT rule FROM automation_rules ORDER BY rule"):
        found.setdefault(str(rule), 0)
    return found


def verdicts(store: Store, since: str | None, until: str | None) -> dict[str, tuple[int, int]]:
    """Audited automated decisions made in [*since*, *until*): rule → (judged correct, audited)."""
    where, params = _bounds("d.decided_at", since, until)
    rows = store.db.execute(
        f"""SELECT a.rule, SUM(CASE WHEN v.final_verdict = 'correct' THEN 1 ELSE 0 END), COUNT(*)
            FROM automated_decisions a CROSS JOIN audit_verdicts v CROSS JOIN decisions d
            WHERE v.decision_id = a.decision_id AND d.id = a.decision_id AND {where}
            GROUP BY a.rule ORDER BY a.rule""", params).fetchall()
    return {str(r): (int(k or 0), int(n)) for r, k, n in rows}


def deciding_verdicts(store: Store) -> dict[str, tuple[int, int, str | None]]:
    """Every rule deciding now (never suspended, or resumed): rule → (judged correct, audited, since when), over
    the audits of the decisions it made since it last started deciding (resumed: from then; else ever). One
    grouped query."""
    rows = store.db.execute(
        """SELECT a.rule, SUM(CASE WHEN v.final_verdict = 'correct' THEN 1 ELSE 0 END), COUNT(*), MAX(s.changed_at)
           FROM audit_verdicts v JOIN automated_decisions a ON a.decision_id = v.decision_id
           JOIN decisions d ON d.id = v.decision_id
           LEFT JOIN automation_rules s ON s.rule = a.rule
           WHERE s.rule IS NULL OR (s.suspended = 0 AND d.decided_at >= s.changed_at)
           GROUP BY a.rule ORDER BY a.rule""").fetchall()
    return {str(r): (int(k or 0), int(n), None if since is None else str(since)) for r, k, n, since in rows}


def received(store: Store, since: str | None, until: str | None) -> int:
    """Items received in [*since*, *until*) (the ``items_received`` index range)."""
    where, params = _bounds("received_at", since, until)
    return int(store.db.execute(f"SELECT COUNT(*) FROM items WHERE {where}", params).fetchone()[0])


def standing_by_queue(store: Store, since: str | None, until: str | None) -> dict[str, dict[int, int]]:
    """Automated decisions made in [*since*, *until*) that still stand: rule → queue id → how many."""
    found: dict[str, dict[int, int]] = defaultdict(dict)
    where, params = _bounds("d.decided_at", since, until)
    for rule, queue_id, n in store.db.execute(
            f"""SELECT a.rule, d.queue_id, COUNT(*) FROM automated_decisions a CROSS JOIN decisions d
                WHERE d.id = a.decision_id AND {where} AND NOT {_REVOKED}
                GROUP BY a.rule, d.queue_id ORDER BY a.rule, d.queue_id""", params):
        found[str(rule)][int(queue_id)] = int(n)
    return dict(found)


def human_exposure_per_item(store: Store, queue_ids: Sequence[int], since_day: str | None) -> dict[int, list[int]]:
    """Queue id → the on-screen time (ms) of each item a person decided in it, shown from *since_day* on.

    An item counts once, with all its exposure rows summed (everyone who looked at it), and only if a
    person's decision stands on it (any source but automation's): what deciding it cost people.
    """
    found: dict[int, list[int]] = defaultdict(list)
    for chunk in distinct_slices(queue_ids):
        for queue_id, on_screen in store.db.execute(
                f"""SELECT i.queue_id, SUM({_ON_SCREEN}) FROM exposure e JOIN items i ON i.id = e.item_id
                    WHERE i.queue_id IN ({marks(chunk)}) AND e.day >= COALESCE(?, e.day)
                      AND EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = i.id AND d.source <> ?
                                  AND d.revokes_id IS NULL AND NOT {_REVOKED})
                    GROUP BY i.queue_id, e.item_id ORDER BY i.queue_id, e.item_id""", [*chunk, since_day, SOURCE]):
            found[int(queue_id)].append(int(on_screen or 0))
    return dict(found)


def rules_of(store: Store, first_id: int, last_id: int) -> dict[int, str]:
    """Decision id → the rule that made it, for automated decisions with ids from *first_id* to *last_id*."""
    return {int(d): str(r) for d, r in store.db.execute(
        "SELECT decision_id, rule FROM automated_decisions WHERE decision_id >= ? AND decision_id <= ?"
        " ORDER BY decision_id", [first_id, last_id])}

