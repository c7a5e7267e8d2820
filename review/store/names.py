"""The one rule for who a new person may be — name, display name, roles — checked in ``Store.add_user``.

A name is what the sign-in list, the event log, exports and every
"decided by" show, so two people must never look alike there. Refused:
characters nobody sees or that change how the text around them shows
(controls, format characters such as U+200B ZERO WIDTH SPACE and the bidi
override U+202E, private-use and unassigned code points, line and paragraph
separators), and a name that is another person's once both are NFKC
normalised and casefolded ("ｌｅｅ" and "LEE" are "lee"). A display name
another person already has (compared the same way) is refused too: the
sign-in list and the People page show display names.

The comparisons run inside the caller's write transaction, so two leads
(or an import and a lead) cannot add look-alikes side by side. The app
(``review.people``), imports and the demo all add people through
``Store.add_user``, so all get this rule.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from review.errors import VeilError
from review.store.schema import ROLES

if TYPE_CHECKING:
    from review.store import Store

#: Unicode categories a name may not hold: controls, format, private use, unassigned, line and paragraph separators.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Zl", "Zp"})
#: ZERO WIDTH NON-JOINER and JOINER: format characters Persian, Indic scripts and emoji need to be
#: written right, so a display name may hold them; look-alike comparisons leave them out.
JOINERS = frozenset({"\u200c", "\u200d"})


class NameRefused(VeilError, ValueError):
    """A name or display name that would be invisible in part, or look like another person's; the words say which."""


class RolesRefused(VeilError, ValueError):
    """Roles a person cannot hold: none, or one Veil does not know."""


def checked_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """*roles* stripped, each once, in the order given; RolesRefused for none or one not in :data:`ROLES`."""
    chosen = tuple(dict.fromkeys(r.strip() for r in roles if r.strip()))
    unknown = [r for r in chosen if r not in ROLES]
    if unknown:
        raise RolesRefused(f"Unknown role {', '.join(unknown)}: roles are {', '.join(ROLES)}.")
    if not chosen:
        raise RolesRefused(f"A person needs at least one role ({', '.join(ROLES)}).")
    return chosen


def folded(text: str) -> str:
    """*text* as compared for look-alikes: NFKC-normalised, casefolded, stripped, without joiners."""
    unjoined = "".join(char for char in text if char not in JOINERS)
    return unicodedata.normalize("NFKC", unjoined).casefold().strip()


def hidden_character(text: str, *, joiners: bool = False) -> str | None:
    """The first character of *text* nobody would see as it is (``U+200B``), or None; *joiners* allows joiners."""
    for char in text:
        if unicodedata.category(char) in HIDDEN_CATEGORIES and not (joiners and char in JOINERS):
            return f"U+{ord(char):04X}"
    return None


def check(store: Store, name: str, display_name: str) -> None:
    """NameRefused unless *name* and *display_name* may be a new person's; call inside the write transaction."""
    for what, text in (("name", name), ("display name", display_name)):
        if (code := hidden_character(text, joiners=what == "display name")) is not None:
            raise NameRefused(f"The {what} “{text.encode('unicode_escape').decode('ascii')}” holds an invisible or "
                              f"control character ({code}): people would not see the {what} as it is stored.")
    wanted, wanted_display = folded(name), folded(display_name)
    for other, other_display, active in store.db.execute("SELECT name, display_name, active FROM users ORDER BY id"):
        state = "" if active else " (deactivated: reactivate them instead)"
        if folded(other) == wanted:
            same = "is already here" if other == name else f"is too like “{other}”, who is already here"
            raise NameRefused(f"“{name}” {same}{state}.")
        if folded(other_display) == wanted_display:
            raise NameRefused(f"“{display_name}” is already the display name of {other}{state}: give "
                              f"{name} another, so that nobody picks the wrong person.")
