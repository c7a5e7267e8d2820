"""Stored passphrase hashes: reading a person's, setting it, and noting failed attempts.

The hash lives in its own table (schema m006), never on ``users``, so the
many queries that list people never carry it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from review.store import Refused, server_roles

if TYPE_CHECKING:
    from review.store import Store, User


def stored_hash(store: Store, name: str) -> str | None:
    """The stored hash of the user called *name*; None if they have none (or do not exist)."""
    row = store.db.execute(
        "SELECT p.hash FROM passphrases p JOIN users u ON u.id = p.user_id WHERE u.name = ?", [name]
    ).fetchone()
    return row[0] if row else None


def save(store: Store, target: User, stored: str, *, by: User, login: str | None = None) -> None:
    """Set (or replace) *target*'s hash, noting when and by whom, with its event, in one transaction.

    *login*: the passphrase itself, which on a server store that enforces roles also becomes the password of
    *target*'s database role in the same transaction (:func:`review.store.server_roles.set_login`): the
    person's passphrase and their login never disagree.

    *by*'s right is re-read under the write lock, as :mod:`review.store.people`
    does (a role removed after the domain's first check still stops the
    write): Refused ``"inactive"`` when *by* was deactivated, and, for
    someone else's passphrase, ``"not_lead"`` when *by* is no active lead
    now and ``"other_lead"`` when *target* is a lead now (a lead's
    passphrase is theirs alone).
    """
    from review.store.automation import is_system_person  # automation's rows import review.store, this too

    with store.transaction():
        actor = store.user(by.name)
        if not actor.active:
            raise Refused("inactive", by.name)
        if is_system_person(store.user(target.name)):
            raise Refused("system_person", target.name)
        if actor.id != target.id:
            if not actor.has("lead"):
                raise Refused("not_lead", by.name)
            if store.user(target.name).has("lead"):
                raise Refused("other_lead", target.name)
        store.db.execute(
            "INSERT INTO passphrases (user_id, hash, set_at, set_by) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, set_at = excluded.set_at,"
            " set_by = excluded.set_by",
            [target.id, stored, store.now(), by.id],
        )
        store.log(by.name, "auth.passphrase_set", f"user:{target.name}", {"by_self": by.id == target.id})
        if login is not None:
            server_roles.set_login(store, target.id, login)


def note_failure(store: Store, actor: str, name: str, *, via: str) -> None:
    """Record a failed attempt to enter as *name* (never the attempt itself), in one transaction."""
    with store.transaction():
        store.log(actor, "auth.failed", f"user:{name}", {"via": via})
