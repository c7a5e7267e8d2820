"""The window on a server store opened with a person's own database role (issue 15 item 3).

The server has checked that person's password, so the window signs them in
without Veil's passphrase and offers no one else: anyone else signed in over
that connection would have every write refused by the server.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from test_server_signin import ANA, site  # noqa: F401  (the fixture: lee and ana with passphrases)

from desktop import app, wiring
from desktop.commands import signin
from review import auth


@pytest.fixture
def ana_window(qtbot, site, tmp_path):  # noqa: F811
    server, name = site
    store = wiring.open_store(server.person_url(name, server.role_of(name, "ana"), ANA))
    person = signin.server_person(store, None)
    window = app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat),
                              person=person)
    qtbot.addWidget(window)
    yield window, store, person
    window.findChild(app.SessionOperations).close()
    store.close()


def test_the_sign_in_page_offers_only_the_person_the_server_let_in(ana_window):
    window, _, person = ana_window
    window.refresh_users()
    assert person == "ana" and [u.name for u in window.sign_in_page.users()] == ["ana"]


def test_the_person_the_server_let_in_is_signed_in_without_veils_passphrase(ana_window):
    window, store, person = ana_window
    assert auth.has_passphrase(store, "ana")
    assert app.enter_as(window, store, "ana", server_person=person)
    assert window.current_user.name == "ana"


def test_another_name_over_that_connection_is_refused_before_the_window_opens(site):  # noqa: F811
    server, name = site
    with wiring.open_store(server.person_url(name, server.role_of(name, "ana"), ANA)) as store, \
            pytest.raises(signin.SignInRefused, match="ana's database role"):
        signin.server_person(store, "lee")


def test_after_a_sign_out_signing_back_in_asks_veils_passphrase(ana_window, monkeypatch):
    """Only the first entry skips the passphrase: after Ctrl+Shift+L nobody else at the desk walks in as ana."""
    from ui.widgets import passphrase

    window, store, person = ana_window
    asked: list[str] = []
    monkeypatch.setattr(passphrase, "ask_passphrase", lambda name, *_args: asked.append(name) or False)
    assert app.enter_as(window, store, "ana", server_person=person)
    window.sign_out()
    window.refresh_users()
    window.sign_in_page.select("ana")
    assert not window.sign_in_page.sign_in_current()
    assert asked == ["ana"] and window.current_user is None
