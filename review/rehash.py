"""Rehashing a store's media after m019: MD5 and PDQ for every media item imported with the old hash.

A lead runs it (``veil rehash``); it reads each media item's file again
through :func:`review.media.intake.inspect` (the same checks and hashes as an
import), a batch at a time, each batch one transaction with its
``media.rehashed`` event naming its items, which the in-memory PDQ indexes
follow (they index those items alone; nothing is rebuilt). It can be stopped
(Ctrl+C) and run again: every finished batch is stored and logged, and the
next run picks up the items still without an MD5. Items without a SHA-256
(gold copies, hashless on purpose) are never touched. An item whose file is missing, unreadable
or no longer the bytes it was imported with (another SHA-256) keeps only its
SHA-256 and is reported, each run, so a lead can put the file back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from review.auth import require
from review.media import MediaError, intake
from review.store import Store, User, hashes

BATCH = 200


@dataclass
class Rehashed:
    """What a run did: items hashed, and (item id, why) of each that kept only its SHA-256."""

    hashed: int = 0
    unreadable: list[tuple[int, str]] = field(default_factory=list)


def rehash(store: Store, who: User, *, progress: Callable[[int, int], object] = lambda done, total: None,
           batch: int = BATCH) -> Rehashed:
    """Hash every media item that has no MD5 yet; *progress(done, total)* after each batch. A lead's work."""
    lead = require(store, who, "lead", to="rehash the store's media")
    total = hashes.count_unhashed(store)
    done = Rehashed()
    after = seen = 0
    while rows := hashes.unhashed(store, after, batch):
        found: list[tuple[str, str | None, int | None, int]] = []
        unreadable = len(done.unreadable)
        for item_id, path, imported_sha256 in rows:
            try:
                info = intake.inspect(path)
            except (MediaError, OSError) as exc:
                done.unreadable.append((item_id, str(exc) or type(exc).__name__))
                continue
            if info.sha256 != imported_sha256:
                done.unreadable.append((item_id, "the file's bytes changed since it was imported"))
                continue
            found.append((info.md5, info.pdq, info.pdq_quality, item_id))
        hashes.record(store, lead.name, found, len(done.unreadable) - unreadable)
        done.hashed += len(found)
        after, seen = rows[-1][0], seen + len(rows)
        progress(seen, total)
    return done
