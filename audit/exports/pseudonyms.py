"""Stable pseudonyms for the people named in an export ("mod-3f9a2c" instead of "ana").

Why HMAC and not a plain hash: user names are few and guessable, so
SHA-256("ana") is reversed by hashing every name in the team. Keyed with a
random per-store secret, the pseudonym is the same in every export from
this store (so this month's file joins last month's) and cannot be reversed
by someone who only holds the exported file.

The secret is a declared setting (:data:`PSEUDONYM_SECRET`: organisation-wide,
kept by Veil itself, *secret*): whoever holds the store can re-identify
anyone, which is fine, the store already names everyone. Being secret, its
event never carries the value: the append-only event log could never
forget it again.

The prefix says the role the column gives the person (``mod-`` in a
moderator column, ``aud-`` for an auditor, ``lead-`` for a report's author,
``user-`` in free text), and the hex part is keyed with that role too:
HMAC(secret, role + name). One person who both moderates and audits is
two unrelated pseudonyms, so a file cannot be used to link their work in
one role to their work in the other (an auditor's severity towards
colleagues, say, to their own accuracy); each pseudonym is still the same
in every export from the store. Names inside
free text (notes, comments) are replaced too, as whole words, case
insensitive, for every user name and display name the store knows and
every word of a display name (a surname alone is still a name; a word two
people share becomes ``[name]``); a name spelled differently in a note
("Anna" for "ana") is not found, so free text is best-effort, not a
guarantee.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable

from audit.exports.batches import Memo
from audit.store import atomically
from review import settings
from review.store import SYSTEM_ACTOR, Store

SECRET_SETTING = "exports.pseudonym_secret"
PSEUDONYM_SECRET = settings.declare(
    SECRET_SETTING, settings.ORGANISATION, str, None, changed_by=settings.SYSTEM, secret=True,
    describe="The key of export pseudonyms: the same person has the same pseudonym in every export from this store.")
MIN_HEX = 6
ROLES = ("mod", "aud", "lead", "user")  # the prefixes exports use; each has its own unique hex per person
AMBIGUOUS = "[name]"  # a word of several people's display names: nobody's pseudonym fits


class Pseudonyms:
    """Maps names to pseudonyms; built by :func:`for_store`."""

    def __init__(self, secret: bytes, known: dict[str, list[str]] | None = None):
        """*known*: each user name with its other spellings (display name), for free-text scrubbing.

        Besides each full spelling, every word of a display name ("Alves" of
        "Ana Alves") is replaced too: a surname alone in a note is still a
        real name. A word two people share cannot be given one person's
        pseudonym, so it becomes :data:`AMBIGUOUS`.
        """
        self._secret = secret
        known = known or {}
        self._digits = max(_digits_needed(secret, role, list(known)) for role in ROLES)
        spellings: dict[str, str | None] = {}  # casefolded spelling -> user name (None: shared by several)
        for name, others in known.items():
            for other in others:
                for word in (other or "").split():
                    key = word.casefold()
                    if len(key) > 1 and spellings.get(key, name) != name:
                        spellings[key] = None
                    elif len(key) > 1:
                        spellings[key] = name
        for name, others in known.items():  # full spellings win over the words of someone's display name
            for spelling in [name, *others]:
                if spelling and spelling.strip():
                    spellings[spelling.casefold()] = name
        self._spelling = spellings
        # The pattern holds each spelling as written *and* casefolded: casefolding changes
        # some letters ("Weiß" -> "weiss", "İ" -> "i̇"), and IGNORECASE does not undo that.
        forms = {form for name, others in known.items() for spelling in [name, *others]
                 if spelling and spelling.strip() for form in (spelling, spelling.casefold())}
        forms |= {form for others in known.values() for other in others for word in (other or "").split()
                  if len(word.casefold()) > 1 for form in (word, word.casefold())}
        ordered = sorted(forms, key=len, reverse=True)  # "Ana Silva" before "ana"
        self._pattern = (re.compile(r"(?<!\w)(" + "|".join(re.escape(s) for s in ordered) + r")(?!\w)", re.IGNORECASE)
                         if ordered else None)

    def name(self, name: str | None, prefix: str = "user") -> str | None:
        """The pseudonym of *name* in the role *prefix* (None stays None)."""
        return None if name is None else self._pseudonym(name, prefix)

    def namer(self, prefix: str) -> Callable[[str | None], str | None]:
        """:meth:`name` in the role *prefix*, each person's pseudonym made once (an export names a few hundred
        people across a million rows: one HMAC each, then a dictionary look-up)."""
        made = Memo(lambda name: self.name(name, prefix), limit=1 << 20)
        return made.__getitem__

    def _pseudonym(self, name: str, prefix: str = "user") -> str:
        return f"{prefix}-{_digest(self._secret, prefix, name)[: self._digits]}"

    def scrub(self, text: str | None) -> str | None:
        """*text* with every known name and display name replaced by ``user-…``."""
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(self._replacement, text)

    def _replacement(self, match: re.Match[str]) -> str:
        found = match.group(0)
        for key in (found.casefold(), found.lower()):
            if key in self._spelling:
                name = self._spelling[key]
                return AMBIGUOUS if name is None else self._pseudonym(name)
        # IGNORECASE matched a letter casefolding maps elsewhere ("ipek" for "İpek"):
        # find the spelling it matched rather than leave a name in the text.
        for spelling, name in self._spelling.items():
            if re.fullmatch(re.escape(spelling), found, re.IGNORECASE) or \
                    re.fullmatch(re.escape(spelling), found.casefold(), re.IGNORECASE):
                return AMBIGUOUS if name is None else self._pseudonym(name)
        return AMBIGUOUS


def _digest(secret: bytes, role: str, name: str) -> str:
    """HMAC-SHA-256 of (role, name); the unit separator keeps ("mod", "x") apart from ("mo", "dx")."""
    return hmac.new(secret, f"{role}\x1f{name}".encode(), hashlib.sha256).hexdigest()


def _digits_needed(secret: bytes, role: str, names: list[str]) -> int:
    """Six hex digits, more only if two of the store's people would collide in *role*."""
    digests = [_digest(secret, role, n) for n in names]
    digits = MIN_HEX
    while len({d[:digits] for d in digests}) < len(digests):
        digits += 2
    return digits


def ensure_secret(store: Store, actor: str) -> str:
    """The store's pseudonym secret, creating it (one transaction) on first use.

    The secret is written by Veil itself (a ``system`` setting whose event
    carries no value); ``exports.pseudonym_secret_created`` says who first
    needed it. A write: the GUI runs it on the writer before a pseudonymised
    export reads on a reader.
    """
    secret = settings.read(store, PSEUDONYM_SECRET)
    if secret is not None:
        return str(secret)

    def create_once() -> str:
        created = settings.read(store, PSEUDONYM_SECRET)  # another writer may have been first
        if created is None:
            created = settings.write(store, SYSTEM_ACTOR, PSEUDONYM_SECRET, secrets.token_hex(32))
            store.log(actor, "exports.pseudonym_secret_created", f"setting:0:{SECRET_SETTING}")
        return str(created)

    # Two steps of review.settings (its checks included) as one unit: re-read, then write if still missing.
    return atomically(store, create_once)


def for_store(store: Store, actor: str) -> Pseudonyms:
    """The store's pseudonyms (the secret is created on first use, see :func:`ensure_secret`)."""
    known = {u.name: [u.display_name] for u in store.users()}
    return Pseudonyms(bytes.fromhex(ensure_secret(store, actor)), known)
