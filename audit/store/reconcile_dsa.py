"""Do the statements the database accepted agree with the history? ``veil verify``'s check of ``dsa_statements``.

A statement is accepted only in :func:`audit.store.submissions.accept`,
with one ``statements.accepted`` event in the same transaction naming each
row, its puid, the uuid the database gave it and when. A hand-written
``UPDATE`` that marks a statement accepted (so it is never sent), un-marks
one (so it is sent twice) or changes its puid or uuid no longer matches.
Events written before they named puid and uuid (``rows`` alone) are
matched on the row id only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlite_utils


def statement_problems(db: sqlite_utils.Database) -> Iterator[str]:
    """Accepted rows no event accepted, rows an event accepted that say they are not, rows unlike their event."""
    if not db["dsa_statements"].exists():
        return  # before m006: the schema check says a step is missing
    said: dict[int, tuple[int, dict[str, Any] | None]] = {}
    for event_id, payload in db.execute(
            "SELECT id, payload FROM events WHERE kind = 'statements.accepted' ORDER BY id"):
        data = json.loads(payload or "{}")
        named = {int(s["row"]): s for s in data.get("statements", [])}
        for row_id in data.get("rows", []):
            said.setdefault(int(row_id), (event_id, {**named[int(row_id)], "accepted_at": data.get("accepted_at")}
                                          if int(row_id) in named else None))
    for row_id, puid, accepted_at, uuid in db.execute(
            "SELECT id, puid, accepted_at, db_uuid FROM dsa_statements ORDER BY id"):
        found = said.get(row_id)
        if found is None:
            if accepted_at is not None:
                yield (f"statement {puid} (row {row_id}) is marked accepted, but no statements.accepted event "
                       "accepted it: marked behind Veil's back, it would never be sent")
            continue
        event_id, expected = found
        if accepted_at is None:
            yield (f"statement {puid} (row {row_id}) is not accepted, but event {event_id} says the database "
                   "accepted it: a new submission would send it twice")
            continue
        if expected is None:
            continue
        differ = [f"{name} {value!r} (event: {expected[name]!r})"
                  for name, value in (("puid", puid), ("uuid", uuid), ("accepted_at", accepted_at))
                  if value != expected[name]]
        if differ:
            yield f"statement {puid} (row {row_id}) is unlike event {event_id} that accepted it: {', '.join(differ)}"
