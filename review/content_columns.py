"""An item row's content and PDQ columns as the content index keeps them: 64-bit content keys and PDQ words.

A load turns 100,000 rows at a time into arrays with no Python call per row
or hash (:func:`content_keys`, :func:`matchable_words`): every second of
Python holds the interpreter, and the GUI thread waits for it. Text not as
Veil writes it sends its batch through the per-row parsers
(:func:`content_key`, :func:`review.media.pdq.matchable`), so the answer is
the same either way.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence

import numpy as np

from review.media import pdq
from review.media.pdq_index import words


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
