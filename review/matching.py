"""What the team has already decided about given files or texts: the look-up behind ``veil match``.

Each file is inspected and hashed as an import would (:func:`review.media.intake.inspect`: MD5, SHA-256,
PDQ of each keyframe and its quality); a text is hashed in its normal form. Its matches are the store's
decided items with the same SHA-256 (distance 0) or a PDQ within the organisation's threshold — and with
*dihedral*, within it of any of the picture's eight turns and mirrors. Hashes below quality 50 (flat
pictures, black frames) are not matched (:func:`review.media.pdq.matchable`). Each match says the item and
its current decision, never anything of its pixels. ``source`` is ``"store"``; hash lists (issue 20, part 3)
will add ``"list"`` matches with their list and tag in the same shape.

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
from review.media import MediaError, intake, pdq
from review.media.fingerprint import text_sha256
from review.media.identify import IMAGE_MIMES
from review.store import Store, User, hashes

ROLES = ("moderator", "lead")


@dataclass(frozen=True)
class Match:
    """One known copy: where it was found, which item (or list entry), how many bits apart, what was done."""

    source: str  # "store" (an item decided here); "list" with hash lists
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
    queries = pdq.matchable(info.pdq)
    if dihedral and info.mime in IMAGE_MIMES and queries:  # a picture too small or flat has nothing to turn
        try:
            queries = [h.hex for h in intake.turned_hashes(path, info.mime) if h.quality >= pdq.GOOD_QUALITY]
        except (ValueError, OSError) as exc:
            raise MediaError(f"cannot turn the picture: {exc}") from None
    hexes = [h.hex for h in pdq.column_hashes(info.pdq)]
    return Looked(str(path), None, info.md5, info.sha256, " ".join(hexes) or None, info.pdq_quality,
                  _store_matches(store, info.sha256, queries, lead, audit_states))


def match_text(store: Store, who: User, text: str, *, audit_states: AuditStates) -> Looked:
    """The text's normal-form SHA-256 and the store's decided items with the same text (moderators, leads)."""
    lead = require(store, who, *ROLES, to="look up content").has("lead")
    sha256 = text_sha256(text)
    return Looked(None, text, None, sha256, None, None, _store_matches(store, sha256, [], lead, audit_states))


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
