"""Complaint rows of an items manifest: an item row with ``complaint_of``, the original item's external id.

Why not a row type of its own: a complaint is reviewed like an item (its
text, its queue, its lease), so it is one, and its ``complaint_of`` stays
in the item's metadata, where the store's trigger (schema m014) reads it
and writes the complaint's row with the item. This module checks the
field as a row is read, and against the store before anything is written,
so a complaint naming nothing, an undecided item, another complaint or an
id several queues use is a problem of its line, never a refused insert.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from review.imports.handlers import MAX_ID_CHARS, json_type, name_problem
from review.store import Store
from review.store import complaints as complaint_rows

FIELD = "complaint_of"


def checked(row: dict[str, Any]) -> tuple[str | None, str | None]:
    """(the row's ``complaint_of`` as text, or None; why it cannot be used, or None)."""
    value = row.get(FIELD)
    if value is None or value == "":
        return None, None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None, f"{FIELD} must be the original item's id (a string or a number), not {json_type(value)}"
    text = str(value).strip()
    if not text:
        return None, f"{FIELD} is blank"
    return text, name_problem(FIELD, text, MAX_ID_CHARS)


def problems(store: Store, rows: Iterable[tuple[int, str, str]]) -> Iterator[tuple[int, str]]:
    """(line, why) for each (line, complaint's own external id, complaint_of) whose original cannot be named."""
    wanted = list(rows)
    if not wanted:
        return
    found = complaint_rows.originals(store, [of for _, _, of in wanted])
    for line, own, of in wanted:
        candidates = [c for c in found.get(of, [])]
        decided = [c for c in candidates if c[1] == "decided" and c[2]]
        if of == own and not decided:
            yield line, f"{FIELD} {of!r} names the complaint itself"
        elif not candidates:
            yield line, f"{FIELD} {of!r}: no item has that id (a complaint is against an item Veil decided)"
        elif not decided:
            yield line, f"{FIELD} {of!r}: that item has no decision yet, so there is nothing to complain about"
        elif len(decided) > 1:
            yield line, (f"{FIELD} {of!r} names {len(decided)} decided items (the id is used in several queues): "
                         "Veil cannot tell which decision the complaint is against")
