"""What the desk shows of an item's known content beside "Seen before": list matches, its case, a suggestion.

Looked up with the item, off the GUI thread (:meth:`review.desk.ReviewDesk` builds ``Shown``). Only names,
tags, counts and distances: never anything of a matched item's or list entry's pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

from review.serving import Item
from review.store import Store, User, reads


@dataclass(frozen=True)
class ListMatch:
    """The item's content is on a hash list: which list, the entry's tag, how far (bits; 0 exact), its action."""

    list: str
    signal_type: str  # pdq, md5, sha256 or text
    distance: int
    tag: str | None = None
    action: str | None = None


@dataclass(frozen=True)
class CaseFacts:
    """The case the item belongs to: how many reports of the same content it gathers, how many still open."""

    case_id: int
    reports: int
    open_reports: int
    decided_action: str | None = None


@dataclass(frozen=True)
class Suggestion:
    """A decision a routing rule or a list suggests (or would have made, were its automation not suspended)."""

    action: str
    labels: tuple[str, ...]
    rule: str  # a rule's name, or "list:NAME"
    version: int


@dataclass(frozen=True)
class Known:
    """Everything above for one item; empty when nothing is known."""

    list_matches: tuple[ListMatch, ...] = ()
    case: CaseFacts | None = None
    suggestion: Suggestion | None = None


def known(store: Store, who: User, item: Item) -> Known:
    """What is known of *item*'s content, as *who* may see it (one short read per part, in one round trip)."""
    return reads.run(store.db, known_read(who, item))


def known_read(who: User, item: Item) -> reads.Read[Known]:
    """:func:`known` as a look-up that may share a round trip."""
    from review.known import automation, cases, list_matching  # they build these classes: imported here, no cycle

    if not (who.has("moderator") or who.has("lead")):  # a blind auditor would learn from any of it what was decided
        return reads.known(Known())
    return reads.gathered([list_matching.for_desk(who, item.id), cases.facts_read(item.case_id),
                           automation.suggestion_for_read(item.id, item.state)], lambda parts: Known(*parts))
