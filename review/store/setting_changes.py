"""A setting's guarded write, and who last changed it and when (the settings pages' "changed by" line).

:func:`write_guarded` is one transaction: the value as it is now is
handed to a guard (another change since the form read it, a rule against
other settings), an unchanged value writes and logs nothing, else the
value and its event. Who changed a setting last is read from the event
log, the one record of a change (``setting.changed``): the ``settings``
table keeps no "updated by" column to drift from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from review.store import Store


def last_changes(store: Store, subjects: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``{subject: (actor, at)}`` of the latest event about each of *subjects* that has one."""
    if not subjects:
        return {}
    marks = ", ".join("?" for _ in subjects)
    rows = store.db.execute(
        f"SELECT subject, actor, at FROM events WHERE id IN"
        f" (SELECT MAX(id) FROM events WHERE subject IN ({marks}) GROUP BY subject)",
        list(subjects),
    )
    return {subject: (actor, at) for subject, actor, at in rows}


def write_guarded(store: Store, value: Any, read: Callable[[], Any], write: Callable[[], None],
                  guard: Callable[[Any], None]) -> bool:
    """In one transaction: *read* the stored value, let *guard* refuse, *write* unless it equals *value*.

    False when nothing was written (the value is unchanged). The reading and
    writing stay ``review.settings``' (the one door to the settings table).
    """
    with store.transaction():
        current = read()
        guard(current)
        if current == value:
            return False
        write()
        return True
