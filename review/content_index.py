"""What a look-up for copies needs, in memory per store: every item's PDQ hashes, content and outcome.

"Seen before" for an item with 50,000 earlier copies must answer within a
frame, and any SQL that touches each copy's decision takes longer than that
(see :mod:`review.store.hashes`). So each process keeps, per store:

* the PDQ multi-index (:class:`review.media.pdq_index.PdqIndex`) of every
  item's hashes of quality 50 or more (a video's keyframes each), keyed by
  item id; flatter frames are left out (:func:`review.media.pdq.matchable`);
* each item's content as a 64-bit key (the first 16 hex digits of its
  SHA-256: a chance collision among five million items is about 1 in
  a million), and the keys sorted, to find exact copies by a binary search
  (and the few items read since the sort, one by one);
* each item's current decision (the action of its newest live decision),
  to count the copies' outcomes with one ``bincount``.

It follows the store by the event log, in commit order (ids of items and
decisions are not: on PostgreSQL a row-locked decision can commit after one
with a higher id). Before each look-up, at one moment, it reads the
followed events since the last it read (:data:`review.store.hashes.FOLLOWED`,
with the hash token, the newest event id and the current action of each
item a decision's event names: one round trip on a server, its snapshot's
``BEGIN`` and ``COMMIT`` in it). An import's event makes it read the items
past the highest id read and any gap below it that an open transaction may
have filled since; a rehash batch's, its items' hashes; a bulk decision
import, every outcome (each in a snapshot after). A new token or an older event log
(another store behind the same address) rebuilds it all. Items without a
SHA-256 or a PDQ (gold copies, by design) can never be found. One lock per
process: the desk's threads and an import share one copy.

A load reads 100,000 rows a query and turns each batch into arrays with no
Python call per row or hash (:mod:`review.content_columns`).

**Nobody at a desk waits for a load** (issue 22: 4.5 s at a million decided
items, of which the driver handing over the rows is 2 s). A look-up that may
not wait (``wait=False``: the desk's "Seen before", asked inside a claim)
answers None when the index is being loaded, or re-read whole after a bulk
decision import, by another thread, and when it would have to do that work
itself on a store past :data:`INLINE_ITEMS` it starts it on a thread of its
own (a second connection) and answers None at once: the screen says "still
being looked up" (a page may ask again, waiting, on a reader). Small stores
load inline (a few milliseconds), so tests and small teams never see a
"not yet". A look-up that waits (``veil match``, a page's second asking,
:func:`warm` on a reader right after sign-in) gets the exact answer.

**A big store's index is loaded once a computer**, not at every start: past
:data:`SAVED_FROM_ITEMS` items, when the store names an ``index_folder``
(``desktop.wiring`` gives every store the computer's cache folder), a whole
load is saved there (:mod:`review.index_files`, its hashes sorted into one
segment) and mapped back copy-on-write; the next process maps it, checks it
is this store's (the token, and the chain hash of the event it stopped at:
a store restored from an older copy is not the one it was saved of) and
follows the events since (0.26 s at 5 M items, where reading it is 13–16
s). What a look-up touches is read from the file; the desk's own memory
holds only what changed since (at 5 M items: 95 MB of its own after twenty
look-ups, 300 MB when the index was held in memory).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from review import index_files
from review.content_columns import content_key, content_keys, matchable_words
from review.media.pdq_index import PdqIndex
from review.store import Store, hashes

_BATCH = 100_000  # rows read per query while loading
_NONE = -1  # no decision
_GAP_SECONDS = 600.0  # a gap in item ids still empty this long after it was seen was never going to be filled
_GAPS = 32  # gaps remembered at most (the newest: an open import holds recent ids)
_FIRST, _SECOND, _THIRD = itemgetter(0), itemgetter(1), itemgetter(2)  # a row's columns, without a Python loop
_POLL_S = 0.005  # how often a look-up that may not wait checks whether the lock's holder is loading

#: A store whose item ids stop here loads inline even for a look-up that may not wait (about 0.1 s on the
#: development machine, whose 1 M-item load takes 4.5 s); past it a load goes to the background.
INLINE_ITEMS = 20_000

#: A store's index is saved (when kept on disk) once its item ids pass this: a smaller one loads in 0.1 s, inline
#: (perhaps inside a claim, which must not write files), where a bigger one loads in the background.
SAVED_FROM_ITEMS = INLINE_ITEMS
#: A saved index brought up to date through this many events or more is saved again, so the next start
#: follows fewer.
RESAVE_EVENTS = 20_000
#: Saved indexes of other stores that no start has used for this long are removed at the next save.
UNUSED_DAYS = 30.0

log = logging.getLogger(__name__)


@dataclass
class Copies:
    """Item ids holding the same content, or a picture near it: ids and bits apart (0 for the same bytes)."""

    ids: np.ndarray
    bits: np.ndarray
    actions: np.ndarray  # each one's current action's code, _NONE when undecided
    names: list[str]  # action code -> action id

    def counts(self) -> dict[str, int]:
        """Current decisions per action among the copies."""
        decided = self.actions[self.actions != _NONE]
        return {self.names[code]: int(n) for code, n in enumerate(np.bincount(decided)) if n}

    def nearest_decided(self) -> int | None:
        """Bits apart of the nearest copy that is decided, or None."""
        decided = self.bits[self.actions != _NONE]
        return int(decided.min()) if len(decided) else None


@dataclass
class _Loaded:
    token: str
    last_event: int = 0
    last_item: int = 0
    gaps: list[tuple[int, int, float]] = field(default_factory=list)  # (first id, last id, seen at) not yet read
    index: PdqIndex = field(default_factory=PdqIndex)
    read: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=bool))  # by item id: its row was read
    content: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.uint64))  # by item id
    outcome: np.ndarray = field(default_factory=lambda: np.full(1, _NONE, dtype=np.int16))  # by item id
    names: list[str] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)
    #: The items read when :meth:`sort_exact` last ran with a content key, by key: an exact copy is found by a
    #: binary search (a few pages of a saved index), not by comparing every item's key (41 MB at 5 M items) ...
    exact_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    exact_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: ... and the ids of those read since, compared one by one (an item's content never changes).
    taken: list[np.ndarray] = field(default_factory=list)

    def code(self, action: str) -> int:
        if action not in self.codes:
            self.codes[action] = len(self.names)
            self.names.append(action)
        return self.codes[action]

    def sort_exact(self) -> None:
        """Every item read so far into the sorted keys; none left to compare one by one."""
        order = np.argsort(self.content)  # an item not read, or without content, has key 0: they sort first
        keys = np.asarray(self.content[order])
        first = int(np.searchsorted(keys, np.uint64(1)))
        self.exact_keys, self.exact_ids, self.taken = keys[first:], order[first:].astype(np.int64, copy=False), []

    def exact(self, key: int) -> np.ndarray:
        """Ids of the items read whose content key is *key* (none for 0: no content)."""
        if not key:
            return np.zeros(0, dtype=np.int64)
        value = np.uint64(key)
        sorted_ids = self.exact_ids[np.searchsorted(self.exact_keys, value, side="left"):
                                    np.searchsorted(self.exact_keys, value, side="right")]
        if len(self.taken) > 1:
            self.taken = [np.concatenate(self.taken)]
        since = self.taken[0] if self.taken else np.zeros(0, dtype=np.int64)
        return np.concatenate([sorted_ids, since[self.content[since] == value]]).astype(np.int64)


_LOCK = threading.Lock()
_LOADED: dict[str, _Loaded] = {}
#: Stores whose index is being loaded, or re-read whole, now (or is about to be, by a background thread): a
#: look-up that may not wait gives up as soon as it sees its store here. Changed under the GIL, read without
#: the lock.
_SLOW: set[str] = set()


@overload
def copies(store: Store, sha256: str | None, pdq_hashes: list[str], bits: int, *, besides: int = 0,
           wait: Literal[True] = True) -> Copies: ...
@overload
def copies(store: Store, sha256: str | None, pdq_hashes: list[str], bits: int, *, besides: int = 0,
           wait: bool) -> Copies | None: ...
def copies(store: Store, sha256: str | None, pdq_hashes: list[str], bits: int, *, besides: int = 0,
           wait: bool = True) -> Copies | None:
    """Every item but *besides* with the content *sha256*, or a PDQ hash within *bits* of one of *pdq_hashes*,
    with its distance (the fewest bits; 0 for the same content) and its current decision.

    Without *wait*: None instead of waiting for a load or a whole re-read of the index (one is then under way
    in the background); a refresh that only follows the latest events is still waited for (milliseconds)."""
    where = _where(store)
    if not _acquired(where, wait):
        return None
    try:
        loaded = _up_to_date(store, where, wait=wait)
        if loaded is None:
            return None
        found = [loaded.index.search_arrays(h, bits) for h in pdq_hashes]
        exact = loaded.exact(content_key(sha256))
        ids = np.concatenate([exact, *(k for k, _ in found)]).astype(np.int64)
        apart = np.concatenate([np.zeros(len(exact), dtype=np.int64), *(d for _, d in found)])
        ids, apart = ids[ids != besides], apart[ids != besides]
        order = np.lexsort((apart, ids))  # by item, the fewest bits apart first: each item's first row is its own
        ids, apart = ids[order], apart[order]
        first = np.ones(len(ids), dtype=bool)
        first[1:] = ids[1:] != ids[:-1]
        ids, apart = ids[first], apart[first]
        return Copies(ids, apart, loaded.outcome[ids].astype(np.int64), list(loaded.names))
    finally:
        _LOCK.release()


def warm(store: Store) -> None:
    """Load (or bring up to date) the store's index now, so the next look-up does not pay for the load."""
    where = _where(store)
    with _LOCK:
        _up_to_date(store, where, wait=True)


def is_loaded(store: Store) -> bool:
    """Whether this process holds the store's index (perhaps a few events behind: the next look-up follows them)."""
    return _where(store) in _LOADED and _where(store) not in _SLOW


def _where(store: Store) -> str:
    return store.url or str(store.path.resolve() if store.path else id(store))


def _acquired(where: str, wait: bool) -> bool:
    """Take the lock; without *wait*, give up (False) once the holder is known to be loading *where*'s index (a
    holder that is only following events lets go within milliseconds)."""
    if wait:
        _LOCK.acquire()
        return True
    while not _LOCK.acquire(timeout=_POLL_S):
        if where in _SLOW:
            return False
    return True


def _up_to_date(store: Store, where: str, *, wait: bool) -> _Loaded | None:
    """The store's index brought up to date (the caller holds the lock); None, without *wait*, when that means
    loading or re-reading it whole on a big store: then a background thread does it.

    Where the store stands and the decided items' actions are read at one moment, in one round trip on a
    server (:func:`review.store.hashes.followed_since`): most look-ups need nothing else. Whatever else the
    events ask for (new items, a rehash's hashes, a whole load) is read after, in a snapshot of its own, no
    older than the events: an event read again later reads again what it names, so nothing is missed."""
    loaded = _LOADED.get(where)
    now = hashes.followed_since(store, loaded.last_event if loaded is not None else None)
    kept = loaded if loaded is not None and loaded.token == now.token and now.head >= loaded.last_event else None
    slow = kept is None or any(kind == hashes.BULK_DECISIONS for _, kind, _ in now.events)
    if slow and not wait and hashes.item_hashes(store, INLINE_ITEMS, 1):
        _in_background(store, where)
        return None
    if slow:
        _SLOW.add(where)
    try:
        if kept is None:
            kept = _LOADED[where] = _from_disk(store, where, now) or _built_once(store, where, now)
        elif now.head > kept.last_event:
            _follow(store, kept, now)
    finally:
        _SLOW.discard(where)
    return kept


def _in_background(store: Store, where: str) -> None:
    """Load (or re-read) *where*'s index on a thread of its own, on a second connection it closes after."""
    if where in _SLOW:
        return
    _SLOW.add(where)  # at once: look-ups from now on answer "not yet" without waiting for the lock

    def load() -> None:
        try:
            with store.second_connection() as reader:
                warm(reader)
        except Exception:  # noqa: BLE001 - the next look-up tries again; "Seen before" says "not yet" meanwhile
            log.warning("loading the content index of %s failed", where, exc_info=True)
        finally:
            _SLOW.discard(where)

    threading.Thread(target=load, name="veil-content-index", daemon=True).start()


def _built_once(store: Store, where: str, now: hashes.Followed) -> _Loaded:
    """Read whole; or, when another process of this computer was reading it to save it, its save mapped
    (:func:`index_files.building`; a store too small to be saved is read at once)."""
    folder = _folder(store, where)
    with (index_files.building(folder) if folder is not None and hashes.item_hashes(store, SAVED_FROM_ITEMS, 1)
          else contextlib.nullcontext(False)) as waited:
        if waited and (mapped := _from_disk(store, where, hashes.followed_since(store, None))) is not None:
            return mapped
        return _load_whole(store, where, now)


def _load_whole(store: Store, where: str, now: hashes.Followed) -> _Loaded:
    """Everything read from the store in one snapshot, then saved to be mapped back (when kept on disk)."""
    with hashes.reading(store):
        loaded = _load(store, now.token, now.head)
    mapped = _saved(store, where, loaded)  # its hashes sorted into one segment when saved
    if mapped is loaded:
        loaded.index.settle()
        return loaded
    del loaded  # the arrays built in memory: now the file's
    index_files.give_back_freed_memory()
    return mapped


def _load(store: Store, token: str, head: int) -> _Loaded:
    """Everything, as of the snapshot the caller holds (*head* its newest event)."""
    loaded = _Loaded(token, last_event=head)
    _read_new_items(store, loaded, settle=False)
    _read_all_decisions(store, loaded)
    loaded.sort_exact()
    return loaded


def _folder(store: Store, where: str) -> Path | None:
    """Where *store*'s index is saved (None: it is not): a sub-folder of the store's ``index_folder`` named by a
    digest of *where*, so a server's address (its password, perhaps) is not written."""
    if store.index_folder is None:
        return None
    return store.index_folder / hashlib.sha256(where.encode()).hexdigest()[:32]


def _from_disk(store: Store, where: str, now: hashes.Followed) -> _Loaded | None:
    """The saved index of this store, mapped, then brought up to date by the events since it was saved; None when
    there is none, or it is of another store (another token, a different event where it stopped)."""
    folder = _folder(store, where)
    saved = index_files.load(folder) if folder is not None else None
    if saved is None:
        return None
    head, arrays = saved
    try:
        loaded = _from_arrays(head, arrays)
        event_hash = str(head["event_hash"])
    except (KeyError, TypeError, ValueError) as broken:
        log.warning("the saved index of %s does not fit together (%s): reading it again", where, broken)
        return None
    if (loaded.token != now.token or loaded.last_event > now.head
            or hashes.event_hash(store, loaded.last_event) != event_hash):
        return None
    later = hashes.followed_since(store, loaded.last_event)
    if later.token != loaded.token or later.head < loaded.last_event:
        return None
    if later.head > loaded.last_event:
        _follow(store, loaded, later)
    return _saved(store, where, loaded) if len(later.events) >= RESAVE_EVENTS else loaded


def _saved(store: Store, where: str, loaded: _Loaded) -> _Loaded:
    """*loaded* saved (a big store's, when kept on disk) and mapped back from the file; as it was when it is not
    saved (a small store; a disk that refuses: the index stays in memory, and says why in the log)."""
    folder = _folder(store, where)
    if folder is None or loaded.last_item <= SAVED_FROM_ITEMS:
        return loaded
    _grow(loaded, loaded.last_item + loaded.last_item // 4 + 1024)  # room for new items, so they stay in the file
    if loaded.taken:
        loaded.sort_exact()
    loaded.index.compact()
    head = {"token": loaded.token, "last_event": loaded.last_event, "last_item": loaded.last_item,
            "event_hash": hashes.event_hash(store, loaded.last_event), "names": loaded.names,
            "gaps": [[low, high] for low, high, _ in loaded.gaps]}
    arrays = {"read": loaded.read, "content": loaded.content, "outcome": loaded.outcome,
              "exact_keys": loaded.exact_keys, "exact_ids": loaded.exact_ids,
              **{f"index.{name}": array for name, array in loaded.index.arrays().items()}}
    try:
        generation = index_files.save(folder, loaded.last_event, head, arrays)
        index_files.forget_unused(folder.parent, folder, UNUSED_DAYS)
        mapped = _from_arrays(*index_files.load_generation(generation, verify=False))
    except (OSError, ValueError) as failed:
        log.warning("the index of %s stays in memory: saving it failed (%s)", where, failed)
        return loaded
    mapped.gaps = loaded.gaps
    return mapped


def _from_arrays(head: dict[str, Any], arrays: dict[str, np.ndarray]) -> _Loaded:
    """The index :func:`_saved` wrote; ValueError (or KeyError, TypeError) when its parts do not fit together."""
    names = [str(name) for name in head["names"]]
    read, content, outcome = arrays["read"], arrays["content"], arrays["outcome"]
    exact_keys, exact_ids = arrays["exact_keys"], arrays["exact_ids"]
    if (read.dtype != bool or content.dtype != np.uint64 or outcome.dtype != np.int16 or read.ndim != 1
            or not len(read) == len(content) == len(outcome) or int(outcome.max()) >= len(names)
            or exact_keys.dtype != np.uint64 or exact_ids.dtype != np.int64 or exact_ids.shape != exact_keys.shape):
        raise ValueError("its item arrays do not fit together")
    loaded = _Loaded(str(head["token"]), last_event=int(head["last_event"]), last_item=int(head["last_item"]),
                     gaps=[(int(low), int(high), time.monotonic()) for low, high in head["gaps"]][-_GAPS:],
                     index=PdqIndex.from_arrays({name.removeprefix("index."): array for name, array in arrays.items()
                                                 if name.startswith("index.")}),
                     read=read, content=content, outcome=outcome, names=names, exact_keys=exact_keys,
                     exact_ids=exact_ids)
    loaded.codes = {name: code for code, name in enumerate(names)}
    return loaded


def _follow(store: Store, loaded: _Loaded, now: hashes.Followed) -> None:
    """What the followed events since the last refresh changed: the decided items' actions as *now* read them,
    what else they name read in a snapshot of its own (when any)."""
    new_items = every_decision = False
    rehashed: list[tuple[int, int]] = []  # id ranges (each batch's ``items:LOW-HIGH``)
    decided: set[int] = set()
    for _, kind, subject in now.events:
        if kind == hashes.NEW_ITEMS:
            new_items = True
        elif kind == hashes.BULK_DECISIONS:
            every_decision = True
        elif kind == hashes.REHASHED:
            if (named := hashes.subject_items(subject)) is not None:
                rehashed.append(named)
        elif (item_id := hashes.subject_item(subject)) is not None:
            decided.add(item_id)
    if new_items or rehashed or every_decision:
        with hashes.reading(store):
            if new_items:
                _read_new_items(store, loaded)
            for low, high in rehashed:
                _take(loaded, hashes.item_hashes_between(store, low, high), again=True)
            if rehashed:
                loaded.index.settle()
            if every_decision:
                loaded.outcome[:] = _NONE
                _read_all_decisions(store, loaded)
    if decided and not every_decision:
        if now.standing:  # only items that exist are decided: an event may name any id
            _grow(loaded, max(now.standing))
        for item_id in decided:
            if item_id < len(loaded.outcome):  # one past the arrays is undecided as they grow
                loaded.outcome[item_id] = loaded.code(now.standing[item_id]) if item_id in now.standing else _NONE
    if sum(map(len, loaded.taken)) > max(_BATCH, len(loaded.exact_ids) // 4):
        loaded.sort_exact()
    loaded.last_event = now.head


def _read_new_items(store: Store, loaded: _Loaded, *, settle: bool = True) -> None:
    """Items past the highest id read, and those that have appeared in the gaps below it; new gaps noted (their
    hashes left unsorted without *settle*: a whole load sorts them once, at its end)."""
    now = time.monotonic()
    waiting = [gap for gap in loaded.gaps if now - gap[2] < _GAP_SECONDS]
    loaded.gaps = []
    for low, high, seen_at in waiting:
        rows = hashes.item_hashes_between(store, low, high)
        _take(loaded, rows)
        if len(rows) < high - low + 1:
            loaded.gaps.append((low, high, seen_at))  # partly filled: the rest may still come
    while rows := hashes.item_hashes(store, loaded.last_item, _BATCH):
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        before = np.concatenate([[loaded.last_item], ids[:-1]])
        loaded.gaps.extend((int(low) + 1, int(high) - 1, now) for low, high in
                           zip(before[ids - before > 1], ids[ids - before > 1], strict=True))
        _take(loaded, rows)
        loaded.last_item = rows[-1][0]
    del loaded.gaps[:-_GAPS]
    if settle:
        loaded.index.settle()


def _take(loaded: _Loaded, rows: Sequence[tuple[int, str | None, str | None]], *, again: bool = False) -> None:
    """Note each item row's content and index its matchable hashes (*again*: rows read before, whose hashes a
    rehash has just given; an item's hashes never change otherwise)."""
    if not rows:
        return
    ids = np.fromiter(map(_FIRST, rows), dtype=np.int64, count=len(rows))
    sha_column, pdq_column = list(map(_SECOND, rows)), list(map(_THIRD, rows))
    _grow(loaded, int(ids.max()))
    fresh = np.ones(len(rows), dtype=bool) if again else ~loaded.read[ids]
    if not fresh.all():
        sha_column = list(itertools.compress(sha_column, fresh.tolist()))
        pdq_column = list(itertools.compress(pdq_column, fresh.tolist()))
        ids = ids[fresh]
    loaded.read[ids] = True
    loaded.content[ids] = content_keys(sha_column)
    loaded.taken.append(ids)
    keys, found_words = matchable_words(ids, pdq_column)
    loaded.index.add_words(keys, found_words, settle=False)


def _read_all_decisions(store: Store, loaded: _Loaded) -> None:
    """Every item's current decision, from the live decisions read in id order (the newest wins)."""
    after = 0
    while rows := hashes.live_decisions(store, after, _BATCH):
        item_ids = np.fromiter(map(_SECOND, rows), dtype=np.int64, count=len(rows))
        action_column = list(map(_THIRD, rows))
        _grow(loaded, int(item_ids.max()))
        for action in dict.fromkeys(action_column):  # codes in order of first appearance, as one by one
            loaded.code(action)
        codes = np.fromiter(map(loaded.codes.__getitem__, action_column), dtype=np.int16, count=len(rows))
        newest_first = item_ids[::-1]
        decided, at = np.unique(newest_first, return_index=True)  # each item's newest decision of the batch
        loaded.outcome[decided] = codes[::-1][at]
        after = rows[-1][0]


def _grow(loaded: _Loaded, item_id: int) -> None:
    size = len(loaded.content)
    if item_id < size:
        return
    bigger = max(item_id + 1, size * 3 // 2)
    loaded.read = np.concatenate([loaded.read, np.zeros(bigger - size, dtype=bool)])
    loaded.content = np.concatenate([loaded.content, np.zeros(bigger - size, dtype=np.uint64)])
    loaded.outcome = np.concatenate([loaded.outcome, np.full(bigger - size, _NONE, dtype=np.int16)])
