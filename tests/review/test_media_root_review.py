"""Review findings on the media root (session 5, rdesk 4, 5, 6 and 9): an item never takes another file's
bytes, paths of another kind of machine stay paths, server stores keep media in themselves, and orphans are
listed by ``veil verify`` and removed by ``veil media prune``.

Media here are generated (shapes and a word), never real harmful content.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from builders import IMPORTER
from builders import events as logged
from PIL import Image, ImageDraw

from desktop import wiring
from desktop.main import main
from review.errors import NotAllowed
from review.imports import manifest as importer
from review.media import root as media_files
from review.store import media_check, media_root

DAY = 24 * 3600


def picture(path: Path, word: str = "ok") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (64, 48), (230, 235, 240))
    ImageDraw.Draw(image).ellipse((4, 4, 40, 40), fill=(40, 120, 200))
    ImageDraw.Draw(image).text((4, 34), word, fill=(0, 0, 0))
    image.save(path)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def media_of(store) -> dict[str, str | None]:
    return dict(store.db.execute("SELECT external_id, media_path FROM items ORDER BY id").fetchall())


def aged(path: Path, seconds: float = 2 * DAY) -> Path:
    """*path* as if last touched *seconds* ago (file times are the disk's, not Veil's clock)."""
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)
    return path


def old_store(path: Path, clock, rows: list[tuple[str, str, str | None]]) -> Path:
    """A store file at *path* as Veil wrote it before m016, its items (external id, media path, SHA-256) as given.

    Reopening it applies m016 alone, as upgrading an old store does.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with wiring.open_store(path, clock=clock) as store:
        store.add_user(IMPORTER, ["lead"])
        queue = store.add_queue("q")
        store.add_items([{"external_id": external_id, "queue_id": queue.id, "kind": "image", "media_path": media,
                          "media_type": "image/png", "content_sha256": digest,
                          "received_at": "2026-01-05T08:00:00.000Z"} for external_id, media, digest in rows])
        with store.transaction():
            store.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm016_relative_media'")
    return path


@pytest.fixture
def filed(tmp_path, clock):
    """A file store in *tmp_path*/site with the importing lead and a moderator."""
    (tmp_path / "site").mkdir()
    with wiring.open_store(tmp_path / "site" / "veil.db", clock=clock) as opened:
        opened.add_user(IMPORTER, ["lead"])
        opened.add_user("ana", ["moderator"])
        yield opened


# Finding 4: a file that only shares the name never becomes the item's picture.

def test_m016_keeps_an_item_on_its_own_file_when_another_of_the_same_name_is_in_the_root(tmp_path, clock):
    mine = picture(tmp_path / "my" / "veil.db.media" / "a.png", "mine")  # another store's root, still there
    gone = tmp_path / "old" / "veil.db.media" / "b.png"  # moved away, and the root's b.png is other bytes
    site = tmp_path / "mx"
    stranger = picture(site / "veil.db.media" / "a.png", "stranger")
    picture(site / "veil.db.media" / "b.png", "other")
    path = old_store(site / "veil.db", clock, [("mine", str(mine), sha(mine)), ("gone", str(gone), sha(mine)),
                                   ("unproven", str(gone), None)])
    with wiring.open_store(path, clock=clock) as store:
        assert media_of(store) == {"mine": str(mine), "gone": str(gone), "unproven": str(gone)}
        assert sha(stranger) != sha(mine)

        done = media_files.collect(store, IMPORTER)  # collecting copies the item's own bytes in, by content
        assert media_of(store)["mine"] == media_root.content_name(sha(mine), "image/png")
        assert (store.media_root / media_of(store)["mine"]).read_bytes() == mine.read_bytes()
        assert done.missing == [str(gone)] and media_of(store)["gone"] == str(gone)


# Finding 6: a path is absolute if any kind of machine says so.

WINDOWS = "C:\\Users\\lee\\d3.db.media\\{name}"


def test_paths_of_another_kind_of_machine_are_absolute(tmp_path):
    root = tmp_path / "d3.db.media"
    for path in ("C:\\Users\\lee\\x.png", "c:/Users/lee/x.png", "\\\\server\\share\\x.png", "/home/lee/x.png"):
        assert not media_root.is_relative(path), path
        assert media_root.resolve(root, path) == path  # a path elsewhere, never a name inside this root
    assert media_root.is_relative("ab/abc.png") and media_root.is_relative("ab\\abc.png")
    with pytest.raises(media_files.MediaMissing, match=r"missing from C:\\Users\\lee\\d3\.db\.media\. "):
        media_files.check_present(WINDOWS.format(name="86\\x.png"))


def test_m016_reads_a_windows_path_as_windows_and_proves_the_file(tmp_path, clock):
    site = tmp_path / "site"
    kept = picture(tmp_path / "drop" / "k.png", "kept")
    name = media_root.content_name(sha(kept), "image/png")
    (site / "d3.db.media" / name).parent.mkdir(parents=True)
    shutil.copy(kept, site / "d3.db.media" / name)
    picture(site / "d3.db.media" / "86" / "other.png", "other")
    win_kept = WINDOWS.format(name=name.replace("/", "\\")).replace("d3.db.media", "D3.DB.MEDIA")
    win_other = WINDOWS.format(name="86\\other.png")
    path = old_store(site / "d3.db", clock, [("kept", win_kept, sha(kept)), ("other", win_other, sha(kept))])
    with wiring.open_store(path, clock=clock) as store:
        assert media_of(store) == {"kept": name, "other": win_other}  # the other file is not the item's picture
        assert list(media_check.problems(store.db, store.path)) == []


# Finding 5 (then): a server store refused media plainly. Issue 15 §4 keeps them in it (test_server_media.py).

@pytest.mark.server_only
def test_a_server_store_keeps_imported_media_in_itself_and_takes_text(store, tmp_path):
    assert store.media_root is None
    store.add_user(IMPORTER, ["lead"])
    source = picture(tmp_path / "drop" / "a.png")
    media = manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"},
                                                     {"id": "2", "queue": "q", "text": "words"}])
    assert importer.import_manifest(store, media, create_queues=True, actor=IMPORTER, dry_run=True).added == 2
    assert media_of(store) == {} and store.db.execute("SELECT COUNT(*) FROM media_blobs").fetchone() == (0,)
    assert importer.import_manifest(store, media, create_queues=True, actor=IMPORTER).added == 2
    assert media_of(store) == {"1": media_root.content_name(sha(source), "image/png"), "2": None}
    assert media_files.collect(store, IMPORTER).items == 0  # nothing outside the store to bring in
    assert media_files.prune(store, IMPORTER, older_than=0).removed == 0  # the item's blob is named
    assert list(media_check.problems(store.db, None)) == []


# Finding 9: orphans are listed, pruned by a lead, and never reused unproven.

def failed_import(store, tmp_path: Path) -> Path:
    """The file a failed import left in the root (its manifest had a bad row): an orphan no item names."""
    source = picture(tmp_path / "drop" / "a.png", "orphan")
    result = importer.import_manifest(store, manifest(tmp_path / "drop" / "m.jsonl", [
        {"id": "1", "queue": "q", "media": "a.png"}, {"id": "2", "queue": "q", "text": "x", "severity": "no"}]),
        create_queues=True, actor=IMPORTER)
    assert not result.committed
    return store.media_root / media_root.content_name(sha(source), "image/png")


def test_verify_lists_orphans_and_unfinished_copies(filed, tmp_path):
    orphan = failed_import(filed, tmp_path)
    part = orphan.parent / ".incoming-x1y2.part"
    part.write_bytes(b"half a pic")
    problems = list(media_check.problems(filed.db, filed.path))
    name = orphan.relative_to(filed.media_root).as_posix()
    assert problems == [
        f"1 file in {filed.media_root} named by no item (copied by an import that failed or is still running; "
        f"`veil media prune` removes them): {name}",
        f"1 unfinished copy in {filed.media_root} (left by an import that was killed; `veil media prune` "
        f"removes them): {name[:2]}/.incoming-x1y2.part"]


def test_prune_removes_old_orphans_only_and_logs_one_event(filed, tmp_path):
    orphan = aged(failed_import(filed, tmp_path))
    orphan_bytes = orphan.stat().st_size
    part = orphan.parent / ".incoming-x1y2.part"
    part.write_bytes(b"half a pic")
    aged(part)
    outside = picture(tmp_path / "outside" / "keep.png")
    (filed.media_root / "link.png").symlink_to(outside)  # a planted link: removed, never followed
    aged(filed.media_root / "link.png")
    recent = picture(filed.media_root / "ab" / "recent.png", "recent")  # an import running now may name it
    kept = picture(tmp_path / "drop" / "b.png", "named")
    importer.import_manifest(filed, manifest(tmp_path / "drop" / "n.jsonl", [{"id": "9", "queue": "q",
                                                                               "media": "b.png"}]),
                             create_queues=True, actor=IMPORTER)
    named = aged(filed.media_root / media_of(filed)["9"])

    with pytest.raises(NotAllowed, match="only a lead"):
        media_files.prune(filed, "ana")
    assert not logged(filed, "media.pruned")
    done = media_files.prune(filed, IMPORTER)
    assert (done.removed, done.unfinished, done.recent, done.failed) == (3, 1, 1, [])
    assert not orphan.exists() and not part.exists() and not os.path.lexists(filed.media_root / "link.png")
    assert outside.exists() and recent.exists() and named.read_bytes() == kept.read_bytes()
    [event] = logged(filed, "media.pruned")
    assert event.actor == IMPORTER
    assert event.payload == {"removed": 3, "unfinished": 1, "bytes": orphan_bytes + len(b"half a pic"),
                             "recent": 1, "failed": 0}

    assert media_files.prune(filed, IMPORTER).removed == 0 and len(logged(filed, "media.pruned")) == 1
    assert media_files.prune(filed, IMPORTER, older_than=0).removed == 1  # the recent one too, when asked
    assert list(media_check.problems(filed.db, filed.path)) == []


def test_veil_media_prune_on_the_command_line(filed, tmp_path, capsys):
    failed_import(filed, tmp_path)
    path = filed.path
    filed.close()
    assert main(["media", "prune", "--store", str(path), "--user", "ana"]) == 2
    assert "only a lead" in capsys.readouterr().err
    assert main(["media", "prune", "--store", str(path), "--user", IMPORTER]) == 0
    out = capsys.readouterr().out
    assert "of the files no item names, removed 0 " in out and "left 1 touched within 24 hours" in out
    assert main(["media", "prune", "--store", str(path), "--user", IMPORTER, "--older-than", "0"]) == 0
    assert "of the files no item names, removed 1 (0 unfinished copies" in capsys.readouterr().out
    assert main(["verify", "--store", str(path)]) == 0
    with pytest.raises(SystemExit):
        main(["media", "prune", "--store", str(path), "--user", IMPORTER, "--older-than", "-1"])


@pytest.mark.parametrize("damage", ["other bytes, same size", "cut short"])
def test_a_file_under_the_content_name_is_reused_only_when_it_holds_those_bytes(filed, tmp_path, damage):
    source = picture(tmp_path / "drop" / "a.png")
    name = media_root.content_name(sha(source), "image/png")
    stale = filed.media_root / name
    stale.parent.mkdir(parents=True)
    data = source.read_bytes()
    stale.write_bytes(bytes(len(data)) if damage.startswith("other") else data[: len(data) // 2])
    result = importer.import_manifest(filed, manifest(tmp_path / "drop" / "m.jsonl", [
        {"id": "1", "queue": "q", "media": "a.png"}]), create_queues=True, actor=IMPORTER)
    assert result.committed and media_of(filed) == {"1": name}
    assert stale.read_bytes() == data  # replaced by the real bytes, never shown as the item's picture
