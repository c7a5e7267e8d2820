"""SQL of ``audit_plans`` and of the decisions a plan draws from (its window).

Plan rows come back as tuples in :data:`PLAN_COLUMNS` order; JSON columns
(strata, boosts, queues) stay text, the domain (``audit.sampling``) reads
them. The window is every current decision of a decided item in the
plan's queues and time span, minus gold items, with what is already
sampled. A plan names its queues by id (``audit_plan_queues``), so a
renamed queue stays in its plans. A lead's change (``audit.plans``) is one
unit of work made of these statements (``audit.store.atomically``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from audit.store import insert_returning_id
from audit.store.schema import ANSWERED
from review.store import Store
from review.store.bound import marks, slices

PlanRow = tuple[Any, ...]

PLAN_COLUMNS = ("id, name, rate, min_per_moderator_per_day, strata, boosts, period, seed, starts_at,"
                " active, last_period, last_run_at")
#: The columns a lead sets (``audit.plans``); name, creator and times are the store's.
SETTABLE = ("rate", "min_per_moderator_per_day", "strata", "boosts", "period", "seed", "starts_at", "active")


def plan(store: Store, name: str) -> PlanRow | None:
    row = store.db.execute(f"SELECT {PLAN_COLUMNS} FROM audit_plans WHERE name = ?", [name]).fetchone()
    return tuple(row) if row else None


def plans(store: Store, *, active_only: bool = False) -> list[PlanRow]:
    where = " WHERE active = 1" if active_only else ""
    return store.db.execute(f"SELECT {PLAN_COLUMNS} FROM audit_plans{where} ORDER BY name").fetchall()


def plan_queues(store: Store, plan_ids: Sequence[int]) -> dict[int, list[tuple[Any, ...]]]:
    """Each plan's queues: (queue id, current name, merged-into id, merged-into name, gone name, merge chain), by
    name; the chain is the ids of every queue it was merged into, in order (see :func:`merge_chain`).

    A plan with no rows samples every queue. The queue id is None for a
    name that matched no queue when plans moved to ids (its gone name).
    """
    found: dict[int, list[tuple[Any, ...]]] = {}
    steps: dict[int, int] | None = None
    for chunk in slices(plan_ids):
        for row in store.db.execute(
            f"""SELECT pq.plan_id, pq.queue_id, q.name, m.id, m.name, pq.gone_name
                FROM audit_plan_queues pq
                LEFT JOIN queues q ON q.id = pq.queue_id
                LEFT JOIN queues m ON m.id = q.merged_into_id
                WHERE pq.plan_id IN ({marks(chunk)})
                ORDER BY COALESCE(q.name, pq.gone_name)""", chunk):
            chain: tuple[int, ...] = ()
            if row[3] is not None:
                steps = merge_steps(store) if steps is None else steps
                chain = merge_chain(row[1], row[3], steps)
            found.setdefault(row[0], []).append((*row[1:], chain))
    return found


def merge_steps(store: Store) -> dict[int, int]:
    """Each merged queue's id -> the id of the queue it was merged *directly* into, from the event log.

    ``queues.merged_into_id`` holds the last queue of a chain only (merging
    abuse into trust re-points spam, merged into abuse before, at trust), so
    the steps are read back from the ``queue.merged`` events, which name the
    queues as they were then: the log is walked backwards from today's
    names, undoing each ``queue.renamed`` on the way.
    """
    ids = {name: queue_id for queue_id, name in store.db.execute("SELECT id, name FROM queues")}
    steps: dict[int, int] = {}
    for kind, subject, payload in store.db.execute(
            "SELECT kind, subject, payload FROM events WHERE kind IN ('queue.renamed', 'queue.merged')"
            " ORDER BY id DESC"):
        data = json.loads(payload or "{}")
        if kind == "queue.renamed":
            renamed = ids.pop(data.get("to"), None)
            if renamed is not None:
                ids[data.get("from")] = renamed
            continue
        source, into = ids.get(subject.removeprefix("queue:")), ids.get(data.get("into"))
        if source is not None and into is not None:
            steps[source] = into
    return steps


def merge_chain(queue_id: int, last: int, steps: dict[int, int]) -> tuple[int, ...]:
    """The ids of the queues *queue_id* was merged into, in order, ending at *last* (its ``merged_into_id``)."""
    chain: list[int] = []
    step = steps.get(queue_id)
    while step is not None and step != last and step not in chain:
        chain.append(step)
        step = steps.get(step)
    return (*chain, last)


def queue_choices(store: Store) -> list[tuple[int, str, str | None]]:
    """Every queue a plan may name: (id, name, the name of the queue it was merged into, or None)."""
    return [(r[0], r[1], r[2]) for r in store.db.execute(
        "SELECT q.id, q.name, m.name FROM queues q LEFT JOIN queues m ON m.id = q.merged_into_id ORDER BY q.name")]


def add(store: Store, name: str, values: dict[str, Any], by: str, at: str) -> int:
    """A new plan *name* with *values* (every :data:`SETTABLE` column, JSON already encoded); its id."""
    return insert_returning_id(
        store, f"INSERT INTO audit_plans ({', '.join(SETTABLE)}, name, created_by, created_at, updated_at)"
        f" VALUES ({marks(SETTABLE)}, ?, ?, ?, ?) RETURNING id",
        [*(values[c] for c in SETTABLE), name, by, at, at])


def update(store: Store, plan_id: int, values: dict[str, Any], at: str) -> None:
    """Set the given :data:`SETTABLE` columns of a plan."""
    columns = [c for c in SETTABLE if c in values]
    store.db.execute(
        f"UPDATE audit_plans SET {', '.join(f'{c} = ?' for c in columns)}, updated_at = ? WHERE id = ?",
        [*(values[c] for c in columns), at, plan_id])


def set_queues(store: Store, plan_id: int, queue_ids: Sequence[int] | None) -> None:
    """The plan samples these queues from now on (None: every queue); gone names go with the old choice."""
    store.db.execute("DELETE FROM audit_plan_queues WHERE plan_id = ?", [plan_id])
    for queue_id in queue_ids or ():
        store.db.execute("INSERT INTO audit_plan_queues (plan_id, queue_id) VALUES (?, ?)", [plan_id, queue_id])


def ran(store: Store, plan_id: int, at: str) -> None:
    store.db.execute("UPDATE audit_plans SET last_run_at = ? WHERE id = ?", [at, plan_id])


def ran_period(store: Store, plan_id: int, period: str) -> None:
    """The scheduled run of *period* happened (it is not run again)."""
    store.db.execute("UPDATE audit_plans SET last_period = ? WHERE id = ?", [period, plan_id])


def window(store: Store, starts_at: str, now: str, queue_ids: Sequence[int] | None) -> list[tuple[Any, ...]]:
    """The decisions a plan may draw from, by id: (id, user id, user, queue, queue kind, action, labels JSON,
    decided at, handle ms, reversed, sampled reason, sampled plan).

    *queue_ids* are the queues the decisions were made in (None: every
    queue; empty: none, as for a plan whose only queue is gone).
    """
    queue_filter = ""
    params: list[Any] = [starts_at, now]
    if queue_ids is not None:
        if not queue_ids:
            return []
        queue_filter = f" AND d.queue_id IN ({marks(queue_ids)})"
        params += list(queue_ids)
    return store.db.execute(
        f"""SELECT d.id, d.user_id, u.name, q.name, q.kind, d.action, d.labels, d.decided_at, d.handle_ms,
                   EXISTS (SELECT 1 FROM decisions p WHERE p.item_id = d.item_id AND p.revokes_id IS NOT NULL
                           AND p.id < d.id),
                   s.reason, s.plan
            FROM decisions d
            JOIN items i ON i.id = d.item_id
            JOIN queues q ON q.id = d.queue_id
            JOIN users u ON u.id = d.user_id
            LEFT JOIN audit_samples s ON s.decision_id = d.id
            WHERE {ANSWERED} AND i.state = 'decided' AND d.source IS DISTINCT FROM 'case'
              AND d.decided_at >= ? AND d.decided_at <= ?{queue_filter}
              AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = d.item_id)
            ORDER BY d.id""",
        params,
    ).fetchall()


def first_decisions(store: Store, user_ids: Iterable[int], first: int) -> set[int]:
    """Ids of each user's first *first* decisions ever (undo rows excluded)."""
    ids: set[int] = set()
    for user_id in user_ids:
        ids.update(r[0] for r in store.db.execute(
            "SELECT id FROM decisions WHERE user_id = ? AND revokes_id IS NULL"
            " AND source IS DISTINCT FROM 'case' ORDER BY decided_at, id LIMIT ?",  # rows a case applied: no work
            [user_id, first]))
    return ids
