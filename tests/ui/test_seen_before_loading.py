"""The review page does not wait for the content index (issue 22): with a load that cannot finish yet (a 1 M-item
store's 4.5 s), Enter still claims and shows the item at once, saying "Seen before" is still being looked up, and
says the answer once the index is there."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from review import content_index, taxonomy
from review.desk import ReviewDesk
from review.media.viewing import ViewSettings
from review.wellbeing.policy import WellbeingPolicy
from ui import keymap
from ui.operations import Operations
from ui.pages.review import ReviewPage, ReviewServices
from ui.wellbeing.controller import WellbeingController


def test_enter_shows_the_item_while_the_index_is_still_loading(qtbot, store, monkeypatch):
    store.add_user("ana", ["moderator"])
    queue = store.add_queue("texts")
    store.add_items([{"external_id": f"t{n}", "queue_id": queue.id, "kind": "text", "text": "buy cheap pills",
                      "content_sha256": "ab" * 32, "received_at": f"2026-01-05T08:0{n}:00.000Z"} for n in range(3)])
    go = threading.Event()
    real = content_index._load

    def load(*args):
        assert go.wait(10)
        return real(*args)

    monkeypatch.setattr(content_index, "INLINE_ITEMS", 0, raising=False)  # a big store's load: in the background
    monkeypatch.setattr(content_index, "_load", load)
    policy, ana = taxonomy.load(), store.user("ana")
    ops = Operations(store)
    page = ReviewPage(ReviewServices(ops, ReviewDesk(policy), ana, ViewSettings(), keymap.build(policy), store.clock,
                                     WellbeingController(store, ana, store.clock, WellbeingPolicy(), ops=ops)))
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    page.setFocus()
    try:
        ops.query(content_index.warm)  # as the desktop wiring does when the page is built
        qtbot.keyClick(page, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: page.item is not None, timeout=5000)
        assert not go.is_set()  # shown while the load is still held back
        seen = page.findChild(QLabel, "seenBefore")
        assert seen.text() == "Seen before: still being looked up…"  # never "Not seen before" while unknown
        go.set()  # the index loads: the page asked again on a reader, and says the answer on the same item
        qtbot.waitUntil(lambda: seen.text() == "Not seen before", timeout=10_000)
    finally:
        go.set()
        page.close_page()
        ops.close()
        page.wellbeing.close()
        qtbot.waitUntil(lambda: not content_index._SLOW, timeout=10_000)
