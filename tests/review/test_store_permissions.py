"""Issue 11, doors: a store Veil creates, its -wal/-shm, its backups and its media are its owner's alone.

Today they are created 0644/0755 and any local account reads every
decision, the scrypt hashes and the pseudonym secret. Whatever the umask,
what Veil creates is 0600 (files) and 0700 (folders); a store that was
already there is not re-permissioned behind its owner's back, but Veil
says when others can read it.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from desktop import wiring
from desktop.main import main
from review.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o000, 0o022], ids=["umask-000", "umask-022"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_a_new_store_and_its_wal_and_shm_are_owner_only(tmp_path, umask):
    path = tmp_path / "new" / "deeper" / "veil.db"
    with wiring.open_store(path) as store:
        store.add_user("lee", ["lead"])
        assert mode(path) == 0o600
        assert mode(Path(f"{path}-wal")) == 0o600 and mode(Path(f"{path}-shm")) == 0o600
    assert mode(tmp_path / "new") == 0o700 and mode(tmp_path / "new" / "deeper") == 0o700


def test_an_empty_file_made_into_a_store_is_owner_only(tmp_path, umask):
    path = tmp_path / "touched.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    with wiring.open_store(path):
        pass
    assert mode(path) == 0o600


def test_the_backup_before_an_upgrade_is_owner_only(tmp_path, umask, monkeypatch):
    path = tmp_path / "old.db"
    with Store.open(path):  # the review tables only: the audit steps are still to come
        pass
    os.chmod(path, 0o640)  # its owner shares it with a group on purpose
    with wiring.open_store(path):
        pass
    [backup] = tmp_path.glob("old.db.before-upgrade-*.bak")
    assert mode(backup) == 0o600
    assert mode(path) == 0o640  # an existing store keeps the permissions its owner gave it


def test_an_existing_store_others_can_read_is_left_alone_but_named(tmp_path, caplog):
    path = tmp_path / "shared.db"
    with wiring.open_store(path):
        pass
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING), wiring.open_store(path):
        pass
    assert mode(path) == 0o644
    assert any("readable by other" in r.getMessage() and str(path) in r.getMessage() for r in caplog.records)
    caplog.clear()
    os.chmod(path, 0o600)
    with caplog.at_level(logging.WARNING), wiring.open_store(path):
        pass
    assert not [r for r in caplog.records if "readable by other" in r.getMessage()]


def test_the_demo_media_folder_is_owner_only(tmp_path, umask, capsys):
    path = tmp_path / "d.db"
    assert main(["demo", "--store", str(path), "--items", "3"]) == 0
    assert mode(path) == 0o600
    assert mode(tmp_path / "d.db.media") == 0o700



def test_demo_media_files_are_owner_only_and_a_folder_veil_makes_is_too(tmp_path, umask, capsys):
    """Today the media files are 0644 and the folders above a new media folder follow the umask."""
    from desktop.demo.review_data import build_demo

    with wiring.open_store(tmp_path / "d.db") as store:
        media = tmp_path / "made" / "by" / "veil"
        build_demo(store, media, items=20)
    files = [p for p in media.rglob("*") if p.is_file()]  # content-addressed: <sha[:2]>/<sha>.<ext> (issue 14 §3)
    assert files and {mode(p) for p in files} == {0o600}
    assert {mode(p) for p in media.iterdir()} == {0o700}
    assert {mode(media), mode(tmp_path / "made" / "by"), mode(tmp_path / "made")} == {0o700}


def test_a_media_folder_that_was_there_keeps_its_mode_but_its_files_are_private(tmp_path, caplog):
    """A folder Veil did not make is its owner's (it may be shared on purpose): Veil names it, and locks its files."""
    from desktop.demo.review_data import build_demo

    media = tmp_path / "theirs"
    media.mkdir()
    os.chmod(media, 0o755)
    with wiring.open_store(tmp_path / "d.db") as store, caplog.at_level(logging.WARNING):
        build_demo(store, media, items=20)
    assert mode(media) == 0o755
    assert {mode(p) for p in media.rglob("*") if p.is_file()} == {0o600}  # in content-addressed folders of Veil's
    assert any("readable by other" in r.getMessage() and str(media) in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("there", ["file", "symlink", "dangling symlink"])
def test_a_backup_is_written_only_to_a_new_file(tmp_path, there):
    """Today backup() chmods and overwrites whatever is at the target, following a symlink to another file."""
    from review.errors import StoreUnavailable
    from review.store.connection import backup

    victim = tmp_path / "victim.txt"
    target = tmp_path / "veil.db.bak"
    if there == "file":
        target.write_text("someone's file")
        os.chmod(target, 0o644)
    else:
        if there == "symlink":
            victim.write_text("someone's file")
            os.chmod(victim, 0o644)
        target.symlink_to(victim)
    with wiring.open_store(tmp_path / "veil.db") as store, pytest.raises(StoreUnavailable, match="already"):
        backup(store.db, target)
    kept = victim if there != "file" else target
    if there == "dangling symlink":
        assert not victim.exists()
    else:
        assert kept.read_text() == "someone's file" and mode(kept) == 0o644
