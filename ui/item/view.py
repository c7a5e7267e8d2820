"""One reported item on screen, shown the safe way: header, veiled media, context.

Every page that shows an item (the review page and the audit page) shares
this widget so the media safety rules live in one place:

- media appears only veiled (blurred, grayscale as the person's
  ``ViewSettings`` say, made stricter for the item's severity by the
  organisation's presets: :meth:`view_for`), read from the store, decoded
  and veiled on workers by ``MediaCache`` and the video view (through the
  page's operations runner, *ops*: the app's one pool, each worker with its
  own reader connection, so a server store's media are streamed and decoded
  in memory like a file store's, never written to disk);
- the reveal key (held) or a dragged rectangle reveals; releasing it, Esc
  (:meth:`toggle_hidden`), the item leaving, the window losing focus or the
  auto re-blur limit ends every reveal. A held key's reveal is measured from
  its first press, auto-repeat included (``ui.item.hold.RevealHold``), so
  holding the key never keeps an item clear past the limit;
- an ``ExposureTracker`` counts every millisecond on screen; :meth:`leave`
  hands the finished record to the page, which passes it to the wellbeing
  controller's ``item_left`` — the view itself never touches the store.

The page owns the flow and the keys; it calls :meth:`set_reveal`,
:meth:`toggle_hidden`, :meth:`video` and the zoom methods from its
shortcuts. The reveal key is a *held* key, which shortcuts cannot see
released, so the view watches it itself while focus is inside
*key_scope* (the page) and not in a text field.

The page hands in the organisation's severity presets when it has read
them (:meth:`set_severity_presets`); until then Veil's default presets
apply, and an item already on screen is veiled again if its settings change.

Between items a page puts a message where the media goes
(:meth:`show_idle`). :attr:`active_changed` reports whether the window is
in use (active, visible, not minimised) each time that is checked, for a
page that feeds a break coach. The video widget is :attr:`video_view`;
:meth:`video` is the command entry point.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from review.clock import Clock
from review.media import viewing
from review.media.viewing import ViewSettings
from review.serving import Item
from review.taxonomy import Taxonomy
from review.wellbeing.exposure import ExposureRecord, ExposureTracker
from ui import keymap
from ui.item.hold import RevealHold
from ui.item.loader import MediaCache, Prepared
from ui.item.media import VeiledImage
from ui.item.thread import ThreadPanel
from ui.item.video.widget import VideoView
from ui.operations import Operations
from ui.pages.review_panels import ContextPanel, ItemHeader

log = logging.getLogger(__name__)

REBLUR_CHECK_MS = 250
HIDDEN_TEXT = "Media hidden. Press Esc to show it (blurred)."


def moves(item: Item) -> bool:
    """Video and animated GIF get the storyboard view (a "mixed" item may be either)."""
    media_type = item.media_type or ""
    return media_type.startswith("video/") or media_type == "image/gif"


class ItemView(QWidget):
    """Header and media on the left; context (and the page's *side* widget) on the right."""

    said = Signal(str)  # something the person should read (auto re-blur)
    active_changed = Signal(bool)  # the window is (True) or is not in use; sent on every check

    def __init__(
        self,
        taxonomy: Taxonomy,
        view: ViewSettings,
        clock: Clock,
        *,
        ops: Operations,
        reveal_key: Qt.Key = Qt.Key.Key_Space,
        key_scope: QWidget | None = None,
        side: QWidget | None = None,
        under_media: QWidget | None = None,
        media_error_hint: str = "You can still decide this item.",
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("itemView")
        self.taxonomy, self.view, self.clock = taxonomy, view, clock
        self.presets: dict[str, dict[str, object]] | None = None  # None: Veil's default severity presets
        self.shown_view = view  # what applies to the item on screen: view_for(item)
        self.reveal_key = reveal_key
        self.media_error_hint = media_error_hint  # said under a picture that cannot be shown
        self.key_scope = key_scope or self
        self._following_focus = False  # the reveal key is watched on the focused widget while shown (_watch_keys)
        self.cache = MediaCache(ops.query, owner=self)
        self.tracker = ExposureTracker(clock)
        self.hold = RevealHold(clock)
        self.item: Item | None = None
        self.hidden = False
        self.media_reveal: str | None = None  # the media's own reveal ("whole", "region"), apart from the thread
        self._build(ops, side, under_media)
        self.reblur_timer = QTimer(self, interval=REBLUR_CHECK_MS, timeout=self.check_auto_reblur)
        QGuiApplication.instance().applicationStateChanged.connect(self._app_state_changed)

    def _build(self, ops: Operations, side: QWidget | None, under_media: QWidget | None) -> None:
        self.header = ItemHeader(self.taxonomy)
        self.image = VeiledImage()
        self.image.reveal_changed.connect(self._reveal_changed)
        self.text_view = QTextBrowser()
        self.text_view.setObjectName("postBody")
        self.text_view.setAccessibleName("Post text")
        self.text_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.idle = QLabel()
        self.idle.setObjectName("idleMessage")
        self.idle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.idle.setWordWrap(True)
        self.video_view = VideoView(ops, view=lambda: self.shown_view)
        self.video_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # every key stays with the page
        self.video_view.playing_changed.connect(self.tracker.set_playing)
        # A frame may arrive (still or playing) while the reveal key is held: keep the ledger and
        # the auto re-blur timer in step with what the canvas actually shows.
        self.video_view.frame_shown.connect(self._sync_video_reveal)
        self.video_view.reveal_changed.connect(self._sync_video_reveal)  # a region dragged open on a keyframe
        self.media = QStackedWidget()
        self.media.setAccessibleName("Media")
        for widget in (self.idle, self.image, self.text_view, self.video_view):
            self.media.addWidget(widget)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.header)
        left_layout.addWidget(self.media, 1)
        self.thread = ThreadPanel()  # under the item, collapsed: the thread key (or a click) opens it
        self.thread.asked.connect(self.toggle_thread)
        left_layout.addWidget(self.thread)
        if under_media is not None:  # below the wide media, not in the side column: the context keeps its room
            left_layout.addWidget(under_media)

        self.context = ContextPanel(self.taxonomy)
        scroll = QScrollArea()  # the context may be long; the side widget stays in view
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.context)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        right = QWidget()
        right.setMinimumWidth(430)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(scroll, 1)
        if side is not None:
            right_layout.addWidget(side)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    # ------------------------------------------------------------- showing
    def show_item(self, item: Item, *, history: dict[str, int] | None = None, due: bool = False) -> None:
        """Put *item* on screen, veiled, and start measuring.

        *history* ("seen before" counts) and *due* (the SLA clock) are for
        review; an audit passes neither, because both would hint at the
        decision being audited.
        """
        if self.item is not None:
            raise RuntimeError("leave() the item on screen before showing another")
        self.item = item
        self.shown_view = self.view_for(item)
        self.tracker.start(item.id, severity=item.severity, category=item.category)
        self.header.show_item(item)
        now = self.clock.now()
        self.context.show_item(item, now=now, history={} if history is None else history)  # a pending one is empty
        self.context.seen.setVisible(history is not None)
        self.context.sla.setVisible(due)
        self._show_media(item)
        self.thread.show_item(item, media_hidden=self.hidden)

    def _show_media(self, item: Item) -> None:
        self.image.clear()
        self.video_view.clear()
        self.describe_media(None, item)
        if self.hidden:
            self.idle.setText(HIDDEN_TEXT)
            self.media.setCurrentWidget(self.idle)
        elif item.kind == "text" or not item.media_path:
            self.text_view.setPlainText(item.text)
            self.media.setCurrentWidget(self.text_view)
        elif moves(item):
            self.media.setCurrentWidget(self.video_view)
            self.video_view.show_video(item.media_path)
        else:
            self.media.setCurrentWidget(self.image)
            self.image.show_message("Preparing the blurred preview…")
            self.cache.request(item, self.media_box(), self.shown_view, self._media_ready)

    def _media_ready(self, prepared: Prepared) -> None:
        if self.item is None or prepared.item_id != self.item.id or self.hidden:
            return
        if prepared.error:
            self.image.show_message(f"{prepared.error}\n{self.media_error_hint}")
        else:
            self.image.show_images(prepared.veiled, prepared.clear)

    def view_for(self, item: Item) -> ViewSettings:
        """The settings *item* is shown with: the person's, made stricter by its severity's preset."""
        return viewing.for_severity(self.view, item.severity, self.presets)

    def read_severity_presets(self, ops: Operations) -> None:
        """Read the organisation's presets on a reader; they apply when they arrive (Veil's defaults until then)."""
        ops.query(viewing.severity_presets, on_done=self.set_severity_presets, owner=self,
                  on_error=lambda exc: log.warning("severity presets not read; Veil's defaults apply: %s", exc))

    def set_severity_presets(self, presets: dict[str, dict[str, object]]) -> None:
        """The organisation's presets arrived (``review.media.viewing.severity_presets``)."""
        self.presets = presets
        if self.item is None or self.view_for(self.item) == self.shown_view:
            return
        self.end_reveal()
        self.shown_view = self.view_for(self.item)
        self.video_view.refresh_view()
        if not self.hidden and self.media.currentWidget() is self.image:
            self._show_media(self.item)

    def media_box(self) -> tuple[int, int]:
        """Decode size in device pixels: the media area (at least 800×600 so zoom has detail) times the screen's
        pixel ratio, so a revealed picture is sharp at 2× (it was decoded at half). The blur is a share of the
        decoded width (``review.media.preview.blur_sigma``), so it grows with it: as blurred at 2× as at 1×."""
        size, ratio = self.media.size(), max(1.0, self.media.devicePixelRatioF())
        return round(max(800, size.width()) * ratio), round(max(600, size.height()) * ratio)

    def show_idle(self, text: str) -> None:
        """No item on screen: an empty header and context, *text* where the media goes."""
        self.header.show_item(None)
        self.context.show_item(None, now=self.clock.now(), history={})
        self.thread.show_item(None)
        self.image.clear()
        self.idle.setText(text)
        self.media.setCurrentWidget(self.idle)

    def leave(self) -> ExposureRecord | None:
        """The item leaves the screen: every reveal ends; returns its exposure to be saved."""
        self.end_reveal()
        self.thread.show_item(None)
        self.image.clear()
        self.video_view.clear()
        self.reblur_timer.stop()
        record = self.tracker.finish()
        self.item = None
        return record

    # ------------------------------------------------------------- viewing
    def set_reveal(self, on: bool) -> None:
        """The reveal key held (True) or released (False)."""
        if self.item is None or self.hidden:
            return
        if self.media.currentWidget() is self.image:
            self.image.set_whole_reveal(on)
        elif self.media.currentWidget() is self.video_view:
            self.video_view.set_revealed(on)  # only a large or playing frame can be revealed
            self._sync_video_reveal()

    def end_reveal(self) -> None:
        """End every reveal at once, image and video alike (focus lost, hidden, item leaving).

        A reveal key still held reveals nothing more: it must be let go first.
        """
        self.hold.spend()
        self.image.reblur()
        if self.video_view.revealed() or self.video_view.reveal_state():
            self.video_view.reblur()
            if self.media.currentWidget() is self.video_view:
                self._reveal_changed(None)
        if self.thread.is_open and self.thread.severe:  # a severe item's thread is a reveal like its media
            self.thread.set_open(False)
            self._reveal_changed(None)

    def name_keys(self, bindings: list[keymap.Binding]) -> None:
        """The view's own hints name the person's keys: the thread line says their thread key, or a click
        when that command has no key."""
        key = next((b.key for b in bindings if b.command == "thread"), None)
        self.thread.key = None if key is None else keymap.shown_key(key)

    def toggle_thread(self) -> None:
        """The thread key: show or hide the posts around the item (text, so its time open is booked as shown)."""
        if self.item is not None:
            self.thread.toggle()
            self._reveal_changed(self.media_reveal)

    def _sync_video_reveal(self, *_: object) -> None:
        if self.media.currentWidget() is self.video_view:
            self._reveal_changed(self.video_view.reveal_state())

    def _reveal_changed(self, kind: str | None) -> None:
        """The media's reveal changed (or the thread opened or closed): book it, with the open thread as text
        shown whole; a media reveal starting while the thread is open is timed from its own start."""
        starting, self.media_reveal = kind is not None and self.media_reveal is None, kind
        if starting and self.tracker.revealed is not None:
            self.tracker.set_reveal(None)  # the thread's span ends here; the auto re-blur times the media's
        self.tracker.set_reveal(kind or ("whole" if self.thread.is_open else None))
        self.describe_media(kind)
        if kind or self.severe_thread_open():  # a severe item's open thread is a reveal the timer ends too
            if not self.reblur_timer.isActive():  # a restart per playing frame would never fire
                self.reblur_timer.start()
        else:
            self.reblur_timer.stop()

    def describe_media(self, reveal: str | None, item: Item | None = None) -> None:
        """Say in the media area's accessible description whether it is hidden, blurred or revealed: a screen
        reader user learns what is on screen without seeing it (issue 14 §3)."""
        item = item or self.item
        if self.hidden:
            state = "Media hidden"
        elif item is None or item.kind == "text" or not item.media_path:
            state = "Text only, no media"
        else:
            state = {"whole": "Media revealed", "region": "Media partly revealed"}.get(reveal or "", "Media blurred")
        for widget in (self.media, self.image, self.video_view):
            widget.setAccessibleDescription(state)

    def severe_thread_open(self) -> bool:
        """Whether a severe item's thread is open: a reveal like its media's, ended by the same limit."""
        return self.thread.is_open and self.thread.severe

    def check_auto_reblur(self) -> None:
        """End a reveal that has run continuously for the configured limit (a held key's: since its first press),
        the media's or a severe item's open thread (timed from when it opened, or from the media's last reveal)."""
        limit_ms = self.shown_view.auto_reblur_s * 1000
        thread_only = self.media_reveal is None
        if (self.media_reveal or self.severe_thread_open()) and max(
                self.tracker.current_reveal_ms(), self.hold.held_ms()) >= limit_ms:
            self.end_reveal()
            self._reveal_changed(None)
            limit = f"{self.shown_view.auto_reblur_s:g} s"
            self.said.emit(f"Thread hidden after {limit}. {self.thread.opener.capitalize()} shows it again."
                           if thread_only else
                           f"Re-blurred after {limit}. Hold Space again to look.")

    def toggle_hidden(self) -> None:
        """Esc: hide all media at once; again: show it (blurred)."""
        self.hidden = not self.hidden
        if self.hidden:
            self.end_reveal()
            self.video_view.clear()
            self.image.clear()
            self.idle.setText(HIDDEN_TEXT)
            self.media.setCurrentWidget(self.idle)
            self.thread.set_media_hidden(True)
            self._reveal_changed(None)
        elif self.item is not None:
            self.thread.set_media_hidden(False)
            self._show_media(self.item)

    def video(self, method: str, *args) -> None:
        """Video commands act only while a video (or animated GIF) is on screen."""
        if self.item is not None and not self.hidden and self.media.currentWidget() is self.video_view:
            getattr(self.video_view, method)(*args)
            self._sync_video_reveal()  # e.g. back to the grid: no revealed frame is on screen any more

    # ------------------------------------------------------------ plumbing
    def _app_state_changed(self, state: Qt.ApplicationState) -> None:
        self._set_active(state == Qt.ApplicationState.ApplicationActive)

    def _set_active(self, active: bool) -> None:
        visible = self.isVisible() and not self.window().isMinimized()
        self.tracker.set_active(active and visible)
        self.active_changed.emit(active and visible)
        if not (active and visible):
            self.end_reveal()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._watch_keys(True)
        self._set_active(QGuiApplication.applicationState() == Qt.ApplicationState.ApplicationActive)

    def hideEvent(self, event) -> None:
        self._watch_keys(False)
        self.end_reveal()
        self.tracker.set_active(False)
        super().hideEvent(event)

    def _watch_keys(self, on: bool) -> None:
        """Watch where key events go — the focused object — and the window (its state, its deactivation), following
        the focus; never the whole application: a filter in Python on it runs for every event of every object (ten
        thousand to open a page), each waiting for the interpreter while a background read holds it (issue 22)."""
        app = QApplication.instance()
        for target in (self.window(), QApplication.focusWidget()):  # no reference kept: see _focus_moved
            if target is not None:
                (target.installEventFilter if on else target.removeEventFilter)(self)
        if on != self._following_focus:
            self._following_focus = on
            (app.focusChanged.connect if on else app.focusChanged.disconnect)(self._focus_moved)

    def _focus_moved(self, old: QWidget | None, new: QWidget | None) -> None:
        """The filter moves with the focus. Qt names both widgets, so none is held here: a widget's Python
        wrapper kept past its life (or made while it is built) can be handed out again for another object."""
        if old is not None and old is not self.window():
            old.removeEventFilter(self)
        if new is not None:
            new.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The reveal key is held (press reveals, release re-blurs); shortcuts cannot see releases."""
        kind = event.type()
        if kind == QEvent.Type.WindowStateChange and watched is self.window():
            self._set_active(QGuiApplication.applicationState() == Qt.ApplicationState.ApplicationActive)
        if kind == QEvent.Type.WindowDeactivate and watched is self.window():
            # Another window of Veil took the focus (a dialog, the cheat sheet): the reveal key's
            # release will go there, so the reveal ends now rather than never.
            self.end_reveal()
        if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and isinstance(event, QKeyEvent):
            if event.key() == self.reveal_key:
                return self._reveal_key(kind == QEvent.Type.KeyPress, repeat=event.isAutoRepeat())
        return False

    def _reveal_key(self, down: bool, *, repeat: bool) -> bool:
        """The reveal key went down or up; True if the event is used up here."""
        owned = self._owns_focus()
        if repeat:  # the key is still held: neither a new press nor a release
            return owned
        if not down:
            self.hold.release()
            # Also when focus moved while the key was held (N to the note, a dialog): releasing it
            # still ends the held reveal; the key event itself goes on to where the focus is.
            self.set_reveal(False)
            return owned
        if owned:
            may_reveal = self.hold.press()
            self.set_reveal(may_reveal)
            if may_reveal:
                self.check_auto_reblur()  # a press continuing a hold at its limit reveals nothing
        return owned

    def _owns_focus(self) -> bool:
        focus = QGuiApplication.focusObject()
        if isinstance(focus, (QLineEdit, QTextEdit, QPlainTextEdit)) and not focus.isReadOnly():
            return False
        scope = self.key_scope
        return focus is scope or (isinstance(focus, QWidget) and scope.isAncestorOf(focus))

    def close_view(self) -> ExposureRecord | None:
        """The page closes: end the item (its exposure is returned) and forget pictures."""
        record = self.leave()
        self.cache.forget()
        self._watch_keys(False)
        return record
