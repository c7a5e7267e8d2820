"""Media in the store's media root (issue 14 §3): imports copy in, content-addressed; the folder moves with the store.

Media here are generated (shapes and a word), never real harmful content.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

import pytest
from builders import IMPORTER
from PIL import Image, ImageDraw

from desktop import wiring
from review import serving
from review.errors import StoreUnavailable
from review.imports import manifest as importer
from review.media import MediaError, intake
from review.media import root as media_files
from review.store import imports as import_store
from review.store import media_root


def picture(path: Path, word: str = "ok", colour=(40, 120, 200)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (64, 48), (230, 235, 240))
    ImageDraw.Draw(image).ellipse((4, 4, 40, 40), fill=colour)
    ImageDraw.Draw(image).text((4, 34), word, fill=(0, 0, 0))
    image.save(path)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(path: Path, rows: list[dict]) -> Path:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def media_of(store) -> dict[str, str | None]:
    return dict(store.db.execute("SELECT external_id, media_path FROM items ORDER BY id").fetchall())


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


@pytest.fixture
def site(tmp_path) -> Path:
    """The folder a team keeps its store in (moved or copied whole to another machine)."""
    folder = tmp_path / "site"
    folder.mkdir()
    return folder


@pytest.fixture
def filed(site, clock):
    """A store file in *site*, with the importing lead (a file store: its media root is beside it)."""
    with wiring.open_store(site / "veil.db", clock=clock) as opened:
        opened.add_user(IMPORTER, ["lead"])
        yield opened


def run(store, path: Path, **options):
    return importer.import_manifest(store, path, create_queues=True, actor=IMPORTER, **options)


def test_the_media_root_is_beside_the_store_file(filed, site):
    assert filed.media_root == site / "veil.db.media"
    assert media_root.beside(Path("relative.db")) == Path.cwd() / "relative.db.media"


def test_import_copies_each_file_once_under_its_content_name_and_names_it_relative(filed, tmp_path):
    one = picture(tmp_path / "drop" / "a.png")
    same_bytes = tmp_path / "drop" / "copy-of-a.png"
    shutil.copyfile(one, same_bytes)
    other = picture(tmp_path / "drop" / "b.png", word="two", colour=(200, 40, 40))
    result = run(filed, manifest(tmp_path / "drop" / "m.jsonl", [
        {"id": "1", "queue": "q", "media": "a.png"}, {"id": "2", "queue": "q", "media": "a.png"},
        {"id": "3", "queue": "q", "media": "copy-of-a.png"}, {"id": "4", "queue": "q", "media": "b.png"},
        {"id": "5", "queue": "q", "text": "no media"}]))
    assert result.committed and result.added == 5, result.problems
    names = media_of(filed)
    assert names["1"] == names["2"] == names["3"] == f"{sha(one)[:2]}/{sha(one)}.png"
    assert names["4"] == f"{sha(other)[:2]}/{sha(other)}.png" and names["5"] is None
    root = filed.media_root
    assert files_under(root) == {names["1"], names["4"]}  # two items, same file: one file
    assert (root / names["1"]).read_bytes() == one.read_bytes()
    assert stat.S_IMODE((root / names["1"]).stat().st_mode) == 0o600  # owner-only, like the store
    assert stat.S_IMODE((root / names["1"]).parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_a_dry_run_copies_nothing(filed, tmp_path):
    picture(tmp_path / "drop" / "a.png")
    result = run(filed, manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"}]),
                 dry_run=True)
    assert result.counts["item"].added == 1 and not result.committed
    assert not filed.media_root.exists() or files_under(filed.media_root) == set()


def test_the_store_folder_moved_elsewhere_still_shows_its_media(filed, site, tmp_path, clock):
    picture(tmp_path / "drop" / "a.png")
    run(filed, manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"}]))
    item_id = filed.db.execute("SELECT id FROM items").fetchone()[0]
    filed.close()
    shutil.rmtree(tmp_path / "drop")  # the import's source is gone too
    moved = shutil.move(site, tmp_path / "another machine")
    with wiring.open_store(Path(moved) / "veil.db", clock=clock) as reopened:
        item = serving.load_item(reopened, item_id)
        assert Path(item.media_path).parent.parent == Path(moved) / "veil.db.media"
        assert intake.inspect(Path(item.media_path)).mime == "image/png"


def test_a_copy_cut_short_leaves_no_file_under_its_name(filed, tmp_path, monkeypatch):
    """A crash while copying (here: the rename never happens) leaves no half file and no temporary one."""
    source = picture(tmp_path / "drop" / "a.png")

    def power_cut(*_args):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(media_files.os, "replace", power_cut)
    with pytest.raises(MediaError, match="could not be copied into"):
        media_files.place(filed.media_root, source, sha(source), "image/png")
    assert files_under(filed.media_root) == set()


def test_a_file_changed_between_its_check_and_its_copy_is_refused_and_leaves_nothing(filed, tmp_path):
    source = picture(tmp_path / "drop" / "a.png")
    checked = sha(source)
    picture(source, word="swapped")
    with pytest.raises(MediaError, match="changed while it was being imported"):
        media_files.place(filed.media_root, source, checked, "image/png")
    assert files_under(filed.media_root) == set()


def test_a_crash_between_copy_and_commit_leaves_whole_orphans_that_the_next_import_reuses(filed, tmp_path,
                                                                                          monkeypatch):
    source = picture(tmp_path / "drop" / "a.png")
    path = manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"}])
    real = import_store.add_items_creating_queues

    def crash(*_args, **_kwargs):
        raise StoreUnavailable("the disk went away")

    monkeypatch.setattr(import_store, "add_items_creating_queues", crash)
    with pytest.raises(StoreUnavailable):
        run(filed, path)
    assert media_of(filed) == {}
    name = media_root.content_name(sha(source), "image/png")
    assert files_under(filed.media_root) == {name}  # whole, under its name: a harmless orphan
    assert sha(filed.media_root / name) == sha(source)
    before = (filed.media_root / name).stat()

    monkeypatch.setattr(import_store, "add_items_creating_queues", real)
    copies = []
    monkeypatch.setattr(media_files.tempfile, "mkstemp", lambda *a, **k: copies.append(a) or pytest.fail("copied"))
    assert run(filed, path).added == 1
    assert media_of(filed) == {"1": name} and not copies  # the orphan is reused, not copied again
    assert (filed.media_root / name).stat().st_ino == before.st_ino


def test_a_bad_row_writes_no_item_and_copies_only_files_items_would_show(filed, tmp_path):
    good = picture(tmp_path / "drop" / "a.png")
    picture(tmp_path / "drop" / "b.png", word="b")
    result = run(filed, manifest(tmp_path / "drop" / "m.jsonl", [
        {"id": "1", "queue": "q", "media": "a.png"},
        {"id": "2", "queue": "q", "media": "b.png", "severity": "apocalyptic"}]))
    assert not result.committed and media_of(filed) == {}
    assert files_under(filed.media_root) == {media_root.content_name(sha(good), "image/png")}


def test_a_hostile_name_or_link_cannot_make_veil_write_outside_the_root(filed, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    source = picture(tmp_path / "drop" / "deep" / "a.png")
    (tmp_path / "drop" / "link.png").symlink_to(source)
    name = media_root.content_name(sha(source), "image/png")
    root = filed.media_root
    root.mkdir(mode=0o700)
    planted = tmp_path / "elsewhere.png"
    planted.write_bytes(b"not yours")
    (root / name.split("/")[0]).mkdir(mode=0o700)
    (root / name).symlink_to(planted)  # a link planted under the content name is replaced, never written through
    result = run(filed, manifest(tmp_path / "drop" / "m.jsonl", [
        {"id": "1", "queue": "q", "media": "link.png"},
        {"id": "2", "queue": "q", "media": "deep/../deep/./a.png"}]))
    assert result.committed, result.problems
    assert media_of(filed) == {"1": name, "2": name}
    assert not (root / name).is_symlink() and (root / name).read_bytes() == source.read_bytes()
    assert planted.read_bytes() == b"not yours" and files_under(outside) == set()


def test_a_linked_folder_in_the_root_is_refused(filed, tmp_path):
    source = picture(tmp_path / "drop" / "a.png")
    outside = tmp_path / "outside"
    outside.mkdir()
    name = media_root.content_name(sha(source), "image/png")
    filed.media_root.mkdir(mode=0o700)
    (filed.media_root / name.split("/")[0]).symlink_to(outside, target_is_directory=True)
    result = run(filed, manifest(tmp_path / "drop" / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"}]))
    assert not result.committed and "is a link" in result.problems[0].reason
    assert files_under(outside) == set()


def test_content_names_come_from_the_digest_alone():
    digest = "ab" + "0" * 62
    assert media_root.content_name(digest, "video/quicktime") == f"ab/{digest}.mov"
    with pytest.raises(ValueError):
        media_root.content_name("../../etc/passwd", "image/png")
    assert media_root.named_sha256(f"ab/{digest}.png") == digest
    assert media_root.named_sha256(f"cd/{digest}.png") is None  # the folder is the digest's start
    assert media_root.named_sha256("old-demo-0001.png") is None


def test_resolving_keeps_absolute_paths_and_never_steps_out_of_the_root(tmp_path):
    root = tmp_path / "s.db.media"
    assert media_root.resolve(root, "ab/abc.png") == str(root / "ab" / "abc.png")
    assert media_root.resolve(root, "/elsewhere/x.png") == "/elsewhere/x.png"  # an old row, or a file outside
    assert media_root.resolve(root, "../../etc/passwd") == "../../etc/passwd"  # names nothing in the root
    assert media_root.resolve(None, "ab/abc.png") == "ab/abc.png"  # a server store has no root yet


def test_a_missing_file_is_said_calmly_naming_the_root(tmp_path):
    root = tmp_path / "s.db.media"
    with pytest.raises(media_files.MediaMissing, match=f"media file missing from {root}\\. "):
        media_files.check_present(str(root / "ab" / ("ab" + "0" * 62 + ".png")))
    with pytest.raises(media_files.MediaMissing, match=f"missing from {tmp_path / 'old'}\\. "):
        media_files.check_present(str(tmp_path / "old" / "x.png"))


def test_a_stores_own_name_is_never_looked_up_on_this_desk(tmp_path, monkeypatch):
    """A relative name reaching a file reader is a store's own (a server's blob, issue 15 §4), never a desk's file."""
    monkeypatch.chdir(tmp_path)
    name = "ab/" + "ab" + "0" * 62 + ".png"
    (tmp_path / "ab").mkdir()
    (tmp_path / name).write_bytes(b"a file of that name on this desk")
    with pytest.raises(media_files.MediaMissing, match="kept in the server store, not in a file"):
        media_files.check_present(name)


def test_copying_reads_in_bounded_chunks(filed, tmp_path, monkeypatch):
    big = tmp_path / "drop" / "big.png"
    big.parent.mkdir(parents=True)
    big.write_bytes(os.urandom(3 * media_files.COPY_CHUNK + 5))
    monkeypatch.setattr(media_files, "COPY_CHUNK", 1 << 16)
    reads = []
    real_open = open

    class Counting:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def read(self, size=-1):
            reads.append(size)
            return self.handle.read(size)

    monkeypatch.setattr(media_files, "open", lambda path, mode: Counting(real_open(path, mode)), raising=False)
    name = media_files.place(filed.media_root, big, sha(big), "image/png")
    assert (filed.media_root / name).read_bytes() == big.read_bytes()
    assert reads and set(reads) == {1 << 16}
