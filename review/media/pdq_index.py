"""Every PDQ hash within a distance of a query, exhaustively, in about a millisecond at a million hashes.

Multi-index hashing: each 256-bit hash is cut into sixteen 16-bit chunks,
and for each chunk position the hashes are kept sorted by that chunk. Two
hashes at most ``t`` bits apart differ in at most ``t // 16`` bits in at
least one chunk (pigeonhole: were every chunk ``t // 16 + 1`` or more bits
apart, the whole would be at least ``16 · (t // 16 + 1) > t``). So probing
each chunk with its value and every value within ``t // 16`` bits of it
(for the default 31: the value and its 16 one-bit neighbours, 272 probes)
finds every candidate; the full distance is then counted with a popcount
and only those within ``t`` are returned. Nothing is missed, unlike the
old four-band index, which silently lost near copies beyond 3 bits of 64.

Rows added after the sorted part was built sit in an unsorted tail that is
compared whole (a popcount per row) until it is large enough to be worth
sorting; it then becomes sorted segments of its own (at most 262,144 rows
each, small neighbours merged), so adding rows never re-sorts the whole
index, and a look-up searches each segment (four at a million hashes).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np

CHUNKS = 16
#: Beyond this a probe set grows past usefulness (3 bits per chunk: 697 probes a chunk); PDQ matches stop near 70.
MAX_THRESHOLD = 63
_TAIL_SHARE = 16  # the tail is sorted in when it exceeds 1/16 of the sorted part (and 4096 rows)
_MIN_TAIL = 4096
#: The most rows one sorted segment holds: the most a settle ever sorts at once (about 0.4 s).
SEGMENT_ROWS = 1 << 18


@dataclass(frozen=True)
class Found:
    """One indexed hash within the distance: its key (an item's id, a list entry's id) and bits apart."""

    key: int
    distance: int


def words(hexes: Iterable[str]) -> np.ndarray:
    """Hashes in hex as an (n, 4) uint64 array (big-endian, so the words' order is the hex's order)."""
    raw = b"".join(bytes.fromhex(h) for h in hexes)
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 4)


class _Segment:
    """A sorted run of rows: its distinct hashes, the keys of each, and per chunk position the distinct hashes
    in that chunk's order with where each 16-bit value starts (built once, never changed; its arrays may be a
    file's, memory-mapped: :meth:`PdqIndex.arrays`)."""

    NAMES = ("distinct", "members", "member_starts", "orders", "starts")

    def __init__(self, distinct: np.ndarray, members: np.ndarray, member_starts: np.ndarray, orders: np.ndarray,
                 starts: np.ndarray) -> None:
        count = len(distinct)
        if (distinct.dtype != np.uint64 or distinct.shape != (count, 4) or members.dtype != np.int64
                or members.ndim != 1 or member_starts.dtype != np.int64 or member_starts.shape != (count + 1,)
                or orders.dtype != np.int32 or orders.shape != (CHUNKS * count,) or starts.dtype != np.int32
                or starts.shape != (CHUNKS, (1 << 16) + 1)):
            raise ValueError("a PDQ index segment whose arrays do not fit together")
        self.distinct = distinct
        self.members = members  # keys grouped by distinct hash ...
        self.member_starts = member_starts  # ... d's from member_starts[d] to member_starts[d + 1]
        self.orders = orders  # position p's order at [p * distinct, (p + 1) * distinct)
        self.starts = starts  # (16, 65,537): where each chunk value starts
        self.rows = len(members)

    @classmethod
    def build(cls, keys: np.ndarray, hash_words: np.ndarray) -> _Segment:
        """The segment of these rows (each key's hash at the same place)."""
        order = np.lexsort(hash_words.T[::-1])  # equal hashes next to each other
        new = np.zeros(len(order), dtype=bool)  # where a hash differs from the one before it
        new[:1] = True
        for word in range(4):  # a word at a time: a whole load's rows are not copied in order at once
            column = hash_words[order, word]
            new[1:] |= column[1:] != column[:-1]
        distinct = hash_words[order[new]]
        chunks = distinct.astype(">u8").view(">u2").reshape(-1, CHUNKS)
        orders, starts = [], []
        for position in range(CHUNKS):
            column = chunks[:, position].astype(np.uint16)
            orders.append(np.argsort(column, kind="stable").astype(np.int32))
            starts.append(np.concatenate([[0], np.cumsum(np.bincount(column, minlength=1 << 16))]))
        return cls(distinct, keys[order].astype(np.int64), np.append(np.flatnonzero(new), len(order)).astype(np.int64),
                   np.concatenate(orders).astype(np.int32), np.stack(starts).astype(np.int32))

    def key_words(self) -> tuple[np.ndarray, np.ndarray]:
        """(keys, hashes as words) of every row, grouped by hash: what a merge with a neighbour sorts again."""
        return self.members, np.repeat(self.distinct, np.diff(self.member_starts), axis=0)

    def search(self, query: np.ndarray, threshold: int) -> tuple[np.ndarray, np.ndarray]:
        """(keys, distances) of the segment's rows within *threshold* of *query*: by distinct hash, so 50,000
        items showing one picture cost one comparison, not 50,000."""
        distinct = self._candidates(query, threshold // CHUNKS)
        apart = np.bitwise_count(self.distinct[distinct] ^ query).sum(axis=1, dtype=np.int64)
        near, near_apart = distinct[apart <= threshold], apart[apart <= threshold]
        starts, ends = self.member_starts[near], self.member_starts[near + 1]
        lengths = ends - starts
        members = self.members[np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
                               + np.arange(int(lengths.sum()))]
        return members, np.repeat(near_apart, lengths)

    def _candidates(self, query: np.ndarray, radius: int) -> np.ndarray:
        """Distinct hashes whose chunk at some position is within *radius* bits of the query's: all positions
        and probes at once (one gather, no Python loop over the 272 probes)."""
        count = len(self.distinct)
        chunks = query.astype(">u8").view(">u2").astype(np.int64)  # 16 chunks in hex order
        probes = chunks[:, None] ^ _flips(radius)[None, :]  # (16, probes per chunk)
        positions = np.arange(CHUNKS)[:, None]
        starts = self.starts[positions, probes].ravel().astype(np.int64)
        lengths = self.starts[positions, probes + 1].ravel() - starts
        total = int(lengths.sum())
        if not total:
            return np.zeros(0, dtype=np.int64)
        offsets = (np.arange(CHUNKS) * count)[:, None].repeat(probes.shape[1], axis=1).ravel()
        found = self.orders[np.repeat(offsets + starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)]
        if total < count // 64:
            return np.unique(found).astype(np.int64)
        seen = np.zeros(count, dtype=bool)  # many candidates: a bitmap is faster than sorting them
        seen[found] = True
        return np.flatnonzero(seen)


class PdqIndex:
    """An in-memory multi-index of PDQ hashes, each with an integer key (several hashes may share one key).

    Only the tail keeps each row's key and hash as given; a sorted segment keeps its keys beside its distinct
    hashes, so a million rows are not held twice."""

    def __init__(self) -> None:
        self._segments: list[_Segment] = []
        self._tail: list[tuple[np.ndarray, np.ndarray]] = []  # (keys, words) batches added since the last settle
        self._sorted_rows = 0  # rows in segments

    def __len__(self) -> int:
        return self._sorted_rows + sum(len(keys) for keys, _ in self._tail)

    def add(self, keys: Iterable[int], hexes: Iterable[str], *, settle: bool = True) -> None:
        """Index each hash of *hexes* under the key at the same place in *keys*; *settle* False leaves them in
        the tail until :meth:`settle` (a load in batches sorts once, at its end)."""
        self.add_words(np.fromiter(keys, dtype=np.int64), words(hexes), settle=settle)

    def add_words(self, keys: np.ndarray, hash_words: np.ndarray, *, settle: bool = True) -> None:
        """:meth:`add` for hashes already as :func:`words` (a million-item load makes no string per hash)."""
        if len(keys) != len(hash_words):
            raise ValueError("one key for each hash")
        if len(keys):
            self._tail.append((keys.astype(np.int64, copy=False),
                               hash_words.astype(np.uint64, copy=False).reshape(-1, 4)))
        if settle:
            self.settle()

    def settle(self) -> None:
        """Sort the tail into segments once it is worth it (past 4,096 rows and a sixteenth of the sorted part).

        Only the tail is sorted, in segments of at most :data:`SEGMENT_ROWS`; the last two segments are merged
        while the newer is at least half the older and together they fit one, so a look-up searches a few
        segments and no settle ever re-sorts more than one segment's rows.
        """
        keys, hash_words = self._tail_rows()
        if len(keys) <= max(_MIN_TAIL, self._sorted_rows // _TAIL_SHARE):
            return
        for start in range(0, len(keys), SEGMENT_ROWS):
            self._segments.append(_Segment.build(keys[start : start + SEGMENT_ROWS],
                                                 hash_words[start : start + SEGMENT_ROWS]))
            while len(self._segments) > 1:
                older, newer = self._segments[-2], self._segments[-1]
                if newer.rows * 2 < older.rows or older.rows + newer.rows > SEGMENT_ROWS:
                    break
                (older_keys, older_words), (newer_keys, newer_words) = older.key_words(), newer.key_words()
                self._segments[-2:] = [_Segment.build(np.concatenate([older_keys, newer_keys]),
                                                      np.concatenate([older_words, newer_words]))]
        self._tail = []
        self._sorted_rows += len(keys)

    def _tail_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """The tail as one pair of arrays (its batches joined once, when next needed: a load adds hundreds)."""
        if len(self._tail) > 1:
            self._tail = [(np.concatenate([k for k, _ in self._tail]), np.concatenate([w for _, w in self._tail]))]
        return self._tail[0] if self._tail else (np.zeros(0, dtype=np.int64), np.zeros((0, 4), dtype=np.uint64))

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(keys, hashes as words) of every indexed row, in no order."""
        pairs = [segment.key_words() for segment in self._segments] + [self._tail_rows()]
        if not self._segments:
            return pairs[0]  # the tail alone: no copy of a whole load's rows
        return np.concatenate([k for k, _ in pairs]), np.concatenate([w for _, w in pairs])

    def compact(self) -> None:
        """Every row into one sorted segment: what a saved index keeps, so a look-up touches one set of chunk
        tables (4 MB each) and not one a segment (a sort of every row: for a background save, not a look-up)."""
        keys, hash_words = self.rows()
        self._segments, self._tail = [], []  # let go of the old segments before the sort's own arrays
        if len(keys):
            self._segments = [_Segment.build(keys, hash_words)]
        self._sorted_rows = len(keys)

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything the index holds as named arrays, for a file (:meth:`from_arrays` makes it again)."""
        named = {f"segment{n}.{name}": getattr(segment, name)
                 for n, segment in enumerate(self._segments) for name in _Segment.NAMES}
        named["tail.keys"], named["tail.words"] = self._tail_rows()
        return named

    @classmethod
    def from_arrays(cls, named: dict[str, np.ndarray]) -> PdqIndex:
        """The index :meth:`arrays` gave (perhaps memory-mapped from a file); ValueError when they do not fit."""
        index = cls()
        count = sum(1 for name in named if name.endswith(".starts"))
        try:
            index._segments = [_Segment(*(named[f"segment{n}.{name}"] for name in _Segment.NAMES))
                               for n in range(count)]
            tail_keys, tail_words = named["tail.keys"], named["tail.words"]
        except KeyError as missing:
            raise ValueError(f"a PDQ index without {missing}") from None
        if (tail_keys.dtype != np.int64 or tail_words.dtype != np.uint64 or tail_keys.ndim != 1
                or tail_words.shape != (len(tail_keys), 4)):
            raise ValueError("a PDQ index whose tail does not fit together")
        index._sorted_rows = sum(segment.rows for segment in index._segments)
        index._tail = [(tail_keys, tail_words)] if len(tail_keys) else []
        return index

    def search(self, hex_hash: str, threshold: int) -> list[Found]:
        """Every indexed hash at most *threshold* bits from *hex_hash*, nearest first (then by key)."""
        keys, distances = self.search_arrays(hex_hash, threshold)
        return [Found(key, bits) for bits, key in sorted(zip(distances.tolist(), keys.tolist(), strict=True))]

    def search_arrays(self, hex_hash: str, threshold: int) -> tuple[np.ndarray, np.ndarray]:
        """(keys, distances) of every indexed hash at most *threshold* bits from *hex_hash*, in no order."""
        if not 0 <= threshold <= MAX_THRESHOLD:
            raise ValueError(f"the PDQ threshold is from 0 to {MAX_THRESHOLD} bits")
        query = words([hex_hash])[0]
        found = [segment.search(query, threshold) for segment in self._segments]
        tail_keys, tail_words = self._tail_rows()
        tail_apart = np.bitwise_count(tail_words ^ query).sum(axis=1, dtype=np.int64)
        near = tail_apart <= threshold
        return (np.concatenate([*(k for k, _ in found), tail_keys[near]]).astype(np.int64),
                np.concatenate([*(d for _, d in found), tail_apart[near]]).astype(np.int64))


@cache
def _flips(radius: int) -> np.ndarray:
    """Every 16-bit mask of at most *radius* bits (XOR them into a chunk to get its neighbours)."""
    masks = [0]
    for bits in range(1, radius + 1):
        masks.extend(sum(1 << b for b in chosen) for chosen in itertools.combinations(range(16), bits))
    return np.array(masks, dtype=np.int64)  # cached: the same few arrays serve every search
