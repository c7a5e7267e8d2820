"""The review page, driven by the keyboard as a moderator would.

Every key is a desk call through the operations runner, so a test waits
(``qtbot.waitUntil``) for what the key leads to before it looks.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QPoint, Qt

from review import serving, taxonomy
from review.desk import ReviewDesk
from review.media.viewing import ViewSettings
from review.wellbeing.policy import WellbeingPolicy
from ui import keymap
from ui.operations import Operations
from ui.pages.review import ReviewPage, ReviewServices
from ui.wellbeing.controller import WellbeingController


def _image(path, colour):
    picture = Image.new("RGB", (640, 480), colour)
    draw = ImageDraw.Draw(picture)
    for x in range(0, 640, 16):  # sharp stripes: lots of detail for the blur to remove
        draw.line([(x, 0), (x, 480)], fill=(255, 255, 255), width=3)
    draw.text((40, 40), "SIMULATED CONTENT", fill=(0, 0, 0))
    picture.save(path, "JPEG", quality=90)
    return path


@pytest.fixture
def workspace(store, tmp_path):
    store.add_user("ana", ["moderator"])
    store.add_queue("escalations", "escalation")
    queue = store.add_queue("graphic", escalation_queue="escalations")
    rows = []
    for n, colour in enumerate(["red", "green", "blue", "orange"]):
        rows.append({"external_id": f"img{n}", "queue_id": queue.id, "kind": "image", "media_type": "image/jpeg",
                     "media_path": str(_image(tmp_path / f"{n}.jpg", colour)), "severity": "severe",
                     "metadata": {"category": "violent_graphic", "description": f"Image {n} reported",
                                  "report_reason": "graphic violence", "reporter_count": 3},
                     "received_at": f"2026-01-05T08:0{n}:00.000Z"})
    store.add_items(rows)
    return store


def _services(store, *, after_decision=()):
    """What the desktop wiring gives the page: the runner, the desk, Ana's settings and break coach (whose writes
    go through the runner, as the app's do: on the GUI thread they would share the writer thread's connection)."""
    policy = taxonomy.load()
    ana = store.user("ana")
    ops = Operations(store)
    return ReviewServices(ops, ReviewDesk(policy, after_decision=after_decision), ana, ViewSettings(),
                          keymap.build(policy), store.clock,
                          WellbeingController(store, ana, store.clock, WellbeingPolicy(), ops=ops))


def _close(page):
    """Close the page, then let its last writes land and stop the runner (as sign-out does)."""
    page.close_page()
    page.ops.close()
    page.wellbeing.close()


def _open_page(qtbot, store):
    """Ana's review page, shown in an active window with the keyboard focus (shortcuts need both)."""
    widget = ReviewPage(_services(store))
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    widget.setFocus()
    return widget


@pytest.fixture
def page(qtbot, workspace):
    widget = _open_page(qtbot, workspace)
    yield widget
    _close(widget)


def _start(qtbot, page):
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.item_view.image.has_image)


def _settled(qtbot, page):
    """Every write and read the page asked for has landed (the store may be read now)."""
    qtbot.waitUntil(lambda: not page.busy and page.ops.pending() == 0)


def _decided(qtbot, page):
    """A decision key was pressed: wait until it is stored and what followed it is on screen."""
    qtbot.waitUntil(lambda: page.last_decision is not None)
    _settled(qtbot, page)


def _moved_on(qtbot, page, first):
    """Wait until another item than *first* is on screen."""
    qtbot.waitUntil(lambda: page.item is not None and page.item.id != first.id)


def _sharpness(qimage) -> float:
    image = qimage.convertToFormat(qimage.Format.Format_Grayscale8)
    rows = np.array(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    array = rows[:, : image.width()]
    return float(np.abs(np.diff(array.astype(int), axis=1)).mean())


def test_enter_claims_and_shows_the_item_blurred(qtbot, page):
    _start(qtbot, page)
    assert page.item.external_id == "img0"
    assert serving.holder(page.ops.store, page.item.id)[0] == "ana"
    assert page.item_view.image.reveal_state() is None
    assert _sharpness(page.item_view.image._veiled) < _sharpness(page.item_view.image._clear) / 3
    assert "Violent & graphic" in page.item_view.header.title.text()
    assert "3 reporters" in page.item_view.context.report.text()


def test_holding_space_reveals_and_release_reblurs_and_is_measured(qtbot, page):
    clock = page.clock
    _start(qtbot, page)
    qtbot.keyPress(page, Qt.Key.Key_Space)
    assert page.item_view.image.reveal_state() == "whole"
    clock.advance(2.5)
    qtbot.keyRelease(page, Qt.Key.Key_Space)
    assert page.item_view.image.reveal_state() is None
    qtbot.keyClick(page, Qt.Key.Key_A)
    _decided(qtbot, page)
    revealed = page.ops.store.db.execute("SELECT revealed_ms FROM decisions").fetchone()[0]
    assert revealed == 2500
    assert page.ops.store.db.execute("SELECT duration_ms, kind FROM reveals").fetchall() == [(2500, "whole")]


def test_dragging_a_rectangle_reveals_only_that_region(qtbot, page):
    _start(qtbot, page)
    rect = page.item_view.image.image_rect()
    start = QPoint(int(rect.x() + rect.width() * 0.25), int(rect.y() + rect.height() * 0.25))
    end = QPoint(int(rect.x() + rect.width() * 0.5), int(rect.y() + rect.height() * 0.5))
    qtbot.mousePress(page.item_view.image, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(page.item_view.image, end)
    qtbot.mouseRelease(page.item_view.image, Qt.MouseButton.LeftButton, pos=end)
    assert page.item_view.image.reveal_state() == "region"
    region = page.item_view.image._region
    assert region.x() == pytest.approx(0.25, abs=0.02) and region.width() == pytest.approx(0.25, abs=0.02)
    first = page.item
    qtbot.keyClick(page, Qt.Key.Key_S)  # the item changes: everything re-blurs
    _moved_on(qtbot, page, first)
    qtbot.waitUntil(lambda: page.item_view.image.has_image)
    assert page.item_view.image.reveal_state() is None


def test_label_then_remove_is_stored_and_the_next_item_follows(qtbot, page):
    _start(qtbot, page)
    first = page.item
    qtbot.keyClick(page, Qt.Key.Key_3)
    qtbot.keyClick(page, Qt.Key.Key_R)
    _moved_on(qtbot, page, first)
    _settled(qtbot, page)
    action, labels = page.ops.store.db.execute("SELECT action, labels FROM decisions").fetchone()
    assert (action, labels) == ("remove", '["violent_graphic"]')
    assert page.item is not None and page.item.id != first.id


def test_remove_without_a_label_says_why_and_stores_nothing(qtbot, page):
    _start(qtbot, page)
    qtbot.keyClick(page, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: "label" in page.decision.message.text())
    _settled(qtbot, page)
    assert page.ops.store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0
    assert page.item.external_id == "img0"


def test_undo_brings_the_item_back(qtbot, page):
    _start(qtbot, page)
    first = page.item
    qtbot.keyClick(page, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: page.item is not None and page.item.id != first.id)
    second = page.item
    _settled(qtbot, page)
    qtbot.keyClick(page, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.item is not None and page.item.id == first.id)
    _settled(qtbot, page)
    assert page.item.id == first.id
    assert serving.holder(page.ops.store, second.id) is None
    rows = page.ops.store.db.execute("SELECT action, revokes_id FROM decisions ORDER BY id").fetchall()
    assert rows[-1][0] == "revoke"


def test_escalate_asks_for_a_reason_then_moves_the_item(qtbot, page):
    _start(qtbot, page)
    item = page.item
    qtbot.keyClick(page, Qt.Key.Key_E)
    assert page.decision.note.hasFocus()
    qtbot.keyClicks(page.decision.note, "possible real threat")
    qtbot.keyClick(page.decision.note, Qt.Key.Key_Return)
    _decided(qtbot, page)
    moved = serving.load_item(page.ops.store, item.id)
    assert moved.queue_name == "escalations"
    assert page.ops.store.db.execute("SELECT note FROM decisions").fetchone()[0] == "possible real threat"


def test_skip_gives_the_item_back_and_does_not_serve_it_again(qtbot, page):
    _start(qtbot, page)
    first = page.item
    qtbot.keyClick(page, Qt.Key.Key_S)
    _moved_on(qtbot, page, first)
    _settled(qtbot, page)
    assert page.item.id != first.id
    assert serving.holder(page.ops.store, first.id) is None


def test_escape_hides_everything_at_once(qtbot, page):
    _start(qtbot, page)
    qtbot.keyClick(page, Qt.Key.Key_Escape)
    assert page.item_view.media.currentWidget() is page.item_view.idle
    assert not page.item_view.image.has_image
    qtbot.keyPress(page, Qt.Key.Key_Space)  # nothing to reveal while hidden
    assert page.item_view.image.reveal_state() is None
    qtbot.keyRelease(page, Qt.Key.Key_Space)
    qtbot.keyClick(page, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: page.item_view.image.has_image)
    assert page.item_view.image.reveal_state() is None


def test_a_continuous_reveal_reblurs_by_itself(qtbot, page):
    _start(qtbot, page)
    qtbot.keyPress(page, Qt.Key.Key_Space)
    page.clock.advance(page.view.auto_reblur_s + 0.1)
    page.check_auto_reblur()
    assert page.item_view.image.reveal_state() is None
    assert "Re-blurred" in page.decision.message.text()
    qtbot.keyRelease(page, Qt.Key.Key_Space)


def test_a_corrupt_image_shows_the_reason_and_can_still_be_decided(qtbot, page, tmp_path):
    broken = tmp_path / "broken.jpg"
    store = page.ops.store
    original = store.db.execute("SELECT media_path FROM items WHERE external_id='img0'").fetchone()[0]
    broken.write_bytes(open(original, "rb").read()[:400])
    store.db.execute("UPDATE items SET media_path = ? WHERE external_id = 'img0'", [str(broken)])
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "cannot be shown" in page.item_view.image.message())
    qtbot.keyClick(page, Qt.Key.Key_A)
    _decided(qtbot, page)
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 1


def test_an_empty_queue_says_so(qtbot, page):
    page.ops.store.db.execute("UPDATE items SET state = 'decided'")
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Nothing is waiting" in page.item_view.idle.text())


def test_exposure_is_booked_when_the_page_closes(qtbot, page):
    _start(qtbot, page)
    _settled(qtbot, page)
    page.clock.advance(4)
    item = page.item
    page.close_page()
    _settled(qtbot, page)
    blurred = page.ops.store.db.execute("SELECT blurred_ms FROM exposure WHERE item_id = ?", [item.id]).fetchone()[0]
    assert blurred == 4000
    assert serving.holder(page.ops.store, item.id) is None


def test_the_next_item_is_prepared_before_it_is_asked_for(qtbot, page):
    _start(qtbot, page)
    first = page.item
    upcoming = serving.peek_next(page.ops.store, page.user, exclude=[page.item.id])
    qtbot.waitUntil(lambda: page.item_view.cache.cached(upcoming, page.item_view.media_box(),
                                                                page.item_view.view_for(upcoming)) is not None)
    qtbot.keyClick(page, Qt.Key.Key_A)
    _moved_on(qtbot, page, first)
    assert page.item.id == upcoming.id
    assert page.item_view.image.has_image  # painted at once, from the cache


@pytest.fixture
def video_page(qtbot, store, tmp_path):
    from desktop.demo import synth

    store.add_user("ana", ["moderator"])
    queue = store.add_queue("videos")
    good = synth.make_video(tmp_path / "clip.mp4", seed=3, seconds=4, fps=10, width=160, height=120)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(good.read_bytes()[:300])
    store.add_items([
        {"external_id": "clip", "queue_id": queue.id, "kind": "video", "media_type": "video/mp4",
         "media_path": str(good),
         "received_at": "2026-01-05T08:00:00.000Z"},
        {"external_id": "broken", "queue_id": queue.id, "kind": "video", "media_type": "video/mp4",
         "media_path": str(broken), "received_at": "2026-01-05T08:01:00.000Z"},
    ])
    widget = _open_page(qtbot, store)
    yield widget
    _close(widget)


def test_a_video_shows_a_blurred_storyboard_and_never_autoplays(qtbot, video_page):
    qtbot.keyClick(video_page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: video_page.item_view.video_view.mode() == "grid", timeout=10000)
    assert not video_page.item_view.video_view.is_playing()
    with qtbot.waitSignal(video_page.item_view.video_view.playing_changed, timeout=10000) as started:
        qtbot.keyClick(video_page, Qt.Key.Key_P)
    assert started.args == [True]
    video_page.clock.advance(2)
    qtbot.keyClick(video_page, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: not video_page.item_view.video_view.is_playing())
    qtbot.keyClick(video_page, Qt.Key.Key_A)
    _decided(qtbot, video_page)
    assert video_page.ops.store.db.execute("SELECT video_ms FROM exposure").fetchone()[0] == 2000


def test_a_truncated_video_shows_the_reason_and_can_still_be_decided(qtbot, video_page):
    video_page.ops.store.db.execute("UPDATE items SET state = 'decided' WHERE external_id = 'clip'")
    qtbot.keyClick(video_page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: video_page.item_view.video_view.mode() == "error", timeout=10000)
    assert "cannot be shown" in video_page.item_view.video_view.message()
    qtbot.keyClick(video_page, Qt.Key.Key_E)  # this queue has no escalation queue: said, not ignored
    qtbot.keyClicks(video_page.decision.note, "file is broken")
    qtbot.keyClick(video_page.decision.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "no escalation queue" in video_page.decision.message.text())
    qtbot.keyClick(video_page, Qt.Key.Key_A)
    _decided(qtbot, video_page)
    assert video_page.ops.store.db.execute("SELECT action FROM decisions").fetchall() == [("no_violation",)]


def test_gold_items_are_scored_after_the_decision_without_a_word_to_the_moderator(qtbot, workspace):
    from audit import gold

    policy = taxonomy.load()
    lee = workspace.add_user("lee", ["lead"])
    gold.add_gold(workspace, lee, 1, "remove", ["violent_graphic"], taxonomy=policy)
    page = ReviewPage(_services(workspace, after_decision=(gold.after_decision,)))
    qtbot.addWidget(page)
    page.start()
    qtbot.waitUntil(lambda: page.item is not None)
    assert page.item.id == 1
    page.act("no_violation")
    _decided(qtbot, page)
    correct = workspace.db.execute("SELECT correct FROM gold_results").fetchone()[0]
    assert correct == 0
    assert "gold" not in page.footer.text().lower() and "gold" not in page.decision.message.text().lower()
    _close(page)


# ----------------------------------------------------------- reveal safety (review findings)
def test_releasing_space_after_focus_moved_still_reblurs(qtbot, page):
    """Space held, N moves focus to the note: the release lands in the note, and must still re-blur."""
    _start(qtbot, page)
    qtbot.keyPress(page, Qt.Key.Key_Space)
    assert page.item_view.image.reveal_state() == "whole"
    page.decision.note.setFocus()
    qtbot.keyRelease(page.decision.note, Qt.Key.Key_Space)
    assert page.item_view.image.reveal_state() is None
    assert page.item_view.tracker.revealed is None


def test_another_veil_window_taking_focus_ends_the_reveal(qtbot, page):
    """A dialog of Veil's own (break prompt, cheat sheet) gets the key release: reveal ends when it takes focus."""
    from PySide6.QtCore import QCoreApplication, QEvent

    _start(qtbot, page)
    qtbot.keyPress(page, Qt.Key.Key_Space)
    assert page.item_view.image.reveal_state() == "whole"
    QCoreApplication.sendEvent(page.window(), QEvent(QEvent.Type.WindowDeactivate))
    assert page.item_view.image.reveal_state() is None


def _revealed_video_frame(qtbot, video_page):
    view = video_page.item_view.video_view
    qtbot.keyClick(video_page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.mode() == "grid", timeout=10000)
    with qtbot.waitSignal(view.frame_shown, timeout=10000):
        qtbot.keyClick(video_page, Qt.Key.Key_O)
    qtbot.keyPress(video_page, Qt.Key.Key_Space)
    assert view.is_revealing()
    assert video_page.item_view.tracker.revealed == "whole"
    return view


def test_a_revealed_video_frame_reblurs_when_the_app_loses_focus(qtbot, video_page):
    view = _revealed_video_frame(qtbot, video_page)
    video_page.item_view._app_state_changed(Qt.ApplicationState.ApplicationInactive)  # Alt+Tab, Space still down
    assert not view.revealed() and not view.is_revealing()
    assert view.displayed_image() is view._large.veiled
    assert video_page.item_view.tracker.revealed is None
    video_page.item_view._app_state_changed(Qt.ApplicationState.ApplicationActive)  # back: still blurred
    assert view.displayed_image() is view._large.veiled
    qtbot.keyRelease(video_page, Qt.Key.Key_Space)


def test_hiding_a_revealed_video_stops_counting_the_reveal(qtbot, video_page):
    _revealed_video_frame(qtbot, video_page)
    video_page.item_view.toggle_hidden()  # Esc
    assert video_page.item_view.tracker.revealed is None
    assert not video_page.item_view.reblur_timer.isActive()
    qtbot.keyRelease(video_page, Qt.Key.Key_Space)


def test_a_video_frame_arriving_while_space_is_held_is_counted_and_auto_reblurs(qtbot, video_page):
    view = video_page.item_view.video_view
    qtbot.keyClick(video_page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.mode() == "grid", timeout=10000)
    qtbot.keyPress(video_page, Qt.Key.Key_Space)  # held over the storyboard: nothing is clear yet
    assert video_page.item_view.tracker.revealed is None
    with qtbot.waitSignal(view.frame_shown, timeout=10000):
        qtbot.keyClick(video_page, Qt.Key.Key_O)
    assert view.is_revealing()
    assert video_page.item_view.tracker.revealed == "whole"  # the ledger sees what the canvas shows
    assert video_page.item_view.reblur_timer.isActive()
    video_page.clock.advance(video_page.view.auto_reblur_s + 0.1)
    video_page.item_view.check_auto_reblur()
    assert not view.is_revealing()
    qtbot.keyRelease(video_page, Qt.Key.Key_Space)



def test_a_second_decision_key_while_the_first_is_on_its_way_is_ignored(qtbot, page):
    _start(qtbot, page)
    first = page.item
    page.act("no_violation")
    page.act("no_violation")  # no event loop in between: the first write has not come back
    _decided(qtbot, page)
    _moved_on(qtbot, page, first)
    rows = page.ops.store.db.execute("SELECT item_id FROM decisions").fetchall()
    assert rows == [(first.id,)]
    assert serving.holder(page.ops.store, page.item.id)[0] == "ana"


def test_closing_while_a_decision_is_on_its_way_leaves_nothing_held(qtbot, page):
    _start(qtbot, page)
    first = page.item
    page.act("no_violation")  # stored, and the next item claimed, on the writer
    page.close_page()  # before the answer came back
    page.ops.close()  # sign-out: the writes land, nothing more is delivered
    store = page.ops.store
    assert store.db.execute("SELECT item_id FROM decisions").fetchall() == [(first.id,)]
    assert store.db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0


def test_a_refused_decision_ends_the_reveal_it_interrupted(qtbot, page):
    """R without a label is refused and the item stays: the region revealed before it is veiled again."""
    _start(qtbot, page)
    rect = page.item_view.image.image_rect()
    start = QPoint(int(rect.x() + rect.width() * 0.25), int(rect.y() + rect.height() * 0.25))
    end = QPoint(int(rect.x() + rect.width() * 0.5), int(rect.y() + rect.height() * 0.5))
    qtbot.mousePress(page.item_view.image, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(page.item_view.image, end)
    qtbot.mouseRelease(page.item_view.image, Qt.MouseButton.LeftButton, pos=end)
    assert page.item_view.image.reveal_state() == "region"
    qtbot.keyClick(page, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: "label" in page.decision.message.text())
    _settled(qtbot, page)
    assert page.item is not None
    assert page.item_view.image.reveal_state() is None
    assert page.item_view.tracker.revealed is None
    assert page.item_view.tracker.record.region_ms >= 0 and page.item_view.tracker.record.reveals


def test_undo_keeps_working_when_the_store_is_too_busy_to_book_exposure(qtbot, page, monkeypatch):
    """The exposure booking after an undo meets a busy store: the item still comes back, the keys still work."""
    from review.errors import StoreBusy
    from review.store import wellbeing as wellbeing_store

    _start(qtbot, page)
    page.act("no_violation")
    _decided(qtbot, page)
    book = wellbeing_store.add_exposure
    calls = []

    def busy_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise StoreBusy("another program is writing to the store")
        return book(*args, **kwargs)

    monkeypatch.setattr(wellbeing_store, "add_exposure", busy_once)
    undone = page.last_decision.item_id
    page.undo()
    qtbot.waitUntil(lambda: page.item is not None and page.item.id == undone)
    _settled(qtbot, page)
    assert not page.busy
    page.act("no_violation")
    qtbot.waitUntil(lambda: page.last_decision is not None and page.last_decision.item_id == undone)
