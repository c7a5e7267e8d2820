"""Cases' rows: which reports of one content joined which case, and the decisions a case's decision applies.

Schema step m024 (:func:`m024`):

* ``cases`` — append-only, one row per case: its ``id`` is its **lead item's id** (the earliest report, the only
  one served), so a chunk's new cases are written with one ``executemany`` and no id to read back; the queue the
  reports came in, when it opened, and how the reports were found to be one content (``key``: ``sha256``,
  ``pdq`` or ``content_id``, the link that opened it);
* ``items.case_id`` (every report of a case, its lead too) and ``items.case_of`` (the lead's id for the others,
  NULL for the lead and for items in no case): claims serve only items whose ``case_of`` is NULL
  (:func:`review.store.leases.best_unleased`), along ``items_serving_alone`` — ``items_serving`` without the
  reports waiting for a lead, so a claim never walks the 30,000 open reports of a viral case;
* ``decisions.applies_id`` — a report's decision row that a case's decision applied (``source = 'case'``)
  names that decision; revoking it names the revoking row;
* a person's day in the decision summaries (``person_days``) leaves out the rows a case applied: the moderator
  decided once, whatever the case's size (:data:`review.store.summaries.NOT_APPLIED`, in the summaries' trigger);
* ``item_content_ids`` — each item's ``content_id`` from its metadata, indexed, so a chunk's look-up of earlier
  reports by content id is one indexed query (filled at intake; m024 fills it for earlier items that have a
  SHA-256 — gold copies have none and so never join a case).

A case's state is not stored: it is open while its lead waits (pending, in its queue or escalated), decided
once the lead is; its open reports are its pending items. Joining logs one ``cases.joined`` event per import
chunk; each applied decision its own ``decision.recorded`` (``source`` ``case``, ``applies``), each revoked one
its ``decision.revoked``, so ``veil verify`` matches them like every decision
(:mod:`review.store.reconcile_cases` checks the rest).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlite_utils

from review.store import escalations as escalation_rows
from review.store import items, leases, reads
from review.store.bound import distinct_slices, marks, slices
from review.store.connection import executemany

if TYPE_CHECKING:
    from review.store import Store, User

SOURCE = "case"  # decisions.source of a report's decision applied from its case's
JOINED = "cases.joined"  # the event of one chunk's joins
KEYS = ("sha256", "pdq", "content_id")


def m024(db: sqlite_utils.Database) -> None:
    """The schema step: ``cases`` (append-only), the item and decision columns, content ids of earlier items."""
    from review.store.schema import _append_only, refuse_replace  # the schema's own guards

    db.executescript(
        """
        CREATE TABLE cases (
            id INTEGER PRIMARY KEY REFERENCES items(id),
            queue_id INTEGER NOT NULL REFERENCES queues(id),
            opened_at TEXT NOT NULL,
            key TEXT NOT NULL CHECK (key IN ('sha256', 'pdq', 'content_id'))
        );
        CREATE INDEX cases_queue ON cases (queue_id, id);
        ALTER TABLE items ADD COLUMN case_id INTEGER REFERENCES cases(id);
        ALTER TABLE items ADD COLUMN case_of INTEGER REFERENCES items(id);
        CREATE INDEX items_case ON items (case_id, state, id) WHERE case_id IS NOT NULL;
        CREATE INDEX items_serving_alone ON items (queue_id, state, priority DESC, due_at, received_at, id)
            WHERE case_of IS NULL;
        ALTER TABLE decisions ADD COLUMN applies_id INTEGER REFERENCES decisions(id);
        CREATE INDEX decisions_applies ON decisions (applies_id) WHERE applies_id IS NOT NULL;
        CREATE TABLE item_content_ids (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            content_id TEXT NOT NULL
        );
        CREATE INDEX item_content_ids_value ON item_content_ids (content_id, item_id);
        INSERT INTO item_content_ids (item_id, content_id)
            SELECT id, CAST(json_extract(metadata, '$.content_id') AS TEXT) FROM items
            WHERE content_sha256 IS NOT NULL AND json_valid(metadata)
              AND json_type(metadata, '$.content_id') IN ('text', 'integer');
        """
    )
    _append_only(db, "cases")
    refuse_replace(db, "cases")


# ------------------------------------------------------------------ joining
@dataclass(frozen=True)
class Report:
    """An item as joining reads it: id, queue, SHA-256, PDQ column, content id from its metadata."""

    id: int
    queue_id: int
    sha256: str | None
    pdq: str | None
    content_id: str | None


@dataclass(frozen=True)
class Anchor:
    """An earlier report a new one may join: its id, the queue it arrived in, and its case (None: alone so far)."""

    item_id: int
    queue_id: int
    case_id: int | None




def reports(store: Store, item_ids: Sequence[int]) -> list[Report]:
    """The new items of a chunk that may join a case, by id: reports in a review queue (a complaint is about a
    decision, not content, and other kinds of queue serve every item on purpose) with a SHA-256 (gold copies have
    none) and a way to be one content with another — a PDQ, a content id, or another item of their queue with
    their SHA-256 (an index probe each, in SQL: an import of new texts reads back almost nothing)."""
    found: list[Report] = []
    for part in slices(item_ids):
        for item_id, queue_id, sha, pdq_column, metadata in store.db.execute(
                f"""SELECT n.id, n.queue_id, n.content_sha256, n.pdq,
                           CASE WHEN n.metadata LIKE '%"content_id"%' THEN n.metadata END
                    FROM items n WHERE n.id IN ({marks(part)}) AND n.content_sha256 IS NOT NULL
                      AND n.queue_id IN (SELECT q.id FROM queues q WHERE q.kind = 'review')
                      AND NOT EXISTS (SELECT 1 FROM complaints c WHERE c.item_id = n.id)
                      AND (n.pdq IS NOT NULL OR n.metadata LIKE '%"content_id"%'
                           OR EXISTS (SELECT 1 FROM items e WHERE e.content_sha256 = n.content_sha256
                                      AND COALESCE(e.routed_from_id, e.queue_id) = n.queue_id AND e.id <> n.id))
                    ORDER BY n.id""", list(part)):
            found.append(Report(item_id, queue_id, sha, pdq_column, _content_id(metadata)))
    return found


def _content_id(metadata: str | None) -> str | None:
    if not metadata or '"content_id"' not in metadata:  # most rows: no JSON to parse
        return None
    try:
        value = json.loads(metadata or "{}").get("content_id")
    except (ValueError, AttributeError):
        return None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and str(value) else None


def keep_content_ids(store: Store, found: Sequence[Report]) -> None:
    """Index the content ids of a chunk's new reports (one ``executemany``)."""
    rows = [(r.id, r.content_id) for r in found if r.content_id is not None]
    if rows:
        executemany(store.db, "INSERT INTO item_content_ids (item_id, content_id) VALUES (?, ?)"
                              " ON CONFLICT (item_id) DO NOTHING", rows)


# An earlier report's queue is the one it arrived in: a routing rule may have moved it since (m025's column).
_ARRIVED = "COALESCE(i.routed_from_id, i.queue_id)"
_EARLIER = ("FROM items i WHERE i.id < ? AND i.state <> 'removed' AND i.content_sha256 IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM complaints c WHERE c.item_id = i.id)")
_ANCHOR = f"i.id, {_ARRIVED}, i.case_id {_EARLIER}"
#: Per key and arrival queue, only what a new report may join: the oldest case and the oldest report alone. A
#: content reported 30,000 times is one row per chunk, not 30,000 candidates for each of its new reports.
_BEST = (f"{_ARRIVED}, MIN(i.case_id), MIN(CASE WHEN i.case_id IS NULL THEN i.id END) {_EARLIER}")


def _best(rows: Iterable[Sequence[Any]]) -> dict[str, list[Anchor]]:
    """Key → its anchors from ``_BEST`` rows (key, queue, oldest case, oldest report alone)."""
    found: dict[str, list[Anchor]] = {}
    for key, queue_id, case_id, alone in rows:
        anchors = found.setdefault(key, [])
        if case_id is not None:
            anchors.append(Anchor(int(case_id), int(queue_id), int(case_id)))  # a case's id is its lead's
        if alone is not None:
            anchors.append(Anchor(int(alone), int(queue_id), None))
    return found


def anchors_by_sha(store: Store, shas: Sequence[str], before: int) -> dict[str, list[Anchor]]:
    """Earlier reports (ids below *before*) with one of *shas*, by SHA-256 (indexed; complaints and removed items
    left out): per arrival queue, the oldest case and the oldest report alone."""
    found: dict[str, list[Anchor]] = {}
    for part in distinct_slices(shas):
        found.update(_best(store.db.execute(
            f"SELECT i.content_sha256, {_BEST} AND i.content_sha256 IN ({marks(part)})"
            f" GROUP BY i.content_sha256, {_ARRIVED}", [before, *part])))
    return found


def anchors_by_content_id(store: Store, content_ids: Sequence[str], before: int) -> dict[str, list[Anchor]]:
    """Earlier reports with one of *content_ids* in their metadata, by content id (as :func:`anchors_by_sha`)."""
    found: dict[str, list[Anchor]] = {}
    by_content = _BEST.replace("FROM items i", "FROM items i JOIN item_content_ids k ON k.item_id = i.id")
    for part in distinct_slices(content_ids):
        found.update(_best(store.db.execute(
            f"SELECT k.content_id, {by_content} AND k.content_id IN ({marks(part)})"
            f" GROUP BY k.content_id, {_ARRIVED}", [before, *part])))
    return found


def anchors_by_id(store: Store, item_ids: Sequence[int], before: int) -> dict[int, Anchor]:
    """Earlier reports among *item_ids* (PDQ candidates the index found), by id."""
    found: dict[int, Anchor] = {}
    for part in distinct_slices(item_ids):
        for item_id, queue_id, case_id in store.db.execute(
                f"SELECT {_ANCHOR} AND i.id IN ({marks(part)})", [before, *part]):
            found[item_id] = Anchor(item_id, queue_id, case_id)
    return found


def hashed_since(store: Store, after: int, before: int) -> list[tuple[int, int, str]]:
    """(id, arrival queue, PDQ column) of the items with ids in (after, before) that have a PDQ and a SHA-256, by
    id (they arrived in an earlier chunk: a rule that moved one has already named its arrival queue)."""
    return [(r[0], r[1], r[2]) for r in store.db.execute(
        f"SELECT i.id, {_ARRIVED}, i.pdq FROM items i WHERE i.id > ? AND i.id < ? AND i.pdq IS NOT NULL"
        " AND i.content_sha256 IS NOT NULL ORDER BY i.id", [after, before])]


def join(store: Store, *, opened: Sequence[tuple[int, int, str]], joined: dict[int, list[int]], actor: str) -> None:
    """Write a chunk's joins inside its transaction: the new cases (lead id, queue id, key), every report's
    ``case_id``/``case_of`` (the leads' of new cases too), and one ``cases.joined`` event naming the queue each
    joining report arrived in (``veil verify`` holds it against its case's)."""
    if not joined:
        return
    now = store.now()
    if opened:
        executemany(store.db, "INSERT INTO cases (id, queue_id, opened_at, key) VALUES (?, ?, ?, ?)",
                    [(lead, queue_id, now, key) for lead, queue_id, key in opened])
        executemany(store.db, "UPDATE items SET case_id = ?, case_of = NULL WHERE id = ?",
                    [(lead, lead) for lead, _, _ in opened])
    executemany(store.db, "UPDATE items SET case_id = ?, case_of = ? WHERE id = ?",
                [(case, case, item) for case, members in joined.items() for item in members])
    arrived: dict[str, int] = {}  # the queue each joining report is in: the one it arrived in (rules run after)
    for part in slices(sorted(item for members in joined.values() for item in members)):
        arrived.update((str(i), int(q)) for i, q in store.db.execute(
            f"SELECT id, queue_id FROM items WHERE id IN ({marks(part)})", list(part)))
    store.log(actor, JOINED, "cases", {"opened": [[lead, key] for lead, _, key in opened],
                                       "joined": {str(case): members for case, members in sorted(joined.items())},
                                       "queues": arrived})


def standing_of_leads(store: Store, case_ids: Sequence[int]) -> dict[int, int]:
    """Case id → its standing decision's id, for the cases among *case_ids* whose lead is decided."""
    found: dict[int, int] = {}
    for part in distinct_slices(case_ids):
        for case_id, decision_id in store.db.execute(
                f"""SELECT i.id, (SELECT d.id FROM decisions d WHERE d.item_id = i.id AND d.revokes_id IS NULL
                                    AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id)
                                  ORDER BY d.id DESC LIMIT 1)
                    FROM items i WHERE i.id IN ({marks(part)}) AND i.state = 'decided'""", list(part)):
            if decision_id is not None:
                found[case_id] = int(decision_id)
    return found


# -------------------------------------------------- a case's decision, applied
def apply(store: Store, decision_id: int, item_ids: Sequence[int], *, at_intake: bool = False) -> list[int]:
    """Give each pending report of *item_ids* its own decision row applying *decision_id*, inside the caller's
    transaction; the rows' ids.

    Same maker, action and labels; no note, exposure or handle time; ``decided_at`` now, so each report's SLA is
    met or missed by its own clock. Each report's row is locked first (on a server), then its state read: a
    report another desk decided meanwhile keeps that decision. The item closes and any lease on it ends; each
    row logs its ``decision.recorded`` (``source`` ``case``, ``applies``; *at_intake*: the report arrived after
    its case was decided).
    """
    made = store.db.execute("SELECT d.user_id, u.name, d.action, d.labels FROM decisions d"
                            " JOIN users u ON u.id = d.user_id WHERE d.id = ?", [decision_id]).fetchone()
    user_id, name, action, labels = made
    now = store.now()
    written: list[int] = []
    for item_id in item_ids:
        leases.lock_item(store, item_id)
        found = items.queue_and_state(store, item_id)
        if found is None or found[1] != "pending":
            continue
        row = int(store.db.execute(
            "INSERT INTO decisions (item_id, user_id, queue_id, action, labels, note, shown_at, decided_at, handle_ms,"
            " revealed_ms, client_version, source, applies_id) VALUES (?, ?, ?, ?, ?, '', NULL, ?, NULL, 0, ?, ?, ?)"
            " RETURNING id",
            [item_id, user_id, found[0], action, labels, now, _client(), SOURCE, decision_id]).fetchone()[0])
        items.close(store, item_id)
        leases.drop(store, item_id)
        store.log(name, "decision.recorded", f"item:{item_id}",
                  {"decision": row, "action": action, "labels": json.loads(labels or "[]"), "source": SOURCE,
                   "queue": store.queue_by_id(found[0]).name, "applies": decision_id, "at_intake": at_intake,
                   **_facts(now)})
        written.append(row)
    return written


def follow(store: Store, item_id: int, decision_id: int, user: User, now: str) -> list[int]:
    """The case of *item_id*, just decided by *decision_id*: apply it to every other open report; their rows.

    Normally the lead is the one decided (only it is served); a report held under a claim taken before it
    joined decides the case the same way, the lead's open escalation ending with it. Nothing for an item in no
    case. Reports are locked in id order; two desks deciding two reports of one case at once meet on a row lock
    (a deadlock on a server is replayed whole, and the replayed one finds its report decided).
    """
    row = store.db.execute("SELECT case_id FROM items WHERE id = ?", [item_id]).fetchone()
    if row is None or row[0] is None:
        return []
    others = [r[0] for r in store.db.execute(
        "SELECT id FROM items WHERE case_id = ? AND state = 'pending' AND id <> ? ORDER BY id", [row[0], item_id])]
    lead = int(row[0])
    if lead in others:  # a report decided before its lead: the lead's escalation, if any, ends too
        found = items.queue_and_state(store, lead)
        if found is not None:
            escalation_rows.close_open(store, lead, store.queue_by_id(found[0]), user, now, decision_id)
    return apply(store, decision_id, others)


#: Reports still waiting for a lead that is decided: (case, report), by case then id. Never left by a decision
#: made in Veil (:func:`follow` runs in its transaction); a history import decides its leads in bulk.
STRANDED = ("SELECT m.case_id, m.id FROM items m JOIN items l ON l.id = m.case_of"
            " WHERE m.case_of IS NOT NULL AND m.state = 'pending' AND l.state = 'decided' ORDER BY m.case_id, m.id")


def follow_decided_leads(store: Store) -> list[int]:
    """Apply each decided lead's standing decision to the reports of its case still waiting (after a history
    import, whose past decisions are written in bulk, once all of them are: a report the history decides itself
    keeps that decision); the rows applied. Inside the caller's transaction; one query when none waits."""
    waiting: dict[int, list[int]] = {}
    for case_id, item_id in store.db.execute(STRANDED).fetchall():
        waiting.setdefault(int(case_id), []).append(int(item_id))
    return [row for case_id, decision_id in standing_of_leads(store, list(waiting)).items()
            for row in apply(store, decision_id, waiting[case_id])]


def unfollow(store: Store, user: User, decision_id: int, revocation_id: int, now: str) -> list[int]:
    """Revoke every live row *decision_id* applied (a case's decision undone) and reopen their reports in their
    queues, still in the case, waiting for it again; their item ids. Inside the caller's transaction."""
    applied = store.db.execute(
        "SELECT d.id, d.item_id, d.queue_id FROM decisions d WHERE d.applies_id = ? AND d.revokes_id IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id) ORDER BY d.id",
        [decision_id]).fetchall()
    reopened: list[int] = []
    for row_id, item_id, queue_id in applied:
        leases.lock_item(store, item_id)
        revoke_id = int(store.db.execute(
            "INSERT INTO decisions (item_id, user_id, queue_id, action, labels, note, shown_at, decided_at, handle_ms,"
            " revealed_ms, client_version, source, revokes_id, applies_id)"
            " VALUES (?, ?, ?, 'revoke', '[]', 'undo', NULL, ?, NULL, 0, ?, ?, ?, ?) RETURNING id",
            [item_id, user.id, queue_id, now, _client(), SOURCE, row_id, revocation_id]).fetchone()[0])
        items.reopen(store, item_id, queue_id)
        store.log(user.name, "decision.revoked", f"item:{item_id}",
                  {"decision": row_id, "revocation": revoke_id, "applies": revocation_id,
                   **_facts(now, note="undo")})
        reopened.append(item_id)
    return reopened


def _client() -> str:
    from review.store.decisions import CLIENT_VERSION  # decisions imports this module: import at call time

    return CLIENT_VERSION


def _facts(now: str, note: str = "") -> dict[str, object]:
    from review.store.decisions import facts

    return facts(now, None, None, 0, note)


# ------------------------------------------------------------------ reading
@dataclass(frozen=True)
class CaseRow:
    """One case as leads see it: id (its lead item's), queue, opened, key, reports, open reports, lead's state,
    and the decided action (None while open)."""

    id: int
    queue: str
    opened_at: str
    key: str
    reports: int
    open_reports: int
    lead_state: str
    decided_action: str | None


_CASES = """
SELECT c.id, q.name, c.opened_at, c.key,
       (SELECT COUNT(*) FROM items m WHERE m.case_id = c.id),
       (SELECT COUNT(*) FROM items m WHERE m.case_id = c.id AND m.state = 'pending'),
       l.state,
       CASE WHEN l.state = 'decided' THEN
           (SELECT d.action FROM decisions d WHERE d.item_id = l.id AND d.revokes_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id) ORDER BY d.id DESC LIMIT 1) END
FROM cases c JOIN items l ON l.id = c.id JOIN queues q ON q.id = l.queue_id
"""


def case_rows(store: Store, *, open_only: bool, queue_ids: Sequence[int] | None = None,
              case_ids: Sequence[int] = ()) -> list[CaseRow]:
    """Cases, oldest first: open ones only (the lead waits), those in *queue_ids* (None: any), or *case_ids*.

    A case is in its lead item's queue now (a routing rule may have moved it from the queue the reports came in)."""
    sql, params = _cases_query(open_only=open_only, queue_ids=queue_ids, case_ids=case_ids)
    return [CaseRow(*row) for row in store.db.execute(sql, params).fetchall()]


def case_read(case_id: int) -> reads.Read[CaseRow | None]:
    """:func:`case_rows`' row of one case (None: no such case), as a look-up that may share a round trip."""
    sql, params = _cases_query(open_only=False, queue_ids=None, case_ids=[case_id])
    return reads.one(sql, params, lambda rows: CaseRow(*rows[0]) if rows else None)


def _cases_query(*, open_only: bool, queue_ids: Sequence[int] | None, case_ids: Sequence[int]) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if open_only:
        where.append("l.state = 'pending'")
    if queue_ids is not None:
        where.append(f"l.queue_id IN ({marks(queue_ids)})" if queue_ids else "1 = 0")
        params.extend(queue_ids)
    if case_ids:
        where.append(f"c.id IN ({marks(case_ids)})")
        params.extend(case_ids)
    return _CASES + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY c.opened_at, c.id", params


@dataclass(frozen=True)
class Member:
    """A report in a case: item id, external id, queue, state, received and due times, how its decision came."""

    item_id: int
    external_id: str
    queue: str
    state: str
    received_at: str
    due_at: str
    lead: bool
    decided_by_case: bool


def members(store: Store, case_ids: Sequence[int]) -> dict[int, list[Member]]:
    """Each case's reports, by arrival (the lead first)."""
    found: dict[int, list[Member]] = {c: [] for c in case_ids}
    for part in distinct_slices(case_ids):
        for case_id, *values in store.db.execute(
                f"""SELECT i.case_id, i.id, i.external_id, q.name, i.state, i.received_at, i.due_at,
                           i.case_of IS NULL,
                           EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = i.id AND d.applies_id IS NOT NULL
                                   AND d.revokes_id IS NULL
                                   AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id))
                    FROM items i JOIN queues q ON q.id = i.queue_id
                    WHERE i.case_id IN ({marks(part)}) ORDER BY i.case_id, i.id""", list(part)):
            found[case_id].append(Member(values[0], values[1], values[2], values[3], values[4], values[5],
                                         bool(values[6]), bool(values[7])))
    return found


