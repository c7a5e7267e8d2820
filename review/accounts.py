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
from dataclasses import dataclass, replace
from typing import Any

from review import auth, serving
from review.errors import VeilError
from review.serving import Item
from review.store import Store, User
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


@dataclass(frozen=True)
class Account:
    """The author of an item, their other items the viewer may see, and the team's notes."""

    author: str
    items: tuple[PastItem, ...]
    elsewhere: int  # other items in queues the viewer does not work: counted, not shown
    notes: tuple[Note, ...]

    @property
    def open(self) -> int:
        return sum(1 for i in self.items if i.action is None)

    def actions(self) -> dict[str, int]:
        """{action: how many of the listed items it stands on}, most frequent first."""
        counts: dict[str, int] = {}
        for i in self.items:
            if i.action is not None:
                counts[i.action] = counts.get(i.action, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


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
    author = author_of(item.metadata)
    if author is None:
        return None
    kinds = serving.worked_kinds(store.user(user.name))
    others = [r for r in rows.author_items(store, author) if r[0] != item.id]
    shown = [r for r in others if r[3] in kinds]
    standing = rows.current_decisions(store, [r[0] for r in shown])
    items = [_past_item(row, standing) for row in shown]
    notes = tuple(Note(*n) for n in rows.notes(store, author))
    return Account(author, tuple(items), len(others) - len(shown), notes)


def after_decision(store: Store, user: User, account: Account, item_id: int) -> Account:
    """*account*, read before a decision on the author's item *item_id*, as it stands after it: that item's line
    read again (its state, its queue, the decision standing on it), the rest kept.

    What :func:`for_item` would give now, for the cost of one item: a prolific author's account lists tens of
    thousands, which took the desk seconds to read again between the key and the next item."""
    row = rows.author_item(store, item_id)
    kept = [past for past in account.items if past.item_id != item_id]
    listed = len(kept) < len(account.items)
    elsewhere = account.elsewhere - (0 if listed else 1)  # not listed: it was counted in a queue not worked
    if row is None:
        return replace(account, items=tuple(kept), elsewhere=elsewhere)
    if row[3] not in serving.worked_kinds(store.user(user.name)):
        return replace(account, items=tuple(kept), elsewhere=elsewhere + 1)
    fresh = _past_item(row, rows.current_decisions(store, [item_id]))
    place = bisect.bisect(kept, (fresh.received_at, item_id), key=lambda past: (past.received_at, past.item_id))
    return replace(account, items=(*kept[:place], fresh, *kept[place:]), elsewhere=elsewhere)


def _past_item(row: tuple[int, str, str, str, str, str],
               standing: dict[int, tuple[str, list[str], str]]) -> PastItem:
    """An author's item (:func:`review.store.accounts.author_items`' row) with the decision standing on it."""
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
