"""The review page's look-ahead: the item the next claim will most likely give, prepared before the key is pressed.

While a person looks at one item, the page asks the desk (on a reader) which
item a claim would give next and what that item's screen shows beside it —
"Seen before", the author's account, what lists and cases know
(:meth:`review.desk.ReviewDesk.look_ahead`) — and has the item view decode and
veil its pictures. The claim that follows the decision carries what was
looked up (``Claim.ahead``) and the desk uses it when it gives that item, so
the decision's write does no look-up and the key paints the next item at
once: on a store of a million items those look-ups took 75–300 ms inside the
write (issue 22). A busy store must never disturb the person: a failed
look-ahead is only logged, and the claim then looks up for itself. Where the
item looked up is claimed by another desk first, time after time (a site,
every desk peeking at the head of one queue), the page stops looking ahead
and tries again now and then (:class:`review.desk.AheadOdds`): a look-up
made for nothing is a second round of reads for the server.
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QWidget

from review.desk import Ahead, AheadOdds, Claim, ReviewDesk, Shown
from review.store import User
from ui.item.view import ItemView, moves
from ui.operations import Operations

log = logging.getLogger(__name__)

#: What a decision, a skip or a renewal changes: the page looks ahead again after each of them anyway.
OWN_KINDS = frozenset({"decision", "item"})


class LookAhead:
    """What was prepared for the next claim (:attr:`latest`), asked for again with :meth:`refresh`."""

    def __init__(self, ops: Operations, desk: ReviewDesk, user: User, item_view: ItemView, owner: QWidget):
        self.ops, self.desk, self.user, self.item_view, self.owner = ops, desk, user, item_view, owner
        self.latest: Ahead | None = None
        self._then: Claim | None = None  # what the last look-ahead asked for
        self._asked = 0  # look-aheads asked for: an answer to an older one is dropped
        self.odds = AheadOdds()  # whether looking ahead still finds the item claimed
        ops.changed.connect(self._changed)

    def claimed(self, shown: Shown | None) -> None:
        """A claim gave *shown* (None: nothing waited): learn whether what was looked up (:attr:`latest`) was it."""
        if shown is not None:
            self.odds.claimed(self.latest, shown.item.id)

    def refresh(self, then: Claim | None) -> None:
        """Look ahead for a claim asking *then* (None: nothing will be claimed, as on a break); while other desks
        keep taking the item looked up, only now and then (:class:`~review.desk.AheadOdds`)."""
        if then is None or self.ops.closed:
            return
        self._then, self._asked = then, self._asked + 1  # an older answer still on its way is dropped
        if not self.odds.wanted():
            self.latest = None
            return
        desk, user, asked = self.desk, self.user, self._asked
        self.ops.query(lambda store: desk.look_ahead(store, user, then.queues, then.exclude, then.severe),
                       on_done=lambda ahead: self._arrived(asked, ahead),
                       on_error=lambda exc: log.debug("look-ahead skipped: %s", exc), owner=self.owner)

    def _changed(self, kinds: frozenset[str]) -> None:
        """A write in this window may have changed what was looked up (a note kept on the author, a list): it is
        dropped, and looked up again unless the write was the review's own (the page looks ahead after each item)."""
        self.latest, self._asked = None, self._asked + 1
        if kinds - OWN_KINDS:
            self.refresh(self._then)

    def _arrived(self, asked: int, ahead: Ahead | None) -> None:
        if asked != self._asked:
            return  # asked for before a change: what it read may be gone
        self.latest = ahead
        upcoming = ahead.item if ahead is not None else None
        if upcoming is not None and upcoming.media_path and not moves(upcoming):
            self.item_view.cache.prefetch(upcoming, self.item_view.media_box(), self.item_view.view_for(upcoming))
