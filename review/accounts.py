"""Accounts: what the team already knows about the author of the item on screen.

A manifest row may name the content's ``author`` (and its ``reporter``);
both are kept in the item's metadata (README, the manifest table). For the
author, the desk shows the other items in Veil with their standing
decisions (action and labels: the policy applied), how many are still
open, and the team's notes about the account, which carry across items.

Who sees what: the account's items are listed only from queues of a kind
the viewer works (``review.serving.WORKED_BY``: a moderator does not see
what sits in the leads' escalation queues; the rest are only counted), and
never who decided them — a decision shows its action, labels and date.
Notes are the team's shared memory and say who wrote them and when.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from review import auth, serving
from review.errors import VeilError
from review.serving import Item
from review.store import Store, User, reads, user_read
from review.store import accounts as rows
from review.store.item_indexes import AUTHOR, author_of

REPORTER = "reporter"  # the manifest field (kept as item metadata) naming who reported the content
MAX_NOTE_CHARS = 2000


class NoteRefused(VeilError, ValueError):
    """A note that cannot be kept: empty, too long, or without an account."""


@dataclass(frozen=True)
class PastItem:
    """One of the author's other items: where it is, and the decision that stands on it (None: still open)."""

    external_id: str
    queue: str
    state: str
    received_at: str
    action: str | None
    labels: tuple[str, ...]
    decided_at: str | None
    item_id: int


@dataclass(frozen=True)
class Note:
    body: str
    by: str
    at: str


#: How many of an author's other items an account lists (the newest the viewer may see); the rest are counted.
#: A spammer's account holds tens of thousands: listing each cost the desk seconds and the screen a long table.
LISTED = 200


@dataclass(frozen=True)
class Account:
    """The author of an item: the newest of their other items the viewer may see, all of them counted, the items
    in queues the viewer does not work counted apart, and the team's notes."""

    author: str
    items: tuple[PastItem, ...]  # the newest :data:`LISTED` the viewer may see, oldest first
    elsewhere: int  # other items in queues the viewer does not work: counted, not shown
    notes: tuple[Note, ...]
    besides: int  # the item the account is shown beside (never among its items)
    visible: int  # every other item the viewer may see, listed or not
    decided: tuple[tuple[str, int], ...]  # (action, how many of those items it stands on), most first
    open: int  # how many of those items are still open

    def actions(self) -> dict[str, int]:
        """{action: how many of the viewer's visible items it stands on}, most frequent first."""
        return dict(self.decided)

    @property
    def unlisted(self) -> int:
        """Visible items older than the listed ones: counted, not listed."""
        return self.visible - len(self.items)


def named(metadata: dict[str, Any]) -> dict[str, Any]:
    """*metadata* with ``author`` and ``reporter`` as trimmed text (a JSON row may give a number); blank ones dropped.

    The store finds an author's items by text, so ``12345`` and ``"12345"`` must be one account.
    """
    for field in (AUTHOR, REPORTER):
        if field in metadata:
            text = str(metadata[field]).strip() if metadata[field] is not None else ""
            if text:
                metadata[field] = text
            else:
                del metadata[field]
    return metadata


def for_item(store: Store, user: User, item: Item) -> Account | None:
    """The account behind *item* as *user* may see it; None when the item names no author."""
    return reads.run(store.db, for_item_read(user, item))


def for_item_read(user: User, item: Item) -> reads.Read[Account | None]:
    """:func:`for_item` as a look-up that may share round trips: the viewer's roles (read again: what they may
    see now), the counts and the notes first, then the listed items, then the decisions standing on them."""
    author = author_of(item.metadata)
    if author is None:
        return reads.known(None)

    def counted(parts: list[Any]) -> reads.Read[Account | None]:
        viewer, counts, notes = parts
        kinds = serving.worked_kinds(viewer)
        decided: Counter[str] = Counter()
        for kind, state, action, n in counts:
            if kind in kinds and state != "pending" and action is not None:
                decided[action] += n
        visible = sum(n for kind, _, _, n in counts if kind in kinds)
        elsewhere = sum(n for kind, _, _, n in counts if kind not in kinds)
        return reads.then(_listed(author, item.id, kinds), lambda listed: Account(
            author, listed, elsewhere, tuple(Note(*n) for n in notes), besides=item.id, visible=visible,
            decided=_most_first(decided), open=visible - sum(decided.values())))

    return reads.gathered([user_read(user.name), rows.author_counts_read(author, besides=item.id),
                           rows.notes_read(author)], counted)


def _listed(author: str, besides: int, kinds: set[str]) -> reads.Read[tuple[PastItem, ...]]:
    """The newest :data:`LISTED` items of *author* but *besides* in queues of *kinds*, oldest first."""
    if not kinds:  # someone who works no queue sees none listed (and a server refuses an empty ``IN ()``)
        return reads.known(())

    def with_decisions(listed: list[tuple[int, str, str, str, str, str]]) -> reads.Read[tuple[PastItem, ...]]:
        return reads.then(rows.current_decisions_read([row[0] for row in listed]),
                          lambda standing: tuple(_past_item(row, standing) for row in listed))

    return reads.then(rows.newest_author_items_read(author, besides=besides, kinds=sorted(kinds), limit=LISTED),
                      with_decisions)


def after_decision(store: Store, user: User, account: Account, item_id: int) -> Account:
    """*account*, read while *item_id* — an item of its author that *user* held, open, in a queue they work — was
    on screen, as it stands after *user*'s decision on it: that item's line read again (its state, its queue,
    the decision standing on it) and the counts moved by it, the rest kept.

    What :func:`for_item` would give now, for the cost of one item (a prolific author's account counts tens
    of thousands, which took the desk seconds to read again between the key and the next item)."""
    row = rows.author_item(store, item_id)
    kept = [past for past in account.items if past.item_id != item_id]
    counts = replace(account, items=tuple(kept), visible=account.visible - 1, open=account.open - 1)  # it was open
    kinds = serving.worked_kinds(store.user(user.name))
    if row is None or row[3] not in kinds:  # gone, or out of the queues the viewer works (escalated)
        counts = replace(counts, elsewhere=counts.elsewhere + (row is not None))
        if len(kept) < len(account.items) and account.unlisted:  # it leaves the list: the next older one comes in
            return replace(counts, items=reads.run(store.db, _listed(account.author, account.besides, kinds)))
        return counts
    fresh = _past_item(row, rows.current_decisions(store, [item_id]))
    decided = Counter(dict(counts.decided))
    if fresh.action is not None:
        decided[fresh.action] += 1
    moved = replace(counts, visible=counts.visible + 1, decided=_most_first(decided),
                    open=counts.open + (fresh.action is None))
    if len(kept) == len(account.items):  # not listed: older than every listed item, it stays counted only
        return moved
    place = bisect.bisect(kept, (fresh.received_at, item_id), key=lambda past: (past.received_at, past.item_id))
    return replace(moved, items=(*kept[:place], fresh, *kept[place:]))


def _most_first(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    """(action, how many), most first; ties by name, so the line reads the same whichever was decided first."""
    return tuple(sorted(((a, n) for a, n in counts.items() if n > 0), key=lambda an: (-an[1], an[0])))


def _past_item(row: tuple[int, str, str, str, str, str],
               standing: dict[int, tuple[str, list[str], str]]) -> PastItem:
    """An author's item (:func:`review.store.accounts.newest_author_items`' row) with the decision standing on it."""
    item_id, external_id, queue, _kind, state, received_at = row
    action, labels, decided_at = standing.get(item_id, (None, [], None))
    if state == "pending":  # reopened (an undo, an escalation): what stood before does not stand now
        action, labels, decided_at = None, [], None
    return PastItem(external_id, queue, state, received_at, action, tuple(labels), decided_at, item_id)


def add_note(store: Store, who: User | str, author: str, body: str) -> Note:
    """Keep a team note about *author*'s account (one ``account.note`` event); moderators and leads only."""
    body, author = body.strip(), author.strip()
    if not author:
        raise NoteRefused("a note needs the account it is about")
    if not body:
        raise NoteRefused("write the note first")
    if len(body) > MAX_NOTE_CHARS:
        raise NoteRefused(f"a note is at most {MAX_NOTE_CHARS} characters ({len(body)} written)")
    user = auth.require(store, who, *serving.REVIEWERS, to="write a note about an account")
    return Note(body, user.name, rows.add_note(store, author, user, body))
