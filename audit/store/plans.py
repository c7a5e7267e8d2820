"""SQL of ``audit_plans`` and of the decisions a plan draws from (its window).

Plan rows come back as tuples in :data:`PLAN_COLUMNS` order; JSON columns
(strata, boosts, queues) stay text, the domain (``audit.sampling``) reads
them. The window is every current decision of a decided item in the
plan's queues and time span, minus gold items, with what is already
sampled. :func:`save_with_event` is a plan's one transaction when a lead
saves it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from audit.store import marks
from audit.store.schema import CURRENT
from review.store import Store

PlanRow = tuple[Any, ...]

PLAN_COLUMNS = ("id, name, rate, min_per_moderator_per_day, strata, boosts, queues, period, seed, starts_at,"
                " active, last_period, last_run_at")


def plan(store: Store, name: str) -> PlanRow | None:
    row = store.db.execute(f"SELECT {PLAN_COLUMNS} FROM audit_plans WHERE name = ?", [name]).fetchone()
    return tuple(row) if row else None


def plans(store: Store, *, active_only: bool = False) -> list[PlanRow]:
    where = " WHERE active = 1" if active_only else ""
    return store.db.execute(f"SELECT {PLAN_COLUMNS} FROM audit_plans{where} ORDER BY name").fetchall()


def seed_and_start(store: Store, name: str) -> tuple[str, str] | None:
    """(seed, starts_at) of an existing plan, kept when a lead edits it."""
    row = store.db.execute("SELECT seed, starts_at FROM audit_plans WHERE name = ?", [name]).fetchone()
    return (row[0], row[1]) if row else None


def save(store: Store, name: str, values: dict[str, Any], by: str, at: str) -> None:
    """Create or replace the plan *name* with *values* (every settable column, JSON already encoded)."""
    columns = ("rate", "min_per_moderator_per_day", "strata", "boosts", "queues", "period", "seed", "starts_at",
               "active")
    store.db.execute(
        f"INSERT INTO audit_plans ({', '.join(columns)}, name, created_by, created_at, updated_at)"
        f" VALUES ({marks(columns)}, ?, ?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in (*columns, "updated_at")),
        [*(values[c] for c in columns), name, by, at, at],
    )


def ran(store: Store, plan_id: int, at: str) -> None:
    store.db.execute("UPDATE audit_plans SET last_run_at = ? WHERE id = ?", [at, plan_id])


def ran_period(store: Store, plan_id: int, period: str) -> None:
    """The scheduled run of *period* happened (it is not run again)."""
    store.db.execute("UPDATE audit_plans SET last_period = ? WHERE id = ?", [period, plan_id])


def window(store: Store, starts_at: str, now: str, queues: Sequence[str] | None) -> list[tuple[Any, ...]]:
    """The decisions a plan may draw from, by id: (id, user id, user, queue, queue kind, action, labels JSON,
    decided at, handle ms, reversed, sampled reason, sampled plan)."""
    queue_filter = ""
    params: list[Any] = [starts_at, now]
    if queues is not None:
        queue_filter = f" AND q.name IN ({marks(queues)})"
        params += list(queues)
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
            WHERE {CURRENT} AND i.state = 'decided'
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
            "SELECT id FROM decisions WHERE user_id = ? AND revokes_id IS NULL ORDER BY decided_at, id LIMIT ?",
            [user_id, first]))
    return ids


# -------------------------------------------------------- guarded write
def save_with_event(store: Store, actor: str, name: str, values: dict[str, Any], seed: str | None,
                    starts_at: str | None, event: dict[str, Any]) -> None:
    """Create or replace the plan *name* and log ``audit.plan_saved`` with *event*, in one transaction.

    *values* are the settable columns but the seed and the start. An edited
    plan keeps its seed and start unless given (moving the start to "now"
    whenever a lead changes the rate would silently drop today's decisions
    and yesterday's minimum); a new one gets a random seed (reproducible for
    whoever holds the store, unpredictable to the people sampled) and starts
    now. The event adds the start and whether the plan is new.
    """
    now = store.now()
    with store.transaction():
        old = seed_and_start(store, name)
        kept_seed = seed if seed is not None else (old[0] if old else secrets.token_hex(8))
        starts = starts_at or (old[1] if old else now)
        save(store, name, {**values, "seed": kept_seed, "starts_at": starts}, actor, now)
        store.log(actor, "audit.plan_saved", f"plan:{name}", {**event, "starts_at": starts, "new": old is None})
