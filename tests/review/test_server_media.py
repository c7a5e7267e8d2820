"""Media reach every desk (issue 15 §4): a server store keeps imported media once, as content-addressed blobs;
uploads resume after a kill and are verified; an import is all-or-nothing; clients read blobs in memory.

Where a rule holds on both stores the test takes ``store`` (both kinds); what only a server does is
``server_only``. Media are generated (shapes and a word), never real harmful content.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from builders import IMPORTER, store_arg
from builders import events as logged
from PIL import Image, ImageDraw

from desktop.main import main
from review.imports import manifest as importer
from review.media import MediaError, frames, source
from review.media import root as media_files
from review.store import media_check, media_root, server_media

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def picture(path: Path, word: str = "ok", size: tuple[int, int] = (64, 48)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, (230, 235, 240))
    ImageDraw.Draw(image).ellipse((4, 4, size[0] // 2, size[1] // 2), fill=(40, 120, 200))
    ImageDraw.Draw(image).text((4, size[1] - 14), word, fill=(0, 0, 0))
    image.save(path)
    return path


def noisy(path: Path, size: tuple[int, int] = (400, 300)) -> Path:
    """A PNG of incompressible pixels (~360 KB): several chunks when chunks are small."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(3).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    return path


def clip(path: Path, count: int = 12) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for i in range(count):
        frame = np.random.default_rng(i).integers(0, 255, (48, 64, 3), dtype=np.uint8)  # incompressible: many chunks
        cv2.circle(frame, (8 + i * 4, 24), 6, (200, 80, 40), -1)
        writer.write(frame)
    writer.release()
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def put(store, path: Path, digest: str, mime: str = "image/png", **options) -> server_media.Stored:
    """The store layer's upload, its role check left to the caller (:func:`review.media.root.upload` does it)."""
    return server_media.upload(store, path, digest, mime, guard=lambda: None, **options)


def run(store, path: Path, **options):
    return importer.import_manifest(store, path, create_queues=True, actor=IMPORTER, **options)


def media_of(store) -> dict[str, str | None]:
    return dict(store.db.execute("SELECT external_id, media_path FROM items ORDER BY id").fetchall())


def blobs(store) -> list[tuple[str, int]]:
    return store.db.execute("SELECT name, complete FROM media_blobs ORDER BY name").fetchall()


@pytest.fixture
def lead(store):
    store.add_user(IMPORTER, ["lead"])
    return IMPORTER


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 8 KiB, so a test's small files span several rows."""
    monkeypatch.setattr(server_media, "CHUNK_BYTES", 1 << 13)
    return 1 << 13


# ------------------------------------------------------------------------------------------ stored once, by SHA-256

def test_the_same_bytes_twice_are_stored_once(store, lead, tmp_path):
    first = picture(tmp_path / "drop" / "a.png")
    (tmp_path / "drop" / "b.png").write_bytes(first.read_bytes())
    result = run(store, manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"},
                                                                  {"id": "2", "queue": "q", "media": "b.png"}]))
    assert result.added == 2, result.problems
    name = media_root.content_name(sha(first), "image/png")
    assert media_of(store) == {"1": name, "2": name}  # one content name on both kinds of store
    if store.media_root is None:
        assert blobs(store) == [(name, 1)]
    else:
        assert [p.relative_to(store.media_root).as_posix() for p in store.media_root.rglob("*.png")] == [name]
    assert list(media_check.problems(store.db, store.path)) == []


@pytest.mark.server_only
def test_a_server_store_imports_media_into_itself_in_rows_of_a_mebibyte(store, lead, tmp_path):
    assert store.media_root is None
    big = tmp_path / "drop" / "big.png"
    big.parent.mkdir(parents=True)
    big.write_bytes(noisy(tmp_path / "n.png", (900, 900)).read_bytes())  # ~2.4 MB: three rows
    assert run(store, manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "big.png"}])).added
    sizes = [n for (n,) in store.db.execute("SELECT length(data) FROM media_chunks ORDER BY seq")]
    assert sizes[:-1] == [server_media.CHUNK_BYTES] * (len(sizes) - 1) and sum(sizes) == big.stat().st_size
    assert len(sizes) == 3


# ------------------------------------------------------------------------------------------ resumable, verified

@pytest.mark.server_only
def test_an_upload_killed_mid_file_resumes_sending_only_what_is_missing(store, lead, tmp_path, small_chunks,
                                                                        monkeypatch):
    big = noisy(tmp_path / "drop" / "big.png")
    chunks = -(-big.stat().st_size // small_chunks)
    assert chunks >= 5
    rows = manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "big.png"}])
    sent: list[int] = []
    real = type(store.db).execute

    def killed_after_three(db, sql, params=None):
        if sql.startswith("INSERT INTO media_chunks"):
            if len(sent) == 3:
                raise KeyboardInterrupt  # the process dies here, mid-file
            sent.append(params[1])
        return real(db, sql, params)

    monkeypatch.setattr(type(store.db), "execute", killed_after_three)
    with pytest.raises(KeyboardInterrupt):
        run(store, rows)
    assert media_of(store) == {} and blobs(store) == [(media_root.content_name(sha(big), "image/png"), 0)]
    sent.clear()
    monkeypatch.setattr(type(store.db), "execute", lambda db, sql, params=None: (
        sent.append(params[1]) if sql.startswith("INSERT INTO media_chunks") else None) or real(db, sql, params))
    assert run(store, rows).added == 1
    assert sent == list(range(3, chunks))  # the three chunks the killed run sent are not sent again
    assert blobs(store) == [(media_root.content_name(sha(big), "image/png"), 1)]
    assert list(media_check.problems(store.db, None)) == []


@pytest.mark.server_only
def test_a_resumed_upload_rewrites_a_held_chunk_whose_bytes_are_not_the_files(store, lead, tmp_path, small_chunks):
    big = noisy(tmp_path / "big.png")
    digest = sha(big)
    with pytest.raises(KeyboardInterrupt):
        put(store, big, digest, progress=lambda done: _stop_after(done, 2 * small_chunks))
    with store.transaction():  # the row keeps its mark but its bytes were altered
        store.db.execute("UPDATE media_chunks SET data = ? WHERE seq = 1", [b"\0" * small_chunks])
    name = put(store, big, digest).name
    with source.open_media(store, name) as media:
        assert media.stream.read() == big.read_bytes()


def _stop_after(done: int, limit: int) -> None:
    if done >= limit:
        raise KeyboardInterrupt


@pytest.mark.server_only
def test_bytes_that_do_not_hash_to_the_checked_sha256_are_never_marked_complete(store, lead, tmp_path):
    file = picture(tmp_path / "a.png")
    wrong = hashlib.sha256(b"another picture").hexdigest()
    with pytest.raises(MediaError, match="changed while it was being imported"):
        put(store, file, wrong)
    assert blobs(store) == [(media_root.content_name(wrong, "image/png"), 0)]
    with pytest.raises(server_media.BlobMissing, match="its upload never finished"):
        source.open_media(store, media_root.content_name(wrong, "image/png"))


@pytest.mark.server_only
def test_a_file_changed_after_its_check_is_refused_and_no_item_names_it(store, lead, tmp_path, monkeypatch):
    file = picture(tmp_path / "drop" / "a.png", "before")
    real = server_media.upload

    def changed_first(store_, path, digest, mime, **kw):
        picture(path, "after")  # someone rewrote the file between its check and its upload
        return real(store_, path, digest, mime, **kw)

    monkeypatch.setattr(server_media, "upload", changed_first)
    result = run(store, manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"}]))
    assert not result.committed and "changed while it was being imported" in " ".join(map(str, result.problems))
    assert media_of(store) == {} and file.exists()


# ------------------------------------------------------------------------------------------ all-or-nothing, prune

def test_a_failing_manifest_writes_no_item_and_its_media_are_pruned(store, lead, tmp_path):
    picture(tmp_path / "drop" / "a.png", "orphan")
    result = run(store, manifest(tmp_path / "drop" / "m.jsonl", [
        {"id": "1", "queue": "q", "media": "a.png"}, {"id": "2", "queue": "q", "text": "x", "severity": "no"}]))
    assert not result.committed and media_of(store) == {}
    [problem] = media_check.problems(store.db, store.path)
    assert "named by no item" in problem and "`veil media prune` removes them" in problem
    assert media_files.prune(store, IMPORTER).recent == 1  # an import may still be about to name it
    done = media_files.prune(store, IMPORTER, older_than=0)
    assert (done.removed, done.unfinished) == (1, 0)
    assert list(media_check.problems(store.db, store.path)) == []
    [event] = logged(store, "media.pruned")
    assert event.payload["removed"] == 1


def test_veil_verify_and_media_prune_on_the_command_line(store, lead, tmp_path, capsys):
    picture(tmp_path / "drop" / "a.png", "kept")
    picture(tmp_path / "drop" / "b.png", "orphan")
    assert run(store, manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"}])).added
    assert not run(store, manifest(tmp_path / "drop" / "n.jsonl", [
        {"id": "2", "queue": "q", "media": "b.png"}, {"id": "3", "queue": "q", "severity": "no"}])).committed
    where = store_arg(store)
    assert main(["verify", "--store", where]) == 1
    assert "named by no item" in capsys.readouterr().out
    assert main(["media", "prune", "--store", where, "--user", IMPORTER, "--older-than", "0"]) == 0
    assert "of the files no item names, removed 1 " in capsys.readouterr().out
    assert main(["verify", "--store", where]) == 0  # the imported item's media: whole, unchanged


@pytest.mark.server_only
def test_a_killed_uploads_unfinished_blob_is_listed_and_pruned(store, lead, tmp_path, small_chunks):
    big = noisy(tmp_path / "big.png")
    with pytest.raises(KeyboardInterrupt):
        put(store, big, sha(big), progress=lambda done: _stop_after(done, small_chunks))
    [problem] = media_check.problems(store.db, None)
    assert "1 media blob in the store named by no item (1 unfinished" in problem
    done = media_files.prune(store, IMPORTER, older_than=0)
    assert (done.removed, done.unfinished, done.bytes) == (1, 1, big.stat().st_size)
    assert blobs(store) == [] and store.db.execute("SELECT COUNT(*) FROM media_chunks").fetchone()[0] == 0


# ------------------------------------------------------------------------------------------ read in memory

@pytest.fixture
def imported(store, lead, tmp_path):
    """An image and a video imported, their original files then deleted: what is shown comes from the store."""
    still = picture(tmp_path / "drop" / "a.png", size=(320, 240))
    video = clip(tmp_path / "drop" / "c.mp4")
    expected = {"still": frames.still(still, 160, 120), "board": frames.storyboard(video, 4, 64, 48)}
    result = run(store, manifest(tmp_path / "drop" / "m.jsonl", [{"id": "img", "queue": "q", "media": "a.png"},
                                                                  {"id": "vid", "queue": "q", "media": "c.mp4"}]))
    assert result.added == 2, result.problems
    still.unlink()
    video.unlink()
    return media_of(store), expected


def test_both_stores_give_the_viewing_code_the_same_pictures(store, imported):
    names, expected = imported
    with source.open_media(store, names["img"]) as media:
        assert np.array_equal(frames.still(media, 160, 120), expected["still"])
    with source.open_media(store, names["vid"]) as media:
        board = frames.storyboard(media, 4, 64, 48)
        assert [f.index for f in board] == [f.index for f in expected["board"]]
        assert all(np.array_equal(a.image, b.image) for a, b in zip(board, expected["board"], strict=True))
        assert frames.clip_timing(media, board) == pytest.approx((1.2, 10.0))


@pytest.mark.server_only
def test_reading_a_servers_media_writes_no_file_and_never_looks_at_this_desks_folders(
        store, imported, tmp_path, monkeypatch):
    names, expected = imported
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    made: list[str] = []
    for maker in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile"):
        monkeypatch.setattr(tempfile, maker, lambda *a, _n=maker, **k: made.append(_n))
    opened: list[str] = []
    import builtins
    import io
    import os

    real_open, real_os_open = builtins.open, os.open

    def watched_open(file, mode="r", *args, **kwargs):
        opened.append(f"{file} {mode}")
        return real_open(file, mode, *args, **kwargs)

    def watched_os_open(path, flags, *args, **kwargs):
        opened.append(f"{path} {flags}")
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watched_open)
    monkeypatch.setattr(io, "open", watched_open)
    monkeypatch.setattr(os, "open", watched_os_open)
    before = sorted(p for p in tmp_path.rglob("*"))
    with source.open_media(store, names["img"]) as media:
        assert np.array_equal(frames.still(media, 160, 120), expected["still"])
    with source.open_media(store, names["vid"]) as media:
        board = frames.storyboard(media, 4, 64, 48)
        assert all(np.array_equal(a.image, b.image) for a, b in zip(board, expected["board"], strict=True))
        assert frames.video_frame_at(media, 0.5, 64, 48).shape == (48, 64, 3)
        assert len(list(frames.iter_frames(media, 64, 48, start_s=0.6))) == 6
    assert made == [] and opened == []  # no temporary file, no file opened at all: the bytes came from the store
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing written anywhere (the desk's Veil folder too)
    assert not list(scratch.iterdir())
    open(scratch / "probe", "wb").close()  # the watch itself sees an open
    assert opened == [f"{scratch / 'probe'} wb"]


@pytest.mark.server_only
def test_a_view_that_reads_files_never_looks_for_a_servers_media_on_this_desk(store, imported, tmp_path,
                                                                             monkeypatch):
    names, _ = imported
    monkeypatch.chdir(tmp_path)
    (tmp_path / names["img"]).parent.mkdir(parents=True)
    (tmp_path / names["img"]).write_bytes(b"a file of that name on this desk")
    with pytest.raises(media_files.MediaMissing, match="kept in the server store, not in a file"):
        media_files.check_present(names["img"])


# ------------------------------------------------------------------------------------------ hostile rows

@pytest.mark.server_only
@pytest.mark.parametrize("damage", ["cut short", "altered", "missing"])
def test_a_damaged_blob_row_is_said_and_nothing_of_it_is_shown(store, lead, tmp_path, small_chunks, damage):
    noisy(tmp_path / "drop" / "big.png")
    clip(tmp_path / "drop" / "c.mp4", 40)
    assert run(store, manifest(tmp_path / "drop" / "m.jsonl", [{"id": "img", "queue": "q", "media": "big.png"},
                                                                {"id": "vid", "queue": "q", "media": "c.mp4"}])).added
    names = media_of(store)
    for item in ("img", "vid"):
        digest = names[item].split("/")[1].split(".")[0]
        with store.transaction():
            if damage == "cut short":
                store.db.execute("UPDATE media_chunks SET data = ? WHERE sha256 = ? AND seq = 1", [b"\1" * 10, digest])
            elif damage == "altered":
                store.db.execute("UPDATE media_chunks SET data = ? WHERE sha256 = ? AND seq = 1",
                                 [b"\1" * small_chunks, digest])
            else:
                store.db.execute("DELETE FROM media_chunks WHERE sha256 = ? AND seq = 1", [digest])
    shown: list = []
    with pytest.raises(server_media.BlobDamaged, match=r"is damaged in the store \(part 2 of \d+ is "):
        with source.open_media(store, names["img"]) as media:
            shown.append(frames.still(media, 160, 120))
    with pytest.raises(server_media.BlobDamaged, match="not shown past the damage"):
        with source.open_media(store, names["vid"]) as media:
            shown.append(frames.storyboard(media, 9, 64, 48))
    assert shown == []
    found = list(media_check.problems(store.db, None))
    assert len(found) == 2 and all("is damaged in the store" in p and "(item" in p for p in found), found


@pytest.mark.server_only
def test_a_blob_whose_bytes_are_not_its_type_is_refused(store, lead, tmp_path):
    file = picture(tmp_path / "drop" / "a.png")
    assert run(store, manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"}])).added
    with store.transaction():
        store.db.execute("UPDATE media_blobs SET mime = ? WHERE sha256 = ?", ["video/mp4", sha(file)])
    with pytest.raises(server_media.BlobDamaged, match="not the video/mp4 it was stored as"):
        source.open_media(store, media_of(store)["1"])


# ------------------------------------------------------------------------------------------ collect

@pytest.mark.server_only
def test_collect_uploads_the_files_a_server_stores_items_name_on_this_desk(store, lead, tmp_path):
    file = picture(tmp_path / "old" / "a.png")
    queue = store.add_queue("q")  # an item a phase-1 desk imported naming its own file (as the demo did)
    store.add_items([{"external_id": "1", "queue_id": queue.id, "kind": "image", "media_path": str(file),
                      "media_type": "image/png", "content_sha256": sha(file), "received_at": store.now()}])
    done = media_files.collect(store, IMPORTER)
    name = media_root.content_name(sha(file), "image/png")
    assert (done.copied, done.items) == (1, 1) and media_of(store) == {"1": name}
    assert blobs(store) == [(name, 1)] and list(media_check.problems(store.db, None)) == []
