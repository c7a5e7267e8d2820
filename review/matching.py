"""What the team has already decided about given files or texts: the look-up behind ``veil match``.

Each file is inspected and hashed as an import would (:func:`review.media.intake.inspect`: MD5, SHA-256,
PDQ of each keyframe and its quality); a text is hashed in its normal form. Its matches are the store's
decided items with the same SHA-256 (distance 0) or a PDQ within the organisation's threshold — and with
*dihedral*, within it of any of the picture's eight turns and mirrors. Hashes below quality 50 (flat
pictures, black frames) are not matched (:func:`review.media.pdq.matchable`). Each match says the item and
its current decision, never anything of its pixels. ``source`` is ``"store"`` for those; the hash lists'
entries add ``"list"`` matches (``item_id`` null) with their list, tag and the list's action: an exact MD5,
SHA-256 or text entry at distance 0, a PDQ entry within the threshold (a ``--dihedral`` list, or any list
when *dihedral* is asked, of the picture's turns and mirrors too; :mod:`review.known.list_index`).

Who may ask: moderators and leads (an auditor would learn decisions it is meant to audit blind). A
moderator is not told of an item whose current decision is in an open QA sample (the *audit_states* hook
from the audit domain, as for "My decisions": review never reads audit tables); a lead sees every match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from review import content_index, near_copies
from review.auth import require
from review.corrections import AuditStates
from review.known import list_index
from review.media import MediaError, intake, pdq
from review.media.fingerprint import text_sha256
from review.media.identify import IMAGE_MIMES
from review.store import Store, User, hashes, hashlists

ROLES = ("moderator", "lead")


@dataclass(frozen=True)
class Match:
    """One known copy: where it was found, which item (or list entry), how many bits apart, what was done."""

    source: str  # "store" (an item decided here) or "list" (an entry of a hash list)
    item_id: int | None
    distance: int
    action: str | None
    list: str | None = None
    tag: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "list": self.list, "tag": self.tag, "item_id": self.item_id,
                "distance": self.distance, "action": self.action}


@dataclass(frozen=True)
class Looked:
    """One input's hashes and its matches, nearest first."""

    path: str | None
    text: str | None
    md5: str | None
    sha256: str
    pdq: str | None  # hex, a video's keyframes separated by spaces
    quality: int | None  # the lowest keyframe's
    matches: list[Match] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"path": self.path} if self.text is None else {"text": self.text}
        return {**shown, "pdq": self.pdq, "quality": self.quality, "md5": self.md5, "sha256": self.sha256,
                "matches": [m.as_json() for m in self.matches]}


def match_file(store: Store, who: User, path: Path, *, audit_states: AuditStates, dihedral: bool = False) -> Looked:
    """The file's hashes and the store's decided copies of it; MediaError when the file is not usable media.
    NotAllowed unless *who* is a moderator or a lead."""
    lead = require(store, who, *ROLES, to="look up content").has("lead")
    info = intake.inspect(path)
    plain = queries = pdq.matchable(info.pdq)
    lists = list_index.current(store)
    turn = dihedral or bool(lists.dihedral_pdq)
    if turn and info.mime in IMAGE_MIMES and queries:  # a picture too small or flat has nothing to turn
        try:
            turned = [h.hex for h in intake.turned_hashes(path, info.mime) if h.quality >= pdq.GOOD_QUALITY]
        except (ValueError, OSError) as exc:
            raise MediaError(f"cannot turn the picture: {exc}") from None
        queries = turned if dihedral else plain
        plain = turned if dihedral else plain + turned[1:]
    hexes = [h.hex for h in pdq.column_hashes(info.pdq)]
    found = _store_matches(store, info.sha256, queries, lead, audit_states)
    found += _list_matches(store, lists, [("sha256", info.sha256), ("md5", info.md5)], plain,
                           turned_from=len(queries) if not dihedral else None)
    return Looked(str(path), None, info.md5, info.sha256, " ".join(hexes) or None, info.pdq_quality,
                  _nearest_first(found))


def match_text(store: Store, who: User, text: str, *, audit_states: AuditStates) -> Looked:
    """The text's normal-form SHA-256 and the store's decided items with the same text (moderators, leads)."""
    lead = require(store, who, *ROLES, to="look up content").has("lead")
    sha256 = text_sha256(text)
    found = _store_matches(store, sha256, [], lead, audit_states)
    found += _list_matches(store, list_index.current(store), [("text", sha256)], [])
    return Looked(None, text, None, sha256, None, None, _nearest_first(found))


def _list_matches(store: Store, lists: list_index.Loaded, exact: list[tuple[str, str]], pdq_hashes: list[str],
                  *, turned_from: int | None = None) -> list[Match]:
    """Entries of the hash lists with one of the *exact* (signal type, signal) pairs, or a PDQ within the
    threshold of one of *pdq_hashes*; those from *turned_from* on are turns, which match only dihedral lists."""
    found = [Match("list", None, 0, action, name, tag) for signal_type, signal in exact
             for name, tag, action in hashlists.exact_lookup(store, signal_type, signal)]
    if not lists.has_pdq or not pdq_hashes:
        return found
    nearest: dict[int, int] = {}
    for position, hex_hash in enumerate(pdq_hashes):
        entries, bits = lists.index.search_arrays(hex_hash, near_copies.threshold(store))
        shown = lists.published(entries)
        in_lists = lists.lists_of(entries)
        for entry_id, in_list, apart in zip(entries[shown].tolist(), in_lists[shown].tolist(), bits[shown].tolist(),
                                            strict=True):
            turned = turned_from is not None and position >= turned_from
            if turned and in_list not in lists.dihedral_pdq:
                continue
            nearest[entry_id] = min(apart, nearest.get(entry_id, apart))
    facts = hashlists.pdq_entry_facts(store, list(nearest))
    return found + [Match("list", None, apart, facts[entry_id][2], facts[entry_id][0], facts[entry_id][1])
                    for entry_id, apart in nearest.items() if entry_id in facts]


def _nearest_first(found: list[Match]) -> list[Match]:
    return sorted(found, key=lambda m: (m.distance, m.source == "list", m.item_id or 0, m.list or "", m.tag or ""))


def _store_matches(store: Store, sha256: str, pdq_hashes: list[str], lead: bool,
                   audit_states: AuditStates) -> list[Match]:
    found = content_index.copies(store, sha256, pdq_hashes, near_copies.threshold(store))
    decided = found.actions >= 0
    matches = [Match("store", item_id, bits, found.names[code]) for item_id, bits, code in
               sorted(zip(found.ids[decided].tolist(), found.bits[decided].tolist(), found.actions[decided].tolist(),
                          strict=True), key=lambda m: (m[1], m[0]))]
    if lead or not matches:
        return matches
    current = hashes.current_decision_ids(store, [m.item_id for m in matches if m.item_id is not None])
    states = audit_states(store, list(current.values()))
    blind = {item_id for item_id, decision_id in current.items() if states.get(decision_id) == "open"}
    return [m for m in matches if m.item_id not in blind]
