"""Matching items against every hash list: at intake, for the store's pending items after a list import, and
what the desk and the rules read back.

At intake (:func:`match_items`, the first step of :mod:`review.known.intake`) a chunk of new items is
matched in a few statements whatever its size: one SQL statement finds every exact match (a file's MD5 or
SHA-256, a text's normal-form SHA-256) through the entries' signal index; one reads the chunk's PDQ
columns, and each keyframe hash of quality 50 or more is looked up within the organisation's threshold
(:func:`review.near_copies.threshold`) in the in-memory index of the lists' PDQ entries
(:mod:`review.known.list_index`). A list made ``--dihedral`` also matches each still picture's eight turned
and mirrored hashes, only when such a list has published PDQ entries. They are computed when the picture is
inspected, outside any transaction (an import's media check calls :func:`inspected` in its worker threads after
:func:`prepare_turns`; matching pending items turns a chunk's pictures before its transaction) and
kept by the file's SHA-256 until intake reads them; only an item added another way (the demo) is turned at
intake, reading its file again. The matches are kept in
``list_matches`` (nearest first per item and entry). Acting on them is a second intake step
(:func:`act_on_matches`, after the items have joined their cases, so an automated list decides only a case's
lead and the case's reports follow it): each list with an action hands its matched items to
:func:`review.known.automation.apply` as rule ``list:NAME`` at the list's version: decided when the list is
automated, else suggested. With no list in the store a chunk costs one row read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import numpy as np

from review import near_copies
from review.known import automation, list_index
from review.known.facts import ListMatch
from review.media import MediaError, intake, pdq, source
from review.media.identify import IMAGE_MIMES
from review.store import Store, User, hashlists, reads

#: Pictures whose turned hashes are kept between their inspection and their intake (a few MB).
TURNED_KEPT = 20_000
_TURNED_LOCK = threading.Lock()
_TURNED: OrderedDict[str, tuple[str, ...]] = OrderedDict()  # file SHA-256 -> matchable hashes of its 7 turns
_TURNS_WANTED = False  # set by prepare_turns before an import's media check

#: Roles that see list matches on the desk (a blind auditor must not learn from them what a decision was).
SEEING_ROLES = ("moderator", "lead")


def match_items(store: Store, item_ids: Sequence[int], *, actor: str, list_id: int | None = None,
                since_version: int = 0, act: bool = True) -> int:
    """Match *item_ids* against every list (or only *list_id*'s entries from *since_version* on) and record the
    matches; with *act*, hand each list's matched items to automation at once (matching pending items after an
    import; intake acts in its own later step, :func:`act_on_matches`). Inside the caller's transaction."""
    if not item_ids:
        return 0
    loaded = list_index.current(store)
    if not loaded.lists or (list_id is not None and list_id not in loaded.lists):
        return 0
    wanted = set(item_ids)
    low, high = min(wanted), max(wanted)
    found: dict[tuple[int, int], tuple[int, int]] = {}  # (item, entry) -> (list, distance)
    for item_id, entry_id, in_list in hashlists.exact_matches(store, low, high, list_id=list_id,
                                                              since_version=since_version):
        if item_id in wanted:
            found[item_id, entry_id] = (in_list, 0)
    if loaded.has_pdq:
        _pdq_matches(store, loaded, wanted, low, high, found, list_id, since_version)
    rows = [(item_id, entry_id, in_list, bits) for (item_id, entry_id), (in_list, bits) in sorted(found.items())]
    recorded = hashlists.record_matches(store, rows)
    if act:
        _act(store, loaded, rows, actor)
    return recorded


def record_at_intake(store: Store, item_ids: Sequence[int], *, actor: str) -> None:
    """Intake's first step: record the chunk's list matches (cases and rules read them)."""
    match_items(store, item_ids, actor=actor, act=False)


def act_on_matches(store: Store, item_ids: Sequence[int], *, actor: str) -> None:
    """Intake's step after cases: each list with an action acts on the chunk's items it matched (one read of the
    matches just recorded; nothing when the store has no list with an action)."""
    if not item_ids:
        return
    loaded = list_index.current(store)
    if not any(facts.action for facts in loaded.lists.values()):
        return
    wanted = set(item_ids)
    _act(store, loaded, [row for row in hashlists.recorded_matches(store, min(wanted), max(wanted))
                         if row[0] in wanted], actor)


def prepare_turns(store: Store) -> None:
    """Before an import: bring the lists' index up to date (outside any transaction) and note whether its media
    check should hash pictures' turns: only while a dihedral list has published PDQ entries. One flag for the
    process (a desk or a command has one store open; a miss only means the turn is read again at intake)."""
    global _TURNS_WANTED
    _TURNS_WANTED = bool(list_index.current(store).dihedral_pdq)


def inspected(path: Path, info: intake.MediaInfo) -> intake.MediaInfo:
    """In a media check's worker thread, given a file's inspection: when :func:`prepare_turns` found a dihedral
    list, hash a still picture's seven turns and mirrors and keep them by its SHA-256 for intake. *info* as it
    came (a picture that cannot be turned is left out: intake then turns it, or fails the same)."""
    if not _TURNS_WANTED or info.mime not in IMAGE_MIMES:
        return info
    try:
        turned = intake.turned_hashes(path, info.mime)
    except (MediaError, OSError, ValueError):
        return info
    _remember(info.sha256, tuple(h.hex for h in turned[1:] if h.quality >= pdq.GOOD_QUALITY))
    return info


def _remember(sha256: str, hexes: tuple[str, ...]) -> None:
    with _TURNED_LOCK:
        _TURNED[sha256] = hexes
        _TURNED.move_to_end(sha256)
        while len(_TURNED) > TURNED_KEPT:
            _TURNED.popitem(last=False)


def turn_ahead(store: Store, item_ids: Sequence[int]) -> None:
    """Before a transaction that matches *item_ids* against a dihedral list: turn their still pictures not yet
    turned, so the transaction only looks them up."""
    for _, column, media_path, mime, sha256 in hashlists.item_pictures(store, min(item_ids), max(item_ids)):
        if media_path and mime in IMAGE_MIMES and sha256 and pdq.matchable(column) and sha256 not in _TURNED:
            _remember(sha256, tuple(_read_turned(store, media_path)))


def _pdq_matches(store: Store, loaded: list_index.Loaded, wanted: set[int], low: int, high: int,
                 found: dict[tuple[int, int], tuple[int, int]], list_id: int | None, since_version: int) -> None:
    threshold = near_copies.threshold(store)
    dihedral = loaded.dihedral_pdq if list_id is None else loaded.dihedral_pdq & {list_id}
    for item_id, column, media_path, mime, sha256 in hashlists.item_pictures(store, low, high):
        if item_id not in wanted:
            continue
        queries = [(h, False) for h in pdq.matchable(column)]
        if dihedral and queries and media_path and mime in IMAGE_MIMES:
            queries += [(h, True) for h in _turned(store, media_path, sha256)]
        for hex_hash, turned in queries:
            entries, bits = loaded.index.search_arrays(hex_hash, threshold)
            lists = loaded.lists_of(entries)
            keep = loaded.published(entries)
            if list_id is not None:
                keep &= (lists == list_id) & (loaded.versions_of(entries) >= since_version)
            if turned:
                keep &= np.isin(lists, list(dihedral))
            for entry_id, in_list, apart in zip(entries[keep].tolist(), lists[keep].tolist(), bits[keep].tolist(),
                                                strict=True):
                before = found.get((item_id, entry_id))
                if before is None or apart < before[1]:
                    found[item_id, entry_id] = (in_list, apart)


def _turned(store: Store, media_path: str, sha256: str | None) -> list[str]:
    """The matchable hashes of a still picture's seven turns and mirrors: as kept when it was inspected, else read
    from its media now (an item added other than by an import's media check)."""
    with _TURNED_LOCK:
        kept = _TURNED.get(sha256) if sha256 else None
    return list(kept) if kept is not None else _read_turned(store, media_path)


def _read_turned(store: Store, media_path: str) -> list[str]:
    """The turns' matchable hashes read from the item's media; none when it cannot be read again (it was checked
    at import: a damaged blob since is another command's to say)."""
    try:
        with source.open_media(store, media_path) as media:
            # turned_hashes opens its argument with Pillow, which reads a stream as well as a path.
            turned = intake.turned_hashes(cast("Path", media.rewound()), media.mime)
    except (MediaError, OSError, ValueError):
        return []
    return [h.hex for h in turned[1:] if h.quality >= pdq.GOOD_QUALITY]


def _act(store: Store, loaded: list_index.Loaded, rows: Sequence[tuple[int, int, int, int]], actor: str) -> None:
    """Hand each list with an action its matched items (one outcome per item), as rule ``list:NAME``."""
    matched: dict[int, list[int]] = defaultdict(list)
    for item_id, _, in_list, _ in rows:
        if item_id not in matched[in_list]:
            matched[in_list].append(item_id)
    for in_list, items in sorted(matched.items()):
        facts = loaded.lists[in_list]
        if facts.action is None:
            continue
        automation.apply(store, [automation.Outcome(item_id, facts.action, facts.labels, facts.automated)
                                 for item_id in items],
                         rule=f"list:{facts.name}", version=facts.version, actor=actor)


def matches_of(store: Store, item_ids: Sequence[int]) -> dict[int, list[ListMatch]]:
    """The list matches recorded at intake for each of *item_ids* that has any, nearest first."""
    found: dict[int, list[ListMatch]] = {}
    for item_id, name, signal_type, bits, tag, action in hashlists.matches_of(store, item_ids):
        found.setdefault(item_id, []).append(ListMatch(name, signal_type, bits, tag, action))
    return found


def for_desk(who: User, item_id: int) -> reads.Read[tuple[ListMatch, ...]]:
    """The item's list matches as the desk shows them, the nearest per list (a file on a list by its MD5, SHA-256
    and PDQ is one line): none for a person who is neither moderator nor lead (a blind auditor would learn from a
    list's action what the decision probably was). A look-up that may share a round trip."""
    if not any(who.has(role) for role in SEEING_ROLES):  # facts.known() refuses a pure auditor first; kept here too
        return reads.known(())

    def nearest(rows: list[tuple[str, str, int, str | None, str | None]]) -> tuple[ListMatch, ...]:
        per_list: dict[str, ListMatch] = {}
        for row in rows:
            per_list.setdefault(row[0], ListMatch(*row))
        return tuple(per_list.values())

    return reads.then(hashlists.matches_read(item_id), nearest)
