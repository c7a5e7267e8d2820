""""Seen before": what the team decided on copies of an item, and the organisation's PDQ threshold.

A copy is an item with the same SHA-256 (bytes, or the text's normal form)
or a PDQ hash within ``pdq_threshold`` bits of one of the item's (default 31
of 256, ThreatExchange's default; a lead changes it). Every copy within it is
found (:mod:`review.media.pdq_index`: exhaustive, no banding) and counted
from the in-memory :mod:`review.content_index`, so an item with 50,000
earlier copies answers in milliseconds. Hashes below quality 50 (a flat
picture, a black first frame) match nothing: every flat frame hashes alike.

The setting stops at 47 bits: up to 31 a look-up probes one bit per 16-bit
chunk (about 1 ms at a million hashes), from 32 two bits (14-25 ms), from 48
three (about 60 ms, and unrelated pictures start to match near 70).

The desk's look-up never waits for the index to load (4.5 s at a million
decided items): while it loads, "Seen before" is *pending* and the screen
says it is still being looked up (a page may ask again on a reader with *wait*).
"""

from __future__ import annotations

from review import content_index, settings
from review.media import pdq
from review.store import Store, reads

#: The highest threshold a lead may set: beyond it each look-up probes three bits per chunk (about 60 ms).
MAX_SETTING = 47


def _checked(value: int) -> int:
    if isinstance(value, bool) or not 0 <= value <= MAX_SETTING:
        raise ValueError(f"the PDQ threshold is a whole number of bits from 0 to {MAX_SETTING}")
    return value


THRESHOLD = settings.declare(
    "pdq_threshold", settings.ORGANISATION, int, pdq.DEFAULT_THRESHOLD, changed_by="lead", check=_checked,
    describe="How many of PDQ's 256 bits two pictures may differ in and still count as the same content "
             "(\"seen before\", veil match); 31 is ThreatExchange's default. Every stored hash within it is found. "
             "Up to 31 a look-up takes about 1 ms at a million hashes; 32-47 about 15-25 ms.")


def threshold(store: Store) -> int:
    """The organisation's PDQ threshold in bits."""
    return reads.run(store.db, threshold_read())


def threshold_read() -> reads.Read[int]:
    """:func:`threshold` as a look-up that may share a round trip."""
    return reads.then(settings.value_read(THRESHOLD), int)


class SeenBefore(dict[str, int]):
    """The current decisions per action on the same content elsewhere (``{"remove": 3}``) and ``bits``: how
    many PDQ bits the nearest decided copy is from this picture (0 for the same bytes or text; None when no
    copy is decided). Only counts and a distance: never anything of the copies' pixels.

    ``pending``: not known yet (the index is still loading; no counts): never to be read as "not seen"."""

    def __init__(self, counts: dict[str, int] | None = None, bits: int | None = None, *,
                 pending: bool = False) -> None:
        super().__init__(sorted((counts or {}).items(), key=lambda kv: (-kv[1], kv[0])))
        self.bits = bits
        self.pending = pending


def are_copies(store: Store, first: tuple[str | None, str | None], second: tuple[str | None, str | None]) -> bool:
    """Whether two items, each given as (SHA-256, ``pdq`` column), are the same content as "Seen before" counts
    it: the same SHA-256, or a matchable PDQ hash of one within the organisation's threshold of one of the
    other's (a video's keyframes each)."""
    if first[0] is not None and first[0] == second[0]:
        return True
    theirs = pdq.matchable(second[1])
    if not theirs:
        return False
    bits = threshold(store)
    return any(pdq.distance(mine, other) <= bits for mine in pdq.matchable(first[1]) for other in theirs)


def seen_before(store: Store, item_id: int, sha256: str | None, pdq_column: str | None, *,
                wait: bool = False, bits: int | None = None) -> SeenBefore:
    """What the team decided on the copies of item *item_id* (its SHA-256 and ``pdq`` column given), within
    *bits* (None: the organisation's :func:`threshold`, read now).

    Without *wait* (the desk, inside a claim) a look-up never waits for the index to load: it is then
    ``pending`` (and a load is under way in the background); with *wait* (a second asking on a reader) it
    waits and is exact."""
    found = content_index.copies(store, sha256, pdq.matchable(pdq_column), threshold(store) if bits is None else bits,
                                 besides=item_id, wait=wait)
    if found is None:
        return SeenBefore(pending=True)
    return SeenBefore(found.counts(), found.nearest_decided())
