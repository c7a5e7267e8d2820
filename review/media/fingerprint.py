"""Fingerprints of media: the exact bytes (SHA-256) and the picture (a DCT perceptual hash).

The importer stores both; duplicate detection compares perceptual hashes
with :func:`phash_distance`, which survives re-encoding and resizing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np

_HASH_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of the file, read in 1 MiB chunks (never whole in memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def perceptual_hash(image: np.ndarray) -> str:
    """64-bit DCT perceptual hash of an RGB (HxWx3) or gray (HxW) image.

    The classic pHash: shrink to 32x32 gray (area averaging, so the result
    does not depend much on the source size), take the 2-D DCT, keep the 8x8
    lowest frequencies and set each bit where a coefficient is above their
    median. Re-encoding or resizing moves a few bits; different pictures
    differ in about half. Returned as 16 hex characters, row-major, first
    coefficient in the most significant bit.
    """
    array = np.asarray(image)
    if array.ndim == 3:
        if array.shape[2] == 4:
            array = array[:, :, :3]
        if array.shape[2] == 3:
            array = cv2.cvtColor(np.ascontiguousarray(array), cv2.COLOR_RGB2GRAY)
        elif array.shape[2] == 1:
            array = array[:, :, 0]
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"perceptual_hash needs a gray or RGB image, got shape {array.shape}")
    small = cv2.resize(
        array.astype(np.float32, copy=False), (32, 32), interpolation=cv2.INTER_AREA
    )
    low = cv2.dct(small)[:8, :8]
    bits = (low > np.median(low)).flatten()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:016x}"


def phash_distance(a: str, b: str) -> int:
    """Hamming distance between two perceptual hashes (0 = same picture)."""
    if len(a) != 16 or len(b) != 16:
        raise ValueError("perceptual hashes are 16 hex characters")
    return (int(a, 16) ^ int(b, 16)).bit_count()
