"""Complaints' rows (DSA Art. 20): which complaints a person may not be served, what one is against, how it ends.

A complaint's row is written with its item (by the ``items_complaint``
trigger of schema m014, since m028 by
:func:`review.store.complaint_schema.add_complaints`). This module reads
them (a claim keeps their author out itself, in its candidate statement:
``review.store.leases.best_unleased``), and ends one
(:func:`resolve`): the decision that closes the complaint item, the new
decision on the original when it is reversed, and the complaint's event,
in one transaction. Guards that fail raise :class:`~review.store.Refused`;
``review.complaints`` words them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from review.store import Refused, items, reads
from review.store import decisions as decision_rows

if TYPE_CHECKING:
    from review.store import Store, User

OUTCOMES = ("upheld", "reversed")
#: ``decisions.source`` of the new decision a reversal records on the original item.
REVERSAL_SOURCE = "complaint"


@dataclass(frozen=True)
class Against:
    """What a complaint is against: its row id, the original item (id, external id), the decision complained of
    (id, action, labels, its author's id, when), and how the complaint ended (None: open)."""

    id: int
    item_id: int
    original_item_id: int
    original_external_id: str
    decision_id: int
    action: str
    labels: tuple[str, ...]
    decided_by: int
    decided_at: str
    received_at: str
    outcome: str | None


_AGAINST = """SELECT c.id, c.item_id, c.original_item_id, o.external_id, c.decision_id, d.action, d.labels, d.user_id,
                     d.decided_at, c.received_at, c.outcome
              FROM complaints c JOIN items o ON o.id = c.original_item_id JOIN decisions d ON d.id = c.decision_id"""


def against(store: Store, item_id: int) -> Against | None:
    """The complaint the item *item_id* is, or None when it is an ordinary item."""
    return reads.run(store.db, against_read(item_id))


def against_read(item_id: int) -> reads.Read[Against | None]:
    """:func:`against` as a look-up that may share a round trip."""
    return reads.one(_AGAINST + " WHERE c.item_id = ?", [item_id], lambda rows: _against(rows[0]) if rows else None)


def _against(row: Sequence[Any]) -> Against:
    return Against(id=row[0], item_id=row[1], original_item_id=row[2], original_external_id=row[3],
                   decision_id=row[4], action=row[5], labels=tuple(json.loads(row[6] or "[]")), decided_by=row[7],
                   decided_at=row[8], received_at=row[9], outcome=row[10])


def ended_by(store: Store, decision_id: int) -> str | None:
    """``"resolution"`` or ``"reversal"`` when *decision_id* ended a complaint that way, else None: such a decision
    is final (``review.decisions.undo`` refuses it), since the complaint's row keeps pointing at it."""
    row = store.db.execute(
        "SELECT CASE WHEN resolution_id = ? THEN 'resolution' ELSE 'reversal' END FROM complaints"
        " WHERE resolution_id = ? OR reversal_id = ? LIMIT 1", [decision_id, decision_id, decision_id]).fetchone()
    return str(row[0]) if row else None


def originals(store: Store, external_ids: Collection[str]) -> dict[str, list[tuple[int, str, bool]]]:
    """External id → (item id, state, has a current decision) of each non-complaint item with that id: what
    an imported complaint may name (the trigger's rule, asked before the import writes)."""
    wanted = sorted(set(external_ids))
    found: dict[str, list[tuple[int, str, bool]]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        for ext, item_id, state, decided in store.db.execute(
                f"""SELECT o.external_id, o.id, o.state, EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = o.id
                        AND d.revokes_id IS NULL AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id))
                    FROM items o WHERE o.external_id IN ({",".join("?" * len(chunk))})
                      AND NOT EXISTS (SELECT 1 FROM complaints k WHERE k.item_id = o.id) ORDER BY o.id""", chunk):
            found.setdefault(ext, []).append((item_id, state, bool(decided)))
    return found


@dataclass(frozen=True)
class Ended:
    """A complaint just ended: the decision closing the complaint item, the reversal's (None when upheld), when."""

    resolution_id: int
    reversal_id: int | None
    resolved_at: str


def resolve(store: Store, user: User, item_id: int, *, claim: int, worked_by: Mapping[str, Collection[str]],
            outcome: str, action: str | None, labels: Sequence[str], note: str, shown_at: str | None) -> Ended:
    """End the complaint *claim* holds as *outcome*, in one transaction.

    Upheld: the complaint item is decided with the original decision's
    action and labels (it stands). Reversed: with *action* and *labels*,
    and the same new decision is recorded on the original item
    (``decision.recorded``, source ``complaint``). Then the complaint's
    row and its ``complaint.upheld`` / ``complaint.reversed`` event.
    Refused ``"not_complaint"``, ``"ended"``, ``"own_decision"`` (the
    person made the decision complained of), or as
    :func:`review.store.decisions.record` refuses.
    """
    with store.transaction():
        found = against(store, item_id)
        if found is None:
            raise Refused("not_complaint")
        if found.outcome is not None:
            raise Refused("ended", found.outcome)
        if found.decided_by == user.id:
            raise Refused("own_decision")
        reversed_ = outcome == "reversed"
        final_action = action if reversed_ and action else found.action
        final_labels = list(labels) if reversed_ else list(found.labels)
        made = decision_rows.record(store, user, item_id, claim=claim, worked_by=worked_by, action=final_action,
                                    labels=final_labels, note=note, shown_at=shown_at, revealed_ms=0, escalate=False)
        now = made.decided_at
        reversal: int | None = None
        if reversed_:
            where = items.queue_and_state(store, found.original_item_id)
            assert where is not None  # a complaint's original exists (foreign key)
            reversal = decision_rows.append(
                store, item_id=found.original_item_id, user_id=user.id, queue_id=where[0], action=final_action,
                labels=final_labels, note=note, shown_at=None, decided_at=now, handle_ms=None, revealed_ms=0,
                source=REVERSAL_SOURCE)
            items.close(store, found.original_item_id)
            store.log(user.name, "decision.recorded", f"item:{found.original_item_id}",
                      {"decision": reversal, "action": final_action, "labels": final_labels,
                       "source": REVERSAL_SOURCE, "queue": store.queue_by_id(where[0]).name, "complaint": found.id,
                       **decision_rows.facts(now, None, None, 0, note)})
        store.db.execute(
            "UPDATE complaints SET outcome = ?, resolved_at = ?, resolved_by = ?, resolution_id = ?, reversal_id = ?"
            " WHERE id = ?", [outcome, now, user.id, made.id, reversal, found.id])
        store.log(user.name, f"complaint.{outcome}", f"item:{found.original_item_id}",
                  {"complaint": found.id, "complaint_item": item_id, "decision": found.decision_id,
                   "resolution": made.id, "reversal": reversal, "action": final_action, "labels": final_labels,
                   "resolver": user.id, "resolved_at": now})
    return Ended(made.id, reversal, now)
