"""The window, not one page, says "Reconnecting…" (every page's writes share the session's one writer), and
signing out or closing while the server is away says what was not saved (issue 15 §5).

The outage is faked as in ``test_reconnecting``: a write raises ``ServerUnreachable`` until the test ends it.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from desktop import app
from review.store.server_errors import ServerUnreachable
from ui import operations
from ui.widgets.reconnecting import ReconnectingStrip, unsaved_text


@pytest.fixture(autouse=True)
def _quick_pauses(monkeypatch):
    monkeypatch.setattr(operations, "_FIRST_RECONNECT_PAUSE_S", 0.01)
    monkeypatch.setattr(operations, "RECONNECT_PAUSE_S", 0.05)


@pytest.fixture
def window(qtbot, store, tmp_path):
    store.add_user("ana", ["moderator"])
    made = app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(made)
    made.show()
    made.sign_in(store.user("ana"))
    yield made
    made.findChild(app.SessionOperations).close()


def _away(store):
    raise ServerUnreachable("cannot open the store at postgresql://db/veil: connection refused")


def test_the_window_shows_the_strip_for_any_pages_write_and_no_page_has_its_own(qtbot, window, monkeypatch):
    said = []
    monkeypatch.setattr(app, "say_unsaved", lambda parent, count: said.append(count))
    session = window.findChild(app.SessionOperations)
    strips = window.findChildren(ReconnectingStrip)
    assert strips == [session.strip] and session.strip.parent() is not None  # in the status bar, one for all
    assert not session.strip.isVisible()
    session.current().write(_away)  # any page's write: a score, a setting, a decision
    qtbot.waitUntil(session.strip.isVisible)
    assert session.strip.text().startswith("Reconnecting to the server…") and "keep Veil open" in session.strip.text()
    window.sign_out()  # while the server is away: the write is dropped, and the person is told
    assert said == [1] and not session.strip.isVisible()


def test_signing_out_after_writes_that_landed_says_nothing(qtbot, window, monkeypatch):
    said = []
    monkeypatch.setattr(app, "say_unsaved", lambda parent, count: said.append(count))
    window.findChild(app.SessionOperations).current().write(lambda store: store.add_queue("kept"))
    window.sign_out()
    assert said == [0]


def test_what_closing_left_unsaved_is_said_plainly():
    assert unsaved_text(1).startswith("1 change was not saved: the store's server could not be reached")
    assert unsaved_text(3).startswith("3 changes were not saved")
