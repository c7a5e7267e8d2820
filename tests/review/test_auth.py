"""Passphrases: salted scrypt hashes only, set by the person or a lead, failures logged."""

from __future__ import annotations

import hashlib

import builders
import pytest
from builders import dump, events

from review import auth

PHRASE = "correct horse battery"


@pytest.fixture
def people(store):
    builders.people(store, ana="moderator", ben="moderator", lee="lead")
    return store


# ---------------------------------------------------------------- hashing
def test_the_hash_is_salted_scrypt_in_the_documented_format():
    salt = bytes(range(16))
    stored = auth.hash_passphrase(PHRASE, salt=salt)
    scheme, n, r, p, salt_hex, hash_hex = stored.split("$")
    assert (scheme, n, r, p, salt_hex) == ("scrypt", "16384", "8", "1", salt.hex())
    assert bytes.fromhex(hash_hex) == hashlib.scrypt(PHRASE.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    assert PHRASE not in stored
    assert auth.hash_passphrase(PHRASE) != auth.hash_passphrase(PHRASE)  # a fresh salt each time


def test_verification_accepts_only_the_passphrase():
    stored = auth.hash_passphrase(PHRASE)
    assert auth.verify_passphrase(PHRASE, stored)
    for wrong in ("correct horse batterY", "", PHRASE + " ", "correct horse"):
        assert not auth.verify_passphrase(wrong, stored)


def test_other_cost_parameters_still_verify():
    salt = b"s" * 16
    digest = hashlib.scrypt(PHRASE.encode(), salt=salt, n=2**12, r=4, p=2, dklen=24)
    assert auth.verify_passphrase(PHRASE, f"scrypt$4096$4$2${salt.hex()}${digest.hex()}")


@pytest.mark.parametrize("stored", [
    "", "plain text", "bcrypt$1$2$3$00$00", "scrypt$16384$8$1$zz$00", "scrypt$16384$8$1$00$",
    "scrypt$1073741824$8$1$00$00",  # a tampered, absurd cost is refused, not attempted
    "scrypt$3$8$1$00$00",  # n must be a power of two
])
def test_a_malformed_hash_never_matches(stored):
    assert not auth.verify_passphrase(PHRASE, stored)


@pytest.mark.parametrize("phrase, words", [("short", "at least 8"), (" padded phrase", "space"), ("", "at least 8")])
def test_unusable_passphrases_are_explained(phrase, words):
    assert words in auth.passphrase_problem(phrase)


# ------------------------------------------------------------- the store
def test_a_person_sets_their_own_and_only_the_hash_is_stored(people):
    assert not auth.has_passphrase(people, "ana")
    auth.set_passphrase(people, "ana", "ana", PHRASE)
    assert auth.has_passphrase(people, "ana")
    [(stored, set_by)] = people.db.execute("SELECT hash, set_by FROM passphrases").fetchall()
    assert stored.startswith("scrypt$") and auth.verify_passphrase(PHRASE, stored)
    assert set_by == people.user("ana").id
    everything = dump(people)
    assert "auth.passphrase_set" in everything and PHRASE not in everything  # not in events, not anywhere
    assert events(people, "auth.passphrase_set") == [("ana", "auth.passphrase_set", "user:ana", {"by_self": True})]


def test_changing_your_own_takes_the_current_one(people):
    auth.set_passphrase(people, "ana", "ana", PHRASE)
    assert auth.needs_current(people, "ana", "ana") and not auth.needs_current(people, "lee", "ana")
    with pytest.raises(ValueError, match="current passphrase is not right"):
        auth.set_passphrase(people, "ana", "ana", "a new passphrase", current="guess")
    assert auth.check_passphrase(people, "ana", PHRASE)
    auth.set_passphrase(people, "ana", "ana", "a new passphrase", current=PHRASE)
    assert auth.check_passphrase(people, "ana", "a new passphrase")
    assert not auth.check_passphrase(people, "ana", PHRASE)


def test_a_lead_sets_anyones_a_moderator_only_their_own(people):
    auth.set_passphrase(people, "lee", "ben", PHRASE)  # a lead replaces a forgotten one without it
    auth.set_passphrase(people, "lee", "ben", "another passphrase")
    assert auth.check_passphrase(people, "ben", "another passphrase")
    with pytest.raises(PermissionError, match="ana is not a lead"):
        auth.set_passphrase(people, "ana", "ben", PHRASE)
    with pytest.raises(PermissionError, match="not a user of this store"):
        auth.set_passphrase(people, "lee", "zoe", PHRASE)
    with pytest.raises(ValueError, match="at least 8"):
        auth.set_passphrase(people, "lee", "ben", "short")
    assert [e.subject for e in events(people, "auth.passphrase_set")] == ["user:ben", "user:ben"]
    assert events(people, "auth.passphrase_set")[0] == ("lee", "auth.passphrase_set", "user:ben", {"by_self": False})


def test_wrong_attempts_are_events_that_say_nothing_about_who_exists(people):
    auth.set_passphrase(people, "lee", "lee", PHRASE)
    assert auth.check_passphrase(people, "lee", PHRASE, via="gui")
    assert events(people, "auth.failed") == []
    assert not auth.check_passphrase(people, "lee", "guess", via="gui")
    assert not auth.check_passphrase(people, "ben", "guess", via="cli")  # no passphrase: fails the same way
    assert not auth.check_passphrase(people, "zoe", "guess", via="cli")  # nobody: fails the same way
    assert events(people, "auth.failed") == [
        ("anonymous", "auth.failed", "user:lee", {"via": "gui"}),
        ("anonymous", "auth.failed", "user:ben", {"via": "cli"}),
        ("anonymous", "auth.failed", "user:zoe", {"via": "cli"}),
    ]
    assert "guess" not in dump(people)
