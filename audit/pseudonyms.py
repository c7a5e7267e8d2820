"""Stable pseudonyms for the people named in an export ("mod-3f9a2c" instead of "ana").

Why HMAC and not a plain hash: user names are few and guessable, so
SHA-256("ana") is reversed by hashing every name in the team. Keyed with a
random per-store secret, the pseudonym is the same in every export from
this store (so this month's file joins last month's) and cannot be reversed
by someone who only holds the exported file.

The secret lives in the store's ``settings`` table (organisation-wide, key
:data:`SECRET_SETTING`): whoever holds the store can re-identify anyone,
which is fine, the store already names everyone. It is written here with
its own event that does not carry the value, because ``Store.set_setting``
copies every value into the append-only event log, where a secret could
never be removed again.

The prefix says the role the column gives the person (``mod-`` in a
moderator column, ``aud-`` for an auditor); the hex part is the person, so
one person who both moderates and audits keeps the same hex. Names inside
free text (notes, comments) are replaced too, as whole words, case
insensitive, for every user name and display name the store knows; a name
spelled differently in a note ("Anna" for "ana") is not found, so free
text is best-effort, not a guarantee.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets

from review.store import Store

SECRET_SETTING = "exports.pseudonym_secret"
MIN_HEX = 6


class Pseudonyms:
    """Maps names to pseudonyms; built by :func:`for_store`."""

    def __init__(self, secret: bytes, known: dict[str, list[str]] | None = None):
        """*known*: each user name with its other spellings (display name), for free-text scrubbing."""
        self._secret = secret
        known = known or {}
        self._digits = _digits_needed(secret, list(known))
        spellings = {spelling.casefold(): name for name, others in known.items() for spelling in [name, *others]
                     if spelling.strip()}
        self._spelling = spellings
        ordered = sorted(spellings, key=len, reverse=True)  # "Ana Silva" before "ana"
        self._pattern = (re.compile(r"(?<!\w)(" + "|".join(re.escape(s) for s in ordered) + r")(?!\w)", re.IGNORECASE)
                         if ordered else None)

    def name(self, name: str | None, prefix: str = "user") -> str | None:
        """The pseudonym of *name* (None stays None)."""
        if name is None:
            return None
        digest = hmac.new(self._secret, name.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"{prefix}-{digest[: self._digits]}"

    def scrub(self, text: str | None) -> str | None:
        """*text* with every known name and display name replaced by ``user-…``."""
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self.name(self._spelling[m.group(0).casefold()]), text)


def _digits_needed(secret: bytes, names: list[str]) -> int:
    """Six hex digits, more only if two of the store's people would collide."""
    digests = [hmac.new(secret, n.encode("utf-8"), hashlib.sha256).hexdigest() for n in names]
    digits = MIN_HEX
    while len({d[:digits] for d in digests}) < len(digests):
        digits += 2
    return digits


def for_store(store: Store, actor: str) -> Pseudonyms:
    """The store's pseudonyms, creating its secret (one transaction, one event) on first use."""
    with store.transaction():
        row = store.db.execute("SELECT value FROM settings WHERE user_id = 0 AND key = ?", [SECRET_SETTING]).fetchone()
        if row is None:
            store.db.execute("INSERT INTO settings (user_id, key, value, updated_at) VALUES (0, ?, ?, ?)",
                             [SECRET_SETTING, json.dumps(secrets.token_hex(32)), store.now()])
            store.log(actor, "exports.pseudonym_secret_created", f"setting:0:{SECRET_SETTING}")
    secret = bytes.fromhex(store.setting(SECRET_SETTING))
    known = {u.name: [u.display_name] for u in store.users()}
    return Pseudonyms(secret, known)
