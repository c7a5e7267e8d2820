"""The held reveal key on the shared item view: a continuous reveal ends at its limit, whatever the keyboard does.

Key auto-repeat arrives as release/press pairs (X11, remote desktops);
Qt flags them ``isAutoRepeat()``, and some remote desktops send them
unflagged, a few milliseconds apart. Either way a reveal is measured from
the first press to a real release, and after the limit it stays blurred
until the key is really let go. The events here are synthetic
``QKeyEvent``s and the time is the fake clock's.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from review import serving, taxonomy
from review.media.viewing import ViewSettings
from ui.item.view import ItemView
from ui.operations import Operations

LIMIT_S = ViewSettings().auto_reblur_s


def _image(path):
    picture = Image.new("RGB", (320, 240), "teal")
    draw = ImageDraw.Draw(picture)
    for x in range(0, 320, 16):
        draw.line([(x, 0), (x, 240)], fill=(250, 250, 250), width=3)
    picture.save(path, "PNG")
    return str(path)


@pytest.fixture
def item(store, tmp_path):
    queue = store.add_queue("graphic")
    store.add_items([{"external_id": "img", "queue_id": queue.id, "kind": "image", "media_type": "image/png",
                      "media_path": _image(tmp_path / "a.png"), "received_at": "2026-01-05T08:00:00Z"}])
    return serving.load_item(store, store.db.execute("SELECT id FROM items").fetchone()[0])


@pytest.fixture
def view(qtbot, store, item):
    ops = Operations(store)
    widget = ItemView(taxonomy.load(), ViewSettings(), store.clock, ops=ops)
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    widget.setFocus()
    widget.show_item(item)
    qtbot.waitUntil(lambda: widget.image.has_image)
    yield widget
    widget.close_view()
    ops.close()


def _key(view, kind: QEvent.Type, *, repeat: bool) -> None:
    QApplication.sendEvent(view, QKeyEvent(kind, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ", repeat))


def _hold(view, clock, seconds: float, *, flagged: bool, step: float = 0.04) -> list[str | None]:
    """Keep Space held for *seconds* as auto-repeat does: a release/press pair every *step* seconds.

    Returns what the view showed after each pair (after its re-blur check).
    """
    shown = []
    for _ in range(round(seconds / step)):
        clock.advance(step)
        _key(view, QEvent.Type.KeyRelease, repeat=flagged)
        clock.advance(0.001)
        _key(view, QEvent.Type.KeyPress, repeat=flagged)
        view.check_auto_reblur()
        shown.append(view.image.reveal_state())
    return shown


@pytest.mark.parametrize("flagged", [True, False], ids=["flagged-auto-repeat", "unflagged-pairs"])
def test_holding_space_past_the_limit_reblurs_and_stays_blurred(view, clock, flagged):
    _key(view, QEvent.Type.KeyPress, repeat=False)
    assert view.image.reveal_state() == "whole"
    shown = _hold(view, clock, 14, flagged=flagged)
    limit_pairs = int(LIMIT_S / 0.041)  # pairs that fit in the limit
    assert shown[-1] is None, "a held Space must not keep the item clear past the limit"
    assert all(state is None for state in shown[limit_pairs + 1:])
    record = view.tracker.record
    revealed = record.revealed_ms + (view.tracker.current_reveal_ms() if view.tracker.revealed else 0)
    assert revealed <= LIMIT_S * 1000 + 100


def test_a_real_release_then_a_new_press_reveals_again(view, clock):
    _key(view, QEvent.Type.KeyPress, repeat=False)
    _hold(view, clock, LIMIT_S + 1, flagged=True)
    assert view.image.reveal_state() is None
    _key(view, QEvent.Type.KeyRelease, repeat=False)
    clock.advance(1)
    _key(view, QEvent.Type.KeyPress, repeat=False)
    assert view.image.reveal_state() == "whole"
    clock.advance(LIMIT_S - 1)
    view.check_auto_reblur()
    assert view.image.reveal_state() == "whole", "a new hold has its own full limit"
    clock.advance(1.1)
    view.check_auto_reblur()
    assert view.image.reveal_state() is None


def test_the_limit_counts_from_the_first_press_not_from_the_last_auto_repeat(view, clock):
    _key(view, QEvent.Type.KeyPress, repeat=False)
    shown = _hold(view, clock, LIMIT_S - 0.5, flagged=False)
    assert shown[-1] == "whole"
    _hold(view, clock, 0.6, flagged=False)
    assert view.image.reveal_state() is None


def test_a_key_held_into_the_next_item_does_not_reveal_it(qtbot, view, clock, item):
    _key(view, QEvent.Type.KeyPress, repeat=False)
    view.leave()  # decided while Space is down
    view.show_item(item)
    qtbot.waitUntil(lambda: view.image.has_image)
    assert "whole" not in _hold(view, clock, 2, flagged=False)
    _key(view, QEvent.Type.KeyRelease, repeat=False)
    clock.advance(1)
    _key(view, QEvent.Type.KeyPress, repeat=False)
    assert view.image.reveal_state() == "whole"
