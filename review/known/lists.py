"""Hash lists as a lead runs them: import (new or into an existing list), list, rename, remove, export, and
matching the store's pending items against a list's new entries.

Every change is a lead's, checked here and again inside its transaction (the
GUI and ``veil hashlist`` get the same refusal); moderators and leads may read
the lists (an auditor would learn from a list's action what decisions
probably were). Each change is one transaction with one ``hashlist.*``
event, old and new values where there are some: ``hashlist.imported``
(version, lines, added, duplicates, settings before and after),
``hashlist.renamed``, ``hashlist.removed``, ``hashlist.matched`` (one per
chunk of pending items that matched), ``hashlist.exported``.

An import checks every line of the file first (:mod:`review.known.list_files`,
streamed) and imports nothing when one is bad; then it reads the file again
and writes it in chunks, one short transaction each under the list's next
version, and publishes that version with its event in a last one
(:mod:`review.store.hashlists`): a million-line list never sits in Python
lists, never holds the store's write lock for long, and is matched only
once whole. Each import holds its own random token on the list and on
every entry it writes, so it publishes or drops only its own rows; while
one runs into a list a second is refused, unless the first has written
nothing for :data:`STALE_MINUTES` minutes (its process died): then the next
import of that list, or removing it, drops what it left. A failed import
drops its own entries. Importing into an existing list adds to it, as a new
version; a duplicate (in the file or already in the list) is counted, never
stored twice. The list's action must be one of the taxonomy's (not the
escalation: automation never sends work to a lead), with the labels it needs.
"""

from __future__ import annotations

import csv
import functools
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from review import clock
from review.auth import require
from review.errors import VeilError
from review.known import list_files, list_index, list_matching
from review.media import pdq
from review.store import Store, User, hashlists
from review.store.imports import all_or_nothing, yield_writer
from review.taxonomy import Taxonomy

CHANGED_BY = ("lead",)
READ_BY = ("moderator", "lead")
MAX_NAME = 80
WRITE_CHUNK = 10_000  # entries per statement while importing
MATCH_CHUNK = 2_000  # pending items per transaction while matching them against a new version
EXPORT_PAGE = 5_000
#: An unfinished import that has written nothing for this long is taken for dead: the next import of its list
#: (or removing the list) drops what it left. A live import writes a chunk every few seconds.
STALE_MINUTES = 10

#: Called with (done, total) as long work advances.
Progress = Callable[[int, int], None]


class ListError(VeilError, ValueError):
    """A change to lists that cannot be made as asked (an unknown list, a taken name, a bad action or label)."""


@dataclass(frozen=True)
class Imported:
    """What an import did: the list, its new version, lines read, entries added and duplicates left out."""

    name: str
    version: int
    created: bool
    lines: int
    added: int
    duplicates: int
    by_type: dict[str, int] = field(default_factory=dict)  # good lines per stored signal type


def lists(store: Store, who: User | str) -> list[hashlists.ListRow]:
    """Every list, by name (moderators and leads)."""
    require(store, who, *READ_BY, to="see hash lists")
    return hashlists.lists(store)


def import_list(store: Store, who: User | str, path: Path, *, name: str, taxonomy: Taxonomy,
                action: str | None = None, labels: Sequence[str] | None = None, automated: bool | None = None,
                dihedral: bool | None = None, signal_type: str | None = None,
                progress: Progress | None = None) -> Imported:
    """Import *path* into the list *name* (made if new; else a new version of it). Settings left None keep the
    list's (a new list: no action, no labels, not automated, not dihedral).

    :class:`list_files.ListFileError` with every bad line when one is bad (nothing imported); ListError for a
    bad name, action or labels; NotAllowed unless *who* is a lead. Pending items are matched separately
    (:func:`match_pending`), so a caller can show that work's own progress."""
    lead = require(store, who, *CHANGED_BY, to="import hash lists")
    name = _checked_name(name)
    problems = list_files.Problems(path)
    lines = 0
    by_type: dict[str, int] = {}
    for entry in list_files.entries(path, signal_type, problems):
        lines += 1
        by_type[entry.signal_type] = by_type.get(entry.signal_type, 0) + 1
    if problems:
        raise problems.refusal()

    token = secrets.randbits(62)

    def begin() -> tuple[hashlists.ListRow | None, int, hashlists.Settings]:
        require(store, lead, *CHANGED_BY, to="import hash lists")
        found = hashlists.list_named(store, name, unpublished=True)
        if found is not None:
            _clear_stale(store, found.id)
        before = hashlists.list_named(store, name)
        settings = _settings(taxonomy, before, action, labels, automated, dihedral)
        if before is None:
            return None, hashlists.create_list(store, name, settings, actor=lead.name, token=token), settings
        hashlists.begin_import(store, before.id, token, actor=lead.name)
        return before, before.id, settings

    before, list_id, settings = all_or_nothing(store, begin)
    version = before.version + 1 if before else 1
    try:
        added = _write_entries(store, path, signal_type, list_id, version, token, lines, progress)

        def publish() -> None:
            require(store, lead, *CHANGED_BY, to="import hash lists")
            now = hashlists.list_named(store, name, unpublished=True)
            if now is None or now.id != list_id or now.version != version - 1 or not hashlists.publish(
                    store, list_id, settings, version=version, token=token, actor=lead.name):
                raise ListError(f"the hash list {name!r} changed while it was imported: import it again")
            store.log(lead.name, "hashlist.imported", f"hashlist:{list_id}", {
                "name": name, "version": version, "file": path.name, "lines": lines, "added": added,
                "duplicates": lines - added, "by_type": by_type,
                "before": None if before is None else _shown(before), "after": settings.as_json()})

        all_or_nothing(store, publish)
    except BaseException:
        all_or_nothing(store, functools.partial(hashlists.drop_import, store, list_id, token))
        raise
    return Imported(name, version, before is None, lines, added, lines - added, by_type)


def _clear_stale(store: Store, list_id: int) -> None:
    """Drop an unfinished import into the list that has written nothing for :data:`STALE_MINUTES` (its process
    died); ListError while one is still running. Inside the caller's transaction."""
    for running in hashlists.unfinished(store, list_id):
        idle = clock.ms_between(running.seen_at, store.now()) / 60_000
        if idle < STALE_MINUTES:
            raise ListError(f"{running.by} is importing into the hash list {running.name!r} (last progress at "
                            f"{running.seen_at}): wait for it to finish; an import that has shown no progress for "
                            f"{STALE_MINUTES} minutes is taken for dead")
        hashlists.drop_import(store, list_id, running.token)


def _write_entries(store: Store, path: Path, signal_type: str | None, list_id: int, version: int, token: int,
                   lines: int, progress: Progress | None) -> int:
    """Write the file's entries under *version* (not yet published) and *token*, a chunk a transaction with the
    write lock left free between them; how many were new. ListFileError when the file changed since it was
    checked; ListError when this import no longer holds the list (taken for dead and dropped)."""
    added = written = 0
    again = list_files.Problems(path)
    stream = list_files.entries(path, signal_type, again)
    while chunk := list(islice(stream, WRITE_CHUNK)):
        if written:
            yield_writer()
        added += all_or_nothing(store, functools.partial(
            _write_chunk, store, list_id, version, token, [(e.signal_type, e.signal, e.tag, e.note) for e in chunk]))
        written += len(chunk)
        if progress:
            progress(written, lines)
    if again or written != lines:  # the file changed between the check and the write
        raise again.refusal() if again else list_files.ListFileError([f"{path}: changed while it was imported"])
    return added


def _write_chunk(store: Store, list_id: int, version: int, token: int,
                 entries: list[tuple[str, str, str | None, str | None]]) -> int:
    if not hashlists.still_importing(store, list_id, token):
        raise ListError("this import showed no progress for too long and another took the list over: import again")
    return hashlists.add_entries(store, list_id, version, token, entries)


def match_pending(store: Store, who: User | str, name: str, *, since_version: int,
                  progress: Progress | None = None) -> int:
    """Match the store's pending items against the list's entries from *since_version* on (an import's new
    ones), a chunk of items a transaction, acting on the list's action as intake does. How many matches."""
    lead = require(store, who, *CHANGED_BY, to="match hash lists")
    found = hashlists.list_named(store, name)
    if found is None:
        raise ListError(f"there is no hash list {name!r}")
    total, done, matched, after = hashlists.count_pending(store), 0, 0, 0

    def match(ids: list[int]) -> int:
        require(store, lead, *CHANGED_BY, to="match hash lists")
        recorded = list_matching.match_items(store, ids, actor=lead.name, list_id=found.id,
                                             since_version=since_version)
        if recorded:
            store.log(lead.name, "hashlist.matched", f"hashlist:{found.id}",
                      {"name": name, "version": found.version, "items": [ids[0], ids[-1]], "matches": recorded})
        return recorded

    list_index.warm(store)  # a rebuild, if one is due, before the first transaction, not inside it
    turn = found.dihedral and found.id in list_index.current(store).dihedral_pdq
    while ids := hashlists.pending_ids(store, after, MATCH_CHUNK):
        if turn:
            list_matching.turn_ahead(store, ids)  # the pictures' turns read outside the write lock
        matched += all_or_nothing(store, functools.partial(match, ids))
        done, after = done + len(ids), ids[-1]
        if progress:
            progress(min(done, total), total)
    return matched


def rename_list(store: Store, who: User | str, old: str, new: str) -> None:
    """Rename a list (its version and entries stay)."""
    lead = require(store, who, *CHANGED_BY, to="rename hash lists")
    new = _checked_name(new)

    def write() -> None:
        require(store, lead, *CHANGED_BY, to="rename hash lists")
        found = _existing(store, old)
        if new != old and hashlists.list_named(store, new, unpublished=True) is not None:
            raise ListError(f"there is already a hash list {new!r}")
        if new != old:
            hashlists.rename_list(store, found.id, new, actor=lead.name)
            store.log(lead.name, "hashlist.renamed", f"hashlist:{found.id}", {"old": old, "new": new})

    all_or_nothing(store, write)


def remove_list(store: Store, who: User | str, name: str) -> None:
    """Remove a list, its entries and the matches recorded against it (decisions it made stay, naming it)."""
    lead = require(store, who, *CHANGED_BY, to="remove hash lists")

    def write() -> None:
        require(store, lead, *CHANGED_BY, to="remove hash lists")
        unfinished = hashlists.list_named(store, name, unpublished=True)
        if unfinished is not None:
            _clear_stale(store, unfinished.id)
            if unfinished.version == 0:
                return  # only a dead import's list, never published (no event): dropping it was the removal
        found = _existing(store, name)
        matches = hashlists.remove_list(store, found.id)
        store.log(lead.name, "hashlist.removed", f"hashlist:{found.id}",
                  {"name": name, "before": _shown(found), "entries": found.entries, "matches": matches})

    all_or_nothing(store, write)


def export_list(store: Store, who: User | str, action: str, out: Path, *, taxonomy: Taxonomy,
                progress: Progress | None = None) -> int:
    """Write the team's own items whose current decision is *action* as a list file (the CSV format import
    reads): each file's SHA-256, MD5 and keyframes' PDQ (quality 50 or more), each text's normal-form SHA-256 as
    ``text_sha256``; the tag is the action. How many items. Written under a temporary name and renamed once the
    ``hashlist.exported`` event is stored, so a failed export leaves no file."""
    lead = require(store, who, *CHANGED_BY, to="export hash lists")
    if action not in {a.id for a in taxonomy.actions}:
        raise ListError(f"unknown action {action!r} (actions: {', '.join(a.id for a in taxonomy.actions)})")
    out = Path(out)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent or Path("."))
    items = rows = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(list_files.COLUMNS)
            for page in _decided_pages(store, action):
                for _, media_path, sha256, md5, column in page:
                    found = list_files.export_rows(media_path is not None, str(sha256), md5,
                                                   pdq.matchable(column), action)
                    writer.writerows(found)
                    items, rows = items + 1, rows + len(found)
                if progress:
                    progress(items, 0)  # how many there are is known only at the end
        written = {"action": action, "items": items, "rows": rows, "file": out.name}
        all_or_nothing(store, lambda: (require(store, lead, *CHANGED_BY, to="export hash lists"),
                                       store.log(lead.name, "hashlist.exported", f"action:{action}", written)))
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return items


def _decided_pages(store: Store, action: str) -> Iterator[list[tuple[int, str | None, str | None, str | None,
                                                                      str | None]]]:
    after = 0
    while page := hashlists.decided_with(store, action, after, EXPORT_PAGE):
        yield page
        after = page[-1][0]


def _existing(store: Store, name: str) -> hashlists.ListRow:
    found = hashlists.list_named(store, name)
    if found is None:
        known = ", ".join(row.name for row in hashlists.lists(store)) or "none yet"
        raise ListError(f"there is no hash list {name!r} (lists: {known})")
    return found


def _checked_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ListError("a hash list needs a name")
    if len(name) > MAX_NAME or any(not ch.isprintable() for ch in name):
        raise ListError(f"a hash list's name is at most {MAX_NAME} printable characters")
    return name


def _settings(taxonomy: Taxonomy, before: hashlists.ListRow | None, action: str | None,
              labels: Sequence[str] | None, automated: bool | None, dihedral: bool | None) -> hashlists.Settings:
    """The list's settings after an import: given ones replace the list's; checked against the taxonomy."""
    chosen_action = action if action is not None else (before.action if before else None)
    chosen_labels = tuple(labels) if labels is not None else (before.labels if before else ())
    chosen_automated = automated if automated is not None else (before.automated if before else False)
    if chosen_action is not None:
        actions = {a.id: a for a in taxonomy.actions}
        if chosen_action not in actions:
            raise ListError(f"unknown action {chosen_action!r} (actions: {', '.join(actions)})")
        if actions[chosen_action].escalates:
            raise ListError(f"a list cannot {actions[chosen_action].name.lower()}: automation never sends items "
                            "to a lead; give another action")
        problem = taxonomy.check(chosen_action, chosen_labels, "hash list")
        if problem:
            raise ListError(f"{problem}: give --labels" if "label" in problem else problem)
    else:
        known = {label.id for label in taxonomy.labels}
        unknown = [label for label in chosen_labels if label not in known]
        if unknown:
            raise ListError(f"unknown label {unknown[0]!r} (labels: {', '.join(sorted(known))})")
    if chosen_automated and chosen_action is None:
        raise ListError("an automated list needs an action (--action)")
    return hashlists.Settings(chosen_action, chosen_labels, chosen_automated,
                              dihedral if dihedral is not None else (before.dihedral if before else False))


def _shown(row: hashlists.ListRow) -> dict[str, object]:
    return {**hashlists.Settings(row.action, row.labels, row.automated, row.dihedral).as_json(),
            "version": row.version}
