"""The review page's look-ahead stops where other desks always take the item it looked up (ui/pages/review_ahead.py).

The site benchmark with 200 desks on one queue (``bench_server_site.py --look-ahead``): 1 look-ahead in 12,000 gave
the item claimed, every desk peeking at the same head of the queue, and each desk read every item's look-ups twice.
"""

from __future__ import annotations

from types import SimpleNamespace

from builders import people
from PySide6.QtWidgets import QWidget

from review.desk import Ahead, AheadOdds, Claim
from ui.operations import Operations
from ui.pages.review_ahead import LookAhead


class _Desk:
    """Looks ahead to a new item each time it is asked, and counts the asks."""

    def __init__(self) -> None:
        self.asked = 0

    def look_ahead(self, store, user, queues, exclude, severe):
        self.asked += 1
        return Ahead(SimpleNamespace(id=self.asked, media_path=None), store.now(), None, None, None, (), None)


def _shown(item_id: int) -> SimpleNamespace:
    """What a claim gave, as far as the look-ahead asks: the item's id."""
    return SimpleNamespace(item=SimpleNamespace(id=item_id))


def _looked_up(look: LookAhead, desk: _Desk) -> bool:
    """Refresh; whether the desk was asked (and its answer has arrived)."""
    before = desk.asked
    look.refresh(Claim())
    assert look.ops.wait_idle()
    if desk.asked == before:
        assert look.latest is None  # nothing looked up: the claim reads for itself
        return False
    assert look.latest is not None and look.latest.item.id == desk.asked
    return True


def test_the_look_ahead_pauses_while_other_desks_take_its_item_and_resumes_when_it_finds_it(qtbot, store):
    ana = people(store, ana="moderator")["ana"]
    owner = QWidget()
    qtbot.addWidget(owner)
    ops, desk = Operations(store, max_threads=1), _Desk()
    look = LookAhead(ops, desk, ana, item_view=None, owner=owner)
    for _ in range(AheadOdds.MISSES_BEFORE_PAUSE):
        assert _looked_up(look, desk)
        look.claimed(_shown(-1))  # another desk took the item looked up: this claim gave another
    assert look.odds.paused
    asked = [_looked_up(look, desk) for _ in range(AheadOdds.RETRY_EVERY)]
    assert asked == [False] * (AheadOdds.RETRY_EVERY - 1) + [True]  # a try now and then
    assert look.latest is not None
    look.claimed(_shown(look.latest.item.id))  # the try found it: looking ahead is worth it again
    assert not look.odds.paused
    assert _looked_up(look, desk)
    ops.close()
