"""On the desk: an item's media is found in the store's media root wherever the store went, and a missing file
says so calmly (issue 14 §3). The workers the item view runs are called directly: no window is needed.

Media here are generated (shapes), never real harmful content.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from builders import IMPORTER
from PIL import Image

from desktop import wiring
from review import serving
from review.imports import manifest as importer
from review.media.viewing import ViewSettings
from ui.item import loader
from ui.item.video import frames


@pytest.fixture
def imported(tmp_path, clock):
    """(store file, item id) of an image item imported into a store in *tmp_path*/site; the source then removed."""
    site = tmp_path / "site"
    site.mkdir()
    drop = tmp_path / "drop"
    drop.mkdir()
    Image.new("RGB", (120, 90), "teal").save(drop / "a.png")
    (drop / "m.jsonl").write_text('{"id": "1", "queue": "q", "media": "a.png"}\n')
    with wiring.open_store(site / "veil.db", clock=clock) as store:
        store.add_user(IMPORTER, ["lead"])
        importer.import_manifest(store, drop / "m.jsonl", create_queues=True, actor=IMPORTER)
        item_id = store.db.execute("SELECT id FROM items").fetchone()[0]
    shutil.rmtree(drop)
    return site / "veil.db", item_id


def test_a_moved_store_still_shows_its_pictures(imported, tmp_path, clock, qapp):
    path, item_id = imported
    moved = Path(shutil.move(path.parent, tmp_path / "copied to another machine"))
    with wiring.open_store(moved / path.name, clock=clock) as store:
        item = serving.load_item(store, item_id)
        prepared = loader.prepare(store, item, (800, 600), ViewSettings())
    assert prepared.error is None and prepared.veiled is not None


def test_a_missing_file_is_said_calmly_on_the_desk_and_the_item_stays(imported, clock):
    path, item_id = imported
    root = path.with_name(path.name + ".media")
    shutil.rmtree(root)
    with wiring.open_store(path, clock=clock) as store:
        item = serving.load_item(store, item_id)
        prepared = loader.prepare(store, item, (800, 600), ViewSettings())
        board = frames.load_board(store, 1, item.media_path, 9, (4, True))
    assert prepared.error is not None and prepared.error.startswith(f"This image cannot be shown: media file missing "
                                                                    f"from {root}. ")
    assert board.error is not None and board.error.startswith(f"media file missing from {root}. ")
