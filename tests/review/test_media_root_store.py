"""An existing store made movable (m016, ``veil media collect``) and its media proven unchanged (``veil verify``).

Media here are generated (shapes and a word), never real harmful content.
"""

from __future__ import annotations

import hashlib
import shutil
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


def picture(path: Path, word: str = "ok") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (64, 48), (230, 235, 240))
    ImageDraw.Draw(image).text((4, 20), word, fill=(0, 0, 0))
    image.save(path)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def row(external_id: str, queue_id: int, path: str, digest: str | None) -> dict:
    return {"external_id": external_id, "queue_id": queue_id, "kind": "image", "media_path": path,
            "media_type": "image/png", "content_sha256": digest, "received_at": "2026-01-05T08:00:00.000Z"}


def media_of(store) -> dict[str, str | None]:
    return dict(store.db.execute("SELECT external_id, media_path FROM items ORDER BY id").fetchall())


@pytest.fixture
def old_store(tmp_path, clock):
    """A store as Veil wrote it before m016: absolute paths, one inside its media root, others outside or gone.

    Made by a current Veil, then m016 forgotten and the rows written as the old import wrote them; reopening
    applies m016 alone, as upgrading an old store does.
    """
    path = tmp_path / "site" / "veil.db"
    path.parent.mkdir()
    with wiring.open_store(path, clock=clock) as store:
        store.add_user(IMPORTER, ["lead"])
        store.add_user("ana", ["moderator"])
        queue = store.add_queue("q")
        inside = picture(store.media_root / "demo-00001.png", "in")
        outside = picture(tmp_path / "library" / "x.png", "out")
        changed = picture(tmp_path / "library" / "changed.png", "was")
        digest_before = sha(changed)
        picture(changed, "now")
        store.add_items([row("in", queue.id, str(inside), sha(inside)),
                         row("out", queue.id, str(outside), sha(outside)),
                         row("out-again", queue.id, str(outside), sha(outside)),
                         row("gone", queue.id, str(tmp_path / "library" / "gone.png"), "0" * 64),
                         row("changed", queue.id, str(changed), digest_before)])
        with store.transaction():
            store.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm016_relative_media'")
    return path


def test_m016_makes_paths_inside_the_root_relative_and_leaves_the_others(old_store, tmp_path, clock):
    with wiring.open_store(old_store, clock=clock) as store:
        names = media_of(store)
        assert names["in"] == "demo-00001.png"
        assert names["out"] == str(tmp_path / "library" / "x.png")
        assert names["gone"] == str(tmp_path / "library" / "gone.png")
        assert list(media_check.problems(store.db, store.path)) == []


def test_m016_finds_the_root_of_a_store_copied_elsewhere_before_it_was_upgraded(old_store, tmp_path, clock):
    moved = Path(shutil.move(old_store.parent, tmp_path / "copied"))
    with wiring.open_store(moved / old_store.name, clock=clock) as store:
        assert media_of(store)["in"] == "demo-00001.png"  # its old absolute path ran through ".../veil.db.media/"
        assert media_of(store)["out"] == str(tmp_path / "library" / "x.png")


def test_collect_copies_outside_files_in_and_lists_what_it_cannot(old_store, tmp_path, clock):
    with wiring.open_store(old_store, clock=clock) as store:
        with pytest.raises(NotAllowed, match="only a lead"):
            media_files.collect(store, "ana")
        progress: list[tuple[int, int]] = []
        done = media_files.collect(store, IMPORTER, progress=lambda *step: progress.append(step))
        outside = tmp_path / "library" / "x.png"
        assert (done.copied, done.in_place, done.items) == (1, 0, 2)
        assert done.missing == [str(tmp_path / "library" / "gone.png")]
        assert done.changed == [str(tmp_path / "library" / "changed.png")]
        names = media_of(store)
        assert names["out"] == names["out-again"] == media_root.content_name(sha(outside), "image/png")
        assert names["gone"] == str(tmp_path / "library" / "gone.png")  # listed, left as it was, nothing lost
        assert progress[0] == (0, 3) and progress[-1] == (3, 3)  # three distinct files outside
        [event] = logged(store, "media.collected")
        assert event.actor == IMPORTER
        assert event.payload == {"copied": 1, "in_place": 0, "missing": 1, "changed": 1, "items": 2}

        again = media_files.collect(store, IMPORTER)
        assert (again.copied, again.items) == (0, 0) and len(logged(store, "media.collected")) == 1
    shutil.rmtree(tmp_path / "library")
    moved = shutil.move(old_store.parent, tmp_path / "elsewhere")
    with wiring.open_store(Path(moved) / "veil.db", clock=clock) as store:
        assert list(media_check.problems(store.db, store.path)) == []


def test_veil_media_collect_on_the_command_line(old_store, capsys):
    assert main(["media", "collect", "--store", str(old_store), "--user", IMPORTER]) == 1  # some files listed
    out, err = capsys.readouterr()
    assert "1 files copied" in out and "2 items now name their media relative" in out
    assert "missing (left as it was):" in err and "gone.png" in err and "changed since it was imported" in err
    assert main(["media", "collect", "--store", str(old_store), "--user", "ana"]) == 2
    assert "only a lead" in capsys.readouterr().err


def test_verify_catches_a_changed_or_missing_media_file(tmp_path, clock, capsys):
    path = tmp_path / "site" / "veil.db"
    path.parent.mkdir()
    source = picture(tmp_path / "drop" / "a.png")
    other = picture(tmp_path / "drop" / "b.png", "b")
    (tmp_path / "drop" / "m.jsonl").write_text(
        '{"id": "1", "queue": "q", "media": "a.png"}\n{"id": "2", "queue": "q", "media": "b.png"}\n')
    with wiring.open_store(path, clock=clock) as store:
        store.add_user(IMPORTER, ["lead"])
        importer.import_manifest(store, tmp_path / "drop" / "m.jsonl", create_queues=True, actor=IMPORTER)
        root = store.media_root
    assert main(["verify", "--store", str(path)]) == 0
    capsys.readouterr()

    stored = root / media_root.content_name(sha(source), "image/png")
    stored.write_bytes(other.read_bytes())  # the bytes under a name are replaced after import
    (root / media_root.content_name(sha(other), "image/png")).unlink()
    assert main(["verify", "--store", str(path)]) == 1
    out = capsys.readouterr().out
    assert "no longer hashes to its name (changed after it was stored; item 1)" in out
    assert f"item 2 names media {media_root.content_name(sha(other), 'image/png')}, missing from {root}" in out


def test_verify_checks_an_older_relative_name_against_the_items_hash(old_store, clock):
    with wiring.open_store(old_store, clock=clock) as store:
        picture(store.media_root / "demo-00001.png", "swapped")
        [problem] = media_check.problems(store.db, store.path)
        assert "media demo-00001.png" in problem and "is not the file item 1 imported" in problem
