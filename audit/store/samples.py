"""SQL of ``audit_samples``: the decisions sent to QA, who holds them, and their state.

Rows come back as tuples in :data:`SAMPLE_COLUMNS` order (the domain's
``audit.sampling.Sample`` takes them as they are). A sample is *free to
take* when nobody holds it, or its claim is older than the given ``stale``
time and its blind step has not started (``audit.audits`` decides how old
is stale). The guarded writes (:func:`send_to_qa`, :func:`claim_next`,
:func:`reassign`, :func:`withdraw`, :func:`start`) are each one transaction
with its event; a failed guard raises :class:`~review.store.Refused` and
``audit.sampling`` / ``audit.audits`` word it.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

from audit.store import insert_returning_id
from audit.store.schema import ANSWERED
from review.clock import iso, parse
from review.store import Refused, Store, User
from review.store.bound import distinct_slices, marks, slices

SampleRow = tuple[Any, ...]

#: The id of the queue the blind step names for decision ``d``'s item: the queue its first decision row
#: was made in (whoever made it). An escalated item's later decisions are made in the escalation queue,
#: and the item itself now sits there; naming either would give the escalation away. When that first
#: decision was itself made in an escalation queue (imported history, the demo), the item's
#: ``escalated_from`` metadata names the review queue it came from, if one of that name exists; else NULL
#: (no queue is named). The one definition for the work list and :func:`first_decided_queue`.
BLIND_QUEUE_ID = """(SELECT CASE WHEN fq.kind <> 'escalation' THEN fq.id ELSE
        (SELECT oq.id FROM items oi JOIN queues oq ON oq.name = json_extract(oi.metadata, '$.escalated_from')
         WHERE oi.id = fd.item_id AND oq.kind = 'review') END
    FROM decisions fd JOIN queues fq ON fq.id = fd.queue_id WHERE fd.item_id = d.item_id ORDER BY fd.id LIMIT 1)"""


#: id, decision id, plan, reason, auditor, claimed at, created at, state, moderator, queue (decided in).
SAMPLE_COLUMNS = """
SELECT s.id, s.decision_id, s.plan, s.reason, a.name, s.claimed_at, s.created_at, s.state, m.name, q.name
FROM audit_samples s
JOIN decisions d ON d.id = s.decision_id
JOIN users m ON m.id = d.user_id
JOIN queues q ON q.id = d.queue_id
LEFT JOIN users a ON a.id = s.auditor_id
"""

#: What an auditor's list may say of a sample, blind: id, decision id, auditor, claimed at, created at,
#: state, and the queue the blind step names ('' when none, :data:`BLIND_QUEUE_ID`). No plan, no reason,
#: no moderator: each may hint at the decision or its path.
BLIND_COLUMNS = f"""
SELECT s.id, s.decision_id, a.name, s.claimed_at, s.created_at, s.state, COALESCE(bq.name, '')
FROM audit_samples s
JOIN decisions d ON d.id = s.decision_id
LEFT JOIN queues bq ON bq.id = {BLIND_QUEUE_ID}
LEFT JOIN users a ON a.id = s.auditor_id
"""

# The sample (alias s) may be taken over: nobody on it, or a lapsed claim before the blind step.
_FREE = ("(s.auditor_id IS NULL OR (s.claimed_at IS NOT NULL AND s.claimed_at < :stale"
         " AND NOT EXISTS (SELECT 1 FROM audits a WHERE a.sample_id = s.id)))")


#: The open samples an auditor may work: theirs, and free ones, never on their own decisions.
_WORKABLE = f"s.state = 'open' AND d.user_id <> :me AND (s.auditor_id = :me OR {_FREE})"


def workable(store: Store, auditor_id: int, stale: str, limit: int | None = None) -> list[SampleRow]:
    """Open samples the auditor may work, theirs first, as :data:`BLIND_COLUMNS`; the first *limit* of them.

    An auditor's list must not say "Lead escalations", nor name the plan or the moderator.
    """
    return store.db.execute(
        BLIND_COLUMNS + f""" WHERE {_WORKABLE}
            ORDER BY CASE WHEN s.auditor_id = :me THEN 0 ELSE 1 END, s.created_at, s.id"""
        + (" LIMIT :limit" if limit is not None else ""),
        {"me": auditor_id, "stale": stale, "limit": limit}).fetchall()


def workable_counts(store: Store, auditor_id: int, stale: str) -> tuple[int, int]:
    """(assigned to the auditor, free to take) of the samples :func:`workable` lists, counted in the store."""
    row = store.db.execute(
        f"""SELECT COALESCE(SUM(CASE WHEN s.auditor_id = :me THEN 1 ELSE 0 END), 0), COUNT(*)
            FROM audit_samples s JOIN decisions d ON d.id = s.decision_id WHERE {_WORKABLE}""",
        {"me": auditor_id, "stale": stale}).fetchone()
    return int(row[0]), int(row[1]) - int(row[0])


def next_workable(store: Store, auditor_id: int, stale: str) -> tuple[int, int] | None:
    """(sample id, decision id) the auditor should take next; None when there is none.

    Order: one they started, then ones assigned to them, then the pool, then lapsed claims; oldest first.
    """
    row = store.db.execute(
        f"""SELECT s.id, s.decision_id FROM audit_samples s JOIN decisions d ON d.id = s.decision_id
            WHERE {_WORKABLE}
            ORDER BY CASE WHEN s.auditor_id = :me AND s.claimed_at IS NOT NULL THEN 0
                          WHEN s.auditor_id = :me THEN 1 WHEN s.auditor_id IS NULL THEN 2 ELSE 3 END,
                     s.created_at, s.id LIMIT 1""",
        {"me": auditor_id, "stale": stale}).fetchone()
    return (row[0], row[1]) if row else None


def startable(store: Store, sample_id: int, auditor_id: int, stale: str) -> tuple[int, str, int, int | None] | None:
    """(decision id, plan, item id, blind auditor id or None) when the auditor may open the sample."""
    row = store.db.execute(
        f"""SELECT s.decision_id, s.plan, d.item_id, (SELECT a.auditor_id FROM audits a WHERE a.sample_id = s.id)
            FROM audit_samples s JOIN decisions d ON d.id = s.decision_id
            WHERE s.id = :sample AND (s.auditor_id = :me OR {_FREE})""",
        {"sample": sample_id, "me": auditor_id, "stale": stale}).fetchone()
    return (row[0], row[1], row[2], row[3]) if row else None


def first_decided_queue(store: Store, decision_id: int) -> tuple[int | None, str]:
    """(id, name) of the queue the blind step names for the decision's item (:data:`BLIND_QUEUE_ID`);
    (None, '') when there is none to name."""
    row = store.db.execute(
        f"SELECT bq.id, COALESCE(bq.name, '') FROM decisions d LEFT JOIN queues bq ON bq.id = {BLIND_QUEUE_ID}"
        " WHERE d.id = ?", [decision_id]).fetchone()
    if row is None:
        raise KeyError(f"no decision with id {decision_id}")
    return row[0], row[1]


def blind_sample(store: Store, sample_id: int) -> SampleRow | None:
    """One sample as :data:`BLIND_COLUMNS`."""
    row = store.db.execute(BLIND_COLUMNS + " WHERE s.id = ?", [sample_id]).fetchone()
    return tuple(row) if row else None


def plan_of(store: Store, sample_id: int) -> str:
    """The plan that drew the sample, for the reveal."""
    row = store.db.execute("SELECT plan FROM audit_samples WHERE id = ?", [sample_id]).fetchone()
    if row is None:
        raise KeyError(f"no audit sample with id {sample_id}")
    return str(row[0])


def sample(store: Store, sample_id: int) -> SampleRow | None:
    row = store.db.execute(SAMPLE_COLUMNS + " WHERE s.id = ?", [sample_id]).fetchone()
    return tuple(row) if row else None


def standing(store: Store, sample_id: int) -> tuple[int, str, bool] | None:
    """(moderator id, state, blind step done) of a sample; None if there is none."""
    row = store.db.execute(
        """SELECT d.user_id, s.state, EXISTS (SELECT 1 FROM audits a WHERE a.sample_id = s.id)
           FROM audit_samples s JOIN decisions d ON d.id = s.decision_id WHERE s.id = ?""", [sample_id]).fetchone()
    return (row[0], row[1], bool(row[2])) if row else None


def holder(store: Store, sample_id: int) -> tuple[int | None, str | None, int]:
    """(auditor id, auditor name, decision id) of a sample that exists."""
    row = store.db.execute(
        "SELECT s.auditor_id, u.name, s.decision_id FROM audit_samples s LEFT JOIN users u ON u.id = s.auditor_id"
        " WHERE s.id = ?", [sample_id]).fetchone()
    return row[0], row[1], row[2]


def is_current(store: Store, decision_id: int) -> bool:
    """Whether the decision still answers its item (not undone, not superseded; a lead's correction leaves it)."""
    return store.db.execute(f"SELECT 1 FROM decisions d WHERE d.id = ? AND {ANSWERED}", [decision_id]).fetchone() \
        is not None


def claim(store: Store, sample_id: int, auditor_id: int, at: str) -> None:
    store.db.execute("UPDATE audit_samples SET auditor_id = ?, claimed_at = ? WHERE id = ?",
                     [auditor_id, at, sample_id])


def assign(store: Store, sample_id: int, auditor_id: int | None) -> None:
    """Give the sample to an auditor (or the pool, None), with no claim yet."""
    store.db.execute("UPDATE audit_samples SET auditor_id = ?, claimed_at = NULL WHERE id = ?", [auditor_id, sample_id])


def set_state(store: Store, sample_id: int, state: str) -> None:
    store.db.execute("UPDATE audit_samples SET state = ? WHERE id = ?", [state, sample_id])


def add(store: Store, decision_id: int, plan: str, reason: str, auditor_id: int | None, created_at: str, *,
        claimed_at: str | None = None, state: str = "open") -> int:
    """A new sample; its id."""
    return insert_returning_id(
        store, "INSERT INTO audit_samples (decision_id, plan, reason, auditor_id, claimed_at, created_at, state)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [decision_id, plan, reason, auditor_id, claimed_at, created_at, state])


def for_decisions(store: Store, decision_ids: Sequence[int]) -> list[SampleRow]:
    """The samples of these decisions, by sample id."""
    found: list[SampleRow] = []
    for chunk in slices(decision_ids):
        found += store.db.execute(SAMPLE_COLUMNS + f" WHERE s.decision_id IN ({marks(chunk)}) ORDER BY s.id",
                                  chunk).fetchall()
    return found


def listing(store: Store, *, state: str | None = None, plan: str | None = None) -> list[SampleRow]:
    """Every sample, oldest first, optionally of one state or plan."""
    where, params = [], []
    for column, value in (("s.state", state), ("s.plan", plan)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    sql = SAMPLE_COLUMNS + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY s.id"
    return store.db.execute(sql, params).fetchall()


def open_load(store: Store) -> dict[int, int]:
    """Auditor id -> how many open samples they hold."""
    return dict(store.db.execute(
        "SELECT auditor_id, COUNT(*) FROM audit_samples WHERE state = 'open' AND auditor_id IS NOT NULL"
        " GROUP BY auditor_id").fetchall())


def is_sampled(store: Store, decision_id: int) -> bool:
    return store.db.execute("SELECT 1 FROM audit_samples WHERE decision_id = ?", [decision_id]).fetchone() is not None


def decision_maker(store: Store, decision_id: int) -> int | None:
    """The user id of a decision that is not an undo row; None when there is none."""
    row = store.db.execute("SELECT user_id FROM decisions WHERE id = ? AND revokes_id IS NULL",
                           [decision_id]).fetchone()
    return row[0] if row else None


def decision_makers(store: Store, decision_ids: Sequence[int]) -> dict[int, int]:
    """Decision id -> the user id who made it."""
    found: dict[int, int] = {}
    for chunk in slices(decision_ids):
        found.update(store.db.execute(f"SELECT id, user_id FROM decisions WHERE id IN ({marks(chunk)})",
                                      chunk).fetchall())
    return found


def decided(store: Store, decision_id: int) -> tuple[str, str]:
    """(action, labels JSON) of a decision: what a demo auditor bases their blind choice on."""
    row = store.db.execute("SELECT action, labels FROM decisions WHERE id = ?", [decision_id]).fetchone()
    if row is None:
        raise KeyError(f"no decision with id {decision_id}")
    return row[0], row[1]


def for_import(store: Store, decision_ids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
    """Decision id -> (sample id, state, auditor, verdict, error type, severity, scored_at) of its sample."""
    found: dict[int, tuple[Any, ...]] = {}
    for chunk in distinct_slices(decision_ids):
        for row in store.db.execute(
            f"""SELECT s.decision_id, s.id, s.state, u.name, a.verdict, a.error_type, a.severity, a.scored_at
                FROM audit_samples s LEFT JOIN audits a ON a.sample_id = s.id LEFT JOIN users u ON u.id = a.auditor_id
                WHERE s.decision_id IN ({marks(chunk)})""", chunk):
            found[row[0]] = tuple(row[1:])
    return found


# ------------------------------------------------------- guarded writes
def stale_before(now: str, claim_seconds: int) -> str:
    """Claims made before this time have lapsed (unless the blind step started)."""
    return iso(parse(now) - _dt.timedelta(seconds=claim_seconds))


def send_to_qa(store: Store, actor: str, decision_id: int, reason: str, auditor_id: int | None) -> None:
    """A sample added by hand (plan ``manual``), with its event, in one transaction.

    Refused ``"no_decision"`` (no such decision, or an undo row),
    ``"sampled"`` (it already is) or ``"own"`` (*auditor_id* made it).
    """
    with store.transaction():
        moderator_id = decision_maker(store, decision_id)
        if moderator_id is None:
            raise Refused("no_decision")
        if is_sampled(store, decision_id):
            raise Refused("sampled")
        if auditor_id is not None and auditor_id == moderator_id:
            raise Refused("own")
        add(store, decision_id, "manual", reason, auditor_id, store.now())
        store.log(actor, "audit.sampled", f"decision:{decision_id}", {"reason": reason, "plan": "manual"})


def claim_next(store: Store, auditor: User, claim_seconds: int) -> int | None:
    """Claim the auditor's next sample (:func:`next_workable`) in one transaction; its id, None if none.

    A sample whose decision was undone since it was drawn is cancelled on the way.
    """
    with store.transaction():
        now = store.now()
        while True:
            found = next_workable(store, auditor.id, stale_before(now, claim_seconds))
            if found is None:
                return None
            sample_id, decision_id = found
            if not is_current(store, decision_id):
                cancel(store, sample_id, auditor.name, "the decision was undone after it was sampled")
                continue
            claim(store, sample_id, auditor.id, now)
            store.log(auditor.name, "audit.claimed", f"sample:{sample_id}", {"decision": decision_id})
            return sample_id


def cancel(store: Store, sample_id: int, actor: str, reason: str) -> None:
    """Mark the sample cancelled, with its event (inside the caller's transaction)."""
    set_state(store, sample_id, "cancelled")
    store.log(actor, "audit.cancelled", f"sample:{sample_id}", {"reason": reason})


def reassign(store: Store, actor: str, sample_id: int, auditor: User | None) -> None:
    """Give an open, unstarted sample to *auditor* (None: the pool), with its event, in one transaction.

    Refused ``"no_sample"``, ``"started"`` (not open, or its blind step is
    stored) or ``"own"`` (the auditor made the decision).
    """
    with store.transaction():
        found = standing(store, sample_id)
        if found is None:
            raise Refused("no_sample")
        moderator_id, state, has_audit = found
        if state != "open" or has_audit:
            raise Refused("started")
        if auditor is not None and auditor.id == moderator_id:
            raise Refused("own")
        assign(store, sample_id, auditor.id if auditor else None)
        store.log(actor, "audit.assigned", f"sample:{sample_id}", {"auditor": auditor.name if auditor else None})


def withdraw(store: Store, actor: str, sample_id: int, reason: str) -> None:
    """Cancel an open sample, in one transaction. Refused ``"no_sample"`` or ``"closed"`` (detail: its state)."""
    with store.transaction():
        found = standing(store, sample_id)
        if found is None:
            raise Refused("no_sample")
        if found[1] != "open":
            raise Refused("closed", found[1])
        cancel(store, sample_id, actor, reason)


def not_own(store: Store, sample_id: int, auditor_id: int) -> tuple[str, bool]:
    """(state, blind step done) of a sample the auditor may audit.

    Refused ``"no_sample"``, or ``"own"`` when the auditor made its decision.
    """
    found = standing(store, sample_id)
    if found is None:
        raise Refused("no_sample")
    moderator_id, state, done = found
    if moderator_id == auditor_id:
        raise Refused("own")
    return state, done


def start(store: Store, auditor: User, sample_id: int, claim_seconds: int) -> tuple[str, int, bool]:
    """Claim a sample for its blind step, with its event, in one transaction; (plan, item id, blind step done).

    Refused as :func:`not_own`, ``"closed"`` (detail: its state), ``"held"``
    (detail: who holds it) or ``"undone"`` (the decision was undone since it
    was sampled and the blind step has not started).
    """
    with store.transaction():
        state, _ = not_own(store, sample_id, auditor.id)
        if state != "open":
            raise Refused("closed", state)
        now = store.now()
        found = startable(store, sample_id, auditor.id, stale_before(now, claim_seconds))
        if found is None:
            _, held_by, _ = holder(store, sample_id)
            raise Refused("held", str(held_by))
        decision_id, plan, item_id, blind_by = found
        if blind_by is None and not is_current(store, decision_id):
            raise Refused("undone")
        claim(store, sample_id, auditor.id, now)
        store.log(auditor.name, "audit.started", f"sample:{sample_id}", {"item": item_id})
    return plan, item_id, blind_by is not None
