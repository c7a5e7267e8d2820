"""``veil demo`` on a server store uploads the media it generates (issue 15 §4), so the demo's review page shows them.

Before, a server store's demo named its media by this desk's absolute paths and a lead had to run ``veil media
collect``; another desk saw none of them. Now every media item names a complete blob, ``veil verify`` finds no
problem, and the review page shows the first media item from the store. Skipped, said, when
``VEIL_TEST_STORES`` leaves PostgreSQL out.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from test_review_page import _close, _open_page

from desktop import wiring
from desktop.main import main
from review.store import server_media

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture
def demo_url(postgres_server):
    name = postgres_server.new_database()
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop(name)


def test_a_server_demo_keeps_its_media_in_the_store_and_the_review_page_shows_them(qtbot, demo_url, clock,
                                                                                    capsys):
    assert main(["demo", "--store", demo_url, "--items", "12"]) == 0
    assert main(["--store", demo_url, "--user", "lee", "verify"]) == 0
    assert "problems: none" in capsys.readouterr().out
    with wiring.open_store(demo_url, clock=clock) as store:
        named = [name for (name,) in store.db.execute(
            "SELECT media_path FROM items WHERE media_path IS NOT NULL ORDER BY id").fetchall()]
        assert named and not [name for name in named if name.startswith("/")]  # no desk's path: the store's names
        for name in set(named):
            blob = server_media.blob(store.db, name)
            assert blob is not None and blob.complete
        page = _open_page(qtbot, store)
        try:
            qtbot.keyClick(page, Qt.Key.Key_Return)
            view = page.item_view
            qtbot.waitUntil(lambda: page.item is not None, timeout=15000)
            while page.item.media_path is None:  # a text post: decide it, until a media item is on screen
                text_post = page.item.id
                qtbot.keyClick(page, Qt.Key.Key_A)
                qtbot.waitUntil(lambda post=text_post: page.item is not None and page.item.id != post, timeout=15000)
            qtbot.waitUntil(lambda: view.image.has_image or view.video_view.mode() in ("grid", "error")
                            or "cannot be shown" in view.image.message(), timeout=15000)
            assert "cannot be shown" not in view.image.message(), view.image.message()
            assert view.video_view.mode() != "error", view.video_view.message()
        finally:
            _close(page)
