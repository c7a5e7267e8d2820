"""What intake does to new items, in order, inside the transaction that writes them.

An import (and anything else that writes items in bulk) hands the ids of the items a chunk added to
:func:`after_items_added` before its transaction commits, so an item is never seen in a queue before its
list matches are recorded, it has joined its case and the routing rules have placed (or decided) it: a
failure in any step writes none of the chunk. Every step works on the whole chunk at once (a few queries
per chunk, never per item), since imports must keep their rate at site scale.
"""

from __future__ import annotations

from collections.abc import Sequence

from review.known import cases, list_matching, routing
from review.store import Store


def prepare(store: Store) -> None:
    """Before an import inspects its media and writes its first chunk: bring the steps' in-memory indexes up to
    date (the hash lists' PDQ entries), so the steps inside the write lock only read them, and tell the media
    check whether to hash pictures' turns (:func:`list_matching.inspected`)."""
    list_matching.prepare_turns(store)


def after_items_added(store: Store, item_ids: Sequence[int], *, actor: str) -> None:
    """Run each intake step over the items a chunk has just added (ids ascending), inside its transaction.

    Order matters: list matches are recorded first (cases and rules read them), then the items join their cases,
    then the lists with an action act on their matches (after cases, so an automated list decides a case's lead
    and its reports follow), then routing rules and the automation they ask for.
    """
    list_matching.record_at_intake(store, item_ids, actor=actor)
    cases.join_chunk(store, item_ids, actor=actor)
    list_matching.act_on_matches(store, item_ids, actor=actor)
    routing.route(store, item_ids, actor=actor)
