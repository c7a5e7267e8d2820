"""What the submission to the DSA Transparency Database reads and writes in ``dsa_statements``.

The table is the statements' (``audit.store.schema`` m006, filled by the
export); submitting only sets ``accepted_at``, ``db_uuid`` and
``last_error``. Each write is one transaction with its event, after every
answer of the database, so a run stopped anywhere keeps what the database
already said and the next run starts from there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from audit.store.schema import LIVE
from review.store import Store
from review.store.bound import marks, slices


def waiting(store: Store) -> list[tuple[int, str]]:
    """(row id, puid) of every statement the database has not accepted yet, oldest first."""
    return [(r[0], r[1]) for r in store.db.execute(
        "SELECT id, puid FROM dsa_statements WHERE accepted_at IS NULL ORDER BY id")]


def bodies(store: Store, row_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The statements (the database's JSON shape) of these rows, by row id."""
    found: dict[int, dict[str, Any]] = {}
    for chunk in slices(list(row_ids)):
        for row_id, text in store.db.execute(
                f"SELECT id, statement FROM dsa_statements WHERE id IN ({marks(chunk)})", chunk):
            found[row_id] = json.loads(text)
    return found


def accept(store: Store, actor: str, uuids: Mapping[int, str | None], *, already: bool) -> None:
    """Mark these rows accepted now, with the uuid the database gave each (None: it had the puid already and
    says no uuid), in one transaction with one ``statements.accepted`` event naming each row's puid and uuid
    and when (what ``veil verify`` matches the rows with: :mod:`audit.store.reconcile_dsa`)."""
    if not uuids:
        return
    with store.transaction():
        now = store.now()
        named = []
        for row_id, uuid in sorted(uuids.items()):
            row = store.db.execute(
                "UPDATE dsa_statements SET accepted_at = ?, db_uuid = COALESCE(?, db_uuid), last_error = NULL"
                " WHERE id = ? AND accepted_at IS NULL RETURNING puid, db_uuid", [now, uuid, row_id]).fetchone()
            if row is not None:
                named.append({"row": row_id, "puid": row[0], "uuid": row[1]})
        store.log(actor, "statements.accepted", "dsa", {"rows": [n["row"] for n in named], "already_there": already,
                                                        "accepted_at": now, "statements": named})


def refuse(store: Store, actor: str, errors: Mapping[int, str]) -> None:
    """Keep the database's refusal of each row (its field errors, as text) in ``last_error``; one transaction and
    one ``statements.refused`` event."""
    if not errors:
        return
    with store.transaction():
        for row_id, error in errors.items():
            store.db.execute("UPDATE dsa_statements SET last_error = ? WHERE id = ?", [error, row_id])
        store.log(actor, "statements.refused", "dsa", {"rows": sorted(errors)})


def reversals_to_state(store: Store) -> list[int]:
    """Live decisions that replaced a decision whose statement the database accepted, and have no statement yet:
    the corrected statements a submission adds before it sends. A replacement is a complaint's reversal
    (``review.complaints``) or a lead's correction (``review.corrections``). A revoked one is no decision of the
    platform any more: it gets none."""
    return [r[0] for r in store.db.execute(
        f"""SELECT d.id FROM decisions d JOIN (
                SELECT c.decision_id AS replaced, c.reversal_id AS replacement FROM complaints c
                WHERE c.reversal_id IS NOT NULL
                UNION SELECT r.decision_id, o.decision_id FROM correction_outcomes o
                JOIN correction_requests r ON r.id = o.request_id WHERE o.decision_id IS NOT NULL
            ) x ON x.replacement = d.id
           JOIN dsa_statements s ON s.decision_id = x.replaced
           WHERE {LIVE} AND s.accepted_at IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM dsa_statements t WHERE t.decision_id = d.id)
           ORDER BY d.id""")]
