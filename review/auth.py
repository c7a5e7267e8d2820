"""Who may do what, and passphrases: checked in the domain, not hidden in the GUI.

Roles. :func:`require` re-reads the acting person's roles from the store on
every call, so a role removed a minute ago no longer works whatever a
long-open window still holds; a refusal is :class:`NotAllowed` (a
``PermissionError``) that says who lacks what. (``audit.roles`` has the
same rule for QA; ``review`` may not import ``audit``, so the review domain
keeps its own copy here.)

Passphrases. Any account may have one; an account that has one cannot be
entered without it (sign-in list and ``--user`` alike). Only a salted
scrypt hash is stored (``scrypt$n$r$p$salt_hex$hash_hex``), compared in
constant time. Wrong attempts are events, recorded without the attempt and
with the same words whoever was picked, so a failure tells nobody more than
the sign-in list already shows.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from review.errors import NotAllowed, VeilError
from review.store import Refused, Store, User, passphrases
from review.store import automation as automation_rows

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES = 16
HASH_BYTES = 32
MIN_LENGTH = 8
SCHEME = "scrypt"
MAX_MEMORY = 2**28  # bytes scrypt may use (this default needs 16 MiB)
ANONYMOUS = "anonymous"  # the actor of a failed attempt: nobody was let in


class PassphraseError(VeilError, ValueError):
    """A passphrase that cannot be set (too short, or the current one is wrong); said on screen."""


# ------------------------------------------------------------------ roles
def resolve(store: Store, who: User | str) -> User:
    """The current row for *who*; NotAllowed for someone the store does not know."""
    name = who.name if isinstance(who, User) else str(who)
    try:
        return store.user(name)
    except KeyError:
        raise NotAllowed(f"{name!r} is not a user of this store") from None


def one_of(roles: Sequence[str]) -> str:
    """Whoever holds one of *roles*, in words: "a moderator or a lead", "an auditor"."""
    return " or ".join(f"an {r}" if r[0] in "aeiou" else f"a {r}" for r in roles)


def active_person(store: Store, who: User | str) -> User:
    """The current row for *who*, if they are active; NotAllowed for a deactivated person or a stranger.

    For what anybody may do for themself, whatever their roles (their own
    passphrase, check-ins, disputes): a deactivated person (``review.people``)
    does none of it, from a window they opened before or a script with
    their name.
    """
    user = resolve(store, who)
    if not user.active:
        raise NotAllowed(f"{user.name} is deactivated: a lead can reactivate them (People page, or "
                         "veil users reactivate)")
    return user


def require(store: Store, who: User | str, *roles: str, to: str) -> User:
    """The user, if they are active and hold one of *roles*; else NotAllowed ("ana is not a lead: only a lead can …").

    A deactivated person holds their roles on paper only
    (:func:`active_person`): an assignment to them is refused here too.
    """
    user = active_person(store, who)
    if not any(user.has(role) for role in roles):
        wanted = one_of(roles)
        raise NotAllowed(f"{user.name} is not {wanted}: only {wanted} can {to}")
    return user


def sign_in_refusal(store: Store, name: str) -> str | None:
    """Why *name* may not sign in now, in words (a deactivated person); None when they may.

    Asked before any passphrase, by every way in (``--user``, the sign-in
    list, the command line), from the row as it is now: a list shown
    before a lead deactivated someone still names them.
    """
    try:
        user = store.user(name)
    except KeyError:
        return None  # the caller says what an unknown name means where it is
    if automation_rows.is_system_person(user):
        return (f"{name} is a system person: Veil's automated decisions are made in its name by rules, and "
                "nobody signs in as it.")
    if user.active:
        return None
    return (f"{name} is deactivated and cannot sign in. A lead can reactivate them "
            f"(People page, or: veil users reactivate {name}).")


# ------------------------------------------------------------- hashing
def hash_passphrase(passphrase: str, *, salt: bytes | None = None) -> str:
    """The storable hash of *passphrase*, with a fresh random salt unless given."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return f"{SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_passphrase(passphrase: str, stored: str) -> bool:
    """True if *passphrase* matches *stored*; a malformed *stored* never matches.

    The cost parameters are read from *stored*, so hashes made with other
    parameters (a later, costlier default) still verify.
    """
    try:
        scheme, n_text, r_text, p_text, salt_hex, hash_hex = stored.split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        salt, expected = bytes.fromhex(salt_hex), bytes.fromhex(hash_hex)
    except (AttributeError, ValueError):
        return False
    if scheme != SCHEME or not expected or 128 * n * r > MAX_MEMORY or p > 16:  # a tampered row's absurd cost
        return False
    try:
        actual = _scrypt(passphrase, salt, n, r, p, len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(passphrase: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length,
                          maxmem=MAX_MEMORY + 2**20)


def passphrase_problem(passphrase: str) -> str | None:
    """Why *passphrase* cannot be used, in words; None if it can."""
    if len(passphrase) < MIN_LENGTH:
        return f"A passphrase needs at least {MIN_LENGTH} characters."
    if passphrase != passphrase.strip():
        return "A passphrase cannot start or end with a space."
    return None


# ------------------------------------------------------------ the store
def has_passphrase(store: Store, name: str) -> bool:
    """Whether signing in as *name* asks for a passphrase (False for unknown names)."""
    return passphrases.stored_hash(store, name) is not None


def needs_current(store: Store, who: User | str, name: str) -> bool:
    """Whether *who* must give *name*'s current passphrase to set a new one.

    Changing your own passphrase takes the old one (an unattended open
    session cannot lock its owner out); a lead resetting a moderator's or
    an auditor's does not (that is how a forgotten passphrase is replaced;
    another lead's is refused, :func:`set_passphrase`).
    """
    return resolve(store, who).name == name and has_passphrase(store, name)


def set_passphrase(store: Store, who: User | str, name: str, passphrase: str, *, current: str | None = None) -> None:
    """Set *name*'s passphrase, acting as *who*: the person themself, or a lead for someone who is not a lead.

    A lead's passphrase is theirs alone to change (with the current one):
    a lead who could reset another lead's could then sign in as them.
    PassphraseError (a ValueError) for an unusable passphrase or a wrong
    *current*; NotAllowed (a PermissionError) for anyone else. The actor's
    lead role and the target's are checked again under the write lock
    (:func:`review.store.passphrases.save`).
    """
    actor = active_person(store, who)
    target = resolve(store, name)
    if actor.name != name:
        require(store, actor, "lead", to="set someone else's passphrase")
    if (refusal := passphrase_refusal(store, actor, name)) is not None:
        raise NotAllowed(refusal)
    problem = passphrase_problem(passphrase)
    if problem:
        raise PassphraseError(problem)
    if needs_current(store, actor, name) and not check_passphrase(store, name, current or "", via="change"):
        raise PassphraseError("Your current passphrase is not right.")
    stored = hash_passphrase(passphrase)  # slow on purpose: before the write lock is taken
    try:
        passphrases.save(store, target, stored, by=actor, login=passphrase)  # on a server: their role's too
    except Refused as refused:
        if refused.reason == "other_lead":
            raise NotAllowed(other_lead_refusal(target.name)) from None
        if refused.reason == "inactive":
            active_person(store, actor)  # says it in its words
        if refused.reason == "system_person":
            raise NotAllowed(sign_in_refusal(store, target.name) or "") from None
        raise NotAllowed(f"{actor.name} is not a lead any more: only a lead can set someone else's "
                         "passphrase") from None


def passphrase_refusal(store: Store, who: User | str, name: str) -> str | None:
    """Why *who* may not set *name*'s passphrase even as a lead, in words; None when nothing stands in the way.

    Another lead's passphrase is theirs alone: a lead who could reset it
    could then sign in as them and act in their name. Asked by the People
    page before it opens the dialog, and by :func:`set_passphrase`.
    """
    target = resolve(store, name)
    if resolve(store, who).name != name and target.has("lead"):
        return other_lead_refusal(target.name)
    return None


def other_lead_refusal(name: str) -> str:
    """Why nobody but *name*, a lead, sets their passphrase."""
    return (f"{name} is a lead: only {name} can change their passphrase (with the current one), "
            "so no lead can sign in as another")


def check_passphrase(store: Store, name: str, passphrase: str, *, via: str = "sign-in") -> bool:
    """True if *passphrase* lets *name* in; a failure is recorded as an event.

    An unknown *name* or an account without a passphrase fails the same way
    as a wrong passphrase (same answer, same event), so this check says
    nothing about who exists. *via* says where the attempt came from
    ("gui", "cli", "change"). The attempt itself is never stored. A
    deactivated person is refused (NotAllowed, :func:`sign_in_refusal`'s
    words) before any hashing: no passphrase lets them in.
    """
    if (refusal := sign_in_refusal(store, name)) is not None:
        raise NotAllowed(refusal)
    stored = passphrases.stored_hash(store, name)
    if stored is None:  # the same work as a real check, so timing does not tell either
        _scrypt(passphrase, bytes(SALT_BYTES), SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
        ok = False
    else:
        ok = verify_passphrase(passphrase, stored)
    if not ok:
        passphrases.note_failure(store, ANONYMOUS, name, via=via)
    return ok
