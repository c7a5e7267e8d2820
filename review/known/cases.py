"""Cases: reports of one content in one queue gathered so the content is reviewed once.

A new report joins a case with the earlier reports of the same content **that arrived in the same queue** (a
routing rule may have moved them since; a case is listed in its lead's queue now) — the same
SHA-256 (bytes, or a text's normal form), a PDQ hash of quality 50 or more within the organisation's threshold
(:func:`review.near_copies.threshold`, every hash within it found), or the same ``content_id`` in its metadata.
The case opens when the second report arrives (a report alone has none); its lead is the earliest report, the
only one served, and the case's id is the lead's item id. A report linked to several earlier cases joins the
oldest (cases are never merged: their decisions may already differ).

When the lead is decided — by a moderator, a lead resolving its escalation, or automation — every open report
gets its own decision row applying that decision (:func:`review.store.cases.follow`, from the decision's own
transaction); a report arriving after that gets it at intake, marked so. Undoing the decision reopens them.
Escalating the lead carries the case: its reports wait for the escalation's outcome.

Joining runs inside each import chunk's transaction (:func:`join_chunk`, called by
:func:`review.known.intake.after_items_added`) with a few queries per chunk: earlier reports by SHA-256 and
by content id through indexes, by PDQ through an in-memory index of the earlier items' hashes kept per process
and store (:class:`_Earlier`; only ids below the chunk's are read, all committed: imports write items one
transaction at a time).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from review import near_copies
from review.auth import require
from review.known import facts as known_facts  # facts calls back here: its class is read at call time
from review.media import pdq
from review.media.pdq_index import PdqIndex
from review.store import Store, User, hashes, reads
from review.store import cases as case_rows
from review.store import people as people_rows

#: How many PDQ neighbours of a new report **in its queue** are looked at, nearest first (a picture reported
#: 50,000 times has one case: its nearest earlier reports already name it). Neighbours in other queues are left
#: out before the cut, so a busy queue's copies never crowd out the report's own queue.
_NEIGHBOURS = 500


@dataclass
class _Earlier:
    """The PDQ hashes of a store's items up to ``upto`` (by id), indexed, and the queue each arrived in (by item
    id, -1 for none: one array look-up for all of a search's neighbours); ``token`` tells a fresh store."""

    token: str
    upto: int = 0
    index: PdqIndex = field(default_factory=PdqIndex)
    arrived: np.ndarray = field(default_factory=lambda: np.full(0, -1, dtype=np.int64))

    def add(self, rows: Sequence[tuple[int, int, str]]) -> None:
        """Index *rows* (id, arrival queue, PDQ column) of :func:`review.store.cases.hashed_since`."""
        keys: list[int] = []
        hexes: list[str] = []
        for item_id, _, column in rows:
            for hex_hash in pdq.matchable(column):
                keys.append(item_id)
                hexes.append(hex_hash)
        self.index.add(keys, hexes)
        if rows and rows[-1][0] >= len(self.arrived):
            grown = np.full(max(rows[-1][0] + 1, 2 * len(self.arrived)), -1, dtype=np.int64)
            grown[:len(self.arrived)] = self.arrived
            self.arrived = grown
        for item_id, queue_id, _ in rows:
            self.arrived[item_id] = queue_id

    def near(self, hexes: Sequence[str], queue_id: int, bits: int) -> list[int]:
        """Ids of the indexed items that arrived in *queue_id* within *bits* of one of *hexes*, nearest first
        (then oldest), at most :data:`_NEIGHBOURS`."""
        ids_of: list[np.ndarray] = []
        apart_of: list[np.ndarray] = []
        for hex_hash in hexes:
            ids, apart = self.index.search_arrays(hex_hash, bits)
            ids = ids.astype(np.int64)
            same_queue = self.arrived[ids] == queue_id
            ids_of.append(ids[same_queue])
            apart_of.append(apart[same_queue])
        ids = np.concatenate(ids_of)
        if not len(ids):
            return []
        order = np.lexsort((ids, np.concatenate(apart_of)))  # by distance, then id
        ids = ids[order]
        _, first = np.unique(ids, return_index=True)  # each item at its nearest distance
        return [int(i) for i in ids[np.sort(first)][:_NEIGHBOURS]]


_LOCK = threading.Lock()
_EARLIER: dict[str, _Earlier] = {}


def _pdq_neighbours(store: Store, found: Sequence[case_rows.Report], before: int, bits: int) -> dict[int, list[int]]:
    """New report id → ids of earlier items (below *before*) that arrived in its queue with a PDQ within *bits* of
    one of its hashes."""
    wanted = {r.id: (pdq.matchable(r.pdq), r.queue_id) for r in found if r.pdq}
    wanted = {k: v for k, v in wanted.items() if v[0]}
    if not wanted:
        return {}
    where = store.url or str(store.path.resolve() if store.path else id(store))
    with _LOCK:
        token = hashes.token(store)
        earlier = _EARLIER.get(where)
        if earlier is None or earlier.token != token or earlier.upto >= before:
            earlier = _EARLIER[where] = _Earlier(token)
        earlier.add(case_rows.hashed_since(store, earlier.upto, before))
        earlier.upto = before - 1
        near: dict[int, list[int]] = {}
        for report_id, (hexes_of, queue_id) in wanted.items():
            if ids := earlier.near(hexes_of, queue_id, bits):
                near[report_id] = ids
    return near


def _chunk_pdq_pairs(found: Sequence[case_rows.Report], bits: int) -> dict[int, list[int]]:
    """New report id → ids of the chunk's earlier reports within *bits* (an index of the chunk's own hashes)."""
    index = PdqIndex()
    keys: list[int] = []
    hexes: list[str] = []
    for report in found:
        for hex_hash in pdq.matchable(report.pdq):
            keys.append(report.id)
            hexes.append(hex_hash)
    if not keys:
        return {}
    index.add(keys, hexes)
    near: dict[int, list[int]] = {}
    for report in found:
        for hex_hash in pdq.matchable(report.pdq):
            ids, _ = index.search_arrays(hex_hash, bits)
            near.setdefault(report.id, []).extend(int(i) for i in ids.tolist() if i < report.id)
    return near


def join_chunk(store: Store, item_ids: Sequence[int], *, actor: str) -> int:
    """Join a chunk's new items (ids ascending) to their cases, inside its transaction; how many joined one.

    Reports of a case already decided get its decision at once (``at_intake``). A chunk whose items carry no
    SHA-256 (gold copies) costs one query.
    """
    found = case_rows.reports(store, item_ids)
    if not found:
        return 0
    case_rows.keep_content_ids(store, found)
    before = min(item_ids)  # every id below is committed: the earlier reports
    bits = near_copies.threshold(store)
    by_sha = case_rows.anchors_by_sha(store, [r.sha256 for r in found if r.sha256], before)
    by_content = case_rows.anchors_by_content_id(store, [r.content_id for r in found if r.content_id], before)
    near = _pdq_neighbours(store, found, before, bits)
    by_id = case_rows.anchors_by_id(store, sorted({i for ids in near.values() for i in ids}), before)
    in_chunk = _chunk_pdq_pairs(found, bits)
    queue_of = {r.id: r.queue_id for r in found}

    # What each report joins: ("case", id) or ("item", id) for a report alone so far; by key kind.
    anchor_of: dict[int, tuple[str, int, int]] = {}  # item id -> (kind, id, queue id) of its anchor
    opened: dict[int, tuple[int, str]] = {}  # new case (lead id) -> (queue id, key)
    joined: dict[int, list[int]] = {}
    chunk_sha: dict[tuple[int, str], int] = {}
    chunk_content: dict[tuple[int, str], int] = {}
    for report in found:
        candidates: list[tuple[tuple[str, int, int], str]] = []
        for anchors, key in ((by_sha.get(report.sha256 or "", []), "sha256"),
                             (by_content.get(report.content_id or "", []) if report.content_id else [], "content_id"),
                             ([by_id[i] for i in near.get(report.id, []) if i in by_id], "pdq")):
            candidates.extend((_anchor(a.item_id, a.case_id, a.queue_id, anchor_of), key)
                              for a in anchors if a.queue_id == report.queue_id)
        earlier_in_chunk = [(chunk_sha.get((report.queue_id, report.sha256 or "")), "sha256"),
                            (chunk_content.get((report.queue_id, report.content_id))
                             if report.content_id else None, "content_id"),
                            *((i, "pdq") for i in in_chunk.get(report.id, []))]
        candidates.extend((anchor_of.get(i, ("item", i, queue_of[i])), key)  # the earlier report's own queue
                          for i, key in earlier_in_chunk if i is not None)
        candidates = [c for c in candidates if c[0][2] == report.queue_id]
        chunk_sha.setdefault((report.queue_id, report.sha256 or ""), report.id)
        if report.content_id:
            chunk_content.setdefault((report.queue_id, report.content_id), report.id)
        if not candidates:
            continue
        # The oldest case first (its id is its lead's), else the oldest report alone.
        (kind, target, queue_id), key = min(candidates, key=lambda c: (c[0][0] != "case", c[0][1]))
        if kind == "item":
            opened[target] = (queue_id, key)
            anchor_of[target] = ("case", target, queue_id)
        anchor_of[report.id] = ("case", target, queue_id)
        joined.setdefault(target, []).append(report.id)
    if not joined:
        return 0
    case_rows.join(store, opened=[(lead, q, key) for lead, (q, key) in sorted(opened.items())], joined=joined,
                   actor=actor)
    for case_id, decision_id in case_rows.standing_of_leads(store, list(joined)).items():
        case_rows.apply(store, decision_id, joined[case_id], at_intake=True)
    return sum(len(m) for m in joined.values())


def _anchor(item_id: int, case_id: int | None, queue_id: int,
            anchor_of: dict[int, tuple[str, int, int]]) -> tuple[str, int, int]:
    if case_id is not None:
        return ("case", case_id, queue_id)
    return anchor_of.get(item_id, ("item", item_id, queue_id))


# ------------------------------------------------------------------ reading
def facts(store: Store, case_id: int | None) -> known_facts.CaseFacts | None:
    """The case an item is in (its ``case_id``), for the desk: reports, open reports, the decided action; None
    in no case."""
    return reads.run(store.db, facts_read(case_id))


def facts_read(case_id: int | None) -> reads.Read[known_facts.CaseFacts | None]:
    """:func:`facts` as a look-up that may share a round trip."""
    if case_id is None:
        return reads.known(None)
    return reads.then(case_rows.case_read(case_id), lambda row: None if row is None else known_facts.CaseFacts(
        row.id, row.reports, row.open_reports, row.decided_action))


@dataclass(frozen=True)
class Case:
    """An open case as a lead sees it, with its reports (the lead first)."""

    row: case_rows.CaseRow
    reports: tuple[case_rows.Member, ...]


def open_cases(store: Store, who: User | str, *, queue: str | None = None) -> list[Case]:
    """Open cases (the lead still waits), oldest first, within *who*'s queue limit; a lead's view.

    NotAllowed for anyone but a lead (the same refusal on the command line and in the app); an unknown *queue*
    is a ``KeyError`` naming it.
    """
    lead = require(store, who, "lead", to="see cases")
    allowed = people_rows.allowed_queue_ids(store, store.user(lead.name))
    queue_ids: list[int] | None = None
    if queue is not None:
        queue_ids = [store.queue(queue).id]
    if allowed is not None:
        queue_ids = [q for q in (queue_ids or sorted(allowed)) if q in allowed]
    rows = case_rows.case_rows(store, open_only=True, queue_ids=queue_ids)
    reports = case_rows.members(store, [r.id for r in rows])
    return [Case(row, tuple(reports[row.id])) for row in rows]
