"""A server store's password never reaches what a person sees (issue 15 review, finding 1).

A ``postgresql://`` URL may carry a password (``user:pass@`` or ``?password=``): every command, the app's
error box and the log show the URL's one shown form (:func:`review.store.connection.shown_location`), and a
URL libpq cannot read is said as a store that cannot be opened, not a traceback quoting it.
"""

from __future__ import annotations

import logging

import pytest

from desktop import app, wiring
from desktop import main as veil

SECRET = "s3cretpw"


def main(argv: list[str]) -> int:
    """``veil ARGV``'s exit code (a refusal exits through SystemExit)."""
    try:
        return veil.main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


@pytest.fixture
def server_store(postgres_server):
    """A database holding a Veil store with a lead (lee); its URL without a password."""
    name = postgres_server.new_database()
    url = postgres_server.url(name)
    with wiring.open_store(url) as store:
        store.add_user("lee", ["lead"])
    yield url
    postgres_server.drop(name)


def _with_password(url: str, how: str) -> str:
    if how == "user":
        return url.replace("veil@", f"veil:{SECRET}@")
    return url.replace("?", f"?password={SECRET}&")


COMMANDS = [
    ["verify"], ["verify", "--json"], ["metrics", "--json", "--user", "lee"], ["users", "list", "--lead", "lee"],
    ["demo", "--items", "5"], ["sample", "--user", "lee"],
]


@pytest.mark.parametrize("how", ["user", "query"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c[:2]))
def test_no_command_shows_the_password_of_its_store_url(server_store, how, command, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    main(["--store", _with_password(server_store, how), *command])
    said = capsys.readouterr()
    assert said.out + said.err, "the command said nothing at all"
    assert SECRET not in said.out + said.err + caplog.text


@pytest.mark.parametrize("how", ["user", "query"])
@pytest.mark.parametrize("command", [["verify"], ["verify", "--json"], ["users", "list", "--lead", "lee"]])
def test_a_database_that_is_not_there_is_said_without_the_password(postgres_server, how, command, capsys,
                                                                    caplog):
    caplog.set_level(logging.DEBUG)
    assert main(["--store", _with_password(postgres_server.url("nowhere"), how), *command]) == 2
    said = capsys.readouterr()
    assert "nowhere" in said.err and SECRET not in said.out + said.err + caplog.text


@pytest.mark.parametrize("url", [f"postgresql://veil:{SECRET}%zz@/veil?host=/tmp",
                                 f"postgresql://veil:{SECRET}@[::1/veil"])
def test_a_url_libpq_cannot_read_is_a_store_that_cannot_be_opened(url, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    assert main(["--store", url, "users", "list", "--lead", "lee"]) == 2
    said = capsys.readouterr()
    assert "cannot open the store at postgresql://veil@" in said.err and "URL" in said.err
    assert SECRET not in said.out + said.err + caplog.text


def test_the_apps_error_box_shows_the_url_without_its_password(postgres_server, qapp, monkeypatch, capsys):
    shown: list[str] = []
    monkeypatch.setattr(app, "show_error", shown.append)
    assert main(["--store", _with_password(postgres_server.url("nowhere"), "query")]) == 2
    assert shown and "Veil could not open the store at postgresql://veil@" in shown[0]
    assert SECRET not in shown[0] + capsys.readouterr().err
