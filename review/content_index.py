"""What a look-up for copies needs, in memory per store: every item's PDQ hashes, content and outcome.

"Seen before" for an item with 50,000 earlier copies must answer within a
frame, and any SQL that touches each copy's decision takes longer than that
(see :mod:`review.store.hashes`). So each process keeps, per store:

* the PDQ multi-index (:class:`review.media.pdq_index.PdqIndex`) of every
  item's hashes of quality 50 or more (a video's keyframes each), keyed by
  item id; flatter frames are left out (:func:`review.media.pdq.matchable`);
* each item's content as a 64-bit key (the first 16 hex digits of its
  SHA-256: a chance collision among five million items is about 1 in
  a million), to find exact copies with one vectorised comparison;
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
Python call per row or hash (:func:`content_keys`, :func:`matchable_words`):
every second of Python holds the interpreter, and the GUI thread waits for
it. Text not as Veil writes it sends its batch through the per-row parsers,
so the index is the same either way.

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
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Literal, overload

import numpy as np

from review.media import pdq
from review.media.pdq_index import PdqIndex, words
from review.store import Store, hashes

_BATCH = 100_000  # rows read per query while loading
_NONE = -1  # no decision
_FAR = 255  # more bits apart than any threshold: not a copy
_GAP_SECONDS = 600.0  # a gap in item ids still empty this long after it was seen was never going to be filled
_GAPS = 32  # gaps remembered at most (the newest: an open import holds recent ids)
_FIRST, _SECOND, _THIRD = itemgetter(0), itemgetter(1), itemgetter(2)  # a row's columns, without a Python loop
_POLL_S = 0.005  # how often a look-up that may not wait checks whether the lock's holder is loading

#: A store whose item ids stop here loads inline even for a look-up that may not wait (about 0.1 s on the
#: development machine, whose 1 M-item load takes 4.5 s); past it a load goes to the background.
INLINE_ITEMS = 20_000

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

    def code(self, action: str) -> int:
        if action not in self.codes:
            self.codes[action] = len(self.names)
            self.names.append(action)
        return self.codes[action]


_LOCK = threading.Lock()
_LOADED: dict[str, _Loaded] = {}
#: Stores whose index is being loaded, or re-read whole, now (or is about to be, by a background thread): a
#: look-up that may not wait gives up as soon as it sees its store here. Changed under the GIL, read without
#: the lock.
_SLOW: set[str] = set()


def content_key(sha256: str | None) -> int:
    """The 64-bit key of a SHA-256 (0: none; any other text, such as a test's made-up digest, is hashed)."""
    if not sha256:
        return 0
    head = sha256[:16]
    if _HEX16.fullmatch(head):
        return int(head, 16) or 1
    # Anything else, hashed: int() would also read "-1f…", "0x1f…" or "1_f…" (a hostile row's text), and a
    # negative key stops the whole index load.
    return int.from_bytes(hashlib.blake2b(sha256.encode(), digest_size=8).digest(), "big") or 1


_HEX16 = re.compile(r"[0-9a-fA-F]{16}")


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
        key = content_key(sha256)
        exact = np.flatnonzero(loaded.content == np.uint64(key)) if key else np.zeros(0, dtype=np.int64)
        ids = np.concatenate([exact, *(k for k, _ in found)]).astype(np.int64)
        apart = np.concatenate([np.zeros(len(exact), dtype=np.int64), *(d for _, d in found)])
        nearest = np.full(len(loaded.content), _FAR, dtype=np.uint8)  # by item id: the fewest bits apart
        for bits_apart in np.unique(apart)[::-1]:  # at most threshold + 1 values: the nearest written last
            nearest[ids[apart == bits_apart]] = bits_apart
        if besides < len(nearest):
            nearest[besides] = _FAR
        ids = np.flatnonzero(nearest != _FAR)
        return Copies(ids, nearest[ids].astype(np.int64), loaded.outcome[ids].astype(np.int64), list(loaded.names))
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
            with hashes.reading(store):
                kept = _LOADED[where] = _load(store, now.token, now.head)
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


def _load(store: Store, token: str, head: int) -> _Loaded:
    """Everything, as of the snapshot the caller holds (*head* its newest event)."""
    loaded = _Loaded(token, last_event=head)
    _read_new_items(store, loaded)
    _read_all_decisions(store, loaded)
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
    loaded.last_event = now.head


def _read_new_items(store: Store, loaded: _Loaded) -> None:
    """Items past the highest id read, and those that have appeared in the gaps below it; new gaps noted."""
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
    keys, found_words = matchable_words(ids, pdq_column)
    loaded.index.add_words(keys, found_words, settle=False)


def content_keys(shas: Sequence[str | None]) -> np.ndarray:
    """:func:`content_key` of each of *shas*, for a million-item load: when every one is a digest of hex digits
    (as Veil writes them), their first 16 digits are read by one ``bytes.fromhex``; else one by one."""
    given = list(map(bool, shas))
    heads = "".join(sha[:16] for sha in itertools.compress(shas, given))  # type: ignore[index]
    try:
        values = np.frombuffer(bytes.fromhex(heads), dtype=">u8").astype(np.uint64)
    except ValueError:
        values = np.zeros(0, dtype=np.uint64)
    if len(values) * 16 != len(heads) or len(values) != sum(given):  # a short digest, a space: not as written
        return np.fromiter(map(content_key, shas), dtype=np.uint64, count=len(shas))
    values[values == 0] = 1
    keys = np.zeros(len(shas), dtype=np.uint64)
    keys[np.flatnonzero(given)] = values
    return keys


def matchable_words(ids: np.ndarray, columns: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(item id, hash as 4 words) of every :func:`review.media.pdq.matchable` hash of each ``pdq`` column, in
    the same order. When the batch's columns are as Veil writes them (``HEX`` or ``HEX:QUALITY`` entries, one
    space apart) the entries are cut and judged by NumPy and every hex read by one ``bytes.fromhex``; any
    other text sends the batch through ``matchable`` itself, so the answer is the same either way."""
    given = list(map(bool, columns))
    written: list[str] = list(itertools.compress(columns, given))  # type: ignore[arg-type]
    text = " ".join(written)
    if not text.isascii():
        return _matchable_words_slowly(ids, columns)
    raw = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    spaces = np.flatnonzero(raw == ord(" "))
    starts = np.concatenate([[0], spaces + 1])
    lengths = np.concatenate([spaces, [len(raw)]]) - starts
    digits = lengths - pdq.HEX_CHARS - 1  # of the quality, after the colon
    if not written or ((lengths != pdq.HEX_CHARS) & ((digits < 1) | (digits > 3))).any():
        return _matchable_words_slowly(ids, columns)
    padded = np.concatenate([raw, np.zeros(4, dtype=np.uint8)])
    as_written = (lengths == pdq.HEX_CHARS) | (padded[starts + pdq.HEX_CHARS] == ord(":"))
    quality = np.zeros(len(starts), dtype=np.int64)
    for place in range(3):
        has = digits > place
        digit = padded[starts + pdq.HEX_CHARS + 1 + place].astype(np.int64) - ord("0")
        as_written &= ~has | ((digit >= 0) & (digit <= 9))
        quality = np.where(has, quality * 10 + digit, quality)
    hex_text = "".join(text[start : start + pdq.HEX_CHARS] for start in starts.tolist())
    try:
        hash_bytes = bytes.fromhex(hex_text)
    except ValueError:
        return _matchable_words_slowly(ids, columns)
    if not as_written.all() or len(hash_bytes) * 2 != len(hex_text) or hex_text != hex_text.lower():
        return _matchable_words_slowly(ids, columns)  # a space or a capital inside a hash: not as written
    per_column = np.fromiter(map(str.count, written, itertools.repeat(" ")), dtype=np.int64, count=len(written))
    owners = np.repeat(ids[np.flatnonzero(given)], per_column + 1)
    good = (lengths == pdq.HEX_CHARS) | (quality >= pdq.GOOD_QUALITY)
    return owners[good], np.frombuffer(hash_bytes, dtype=">u8").astype(np.uint64).reshape(-1, 4)[good]


def _matchable_words_slowly(ids: np.ndarray, columns: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    keys: list[int] = []
    hexes: list[str] = []
    for item_id, column in zip(ids.tolist(), columns, strict=True):
        for hex_hash in pdq.matchable(column):
            keys.append(item_id)
            hexes.append(hex_hash)
    return np.array(keys, dtype=np.int64), words(hexes)


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
