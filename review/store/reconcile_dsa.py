"""Do the complaint rows agree with the history? ``veil verify``'s check of schema m014's ``complaints``.

Triggers keep what a complaint was made against fixed, let it end once
and refuse deletes; a hand-written ``UPDATE`` of an open complaint (ended
with no event) or a dropped trigger (an ended one reopened or changed) is
what is left, and is found here. A complaint ends only in
:func:`review.store.complaints.resolve`, with one ``complaint.upheld`` or
``complaint.reversed`` event in the same transaction naming the complaint,
the decision complained of, the resolution and the reversal, who ended it
and when. Each ended row must match its one event; an open row has none;
no event names a complaint that is not so. (The decisions themselves are
:mod:`review.store.reconcile`'s.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlite_utils

KINDS = ("complaint.upheld", "complaint.reversed")


def complaint_problems(db: sqlite_utils.Database) -> Iterator[str]:
    """Complaint rows unlike the event that ended them, ended with none, or open though an event ended them."""
    if not db["complaints"].exists():
        return  # before m014: the schema check says a step is missing
    ended: dict[int, list[tuple[int, str, dict[str, Any]]]] = {}
    for event_id, kind, payload in db.execute(
            f"SELECT id, kind, payload FROM events WHERE kind IN ({', '.join('?' * len(KINDS))}) ORDER BY id", KINDS):
        data = json.loads(payload or "{}")
        ended.setdefault(int(data.get("complaint", 0)), []).append((event_id, kind, data))
    rows = db.execute("SELECT id, decision_id, outcome, resolved_at, resolved_by, resolution_id, reversal_id"
                      " FROM complaints ORDER BY id").fetchall()
    for complaint_id, decision_id, outcome, resolved_at, resolved_by, resolution_id, reversal_id in rows:
        said = ended.pop(complaint_id, [])
        if len(said) > 1:
            yield f"complaint {complaint_id} was ended by {len(said)} events ({', '.join(str(e[0]) for e in said)})"
        if not said:
            if outcome is not None:
                yield (f"complaint {complaint_id} says {outcome}, but no complaint.* event ended it: "
                       "ended behind Veil's back")
            continue
        event_id, kind, data = said[0]
        if outcome is None:
            yield (f"complaint {complaint_id} is open, but event {event_id} ({kind}) ended it: "
                   "reopened behind Veil's back")
            continue
        expected = {"outcome": kind.removeprefix("complaint."), "decision_id": data.get("decision"),
                    "resolution_id": data.get("resolution"), "reversal_id": data.get("reversal")}
        if "resolved_at" in data:
            expected |= {"resolved_at": data["resolved_at"], "resolved_by": data.get("resolver")}
        found = {"outcome": outcome, "decision_id": decision_id, "resolution_id": resolution_id,
                 "reversal_id": reversal_id, "resolved_at": resolved_at, "resolved_by": resolved_by}
        differ = [f"{name} {found[name]!r} (event: {value!r})" for name, value in expected.items()
                  if found[name] != value]
        if differ:
            yield f"complaint {complaint_id} is unlike event {event_id} ({kind}) that ended it: {', '.join(differ)}"
    for complaint_id, said in sorted(ended.items()):
        for event_id, kind, _ in said:
            yield f"event {event_id} ({kind}) ended complaint {complaint_id}, which has no row"
