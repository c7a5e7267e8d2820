"""The PDQ entries of every hash list, in memory per process and store, brought up to date with one row read.

Intake matches each new picture against every list's PDQ entries within the
organisation's threshold, exhaustively (:class:`review.media.pdq_index.PdqIndex`:
about a millisecond a look-up at a million entries), instead of a popcount
over every entry per item. The index is keyed by entry id; beside it sit
each PDQ entry's id, list and the version that added it (arrays as long as
there are PDQ entries, ids ascending, found by binary search: a store whose
other entries are many costs nothing here), so a match against a new
version's entries (matching the store's pending items after an import) is a
comparison, not a query.

It follows list changes by ``hash_list_state`` (one row, bumped by every
change to lists, :mod:`review.store.hashlists`): unchanged, nothing is
read; entries only added, only the entries past the highest id read are
loaded; entries removed (a list removed, a failed import's left-overs), the
index is rebuilt, which is rare and bounded by the lists' size. Callers
that write bring it up to date with :func:`warm` before their transaction
begins (an import's start, a list's matching, the desk at sign-in), so the
read inside the write lock finds it current. An entry
an import has written but not yet published may be in the index: a search
keeps only entries of a published version (:meth:`Loaded.published`). A
store with no list costs one row read per chunk.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from review.media.pdq_index import PdqIndex
from review.store import Store, hashlists

_BATCH = 100_000


@dataclass(frozen=True)
class ListFacts:
    """What matching needs of one list."""

    id: int
    name: str
    action: str | None
    labels: tuple[str, ...]
    automated: bool
    dihedral: bool
    version: int


@dataclass
class Loaded:
    """One store's lists and the PDQ index of their entries, as of ``changes``."""

    changes: tuple[int, int] = (-1, -1)  # (changes, removals) as of the load
    lists: dict[int, ListFacts] = field(default_factory=dict)
    index: PdqIndex = field(default_factory=PdqIndex)
    last_entry: int = 0
    entry_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # PDQ entries, ascending
    entry_lists: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # beside entry_ids
    entry_versions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # beside entry_ids
    dihedral_pdq: frozenset[int] = frozenset()  # dihedral lists with published PDQ entries: only they turn pictures

    @property
    def has_pdq(self) -> bool:
        return len(self.index) > 0

    def lists_of(self, entries: np.ndarray) -> np.ndarray:
        """The list of each of *entries* (ids the index found)."""
        return self.entry_lists[np.searchsorted(self.entry_ids, entries)]

    def versions_of(self, entries: np.ndarray) -> np.ndarray:
        """The version that added each of *entries*."""
        return self.entry_versions[np.searchsorted(self.entry_ids, entries)]

    def published(self, entries: np.ndarray) -> np.ndarray:
        """Which of *entries* (ids the index found) belong to a published version of a list shown now."""
        if not len(entries):
            return np.zeros(0, dtype=bool)
        versions = np.array([self.lists[int(i)].version if int(i) in self.lists else 0
                             for i in self.lists_of(entries).tolist()], dtype=np.int64)
        return self.versions_of(entries) <= versions

    def _find_dihedral_pdq(self) -> frozenset[int]:
        found = set()
        for list_id, facts in self.lists.items():
            if facts.dihedral and bool(np.any((self.entry_lists == list_id) & (self.entry_versions <= facts.version))):
                found.add(list_id)
        return frozenset(found)


_LOCK = threading.Lock()
_LOADED: dict[str, Loaded] = {}


def current(store: Store) -> Loaded:
    """The store's lists and PDQ index, up to date as the caller's connection sees the store (inside an import's
    transaction: including that transaction's own changes). Callers only read what comes back."""
    where = store.url or str(store.path.resolve() if store.path else id(store))
    with _LOCK:
        changes = hashlists.changes(store)
        loaded = _LOADED.get(where)
        if loaded is not None and loaded.changes == changes:
            return loaded
        rows = hashlists.lists(store)
        lists = {row.id: ListFacts(row.id, row.name, row.action, row.labels, row.automated, row.dihedral,
                                   row.version) for row in rows}
        if loaded is None or loaded.changes[1] != changes[1] or hashlists.last_entry_id(store) < loaded.last_entry:
            loaded = Loaded()  # entries went (or another store stands at this address): start again
        loaded.lists = lists
        _read_entries(store, loaded)
        loaded.dihedral_pdq = loaded._find_dihedral_pdq()
        loaded.changes = changes
        _LOADED[where] = loaded
        return loaded


def warm(store: Store) -> None:
    """Bring the store's index up to date now, outside any transaction, so the look-up inside the next write
    finds it current (a rebuild of a million entries never runs under the write lock)."""
    current(store)


def _read_entries(store: Store, loaded: Loaded) -> None:
    last = hashlists.last_entry_id(store)
    while loaded.last_entry < last:
        through = min(last, loaded.last_entry + _BATCH)
        rows = hashlists.pdq_entries(store, loaded.last_entry, through)
        if not rows:
            loaded.last_entry = through
            continue
        ids = np.array([r[0] for r in rows], dtype=np.int64)  # past every id held: the arrays stay ascending
        loaded.entry_ids = np.concatenate([loaded.entry_ids, ids])
        loaded.entry_lists = np.concatenate([loaded.entry_lists, np.array([r[1] for r in rows], dtype=np.int64)])
        loaded.entry_versions = np.concatenate([loaded.entry_versions, np.array([r[2] for r in rows], dtype=np.int64)])
        loaded.index.add(ids.tolist(), [r[3] for r in rows], settle=False)
        loaded.last_entry = through
    loaded.index.settle()
