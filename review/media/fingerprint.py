"""Fingerprints of content as the industry shares them: MD5 and SHA-256 of the bytes, SHA-256 of normal text.

Pictures get PDQ (:mod:`review.media.pdq`). Hash lists from other
platforms name files by MD5 or SHA-256, so both are taken in one read of
the file; texts by a SHA-256 of their normal form, so a copy that differs
only in case, compatibility characters or spacing is the same text.
"""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

_HASH_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of the file, read in 1 MiB chunks (never whole in memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_digests(path: Path) -> tuple[str, str]:
    """(MD5, SHA-256) of the file in hex, from one read in 1 MiB chunks."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha256 = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            md5.update(chunk)
            sha256.update(chunk)
    return md5.hexdigest(), sha256.hexdigest()


def normal_text(text: str) -> str:
    """The text as compared: Unicode NFKC, case-folded, every run of whitespace one space, no outer spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def text_sha256(text: str) -> str:
    """Hex SHA-256 of the text's normal form (UTF-8): what hash lists of texts and "seen before" compare."""
    return hashlib.sha256(normal_text(text).encode("utf-8")).hexdigest()
