"""Do the hash lists agree with the history? The ``hashlist.*`` events replayed against ``hash_lists`` and the
number of entries each list holds.

Every change to a list logs its event in the same transaction (:mod:`review.known.lists`):
``hashlist.imported`` carries the list's name, version, settings after the import and how many entries it
added; ``hashlist.renamed`` the old and new name; ``hashlist.removed`` the list that went. Replaying them in
order gives the lists there must be and how many entries each must hold; a list or an entry added, changed or
deleted behind Veil's back no longer matches, and ``veil verify`` says so. An import not yet published (still
running, or its process died) is listed too: a lead should know a list is held, and by whom since when.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

#: name, action, labels, automated, dihedral, version, entries
Listed = tuple[str, str | None, tuple[str, ...], bool, bool, int, int]

KINDS = ("hashlist.imported", "hashlist.renamed", "hashlist.removed")


def _apply(expected: dict[int, Listed], kind: str, list_id: int, data: dict[str, Any]) -> None:
    if kind == "hashlist.removed":
        expected.pop(list_id, None)
    elif kind == "hashlist.renamed":
        name, *rest = expected[list_id]
        expected[list_id] = (str(data["new"]), *rest)  # type: ignore[assignment]
    else:
        after = data["after"]
        entries = expected[list_id][6] if list_id in expected else 0
        expected[list_id] = (str(data["name"]), after["action"], tuple(after["labels"]), bool(after["automated"]),
                             bool(after["dihedral"]), int(data["version"]), entries + int(data["added"]))


def _replayed(db: sqlite_utils.Database) -> tuple[dict[int, Listed], list[str]]:
    expected: dict[int, Listed] = {}
    malformed: list[str] = []
    marks = ",".join("?" * len(KINDS))
    for event_id, kind, subject, payload in db.execute(
            f"SELECT id, kind, subject, payload FROM events WHERE kind IN ({marks}) ORDER BY id", list(KINDS)):
        try:
            data = json.loads(payload)
            if not isinstance(data, dict):
                raise TypeError("its payload is not an object")
            _apply(expected, kind, int(subject.partition(":")[2]), data)
        except (KeyError, ValueError, TypeError) as why:
            malformed.append(f"event {event_id} ({kind}) is malformed ({why!r}): its hash list cannot be replayed")
    return expected, malformed


def _said(listed: Listed) -> str:
    name, action, labels, automated, dihedral, version, entries = listed
    does = f"{'decides' if automated else 'suggests'} {action}" if action else "shows matches"
    return (f"“{name}” v{version}, {does}{' (' + ','.join(labels) + ')' if labels else ''}"
            f"{', dihedral' if dihedral else ''}, {entries} entries")


def hashlist_problems(db: sqlite_utils.Database) -> list[str]:
    """Each list unlike its events (or without them), and each list the events hold that the table lacks."""
    expected, malformed = _replayed(db)
    counts = dict(db.execute("SELECT e.list_id, COUNT(*) FROM hash_list_entries e JOIN hash_lists l"
                             " ON l.id = e.list_id WHERE e.version <= l.version GROUP BY e.list_id").fetchall())
    stored: dict[int, Listed] = {  # a list at version 0 is an import still running (or one that died): no event yet
        int(row[0]): (str(row[1]), row[2], tuple(json.loads(row[3] or "[]")), bool(row[4]), bool(row[5]), int(row[6]),
                      int(counts.get(row[0], 0)))
        for row in db.execute("SELECT id, name, action, labels, automated, dihedral, version FROM hash_lists"
                              " WHERE version > 0")}
    problems = list(malformed)
    for list_id in sorted(set(expected) | set(stored)):
        want, have = expected.get(list_id), stored.get(list_id)
        if want is None and have is not None:
            problems.append(f"hash list {list_id} ({_said(have)}) has no hashlist event: written behind Veil's back")
        elif have is None and want is not None:
            problems.append(f"hash list {list_id} ({_said(want)}) is missing: its hashlist events say it exists")
        elif want != have and want is not None and have is not None:
            problems.append(f"hash list {list_id} is {_said(have)}, but its hashlist events say {_said(want)}")
    for list_id, name, by, seen_at in db.execute("SELECT id, name, import_by, import_seen_at FROM hash_lists"
                                                  " WHERE import_token IS NOT NULL ORDER BY id"):
        problems.append(f"hash list {list_id} (“{name}”) has an unfinished import by {by}, last progress at {seen_at}"
                        " (still running, or its process died: the next import of the list or removing it drops it"
                        " once stale)")
    return problems
