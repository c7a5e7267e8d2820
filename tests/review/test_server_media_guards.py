"""What a server store's media must survive (issue 15 §4, review of the first build): a later import never
changes a complete blob, a pruned blob never leaves an item naming nothing, damage can be mended, an upload never
holds up claims, a dropped connection under the video decoder never kills the desk, and the whole of it scales.

Media are generated (noise, shapes, a word), never real content.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from builders import IMPORTER, text_items
from builders import events as logged
from test_server_media import blobs, clip, lead, manifest, media_of, noisy, picture, put, run, sha, small_chunks

from desktop.main import main
from review.errors import NotAllowed, StoreUnavailable
from review.imports import item_media
from review.media import MediaError, source
from review.media import root as media_files
from review.store import imports as import_store
from review.store import media_check, media_root, server_media

pytestmark = [pytest.mark.filterwarnings("ignore::ResourceWarning"), pytest.mark.server_only]

__all__ = ["lead", "small_chunks"]  # fixtures shared with test_server_media

WORKTREE = Path(__file__).resolve().parents[2]


def read_whole(store, name: str) -> bytes:
    with source.open_media(store, name) as media:
        return media.stream.read()


# ------------------------------------------------------------------------------- a complete blob is never changed

def test_a_file_of_another_size_under_a_complete_blobs_sha256_leaves_that_blob_as_it_was(store, lead, tmp_path,
                                                                                          monkeypatch):
    first = picture(tmp_path / "drop" / "a.png", "first")
    assert run(store, manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"}])).added
    name = media_of(store)["1"]
    (tmp_path / "drop" / "b.png").write_bytes(first.read_bytes())
    real = server_media.upload

    def rewritten_first(store_, path, digest, mime, **options):
        picture(path, "a different, longer picture", (200, 150))  # the copy changes between its check and upload
        return real(store_, path, digest, mime, **options)

    monkeypatch.setattr(server_media, "upload", rewritten_first)
    result = run(store, manifest(tmp_path / "drop" / "n.jsonl", [{"id": "2", "queue": "q", "media": "b.png"}]))
    assert not result.committed and "changed while it was being imported" in " ".join(map(str, result.problems))
    assert blobs(store) == [(name, 1)]
    assert read_whole(store, name) == first.read_bytes()  # item 1 still shows its picture
    assert list(media_check.problems(store.db, None)) == []


def test_an_upload_from_a_file_changing_mid_way_never_writes_into_a_blob_another_upload_completed(
        store, lead, tmp_path, small_chunks):
    good = noisy(tmp_path / "good.png")
    digest = sha(good)
    changing = tmp_path / "changing.png"
    changing.write_bytes(good.read_bytes())
    finished = []

    def meanwhile(done: int) -> None:
        if not finished:  # after its first chunk: another desk uploads the good file whole, then this file changes
            finished.append(put(store, good, digest))
            changing.write_bytes(good.read_bytes()[:done] + bytes(len(good.read_bytes()) - done))

    with pytest.raises(MediaError, match="changed while it was being imported"):
        put(store, changing, digest, progress=meanwhile)
    assert blobs(store) == [(finished[0].name, 1)]
    assert read_whole(store, finished[0].name) == good.read_bytes()  # every row still the good file's


def test_the_same_bytes_under_another_type_get_the_stored_blobs_name(store, lead, tmp_path):
    file = picture(tmp_path / "a.png")
    first = media_files.upload(store, IMPORTER, file, sha(file), "image/png").name
    second = media_files.upload(store, IMPORTER, file, sha(file), "image/webp").name
    assert second == first and server_media.blob(store.db, second) is not None


def test_only_a_lead_puts_media_into_a_store(store, lead, tmp_path):
    store.add_user("mo", ["moderator"])
    file = picture(tmp_path / "a.png")
    with pytest.raises(NotAllowed, match="mo is not a lead"):
        media_files.upload(store, "mo", file, sha(file), "image/png")
    assert blobs(store) == []


# ------------------------------------------------------------------------------- pruning during an import

@pytest.mark.parametrize("how", ["with --older-than 0", "from a desk whose clocks run 25 hours ahead"])
def test_a_blob_pruned_before_its_items_are_written_fails_the_import_and_importing_again_works(
        store, lead, tmp_path, monkeypatch, how):
    picture(tmp_path / "drop" / "a.png", "pruned")
    rows = manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"}])
    real = import_store.add_items_creating_queues

    def another_lead_prunes_first(*args, **options):  # between the upload and the items' write
        if how == "with --older-than 0":
            media_files.prune(store, IMPORTER, older_than=0)
        else:
            ahead = time.time() + 25 * 3600
            with monkeypatch.context() as desk:
                desk.setattr(media_files.time, "time", lambda: ahead)
                store.clock.advance(25 * 3600)
                media_files.prune(store, IMPORTER)
                store.clock.advance(-25 * 3600)
        assert blobs(store) == []
        return real(*args, **options)

    monkeypatch.setattr(import_store, "add_items_creating_queues", another_lead_prunes_first)
    with pytest.raises(server_media.BlobMissing, match="import the manifest again"):
        run(store, rows)
    assert media_of(store) == {}
    monkeypatch.undo()
    assert run(store, rows).added == 1  # what the message says works
    assert read_whole(store, media_of(store)["1"]) == (tmp_path / "drop" / "a.png").read_bytes()
    assert list(media_check.problems(store.db, None)) == []


def test_uploads_touch_blobs_and_pruning_cuts_off_on_the_stores_clock(store, lead, tmp_path):
    file = picture(tmp_path / "a.png")
    put(store, file, sha(file))
    assert store.db.execute("SELECT touched FROM media_blobs").fetchone()[0] == store.now()
    store.clock.advance(23 * 3600)
    assert (media_files.prune(store, IMPORTER).recent, blobs(store) != []) == (1, True)
    store.clock.advance(2 * 3600)
    assert media_files.prune(store, IMPORTER).removed == 1


def test_prune_finds_orphans_by_an_index_and_removes_them_in_short_batches(store, lead, tmp_path, monkeypatch):
    conn = store.db.conn
    with conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")  # only an index can serve the probe now
        plan = " ".join(row[0] for row in conn.execute(
            "EXPLAIN SELECT b.sha256 FROM media_blobs b WHERE NOT EXISTS"
            " (SELECT 1 FROM items i WHERE i.media_path = b.name)"))
    assert "items_media" in plan, plan
    monkeypatch.setattr(server_media, "PRUNE_BATCH", 2)
    for n in range(5):
        file = picture(tmp_path / f"{n}.png", f"orphan {n}")
        put(store, file, sha(file))
    done = media_files.prune(store, IMPORTER, older_than=0)
    assert (done.removed, blobs(store)) == (5, [])
    assert [event.payload["removed"] for event in logged(store, "media.pruned")] == [2, 2, 1]


# ------------------------------------------------------------------------------- damage mended

def _damage(store, name: str, how: str, chunk: int) -> None:
    digest = media_root.named_sha256(name)
    with store.transaction():
        if how == "cut short":
            store.db.execute("UPDATE media_chunks SET data = ? WHERE sha256 = ? AND seq = 1", [b"\1" * 10, digest])
        elif how == "altered, digest too":
            store.db.execute("UPDATE media_chunks SET data = ?, digest = ? WHERE sha256 = ? AND seq = 1",
                             [b"\1" * chunk, hashlib.sha256(b"\1" * chunk).hexdigest(), digest])
        else:
            store.db.execute("DELETE FROM media_chunks WHERE sha256 = ?", [digest])
            store.db.execute("DELETE FROM media_blobs WHERE sha256 = ?", [digest])


def test_importing_the_same_bytes_again_mends_a_damaged_row(store, lead, tmp_path, small_chunks):
    original = noisy(tmp_path / "drop" / "a.png")
    assert run(store, manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"}])).added
    name = media_of(store)["1"]
    _damage(store, name, "cut short", small_chunks)
    assert run(store, manifest(tmp_path / "drop" / "n.jsonl", [{"id": "2", "queue": "q", "media": "a.png"}])).added
    assert read_whole(store, name) == original.read_bytes()


@pytest.mark.parametrize("how", ["cut short", "altered, digest too", "gone"])
def test_veil_media_repair_puts_back_what_the_store_lost_from_the_original_files(store, lead, tmp_path, capsys,
                                                                                   small_chunks, how):
    original = noisy(tmp_path / "drop" / "a.png")
    picture(tmp_path / "drop" / "other.png", "shown by no item")
    assert run(store, manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"}])).added
    name = media_of(store)["1"]
    _damage(store, name, how, small_chunks)
    [problem] = media_check.problems(store.db, None)
    assert "veil media repair" in problem
    assert main(["media", "repair", str(tmp_path / "drop"), "--store", store.url, "--user", IMPORTER]) == 0
    out = capsys.readouterr().out
    assert ("1 put back whole" if how == "gone" else "1 mended where damaged") in out, out
    assert "of 3 files read" in out and "2 shown by no item" in out  # the manifest and other.png
    assert read_whole(store, name) == original.read_bytes()
    assert list(media_check.problems(store.db, None)) == []
    [event] = logged(store, "media.repaired")
    assert event.actor == IMPORTER and event.payload["files"] == 3


# ------------------------------------------------------------------------------- claims beside an upload

def test_chunks_are_written_without_the_sites_exclusive_write_lock(store, lead, tmp_path, monkeypatch, small_chunks):
    import psycopg

    from review.store.server import WRITE_LOCK

    big = noisy(tmp_path / "big.png")
    other = psycopg.connect(store.url, autocommit=True)
    shared: list[bool] = []
    real = type(store.db).execute

    def watched(db, sql, params=None):
        if sql.startswith("INSERT INTO media_chunks"):
            with other.transaction():  # what a claim or a decision (row-locked) takes first
                shared.append(other.execute("SELECT pg_try_advisory_xact_lock_shared(%s)", [WRITE_LOCK]).fetchone()[0])
        return real(db, sql, params)

    monkeypatch.setattr(type(store.db), "execute", watched)
    put(store, big, sha(big))
    other.close()
    assert len(shared) > 3 and all(shared)


# ------------------------------------------------------------------------------- a dropped connection under OpenCV

CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from desktop import wiring
    from review.errors import StoreUnavailable
    from review.media import frames, source
    from review.store import server_media

    store = wiring.open_store(sys.argv[2])
    server_media.CHUNK_BYTES = 1 << 13
    media = source.open_media(store, sys.argv[3])
    real, asked = type(store.db).execute, []

    def dropped(db, sql, params=None):
        if "FROM media_chunks" in sql:
            asked.append(1)
            if len(asked) >= 3:
                raise StoreUnavailable("the server closed the connection")
        return real(db, sql, params)

    type(store.db).execute = dropped
    try:
        frames.storyboard(media, 4, 64, 48)
        print("SHOWN")
    except StoreUnavailable as exc:
        print("SAID", exc)
""")


def test_a_connection_lost_while_opencv_reads_a_video_is_said_not_a_crash(store, lead, tmp_path, small_chunks):
    clip(tmp_path / "drop" / "c.mp4", 40)
    assert run(store, manifest(tmp_path / "drop" / "m.jsonl", [{"id": "v", "queue": "q", "media": "c.mp4"}])).added
    child = tmp_path / "child.py"
    child.write_text(CHILD, encoding="utf-8")
    done = subprocess.run([sys.executable, str(child), str(WORKTREE), store.url, media_of(store)["v"]],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (done.returncode, done.stderr[-600:])
    assert "SAID the server closed the connection" in done.stdout


# ------------------------------------------------------------------------------- at scale

class _Rows(list):
    def fetchall(self) -> list:
        return self


def test_verify_reads_items_a_page_at_a_time(store, monkeypatch):
    store.add_queue("q")
    ids = text_items(store, "q", [f"x{n}" for n in range(10)], text="t")
    with store.transaction():  # names the verify groups by, two items a name, some across page ends
        for n, item_id in enumerate(ids):
            store.db.execute("UPDATE items SET media_path = ? WHERE id = ?", [f"aa/{n // 2}", item_id])
    whole = list(media_root.relative_paths(store.db))
    monkeypatch.setattr(media_root, "PAGE_ROWS", 3)
    pages: list[int] = []
    real = type(store.db).execute

    def counted(db, sql, params=None):
        cursor = real(db, sql, params)
        if "FROM items" in sql:
            rows = _Rows(cursor.fetchall())
            pages.append(len(rows))
            return rows
        return cursor

    monkeypatch.setattr(type(store.db), "execute", counted)
    paged = list(media_root.relative_paths(store.db))
    assert paged == whole and len(whole) == 5 and all(len(ids) == 2 for _, _, ids in whole)
    assert max(pages) == 3 and sum(pages) == 10


def test_an_import_whose_store_goes_away_stops_checking_its_files(store, lead, tmp_path, monkeypatch):
    rows = [{"id": str(n), "queue": "q", "media": picture(tmp_path / "drop" / f"{n}.png", str(n)).name}
            for n in range(40)]
    checked: list[int] = []
    real_check = item_media.check_media
    lock = threading.Lock()

    def slow_check(*args, **options):
        time.sleep(0.05)
        with lock:
            checked.append(1)
        return real_check(*args, **options)

    def gone(*args, **options):
        raise StoreUnavailable("the server is restarting")

    monkeypatch.setattr(item_media, "check_media", slow_check)
    monkeypatch.setattr(server_media, "upload", gone)
    with pytest.raises(StoreUnavailable):
        run(store, manifest(tmp_path / "drop" / "m.jsonl", rows), workers=2)
    assert len(checked) <= 6, len(checked)  # the files being checked when it went, not the 40
