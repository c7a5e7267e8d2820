"""Prepares an item's pictures off the GUI thread, and keeps the next one ready.

``prepare`` (run on a worker) opens the item's media from its store
(:func:`review.media.source.open_media`: the file in a file store's media
root, or a server store's blob read on demand — one road for both, decoded
in memory, nothing written to disk), decodes it at display size, then
builds the veiled picture (stylised if asked, blurred, grayscale) and the
clear one, both as ``QImage``. ``MediaCache`` remembers the last few
results and the jobs in flight, so the item the reviewer is most likely to
get next is already prepared when they press the key, and a request for an
item whose job is still running waits for that job rather than starting
another. The jobs are reads through the app's one pool
(``Operations.query``, handed in by the view: each worker reads with its
own reader connection); the cache never makes a pool of its own.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QImage

from review.media import MediaError, frames, preview
from review.media.source import open_media
from review.media.viewing import ViewSettings
from review.serving import Item
from review.store import Store
from ui.item.qimage import to_qimage

Box = tuple[int, int]
ReadInBackground = Callable[..., Any]
"""``query(fn, on_done=, on_error=, owner=)`` calling ``fn(reader)`` on a worker: ``Operations.query``."""


@dataclass(frozen=True)
class Prepared:
    item_id: int
    veiled: QImage | None = None
    clear: QImage | None = None
    error: str | None = None  # why the media cannot be shown; the item can still be decided


def prepare(store: Store, item: Item, box: Box, view: ViewSettings) -> Prepared:
    """Read *item*'s media from *store* (a worker's reader), decode, veil and convert it. Runs on a worker thread.

    A file missing from the media root, a blob missing or damaged in a server store: said calmly, before or
    instead of any picture (the item can still be decided).
    """
    if not item.media_path:
        return Prepared(item.id, error="This item has no media file")
    try:
        with open_media(store, item.media_path) as media:
            clear = frames.still(media, *box)
    except MediaError as exc:
        return Prepared(item.id, error=f"This image cannot be shown: {exc}")
    except OSError as exc:
        return Prepared(item.id, error=f"This image cannot be shown: {exc.strerror or exc}")
    if view.grayscale:
        clear = preview.apply_view(clear, blur_level=0, grayscale=True)
    veiled = preview.stylise(clear) if view.reduced_detail else clear
    veiled = preview.apply_view(veiled, blur_level=view.blur_level, grayscale=view.grayscale)
    return Prepared(item.id, _paintable(veiled), _paintable(clear))


def _paintable(pixels) -> QImage:
    """A QImage in the raster engine's native format, so painting never converts."""
    return to_qimage(pixels).convertToFormat(QImage.Format.Format_RGB32)


class MediaCache:
    """The last few prepared items, and prepare jobs in flight, keyed by item, size and view."""

    def __init__(self, query: ReadInBackground, *, owner: QObject | None = None, keep: int = 4):
        self.query = query
        self.owner = owner  # once it is deleted, results in flight are dropped
        self.keep = keep
        self._done: OrderedDict[tuple, Prepared] = OrderedDict()
        self._waiting: dict[tuple, list[Callable[[Prepared], None]]] = {}

    @staticmethod
    def _key(item: Item, box: Box, view: ViewSettings) -> tuple:
        return (item.id, item.media_path, box, view)

    def cached(self, item: Item, box: Box, view: ViewSettings) -> Prepared | None:
        return self._done.get(self._key(item, box, view))

    def request(self, item: Item, box: Box, view: ViewSettings, on_ready: Callable[[Prepared], None]) -> bool:
        """Call *on_ready* with the prepared item: now if cached (returns True), else later."""
        key = self._key(item, box, view)
        ready = self._done.get(key)
        if ready is not None:
            self._done.move_to_end(key)
            on_ready(ready)
            return True
        self._start(key, item, box, view).append(on_ready)
        return False

    def prefetch(self, item: Item, box: Box, view: ViewSettings) -> None:
        key = self._key(item, box, view)
        if key not in self._done:
            self._start(key, item, box, view)

    def _start(self, key: tuple, item: Item, box: Box, view: ViewSettings) -> list:
        if key in self._waiting:
            return self._waiting[key]
        callbacks: list[Callable[[Prepared], None]] = []
        self._waiting[key] = callbacks

        def finished(result: Prepared) -> None:
            waiting = self._waiting.pop(key, None)
            if waiting is None:  # forgotten meanwhile (sign-out): keep no picture
                return
            self._done[key] = result
            while len(self._done) > self.keep:
                self._done.popitem(last=False)
            for callback in waiting:
                callback(result)

        def failed(exc: BaseException) -> None:
            finished(Prepared(item.id, error=f"This image cannot be shown: {exc}"))

        self.query(lambda reader: prepare(reader, item, box, view), on_done=finished, on_error=failed,
                   owner=self.owner)
        return callbacks

    def forget(self) -> None:
        """Drop every prepared picture, and those still being prepared (sign-out: nothing stays in memory)."""
        self._done.clear()
        self._waiting.clear()
