"""What intake does to new items, in order, inside the transaction that writes them.

An import (and anything else that writes items in bulk) hands the ids of the items a chunk added to
:func:`after_items_added` before its transaction commits, so an item is never seen in a queue before its
list matches are recorded, it has joined its case and the routing rules have placed (or decided) it: a
failure in any step writes none of the chunk. Every step works on the whole chunk at once (a few queries
per chunk, never per item), since imports must keep their rate at site scale.
"""

from __future__ import annotations

from collections.abc import Sequence

from review.store import Store


def after_items_added(store: Store, item_ids: Sequence[int], *, actor: str) -> None:
    """Run each intake step over the items a chunk has just added (ids ascending), inside its transaction.

    Order matters: list matches first (cases and rules read them), then cases, then routing rules and the
    automation they or the lists ask for.
    """
