"""Meta's PDQ perceptual hash (256 bits, ThreatExchange) in NumPy, so installing Veil needs no compiler.

PDQ is what hash-sharing programmes exchange, so Veil computes it exactly as
ThreatExchange's reference (``pdq/cpp/hashing/pdqhashing.cpp``) does:

1. luminance ``0.299 R + 0.587 G + 0.114 B`` as floats;
2. two passes of Jarosz box filters along rows then columns, each window
   ``(old + 2·64 − 1) // (2·64)`` wide (a tent-like blur that removes what
   the 64×64 decimation would alias), the windows clipped at the edges;
3. decimation to 64×64 by taking the sample nearest each cell's centre;
4. quality: the sum of the 64×64 buffer's absolute neighbour differences
   (each ``trunc(100·d/255)``), divided by 90, capped at 100 — below about
   50 the picture is too flat for its hash to mean much;
5. the 2-D DCT's 16×16 lowest frequencies *without* the DC term
   (frequencies 1..16 on each axis);
6. bit ``16·i + j`` is set where coefficient ``[i][j]`` exceeds the median
   (the 128th smallest), so about half the bits are set.

The hex encoding is ThreatExchange's: 64 hex digits, the sixteen 16-bit
words from the last (bits 240..255) to the first, so the hex read as one
number has bit *k* at value ``2**k``. The arithmetic is the reference's
float32, step for step in its order (running box sums, term-by-term DCT
sums): flat pictures such as plain gradients have many coefficients on the
median, where a float64 shortcut flips dozens of bits. Vectorised across the
other axis, with one in-place NumPy call per running sum (that loop is the
Python time a picture holds the GIL for, while other import workers decode
and copy), the last column pass only over the 64 columns the decimation
samples, and OpenCV's transposes: a 320×240 picture hashes in 1.3 ms, a
2000×2000 one in 96 ms and 12 bytes a pixel, on a busy machine where the
reference C++ took 1.1 and 315 ms and the step-by-step NumPy code before
6.5 and 289 ms (``benchmarks/bench_pdq.py --speed``), bit for bit the same.

:func:`dihedral_hashes` gives the hashes of the eight rotations and
mirrors from one DCT, by sign flips and a transpose (as ThreatExchange does),
so "find flipped copies too" costs no second pass over the pixels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

BITS = 256
HEX_CHARS = 64
#: ThreatExchange's default match threshold (bits of 256).
DEFAULT_THRESHOLD = 31
#: Below this quality ThreatExchange advises against acting on a match (a flat, featureless picture).
GOOD_QUALITY = 50
MIN_SIDE = 5  # the reference hashes nothing smaller
_SIDE = 64
_LUMA = (0.299, 0.587, 0.114)
_HEX = re.compile("[0-9a-f]{64}")
_add, _subtract = np.add, np.subtract  # looked up once: the box filter calls them per row


@dataclass(frozen=True)
class PdqHash:
    """A picture's PDQ: 64 hex digits and its quality (0..100)."""

    hex: str
    quality: int


def pdq_hash(image: np.ndarray) -> PdqHash:
    """The PDQ hash and quality of an RGB(A) (HxWx3/4) or gray (HxW) uint8 image."""
    dct, quality = _dct16(image)
    return PdqHash(_hex_from_dct(dct), quality)


def dihedral_hashes(image: np.ndarray) -> tuple[PdqHash, ...]:
    """The PDQ of the image and of its seven rotations and mirrors, the original first.

    Order as ThreatExchange's (and ``pdqhash.compute_dihedral``): original,
    turned 90° anticlockwise, 180°, 90° clockwise, mirrored top-bottom,
    mirrored left-right, transposed, anti-transposed. Each equals the hash
    of the transformed picture but for the few bits the reference's
    off-centre box windows move.
    """
    dct, quality = _dct16(image)
    return tuple(PdqHash(_hex_from_dct(variant), quality) for variant in _dihedral(dct))


def distance(a: str, b: str) -> int:
    """Hamming distance between two PDQ hashes in hex (0 = the same picture, about 128 = unrelated)."""
    if len(a) != HEX_CHARS or len(b) != HEX_CHARS:
        raise ValueError("PDQ hashes are 64 hex characters")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def is_pdq(value: object) -> bool:
    """Whether *value* is a PDQ hash as Veil writes it: 64 lowercase hex digits."""
    return isinstance(value, str) and _HEX.fullmatch(value) is not None


def column(hashes: list[PdqHash]) -> str | None:
    """The ``pdq`` column of an item: each keyframe's ``HEX:QUALITY``, separated by spaces (None: no hash)."""
    return " ".join(f"{h.hex}:{h.quality}" for h in hashes) or None


def column_hashes(value: str | None) -> list[PdqHash]:
    """The hashes a ``pdq`` column holds, in order; an entry written without its quality counts as good (a
    hash given by a hash list or a test, not made from a picture here)."""
    found = []
    for entry in (value or "").split():
        hex_hash, _, quality = entry.partition(":")
        if is_pdq(hex_hash):
            found.append(PdqHash(hex_hash, int(quality) if quality.isdigit() else 100))
    return found


def matchable(value: str | None) -> list[str]:
    """The hex of a ``pdq`` column's hashes worth matching: quality :data:`GOOD_QUALITY` or more. A flat frame
    (an all-black video start hashes to zeros at quality 0) would otherwise match every other flat frame."""
    found = []
    for entry in (value or "").split():  # per item of a million-item load: no objects made, one regex
        quality = entry[HEX_CHARS + 1 :]
        if len(entry) > HEX_CHARS and not (entry[HEX_CHARS] == ":" and quality.isdigit()
                                           and int(quality) >= GOOD_QUALITY):
            continue
        if is_pdq(entry[:HEX_CHARS]):
            found.append(entry[:HEX_CHARS])
    return found


# ------------------------------------------------------------------ the steps
def _dct16(image: np.ndarray) -> tuple[np.ndarray, int]:
    luma = _luma(image)
    rows, cols = luma.shape
    if rows < MIN_SIDE or cols < MIN_SIDE:
        raise ValueError(f"PDQ needs a picture at least {MIN_SIDE}x{MIN_SIDE}, got {cols}x{rows}")
    along_rows, along_cols = _window(cols), _window(rows)
    # The box filter runs down axis 0 (each step one contiguous row of the plane), so a pass along the rows runs
    # on the transposed plane; OpenCV transposes (data moved, never rounded) several times faster than NumPy.
    luma = _box(cv2.transpose(_box(cv2.transpose(luma), along_rows)), along_cols)
    across = _box(cv2.transpose(luma), along_rows)  # the second round's row pass, one image column per row
    del luma
    # The last pass filters each column on its own, so only the 64 columns the decimation samples are filtered.
    sampled = _box(cv2.transpose(across[_centres(cols)]), along_cols)
    small = np.ascontiguousarray(sampled[_centres(rows)])
    return _dct(small), _quality(small)


_BAND_ROWS = 128  # rows of luminance weighted at a time: the float64 sums stay small and in cache


def _luma(image: np.ndarray) -> np.ndarray:
    """Luminance as the reference's Python binding makes it: weighted in float64 (red, plus green, plus blue, in
    that order), kept as float32; a band of rows at a time into one float32 plane, so the float64 sums never
    hold the whole picture."""
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        luma = np.empty(array.shape[:2], dtype=np.float32)
        for top in range(0, array.shape[0], _BAND_ROWS):
            band = array[top : top + _BAND_ROWS]
            weighted = np.multiply(band[:, :, 0], _LUMA[0])
            weighted += np.multiply(band[:, :, 1], _LUMA[1])
            weighted += np.multiply(band[:, :, 2], _LUMA[2])
            luma[top : top + _BAND_ROWS] = weighted
        return luma
    if array.ndim == 3 and array.shape[2] == 1:
        return np.asarray(array[:, :, 0], dtype=np.float32)
    if array.ndim == 2:
        return np.asarray(array, dtype=np.float32)
    raise ValueError(f"PDQ needs a gray or RGB image, got shape {array.shape}")


def _window(old: int) -> int:
    return (old + 2 * _SIDE - 1) // (2 * _SIDE)


def _box(values: np.ndarray, window: int) -> np.ndarray:
    """The reference's ``box1DFloat`` along axis 0, every column at once, in its float32 steps and order.

    The mean over ``[o − (w − h), o + h − 1]`` (h = (w + 2) // 2), clipped at the ends, kept as a running
    float32 sum: the same roundings as the C++, so the bits on the median come out the same. Each output row
    holds its window's running sum (the next row's sum starts from it), and every row is divided by its
    window's size in one step at the end: the same float32 divisions as the reference's one by one. One
    in-place NumPy call per sum, on views taken once, because this loop is a picture's whole Python time: it
    holds the GIL, which the other import workers' decoding and copying wait for.
    """
    length = values.shape[0]
    half = (window + 2) // 2
    sums = np.empty_like(values)
    into, taken = list(sums), list(values)  # one view per row, made once
    total = np.zeros(values.shape[1:], dtype=np.float32)
    for read in range(half - 1):
        _add(total, taken[read], total)
    _add(total, taken[half - 1], into[0])
    written = 1
    for read in range(half, window):  # the window grows to its full size
        _add(into[written - 1], taken[read], into[written])
        written += 1
    for read in range(window, length):  # full windows: one in, one out
        now = into[written]
        _add(into[written - 1], taken[read], now)
        _subtract(now, taken[read - window], now)
        written += 1
    for left in range(length - window, length - window + half - 1):  # the window shrinks at the end
        _subtract(into[written - 1], taken[left], into[written])
        written += 1
    sizes = np.full(length, window, dtype=np.float32)
    sizes[: window - half + 1] = np.arange(half, window + 1)
    sizes[length - half + 1 :] = np.arange(window - 1, window - half, -1)
    np.divide(sums, sizes.reshape(-1, *([1] * (values.ndim - 1))), out=sums)
    return sums


def _centres(length: int) -> np.ndarray:
    return ((np.arange(_SIDE) + 0.5) * length / _SIDE).astype(np.int64)


def _quality(small: np.ndarray) -> int:
    down = np.trunc((small[:-1, :] - small[1:, :]) * np.float32(100) / np.float32(255))
    across = np.trunc((small[:, :-1] - small[:, 1:]) * np.float32(100) / np.float32(255))
    gradient = int(np.abs(down).sum() + np.abs(across).sum())
    return min(gradient // 90, 100)


@cache
def _dct_matrix() -> np.ndarray:
    """16×64 float32: frequencies 1..16 (no DC), scaled sqrt(2/64) — a float, times a double cosine, as the
    reference computes it."""
    i = np.arange(1, 17).reshape(16, 1)
    j = np.arange(64).reshape(1, 64)
    scale = float(np.float32(np.sqrt(2.0 / 64.0)))
    matrix: np.ndarray = (scale * np.cos(np.pi / 2 / 64.0 * i * (2 * j + 1))).astype(np.float32)
    return matrix


def _dct(small: np.ndarray) -> np.ndarray:
    """``D · A · Dᵀ`` summed term by term in float32, in the reference's order (NumPy's matmul would not be):
    each stage's 64 products made at once, then added one after another from a zero, in place."""
    matrix = _dct_matrix()
    left = np.zeros((16, 64), dtype=np.float32)
    for term in np.multiply(matrix.T[:, :, None], small[:, None, :]):  # term k: D[:, k] times A[k, :]
        _add(left, term, left)
    result = np.zeros((16, 16), dtype=np.float32)
    for term in np.multiply(left.T[:, :, None], matrix.T[:, None, :]):  # term k: left[:, k] times D[:, k]
        _add(result, term, result)
    return result


def _hex_from_dct(dct: np.ndarray) -> str:
    median = np.sort(dct, axis=None)[127]  # Torben's median of 256 values: the lower one
    bits = (dct > median).astype(np.uint32)
    words = (bits << np.arange(16, dtype=np.uint32)).sum(axis=1)  # word i holds row i, column j at 2**j
    return "".join(f"{int(w):04x}" for w in words[::-1])


def _dihedral(dct: np.ndarray) -> tuple[np.ndarray, ...]:
    """The DCT of each rotation and mirror: frequency u = index + 1 changes sign under a flip when u is odd."""
    odd = (np.arange(16) % 2 == 0).astype(np.float64)  # index i is frequency i + 1
    flip = 1.0 - 2.0 * odd  # -1 where the frequency is odd
    rows, cols = flip.reshape(16, 1), flip.reshape(1, 16)
    mirrored_lr = dct * cols
    mirrored_tb = dct * rows
    half_turn = dct * rows * cols
    transposed = dct.T
    return (dct, mirrored_lr.T, half_turn, mirrored_tb.T, mirrored_tb, mirrored_lr, transposed, half_turn.T)
