"""Signing in on a server store that enforces roles: the URL's role is the person (issue 15 item 3).

A command run with ``postgresql://ana:…@host/db`` acts as ana, whom the
server let in: no passphrase asked again, ``--user`` may be left out, and a
``--user`` naming someone else is refused, never acted on.
"""

from __future__ import annotations

import psycopg
import pytest

from desktop import wiring
from desktop.main import main
from review import auth, people
from review.clock import FakeClock

LEE, ANA, EVE = "lee's passphrase", "ana's passphrase", "eve's passphrase"


@pytest.fixture
def site(postgres_server):
    """A server store with lee (lead) and ana (moderator), each with a passphrase; the database's name."""
    postgres_server.people_use_passwords()
    name = postgres_server.new_database()
    try:
        with wiring.open_store(postgres_server.url(name), clock=FakeClock("2026-01-20T09:00:00Z")) as store:
            store.add_user("lee", ["lead"])
            auth.set_passphrase(store, "lee", "lee", LEE)
            people.add_person(store, "lee", "ana", ["moderator"], passphrase=ANA)
        yield postgres_server, name
    finally:
        postgres_server.drop(name)


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_lead_on_their_own_role_adds_a_person_who_then_logs_in_with_the_new_passphrase(site, capsys,
                                                                                          monkeypatch):
    server, name = site
    monkeypatch.setenv("VEIL_NEW_PASSPHRASE", EVE)
    code, out, err = cli(capsys, "users", "add", "eve", "--role", "moderator", "--store",
                         server.person_url(name, server.role_of(name, "lee"), LEE))
    assert (code, err) == (0, "")
    eve = server.role_of(name, "eve")
    assert out == f"added eve (moderator) with a passphrase; they sign in to the server as the database role {eve}\n"
    with psycopg.connect(server.person_url(name, eve, EVE)) as conn:
        assert conn.execute("SELECT veil_person_name()").fetchone() == ("eve",)


def test_user_naming_someone_else_than_the_urls_role_is_refused(site, capsys):
    server, name = site
    ana = server.person_url(name, server.role_of(name, "ana"), ANA)
    code, out, err = cli(capsys, "users", "list", "--store", ana, "--user", "lee")
    assert code == 2 and out == ""
    assert "signs in to the server as ana's database role, but --user names lee" in err


def test_the_urls_person_is_signed_in_without_a_second_passphrase_and_keeps_their_role(site, capsys):
    server, name = site
    ana = server.person_url(name, server.role_of(name, "ana"), ANA)
    code, out, err = cli(capsys, "users", "list", "--store", ana, "--user", "ana")
    assert code == 2
    assert "ana is not a lead: only a lead can manage people" in err  # signed in as ana: no passphrase asked


def test_the_owners_url_still_signs_in_by_veils_passphrase(site, capsys):
    server, name = site
    code, _, err = cli(capsys, "users", "list", "--store", server.url(name), "--user", "lee")
    assert code == 2 and "lee has a passphrase" in err
