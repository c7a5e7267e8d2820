"""Who may do what in QA, checked in the domain rather than hidden in the GUI.

Every audit function takes the acting person (a ``User`` or a user name)
and re-reads their roles from the store, so a role removed a minute ago no
longer works, whatever a long-open window still holds. A refusal is a
``PermissionError`` whose message says who lacks what.
"""

from __future__ import annotations

from review.store import Store, User


def resolve(store: Store, who: User | str) -> User:
    """The current row for *who*; PermissionError for someone the store does not know."""
    name = who.name if isinstance(who, User) else str(who)
    try:
        return store.user(name)
    except KeyError:
        raise PermissionError(f"{name!r} is not a user of this store") from None

def require(store: Store, who: User | str, *roles: str, to: str) -> User:
    """The user, if they hold one of *roles*; else PermissionError ("ana is not a lead: only a lead can …")."""
    user = resolve(store, who)
    if not any(user.has(role) for role in roles):
        wanted = " or ".join(f"an {r}" if r[0] in "aeiou" else f"a {r}" for r in roles)
        raise PermissionError(f"{user.name} is not {wanted}: only {wanted} can {to}")
    return user
