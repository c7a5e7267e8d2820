"""The desk's media views read a server store's media (issue 15 §4), the same road as a file store's.

On a server store an item's media are blobs in the store, not files: the review page's picture (and the
prefetch of the next one), the video storyboard, its large frame and playback read them through a reader
connection (``ops.query``; playback opens its own) and decode them in memory. Each test runs on both kinds of
store (one road: ``review.media.source.open_media``); the server's leg skips, said, when ``VEIL_TEST_STORES``
leaves PostgreSQL out. While the views show, reveal and play the media, nothing is written: no temporary file,
no file opened for writing, no picture saved, nothing new under the test's folder or the temporary folder, and
on a server no file of the media's name is even looked at. Media are generated (stripes, shapes, a word).
"""

from __future__ import annotations

import builtins
import io
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from test_review_page import _close, _open_page, _sharpness

from review.imports import manifest as importer
from review.media.source import open_media

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

WAIT_MS = 15000
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


@pytest.fixture(params=["sqlite", "postgresql"])
def store_kind(request) -> str:
    """Both kinds of store (tests/conftest.py's ``store_location`` starts the test server for the second)."""
    return request.param


def _picture(path: Path, colour: str, *, across: bool = False) -> Path:
    """Stripes (down, or *across*) in *colour*: two pictures differing only in colour are one content to PDQ."""
    picture = Image.new("RGB", (640, 480), colour)
    draw = ImageDraw.Draw(picture)
    for x in range(0, 640, 16):  # sharp stripes: detail for the blur to remove
        draw.line([(0, x), (640, x)] if across else [(x, 0), (x, 480)], fill=(255, 255, 255), width=3)
    draw.text((40, 40), "SIMULATED CONTENT", fill=(0, 0, 0))
    picture.save(path)
    return path


def _clip(path: Path, frames: int = 30) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (160, 120))
    for i in range(frames):
        frame = np.full((120, 160, 3), (40, 60, 90), np.uint8)
        cv2.rectangle(frame, (10 + i, 20), (60 + i, 70), (0, 200, 255), -1)
        cv2.putText(frame, f"T{i}", (10, 110), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
        writer.write(frame)
    writer.release()
    return path


def _import(store, tmp_path: Path, media: dict[str, Path]) -> dict[str, str]:
    """Import *media* (external id → file) as a lead would, into one queue; the items' stored media names."""
    store.add_user("lee", ["lead"])
    store.add_user("ana", ["moderator"])
    lines = [f'{{"id": "{ext}", "queue": "q", "media": "{path.name}"}}\n' for ext, path in media.items()]
    manifest = tmp_path / "drop" / "m.jsonl"
    manifest.write_text("".join(lines), encoding="utf-8")
    result = importer.import_manifest(store, manifest, create_queues=True, actor="lee")
    assert result.added == len(media), result.problems
    return dict(store.db.execute("SELECT external_id, media_path FROM items ORDER BY id").fetchall())


@pytest.fixture
def drop(tmp_path) -> Path:
    (tmp_path / "drop").mkdir()
    return tmp_path / "drop"


class Watch:
    """What the process writes, or opens of the media's names, while the views work (see the module notes)."""

    def __init__(self, monkeypatch, tmp_path: Path, names: list[str], *, server: bool):
        self.root, self.names, self.server, self.writes = tmp_path, [Path(n).stem for n in names], server, []
        self.scratch = tmp_path / "scratch-tmp"
        self.scratch.mkdir()
        monkeypatch.setenv("TMPDIR", str(self.scratch))
        monkeypatch.setattr(tempfile, "tempdir", None)
        for maker in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile"):
            monkeypatch.setattr(tempfile, maker, lambda *a, _n=maker, **k: self.writes.append(f"tempfile.{_n}"))
        real_open, real_os_open = builtins.open, os.open

        def watched_open(file, mode="r", *args, **kwargs):
            self._seen(file, any(c in mode for c in "wax+"))
            return real_open(file, mode, *args, **kwargs)

        def watched_os_open(path, flags, *args, **kwargs):
            self._seen(path, bool(flags & _WRITE_FLAGS))
            return real_os_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", watched_open)
        monkeypatch.setattr(io, "open", watched_open)
        monkeypatch.setattr(os, "open", watched_os_open)
        monkeypatch.setattr(cv2, "imwrite", lambda *a, **k: self.writes.append("cv2.imwrite"))
        monkeypatch.setattr(Image.Image, "save", lambda *a, **k: self.writes.append("Image.save"))
        monkeypatch.setattr(QImage, "save", lambda *a, **k: self.writes.append("QImage.save"))
        self.before = self._files()

    def _seen(self, file, writing: bool) -> None:
        if writing and not os.path.basename(os.fspath(file)).startswith("veil.db"):  # a file store's own database
            self.writes.append(f"opened for writing: {file}")
        elif self.server and any(name in os.fspath(file) for name in self.names):
            self.writes.append(f"looked for a server's media on this desk: {file}")

    def _files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if not p.name.startswith("veil.db"))

    def nothing_written(self) -> None:
        assert self.writes == []
        assert self._files() == self.before  # nothing new under the test's folder (the desk's Veil folder too)
        assert not list(self.scratch.iterdir())


def _watch(monkeypatch, tmp_path, store, names: dict[str, str]) -> Watch:
    return Watch(monkeypatch, tmp_path, list(names.values()), server=store.media_root is None)


def test_the_review_page_shows_a_stores_picture_veiled_reveals_it_and_prepares_the_next(
        qtbot, store, tmp_path, drop, monkeypatch):
    names = _import(store, tmp_path, {"red": _picture(drop / "red.png", "red"),
                                      "blue": _picture(drop / "blue.png", "blue", across=True)})
    if store.media_root is None:
        assert store.db.execute("SELECT COUNT(*) FROM media_blobs WHERE complete = 1").fetchone()[0] == 2
    page = _open_page(qtbot, store)
    try:
        watch = _watch(monkeypatch, tmp_path, store, names)
        qtbot.keyClick(page, Qt.Key.Key_Return)
        view = page.item_view
        qtbot.waitUntil(lambda: view.image.has_image, timeout=WAIT_MS)
        assert page.item.external_id == "red"
        assert view.image.reveal_state() is None  # blurred by default
        assert _sharpness(view.image._veiled) < _sharpness(view.image._clear) / 3
        with Image.open(drop / "red.png") as original:
            tone = float(np.asarray(original.convert("L")).mean())
        shown = view.image._clear.convertToFormat(QImage.Format.Format_Grayscale8)
        pixels = np.frombuffer(shown.constBits(), np.uint8).reshape(shown.height(), shown.bytesPerLine())
        assert abs(float(pixels[:, : shown.width()].mean()) - tone) < 12  # the store's picture (grayscale by default)
        view.set_reveal(True)
        assert view.image.reveal_state() == "whole"
        view.set_reveal(False)
        assert view.image.reveal_state() is None
        first = page.item
        qtbot.waitUntil(lambda: any(key[0] != first.id and not ready.error for key, ready in view.cache._done.items()),
                        timeout=WAIT_MS)  # the next item, prepared from the store before it is asked for
        qtbot.keyClick(page, Qt.Key.Key_A)
        qtbot.waitUntil(lambda: page.item is not None and page.item.id != first.id, timeout=WAIT_MS)
        assert page.item.external_id == "blue"
        assert view.image.has_image  # painted at once, from what was prepared
        qtbot.waitUntil(lambda: not page.busy and page.ops.pending() == 0, timeout=WAIT_MS)
        watch.nothing_written()
    finally:
        _close(page)


def test_the_review_page_shows_a_stores_video_as_a_storyboard_a_frame_and_playback(
        qtbot, store, tmp_path, drop, monkeypatch):
    names = _import(store, tmp_path, {"clip": _clip(drop / "clip.mp4")})
    page = _open_page(qtbot, store)
    try:
        watch = _watch(monkeypatch, tmp_path, store, names)
        qtbot.keyClick(page, Qt.Key.Key_Return)
        video = page.item_view.video_view
        qtbot.waitUntil(lambda: video.mode() in ("grid", "error"), timeout=WAIT_MS)
        assert video.mode() == "grid", video.message()
        assert video.thumbnail_count() == 9 and video.duration() == pytest.approx(3.0)
        assert not video.is_playing()
        with qtbot.waitSignal(video.frame_shown, timeout=WAIT_MS):
            page.item_view.video("open_frame", 4)
        assert video.note() == ""
        page.item_view.set_reveal(True)
        assert video.reveal_state() == "whole"
        page.item_view.set_reveal(False)
        assert video.reveal_state() is None
        with qtbot.waitSignal(video.playing_changed, timeout=WAIT_MS) as started:
            page.item_view.video("play")
        assert started.args == [True]
        qtbot.waitUntil(lambda: video.position() > 1.0, timeout=WAIT_MS)
        page.item_view.video("pause")
        assert video.note() == "" and video.mode() == "frame"
        qtbot.waitUntil(lambda: page.ops.pending() == 0, timeout=WAIT_MS)
        watch.nothing_written()
    finally:
        _close(page)


@pytest.mark.parametrize("store_kind", ["postgresql"], indirect=True)
def test_a_blob_missing_from_the_server_is_said_calmly_and_the_item_stays(qtbot, store, tmp_path, drop):
    names = _import(store, tmp_path, {"red": _picture(drop / "red.png", "red")})
    with store.transaction() as db:
        db.execute("DELETE FROM media_chunks")
        db.execute("DELETE FROM media_blobs")
    page = _open_page(qtbot, store)
    try:
        qtbot.keyClick(page, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: page.item is not None and "cannot be shown" in page.item_view.image.message(),
                        timeout=WAIT_MS)
        text = page.item_view.image.message()
        assert f"media {names['red']} is not in the store" in text and "reads only files" not in text
        assert page.item.external_id == "red" and not page.item_view.image.has_image  # decidable, nothing shown
    finally:
        _close(page)


def test_media_read_for_a_view_on_a_server_are_the_same_pixels_as_on_a_file(store, tmp_path, drop):
    """One road: ``open_media`` gives the views the same bytes whichever store holds them."""
    picture = _picture(drop / "red.png", "red")
    names = _import(store, tmp_path, {"red": picture})
    with open_media(store, names["red"]) as media:
        assert media.stream.read() == picture.read_bytes()
