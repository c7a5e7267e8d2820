"""Running a unit of work again, whole, when a server rolled it back for a row-locking conflict.

Why: on a server store the hot path's transactions run side by side,
each locking the rows it checks (:mod:`review.store.server`). Two of them
can still meet in a deadlock, or fail to serialize; the server then rolls
one back whole, and nothing of it was written. Running the same unit of
work again (its reads, its checks, its writes and its event) is then
correct and almost always succeeds at once, so the person never sees it.
A file store's writers take turns and never meet this way: there it runs
once, exactly as :meth:`~review.store.Store.transaction` does.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from review.errors import StoreBusy
from review.store.connection import in_transaction

if TYPE_CHECKING:
    from review.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
#: How many times a unit of work is run before a row-locking conflict is said (``StoreBusy``: try again).
REPLAYS = 5


def replayed(store: Store, work: Callable[[], T], *, row_locked: bool = False) -> T:
    """*work* as one write transaction (``store.transaction(row_locked=…)``); its result.

    Run again, whole, after a deadlock or a serialization failure (up to
    :data:`REPLAYS` times, then its ``StoreBusy``); never a lock timeout,
    which already waited. Inside a transaction already open it is a
    savepoint of that one and is not replayed alone: the outer unit is.
    """
    for attempt in itertools.count(1):
        outermost = not in_transaction(store.db)
        try:
            with store.transaction(row_locked=row_locked):
                return work()
        except StoreBusy as busy:
            if not (outermost and store.url is not None and attempt < REPLAYS and _replayable(busy)):
                raise
            log.info("a row-locking conflict rolled a write back; running it again (attempt %s)", attempt + 1)
    raise AssertionError("unreachable")


def _replayable(busy: StoreBusy) -> bool:
    from review.store.server_errors import replayable  # a server's driver, imported only for a server store

    return replayable(busy)
