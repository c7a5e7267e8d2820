"""A setting's guarded write, and who last changed it and when (the settings pages' "changed by" line).

:func:`write_guarded` is one transaction: the value as it is now is
handed to a guard (another change since the form read it, a rule against
other settings), an unchanged value writes and logs nothing, else the
value and its event. Who changed a setting last is read from the event
log, the one record of a change (``setting.changed``): the ``settings``
table keeps no "updated by" column to drift from it. Step m035 indexes
those events alone (a partial index: claims and decisions, nearly every
event, never pay for it), so opening a settings page reads a few rows, not
the whole log (2.8 s at 500,000 events before).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from review.store import Store


def last_changes(store: Store, subjects: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``{subject: (actor, at)}`` of the latest change (``setting.changed``) of each of the settings *subjects*
    (``review.settings.subject``) that has one."""
    if not subjects:
        return {}
    marks = ", ".join("?" for _ in subjects)
    rows = store.db.execute(
        f"SELECT subject, actor, at FROM events WHERE id IN (SELECT MAX(id) FROM events"
        f" WHERE {CHANGED} AND subject IN ({marks}) GROUP BY subject)",
        list(subjects),
    )
    return {subject: (actor, at) for subject, actor, at in rows}


#: The events a setting's change is (every ``setting:…`` subject's), as the partial index and its readers say it:
#: the same text in both, which is how SQLite knows the index answers the read.
CHANGED = "kind = 'setting.changed'"


def m035(db: Any) -> None:
    """The schema step: the settings' changes indexed by subject, apart from every other event."""
    db.execute(f"CREATE INDEX events_setting_changes ON events (subject, id) WHERE {CHANGED}")


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
